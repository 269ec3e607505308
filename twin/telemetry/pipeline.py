"""The live pipeline: feed -> parse -> state -> rules -> events and history, in batches.

Feeds (the paho network thread, the simulator, the replay) only append to a queue; they never
parse, lock or touch the state, so a flood cannot stall them or the GUI. One worker thread
drains the queue every ``tick_s`` (50 ms): it parses the raw messages, applies the whole batch
to the :class:`~twin.state.store.StateStore`, re-derives offline devices once a second,
evaluates the rules on the devices that changed, writes raised and cleared events to the
event log in one transaction, hands the batch to the history writer thread, and tells
listeners which devices changed (the renderer restyles those with one array write per kind).
The shell uses this same class; ``twin run --headless`` is the pipeline without a window.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twin.scene.entities import Device
from twin.state.events import Event, EventStore
from twin.state.history import HistoryStore, HistoryWriter, LatestState
from twin.state.rules import Change, Rule, RuleEngine
from twin.state.store import Message, StateStore
from twin.telemetry.parse import ExternalEvent, Parser

log = logging.getLogger("twin.pipeline")

TICK_S = 0.05
OFFLINE_CHECK_S = 1.0
MAX_QUEUE = 1_000_000
MAX_QUEUE_BYTES = 256 * 1024 * 1024
"""Raw messages waiting beyond a million or 256 MB are dropped and counted as ``overload`` (a
memory bound under a flood from many devices at once; a flood from one device is cut by the
parser first)."""
HISTORY_FLUSH_S = 1.0


@dataclass
class TickResult:
    """What one batch did."""

    now: float
    changed: set[str]
    """Devices whose readings or status changed (restyle these)."""
    raised: list[Event] = field(default_factory=list)
    cleared: list[Event] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


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
    """

    def __init__(self, devices: list[Device], events: EventStore, rules: list[Rule], prefix: str,
                 history: HistoryStore | None = None, clock: Callable[[], float] = time.time,
                 local_hour: Callable[[float], int] | None = None) -> None:
        self.devices = {d.id: d for d in devices}
        self.clock = clock
        self.store = StateStore(devices)
        self.parser = Parser({d.id: d.kind for d in devices}, prefix, clock)
        self.events = events
        self.history = history
        if history is not None:
            self._resume(history)
        self.engine = RuleEngine(rules, self.store, events.active_conditions(), local_hour)
        self.writer = HistoryWriter(history) if history is not None else None
        self.lock = threading.RLock()
        """Held while a batch is applied; hold it to read :attr:`store` from another thread."""
        self.listeners: list[Callable[[TickResult], None]] = []
        self.overload = 0
        self.events_raised = 0
        self.feed_info: dict[str, Any] = {}
        self._raw: deque[tuple[str, bytes]] = deque()
        self._raw_bytes = 0
        self._parsed: deque[Message | ExternalEvent] = deque()
        self._last_offline = float("-inf")
        self._last_flush = float("-inf")
        self._pending_rows: list[tuple[str, float, str]] = []
        self._pending_latest: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _resume(self, history: HistoryStore) -> None:
        for s in history.latest():
            st = self.store.states.get(s.device_id)
            if st is None or st.kind != s.kind:
                continue
            st.readings.update(s.readings)
            st.last_seen = s.last_seen
            if s.last_seen is not None:
                st.reading_ts = dict.fromkeys(s.readings, s.last_seen)
        stats = history.meta("ingest") or {}
        self.parser.stats.accepted = int(stats.get("accepted", 0))
        self.parser.stats.rejected.update(stats.get("rejected", {}))
        self.parser.stats.readings_rejected.update(stats.get("readings_rejected", {}))

    # -- feeds' side (any thread, never blocks) ------------------------------------------------
    def submit_raw(self, topic: str, payload: bytes) -> None:
        if len(self._raw) >= MAX_QUEUE or self._raw_bytes >= MAX_QUEUE_BYTES:
            self.overload += 1
            return
        self._raw_bytes += len(payload)  # approximate under races; a bound, not an account
        self._raw.append((topic, payload))

    def submit(self, items: list[Message] | list[ExternalEvent] | list[Message | ExternalEvent]) -> None:
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
        external: list[ExternalEvent] = []
        parse = self.parser.parse
        raw = self._raw
        for _ in range(len(raw)):
            topic, payload = raw.popleft()
            self._raw_bytes -= len(payload)
            try:
                item = parse(topic, payload)
            except Exception:  # a message nobody foresaw must not cost the batch
                log.exception("could not parse a message on %s (dropped, counted as internal)", topic[:200])
                self.parser.stats.rejected["internal"] += 1
                continue
            if item is None:
                continue
            (msgs if isinstance(item, Message) else external).append(item)  # type: ignore[arg-type]
        parsed = self._parsed
        n = len(parsed)
        self.parser.stats.accepted += n  # made valid by our own simulator or replay
        for _ in range(n):
            item = parsed.popleft()
            (msgs if isinstance(item, Message) else external).append(item)  # type: ignore[arg-type]
        with self.lock:
            changed = self.store.apply(msgs, now) if msgs else set()
            if now - self._last_offline >= OFFLINE_CHECK_S or now < self._last_offline:
                changed |= self.store.refresh_status(None, now)
                self._last_offline = now
            changes = self.engine.evaluate(changed, now) if changed else []
            changed |= {c.device_id for c in changes}
        result = TickResult(now, changed, messages=msgs)
        if changes or external:
            self._write_events(changes, external, result)
        if self.writer is not None:
            self._pending_rows += [(m.device_id, m.ts, json.dumps(m.readings)) for m in msgs]
            self._pending_latest |= changed
            if now - self._last_flush >= HISTORY_FLUSH_S or now < self._last_flush:
                self.flush_history(now)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:  # a broken listener must not stop ingest
                log.exception("pipeline listener failed")
        return result

    def _write_events(self, changes: list[Change], external: list[ExternalEvent], result: TickResult) -> None:
        raise_items: list[dict[str, Any]] = [
            {"device_id": c.device_id, "kind": c.kind, "rule_id": c.rule.id, "type": c.rule.id,
             "severity": c.rule.severity, "message": c.rule.message_en,
             "data": {"value": c.value, "message_zh": c.rule.message_zh}, "at": c.at}
            for c in changes if c.raised]
        for e in external:
            raise_items.append({"device_id": e.device_id, "kind": self.devices[e.device_id].kind,
                                "rule_id": "event:" + e.type, "type": e.type, "severity": e.severity,
                                "message": str(e.data.get("message", ""))[:500], "data": e.data, "at": e.ts})
        clear_items = [(c.device_id, c.rule.id, c.at) for c in changes if not c.raised]
        if raise_items:
            result.raised = self.events.raise_many(raise_items)
            self.events_raised += len(result.raised)
        if clear_items:
            result.cleared = self.events.clear_many(clear_items)

    def flush_history(self, now: float) -> None:
        if self.writer is None:
            return
        with self.lock:
            latest = [LatestState(i, st.kind, st.status, st.last_seen, dict(st.readings))
                      for i in self._pending_latest if (st := self.store.states.get(i)) is not None]
        meta = {"ingest": self.stats(), "clock": now, "feed": self.feed_info}
        self.writer.put(self._pending_rows, latest, meta)
        self._pending_rows = []
        self._pending_latest = set()
        self._last_flush = now

    def stats(self) -> dict[str, Any]:
        out = self.parser.stats.as_dict()
        if self.overload:
            out["rejected"] = dict(Counter(out["rejected"]) + Counter({"overload": self.overload}))
            out["rejected_total"] += self.overload
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

    def stop(self) -> None:
        """Stop the worker, apply what is queued, write the history, close the writer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30.0)
            self._thread = None
        self.process()
        self.flush_history(self.clock())
        if self.writer is not None:
            self.writer.close()
