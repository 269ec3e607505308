"""Several ``twin run`` workers of one community (``twin run --headless --share``, issue 16):
they share the telemetry with an MQTT 5 shared subscription, write what they receive to the
shared database's inbox, and lead its partitions (``twin.state.pginbox`` says why each
condition still raises exactly one event).

A worker, every :data:`MANAGE_S`:

* leads up to ``ceil(partitions / live workers)`` partitions, taking free ones and giving up
  the ones over its share (a worker started later gets its part);
* takes over the MQTT session of a worker that died (its liveness lock is free): it connects
  with that worker's client id, leaves the share at once, and writes what the broker kept for
  the session - the QoS 1 messages it had not acknowledged and the ones queued for it since -
  to the inbox, then ends the session. Mosquitto does not hand a dead shared subscriber's
  messages to the others (checked with mosquitto 2.0: it queues them for the dead session), so
  without this they would wait for that worker to come back. QoS 0 messages to a dead worker
  are lost, as MQTT defines QoS 0; devices whose every transition matters publish at QoS 1.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from twin.scene.scene import Scene
from twin.state import pginbox
from twin.state.pgevents import PgEventStore
from twin.telemetry.feeds import MqttFeed
from twin.telemetry.live import Live, open_live, scene_prefix

log = logging.getLogger("twin.workers")

MANAGE_S = 1.0
FLUSH_S = 0.05
"""How often a receiver writes what it received to the inbox (then acknowledges QoS 1)."""
ADOPT_IDLE_S = 2.0
"""An adopted session is drained when nothing came for this long."""
MAX_PENDING = 500_000
"""A receiver's messages waiting for the database; beyond, new ones are not taken (QoS 1 ones
stay unacknowledged and come again)."""
PEOPLE_KINDS_DEFAULT: frozenset[str] = frozenset()


def _device_of(topic: str, prefix: str) -> str:
    rest = topic[len(prefix) + 1 :] if topic.startswith(prefix + "/") else topic
    return rest.split("/", 1)[0]


class InboxSink:
    """What a worker's MQTT clients hand their messages to: written to the inbox every
    :data:`FLUSH_S` (one COPY), then acknowledged. A database that cannot be reached keeps
    them in memory, retried every second."""

    def __init__(
        self,
        url: str,
        community: str,
        prefix: str,
        part_of: Callable[[str], int],
        worker: str | None = None,
        received: float | None = None,
    ) -> None:
        self.url, self.community, self.prefix, self.part_of = url, community, prefix, part_of
        self.worker = worker
        """The worker whose mark each write moves on (None: a session taken over)."""
        self.received = received
        """The reception time written for every message (a session taken over: the dead
        worker's mark, so its messages come before anything received after it)."""
        self._q: deque[tuple[str, bytes, Callable[[], None] | None, float]] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.refused = 0
        self.error: str | None = None

    def submit_raw(
        self, topic: str, payload: bytes, ack: Callable[[], None] | None = None, dup: bool = False
    ) -> None:
        if len(self._q) >= MAX_PENDING:
            self.refused += 1
            return
        self._q.append((topic, payload, ack, self.received or time.time()))

    @property
    def pending(self) -> int:
        return len(self._q)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="twin-inbox-sink", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        conn: Any = None
        while True:
            stopping = self._stop.is_set()
            try:
                if conn is None:
                    conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                self.flush(conn)
                if self.error is not None:
                    log.warning("the inbox is written again")
                self.error = None
            except (psycopg.Error, OSError) as exc:
                if self.error is None:
                    log.error(
                        "the inbox cannot be written (%s): %d message(s) kept and retried",
                        exc,
                        len(self._q),
                    )
                self.error = str(exc)
                if conn is not None:
                    conn.close()
                conn = None
                if stopping:
                    return
                self._stop.wait(1.0)
                continue
            if stopping:
                break
            self._stop.wait(FLUSH_S)
        if conn is not None:
            conn.close()

    def flush(self, conn: Any) -> None:
        """Write what is waiting (one transaction), then acknowledge it; on failure it waits
        again, in order."""
        mark = time.time()  # everything received before now is in the queue
        n = len(self._q)
        if not n and self.worker is None:
            return
        items = [self._q.popleft() for _ in range(n)]
        prefix, part_of = self.prefix, self.part_of
        try:
            pginbox.put(
                conn,
                self.community,
                ((part_of(_device_of(t, prefix)), t, p, at) for t, p, _a, at in items),
                self.worker,
                mark,
            )
        except BaseException:
            self._q.extendleft(reversed(items))
            raise
        self.written += n
        for _t, _p, ack, _d in items:
            if ack is not None:
                ack()


class InboxFeed:
    """A partition's leader drains its inbox (the pipeline's feed): rows in the order they were
    received, once every worker has written what it received before them
    (``twin.state.pginbox``), woken by NOTIFY; a row is deleted by the batch that applied it."""

    name = "inbox"
    done = False

    def __init__(self, url: str, community: str, part: int) -> None:
        self.url, self.community, self.part = url, community, part
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inflight: set[int] = set()
        self._applied: list[int] = []
        self._lock = threading.Lock()
        self.read = 0
        self.applied = 0
        self.connected = False

    def clock(self) -> float:
        return time.time()

    def info(self) -> dict[str, Any]:
        return {
            "feed": "inbox",
            "part": self.part,
            "connected": self.connected,
            "read": self.read,
            "applied": self.applied,
        }

    def start(self, pipeline: Any) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(pipeline,), name=f"twin-inbox-{self.part}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _ack(self, seq: int) -> None:
        with self._lock:
            self._applied.append(seq)

    def _run(self, pipeline: Any) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    self._drain(conn, pipeline)
                    return
            except (psycopg.Error, OSError) as exc:
                self.connected = False
                log.error("partition %d cannot read its inbox (%s); retrying", self.part, exc)
                self._stop.wait(1.0)

    def _drain(self, conn: Any, pipeline: Any) -> None:
        c, part = self.community, self.part
        conn.execute(f"LISTEN {pginbox.CHANNEL}")
        self.connected = True
        while True:
            stopping = self._stop.is_set()
            with self._lock:
                applied, self._applied = self._applied, []
            if applied:  # deleted by the batches that applied them
                self._inflight.difference_update(applied)
                self.applied += len(applied)
            if stopping:
                return
            if pipeline.pending > 200_000:  # the pipeline is behind: let it catch up
                self._stop.wait(0.05)
                continue
            rows = pginbox.take(conn, c, part)
            fresh = [r for r in rows if r[0] not in self._inflight]
            with pipeline.intake:  # one batch: the pipeline orders each device's messages
                for seq, topic, payload in fresh:
                    self._inflight.add(seq)
                    # dup: a device event written twice (a session taken over) is stored once
                    pipeline.submit_raw(topic, bytes(payload), _Receipt(self, seq), True)
            self.read += len(fresh)
            if not fresh:
                for _n in conn.notifies(timeout=0.1, stop_after=1):
                    pass


class _Receipt:
    """A row's acknowledgement: its deletion is written with the batch that applied it."""

    __slots__ = ("feed", "receipt", "seq")

    def __init__(self, feed: InboxFeed, seq: int) -> None:
        self.feed, self.seq = feed, seq
        self.receipt = ("inbox_done", (feed.part, seq))

    def __call__(self) -> None:
        self.feed._ack(self.seq)


@dataclass
class Worker:
    """One ingest worker of a community (see the module)."""

    scene: Scene
    url: str
    mqtt: str
    partitions: int = 2
    people_kinds: frozenset[str] = PEOPLE_KINDS_DEFAULT
    start_people: Callable[[Live], None] | None = None
    """Called on partition 0's session before it starts (the personnel rules live there)."""
    client_id: str = field(default="")
    leaders: dict[int, Live] = field(default_factory=dict)
    adopted: dict[str, tuple[MqttFeed, InboxSink, int]] = field(default_factory=dict)
    taken_over: int = 0
    raised: int = 0
    """Events raised by the partitions this worker led and gave up."""

    def __post_init__(self) -> None:
        slug = "".join(ch if ch.isalnum() else "-" for ch in self.scene.name.lower())[:40]
        self.client_id = self.client_id or f"twin-{slug}-{uuid.uuid4().hex[:8]}"
        self.group = f"twin-{slug}"
        self.prefix = scene_prefix(self.scene)
        kinds = {d.id: d.kind for d in self.scene.devices}
        n = self.partitions

        def part_of(device_id: str) -> int:
            return pginbox.partition_of(device_id, n, kinds.get(device_id) in self.people_kinds)

        self.part_of = part_of
        # reachable, not a superuser, a member of the community, the schema migrated
        PgEventStore(self.url, self.scene.name).close()
        self._lockconn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        pginbox.register_worker(
            self._lockconn,
            self.scene.name,
            self.client_id,
            socket.gethostname(),
            os.getpid(),
            self.partitions,
        )
        self.sink = InboxSink(self.url, self.scene.name, self.prefix, part_of, self.client_id)
        self.feed = MqttFeed(self.mqtt, self.prefix, share=self.group, client_id=self.client_id)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.sink.start()
        self.feed.start(self.sink)  # type: ignore[arg-type]
        self.manage()
        self._thread = threading.Thread(target=self._run, name="twin-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(MANAGE_S):
            try:
                self.manage()
            except (psycopg.Error, OSError) as exc:
                log.error("worker %s: cannot manage its partitions (%s)", self.client_id, exc)

    def manage(self) -> None:
        """Take or give up partitions to this worker's share; take over dead workers."""
        conn, c = self._lockconn, self.scene.name
        registered = pginbox.workers(conn, c)
        alive = max(1, sum(1 for cid, _k, ok in registered if ok and cid not in self.adopted))
        share = math.ceil(self.partitions / alive)
        for part in range(self.partitions):
            if len(self.leaders) >= share:
                break
            if part not in self.leaders and pginbox.try_lock(
                conn, pginbox.PART_LOCK, pginbox.lock_key(f"{c}:{part}")
            ):
                self.leaders[part] = self._lead(part)
        while len(self.leaders) > share:
            self._release(max(self.leaders))
        for cid, key, ok in registered:
            if ok or cid == self.client_id or cid in self.adopted:
                continue
            if pginbox.try_lock(conn, pginbox.WORKER_LOCK, key):
                log.warning(
                    "worker %s is gone: its MQTT session is taken over by %s", cid, self.client_id
                )
                mark = pginbox.flushed_until(conn, c, cid)
                sink = InboxSink(self.url, c, self.prefix, self.part_of, None, mark)
                sink.start()
                feed = MqttFeed(self.mqtt, self.prefix, self.group, client_id=cid, adopt=True)
                feed.start(sink)  # type: ignore[arg-type]
                self.adopted[cid] = (feed, sink, key)
        for cid, (feed, sink, key) in list(self.adopted.items()):
            if feed.ever_connected and time.monotonic() - feed.last_message >= ADOPT_IDLE_S:
                feed.stop(end_session=True)
                sink.stop()  # written before the mark moves on
                pginbox.forget_worker(conn, c, cid)
                pginbox.unlock(conn, pginbox.WORKER_LOCK, key)
                del self.adopted[cid]
                self.taken_over += 1
                log.warning(
                    "worker %s's session drained (%d message(s) written) and closed",
                    cid,
                    sink.written,
                )

    def _lead(self, part: int) -> Live:
        devices = [d for d in self.scene.devices if self.part_of(d.id) == part]
        feed = InboxFeed(self.url, self.scene.name, part)
        live = open_live(self.scene, self.url, feed, devices=devices)
        live.pipeline.late_transitions = True  # messages of several workers: see pginbox
        try:
            if part == 0 and self.start_people is not None:
                self.start_people(live)
            live.start()
        except BaseException:
            live.close()
            raise
        log.info("worker %s leads partition %d (%d devices)", self.client_id, part, len(devices))
        return live

    def _release(self, part: int) -> None:
        live = self.leaders.pop(part)
        live.close()
        self.raised += live.pipeline.events_raised
        pginbox.unlock(
            self._lockconn, pginbox.PART_LOCK, pginbox.lock_key(f"{self.scene.name}:{part}")
        )
        log.info("worker %s gives partition %d up", self.client_id, part)

    def stop(self) -> None:
        """Stop receiving (the broker's session ended), write what was received, stop leading,
        and leave the register."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self.feed.stop(end_session=True)
        for feed, sink, _key in self.adopted.values():
            feed.stop()
            sink.stop()
        self.sink.stop()
        for part in sorted(self.leaders):
            self._release(part)
        try:
            pginbox.forget_worker(self._lockconn, self.scene.name, self.client_id)
        finally:
            self._lockconn.close()

    def summary(self) -> dict[str, Any]:
        raised = self.raised + sum(live.pipeline.events_raised for live in self.leaders.values())
        return {
            "worker": self.client_id,
            "partitions": sorted(self.leaders),
            "received": self.sink.written,
            "events_raised": raised,
            "sessions_taken_over": self.taken_over,
            "feed": self.feed.info(),
        }
