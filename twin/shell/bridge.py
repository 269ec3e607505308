"""From the pipeline's worker thread (or a seat's link, ``twin.telemetry.seat``) to the GUI:
each batch's changes are copied off the GUI thread into a pending buffer, and the GUI takes the
whole buffer once per frame (one dict swap, whatever the message rate)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from twin.state.eventrecord import Event
from twin.telemetry.pipeline import TickResult


@dataclass
class Update:
    statuses: dict[str, str] = field(default_factory=dict)
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)
    raised: list[Event] = field(default_factory=list)
    cleared: list[Event] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    now: float | None = None

    def __bool__(self) -> bool:
        return bool(self.statuses or self.readings or self.raised or self.cleared or self.notices)


class LiveBridge:
    """Collects the pipeline's batches for the GUI; :meth:`take` hands them over."""

    def __init__(self, live: Any) -> None:
        self.live = live
        self._lock = threading.Lock()
        self._pending = Update()
        p = live.pipeline
        with p.lock:  # what a resumed pipeline already knows
            for i, st in p.store.states.items():
                self._pending.statuses[i] = st.status
                if st.readings:
                    self._pending.readings[i] = dict(st.readings)
        p.listeners.append(self._on_batch)

    def _on_batch(self, result: TickResult) -> None:
        """Runs on the pipeline's worker thread."""
        p = self.live.pipeline
        statuses: dict[str, str] = {}
        readings: dict[str, dict[str, Any]] = {}
        if result.changed:
            states = p.store.states
            with p.lock:
                for i in result.changed:
                    st = states.get(i)
                    if st is not None:
                        statuses[i] = st.status
                        readings[i] = dict(st.readings)
        with self._lock:
            pend = self._pending
            pend.statuses.update(statuses)
            pend.readings.update(readings)
            pend.raised.extend(result.raised)
            pend.cleared.extend(result.cleared)
            pend.notices.extend(result.notices)
            pend.now = result.now

    def take(self) -> Update:
        """Everything since the last call (GUI thread)."""
        with self._lock:
            out, self._pending = self._pending, Update()
        return out

    def detach(self) -> None:
        try:
            self.live.pipeline.listeners.remove(self._on_batch)
        except ValueError:
            pass
