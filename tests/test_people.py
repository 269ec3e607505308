"""People data handled lawfully: the register (CSV / Excel, zh / en), pseudonyms and encrypted
names, access events through the real pipeline, care checks in the event lifecycle, strangers
at night, overstaying visitors, retention, and unmasking only for a supervisor (logged)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from twin.analysis.people import people_figures
from twin.core.errors import InputError
from twin.ingest.register import read_register
from twin.scene.entities import Device
from twin.state import peoplelog
from twin.state.events import EventStore
from twin.state.peoplewatch import CARE_RULE, STRANGER_RULE, PeopleWatch
from twin.state.pseudonym import Pseudonymiser
from twin.state.rules import load_rules
from twin.telemetry.pipeline import Pipeline
from twin.usecases.events import acknowledge_event, close_event, dispatch_event
from twin.usecases.people import shown, unmask_names

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=TZ).timestamp()  # a Tuesday noon in Shenzhen
PREFIX = "estate/nanshan"

ZH_CSV = """类别,人员编号,姓名,车牌,户号,楼栋,单元,关爱对象,检查间隔(小时),门磁,有效期自,有效期至
住户,C1001,王秀英,粤B12345,1-1-302,1栋,1单元,是,24,door-302,,
住户,C1002,李建国,,1-1-401,1栋,1单元,,,,,
住户,,没有编号,,1-1-402,1栋,1单元,,,,,
访客,V2001,张伟,,1-1-401,1栋,1单元,,,,2026-12-01 10:00,2026-12-01 14:00
住户,C1003,赵敏,,1-2-101,1栋,2单元,是,十二,,,
"""


def _devices() -> list[Device]:
    return [
        Device("gate-n", "gate", "North gate", 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        Device("gate-s", "gate", "South gate", 100.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        Device("barrier-1", "barrier", "Barrier", 50.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        Device("door-302", "door_sensor", "Door", 10.0, 10.0, 6.0, 0.0, 0.0, 6.0),
    ]


@pytest.fixture()
def register_csv(tmp_path):
    p = tmp_path / "住户登记.csv"
    p.write_text(ZH_CSV, encoding="utf-8-sig")
    return p


def _hour(ts: float) -> int:
    return datetime.fromtimestamp(ts, TZ).hour


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d")


class World:
    """A real event log, key, register, personnel rules and pipeline on a crafted community."""

    def __init__(self, tmp_path, register_path) -> None:
        self.db = tmp_path / "events.sqlite"
        self.events = EventStore(self.db)
        self.key = secrets.token_bytes(32)
        self.key_path = tmp_path / "people.key"
        self.key_path.write_bytes(self.key)
        self.pseud = Pseudonymiser(self.key)
        rows = read_register(register_path, TZ)
        self.rows = rows
        peoplelog.import_register(self.events, rows.people, self.pseud, rows.source, T0 - 86400)
        self.now = T0
        self.pipeline = self._pipeline()

    def _pipeline(self) -> Pipeline:
        seen, doors = peoplelog.last_seen(self.events)
        watch = PeopleWatch(
            self.pseud,
            peoplelog.load_register(self.events),
            {d.id: d.kind for d in _devices()},
            _hour,
            seen,
            doors,
            self.events.active_conditions(),
            _day,
        )
        return Pipeline(
            _devices(),
            self.events,
            load_rules(),
            PREFIX,
            clock=lambda: self.now,
            local_hour=_hour,
            people=watch,
        )

    def publish(self, device: str, payload: dict, ts: float | None = None) -> None:
        if ts is not None:
            payload = {**payload, "ts": int(ts * 1000)}
        self.pipeline.submit_raw(f"{PREFIX}/{device}/event", json.dumps(payload).encode())

    def run(self, at: float) -> None:
        self.now = at
        self.pipeline.process(at)

    def restart(self) -> None:
        self.pipeline = self._pipeline()


def test_the_register_reads_chinese_headers_and_skips_bad_rows_with_reasons(register_csv):
    rows = read_register(register_csv, TZ)
    assert [p.token for p in rows.people] == ["C1001", "C1002", "V2001"]
    wang = rows.people[0]
    assert (wang.category, wang.household, wang.building, wang.unit) == (
        "resident",
        "1-1-302",
        "1栋",
        "1单元",
    )
    assert wang.care and wang.interval_h == 24 and wang.door_sensor == "door-302"
    assert wang.plate == "粤B12345" and wang.name == "王秀英"
    visitor = rows.people[2]
    assert visitor.category == "visitor"
    assert visitor.valid_to - visitor.valid_from == 4 * 3600
    assert visitor.valid_from == datetime(2026, 12, 1, 10, tzinfo=TZ).timestamp()
    reasons = {w.feature: w.reason for w in rows.warnings}
    assert "no id" in reasons["row 4"]
    assert "check interval" in reasons["row 6"] and "十二" in reasons["row 6"]
    assert rows.read == 5 and len(rows.people) + sum(w.not_drawn for w in rows.warnings) == 5


def test_the_register_reads_english_excel_and_refuses_a_file_without_ids(tmp_path):
    p = tmp_path / "register.xlsx"
    pd.DataFrame(
        {
            "Category": ["resident", "visitor"],
            "Card number": [123456, "V-9"],
            "Household": ["B2-0101", "B2-0101"],
            "Needs care": ["yes", ""],
            "Check interval (h)": [36, None],
        }
    ).to_excel(p, index=False)
    rows = read_register(p, TZ)
    assert [(x.token, x.category, x.care, x.interval_h) for x in rows.people] == [
        ("123456", "resident", True, 36.0),
        ("V-9", "visitor", False, 24.0),
    ]
    bad = tmp_path / "names.csv"
    bad.write_text("name,household\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_register(bad, TZ)
    assert "names.csv" in str(exc.value) and "identifier" in str(exc.value)


def test_identifiers_names_and_plates_are_not_in_the_database_in_clear(tmp_path, register_csv):
    w = World(tmp_path, register_csv)
    w.publish("gate-n", {"type": "entry", "method": "face", "person": "C1002"}, T0 - 60)
    w.publish("barrier-1", {"type": "entry", "method": "plate", "plate": "粤B 12345"}, T0 - 50)
    w.publish("gate-s", {"type": "entry", "method": "card", "person": "X-STRANGER-77"}, T0 - 40)
    w.run(T0)
    w.events.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("events.sqlite"))
    clears = ("C1001", "C1002", "V2001", "X-STRANGER-77", "王秀英", "李建国", "张伟", "粤B12345")
    for clear in clears:
        assert clear.encode("utf-8") not in raw, clear
        assert clear.encode("utf-16-le") not in raw, clear
    again = EventStore(w.db)
    reg = {p.subject: p for p in peoplelog.load_register(again)}
    wang = reg[w.pseud.pseudonym("C1001")]
    assert w.pseud.decrypt(wang.name_enc) == "王秀英" and wang.name_mask == "王**"
    assert wang.plate == w.pseud.pseudonym("粤B12345") and wang.plate_mask == "粤B***5"
    rows = peoplelog.access_since(again, 0)
    assert [r["category"] for r in rows] == ["resident", "resident", "stranger"]
    # the plate read at the barrier found its owner, whatever its spacing
    assert rows[1]["subject"] == wang.subject and rows[1]["household"] == "1-1-302"
    # another key cannot link or read anything
    other = Pseudonymiser(secrets.token_bytes(32))
    assert other.pseudonym("C1001") != wang.subject and other.decrypt(wang.name_enc) == "?"


def test_counts_per_entrance_per_hour_are_what_was_sent(tmp_path, register_csv):
    w = World(tmp_path, register_csv)
    sent = {}
    ts0 = T0 - 5 * 3600
    for k in range(60):
        dev = ("gate-n", "gate-s", "barrier-1")[k % 3]
        ts = ts0 + k * 290.0
        direction = "entry" if k % 4 else "exit"
        w.publish(dev, {"type": direction, "method": "card", "id": f"evt-{k}"}, ts)
        h = int((ts - (T0 - 23 * 3600)) // 3600)
        key = (dev, h, "in" if direction == "entry" else "out")
        sent[key] = sent.get(key, 0) + 1
    # a redelivered event with the same id is stored once
    w.publish("gate-s", {"type": "entry", "method": "card", "id": "evt-1"}, ts0 + 290.0)
    w.run(T0 + 1)
    fig = people_figures(w.events, T0 + 1, TZ, ["gate-n", "gate-s", "barrier-1"])
    assert fig.hours[-1] == T0 and len(fig.hours) == 24
    got = {}
    for f in fig.entrances:
        for h in range(24):
            if f.ins[h]:
                got[(f.device_id, h, "in")] = f.ins[h]
            if f.outs[h]:
                got[(f.device_id, h, "out")] = f.outs[h]
    assert got == sent
    assert sum(fig.ins) + sum(fig.outs) == 60
    recent = sum(1 for k in range(60) if T0 + 1 - (ts0 + k * 290.0) <= 3600 and k % 4)
    assert fig.last_hour_in == recent


def test_a_care_check_falls_due_after_the_interval_and_goes_through_the_lifecycle(
    tmp_path, register_csv
):
    w = World(tmp_path, register_csv)
    last = T0 - 20 * 3600
    w.publish("gate-n", {"type": "exit", "method": "face", "person": "C1001"}, last)
    w.run(T0)
    assert not [e for e in w.events.events() if e.rule_id == CARE_RULE]
    # the door sensor of the household (opted in) counts as seen
    w.now = last + 2 * 3600
    w.pipeline.submit_raw(
        f"{PREFIX}/door-302/telemetry",
        json.dumps({"open": True, "ts": int((last + 2 * 3600) * 1000)}).encode(),
    )
    w.run(last + 2 * 3600 + 1)
    w.run(last + 25 * 3600)  # 24 h after the exit, but 23 h after the door opened
    assert not [e for e in w.events.events() if e.rule_id == CARE_RULE]
    w.run(last + 26 * 3600 + 20)
    care = [e for e in w.events.events() if e.rule_id == CARE_RULE]
    assert len(care) == 1
    e = care[0]
    assert e.device_id == "household:1-1-302" and e.severity == "major"
    assert e.raised_at == pytest.approx(last + 2 * 3600 + 24 * 3600)  # when it fell due
    assert e.data["building"] == "1栋" and e.data["unit"] == "1单元"
    assert "王" not in json.dumps(e.as_dict(), ensure_ascii=False)
    # a restart does not raise it again
    w.restart()
    w.run(last + 27 * 3600)
    assert len([x for x in w.events.events() if x.rule_id == CARE_RULE]) == 1
    acknowledge_event(w.events, e.id, "op-li")
    dispatch_event(w.events, e.id, "op-li", "staff Chen", "knock at 1-1-302")
    # seen again: the condition clears; the operator closes the task with a note
    w.publish("gate-s", {"type": "entry", "method": "card", "person": "C1001"}, last + 27.5 * 3600)
    w.run(last + 27.5 * 3600 + 1)
    e = w.events.get(e.id)
    assert e.cleared and e.status == "dispatched" and e.dispatched_to == "staff Chen"
    close_event(w.events, e.id, "op-li", "Mrs Wang was at her daughter's; all well")
    e = w.events.get(e.id)
    assert e.status == "closed" and e.closed_note.startswith("Mrs Wang")
    fig = people_figures(w.events, last + 28 * 3600, TZ, ["gate-n", "gate-s"])
    row = next(c for c in fig.care if c.household == "1-1-302")
    assert not row.overdue and row.last_seen == pytest.approx(last + 27.5 * 3600)


def test_a_stranger_at_night_is_flagged_once_per_night_and_strangers_by_day_are_not(
    tmp_path, register_csv
):
    w = World(tmp_path, register_csv)
    night = datetime(2026, 12, 2, 1, 10, tzinfo=TZ).timestamp()
    for ts in (night, night + 25 * 60):  # the same stranger twice
        w.publish("gate-n", {"type": "entry", "method": "face", "person": "F-unknown-9"}, ts)
    day = night + 10 * 3600
    w.publish("gate-s", {"type": "entry", "method": "qr", "person": "delivery-1"}, day)
    w.publish("gate-n", {"type": "entry", "method": "card", "person": "C1002"}, night + 60)
    w.run(night + 11 * 3600)
    flagged = [e for e in w.events.events() if e.rule_id == STRANGER_RULE]
    assert len(flagged) == 1 and flagged[0].device_id == "gate-n"
    assert flagged[0].raised_at == pytest.approx(night)
    w.restart()  # redelivered after a restart: still one
    w.publish("gate-n", {"type": "entry", "method": "face", "person": "F-unknown-9"}, night + 30)
    w.run(night + 11 * 3600 + 1)
    assert len([e for e in w.events.events() if e.rule_id == STRANGER_RULE]) == 1
    fig = people_figures(w.events, night + 11 * 3600 + 2, TZ, ["gate-n", "gate-s"])
    assert [(s.device_id, s.entries) for s in fig.strangers] == [("gate-n", 3)]
    assert fig.unregistered_by_day == 1


def test_a_visitor_overstaying_raises_and_leaving_clears(tmp_path, register_csv):
    w = World(tmp_path, register_csv)
    came = datetime(2026, 12, 1, 11, 0, tzinfo=TZ).timestamp()
    w.publish("gate-n", {"type": "entry", "method": "qr", "person": "V2001"}, came)
    w.run(came + 1)
    fig = people_figures(w.events, came + 60, TZ, ["gate-n"])
    assert [(v.household, v.overstaying) for v in fig.visitors] == [("1-1-401", False)]
    end = datetime(2026, 12, 1, 14, 0, tzinfo=TZ).timestamp()
    w.run(end + 30)
    over = [e for e in w.events.events() if e.type == "visitor_overstay"]
    assert len(over) == 1 and over[0].raised_at == pytest.approx(end) and not over[0].cleared
    w.publish("gate-s", {"type": "exit", "method": "qr", "person": "V2001"}, end + 600)
    w.run(end + 601)
    assert w.events.get(over[0].id).cleared
    assert people_figures(w.events, end + 700, TZ, ["gate-n"]).visitors == []


def test_bad_access_events_are_rejected_with_a_reason_and_never_logged_in_clear(
    tmp_path, register_csv, caplog
):
    w = World(tmp_path, register_csv)
    bad = [
        {"type": "access", "direction": "sideways", "person": "C1001"},
        {"type": "entry", "method": "telepathy", "person": "C1001"},
        {"type": "entry", "method": "card", "person": ["C1001"]},
        {"type": "exit", "method": "card", "person": "C1001" * 40},
    ]
    for b in bad:
        w.publish("gate-n", b, T0 - 10)
    w.publish("gate-n", {"type": "access", "direction": "in", "method": "card", "person": 42}, T0)
    w.run(T0 + 1)
    assert w.pipeline.parser.stats.rejected["bad_event"] == 4
    assert len(peoplelog.access_since(w.events, 0)) == 1
    assert "C1001" not in caplog.text


def test_access_events_past_their_retention_are_deleted(tmp_path, register_csv):
    w = World(tmp_path, register_csv)
    w.events.write_batch(
        [
            (
                "access",
                {"ts": T0 - d * 86400, "device_id": "gate-n", "direction": "in"}
                | {"method": "card", "category": "unidentified"},
            )
            for d in (40, 31, 29, 1)
        ]
    )
    w.pipeline.retention_days = 30
    w.run(T0)  # the pipeline prunes at its first batch, then every hour
    left = sorted(round((T0 - r["ts"]) / 86400) for r in peoplelog.access_since(w.events, 0))
    assert left == [1, 29]
    assert peoplelog.meta(w.events, "pruned")["deleted"] == 2
    assert peoplelog.prune_access(w.events, T0, 2) == 1  # the 29-day-old one


def test_names_are_shown_only_to_a_supervisor_and_every_unmasking_is_logged(tmp_path, register_csv):
    w = World(tmp_path, register_csv)
    reg = peoplelog.load_register(w.events)
    wang = next(p for p in reg if p.household == "1-1-302")
    assert shown(None, wang.name_enc, wang.name_mask) == "王**"
    with pytest.raises(InputError) as exc:
        unmask_names(w.events, "operator", "care list", "check", T0, "op-li", w.key_path)
    assert "supervisor" in str(exc.value)
    with pytest.raises(InputError):
        unmask_names(w.events, "supervisor", "care list", "  ", T0, "sup-zhou", w.key_path)
    assert peoplelog.unmaskings(w.events) == []
    key = unmask_names(
        w.events, "supervisor", "care list", "care visit 1-1-302", T0, "sup-zhou", w.key_path
    )
    assert shown(key, wang.name_enc, wang.name_mask) == "王秀英"
    log = peoplelog.unmaskings(w.events)
    assert [(u.operator, u.role, u.what, u.reason) for u in log] == [
        ("sup-zhou", "supervisor", "care list", "care visit 1-1-302")
    ]


def test_a_bad_register_keeps_the_session_and_the_stored_register(tmp_path, monkeypatch):
    from tests.conftest import run_twin
    from twin.usecases.scene import open_scene
    from twin.usecases.session import start_session

    monkeypatch.setenv("TWIN_PEOPLE_KEY", str(tmp_path / "k.key"))
    (tmp_path / "devices.csv").write_text(
        "id,kind,name,lon,lat\ngate-n,gate,North gate,113.93,22.54\n", encoding="utf-8"
    )
    (tmp_path / "register.csv").write_text(ZH_CSV, encoding="utf-8")
    scene_file = tmp_path / "estate.toml"
    scene_file.write_text(
        'name = "Estate"\ntimezone = "Asia/Shanghai"\n[[devices]]\npath = "devices.csv"\n'
        '[people]\nregister = "register.csv"\n',
        encoding="utf-8",
    )
    db = tmp_path / "ev.sqlite"
    live = start_session(open_scene(scene_file), "sim", db)
    assert live.notes == [] and live.pipeline.people is not None
    live.close()
    # the property office saves a broken file: the session still starts, says why, keeps 3
    (tmp_path / "register.csv").write_text("姓名,备注\n王秀英,x\n", encoding="utf-8")
    live = start_session(open_scene(scene_file), "sim", db)
    try:
        (note,) = live.notes
        assert "register.csv" in note and "identifier" in note
        assert len(peoplelog.load_register(live.events)) == 3
        assert len(live.pipeline.people.by_subject) == 3
    finally:
        live.close()
    r = run_twin("people", str(scene_file), "--db", str(db), "--import")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "register.csv" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_gate_that_only_counts_shows_the_rise_of_its_counters_over_the_hour(
    tmp_path, register_csv
):
    from twin.analysis.people import entries_per_hour
    from twin.state.history import HistoryStore

    w = World(tmp_path, register_csv)
    hist = HistoryStore(tmp_path / "ev.history.sqlite")
    rows = []
    for k in range(13):  # every 5 minutes over the last hour: +7 entries, +5 exits each time
        ts = T0 - 3600 + k * 300
        rows.append(
            ("gate-s", ts, json.dumps({"entries": 50_000 + 7 * k, "exits": 40_000 + 5 * k}))
        )
    hist.write(rows, [])
    # gate-n sends access events: those count, not its counters
    w.publish("gate-n", {"type": "entry", "method": "card"}, T0 - 100)
    w.run(T0)
    rates = entries_per_hour(w.events, hist, ["gate-n", "gate-s", "barrier-1"], T0)
    assert rates == {"gate-n": (1, 0), "gate-s": (84, 60)}  # barrier-1: neither, left out
    hist.close()


def test_a_flood_of_invented_strangers_cannot_bury_the_alarm_list(tmp_path, register_csv):
    from twin.state.peoplewatch import MAX_FLAGGED

    w = World(tmp_path, register_csv)
    night = datetime(2026, 12, 2, 2, 0, tzinfo=TZ).timestamp()
    for k in range(200):
        w.publish("gate-n", {"type": "entry", "method": "face", "person": f"fake-{k}"}, night + k)
    w.publish("gate-s", {"type": "entry", "method": "face", "person": "F-real"}, night + 300)
    w.run(night + 400)
    flagged = [e for e in w.events.events() if e.rule_id == STRANGER_RULE]
    assert len([e for e in flagged if e.device_id == "gate-n"]) == MAX_FLAGGED
    assert len([e for e in flagged if e.device_id == "gate-s"]) == 1  # another gate: its own
    fig = people_figures(w.events, night + 500, TZ, ["gate-n", "gate-s"])
    assert len(fig.strangers) == 201  # every entry stored and listed
