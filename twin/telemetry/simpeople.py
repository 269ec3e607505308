"""The simulator's people: passages at the gates and barriers and door-sensor openings of a
community over its days, as an outside access platform would report them (clear tokens).

Like :class:`twin.telemetry.simulator.Simulator`, :class:`AccessSim` keeps no state that
matters: every event is a pure function of (seed, person, device, local day), so two runs with
the same seed and register give the same events, and it can jump to any moment. (A day's events
are computed once and kept for the next calls: a cache, not state.)

Entrances: the scene's ``gate`` devices (pedestrians; face, card or QR code) and ``barrier``
devices (vehicles; the person's plate); each person has entrances of their own (a preferred
gate and barrier; some gates are the community's main ones). ``door_sensor`` devices named by a
household of the register (``Person.door_sensor``) open (``seen``, method ``door``) a few
minutes before one of the household goes out and after they come back.

What the days look like, in the scene's local time:

* residents: two thirds commute (on weekdays 92 % leave between 06:30 and 09:30, most around
  08:00, and come back between 17:00 and 20:30; at weekends 12 %, the others an outing by
  day); the rest stay at home with an errand or two by day; a few work nights (leave 21:00-
  22:30, back 06:00-07:30); some go out in the evening (back up to 01:00), about one in a
  hundred in the small hours (01:30-05:00); a resident with a plate drives (barrier) on most
  commutes and some errands;
* cared-for residents (``Person.care``) go out every afternoon at a time of their own (give or
  take 15 minutes, for 45-90 minutes) and some late mornings, so they are never unseen for 24 h;
  with a check interval under 24 h also early in the morning and in the evening (never unseen
  for 12 h);
* registered visitors: with a validity of up to 16 h, one visit inside it (in after
  ``valid_from``, out before ``valid_to``; without ``valid_to`` a stay of 1-3 h); a longer
  validity or none, visits of 1-3 h by day on some days (within the validity);
* deliveries (token ``delivery-<hex>``, QR code) and passers-by (``guest-<hex>``, face) at the
  gates by day, delivery vans (plate ``DLV-<n>``) at the barriers by day, as many as the
  register's households call for (without a register, as for 40 households a gate):
  strangers by day, never flagged.

Totals for the demo's register (300 residents of 120 households, five gates, two barriers): a
busy gate sees 20-30 passages an hour at the morning and evening peaks (in and out), none to
four an hour at night.

Scripted incidents (when ``incident_every_s`` is set, as in demo mode):

* **a cared-for resident not seen**: the first cared-for resident of the register (by token)
  leaves by their gate at ``A = start - interval - 2 h`` (their household's shortest check
  interval; the door sensor opens just before) and comes back in at ``B = start + 6 min *
  speed`` (6 real minutes into the run; the door opens 2 minutes later): nothing of the
  household in between (no gate, barrier or door event). A new demo session, whose past the
  backfill feeds (:attr:`AccessSim.lookback_s` before its first day), shows the overdue care
  check at once, raised at ``start - 2 h``, and it clears 6 minutes in;
* **a stranger at night entering twice**: every night at about 01:10 and 01:35 local time,
  ``visitor-unknown-<yyyymmdd>`` (no one of the register) comes in at a gate by face, twice,
  and never goes out (one ``stranger_at_night`` event per night).

Tailgating (a resident's entry and an unidentified one on their credential) is one of the
simulator's own scripted incidents (:data:`twin.telemetry.simulator.SCRIPT`), staged with
:meth:`AccessSim.tailgater`.

Every event carries a source id (``sim-<16 hex>``, not derived from the token) so that a
replay or a backfill never stores one twice.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from twin.scene.entities import Device
from twin.scene.people import Person
from twin.state.access import AccessEvent
from twin.telemetry.simbase import INCIDENT_EVERY_S, REFERENCE_EPOCH, mix, mix64

CARE_RETURN_S = 360.0
"""The unseen cared-for resident comes back this many real seconds into the run."""
CARE_OVERDUE_S = 7200.0
"""... having left this long before their check interval ran out before the run started."""
STRANGER_AT_H = (1.0 + 10.0 / 60.0, 1.0 + 35.0 / 60.0)
"""The stranger's two entries, local time (each give or take 4 minutes)."""
_DAYS_KEPT = 8
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# what comes from outside, by hours of the local day: expected entries per hour for 100
# households (couriers at the gates, visitors let in without a pass, vans at the barriers)
_DELIVERIES = {7: 1.5, 8: 2.5, 9: 3.0, 10: 4.5, 11: 6.0, 12: 5.5, 13: 4.0, 14: 3.0}
_DELIVERIES |= {15: 3.0, 16: 4.0, 17: 6.0, 18: 7.0, 19: 5.5, 20: 3.0}
_PASSERS = {h: 1.5 if h < 11 else 2.5 for h in range(8, 21)}
_VANS = {h: 1.5 for h in range(8, 19)}

# trip kinds: salt of their hashes, and how likely a resident with a plate drives on them
_COMMUTE, _ERRAND, _ERRAND2, _EVENING, _NIGHT, _CARE, _CARE2, _CARE_EARLY, _CARE_LATE = range(9)
_SMALL_HOURS = 9
_DRIVES = {_COMMUTE: 0.7, _ERRAND: 0.45, _ERRAND2: 0.45, _EVENING: 0.5, _NIGHT: 0.6}
_DRIVES[_SMALL_HOURS] = 0.3


@dataclass(frozen=True)
class _Who:
    """A resident or a visitor as the simulator plays them."""

    idx: int
    key: int
    person: Person
    role: str
    """``care``, ``night``, ``commuter``, ``home`` or ``visitor``."""
    gate: str | None
    barrier: str | None
    method: str
    door: str | None
    """The household's door sensor in the scene."""
    habit_h: float
    """A cared-for resident's afternoon outing (local hour)."""


class AccessSim:
    """Access events of ``people`` at ``devices`` over time.

    Parameters
    ----------
    people : list of Person
        The register in clear (empty: only deliveries, passers-by and the scripted stranger).
    devices : list of Device
        The scene's devices (gates, barriers and door sensors are used).
    seed : int
        Same seed, same events.
    tz : tzinfo or None
        The community's time zone (its days); None: the machine's.
    start : float
        When the run starts (the unseen cared-for resident is scheduled from here).
    speed : float
        Sim seconds per wall second.
    incident_every_s : float or None
        Demo mode; None or 0: no scripted incidents (no unseen resident, no stranger).
    """

    def __init__(
        self,
        people: list[Person],
        devices: list[Device],
        seed: int = 1,
        tz: tzinfo | None = None,
        start: float = REFERENCE_EPOCH,
        speed: float = 1.0,
        incident_every_s: float | None = INCIDENT_EVERY_S,
    ) -> None:
        self.seed = int(seed)
        self.tz = tz or datetime.now().astimezone().tzinfo
        self.start, self.speed = float(start), float(speed)
        self.scripted = bool(incident_every_s)
        ids = sorted(devices, key=lambda d: d.id)
        self.gates = [d.id for d in ids if d.kind == "gate"]
        self.barriers = [d.id for d in ids if d.kind == "barrier"]
        doors = {d.id for d in ids if d.kind == "door_sensor"}
        self._dkey = {d: zlib.crc32(d.encode()) for d in self.gates + self.barriers + sorted(doors)}
        self._gate_w = self._weights(self.gates)
        self._barrier_w = self._weights(self.barriers)
        self.people = sorted(people, key=lambda p: (p.token, p.category))
        door_of: dict[str, str] = {}
        for p in self.people:
            if p.door_sensor in doors:
                door_of.setdefault(p.household, p.door_sensor)
        self.who = [self._who(i, p, door_of.get(p.household)) for i, p in enumerate(self.people)]
        households = {p.household for p in self.people if p.category == "resident"}
        self.size = len(households) / 100.0 if households else 0.4 * max(1, len(self.gates))
        """Deliveries, passers-by and vans scale with the households (without a register, as
        for 40 households a gate)."""
        self.residents = [w for w in self.who if w.role != "visitor"]
        self.visitors = [w for w in self.who if w.role == "visitor"]
        care = [w for w in self.residents if w.role == "care"]
        self.care_intervals = {
            w.person.household: min(
                c.person.interval_h for c in care if c.person.household == w.person.household
            )
            for w in care
        }
        self.absent: _Who | None = care[0] if care and self.scripted else None
        """The cared-for resident of the scripted incident (not seen from ``absent_from`` to
        ``absent_until``)."""
        interval = self.care_intervals[self.absent.person.household] if self.absent else 0.0
        self.absent_from = self.start - interval * 3600.0 - CARE_OVERDUE_S
        self.absent_until = self.start + CARE_RETURN_S * self.speed
        self.lookback_s = (
            max(self.care_intervals.values(), default=0.0) * 3600.0 + CARE_OVERDUE_S + 3600.0
        )
        """How far before a moment the past must be fed for every cared-for resident's last
        passage to be in it (the backfill starts its access events this much earlier)."""
        fixed = self._scripted_care() + [e for w in self.visitors for e in self._one_off(w)]
        self._fixed = self._sorted(fixed) if self.gates or self.barriers else ([], [])
        self._days: dict[int, tuple[list[float], list[AccessEvent]]] = {}
        self._offsets: dict[int, float] = {}

    # -- who -----------------------------------------------------------------------------------
    def _weights(self, ids: list[str]) -> list[float]:
        """Cumulative weights of entrances: some are the community's main ones."""
        w, acc = [], 0.0
        for d in ids:
            acc += 0.4 + 2.0 * mix(self.seed, self._dkey[d], 7) ** 2
            w.append(acc)
        return w

    @staticmethod
    def _choose(ids: list[str], cum: list[float], u: float) -> str | None:
        if not ids:
            return None
        return ids[min(len(ids) - 1, bisect.bisect_right(cum, u * cum[-1]))]

    def _who(self, idx: int, p: Person, door: str | None) -> _Who:
        key = zlib.crc32(p.token.encode("utf-8", "surrogatepass"))
        r = mix(self.seed, key, 1)
        if p.category == "visitor":
            role = "visitor"
        elif p.care:
            role = "care"
        else:
            role = "night" if r < 0.03 else "commuter" if r < 0.68 else "home"
        method = "qr" if role == "visitor" else "face" if mix(self.seed, key, 2) < 0.6 else "card"
        return _Who(
            idx,
            key,
            p,
            role,
            self._choose(self.gates, self._gate_w, mix(self.seed, key, 3)),
            self._choose(self.barriers, self._barrier_w, mix(self.seed, key, 4)),
            method,
            door,
            14.0 + 2.0 * mix(self.seed, key, 5),
        )

    def tailgater(self, n: int) -> tuple[str, str]:
        """(token, method) of the resident whose credential the ``n``-th tailgating incident's
        second person follows on (not a cared-for one; an invented token without a register)."""
        away = self.absent.person.household if self.absent is not None else None
        pool = [
            w for w in self.residents if w.role != "care" and w.person.household != away
        ] or self.residents
        if not pool:
            return f"resident-{mix64(self.seed, n, 501) >> 40:06x}", "card"
        w = pool[int(mix(self.seed, n, 502) * len(pool))]
        return w.person.token, w.method

    # -- time ----------------------------------------------------------------------------------
    def _offset(self, t: float) -> float:
        slot = int(t // 3600)
        off = self._offsets.get(slot)
        if off is None:
            o = datetime.fromtimestamp(slot * 3600.0, self.tz).utcoffset()
            off = self._offsets[slot] = o.total_seconds() if o is not None else 0.0
        return off

    def local_day(self, t: float) -> int:
        """The local day number (days since 1970-01-01 in the community's zone) of ``t``."""
        return int((t + self._offset(t)) // 86400)

    def _midnight(self, day: int) -> float:
        """Epoch of local midnight of ``day`` (the day's offset at noon: a day that changes to
        or from summer time is an hour off before the change)."""
        noon = day * 86400.0 + 43200.0
        return day * 86400.0 - self._offset(noon - self._offset(noon))

    # -- events --------------------------------------------------------------------------------
    def events(self, t0: float, t1: float) -> list[AccessEvent]:
        """Every access event with a timestamp in ``(t0, t1]``, in time order."""
        if t1 <= t0 or not (self.gates or self.barriers):
            return []
        parts = [self._fixed] + [
            self._day(d) for d in range(self.local_day(t0) - 1, self.local_day(t1) + 1)
        ]
        out: list[AccessEvent] = []
        for ts, evs in parts:
            out += evs[bisect.bisect_right(ts, t0) : bisect.bisect_right(ts, t1)]
        out.sort(key=_order)
        return out

    @staticmethod
    def _sorted(events: Iterable[AccessEvent]) -> tuple[list[float], list[AccessEvent]]:
        evs = sorted(events, key=_order)
        return [e.ts for e in evs], evs

    def _sid(self, device: str, ts: float, *salt: int) -> str:
        return f"sim-{mix64(self.seed, self._dkey[device], round(ts * 1000.0), *salt):016x}"

    def _event(
        self,
        device: str,
        ts: float,
        direction: str,
        method: str,
        token: str = "",
        plate: str = "",
        salt: tuple[int, ...] = (),
    ) -> AccessEvent:
        ts = round(ts, 3)
        return AccessEvent(
            device, ts, direction, method, token, plate, self._sid(device, ts, *salt)
        )

    def _day(self, day: int) -> tuple[list[float], list[AccessEvent]]:
        """Every event of the activities of local ``day`` (they may end the next morning)."""
        got = self._days.get(day)
        if got is not None:
            return got
        base = self._midnight(day)
        weekend = (day + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        out: list[AccessEvent] = []
        for w in self.residents:
            for k, (kind, out_h, in_h) in enumerate(self._trips(w, day, weekend)):
                out += self._trip(w, day, k, kind, base + out_h * 3600.0, base + in_h * 3600.0)
        for w in self.visitors:
            out += self._visit(w, day, base)
        out += self._strangers(day, base, weekend)
        got = self._sorted(out)
        if len(self._days) >= _DAYS_KEPT:
            self._days.pop(next(iter(self._days)))
        self._days[day] = got
        return got

    def _trips(self, w: _Who, day: int, weekend: bool) -> list[tuple[int, float, float]]:
        """(kind, out hour, in hour) of ``w``'s trips out on ``day`` (hours of the day; over 24:
        the next morning), in order, none overlapping."""
        s, key = self.seed, w.key

        def u(*salt: int) -> float:
            return mix(s, key, day, *salt)

        trips: list[tuple[int, float, float]] = []
        if w.role == "care":
            out = w.habit_h + 0.5 * (u(10) - 0.5)  # every afternoon, about the same time
            trips.append((_CARE, out, out + 0.75 + 0.75 * u(11)))
            if u(12) < 0.5:
                out = 10.0 + 1.0 * u(13)
                trips.append((_CARE2, out, out + 0.4 + 0.6 * u(14)))
            if self.care_intervals.get(w.person.household, 24.0) < 24.0:
                out = 7.0 + 0.5 * u(15)
                trips.append((_CARE_EARLY, out, out + 0.25 + 0.5 * u(16)))
                out = 20.0 + 0.5 * u(17)
                trips.append((_CARE_LATE, out, out + 0.3 + 0.5 * u(18)))
        elif w.role == "night":
            if not weekend:
                out = 21.0 + 1.5 * u(20)
                trips.append((_NIGHT, out, 30.0 + 1.5 * u(21)))
        else:
            if w.role == "commuter" and u(30) < (0.12 if weekend else 0.92):
                out = 6.5 + 1.5 * (u(31) + u(32))  # 06:30-09:30, most around 08:00
                trips.append((_COMMUTE, out, 17.0 + 1.75 * (u(33) + u(34))))
            elif u(35) < (0.6 if weekend or w.role == "home" else 0.0):
                out = 9.0 + (6.0 if weekend else 7.0) * u(36)
                trips.append((_ERRAND, out, out + 1.0 + (3.0 if weekend else 2.0) * u(37)))
            if w.role == "home" and u(38) < 0.25:
                out = 14.5 + 4.0 * u(39)
                trips.append((_ERRAND2, out, out + 0.5 + 1.5 * u(40)))
            if u(44) < 0.012:  # out in the small hours (after the evening's last returns)
                out = 1.5 + 3.5 * u(45)
                trips.append((_SMALL_HOURS, out, out + 0.2 + 0.5 * u(46)))
            if u(41) < (0.25 if weekend else 0.12):
                out = 19.0 + 2.5 * u(42)
                trips.append((_EVENING, out, out + 1.0 + 2.5 * u(43)))
        trips.sort(key=lambda t: t[1])
        kept: list[tuple[int, float, float]] = []
        for t in trips:
            if not kept or t[1] > kept[-1][2] + 0.1:
                kept.append(t)
        return kept

    def _trip(
        self, w: _Who, day: int, k: int, kind: int, t_out: float, t_in: float
    ) -> list[AccessEvent]:
        a = self.absent
        if (
            a is not None
            and w.person.household == a.person.household
            and t_out < self.absent_until + 3600.0
            and t_in > self.absent_from - 3600.0
        ):
            return []  # the scripted incident has the household's days around it
        s, key = self.seed, w.key
        drives = (
            bool(w.person.plate)
            and w.barrier is not None
            and mix(s, key, day, k, 50) < _DRIVES.get(kind, 0.0)
        )
        where: str | None
        if drives:
            where, method, token, plate = w.barrier, "plate", "", w.person.plate
            walk = (2.0 + 4.0 * mix(s, key, day, k, 51), 2.0 + 4.0 * mix(s, key, day, k, 52))
        else:
            where = (
                w.gate
                if mix(s, key, day, k, 53) < 0.85
                else self._choose(self.gates, self._gate_w, mix(s, key, day, k, 54))
            )
            where = where or w.barrier  # no gate: they go by the barrier on foot
            method, token, plate = w.method, w.person.token, ""
            walk = (1.0 + 3.0 * mix(s, key, day, k, 51), 1.0 + 3.0 * mix(s, key, day, k, 52))
        if where is None:
            return []
        salt = (w.idx, day, k)
        out = [
            self._event(where, t_out, "out", method, token, plate, salt + (1,)),
            self._event(where, t_in, "in", method, token, plate, salt + (2,)),
        ]
        if w.door is not None:
            out.append(
                self._event(w.door, t_out - 60.0 * walk[0], "seen", "door", salt=salt + (3,))
            )
            out.append(self._event(w.door, t_in + 60.0 * walk[1], "seen", "door", salt=salt + (4,)))
        return out

    def _visit(self, w: _Who, day: int, base: float) -> list[AccessEvent]:
        """A visitor's visit by day on ``day``, on some days (within their validity)."""
        p, s, key = w.person, self.seed, w.key
        vf, vt = p.valid_from, p.valid_to
        if vf is not None and (vt is None or vt - vf <= 16 * 3600.0):
            return []  # one visit inside the validity (:meth:`_one_off`)
        likely = 0.6 if vt is not None else 0.3  # a pass for the year: caregivers, cleaners
        if mix(s, key, day, 60) >= likely:
            return []
        t_in = base + (9.0 + 8.0 * mix(s, key, day, 61)) * 3600.0
        t_out = t_in + (1.0 + 2.0 * mix(s, key, day, 62)) * 3600.0
        if (vf is not None and t_in < vf) or (vt is not None and t_out > vt):
            return []
        return self._visit_events(w, t_in, t_out, (w.idx, day))

    def _one_off(self, w: _Who) -> list[AccessEvent]:
        """The visit of a visitor whose validity is up to 16 h: in after ``valid_from``, out
        before ``valid_to`` (without one, a stay of 1-3 h)."""
        p, s, key = w.person, self.seed, w.key
        vf, vt = p.valid_from, p.valid_to
        if (
            vf is None
            or (vt is not None and vt - vf > 16 * 3600.0)
            or (vt is not None and vt <= vf)
        ):
            return []
        if vt is None:
            t_in = vf + 300.0 + 3300.0 * mix(s, key, 70)
            t_out = t_in + (1.0 + 2.0 * mix(s, key, 71)) * 3600.0
        else:
            span = vt - vf
            t_in = vf + span * (0.05 + 0.2 * mix(s, key, 70))
            t_out = vt - span * (0.05 + 0.2 * mix(s, key, 71))
        return self._visit_events(w, t_in, t_out, (w.idx, -1))

    def _visit_events(
        self, w: _Who, t_in: float, t_out: float, salt: tuple[int, ...]
    ) -> list[AccessEvent]:
        p = w.person
        where: str | None
        if p.plate and w.barrier is not None and mix(self.seed, w.key, *salt, 72) < 0.5:
            where, method, token, plate = w.barrier, "plate", "", p.plate
        else:
            where, method, token, plate = w.gate or w.barrier, w.method, p.token, ""
        if where is None:
            return []
        return [
            self._event(where, t_in, "in", method, token, plate, salt + (1,)),
            self._event(where, t_out, "out", method, token, plate, salt + (2,)),
        ]

    def _strangers(self, day: int, base: float, weekend: bool) -> list[AccessEvent]:
        """Deliveries and passers-by at the gates and vans at the barriers by day; the scripted
        stranger at night."""
        s = self.seed
        out: list[AccessEvent] = []
        flows = [
            (self.gates, self._gate_w, _DELIVERIES, 100),
            (self.gates, self._gate_w, _PASSERS, 200),
        ]
        flows.append((self.barriers, self._barrier_w, _VANS, 300))
        for ids, cum, per_h, salt in flows:
            if not ids:
                continue
            scale = self.size * (0.8 if weekend and salt != 200 else 1.0)
            for h, rate in per_h.items():
                lam = rate * scale
                n = int(lam) + (mix(s, day, h, salt) < lam - int(lam))
                for k in range(n):
                    code = mix64(s, day, h, k, salt + 1)
                    device = self._choose(ids, cum, mix(s, day, h, k, salt + 4))
                    assert device is not None
                    t_in = base + (h + mix(s, day, h, k, salt + 2)) * 3600.0
                    u = mix(s, day, h, k, salt + 3)
                    token, plate = "", ""
                    if salt == 100:  # a courier with a QR code, 3-12 minutes
                        method, stay, token = "qr", 3.0 + 9.0 * u, f"delivery-{code >> 32:08x}"
                    elif salt == 200:  # someone let in by face, 15-90 minutes
                        method, stay, token = "face", 15.0 + 75.0 * u, f"guest-{code >> 32:08x}"
                    else:  # a delivery van, 5-20 minutes
                        method, stay, plate = "plate", 5.0 + 15.0 * u, f"DLV-{code % 9000 + 1000}"
                    sid = (salt, day, h, k)
                    t_out = t_in + 60.0 * stay
                    out.append(self._event(device, t_in, "in", method, token, plate, sid + (1,)))
                    out.append(self._event(device, t_out, "out", method, token, plate, sid + (2,)))
        if self.scripted and self.gates:
            gate = self.gates[int(mix(s, day, 80) * len(self.gates))]
            d = date.fromordinal(_EPOCH_ORDINAL + day)
            token = f"visitor-unknown-{d:%Y%m%d}"
            for k, hour in enumerate(STRANGER_AT_H):
                t = base + hour * 3600.0 + 480.0 * (mix(s, day, 81, k) - 0.5)
                out.append(self._event(gate, t, "in", "face", token, salt=(400, day, k)))
        return out

    def _scripted_care(self) -> list[AccessEvent]:
        """The unseen cared-for resident's leaving at ``absent_from`` and coming back at
        ``absent_until``."""
        w = self.absent
        if w is None:
            return []
        where = w.gate or w.barrier
        if where is None:
            return []
        token, method = w.person.token, w.method if w.gate else "card"
        a, b = self.absent_from, self.absent_until
        out = [
            self._event(where, a, "out", method, token, salt=(w.idx, 500, 1)),
            self._event(where, b, "in", method, token, salt=(w.idx, 500, 2)),
        ]
        if w.door is not None:
            out.append(self._event(w.door, a - 120.0, "seen", "door", salt=(w.idx, 500, 3)))
            out.append(self._event(w.door, b + 120.0, "seen", "door", salt=(w.idx, 500, 4)))
        return out


def _order(e: AccessEvent) -> tuple[float, str, str]:
    return e.ts, e.device_id, e.source_id or ""
