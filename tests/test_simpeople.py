"""The simulator's people: deterministic days of passages (commuting peaks, visitors within
their validity, deliveries), and the scripted incidents (a cared-for resident not seen, a
stranger entering twice at night, tailgating) running the personnel rules through the real
pipeline."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from twin.scene.entities import Device
from twin.scene.people import Person
from twin.state import peoplelog
from twin.state.access import AccessEvent
from twin.state.events import EventStore
from twin.state.peoplewatch import CARE_RULE, OVERSTAY_RULE, STRANGER_RULE, PeopleWatch
from twin.state.pseudonym import Pseudonymiser
from twin.state.rules import load_rules
from twin.telemetry.parse import ExternalEvent
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.simpeople import AccessSim
from twin.telemetry.simulator import Simulator

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 10, 0, tzinfo=TZ).timestamp()  # a Wednesday morning


def at(day: int, hour: float) -> float:
    """Epoch of 2026-12-<day> at ``hour`` Shanghai time."""
    return datetime(2026, 12, day, tzinfo=TZ).timestamp() + hour * 3600.0


def _dev(i: str, kind: str, x: float = 0.0) -> Device:
    return Device(i, kind, i, x, 0.0, 0.0, 0.0, 0.0, 1.0)


DEVICES = [
    _dev("gate-n", "gate"),
    _dev("gate-s", "gate", 100.0),
    _dev("gate-e", "gate", 200.0),
    _dev("barrier-1", "barrier", 50.0),
    _dev("door-a01", "door_sensor", 10.0),
    _dev("door-b07", "door_sensor", 20.0),
    _dev("cam-1", "camera", 30.0),
    _dev("meter-1", "meter", 40.0),
]
ENTRANCES = {"gate-n": "gate", "gate-s": "gate", "gate-e": "gate", "barrier-1": "barrier"}
DOORS = {"door-a01", "door-b07"}


def _register() -> list[Person]:
    """300 residents in 120 households (a third of the first ones with a car), three of them
    cared for (two with a door sensor), and visitors of every kind of validity."""
    people = []
    n = 0
    for h in range(120):
        hid = f"H{h:03d}"
        for k in range(1 + (h * 7) % 4):
            n += 1
            if n > 300:
                break
            people.append(
                Person(
                    "resident",
                    f"C{100000 + n * 37}",
                    hid,
                    "B1",
                    "1",
                    plate=f"ABC-{100 + n}" if k == 0 and h % 3 == 0 else "",
                )
            )
    care = {
        "H004": ("C900001", "door-a01", 24.0),
        "H040": ("C900002", "door-b07", 24.0),
        "H077": ("C900003", "", 12.0),
    }
    for hid, (token, door, interval) in care.items():
        people.append(
            Person(
                "resident", token, hid, "B1", "1", care=True, interval_h=interval, door_sensor=door
            )
        )
    people += [
        Person("visitor", "V1", "H010", valid_from=at(1, 14), valid_to=at(1, 17)),
        Person("visitor", "V2", "H011", valid_from=at(2, 9)),  # no end: a stay of 1-3 h
        Person("visitor", "V3", "H012", valid_from=at(1, 0) - 90 * 86400, valid_to=at(31, 0)),
        Person("visitor", "V4", "H013"),  # no validity: some days by day
        Person("visitor", "V5", "H014", plate="VIS-555", valid_from=at(1, 20), valid_to=at(1, 23)),
    ]
    return people


PEOPLE = _register()
TOKENS = {p.token for p in PEOPLE}


def _sim(people: list[Person] | None = None, seed: int = 5, **kw: object) -> AccessSim:
    args: dict = {"tz": TZ, "start": START, "speed": 1.0, "incident_every_s": 180.0} | kw
    return AccessSim(PEOPLE if people is None else people, DEVICES, seed, **args)


@pytest.fixture(scope="module")
def sim() -> AccessSim:
    return _sim()


@pytest.fixture(scope="module")
def days(sim) -> list[AccessEvent]:
    """Three days before the start and the start's day."""
    return sim.events(START - 3 * 86400, START + 86400)


def test_same_seed_same_events_and_chunking_does_not_matter(sim):
    t0, t1, t2 = at(1, 5.0), at(1, 8.25), at(2, 3.0)
    whole = sim.events(t0, t2)
    other = _sim()
    assert other.events(t0, t2) == whole
    assert sim.events(t0, t1) + sim.events(t1, t2) == whole
    ticks = [e for k in range(36000) for e in other.events(t0 + 0.1 * k, t0 + 0.1 * (k + 1))]
    assert ticks == sim.events(t0, t0 + 3600.0)  # the feed's 0.1 s ticks
    assert len(whole) > 500
    assert [e.ts for e in whole] == sorted(e.ts for e in whole)
    assert _sim(seed=6).events(t0, t2) != whole
    assert sim.events(t1, t1) == [] and sim.events(t2, t0) == []


def test_commuters_make_peaks(sim):
    """Weekday mornings: many go out, the small hours are quiet; evenings bring them back; a
    Sunday morning is quieter than a weekday's; in the scene's time zone."""

    def count(day: int, h0: float, h1: float, direction: str) -> int:
        return sum(
            e.direction == direction and e.device_id in ENTRANCES
            for e in sim.events(at(day, h0), at(day, h1))
        )

    morning_out = count(1, 7.0, 9.0, "out")  # Tuesday
    assert morning_out > 100
    assert morning_out > 10 * max(1, count(1, 2.0, 4.0, "out"))
    assert count(1, 17.5, 19.5, "in") > 5 * count(1, 2.0, 4.0, "in")
    assert count(6, 7.0, 9.0, "out") < morning_out / 2  # Sunday
    per_gate = Counter(
        e.device_id for e in sim.events(at(1, 7.5), at(1, 8.5)) if ENTRANCES.get(e.device_id)
    )
    assert max(per_gate.values()) >= 15  # tens an hour at the busiest entrance's peak
    night = Counter(e.device_id for e in sim.events(at(1, 2.0), at(1, 5.0)))
    assert sum(night.values()) < 15  # a few at night


def test_events_are_at_entrances_and_door_sensors(sim, days):
    assert days
    for e in days:
        assert e.device_id in ENTRANCES or e.device_id in DOORS, e
        if e.device_id in DOORS:
            assert (e.direction, e.method, e.token, e.plate) == ("seen", "door", "", "")
        else:
            assert e.direction in ("in", "out")
        if e.method == "plate":
            assert ENTRANCES.get(e.device_id) == "barrier" and e.plate and not e.token
        if ENTRANCES.get(e.device_id) == "gate":
            assert e.method in ("face", "card", "qr", "other") and not e.plate
    ids = [(e.device_id, e.source_id) for e in days]
    assert all(s and s.startswith("sim-") for _d, s in ids)
    assert len(set(ids)) == len(ids)  # stored once each, whatever the replays
    methods = Counter(e.method for e in days)
    assert {"face", "card", "qr", "plate", "door"} <= set(methods)
    plates = {p.plate for p in PEOPLE if p.plate}
    assert {e.plate for e in days if e.plate} & plates  # residents drive in and out
    deliveries = [e for e in days if e.token.startswith("delivery-")]
    assert deliveries and all(e.method == "qr" for e in deliveries)
    strangers_by_day = [
        e
        for e in days
        if e.direction == "in"
        and e.token
        and e.token not in TOKENS
        and not e.token.startswith("visitor-unknown-")
    ]
    assert strangers_by_day
    assert all(6 <= datetime.fromtimestamp(e.ts, TZ).hour < 22 for e in strangers_by_day)


def test_visitors_come_within_their_validity(sim):
    evs = sim.events(at(1, 0) - 86400 * 3, at(4, 0))
    by = {p.token: p for p in PEOPLE if p.category == "visitor"}
    seen: dict[str, list[AccessEvent]] = {}
    for e in evs:
        p = by.get(e.token) or next(
            (v for v in by.values() if v.plate and v.plate == e.plate), None
        )
        if p is not None:
            seen.setdefault(p.token, []).append(e)
    v1 = seen["V1"]
    assert [e.direction for e in v1] == ["in", "out"]
    assert at(1, 14) < v1[0].ts < v1[1].ts < at(1, 17)
    v2 = seen["V2"]
    assert [e.direction for e in v2] == ["in", "out"]
    assert at(2, 9) < v2[0].ts and 3600 <= v2[1].ts - v2[0].ts <= 3 * 3600
    v5 = seen["V5"]  # by car, or on foot
    assert at(1, 20) < v5[0].ts < v5[1].ts < at(1, 23)
    for token in ("V3", "V4"):  # regular visitors: by day, 1-3 h, some days
        visits = seen.get(token, [])
        for e_in, e_out in zip(visits[::2], visits[1::2], strict=True):
            assert (e_in.direction, e_out.direction) == ("in", "out")
            assert 9 <= datetime.fromtimestamp(e_in.ts, TZ).hour < 17
            assert 3600 <= e_out.ts - e_in.ts <= 3 * 3600
    assert all(e.method in ("qr", "plate") for v in seen.values() for e in v)


def test_the_cared_for_resident_is_not_seen_until_6_minutes_in(sim):
    first = min((p for p in PEOPLE if p.care), key=lambda p: p.token)
    assert first.token == "C900001" and first.door_sensor == "door-a01"
    a, b = START - 24 * 3600 - 7200, START + 360.0
    assert (sim.absent_from, sim.absent_until) == (a, b)
    assert sim.lookback_s >= 26 * 3600
    evs = sim.events(a - 86400, b + 86400)

    def theirs(e: AccessEvent) -> bool:
        return e.token == first.token or e.device_id == "door-a01"

    during = [e for e in evs if a < e.ts < b and theirs(e)]
    assert during == []
    left = [e for e in evs if e.ts == a and theirs(e)]
    back = [e for e in evs if e.ts == b and theirs(e)]
    assert [(e.direction, ENTRANCES[e.device_id]) for e in left] == [("out", "gate")]
    assert [(e.direction, ENTRANCES[e.device_id]) for e in back] == [("in", "gate")]
    door = [e for e in evs if e.device_id == "door-a01" and b <= e.ts <= b + 600]
    assert door  # the door opens as they come home
    # the other cared-for residents are seen every day, at intervals under their check interval
    for p in PEOPLE:
        if p.care and p is not first:
            times = [
                e.ts
                for e in evs
                if e.token == p.token or (p.door_sensor and e.device_id == p.door_sensor)
            ]
            gaps = [t1 - t0 for t0, t1 in zip(times, times[1:], strict=False)]
            assert times and max(gaps) < p.interval_h * 3600, p.token
    # at a speed of 60, 6 real minutes are 6 simulated hours
    fast = _sim(speed=60.0)
    assert fast.absent_until == START + 360 * 60.0
    assert _sim(incident_every_s=None).absent is None


def test_a_stranger_enters_twice_every_night(sim):
    evs = sim.events(at(1, 0), at(4, 0))
    strangers = [e for e in evs if e.token.startswith("visitor-unknown-")]
    assert len(strangers) == 6
    for day in (1, 2, 3):
        night = [e for e in strangers if at(day, 0) <= e.ts < at(day, 6)]
        assert len(night) == 2
        assert (
            len({e.token for e in night}) == 1
            and night[0].token == f"visitor-unknown-202612{day:02d}"
        )
        assert night[0].token not in TOKENS
        assert abs(night[0].ts - at(day, 1 + 10 / 60)) <= 240
        assert abs(night[1].ts - at(day, 1 + 35 / 60)) <= 240
        assert all(e.direction == "in" and e.method == "face" for e in night)
        assert ENTRANCES[night[0].device_id] == "gate" and night[0].device_id == night[1].device_id
    quiet = _sim(incident_every_s=0).events(at(1, 0), at(4, 0))
    assert quiet and not [e for e in quiet if "unknown" in e.token]


def test_without_a_register_or_entrances():
    anon = _sim(people=[])
    evs = anon.events(at(1, 0), at(2, 0))
    assert evs and all(not e.token or e.token not in TOKENS for e in evs)
    assert anon.absent is None
    assert {e.token.split("-")[0] for e in evs if e.token} == {"delivery", "guest", "visitor"}
    assert any(e.method == "plate" and e.plate.startswith("DLV-") for e in evs)
    no_entrances = AccessSim(PEOPLE, [d for d in DEVICES if d.id not in ENTRANCES], 5, TZ, START)
    assert no_entrances.events(at(1, 0), at(3, 0)) == []


def test_tailgating_at_a_gate():
    sim = Simulator(DEVICES, 5, 22.5, 114.0, TZ, START, 1.0, 60.0, PEOPLE)
    n = next(k for k in range(1, 20) if (i := sim.incident(k)) and i.name == "tailgating")
    inc = sim.incident(n)
    assert inc is not None and inc.overrides == {}
    resident, follower, alarm = inc.events
    assert isinstance(resident, AccessEvent) and isinstance(follower, AccessEvent)
    assert isinstance(alarm, ExternalEvent)
    assert ENTRANCES[resident.device_id] == "gate"
    assert resident.device_id == follower.device_id == alarm.device_id
    assert (resident.ts, resident.direction) == (inc.start, "in") and resident.token in TOKENS
    assert follower.ts == pytest.approx(inc.start + 1.5) and follower.direction == "in"
    assert (follower.method, follower.token, follower.plate) == ("other", "", "")
    assert (alarm.type, alarm.severity) == ("tailgating", "major")
    assert alarm.data == {"message": "two people passed on one credential"}
    got = sim.events(inc.start - 1.0, inc.start + 2.0)
    assert resident in got and follower in got and alarm in got
    assert [e.ts for e in got] == sorted(e.ts for e in got)
    assert sim.events(inc.start - 60, inc.start + 60) == (
        sim.events(inc.start - 60, inc.start + 1.0) + sim.events(inc.start + 1.0, inc.start + 60)
    )
    # without a register: an invented resident's token
    bare = Simulator(DEVICES, 5, 22.5, 114.0, TZ, START, 1.0, 60.0)
    assert bare.incident(n).events[0].token.startswith("resident-")


def _local_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d")


def test_the_incidents_run_the_personnel_rules(tmp_path):
    """A backfill-like run (the past in 20-minute steps from before the unseen resident's last
    passage, then the live minutes) raises one care check for that household, dated when their
    interval ran out, cleared when they come back 6 minutes in; one stranger event a night;
    nothing else of the personnel rules."""
    sim = _sim()
    pseud = Pseudonymiser(secrets.token_bytes(32))
    with EventStore(tmp_path / "ev.sqlite") as events:
        peoplelog.import_register(events, PEOPLE, pseud, "test", START - 30 * 86400)
        watch = PeopleWatch(
            pseud,
            peoplelog.load_register(events),
            {d.id: d.kind for d in DEVICES if d.kind in ("gate", "barrier", "door_sensor")},
            lambda ts: datetime.fromtimestamp(ts, TZ).hour,
            local_day=_local_day,
        )
        p = Pipeline(DEVICES, events, load_rules(), "twin/test", people=watch, clock=lambda: START)
        t = START - 24 * 3600.0
        seen = t - sim.lookback_s
        while t < START:  # the backfill
            p.submit(sim.events(seen, t + 1200.0))
            seen = t + 1200.0
            p.process(t)
            t += 1200.0
        t = START
        care = [e for e in events.events() if e.rule_id == CARE_RULE]
        assert len(care) == 1 and care[0].cleared_at is None  # overdue at the session's start
        while t < START + 1800.0:  # the live feed's first half hour, in 10 s ticks
            p.submit(sim.events(t, t + 10.0))
            t += 10.0
            p.process(t)
        got = events.events()
        stored = len(peoplelog.access_since(events, 0.0))
    care = [e for e in got if e.rule_id == CARE_RULE]
    assert len(care) == 1
    assert care[0].device_id == "household:H004"
    assert care[0].raised_at == pytest.approx(sim.absent_from + 24 * 3600.0, abs=0.01)
    assert care[0].cleared_at == pytest.approx(START + 360.0, abs=0.01)
    nights = [e for e in got if e.rule_id == STRANGER_RULE]
    # nights of 30 Nov and 1 Dec (the fed past goes back to the 1st's morning) and of the 2nd
    assert sorted(e.data["night"] for e in nights) == ["2026-11-30", "2026-12-01"]
    assert all(e.kind == "gate" for e in nights)
    assert not [e for e in got if e.rule_id.startswith(OVERSTAY_RULE)]
    assert {e.rule_id for e in got} == {CARE_RULE, STRANGER_RULE}
    assert stored > 1000
