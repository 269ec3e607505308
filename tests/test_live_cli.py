"""The live side from the command line, as a user drives it: `twin simulate` into a real
broker, `twin run --headless` out of it, events / state / history, the operator's lifecycle,
kill -9 and restart, replay, and frames coloured by status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DEMO, ROOT, run_twin
from tests.helpers_gis import assert_one_line_error
from twin.render.offscreen import compose
from twin.render.scenevis import _project
from twin.render.style import STATUS, rgb
from twin.scene.catalogue import CATALOGUE
from twin.usecases.session import statuses_at

pytestmark = pytest.mark.slow

EVENT_KEYS = {"id", "device_id", "kind", "type", "severity", "status", "raised_at"}


def twin_bg(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "twin.cli.main", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def events_json(db: Path, *extra: str) -> list[dict]:
    r = run_twin("events", str(DEMO), "--db", str(db), "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_simulate_into_broker_and_run_out_of_it(broker, tmp_path):
    """The MQTT path end to end with the simulator's realistic stream and an incident."""
    db = tmp_path / "ev.sqlite"
    run = twin_bg("run", str(DEMO), "--headless", "--feed", broker.url, "--db", str(db))
    assert run.stderr is not None
    seen = []
    for line in run.stderr:  # wait until the scene is built and the feed subscribed
        seen.append(line)
        if "subscribed" in line:
            break
    assert "subscribed" in "".join(seen), "".join(seen)
    sim = run_twin(
        "simulate",
        str(DEMO),
        "--mqtt",
        broker.url,
        "--rate",
        "400",
        "--duration",
        "6",
        "--incidents-every",
        "2",
    )
    assert sim.returncode == 0, sim.stderr
    time.sleep(2)
    run.send_signal(signal.SIGTERM)  # a service manager stopping it: a clean exit
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "Traceback" not in err
    state = json.loads(run_twin("state", str(DEMO), "--db", str(db), "--json").stdout)
    published = int(sim.stdout.split()[1])
    assert published >= 2000
    assert state["ingest"]["accepted"] == published
    assert state["ingest"]["rejected_total"] == 0
    assert state["counts"]["unknown"] == 0  # the simulator's first report covers every device
    events = events_json(db)
    assert events and all(EVENT_KEYS <= set(e) for e in events)
    assert any(e["type"] in ("lid_open", "smoke") for e in events)


def test_operator_lifecycle_and_state_from_the_command_line(tmp_path):
    db = tmp_path / "ev.sqlite"
    r = run_twin(
        "run",
        str(DEMO),
        "--headless",
        "--feed",
        "sim",
        "--speed",
        "60",
        "--incidents-every",
        "1",
        "--duration",
        "6",
        "--db",
        str(db),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["events_raised"] >= 2
    events = events_json(db)
    first = events[-1]
    assert first["status"] == "raised"
    ack = run_twin(
        "event",
        str(DEMO),
        str(first["id"]),
        "ack",
        "--operator",
        "王伟",
        "--note",
        "看到了",
        "--db",
        str(db),
    )
    assert ack.returncode == 0, ack.stderr
    dis = run_twin(
        "event",
        str(DEMO),
        str(first["id"]),
        "dispatch",
        "--operator",
        "王伟",
        "--to",
        "Patrol team 2",
        "--db",
        str(db),
        "--json",
    )
    assert json.loads(dis.stdout)["dispatched_to"] == "Patrol team 2"
    close = run_twin(
        "event",
        str(DEMO),
        str(first["id"]),
        "close",
        "--operator",
        "王伟",
        "--note",
        "fixed",
        "--db",
        str(db),
    )
    assert close.returncode == 0
    after = {e["id"]: e for e in events_json(db)}
    e = after[first["id"]]
    assert (e["status"], e["acknowledged_by"], e["acknowledged_note"], e["closed_note"]) == (
        "closed",
        "王伟",
        "看到了",
        "fixed",
    )
    assert first["id"] not in {x["id"] for x in events_json(db, "--open")}
    # the state of one device, with its readings
    dev = first["device_id"]
    st = json.loads(run_twin("state", str(DEMO), "--db", str(db), "--json", "--device", dev).stdout)
    assert st["device"]["id"] == dev
    assert set(st["device"]["readings"]) <= {r.name for r in CATALOGUE[first["kind"]].readings}
    assert st["device"]["readings"]
    assert st["ingest"]["accepted"] > 1700
    # a closed event cannot be acknowledged
    assert_one_line_error(
        run_twin("event", str(DEMO), str(first["id"]), "ack", "--operator", "x", "--db", str(db)),
        str(first["id"]),
    )
    # history for a chart
    h = run_twin(
        "history",
        str(DEMO),
        "--db",
        str(db),
        "--device",
        dev,
        "--reading",
        CATALOGUE[first["kind"]].readings[0].name,
        "--json",
    )
    assert h.returncode == 0, h.stderr
    assert json.loads(h.stdout)


def test_kill_9_and_restart_loses_and_duplicates_nothing(tmp_path):
    db = tmp_path / "ev.sqlite"
    args = [
        "run",
        str(DEMO),
        "--headless",
        "--feed",
        "sim",
        "--speed",
        "30",
        "--incidents-every",
        "1",
        "--db",
        str(db),
    ]
    proc = twin_bg(*args)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if db.exists() and len(events_json(db)) >= 4:
            break
    before = events_json(db)
    assert len(before) >= 4
    ack = run_twin(
        "event", str(DEMO), str(before[-1]["id"]), "ack", "--operator", "op", "--db", str(db)
    )
    assert ack.returncode == 0, ack.stderr
    before = events_json(db)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    r = run_twin(*args, "--duration", "4")
    assert r.returncode == 0, r.stderr
    after = {e["id"]: e for e in events_json(db)}
    for e in before:  # every event survived, with its status
        assert e["id"] in after
        assert after[e["id"]]["status"] == e["status"]
        assert after[e["id"]]["raised_at"] == e["raised_at"]
    active = [
        (e["device_id"], e["type"])
        for e in after.values()
        if not e["cleared"] and e["status"] != "closed"
    ]
    assert len(active) == len(set(active)), "one active event per condition"


def test_history_export_replays_to_the_same_state(tmp_path):
    db = tmp_path / "ev.sqlite"
    r = run_twin(
        "run",
        str(DEMO),
        "--headless",
        "--feed",
        "sim",
        "--speed",
        "20",
        "--incidents-every",
        "2",
        "--duration",
        "5",
        "--db",
        str(db),
    )
    assert r.returncode == 0, r.stderr
    csv_path = tmp_path / "h.csv"
    ex = run_twin("history", str(DEMO), "--db", str(db), "--export", str(csv_path))
    assert ex.returncode == 0, ex.stderr
    original = json.loads(run_twin("state", str(DEMO), "--db", str(db), "--json").stdout)
    db2 = tmp_path / "replayed.sqlite"
    rp = run_twin(
        "run",
        str(DEMO),
        "--headless",
        "--feed",
        f"replay:{csv_path}",
        "--speed",
        "1000",
        "--db",
        str(db2),
    )
    assert rp.returncode == 0, rp.stderr
    replayed = json.loads(run_twin("state", str(DEMO), "--db", str(db2), "--json").stdout)
    a = {d["id"]: d["readings"] for d in original["devices"]}
    b = {d["id"]: d["readings"] for d in replayed["devices"]}
    assert a == b
    types = sorted((e["device_id"], e["type"]) for e in events_json(db))
    assert sorted((e["device_id"], e["type"]) for e in events_json(db2)) == types
    out = tmp_path / "replay.png"
    rr = run_twin(
        "render", str(DEMO), "--feed", f"replay:{csv_path}", "--out", str(out), "--size", "640x360"
    )
    assert rr.returncode == 0, rr.stderr
    assert out.stat().st_size > 10_000


def test_frame_shows_status_colours_where_devices_stand(demo_scene):
    """`twin render --feed sim --at`: alarm devices red, the rest green, by pixel."""
    at = 1795284000.0  # 2026-11-21 20:00 Helsinki
    # the simulator warms up for an hour: the 50th incident, a manhole lid open, starts at `at`
    statuses, when = statuses_at(demo_scene, "sim", at, seed=1, incident_every_s=72)
    assert when == at
    alarmed = [d for d in demo_scene.devices if statuses[d.id] == "alarm"]
    assert alarmed
    assert sum(s == "online" for s in statuses.values()) > 0.9 * len(statuses)
    size = (1280, 720)
    plotter, _ = compose(demo_scene, "overview", size, "en", statuses=statuses, subtitle="x")
    try:
        img = np.asarray(plotter.screenshot(return_img=True))[:, :, :3].astype(int)

        def near(devices, colour):
            lift = np.array([max(CATALOGUE[d.kind].mount_height, 1.0) + 1.5 for d in devices])
            ndc = _project(
                plotter,
                np.column_stack(
                    [[d.x for d in devices], [d.y for d in devices], [d.z for d in devices] + lift]
                ),
            )
            hits = 0
            for x, y in ndc[:, :2]:
                c, r = int((x + 1) / 2 * size[0]), int((1 - (y + 1) / 2) * size[1])
                win = img[max(r - 4, 0) : r + 5, max(c - 4, 0) : c + 5].reshape(-1, 3)
                hits += bool(
                    len(win) and np.min(np.abs(win - np.array(rgb(colour))).sum(axis=1)) <= 60
                )
            return hits

        assert near(alarmed, STATUS["alarm"]) == len(alarmed)
        ok = [d for d in demo_scene.devices_of("hydrant") if statuses[d.id] == "online"]
        assert near(ok, STATUS["ok"]) >= 0.9 * len(ok)
        red = np.abs(img - np.array(rgb(STATUS["alarm"]))).sum(axis=2) <= 40
        red[int(size[1] * 0.5) :, : int(size[0] * 0.25)] = False  # the legend's swatch
        assert red.sum() < 400 * len(alarmed)  # red only where the alarms are
    finally:
        plotter.close()


def test_bad_live_input_is_one_clear_line(tmp_path):
    out = str(tmp_path / "x.png")
    assert_one_line_error(
        run_twin(
            "run",
            str(DEMO),
            "--headless",
            "--feed",
            "carrier-pigeon",
            "--duration",
            "1",
            "--db",
            str(tmp_path / "a.sqlite"),
        ),
        "carrier-pigeon",
    )
    assert_one_line_error(
        run_twin(
            "run",
            str(DEMO),
            "--headless",
            "--feed",
            "mqtt://:99999",
            "--duration",
            "1",
            "--db",
            str(tmp_path / "a.sqlite"),
        ),
        "mqtt://:99999",
    )
    assert_one_line_error(
        run_twin(
            "run",
            str(DEMO),
            "--headless",
            "--feed",
            f"replay:{tmp_path / 'none.csv'}",
            "--db",
            str(tmp_path / "a.sqlite"),
        ),
        "none.csv",
    )
    garbage = tmp_path / "g.csv"
    garbage.write_text("a,b\n1,2\n")
    assert_one_line_error(
        run_twin(
            "run",
            str(DEMO),
            "--headless",
            "--feed",
            f"replay:{garbage}",
            "--db",
            str(tmp_path / "a.sqlite"),
        ),
        "g.csv",
    )
    assert_one_line_error(
        run_twin("render", str(DEMO), "--feed", "sim", "--at", "teatime", "--out", out), "teatime"
    )
    assert_one_line_error(
        run_twin("state", str(DEMO), "--db", str(tmp_path / "never.sqlite")), "never.sqlite"
    )
    assert_one_line_error(
        run_twin(
            "simulate", str(DEMO), "--mqtt", "mqtts://127.0.0.1:1?ca=/no/ca.pem", "--duration", "1"
        ),
        "ca.pem",
    )
    r = run_twin(
        "run",
        str(DEMO),
        "--headless",
        "--feed",
        "sim",
        "--duration",
        "1",
        "--db",
        str(tmp_path / "b.sqlite"),
    )
    assert r.returncode == 0
    assert_one_line_error(
        run_twin(
            "event", str(DEMO), "999", "ack", "--operator", "x", "--db", str(tmp_path / "b.sqlite")
        ),
        "999",
    )
    not_db = tmp_path / "n.sqlite"
    not_db.write_text("this is not a database\n" * 100)
    assert_one_line_error(
        run_twin(
            "run", str(DEMO), "--headless", "--feed", "sim", "--duration", "1", "--db", str(not_db)
        ),
        "n.sqlite",
    )


@pytest.mark.parametrize("lang", ["zh"])
def test_cli_render_with_feed_writes_the_frame(tmp_path, lang):
    out = tmp_path / "live.png"
    r = run_twin(
        "render",
        str(DEMO),
        "--feed",
        "sim",
        "--at",
        "2026-11-21T20:00",
        "--out",
        str(out),
        "--size",
        "960x540",
        "--lang",
        lang,
    )
    assert r.returncode == 0, r.stderr
    from PIL import Image

    img = np.asarray(Image.open(out))[:, :, :3].astype(int)
    greens = (np.abs(img - np.array(rgb(STATUS["ok"]))).sum(axis=2) <= 40).sum()
    assert greens > 2000
