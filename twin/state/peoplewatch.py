"""The personnel rules: who passed (resident, visitor, stranger), care checks that fall due,
visitors who overstay, strangers at night. They turn access events into the pipeline's batch
operations, so an access event, the care check it clears and the event it raises are written
in one transaction (``EventStore.write_batch``).

Conditions, each raised once while it lasts and cleared when it ends, like the device rules:

* ``care_check`` on ``household:<id>``: none of the household's cared-for residents has passed a
  gate or a barrier, and its door sensor (when the household opted in) has not seen anyone, for
  longer than their check interval. Raised at the moment the interval ran out (not when it was
  noticed); cleared by the next passage or door opening. A task for staff in the event
  lifecycle: acknowledged, dispatched to a staff member, closed with a note.
* ``visitor_overstay:<pseudonym>`` on ``household:<host>``: a registered visitor still on site
  after their validity (or :data:`~twin.scene.people.VISIT_HOURS` after coming in when it has
  no end); cleared when they leave.
* ``stranger_at_night`` at the gate: someone not in the register entered between
  :data:`~twin.scene.people.NIGHT_FROM_H` and :data:`~twin.scene.people.NIGHT_TO_H` local
  time; one event per stranger per night (its source id), for staff to verify in person. The
  twin never acts on a person by itself.

Clear identifiers are hashed here, at the first step, and dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from twin.scene.people import NIGHT_TO_H, VISIT_HOURS, is_night, mask_plate
from twin.state.access import AccessEvent, Registered
from twin.state.pseudonym import Pseudonymiser

CARE_RULE = "care_check"
OVERSTAY_RULE = "visitor_overstay"
STRANGER_RULE = "stranger_at_night"
MAX_FLAGGED = 10
"""Strangers flagged per gate per night at most: beyond, entries are still stored and counted
in the view, but a flood of invented tokens cannot bury the alarm list."""
HOUSEHOLD_KIND = "household"
"""The ``kind`` of events about a household (care checks, a host's overstaying visitor)."""
MESSAGES: dict[str, tuple[str, str]] = {
    CARE_RULE: (
        "Care check due: not seen for longer than the check interval",
        "关爱探访：超时未出现",
    ),
    OVERSTAY_RULE: ("Visitor still on site after their visit ended", "访客逾期未离开"),
    STRANGER_RULE: ("Stranger entered at night: verify in person", "陌生人夜间进入：请现场核实"),
}
"""English and Chinese texts of the personnel events (the alarm list shows them)."""


def household_target(household: str) -> str:
    """The event log's ``device_id`` of events about a household."""
    return f"{HOUSEHOLD_KIND}:{household}"


@dataclass
class _Visit:
    subject: str
    host: str
    device_id: str
    end: float


class PeopleWatch:
    """The personnel rules over one community's register.

    Parameters
    ----------
    pseud : Pseudonymiser
        The community's key (hashes the identifiers of access events).
    register : list of Registered
        The register as stored.
    kinds : mapping
        Device id -> kind (of the gates, barriers and door sensors that report).
    local_hour : callable
        Local hour (0-23) of an epoch time.
    seen : mapping
        ``{subject: (last time, direction)}`` from the access events kept (a restart).
    doors : mapping
        ``{household: last door-sensor time}``.
    active : iterable of (device_id, rule_id)
        Conditions the event log holds active (not raised again).
    """

    def __init__(
        self,
        pseud: Pseudonymiser,
        register: list[Registered],
        kinds: Mapping[str, str],
        local_hour: Callable[[float], int],
        seen: Mapping[str, tuple[float, str]] | None = None,
        doors: Mapping[str, float] | None = None,
        active: Iterable[tuple[str, str]] = (),
        local_day: Callable[[float], str] | None = None,
    ) -> None:
        self.pseud = pseud
        self.kinds = kinds
        self.local_hour = local_hour
        self.local_day = local_day or (lambda t: str(int(t // 86400)))
        self.by_subject = {p.subject: p for p in register}
        self.by_plate = {p.plate: p for p in register if p.plate}
        self.by_door: dict[str, str] = {
            p.door_sensor: p.household for p in register if p.door_sensor
        }
        self.care: dict[str, list[Registered]] = {}
        for p in register:
            if p.care and p.category == "resident":
                self.care.setdefault(p.household, []).append(p)
        self.seen: dict[str, float] = {s: t for s, (t, _d) in (seen or {}).items()}
        self.doors: dict[str, float] = dict(doors or {})
        self.active: set[tuple[str, str]] = {
            (d, r) for d, r in active if r == CARE_RULE or r.startswith(OVERSTAY_RULE + ":")
        }
        self._flagged: dict[tuple[str, str], set[str]] = {}
        self.visits: dict[str, _Visit] = {}
        for s, (t, direction) in (seen or {}).items():
            v = self.by_subject.get(s)
            if v is not None and v.category == "visitor" and direction == "in":
                self.visits[s] = _Visit(s, v.household, "", self._visit_end(v, t))

    # -- what came in --------------------------------------------------------------------
    def access(
        self, a: AccessEvent, key: str | None = None, dup: bool = False
    ) -> list[tuple[str, Any]]:
        """The batch operations of one access event: the row to store and the raises and
        clears it causes."""
        subject = self.pseud.pseudonym(a.token) if a.token.strip() else None
        plate = self.pseud.pseudonym(a.plate) if a.plate.strip() else None
        person: Registered | None = self.by_subject.get(subject or "") or self.by_plate.get(
            plate or ""
        )
        household = self.by_door.get(a.device_id) if a.method == "door" else None
        if person is not None:
            category, subject, household = person.category, person.subject, person.household
        elif household is not None:
            category = "resident"
        else:
            category = "stranger" if (subject or plate) else "unidentified"
            subject = subject or plate
        row = {
            "ts": a.ts,
            "device_id": a.device_id,
            "direction": a.direction,
            "method": a.method,
            "subject": subject,
            "category": category,
            "household": household,
            "plate_enc": self.pseud.encrypt(a.plate.strip()) if category == "stranger" else None,
            "plate_mask": mask_plate(a.plate)
            if category == "stranger" and a.plate.strip()
            else None,
            "source_id": a.source_id,
            "key": key,
            "dup": dup,
        }
        ops: list[tuple[str, Any]] = [("access", row)]
        if subject is not None:
            self.seen[subject] = max(self.seen.get(subject, a.ts), a.ts)
        if household is not None and a.method == "door":
            self.doors[household] = max(self.doors.get(household, a.ts), a.ts)
        if person is not None and person.care:
            ops += self._clear(household_target(person.household), CARE_RULE, a.ts)
        elif household is not None and a.method == "door" and household in self.care:
            ops += self._clear(household_target(household), CARE_RULE, a.ts)
        if person is not None and person.category == "visitor" and subject is not None:
            ops += self._visitor(person, subject, a)
        if category == "stranger" and a.direction == "in" and self.night(a.ts):
            flag = self._stranger(a, subject or "")
            night = (a.device_id, flag["data"]["night"])
            sources = self._flagged.setdefault(night, set())
            if flag["source_id"] in sources or len(sources) < MAX_FLAGGED:
                sources.add(flag["source_id"])
                ops.append(("raise", flag))
        return ops

    def night(self, ts: float) -> bool:
        """Whether ``ts`` is at night, local time (strangers entering then are flagged)."""
        return is_night(self.local_hour(ts))

    def _visitor(self, p: Registered, subject: str, a: AccessEvent) -> list[tuple[str, Any]]:
        if a.direction == "in":
            self.visits[subject] = _Visit(
                subject, p.household, a.device_id, self._visit_end(p, a.ts)
            )
            return []
        if a.direction == "out":
            self.visits.pop(subject, None)
            return self._clear(
                household_target(p.household), f"{OVERSTAY_RULE}:{subject[:12]}", a.ts
            )
        return []

    @staticmethod
    def _visit_end(p: Registered, came: float) -> float:
        return p.valid_to if p.valid_to is not None else came + VISIT_HOURS * 3600.0

    def _stranger(self, a: AccessEvent, subject: str) -> dict[str, Any]:
        # one event per stranger per night: the night is named by the day it began
        night = self.local_day(a.ts - NIGHT_TO_H * 3600.0)
        en, zh = MESSAGES[STRANGER_RULE]
        return {
            "device_id": a.device_id,
            "kind": self.kinds.get(a.device_id, "gate"),
            "rule_id": STRANGER_RULE,
            "type": STRANGER_RULE,
            "severity": "minor",
            "message": en,
            "data": {"message_zh": zh, "method": a.method, "night": night},
            "at": a.ts,
            "source_id": f"stranger:{subject[:12]}:{night}",
        }

    def _clear(self, target: str, rule: str, at: float) -> list[tuple[str, Any]]:
        if (target, rule) not in self.active:
            return []
        self.active.discard((target, rule))
        return [("clear", (target, rule, at))]

    # -- what time does ------------------------------------------------------------------
    def check(self, now: float) -> list[tuple[str, Any]]:
        """Raises for care checks fallen due and visitors overstaying at ``now`` (each dated
        when its condition became true)."""
        ops: list[tuple[str, Any]] = []
        for household, people in self.care.items():
            target = household_target(household)
            if (target, CARE_RULE) in self.active:
                continue
            last = max(
                [self.seen.get(p.subject, p.since) for p in people]
                + [self.doors.get(household, float("-inf"))]
            )
            interval = min(p.interval_s or 86400.0 for p in people)
            if now - last > interval:
                self.active.add((target, CARE_RULE))
                p0 = people[0]
                en, zh = MESSAGES[CARE_RULE]
                ops.append(
                    (
                        "raise",
                        {
                            "device_id": target,
                            "kind": HOUSEHOLD_KIND,
                            "rule_id": CARE_RULE,
                            "type": CARE_RULE,
                            "severity": "major",
                            "message": en,
                            "data": {
                                "message_zh": zh,
                                "household": household,
                                "building": p0.building,
                                "unit": p0.unit,
                                "last_seen": last if last > float("-inf") else None,
                                "interval_h": round(interval / 3600.0, 2),
                            },
                            "at": last + interval,
                        },
                    )
                )
        for v in self.visits.values():
            rule = f"{OVERSTAY_RULE}:{v.subject[:12]}"
            target = household_target(v.host)
            if now > v.end and (target, rule) not in self.active:
                self.active.add((target, rule))
                en, zh = MESSAGES[OVERSTAY_RULE]
                ops.append(
                    (
                        "raise",
                        {
                            "device_id": target,
                            "kind": HOUSEHOLD_KIND,
                            "rule_id": rule,
                            "type": OVERSTAY_RULE,
                            "severity": "minor",
                            "message": en,
                            "data": {"message_zh": zh, "household": v.host, "until": v.end},
                            "at": v.end,
                        },
                    )
                )
        return ops
