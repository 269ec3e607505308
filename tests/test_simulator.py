"""The built-in simulator: deterministic by seed, realistic days, scripted incidents that run
the whole alarm loop."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from twin.state.events import EventStore
from twin.state.rules import load_rules
from twin.telemetry.live import make_simulator, scene_prefix
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.simulator import SCRIPT

HEL = ZoneInfo("Europe/Helsinki")


def at(hour: float, day: int = 18) -> float:
    """Epoch of 2026-11-<day> at ``hour`` Helsinki time (a Wednesday)."""
    h, m = int(hour), int(round((hour % 1) * 60))
    return datetime(2026, 11, day, h, m, tzinfo=HEL).timestamp()


@pytest.fixture(scope="module")
def sim(demo_scene):
    return make_simulator(demo_scene, seed=7, speed=1.0, start=at(0), incident_every_s=None)


def values(sim, kind, t):
    return [sim.values(i, t) for i, d in enumerate(sim.devices) if d.kind == kind]


def test_same_seed_same_stream_and_chunking_does_not_matter(demo_scene):
    a = make_simulator(demo_scene, seed=3, start=at(8), incident_every_s=60)
    b = make_simulator(demo_scene, seed=3, start=at(8), incident_every_s=60)
    whole = a.messages(at(8), at(8) + 900)
    parts = [m for k in range(15) for m in b.messages(at(8) + 60 * k, at(8) + 60 * (k + 1))]
    assert len(whole) > 1000
    assert whole == parts
    other = make_simulator(demo_scene, seed=4, start=at(8), incident_every_s=60).messages(
        at(8), at(8) + 900
    )
    assert other != whole


def test_every_device_reports_at_its_heartbeat(sim):
    msgs = sim.messages(at(10), at(10) + 3600)
    per_device: dict[str, int] = {}
    for m in msgs:
        per_device[m.device_id] = per_device.get(m.device_id, 0) + 1
    for i, d in enumerate(sim.devices):
        expected = 3600 / sim.heartbeat[i]
        assert abs(per_device.get(d.id, 0) - expected) <= 1, d.id
    assert [m.ts for m in msgs] == sorted(m.ts for m in msgs)


def test_parking_full_at_night_emptier_by_day(sim):
    night = values(sim, "parking_space", at(3))
    day = values(sim, "parking_space", at(13))
    occ_night = sum(v["occupied"] for v in night) / len(night)
    occ_day = sum(v["occupied"] for v in day) / len(day)
    assert occ_night >= 0.85
    assert occ_day <= 0.5
    assert occ_night - occ_day >= 0.4


def test_pm25_peaks_morning_and_evening(sim):
    def mean(h):
        v = values(sim, "env_monitor", at(h))
        return sum(x["pm25"] for x in v) / len(v)

    assert mean(8) > mean(3) + 10
    assert mean(19) > mean(14) + 8
    assert all(0 <= x["pm25"] < 75 for h in range(24) for x in values(sim, "env_monitor", at(h)))


def test_noise_below_limits_day_and_night(sim):
    for h in range(24):
        limit = 55 if 6 <= h < 22 else 45
        assert all(x["noise_db"] < limit for x in values(sim, "env_monitor", at(h))), h


def test_lamps_on_from_dusk_to_dawn(sim):
    # Helsinki, 18 November: sunrise about 08:40, sunset about 15:35
    assert all(v["light_on"] for v in values(sim, "pole", at(22)))
    assert all(v["light_on"] for v in values(sim, "pole", at(6)))
    assert not any(v["light_on"] for v in values(sim, "pole", at(12)))
    assert all(v["power_w"] > 50 for v in values(sim, "pole", at(22)))


def test_chargers_busy_in_the_evening(sim):
    def charging(h):
        v = values(sim, "charger", at(h))
        return sum(x["state"] == "charging" for x in v) / len(v)

    assert charging(21) >= 0.5
    assert charging(11) <= 0.2


def test_counters_never_go_back(sim):
    idx = [i for i, d in enumerate(sim.devices) if d.kind in ("meter", "charger")]
    times = [at(0) + k * 1800 for k in range(2 * 48)]
    for i in idx:
        key = "kwh" if sim.devices[i].kind == "meter" else "energy_kwh"
        series = [sim.values(i, t)[key] for t in times]
        assert series == sorted(series), sim.devices[i].id


def test_building_load_follows_use(demo_scene, sim):
    def hourly(device_id, h):
        i = sim.index[device_id]
        return sim.values(i, at(h + 1))["kwh"] - sim.values(i, at(h))["kwh"]

    assert hourly("topelia-meter-01", 19) > 2 * hourly("topelia-meter-01", 3)  # residential evening
    assert hourly("stockmann-meter-01", 11) > 3 * hourly(
        "stockmann-meter-01", 3
    )  # commercial opening hours
    assert hourly("stockmann-meter-01", 11) > hourly("stockmann-meter-01", 20)


def test_bins_emptied_in_the_morning(sim):
    before = values(sim, "trash_bin", at(6.9))
    after = values(sim, "trash_bin", at(7.5))
    assert sum(v["fill_pct"] for v in before) > 5 * sum(v["fill_pct"] for v in after)


def test_all_readings_are_valid(sim):
    from twin.scene.catalogue import CATALOGUE
    from twin.state.readings import check_readings

    for h in (0, 6, 12, 18):
        for i, d in enumerate(sim.devices):
            clean, bad = check_readings(CATALOGUE[d.kind], sim.values(i, at(h)))
            assert not bad, (d.id, bad)
            assert set(clean) == {r.name for r in CATALOGUE[d.kind].readings} - {"booked"} | (
                {"booked"} if d.kind == "parking_space" else set()
            ), d.id


def test_incidents_every_few_minutes_run_the_whole_alarm_loop(demo_scene, tmp_path):
    """Demo mode: each scripted incident raises its alarm when it starts and clears it when it
    ends; nothing is raised twice."""
    start = at(20)
    sim = make_simulator(demo_scene, seed=1, speed=1.0, start=start, incident_every_s=180)
    incidents = [sim.incident(n) for n in range(1, len(SCRIPT) + 1)]
    assert [i.name for i in incidents] == list(SCRIPT)
    assert [i.start - start for i in incidents] == [180.0 * n for n in range(1, len(SCRIPT) + 1)]
    with EventStore(tmp_path / "ev.sqlite") as events:
        p = Pipeline(
            demo_scene.devices,
            events,
            load_rules(),
            scene_prefix(demo_scene),
            clock=lambda: start,
            local_hour=lambda ts: datetime.fromtimestamp(ts, HEL).hour,
        )
        p.submit(sim.snapshot(start))
        p.process(start)
        assert events.events() == []  # a quiet community before the first incident
        t = start
        end = start + 180 * (len(SCRIPT) + 1) - 10  # until just before the script starts again
        assert incidents[-1].end < end
        while t < end:
            p.submit(sim.messages(t, t + 10))
            p.submit(sim.events(t, t + 10))
            t += 10
            p.process(t)
        got = events.events()
    by_type = {e.type for e in got}
    assert {"lid_open", "smoke", "intrusion", "charger_fault", "pm25_high", "lift_fault"} <= by_type
    assert "fire_door_open_in_fire" in by_type  # the door propped open during the smoke alarm
    tailgating = [e for e in got if e.type == "tailgating"]  # the gate's own event: not cleared
    assert len(tailgating) == 1 and tailgating[0].severity == "major"
    assert tailgating[0].raised_at == pytest.approx(incidents[-1].start + 1.5, abs=0.01)
    got = [e for e in got if e.type != "tailgating"]
    assert all(e.cleared for e in got), [(e.type, e.device_id) for e in got if not e.cleared]
    keys = [(e.device_id, e.rule_id) for e in got]
    assert len(keys) == len(set(keys))
    lid = next(e for e in got if e.type == "lid_open")
    assert lid.raised_at == pytest.approx(incidents[0].start, abs=0.01)
    assert lid.cleared_at == pytest.approx(incidents[0].end, abs=10.01)
