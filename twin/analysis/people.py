"""The personnel view's figures from the access events kept: entries and exits per entrance per
hour (the last 24 hours), people in / out, visitors on site and overstaying, care checks due
and overdue, strangers flagged. One function, read by the panel (on its worker), the security
view's entrance list and ``twin people``.

Names and plates stay encrypted here; the caller shows their masked forms unless a role
allowed to see them unmasked them (``twin.usecases.people``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from twin.scene.people import VISIT_HOURS, is_night
from twin.scene.scene import Scene
from twin.state import peoplelog
from twin.state.events import EventStore
from twin.state.history import HistoryStore
from twin.state.peoplewatch import CARE_RULE, household_target

HOURS = 24


@dataclass
class EntranceFlow:
    """One entrance's passages: ``ins[i]`` / ``outs[i]`` in the hour starting ``hours[i]``."""

    device_id: str
    ins: list[int]
    outs: list[int]
    last_hour_in: int = 0
    """Entries in the last 60 minutes (what the scene's label says: entries per hour)."""
    last_hour_out: int = 0

    @property
    def day_in(self) -> int:
        return sum(self.ins)

    @property
    def day_out(self) -> int:
        return sum(self.outs)


@dataclass
class CareRow:
    household: str
    building: str
    unit: str
    last_seen: float | None
    interval_h: float
    due_at: float
    overdue: bool
    names: list[tuple[bytes | None, str]]
    """(encrypted name, masked name) of the household's cared-for residents."""
    event_id: int | None = None
    event_status: str | None = None


@dataclass
class VisitorRow:
    household: str
    building: str
    came: float
    until: float
    overstaying: bool
    name: tuple[bytes | None, str]


@dataclass
class StrangerRow:
    ts: float
    device_id: str
    method: str
    entries: int
    """Entries of this stranger in the same night."""
    plate: tuple[bytes | None, str]


@dataclass
class PeopleFigures:
    now: float
    hours: list[float]
    """Start of each of the last 24 local hours (the last one is the current hour)."""
    entrances: list[EntranceFlow]
    ins: list[int]
    outs: list[int]
    registered: int = 0
    residents_in: int = 0
    residents_out: int = 0
    residents_unseen: int = 0
    """Residents with no passage in the access events kept."""
    visitors: list[VisitorRow] = field(default_factory=list)
    care: list[CareRow] = field(default_factory=list)
    strangers: list[StrangerRow] = field(default_factory=list)
    last_hour_in: int = 0
    last_hour_out: int = 0
    unregistered_by_day: int = 0
    """Entries by day of people not in the register (deliveries, guests of the day)."""

    @property
    def overstaying(self) -> int:
        return sum(1 for v in self.visitors if v.overstaying)

    @property
    def care_overdue(self) -> int:
        return sum(1 for c in self.care if c.overdue)


def entries_per_hour(
    events: EventStore, history: HistoryStore | None, entrances: list[str], now: float
) -> dict[str, tuple[int, int]]:
    """``{entrance: (entries, exits)}`` in the last 60 minutes: from the access events where the
    entrance sends them, else from its ``entries`` / ``exits`` counters in the history (the
    rise over the hour), so a gate that only counts still shows a rate, not a counter since
    commissioning. Entrances with neither are left out."""
    out = peoplelog.passages_since(events, now - 3600.0)
    if history is None:
        return out
    for dev in entrances:
        if dev in out:
            continue
        rise = []
        for reading in ("entries", "exits"):
            pts = history.series(dev, reading, now - 3600.0, now + 1.0, 12)
            rise.append(int(max(0.0, pts[-1].last - pts[0].vmin)) if len(pts) >= 2 else None)
        if rise[0] is not None and rise[1] is not None:
            out[dev] = (rise[0], rise[1])
    return out


def hour_starts(now: float, tz: tzinfo | None, n: int = HOURS) -> list[float]:
    """The starts of the last ``n`` local hours, the current one last."""
    dt = datetime.fromtimestamp(now, tz) if tz is not None else datetime.fromtimestamp(now)
    top = dt.replace(minute=0, second=0, microsecond=0).timestamp()
    return [top - 3600.0 * (n - 1 - i) for i in range(n)]


def people_figures(
    events: EventStore, now: float, tz: tzinfo | None, entrances: list[str]
) -> PeopleFigures:
    """What the personnel view shows at ``now``.

    Parameters
    ----------
    entrances : list of str
        Device ids of the gates and barriers (each gets a row even without passages).
    """
    hours = hour_starts(now, tz)
    rows = peoplelog.access_since(events, hours[0])
    index = {d: i for i, d in enumerate(entrances)}
    flows = [EntranceFlow(d, [0] * HOURS, [0] * HOURS) for d in entrances]
    ins, outs = [0] * HOURS, [0] * HOURS
    fig = PeopleFigures(now, hours, flows, ins, outs)
    for r in rows:
        ts, dev, direction = float(r["ts"]), r["device_id"], r["direction"]
        if ts > now or direction == "seen":
            continue
        h = min(HOURS - 1, int((ts - hours[0]) // 3600.0))
        k = index.get(dev)
        recent = now - ts <= 3600.0
        if direction == "in":
            ins[h] += 1
            fig.last_hour_in += recent
            if k is not None:
                flows[k].ins[h] += 1
                flows[k].last_hour_in += recent
        else:
            outs[h] += 1
            fig.last_hour_out += recent
            if k is not None:
                flows[k].outs[h] += 1
                flows[k].last_hour_out += recent
    _who(events, fig, now, tz)
    return fig


def _who(events: EventStore, fig: PeopleFigures, now: float, tz: tzinfo | None) -> None:
    register = peoplelog.load_register(events)
    seen, doors = peoplelog.last_seen(events, now)
    fig.registered = len(register)
    open_events = {
        (e.device_id, e.rule_id): e
        for e in events.events(open_only=True, limit=5000)
        if e.rule_id == CARE_RULE
    }
    care: dict[str, CareRow] = {}
    for p in register:
        last = seen.get(p.subject)
        if p.category == "resident":
            if last is None:
                fig.residents_unseen += 1
            elif last[1] == "in":
                fig.residents_in += 1
            else:
                fig.residents_out += 1
            if p.care:
                row = care.get(p.household)
                t = last[0] if last else None
                door = doors.get(p.household)
                t = max(x for x in (t, door, None) if x is not None) if (t or door) else None
                if row is None:
                    interval = (p.interval_s or 86400.0) / 3600.0
                    row = CareRow(p.household, p.building, p.unit, t, interval, 0.0, False, [])
                    care[p.household] = row
                elif t is not None and (row.last_seen is None or t > row.last_seen):
                    row.last_seen = t
                row.interval_h = min(row.interval_h, (p.interval_s or 86400.0) / 3600.0)
                row.names.append((p.name_enc, p.name_mask))
                row.due_at = (row.last_seen if row.last_seen is not None else p.since) + (
                    row.interval_h * 3600.0
                )
        elif last is not None and last[1] == "in":
            until = p.valid_to if p.valid_to is not None else last[0] + VISIT_HOURS * 3600.0
            fig.visitors.append(
                VisitorRow(
                    p.household, p.building, last[0], until, now > until, (p.name_enc, p.name_mask)
                )
            )
    for row in care.values():
        row.overdue = now > row.due_at
        e = open_events.get((household_target(row.household), CARE_RULE))
        if e is not None:
            row.event_id, row.event_status = e.id, e.status
    fig.care = sorted(care.values(), key=lambda c: (not c.overdue, c.due_at))
    fig.visitors.sort(key=lambda v: (not v.overstaying, v.until))
    # strangers flagged: those not in the register who entered at night, since the evening
    # before the last night began (one row each, with their entries that night)
    since = hour_starts(now, tz, 1)[0] - 30 * 3600.0
    strangers: dict[str, StrangerRow] = {}
    for r in peoplelog.access_since(events, since):
        ts = float(r["ts"])
        if r["category"] != "stranger" or r["direction"] != "in" or ts > now:
            continue
        if not _night(ts, tz):
            fig.unregistered_by_day += 1
            continue
        s = strangers.get(r["subject"])
        if s is None:
            plate = (r["plate_enc"], r["plate_mask"] or "")
            strangers[r["subject"]] = StrangerRow(ts, r["device_id"], r["method"], 1, plate)
        else:
            s.entries += 1
            s.ts = ts
    fig.strangers = sorted(strangers.values(), key=lambda s: -s.ts)


def _night(ts: float, tz: tzinfo | None) -> bool:
    return is_night(
        (datetime.fromtimestamp(ts, tz) if tz is not None else datetime.fromtimestamp(ts)).hour
    )


def building_points(scene: Scene, names: set[str]) -> dict[str, tuple[float, float, float]]:
    """Where the register's buildings are: ``{name: (x, y, roof height)}`` for each name that
    is a building's address or name in the scene (case and spacing ignored)."""
    import shapely

    def key(text: str) -> str:
        return " ".join(text.casefold().split())

    wanted = {key(n): n for n in names if n.strip()}
    out: dict[str, tuple[float, float, float]] = {}
    for b in scene.buildings:
        for label in (b.address, b.name):
            n = wanted.get(key(label)) if label else None
            if n is not None and n not in out and b.footprint_wkb:
                c = shapely.from_wkb(b.footprint_wkb).centroid
                out[n] = (float(c.x), float(c.y), float(b.height))
    return out
