"""Device state, readings checks and the alarm rules (every rule raised once, cleared once)."""

from __future__ import annotations

import pytest

from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import Device
from twin.state.readings import OUT_OF_RANGE, UNKNOWN_READING, WRONG_TYPE, check_readings
from twin.state.rules import FIRE_RULES, Rule, RuleEngine, load_rules
from twin.state.store import Message, StateStore

RULES = load_rules()
T0 = 1_800_000_000.0


def _device(device_id: str, kind: str) -> Device:
    return Device(device_id, kind, device_id, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def test_readings_are_checked_against_the_catalogue():
    env = CATALOGUE["env_monitor"]
    clean, rejected = check_readings(
        env,
        {
            "pm25": 35.5,
            "pm10": -3,
            "noise_db": "loud",
            "temp_c": 21,
            "co2": 400,
            "humidity_pct": float("nan"),
        },
    )
    assert clean == {"pm25": 35.5, "temp_c": 21.0}
    assert dict(rejected) == {
        "pm10": OUT_OF_RANGE,
        "noise_db": WRONG_TYPE,
        "co2": UNKNOWN_READING,
        "humidity_pct": OUT_OF_RANGE,
    }
    clean, rejected = check_readings(CATALOGUE["trash_bin"], {"fill_pct": 300, "fire": True})
    assert clean == {"fire": True} and rejected == [("fill_pct", OUT_OF_RANGE)]
    clean, rejected = check_readings(CATALOGUE["charger"], {"state": "exploding", "power_kw": True})
    assert clean == {} and dict(rejected) == {"state": OUT_OF_RANGE, "power_kw": WRONG_TYPE}


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_every_reading_type_is_strict(kind):
    """A boolean is JSON true / false only (1, 0, 1.0 and "true" would raise and clear alarms);
    numbers are never booleans; an int is a whole number; an enum is one of its choices."""
    for spec in CATALOGUE[kind].readings:
        good = {
            "bool": [True, False],
            "int": [3, 3.0, 0],
            "enum": list(spec.choices),
            "float": [0.5, 1, 0],
        }[spec.type]
        bad = {
            "bool": [1, 0, 1.0, 0.0, "true", None, [True]],
            "int": [True, 2.5, "3", None],
            "enum": [1, True, None, "no-such-state"],
            "float": [True, False, "1.5", None, [1]],
        }[spec.type]
        for value in good:
            if spec.type in ("int", "float") and spec.low is not None and value < spec.low:
                continue
            assert check_readings(CATALOGUE[kind], {spec.name: value})[0] == {spec.name: value}, (
                spec,
                value,
            )
        for value in bad:
            clean, rejected = check_readings(CATALOGUE[kind], {spec.name: value})
            assert clean == {} and rejected[0][1] in (WRONG_TYPE, OUT_OF_RANGE), (spec, value)
            assert rejected[0][1] == (OUT_OF_RANGE if value == "no-such-state" else WRONG_TYPE), (
                spec,
                value,
            )


def test_latest_timestamp_wins_and_status_follows_heartbeats():
    store = StateStore([_device("c1", "charger")])  # chargers beat every 30 s
    assert store.get("c1").status == "unknown"
    store.apply(
        [Message("c1", T0 + 10, {"power_kw": 7.0}), Message("c1", T0 + 5, {"power_kw": 3.0})],
        T0 + 10,
    )
    st = store.get("c1")
    assert st.readings["power_kw"] == 7.0 and st.status == "online"  # the older message lost
    assert store.refresh_status(None, T0 + 10 + 89) == set()
    assert store.refresh_status(None, T0 + 10 + 91) == {"c1"}  # three heartbeats missed
    assert st.status == "offline"
    assert store.counts()["offline"] == 1


def _violating(rule: Rule):
    spec = next(r for r in CATALOGUE[rule.kinds[0]].readings if r.name == rule.reading)
    v = rule.value
    if isinstance(v, bool) or spec.type == "enum":
        return v
    return {">": v + 1, ">=": v, "<": v / 2, "<=": v}[rule.op]


def _ok(rule: Rule):
    spec = next(r for r in CATALOGUE[rule.kinds[0]].readings if r.name == rule.reading)
    if isinstance(rule.value, bool):
        return not rule.value
    if spec.type == "enum":
        return next(c for c in spec.choices if c != rule.value)
    edge = rule.clear if rule.clear is not None else rule.value
    return {">": edge - 1, ">=": edge - 1, "<": edge + 0.05, "<=": edge + 1}[rule.op]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_raises_once_and_clears_once(rule: Rule):
    kind = rule.kinds[0]
    devices = [_device("d1", kind), _device("smoke1", "smoke_detector")]
    store = StateStore(devices)
    hour = {"day": 12, "night": 23}.get(rule.when or "", 12)
    engine = RuleEngine(RULES, store, local_hour=lambda ts: hour)
    now = T0
    if rule.requires == "fire":  # fire doors matter only during a fire alarm
        store.apply([Message("smoke1", now, {"smoke": True})], now)
        assert [c.rule.id for c in engine.evaluate(["smoke1"], now)] == ["smoke"]
    if rule.status == "offline":
        store.apply([Message("d1", now, {})], now)
        engine.evaluate(["d1"], now)
        now += 4 * CATALOGUE[kind].heartbeat_s
        changed = store.refresh_status(None, now)
        raised = engine.evaluate(changed, now)
        assert [(c.rule.id, c.raised) for c in raised if c.device_id == "d1"] == [(rule.id, True)]
        assert engine.evaluate(changed, now) == []  # no duplicate
        store.apply([Message("d1", now, {})], now)
        cleared = engine.evaluate(["d1"], now)
        assert [(c.rule.id, c.raised) for c in cleared if c.device_id == "d1"] == [(rule.id, False)]
        return
    bad, good = _violating(rule), _ok(rule)
    changes = engine.evaluate(store.apply([Message("d1", now, {rule.reading: bad})], now), now)
    assert [(c.rule.id, c.raised) for c in changes if c.rule.id == rule.id] == [(rule.id, True)]
    assert store.apply_changes(changes, now) == {"d1"}
    assert store.get("d1").status == ("fault" if rule.makes_fault else "alarm")
    again = engine.evaluate(
        store.apply([Message("d1", now + 1, {rule.reading: bad})], now + 1) | {"d1"}, now + 1
    )
    assert [
        c for c in again if c.rule.id == rule.id
    ] == []  # one event per condition while it lasts
    changes = engine.evaluate(
        store.apply([Message("d1", now + 2, {rule.reading: good})], now + 2), now + 2
    )
    assert [(c.rule.id, c.raised) for c in changes if c.rule.id == rule.id] == [(rule.id, False)]


def test_clear_threshold_stops_flapping():
    store = StateStore([_device("e1", "env_monitor")])
    engine = RuleEngine(RULES, store, local_hour=lambda ts: 12)
    seen = []
    for i, pm in enumerate([76, 72, 74, 71, 69, 72]):
        seen += [
            (c.rule.id, c.raised)
            for c in engine.evaluate(
                store.apply([Message("e1", T0 + i, {"pm25": pm})], T0 + i), T0 + i
            )
        ]
    assert seen == [
        ("pm25_high", True),
        ("pm25_high", False),
    ]  # raised at 76, cleared only below 70


def test_noise_limits_day_and_night():
    store = StateStore([_device("e1", "env_monitor")])
    hour = {"h": 14}
    engine = RuleEngine(RULES, store, local_hour=lambda ts: hour["h"])
    assert (
        engine.evaluate(store.apply([Message("e1", T0, {"noise_db": 50.0})], T0), T0) == []
    )  # day: < 55
    hour["h"] = 23
    night = engine.evaluate(["e1"], T0 + 1)
    assert [(c.rule.id, c.raised) for c in night] == [("noise_night", True)]  # night: > 45


def test_fire_doors_matter_only_during_a_fire():
    store = StateStore([_device("door", "fire_door"), _device("s1", "smoke_detector")])
    engine = RuleEngine(RULES, store)
    assert engine.evaluate(store.apply([Message("door", T0, {"open": True})], T0), T0) == []
    fire = engine.evaluate(store.apply([Message("s1", T0 + 1, {"smoke": True})], T0 + 1), T0 + 1)
    assert {(c.device_id, c.rule.id) for c in fire} == {
        ("s1", "smoke"),
        ("door", "fire_door_open_in_fire"),
    }
    out = engine.evaluate(store.apply([Message("s1", T0 + 2, {"smoke": False})], T0 + 2), T0 + 2)
    assert {(c.device_id, c.raised) for c in out} == {("s1", False), ("door", False)}
    assert "smoke" in FIRE_RULES


def test_restart_with_active_conditions_raises_no_duplicates():
    devices = [_device("m1", "manhole")]
    store = StateStore(devices)
    engine = RuleEngine(
        RULES, store, active={("m1", "lid_open"), ("ghost", "lid_open"), ("m1", "no_rule")}
    )
    assert engine.active == {("m1", "lid_open")}  # unknown devices and rules are dropped
    store.apply_changes(engine.held(), None)  # the store holds again what the log says is active
    changes = engine.evaluate(store.apply([Message("m1", T0, {"lid_open": True})], T0), T0)
    assert changes == []  # the condition was already raised before the restart
    assert store.get("m1").status == "alarm"


def test_status_precedence():
    store = StateStore([_device("c1", "charger"), _device("m1", "manhole")])
    engine = RuleEngine(RULES, store)
    changes = engine.evaluate(
        store.apply(
            [
                Message("c1", T0, {"state": "fault"}),
                Message("m1", T0, {"lid_open": True, "battery_pct": 5}),
            ],
            T0,
        ),
        T0,
    )
    assert (
        store.get("m1").status == "online"
    )  # the engine only finds transitions; the store applies them
    store.apply_changes(changes, T0)
    assert store.get("c1").status == "fault"
    assert store.get("m1").status == "alarm"  # an alarm outranks a low battery
    store.refresh_status(None, T0 + 3 * 3600 + 1)
    assert store.get("m1").status == "offline"  # and offline outranks both


def test_standards_limits_are_defined_once(tmp_path):
    """The alarm rules and the environment view's grading read the same limits; a rule naming an
    unknown limit is refused."""
    from twin.analysis.environment import QUANTITIES
    from twin.core.errors import InputError
    from twin.scene.standards import LIMITS
    from twin.state.rules import load_rules

    rules = {r.id: r for r in load_rules()}
    assert (
        rules["pm25_high"].value
        == LIMITS["gb3095_pm25_grade2"]
        == QUANTITIES["pm25"].thresholds[1].value
    )
    assert (
        rules["noise_day"].value
        == LIMITS["gb3096_class1_day"]
        == QUANTITIES["noise_db"].thresholds[0].value
    )
    assert rules["noise_night"].value == QUANTITIES["noise_db"].night_thresholds[0].value
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[[rule]]\nid = "x"\nkinds = ["env_monitor"]\nreading = "pm25"\nop = ">"\n'
        'limit = "gb9999_made_up"\nseverity = "major"\n'
    )
    with pytest.raises(InputError, match="not a known standard's limit"):
        load_rules(bad)
