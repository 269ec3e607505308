"""An access event as a gate, a barrier or a door sensor reports it, and a register row as the
twin stores it (pseudonymised)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessEvent:
    """Someone passed a gate or a barrier (``in`` / ``out``), or a door sensor saw its
    household (``seen``). ``token`` and ``plate`` are clear text: they exist only between the
    feed and :class:`twin.state.peoplewatch.PeopleWatch`, which hashes them at once."""

    device_id: str
    ts: float
    direction: str
    method: str
    token: str = ""
    plate: str = ""
    source_id: str | None = None
    """The sender's own id (stored once per id)."""


@dataclass(frozen=True)
class Registered:
    """One person of the register as stored: keyed hashes, encrypted name and plate."""

    pid: int
    subject: str
    plate: str | None
    category: str
    household: str
    building: str
    unit: str
    care: bool
    interval_s: float | None
    door_sensor: str | None
    valid_from: float | None
    valid_to: float | None
    name_enc: bytes | None
    plate_enc: bytes | None
    name_mask: str
    plate_mask: str
    since: float
    """When the twin first knew this person (a never-seen cared-for resident falls due from
    here)."""
