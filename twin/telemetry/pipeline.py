"""The live pipeline: feed -> parse -> state -> rules -> events and history, in batches.

Feeds (the paho network thread, the simulator, the replay) only append to a queue; they never
parse, lock or touch the state, so a flood cannot stall them or the GUI. One worker thread
drains the queue every ``tick_s`` (50 ms): it parses the raw messages, applies the whole batch
to the :class:`~twin.state.store.StateStore`, re-derives offline devices once a second,
evaluates the rules on the devices that changed, writes raised and cleared events to the
event log in one transaction, hands the batch to the history writer thread, and tells
listeners which devices changed (the renderer restyles those with one array write per kind).
The shell uses this same class; ``twin run --headless`` is the pipeline without a window.

No alarm lost, none invented:

* A device with several messages in one batch is evaluated between them whenever a later one
  changes a value, so a lid that opens and closes within 50 ms raises and clears its event.
* Flood control (``twin.telemetry.flood``) only drops messages that change nothing.
* The event log is the truth about active conditions. With every batch of raises and clears
  the state of the devices concerned is written in the same transaction; a restart resumes
  from the reading history overlaid with that state (the newer value of each reading wins),
  so it never re-raises a condition the log shows cleared.
* QoS 1 device events are acknowledged to the broker only once their batch is committed (the
  broker redelivers what a crash interrupted; redeliveries are recognised by key).
* When the event log cannot be written (full disk, I/O error, read-only file system) the
  batch's raises and clears are kept in memory, in order, and retried every second until
  written; :meth:`Pipeline.health` says so and why. Up to :data:`MAX_UNWRITTEN` are kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from twin.scene.entities import Device
from twin.scene.people import RETENTION_DAYS
from twin.state.access import AccessEvent
from twin.state.events import Event, EventStore, iso_utc
from twin.state.history import HistoryStore, HistoryWriter, LatestState, dumps_readings
from twin.state.peoplelog import prune_access
from twin.state.peoplewatch import PeopleWatch
from twin.state.rules import Change, Rule, RuleEngine
from twin.state.store import Message, StateStore, apply_message, changes_nothing
from twin.state.storeerrors import store_errors
from twin.telemetry.flood import FloodGate
from twin.telemetry.parse import ExternalEvent, Parser

log = logging.getLogger("twin.pipeline")

TICK_S = 0.05
OFFLINE_CHECK_S = 1.0
MAX_QUEUE = 1_000_000
MAX_QUEUE_BYTES = 256 * 1024 * 1024
"""Raw messages waiting beyond a million or 256 MB are dropped and counted as ``overload`` (a
memory bound under a flood from many devices at once)."""
HISTORY_FLUSH_S = 1.0
PEOPLE_CHECK_S = 10.0
"""How often care checks and overstaying visitors are looked for (pipeline time)."""
PRUNE_S = 3600.0
"""How often access events past their retention are deleted."""
RETRY_S = 1.0
"""How often a failing event log is tried again."""
MAX_UNWRITTEN = 100_000
"""Raises and clears kept in memory while the event log cannot be written; beyond, a batch's
are dropped and counted (``events_dropped``), loudly."""


@dataclass
class TickResult:
    """What one batch did."""

    now: float
    changed: set[str]
    """Devices whose readings or status changed (restyle these)."""
    raised: list[Event] = field(default_factory=list)
    cleared: list[Event] = field(default_factory=list)
    """Events cleared (a seat: every event changed, by whoever changed it)."""
    messages: list[Message] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """Sentences for the operator (a seat: what another desk did, a queued step refused)."""


@dataclass
class _Batch:
    """What one batch has to write to the event log, and the acknowledgements that wait for it."""

    ops: list[tuple[str, Any]]
    states: dict[str, dict[str, Any]]
    acks: list[Callable[[], None]]


def _ts(m: Message) -> float:
    return m.ts


def message_key(topic: str, payload: bytes | str) -> str:
    """A received message's identity: redeliveries of it have the same key."""
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    return hashlib.blake2b(
        topic.encode("utf-8", "surrogatepass") + b"\0" + data, digest_size=16
    ).hexdigest()


class Pipeline:
    """The whole live path for one scene.

    Parameters
    ----------
    devices : list of Device
        The scene's devices.
    events : EventStore
        The event log (reloaded: active conditions are not raised again after a restart).
    rules : list of Rule
    prefix : str
        MQTT topic prefix (``twin/{scene name}`` or the scene file's ``[mqtt] prefix``).
    history : HistoryStore, optional
        Reading history and latest state; resumed from when given.
    clock : callable
        The pipeline's time (wall time for MQTT, sim or replay time for those feeds).
    local_hour : callable, optional
        Local hour of an epoch time, for day / night rules (the scene's time zone).
    people : PeopleWatch, optional
        The personnel rules (access events are stored without them, unidentified).
    retention_days : float
        Access events older than this are deleted (at start and every hour).
    """

    def __init__(
        self,
        devices: list[Device],
        events: EventStore,
        rules: list[Rule],
        prefix: str,
        history: HistoryStore | None = None,
        clock: Callable[[], float] = time.time,
        local_hour: Callable[[float], int] | None = None,
        people: PeopleWatch | None = None,
        retention_days: float = RETENTION_DAYS,
    ) -> None:
        self.devices = {d.id: d for d in devices}
        self.people = people
        self.retention_days = retention_days
        self._last_people = float("-inf")
        self._last_prune = float("-inf")
        self.clock = clock
        self.store = StateStore(devices)
        self.parser = Parser({d.id: d.kind for d in devices}, prefix, clock)
        self.gate = FloodGate()
        self.events = events
        self.history = history
        self._resume(history, events)
        self.engine = RuleEngine(rules, self.store, events.active_conditions(), local_hour)
        self.store.apply_changes(self.engine.held(), None)
        self.writer = HistoryWriter(history) if history is not None else None
        self.late_transitions = False
        """For a partition's leader, whose messages come from several workers: each batch's
        messages in their devices' time order, and what a message older than the state held
        raised and cleared (``RuleEngine.late``). Off for one connection, whose order MQTT
        keeps."""
        self.flush_s = HISTORY_FLUSH_S
        """How often the history and the latest state are handed to the writer (shorter on the
        shared database, where seats follow the latest state)."""
        self.history_error: str | None = None
        """Why there is no history (set by whoever opened the pipeline without one)."""
        self.lock = threading.RLock()
        """Held while a batch is applied; hold it to read :attr:`store` from another thread."""
        self.listeners: list[Callable[[TickResult], None]] = []
        self.overload = 0
        self.events_raised = 0
        self.events_dropped = 0
        self.duplicates = 0
        self.feed_info: Callable[[], dict[str, Any]] = dict
        """The feed's state (connected, since, reconnects, last error), asked at every flush."""
        self.status_sink: Callable[[dict[str, Any]], None] | None = None
        """Called once a second with :meth:`status` (the live status file other processes read)."""
        self._raw: deque[tuple[str, bytes, Callable[[], None] | None, bool]] = deque()
        self.intake = threading.Lock()
        """Held by a feed that hands over a group of messages that must be one batch (a
        partition leader's rows released together after a takeover)."""
        self._raw_bytes = 0
        self._parsed: deque[Message | ExternalEvent | AccessEvent] = deque()
        self._unwritten: list[_Batch] = []
        self._unwritten_ops = 0
        self._log_error: str | None = None
        self._log_error_since: float | None = None
        self._last_try = float("-inf")
        self._last_offline = float("-inf")
        self._last_flush = float("-inf")
        self._pending_rows: list[tuple[str, float, str]] = []
        self._pending_latest: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _resume(self, history: HistoryStore | None, events: EventStore) -> None:
        """Device state from the history's latest snapshot, overlaid with the state the event
        log wrote with each device's last raise or clear: per reading the newer value wins, so
        the state agrees with the log even when the history lags behind it (a crash)."""
        states = self.store.states
        if history is not None:
            for s in history.latest():
                st = states.get(s.device_id)
                if st is None or st.kind != s.kind:
                    continue
                st.readings.update(s.readings)
                st.last_seen = s.last_seen
                if s.last_seen is not None:
                    st.reading_ts = {
                        k: (s.reading_ts or {}).get(k, s.last_seen) for k in s.readings
                    }
            stats = history.meta("ingest") or {}
            self.parser.stats.accepted = int(stats.get("accepted", 0))
            self.parser.stats.rejected.update(stats.get("rejected", {}))
            self.parser.stats.readings_rejected.update(stats.get("readings_rejected", {}))
            self.parser.stats.adjusted.update(stats.get("adjusted", {}))
        for device_id, logged in events.device_states().items():
            st = states.get(device_id)
            if st is None:
                continue
            stamps = logged.get("reading_ts") or {}
            for name, value in (logged.get("readings") or {}).items():
                ts = stamps.get(name)
                if isinstance(ts, int | float) and ts >= st.reading_ts.get(name, float("-inf")):
                    st.readings[name] = value
                    st.reading_ts[name] = float(ts)
            seen = logged.get("last_seen")
            if isinstance(seen, int | float) and (st.last_seen is None or seen > st.last_seen):
                st.last_seen = float(seen)

    # -- feeds' side (any thread, never blocks) ------------------------------------------------
    def submit_raw(
        self, topic: str, payload: bytes, ack: Callable[[], None] | None = None, dup: bool = False
    ) -> None:
        """Queue a raw message. ``ack`` (QoS 1) is called once the message is durable: its
        event committed, or it was rejected. ``dup``: the broker flagged it as a redelivery."""
        if len(self._raw) >= MAX_QUEUE or self._raw_bytes >= MAX_QUEUE_BYTES:
            self.overload += 1  # not acknowledged: a QoS 1 message comes again
            return
        self._raw_bytes += len(payload)  # approximate under races; a bound, not an account
        self._raw.append((topic, payload, ack, dup))

    def submit(self, items: Iterable[Message | ExternalEvent | AccessEvent]) -> None:
        self._parsed.extend(items)

    @property
    def pending(self) -> int:
        return len(self._raw) + len(self._parsed)

    # -- the worker ----------------------------------------------------------------------------
    def process(self, now: float | None = None) -> TickResult:
        """Drain the queues and apply everything as one batch (the worker calls this each tick;
        tests and ``twin render --at`` call it directly)."""
        now = self.clock() if now is None else now
        msgs: list[Message] = []
        external: list[tuple[ExternalEvent, str | None, bool]] = []
        access: list[tuple[AccessEvent, str | None, bool]] = []
        acks: list[Callable[[], None]] = []
        parse = self.parser.parse
        raw = self._raw
        with self.intake:
            taken = [raw.popleft() for _ in range(len(raw))]
        for topic, payload, ack, dup in taken:
            self._raw_bytes -= len(payload)
            if ack is not None:
                acks.append(ack)
            try:
                item = parse(topic, payload)
            except Exception:  # a message nobody foresaw must not cost the batch
                log.exception(
                    "could not parse a message on %r (dropped, counted as internal)", topic[:200]
                )
                self.parser.stats.rejected["internal"] += 1
                continue
            if item is None:
                continue
            if isinstance(item, Message):
                msgs.append(item)
            elif isinstance(item, AccessEvent):
                access.append((item, message_key(topic, payload) if ack is not None else None, dup))
            else:
                external.append(
                    (item, message_key(topic, payload) if ack is not None else None, dup)
                )
        parsed = self._parsed
        n = len(parsed)
        self.parser.stats.accepted += n  # made valid by our own simulator or replay
        for _ in range(n):
            item = parsed.popleft()
            if isinstance(item, Message):
                msgs.append(item)
            elif isinstance(item, AccessEvent):
                access.append((item, None, False))
            else:
                external.append((item, None, False))
        if self.late_transitions:  # several workers' messages: each device's in its own order
            msgs.sort(key=_ts)
        with self.lock:
            changed, changes, msgs = self._apply(msgs, now)
            if now - self._last_offline >= OFFLINE_CHECK_S or now < self._last_offline:
                changed |= self.store.refresh_status(None, now)
                self._last_offline = now
            if changed:
                found = self.engine.evaluate(changed, now)
                changed |= self.store.apply_changes(found, now)
                changes += found
            changed |= {c.device_id for c in changes}
            states = {c.device_id: self._snapshot(c.device_id) for c in changes}
        result = TickResult(now, changed, messages=msgs)
        batch = self._batch(changes, external, states, acks)
        batch.ops += self._people_ops(access, msgs, now)
        self._commit(batch, result, now)
        if now - self._last_prune >= PRUNE_S or now < self._last_prune:
            self._prune(now)
        if self.writer is not None:
            self._pending_rows += [(m.device_id, m.ts, dumps_readings(m.readings)) for m in msgs]
            self._pending_latest |= changed
            if now - self._last_flush >= self.flush_s or now < self._last_flush:
                self.flush_history(now)
        elif now - self._last_flush >= self.flush_s or now < self._last_flush:
            self._last_flush = now
            self._publish_status(now)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:  # a broken listener must not stop ingest
                log.exception("pipeline listener failed")
        return result

    def _apply(
        self, msgs: list[Message], now: float
    ) -> tuple[set[str], list[Change], list[Message]]:
        """Apply messages in order. A device whose readings changed earlier in the batch is
        evaluated before a later message changes them again, so every transition is seen.
        Returns the devices changed, the changes found between messages and the messages
        applied (those flood control kept)."""
        states, gate, store, engine = self.store.states, self.gate, self.store, self.engine
        late = self.late_transitions
        changed: set[str] = set()
        dirty: set[str] = set()
        heard: set[str] = set()
        changes: list[Change] = []
        applied: list[Message] = []
        flood = 0
        for m in msgs:
            st = states.get(m.device_id)
            if st is None:
                continue
            if gate.over(m.device_id, now) and changes_nothing(st, m):
                flood += 1
                continue
            if late and st.last_seen is not None and m.ts < st.last_seen:
                found = engine.late(st, m.readings, m.ts)
                if found:
                    changes += found
                    changed.add(m.device_id)
            if m.device_id in dirty and not changes_nothing(st, m):
                changed |= store.refresh_status({m.device_id}, now)
                found = engine.evaluate((m.device_id,), now)
                changed |= store.apply_changes(found, now)
                changes += found
                dirty.discard(m.device_id)
            if apply_message(st, m):
                dirty.add(m.device_id)
                changed.add(m.device_id)
            heard.add(m.device_id)
            applied.append(m)
        if flood:
            self.parser.stats.accepted -= flood
            self.parser.stats.rejected["flood"] += flood
        # a message with no new values is still a heartbeat: every device heard is re-derived
        changed |= store.refresh_status(heard, now)
        return changed, changes, applied

    def _people_ops(
        self, access: list[tuple[AccessEvent, str | None, bool]], msgs: list[Message], now: float
    ) -> list[tuple[str, Any]]:
        """Access events (and door sensors of households that opted in opening) as batch
        operations, with the care checks and overstays due."""
        people = self.people
        ops: list[tuple[str, Any]] = []
        if people is not None and people.by_door:
            doors = people.by_door
            access = access + [
                (AccessEvent(m.device_id, m.ts, "seen", "door"), None, False)
                for m in msgs
                if m.device_id in doors and m.readings.get("open") is True
            ]
        for a, key, dup in sorted(access, key=lambda x: x[0].ts):
            if people is not None:
                ops += people.access(a, key, dup)
            else:
                row = {"ts": a.ts, "device_id": a.device_id, "direction": a.direction}
                row |= {"method": a.method, "category": "unidentified", "key": key, "dup": dup}
                ops.append(("access", row | {"source_id": a.source_id}))
        if people is not None and (
            now - self._last_people >= PEOPLE_CHECK_S or now < self._last_people
        ):
            self._last_people = now
            ops += people.check(now)
        return ops

    def _prune(self, now: float) -> None:
        self._last_prune = now
        try:
            n = prune_access(self.events, now, self.retention_days)
        except store_errors() as exc:
            log.warning("could not delete access events past their retention (%s)", exc)
            return
        if n:
            log.info("deleted %d access event(s) older than %g days", n, self.retention_days)

    def _snapshot(self, device_id: str) -> dict[str, Any]:
        st = self.store.states[device_id]
        return {
            "last_seen": st.last_seen,
            "readings": dict(st.readings),
            "reading_ts": dict(st.reading_ts),
        }

    def _batch(
        self,
        changes: list[Change],
        external: list[tuple[ExternalEvent, str | None, bool]],
        states: dict[str, dict[str, Any]],
        acks: list[Callable[[], None]],
    ) -> _Batch:
        ops: list[tuple[str, Any]] = []
        for c in changes:
            if c.raised:
                ops.append(
                    (
                        "raise",
                        {
                            "device_id": c.device_id,
                            "kind": c.kind,
                            "rule_id": c.rule.id,
                            "type": c.rule.id,
                            "severity": c.rule.severity,
                            "message": c.rule.message_en,
                            "data": {"value": c.value, "message_zh": c.rule.message_zh},
                            "at": c.at,
                        },
                    )
                )
            else:
                ops.append(("clear", (c.device_id, c.rule.id, c.at)))
        for e, key, dup in external:
            ops.append(
                (
                    "raise",
                    {
                        "device_id": e.device_id,
                        "kind": self.devices[e.device_id].kind,
                        "rule_id": "event:" + e.type,
                        "type": e.type,
                        "severity": e.severity,
                        "message": str(e.data.get("message", ""))[:500],
                        "data": e.data,
                        "at": e.ts,
                        "source_id": e.source_id,
                        "key": key,
                        "dup": dup,
                    },
                )
            )
        return _Batch(ops, states, acks)

    def _commit(self, batch: _Batch, result: TickResult, now: float) -> None:
        """Write the batch (after any earlier one that could not be written), then acknowledge.
        An acknowledgement with a ``receipt`` (an operation: the inbox rows a leader applied)
        is written in the batch's own transaction, so a row is done exactly when its effects
        are committed."""
        receipts = [r for a in batch.acks if (r := getattr(a, "receipt", None)) is not None]
        batch.ops += receipts
        if not self._unwritten and not batch.ops and not batch.states:
            for ack in batch.acks:
                ack()
            return
        if batch.ops or batch.states or batch.acks:
            self._unwritten.append(batch)
            self._unwritten_ops += len(batch.ops)
        if self._log_error is not None and now - self._last_try < RETRY_S and now >= self._last_try:
            self._bound()
            return
        self._last_try = now
        ops = [op for b in self._unwritten for op in b.ops]
        states: dict[str, dict[str, Any]] = {}
        for b in self._unwritten:
            states.update(b.states)
        try:
            raised, cleared, dups = self.events.write_batch(ops, states)
        except store_errors() as exc:
            text = str(exc)
            if text != self._log_error:
                log.error(
                    "event log %s cannot be written (%s): %d raise(s) "
                    "and clear(s) kept in memory and retried every %g s",
                    self.events.path,
                    text,
                    self._unwritten_ops,
                    RETRY_S,
                )
            if self._log_error is None:
                self._log_error_since = now
            self._log_error = text
            self._bound()
            return
        if self._log_error is not None:
            log.warning(
                "event log %s is written again: %d raise(s) and clear(s) kept in memory are now "
                "stored",
                self.events.path,
                len(ops),
            )
            self._log_error = self._log_error_since = None
        acks = [a for b in self._unwritten for a in b.acks]
        self._unwritten = []
        self._unwritten_ops = 0
        result.raised, result.cleared = raised, cleared
        self.events_raised += len(raised)
        self.duplicates += dups
        for ack in acks:
            ack()

    def _bound(self) -> None:
        while self._unwritten_ops > MAX_UNWRITTEN and len(self._unwritten) > 1:
            dropped = self._unwritten.pop()  # the newest: its QoS 1 messages stay unacknowledged
            self._unwritten_ops -= len(dropped.ops)
            self.events_dropped += len(dropped.ops)
            log.error(
                "event log %s: more than %d raises and clears "
                "wait to be written; %d dropped (%d in all)",
                self.events.path,
                MAX_UNWRITTEN,
                len(dropped.ops),
                self.events_dropped,
            )

    @property
    def unwritten(self) -> int:
        """Raises and clears waiting in memory for the event log."""
        return self._unwritten_ops

    def unwritten_items(self) -> list[tuple[str, Any]]:
        return [op for b in self._unwritten for op in b.ops]

    def health(self) -> dict[str, Any]:
        """Whether the event log and the history are being written, and if not, why."""
        writer = self.writer
        hist_error = writer.error if writer is not None else self.history_error
        return {
            "event_log": {
                "ok": self._log_error is None,
                "error": self._log_error,
                "since": iso_utc(self._log_error_since),
                "unwritten": self._unwritten_ops,
                "dropped": self.events_dropped,
                "path": str(self.events.path),
            },
            "history": {
                "ok": hist_error is None,
                "error": hist_error,
                "enabled": writer is not None,
                "dropped": writer.dropped if writer is not None else 0,
            },
        }

    def status(self, now: float) -> dict[str, Any]:
        """What another process may want to know of this running pipeline."""
        return {
            "clock": now,
            "as_of": iso_utc(now),
            "statuses": self.store.counts(),
            "ingest": self.stats(),
            "feed": self.feed_info(),
            "health": self.health(),
            "events_raised": self.events_raised,
        }

    def _publish_status(self, now: float) -> None:
        if self.status_sink is not None:
            try:
                self.status_sink(self.status(now))
            except Exception:  # the status file is a courtesy, never a reason to stop
                log.debug("could not publish the live status", exc_info=True)

    def flush_history(self, now: float) -> None:
        self._last_flush = now
        self._publish_status(now)
        if self.writer is None:
            return
        with self.lock:
            latest = [
                LatestState(
                    i, st.kind, st.status, st.last_seen, dict(st.readings), dict(st.reading_ts)
                )
                for i in self._pending_latest
                if (st := self.store.states.get(i)) is not None
            ]
        meta = {
            "ingest": self.stats(),
            "clock": now,
            "feed": self.feed_info(),
            "health": self.health(),
            "writer": {"pid": os.getpid(), "host": socket.gethostname(), "written": time.time()},
        }
        self.writer.put(self._pending_rows, latest, meta)
        self._pending_rows = []
        self._pending_latest = set()

    def stats(self) -> dict[str, Any]:
        out = self.parser.stats.as_dict()
        extra = Counter({"overload": self.overload, "duplicate": self.duplicates})
        if +extra:
            out["rejected"] = dict(sorted((Counter(out["rejected"]) + extra).items()))
            out["rejected_total"] += sum(extra.values())
        out["history_dropped"] = self.writer.dropped if self.writer else 0
        return out

    # -- thread --------------------------------------------------------------------------------
    def start(self, tick_s: float = TICK_S) -> None:
        """Run :meth:`process` every ``tick_s`` on a worker thread."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.is_set():
                t0 = time.monotonic()
                try:
                    self.process()
                except Exception:  # keep ingesting; the log says what broke
                    log.exception("pipeline tick failed")
                self._stop.wait(max(0.0, tick_s - (time.monotonic() - t0)))

        self._thread = threading.Thread(target=run, name="twin-pipeline", daemon=True)
        self._thread.start()

    def stop(self, retry_s: float = 5.0) -> None:
        """Stop the worker, apply what is queued, write the history, close the writer. Events
        that cannot be written are retried for ``retry_s``; :attr:`unwritten` tells what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30.0)
            self._thread = None
        self.process()
        end = time.monotonic() + retry_s
        while self._unwritten and time.monotonic() < end:
            time.sleep(min(RETRY_S, 0.5))
            self._last_try = float("-inf")
            self.process()
        self.flush_history(self.clock())
        if self.writer is not None:
            self.writer.close()
