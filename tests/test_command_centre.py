"""A command centre on one PostgreSQL, as a new user runs it (issue 16): mosquitto, the ingest
service (`twin run --headless --db postgresql://...`), a wall (the real window, a seat without a
feed), a headless seat (`twin watch`) and the CLI; alarms published from outside, acknowledged
on one seat and watched on the other within a second, with who did it. And a seat cut off from
the database: STALE, its operator's steps queued and replayed, the loser of a conflict told."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import ROOT, run_twin

pytestmark = pytest.mark.slow

SCENE = """name = "Harbour court"
timezone = "Europe/Helsinki"
[mqtt]
prefix = "court"
[[devices]]
path = "devices.csv"
"""
DEVICES = """id,kind,name,lon,lat
mh-1,manhole,Manhole by the gate,24.9500,60.1700
mh-2,manhole,Manhole by the school,24.9510,60.1702
env-1,env_monitor,Yard air,24.9505,60.1701
"""


def _court(tmp_path):
    (tmp_path / "court.toml").write_text(SCENE, encoding="utf-8")
    (tmp_path / "devices.csv").write_text(DEVICES, encoding="utf-8")
    return tmp_path / "court.toml"


def _lid(broker, device, open_, qos=1):
    payload = {
        "lid_open": open_,
        "tilt_deg": 0.0,
        "battery_pct": 80.0,
        "ts": int(time.time() * 1000),
    }
    broker.publish(f"court/{device}/telemetry", json.dumps(payload), qos=qos)


class Lines:
    """A process's stdout lines as they come, with the time each arrived."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[tuple[float, dict]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            try:
                self.lines.append((time.time(), json.loads(line)))
            except ValueError:
                pass

    def wait(self, pred, timeout=20.0):
        end = time.time() + timeout
        while time.time() < end:
            for at, d in list(self.lines):
                for e in d.get("events", []):
                    if pred(e):
                        return at, e
            time.sleep(0.02)
        raise AssertionError(f"not seen in {timeout} s: {self.lines[-5:]}")


def _twin_proc(*args, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "twin.cli.main", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_ingest_a_wall_a_headless_seat_and_the_cli_see_each_other(
    broker, postgres, tmp_path, qtbot, monkeypatch
):
    from tests.shellwin import open_seat_window

    url = postgres.database("twin_cc")
    scene = _court(tmp_path)
    ingest = _twin_proc(
        "run", str(scene), "--headless", "--feed", f"mqtt://127.0.0.1:{broker.port}", "--db", url
    )
    watch = _twin_proc("watch", str(scene), "--db", url, "--json")
    try:
        seen = Lines(watch)
        end = time.time() + 30
        while not any(d.get("ready") for _, d in seen.lines) and time.time() < end:
            time.sleep(0.1)
        assert any(d.get("ready") for _, d in seen.lines), watch.stderr.read()
        time.sleep(1.5)  # the ingest service is subscribed
        win = open_seat_window(qtbot, scene, url)
        assert win.live.feed.info()["feed"] == "shared"

        # an alarm published from outside reaches both seats, raised once
        t_pub = time.time()
        _lid(broker, "mh-1", True)
        at, raised = seen.wait(lambda e: e["device_id"] == "mh-1" and e["type"] == "lid_open")
        assert raised["status"] == "raised"
        qtbot.waitUntil(
            lambda: any(e.device_id == "mh-1" and e.type == "lid_open" for e in win.alarms.rows),
            timeout=5000,
        )
        assert at - t_pub < 5.0
        qtbot.waitUntil(lambda: win.ctx.statuses.get("mh-1") == "alarm", timeout=5000)
        eid = raised["id"]

        # acknowledged on the wall: the headless seat sees it within a second, with who
        t_ack = time.time()
        win.alarms.acknowledge([eid])
        at, acked = seen.wait(lambda e: e["id"] == eid and e["status"] == "acknowledged")
        assert at - t_ack < 1.0
        assert acked["acknowledged_by"] == "twin_owner"  # the database account of the wall
        row = next(r for r, e in enumerate(win.alarms.rows) if e.id == eid)
        assert win.alarms.table.item(row, 4).text() == "acknowledged · twin_owner"

        # dispatched from the CLI (a third seat): the wall shows it and says who, within 1 s
        r = run_twin(
            "event",
            str(scene),
            str(eid),
            "dispatch",
            "--operator",
            "desk-2",
            "--to",
            "guard Li",
            "--db",
            url,
        )
        assert r.returncode == 0, r.stderr
        t_cli = time.time()
        qtbot.waitUntil(
            lambda: any(e.id == eid and e.status == "dispatched" for e in win.alarms.rows),
            timeout=3000,
        )
        assert time.time() - t_cli < 1.5
        qtbot.waitUntil(lambda: "by desk-2" in win.status.text(), timeout=2000)
        row = next(r for r, e in enumerate(win.alarms.rows) if e.id == eid)
        assert win.alarms.table.item(row, 4).text() == "dispatched → guard Li · desk-2"

        # the lid closes: cleared once; the same lid opening again is a new event
        _lid(broker, "mh-1", False)
        seen.wait(lambda e: e["id"] == eid and e["cleared"])
        qtbot.waitUntil(lambda: win.ctx.statuses.get("mh-1") == "online", timeout=5000)
        r = run_twin("events", str(scene), "--db", url, "--json")
        events = json.loads(r.stdout)
        assert [e["type"] for e in events if e["device_id"] == "mh-1"].count("lid_open") == 1
        # the seat raises nothing of its own: every event came from the ingest service
        assert win.live.pipeline.events_raised == 0
        win.close()
    finally:
        for p in (watch, ingest):
            p.terminate()
        for p in (watch, ingest):
            p.wait(20)
    assert ingest.returncode == 0, ingest.stderr.read()[-2000:]


def test_a_seat_cut_off_shows_stale_queues_and_replays(postgres, tmp_path):
    """The database goes away under a seat (its server stopped), comes back on the same port:
    the seat said STALE meanwhile, answered from what it had read, queued its operator's steps
    with their time, and replayed them; a step another desk won meanwhile is refused and said."""
    from twin.state.pgevents import PgEventStore
    from twin.usecases.scene import open_scene
    from twin.usecases.session import join_seat

    url = postgres.database("twin_cut")
    scene = open_scene(_court(tmp_path))
    desk = PgEventStore(url, scene.name)
    item = {"kind": "manhole", "rule_id": "lid_open", "type": "lid_open", "severity": "critical"}
    (a,) = desk.write_batch([("raise", item | {"device_id": "mh-1", "at": time.time()})])[0]
    (b,) = desk.write_batch([("raise", item | {"device_id": "mh-2", "at": time.time()})])[0]
    seat = join_seat(scene, url)
    # the race is ordered, not mocked: the seat replays only once the other desk has acted
    desk_acted = threading.Event()
    replay = seat.events.replay
    seat.events.replay = lambda: (desk_acted.wait(30), replay())[1]
    results = []
    seat.pipeline.listeners.append(results.append)
    seat.start()
    try:
        assert {e.id for e in seat.events.events(open_only=True)} == {a.id, b.id}
        postgres.stop()
        end = time.time() + 15
        while seat.pipeline.health()["shared"]["ok"] and time.time() < end:
            time.sleep(0.1)
        shared = seat.pipeline.health()["shared"]
        assert not shared["ok"] and shared["since"] is not None
        # still answers from what it read
        assert {e.id for e in seat.events.events(open_only=True)} == {a.id, b.id}
        t_queued = time.time()
        e = seat.events.acknowledge(a.id, "op-wall")
        assert e.status == "acknowledged" and e.acknowledged_by == "op-wall (queued)"
        seat.events.acknowledge(b.id, "op-wall")
        assert len(seat.events.queued) == 2
        postgres.start()
        # another desk acknowledges b first, the moment the database is back
        end = time.time() + 20
        while time.time() < end:
            try:
                desk.acknowledge(b.id, "op-desk")
                desk_acted.set()
                break
            except Exception:  # noqa: BLE001 - the server is starting again
                time.sleep(0.05)
        end = time.time() + 20
        while not seat.pipeline.health()["shared"]["ok"] and time.time() < end:
            time.sleep(0.1)
        assert seat.pipeline.health()["shared"]["ok"]
        assert seat.events.queued == []
        got_a = desk.get(a.id)
        assert got_a.status == "acknowledged" and got_a.acknowledged_by == "op-wall"
        assert abs(got_a.acknowledged_at - t_queued) < 1.0  # the time the operator acted
        got_b = desk.get(b.id)
        assert got_b.acknowledged_by == "op-desk"  # the database decided
        end = time.time() + 5
        while time.time() < end and not any(r.notices for r in results):
            time.sleep(0.05)
        told = [n for r in results for n in r.notices]
        assert any(f"event {b.id}" in n and "op-desk" in n for n in told), told
    finally:
        seat.close()
        desk.close()


def test_the_wall_signs_in_with_the_database_and_says_stale_when_cut_off(
    postgres, tmp_path, qtbot, monkeypatch
):
    """The real window as a seat of an account whose password the machine does not hold: the
    sign-in dialog asks, the database refuses a wrong one and takes the right one; cut off from
    the database the top bar says STALE in the alarm colour with the steps queued, a fly to a
    household says why it cannot, and LIVE again once the server is back."""
    import os

    from PySide6 import QtCore, QtWidgets

    from tests.shellwin import open_seat_window
    from twin.shell import theme
    from twin.shell.app import _sign_in
    from twin.state.pgevents import PgEventStore
    from twin.usecases.accounts import add_member

    url = postgres.database("twin_wall_cut")
    scene = _court(tmp_path)
    add_member(scene, url, "wall-9", "operator", "wall-9-secret")
    wall = url.replace("twin_owner@", "wall-9@")
    owner = PgEventStore(url, "Harbour court")  # the owner, before the wall signs in
    item = {"kind": "manhole", "rule_id": "lid_open", "type": "lid_open", "severity": "critical"}
    (a,) = owner.write_batch([("raise", item | {"device_id": "mh-1", "at": time.time()})])[0]
    owner.close()
    # the sign-in keeps the password in this process's PGPASSWORD: put back as it was afterwards
    monkeypatch.setenv("PGPASSWORD", "")
    monkeypatch.delenv("PGPASSWORD")
    answers, asked = ["not-this-one", "wall-9-secret"], []

    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(dialog, QtWidgets.QInputDialog) or not answers:
            return
        asked.append((dialog.windowTitle(), dialog.labelText(), dialog.textEchoMode()))
        if os.environ.get("TWIN_SHOT") and len(asked) == 2:
            dialog.grab().save(os.environ["TWIN_SHOT"].replace(".png", "-sign-in.png"))
        dialog.setTextValue(answers.pop(0))
        dialog.accept()

    theme.apply(QtWidgets.QApplication.instance(), 1.0, "en")  # as the app does before it asks
    timer = QtCore.QTimer()
    timer.timeout.connect(answer)
    timer.start(100)
    try:
        assert _sign_in(wall, "en") is True
    finally:
        timer.stop()
    assert len(asked) == 2  # the wrong password was refused by the database, and asked again
    title, label, echo = asked[0]
    where = f"127.0.0.1:{postgres.port}/twin_wall_cut"
    assert title == "Sign in"
    assert label == f"Password of wall-9 for the shared database {where}:"
    assert echo == QtWidgets.QLineEdit.EchoMode.Password
    assert asked[1][1].startswith("The database refused that password.")  # why it asks again
    assert os.environ["PGPASSWORD"] == "wall-9-secret"

    win = open_seat_window(qtbot, scene, wall)
    try:
        qtbot.waitUntil(lambda: any(e.id == a.id for e in win.alarms.rows), timeout=5000)
        qtbot.waitUntil(lambda: win.topbar.mode.text() == "LIVE", timeout=5000)
        postgres.stop()
        qtbot.waitUntil(lambda: "STALE since" in win.topbar.mode.text(), timeout=20000)
        win.alarms.acknowledge([a.id])
        qtbot.waitUntil(lambda: win.topbar.mode.text().endswith("· 1 queued"), timeout=5000)
        assert theme.STATUS["alarm"] in win.topbar.mode.styleSheet()
        assert win.topbar.mode.width() >= win.topbar.mode.sizeHint().width()  # not clipped
        # a care check's household while the register cannot be read: said, nothing waits
        t0 = time.monotonic()
        assert win.fly_to_device("household:12-0301") is False
        assert time.monotonic() - t0 < 1.0
        assert "cannot be reached" in win.status.text()
        if os.environ.get("TWIN_SHOT"):
            win.resize(1920, 1080)
            qtbot.wait(300)
            win.grab().save(os.environ["TWIN_SHOT"])
        postgres.start()
        qtbot.waitUntil(lambda: win.topbar.mode.text() == "LIVE", timeout=30000)
        qtbot.waitUntil(lambda: not win.live.events.queued, timeout=5000)
        # the queued step, replayed under the wall's account
        assert win.live.events.store.get(a.id).acknowledged_by == "wall-9"
    finally:
        win.close()
