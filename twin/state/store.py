"""The StateStore: every device's status, last-seen time and latest readings.

Status, in order of precedence: ``unknown`` (nothing heard yet), ``offline`` (three
heartbeats missed, per the kind's heartbeat in the catalogue), ``alarm`` (an active condition of
severity critical or major), ``fault`` (an active fault condition, or a minor one), ``online``.
Batches are applied at once and return the ids that changed, so the renderer restyles only
those (one array write per kind).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from twin.scene.catalogue import CATALOGUE, STATUSES
from twin.scene.entities import Device

PRECEDENCE = ("unknown", "offline", "alarm", "fault", "online")
"""The device statuses of the catalogue, strongest first (``derive_status`` applies them in this
order)."""
assert set(PRECEDENCE) == set(STATUSES)
MISSED_HEARTBEATS = 3


@dataclass
class DeviceState:
    """What the twin knows of one device: status, last seen, readings and their times,
    conditions."""

    device_id: str
    kind: str
    heartbeat_s: float
    status: str = "unknown"
    last_seen: float | None = None
    readings: dict[str, Any] = field(default_factory=dict)
    reading_ts: dict[str, float] = field(default_factory=dict)
    alarms: set[str] = field(default_factory=set)
    """Rule ids of this device's active alarm conditions (see ``StateStore.apply_changes``)."""
    faults: set[str] = field(default_factory=set)

    def derive_status(self, now: float) -> str:
        """The status at ``now``, by precedence: unknown, offline, alarm, fault, online."""
        if self.last_seen is None:
            return "unknown"
        if now - self.last_seen > MISSED_HEARTBEATS * self.heartbeat_s:
            return "offline"
        if self.alarms:
            return "alarm"
        if self.faults:
            return "fault"
        return "online"


@dataclass(frozen=True)
class Message:
    """Valid readings of one device at one time (after parsing and checking)."""

    device_id: str
    ts: float
    readings: dict[str, Any]


class _RuleLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def makes_fault(self) -> bool: ...


class Transition(Protocol):
    """A condition that started or ended (``twin.state.rules.Change``)."""

    @property
    def device_id(self) -> str:
        """The device."""

    @property
    def rule(self) -> _RuleLike:
        """The rule whose condition started or ended."""

    @property
    def raised(self) -> bool:
        """True when it started, False when it ended."""


class StateStore:
    """Latest value per device and reading; the latest timestamp wins, whatever the order of
    arrival (equal timestamps: the later arrival wins)."""

    def __init__(self, devices: list[Device]) -> None:
        self.states: dict[str, DeviceState] = {
            d.id: DeviceState(d.id, d.kind, float(CATALOGUE[d.kind].heartbeat_s)) for d in devices
        }

    def __contains__(self, device_id: str) -> bool:
        return device_id in self.states

    def get(self, device_id: str) -> DeviceState:
        """The state of ``device_id`` (KeyError for an unknown id)."""
        return self.states[device_id]

    def apply(self, batch: list[Message], now: float) -> set[str]:
        """Apply a batch of messages; returns the ids whose readings or status changed."""
        touched: set[str] = set()
        heard: set[str] = set()
        for m in batch:
            st = self.states.get(m.device_id)
            if st is None:
                continue
            heard.add(m.device_id)
            if apply_message(st, m):
                touched.add(m.device_id)
        # a message with no readings is still a heartbeat: every device heard is re-derived
        return touched | self.refresh_status(heard, now)

    def refresh_status(self, ids: set[str] | None, now: float) -> set[str]:
        """Re-derive the status of ``ids`` (all devices when None); returns those that changed
        (heartbeat timeouts need this called every few seconds)."""
        changed = set()
        for device_id in self.states if ids is None else ids:
            st = self.states[device_id]
            status = st.derive_status(now)
            if status != st.status:
                st.status = status
                changed.add(device_id)
        return changed

    def apply_changes(self, changes: Iterable[Transition], now: float | None) -> set[str]:
        """Hold or drop the conditions the rules engine found started or ended, and re-derive
        those devices' statuses (not when ``now`` is None: at a restart, before the first
        batch derives everyone's); returns the devices whose status changed."""
        ids = set()
        for c in changes:
            st = self.states.get(c.device_id)
            if st is None:
                continue
            target = st.faults if c.rule.makes_fault else st.alarms
            (target.add if c.raised else target.discard)(c.rule.id)
            ids.add(c.device_id)
        return self.refresh_status(ids, now) if ids and now is not None else set()

    def counts(self) -> dict[str, int]:
        """Number of devices per status."""
        out = dict.fromkeys(PRECEDENCE, 0)
        for st in self.states.values():
            out[st.status] += 1
        return out


_MISSING = object()


def changes_nothing(st: DeviceState, m: Message) -> bool:
    """Whether :func:`apply_message` would change no value: every reading equal to the one held,
    or older than it."""
    readings, stamps = st.readings, st.reading_ts
    for name, value in m.readings.items():
        if m.ts >= stamps.get(name, float("-inf")) and readings.get(name, _MISSING) != value:
            return False
    return True


def apply_message(st: DeviceState, m: Message) -> bool:
    """Apply one message's readings (each only if not older than the value held); True when a
    value changed."""
    touched = False
    readings, stamps = st.readings, st.reading_ts
    for name, value in m.readings.items():
        if m.ts >= stamps.get(name, float("-inf")):
            if not touched and readings.get(name, _MISSING) != value:
                touched = True
            readings[name] = value
            stamps[name] = m.ts
    if st.last_seen is None or m.ts > st.last_seen:
        st.last_seen = m.ts
    return touched
