"""The personnel flow end to end, as a new user tries it: a register in Excel, `twin run` on a
real mosquitto, access events published from outside, counts per entrance by the hour as sent,
a care check that falls due and an operator who closes it, and `twin people` afterwards."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.conftest import ROOT, run_twin

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")
SCENE = """name = "Nanshan estate"
timezone = "Asia/Shanghai"
[mqtt]
prefix = "estate/nanshan"
[[devices]]
path = "devices.csv"
[people]
register = "住户登记.xlsx"
"""
DEVICES = """id,kind,name,lon,lat
gate-east,gate,East gate,113.9300,22.5400
gate-west,gate,West gate,113.9280,22.5400
barrier-1,barrier,Car gate,113.9290,22.5395
"""


def _estate(tmp_path):
    (tmp_path / "estate.toml").write_text(SCENE, encoding="utf-8")
    (tmp_path / "devices.csv").write_text(DEVICES, encoding="utf-8")
    pd.DataFrame(
        {
            "类别": ["住户", "住户", "访客"],
            "人员编号": ["C1001", "C1002", "V9"],
            "姓名": ["王秀英", "李建国", "张伟"],
            "车牌": ["", "粤B12345", ""],
            "户号": ["1-1-302", "1-1-401", "1-1-401"],
            "楼栋": ["1栋", "1栋", "1栋"],
            "单元": ["1单元", "1单元", "1单元"],
            "关爱对象": ["是", "", ""],
            "检查间隔(小时)": [0.5, None, None],
        }
    ).to_excel(tmp_path / "住户登记.xlsx", index=False)
    return tmp_path / "estate.toml"


def test_access_events_from_outside_counts_and_a_care_check_closed(broker, tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_PEOPLE_KEY", str(tmp_path / "people.key"))
    scene = _estate(tmp_path)
    db = tmp_path / "ev.sqlite"
    run = subprocess.Popen(
        [sys.executable, "-m", "twin.cli.main", "run", str(scene), "--headless"]
        + ["--feed", broker.url, "--db", str(db)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stderr is not None
    seen = []
    for line in run.stderr:
        seen.append(line)
        if "subscribed" in line:
            break
    assert "subscribed" in "".join(seen), "".join(seen)
    now = time.time()
    sent: dict[tuple[str, int, str], int] = {}
    top = datetime.fromtimestamp(now, TZ).replace(minute=0, second=0, microsecond=0).timestamp()
    # the cared-for resident went out 40 minutes ago: her 30-minute interval ran out 10 min ago
    out_at = now - 40 * 60
    events = [("gate-east", "exit", "face", {"person": "C1001"}, out_at, "e-0")]
    for k in range(36):
        dev = ("gate-east", "gate-west", "barrier-1")[k % 3]
        kind = "entry" if k % 3 else "exit"
        who = {"plate": "粤B 12345"} if dev == "barrier-1" else {"person": f"X-{k % 5}"}
        events.append(
            (dev, kind, "plate" if dev == "barrier-1" else "card", who, now - k * 580, f"e-{k + 1}")
        )
    for dev, kind, method, who, ts, eid in events:
        payload = {"type": kind, "method": method, "id": eid, "ts": int(ts * 1000), **who}
        broker.publish(
            f"estate/nanshan/{dev}/event", json.dumps(payload, ensure_ascii=False), qos=1
        )
        h = 23 - int((top - ts) // 3600 + (0 if ts >= top else 1)) if ts < top else 23
        key = (dev, h, "in" if kind == "entry" else "out")
        sent[key] = sent.get(key, 0) + 1
    # the same event again (a retry of the platform): stored once; and garbage
    first = events[1]
    broker.publish(
        f"estate/nanshan/{first[0]}/event",
        json.dumps(
            {
                "type": first[1],
                "method": first[2],
                "id": first[5],
                "ts": int(first[4] * 1000),
                **first[3],
            }
        ),
        qos=1,
    )
    broker.publish(
        "estate/nanshan/gate-east/event", '{"type": "entry", "method": "teleport"}', qos=1
    )
    deadline = time.time() + 40
    care = []
    while time.time() < deadline:
        r = run_twin("events", str(scene), "--db", str(db), "--json")
        care = [e for e in json.loads(r.stdout or "[]") if e["type"] == "care_check"]
        if care:
            break
        time.sleep(1)
    assert len(care) == 1, "the care check was not raised"
    e = care[0]
    assert e["device_id"] == "household:1-1-302" and e["severity"] == "major"
    assert abs(e["raised_at_epoch"] - (out_at + 1800)) < 1.0  # when it fell due
    assert "王" not in json.dumps(e, ensure_ascii=False)  # no name in the event log
    r = run_twin(
        "event",
        str(scene),
        str(e["id"]),
        "dispatch",
        "--db",
        str(db),
        "--operator",
        "op-li",
        "--to",
        "staff Chen",
        "--note",
        "knock",
    )
    assert r.returncode == 0, r.stderr
    # she comes back: the condition clears; the operator closes the task with a note
    back = {
        "type": "entry",
        "method": "face",
        "person": "C1001",
        "id": "e-back",
        "ts": int(time.time() * 1000),
    }
    broker.publish("estate/nanshan/gate-west/event", json.dumps(back), qos=1)
    time.sleep(2)
    r = run_twin(
        "event",
        str(scene),
        str(e["id"]),
        "close",
        "--db",
        str(db),
        "--operator",
        "op-li",
        "--note",
        "she was at the market",
    )
    assert r.returncode == 0, r.stderr
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert "Traceback" not in err and "C1001" not in err and "王秀英" not in err
    (closed,) = [
        x
        for x in json.loads(run_twin("events", str(scene), "--db", str(db), "--json").stdout)
        if x["id"] == e["id"]
    ]
    assert closed["status"] == "closed" and closed["cleared"] and closed["closed_by"] == "op-li"
    assert closed["dispatched_to"] == "staff Chen"
    state = json.loads(run_twin("state", str(scene), "--db", str(db), "--json").stdout)
    assert state["ingest"]["rejected"].get("bad_event") == 1
    assert state["ingest"]["rejected"].get("duplicate", 0) <= 1
    # the counts per entrance and hour are what was sent (the entry back home counts too)
    rep = run_twin("people", str(scene), "--db", str(db), "--json", "--at", str(now + 1))
    assert rep.returncode == 0, rep.stderr
    fig = json.loads(rep.stdout)
    got = {}
    for ent in fig["entrances"]:
        for h, n in enumerate(ent["ins"]):
            if n:
                got[(ent["device_id"], h, "in")] = n
        for h, n in enumerate(ent["outs"]):
            if n:
                got[(ent["device_id"], h, "out")] = n
    assert got == sent
    # as of `now`: she had gone out; he came in by car (his plate at the barrier)
    assert fig["residents"] == {"in": 1, "out": 1, "unseen": 0}
    (row,) = fig["care"]
    assert row["household"] == "1-1-302" and row["names"] == ["王**"] and not fig["names_shown"]
    # names only for a supervisor with a reason, and the unmasking is in the access log
    refused = run_twin("people", str(scene), "--db", str(db), "--names", "--reason", "x")
    assert refused.returncode == 2 and "supervisor" in refused.stderr
    shown = run_twin(
        "people",
        str(scene),
        "--db",
        str(db),
        "--json",
        "--names",
        "--role",
        "supervisor",
        "--reason",
        "care visit follow-up",
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["care"][0]["names"] == ["王秀英"]
    log = json.loads(
        run_twin("people", str(scene), "--db", str(db), "--access-log", "--json").stdout
    )
    assert [(u["role"], u["reason"]) for u in log] == [("supervisor", "care visit follow-up")]
