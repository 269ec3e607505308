"""The live side under real faults: a real mosquitto, real `twin run` processes killed with
SIGKILL, a real full (and read-only) file system, a TLS client against a plain broker, a
read-only copy of a database, hostile payloads from outside the project's tools."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.conftest import ROOT, Broker, run_twin
from twin.state.events import EventStore
from twin.telemetry.livestatus import read_status

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ENVS = [f"env-{i}" for i in range(8)]
CAMS = [f"cam-{i}" for i in range(2)]
SMOKES = [f"smoke-{i}" for i in range(2)]
PREFIX = "twin/faults"


@pytest.fixture
def scene(tmp_path: Path) -> Path:
    """A small community (device list only): quick to start, so a test can kill and restart
    `twin run` many times."""
    rows = ["id,kind,lon,lat"]
    rows += [f"{d},env_monitor,{24.940 + i * 0.0005:.4f},60.1700" for i, d in enumerate(ENVS)]
    rows += [f"{d},camera,{24.940 + i * 0.0005:.4f},60.1710" for i, d in enumerate(CAMS)]
    rows += [f"{d},smoke_detector,{24.941 + i * 0.0005:.4f},60.1705" for i, d in enumerate(SMOKES)]
    (tmp_path / "devices.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "faults.toml"
    path.write_text(
        'name = "faults"\n[mqtt]\nprefix = "twin/faults"\n[[devices]]\npath = "devices.csv"\n'
    )
    return path


class Twin:
    """`twin run --headless` in its own process, on a broker."""

    def __init__(self, scene: Path, db: Path, url: str, logdir: Path | None = None) -> None:
        env = dict(os.environ, TWIN_MQTT_CLIENT_ID="twin-faults", PYTHONPATH=str(ROOT))
        self.db = db
        self.log = (logdir or db.parent) / f"twin-run-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twin.cli.main",
                "run",
                str(scene),
                "--headless",
                "--feed",
                url,
                "--db",
                str(db),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=open(self.log, "w"),
            text=True,
        )

    def status(self) -> dict | None:
        st = read_status(self.db)
        return st if st and st.get("pid") == self.proc.pid else None

    def wait_connected(self, timeout: float = 20.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.status()
            if st and st["feed"].get("connected"):
                return st
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"twin run exited {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                )
            time.sleep(0.05)
        raise AssertionError(f"twin run did not connect: {self.log.read_text()[-2000:]}")

    def wait_status(self, cond, timeout: float = 20.0, what: str = "status") -> dict:
        end = time.monotonic() + timeout
        st = None
        while time.monotonic() < end:
            st = self.status()
            if st and cond(st):
                return st
            time.sleep(0.1)
        raise AssertionError(
            f"timed out waiting for {what}; last status {st}; log {self.log.read_text()[-1500:]}"
        )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        return self.proc.returncode, out, self.log.read_text()


class Publisher:
    """A device fleet outside the project's tools (plain paho): PM2.5 toggling 201 / 10 on every
    environment monitor (a raise or a clear each time), and QoS 1 device events with ids."""

    def __init__(self, port: int) -> None:
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fleet")
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        self.sent: dict[str, list[tuple[int, float]]] = {d: [] for d in ENVS}
        self.event_ids: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def reading(self, device: str, value: float) -> None:
        ts = int(time.time() * 1000)
        self.sent[device].append((ts, value))
        self.c.publish(f"{PREFIX}/{device}/telemetry", json.dumps({"pm25": value, "ts": ts}))

    def _run(self) -> None:
        k = 0
        rng = random.Random(7)
        while not self._stop.is_set():
            dev = ENVS[k % len(ENVS)]
            last = self.sent[dev][-1][1] if self.sent[dev] else 10
            self.reading(dev, 10 if last == 201 else 201)
            if k % 5 == 0:
                eid = f"ev-{len(self.event_ids)}"
                self.event_ids.append(eid)
                self.c.publish(
                    f"{PREFIX}/{rng.choice(CAMS)}/event",
                    json.dumps({"type": "door_forced", "id": eid, "data": {"message": eid}}),
                    qos=1,
                )
            k += 1
            time.sleep(0.01)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def test_kill_9_twenty_times_invents_nothing_and_loses_nothing(scene, tmp_path):
    """Sections 1 and 2: `twin run` killed with SIGKILL at random moments, 20 times, during ~100
    raises and clears a second and a stream of QoS 1 device events; then one clean run. The
    event log has no phantom (every raise and clear dated to a reading that really had that
    value, the occurrences of a condition in time order, none raised from an older reading),
    every QoS 1 event exactly once, and the final conditions exactly those of the last readings."""
    broker = Broker(tmp_path)
    db = tmp_path / "ev.sqlite"
    pub = Publisher(broker.port)
    twin = Twin(scene, db, broker.url)
    twin.wait_connected()
    pub.start()
    rng = random.Random(11)
    try:
        for _ in range(20):
            time.sleep(rng.uniform(0.3, 1.8))
            twin.kill()
            twin = Twin(scene, db, broker.url)
            if rng.random() < 0.5:
                twin.wait_connected()
        twin.wait_connected()
        time.sleep(1.0)
        pub.stop()
        final = {d: (201 if i % 2 == 0 else 10) for i, d in enumerate(ENVS)}
        for d, v in final.items():
            pub.reading(d, v)
        time.sleep(0.3)
        twin.wait_status(lambda st: st["ingest"]["accepted"] > 0, what="ingest")
        time.sleep(2.0)  # QoS 1 events queued while the twin was down arrive after the reconnect
        rc, _, log = twin.stop()
        assert rc == 0, log[-2000:]
    finally:
        pub.close()
        broker.kill()
    with EventStore(db, readonly=True) as ev:
        events = sorted(ev.events(), key=lambda e: e.id)
        active = ev.active_conditions()
    pm = [e for e in events if e.type == "pm25_high"]
    assert len(pm) > 200, "the stream did raise and clear"
    for dev in ENVS:
        highs = {ts for ts, v in pub.sent[dev] if v == 201}
        lows = {ts for ts, v in pub.sent[dev] if v == 10}
        mine = [e for e in pm if e.device_id == dev]
        last_end = float("-inf")
        for e in mine:
            assert round(e.raised_at * 1000) in highs, (
                f"{dev}: raised at {e.raised_at}, no reading of 201 then"
            )
            assert e.raised_at >= last_end, (
                f"{dev}: event {e.id} raised from a reading older than the last clear"
            )
            if e.cleared_at is not None:
                assert round(e.cleared_at * 1000) in lows, (
                    f"{dev}: cleared at {e.cleared_at}, no reading of 10"
                )
                assert e.cleared_at > e.raised_at
                last_end = e.cleared_at
        assert all(e.cleared_at is not None for e in mine[:-1]), (
            f"{dev}: two occurrences open at once"
        )
    expected_active = {(d, "pm25_high") for d, v in final.items() if v == 201}
    assert {a for a in active if a[1] == "pm25_high"} == expected_active
    door = [e for e in events if e.type == "door_forced"]
    ids = [e.source_id for e in door]
    assert len(ids) == len(set(ids)), "a QoS 1 event stored twice"
    assert set(ids) == set(pub.event_ids), (
        f"QoS 1 events lost: {sorted(set(pub.event_ids) - set(ids))[:10]}"
    )


def test_a_redelivered_event_is_stored_once(scene, tmp_path):
    """Section 2: the twin commits a QoS 1 event and dies before its acknowledgement reaches the
    broker; the broker delivers it again (flagged dup) to the restarted twin: stored once."""
    from twin.ingest.build import build_scene
    from twin.scene.scenefile import load_scene_spec
    from twin.telemetry.feeds import MqttFeed
    from twin.telemetry.live import open_live

    broker = Broker(tmp_path)
    sc = build_scene(load_scene_spec(scene))
    db = tmp_path / "ev.sqlite"
    os.environ["TWIN_MQTT_CLIENT_ID"] = "twin-redelivery"
    try:
        feed = MqttFeed(broker.url, PREFIX)
        live = open_live(sc, db, feed)
        live.start()
        assert feed.wait_connected(10)
        time.sleep(0.3)
        feed.receiver._acks = deque(maxlen=0)  # the acknowledgement never leaves (it dies)
        broker.publish(
            f"{PREFIX}/cam-0/event",
            '{"type": "loitering", "data": {"message": "at the gate"}}',
            qos=1,
        )
        end = time.monotonic() + 10
        while not live.events.events() and time.monotonic() < end:
            time.sleep(0.05)
        assert len(live.events.events()) == 1
        feed.receiver._stopping = True  # not started again: the process dies without a word
        feed.receiver.proc.kill()
        live.pipeline.stop()
        live.events.close()
        live.history.close()
        feed2 = MqttFeed(broker.url, PREFIX)
        live2 = open_live(sc, db, feed2)
        live2.start()
        assert feed2.wait_connected(10)
        end = time.monotonic() + 10
        while live2.pipeline.duplicates == 0 and time.monotonic() < end:
            time.sleep(0.05)
        assert live2.pipeline.duplicates == 1  # the redelivery came, and was recognised
        assert live2.pipeline.stats()["rejected"].get("duplicate") == 1
        assert len(live2.events.events()) == 1
        live2.close()
    finally:
        del os.environ["TWIN_MQTT_CLIENT_ID"]
        broker.kill()


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here ({r.stderr.decode().strip()})")


def _fill(where: Path) -> Path:
    """Fill the file system to its last byte."""
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for chunk in (1 << 16, 1 << 10, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


@pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to mount a size-limited tmpfs (a real full disk)"
)
def test_full_disk_keeps_the_alarm_retries_and_says_so(scene, tmp_path):
    """Section 3: the event log's disk fills up mid-run: the smoke alarm is kept in memory,
    `twin state` says the event log fails and why, and once there is space again the event is
    written once, dated to its reading, and so is the clear that waited after it. Stopping with
    events still unwritten exits non-zero and names them. (A file system turning read-only
    under open files cannot be staged - Linux refuses to remount it while files are open for
    writing - but its errors take the same path: tests/test_pipeline_faults.py.)"""
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "3m")
    broker = Broker(tmp_path)
    try:
        db = disk / "ev.sqlite"
        twin = Twin(scene, db, broker.url, logdir=tmp_path)
        twin.wait_connected()
        filler = _fill(disk)
        ts = int(time.time() * 1000)
        broker.publish(f"{PREFIX}/smoke-0/telemetry", json.dumps({"smoke": True, "ts": ts}))
        st = twin.wait_status(
            lambda s: not s["health"]["event_log"]["ok"], what="event log failing"
        )
        assert "full" in st["health"]["event_log"]["error"]
        assert st["health"]["event_log"]["unwritten"] == 1 and st["statuses"]["alarm"] == 1
        r = run_twin("state", str(scene), "--db", str(db), "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["running"] and out["health"]["event_log"]["ok"] is False
        assert out["health"]["event_log"]["unwritten"] == 1
        r = run_twin("state", str(scene), "--db", str(db))
        assert "EVENT LOG FAILING" in r.stdout and "full" in r.stdout
        ts2 = int(time.time() * 1000)
        broker.publish(f"{PREFIX}/smoke-0/telemetry", json.dumps({"smoke": False, "ts": ts2}))
        twin.wait_status(
            lambda s: s["health"]["event_log"]["unwritten"] == 2,
            what="the clear kept after the raise",
        )
        filler.unlink()
        twin.wait_status(lambda s: s["health"]["event_log"]["ok"], what="event log written again")
        # the history shared the full disk; it is written again too (no transaction left open)
        twin.wait_status(lambda s: s["health"]["history"]["ok"], what="history written again")
        with EventStore(db, readonly=True) as ev:
            (e,) = ev.events()
        assert (e.type, round(e.raised_at * 1000), round(e.cleared_at * 1000)) == ("smoke", ts, ts2)
        # stopping while the disk is full: exit 3, every unwritten raise named
        filler = _fill(disk)
        broker.publish(f"{PREFIX}/smoke-1/telemetry", json.dumps({"smoke": True}))
        twin.wait_status(
            lambda s: s["health"]["event_log"]["unwritten"] == 1, what="second alarm kept"
        )
        rc, out, log = twin.stop()
        assert rc == 3, log[-1500:]
        assert "not written to the event log: raise" in log and '"device_id": "smoke-1"' in log
        assert "Traceback" not in log
    finally:
        broker.kill()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_damaged_history_does_not_stop_alarms(scene, tmp_path):
    """Section 3: a history file that cannot be read: `twin run` starts without history, says
    so loudly, and alarms are raised and logged."""
    broker = Broker(tmp_path)
    try:
        db = tmp_path / "ev.sqlite"
        (tmp_path / "ev.history.sqlite").write_bytes(b"this is not a database" * 100)
        twin = Twin(scene, db, broker.url)
        st = twin.wait_connected()
        assert (
            st["health"]["history"]["ok"] is False
            and "not a readable" in st["health"]["history"]["error"]
        )
        broker.publish(f"{PREFIX}/smoke-0/telemetry", '{"smoke": true}')
        twin.wait_status(lambda s: s["events_raised"] == 1, what="alarm raised")
        r = run_twin("state", str(scene), "--db", str(db))
        assert r.returncode == 0 and "HISTORY FAILING" in r.stdout and "alarm 1" in r.stdout, (
            r.stdout + r.stderr
        )
        rc, _, log = twin.stop()
        assert rc == 0 and "RUNNING WITHOUT HISTORY" in log and "Traceback" not in log
        with EventStore(db, readonly=True) as ev:
            assert [e.type for e in ev.events()] == ["smoke"]
    finally:
        broker.kill()


def test_feed_state_reconnects_and_tls_errors_are_told(scene, tmp_path):
    """Section 7: `twin state` shows the running pipeline's real connection (since, reconnects,
    last error); mqtts:// against a plain broker says it is a TLS handshake failure and exits
    non-zero."""
    broker = Broker(tmp_path)
    db = tmp_path / "ev.sqlite"
    try:
        twin = Twin(scene, db, broker.url)
        twin.wait_connected()
        broker.publish(f"{PREFIX}/env-0/telemetry", '{"pm25": 12}')
        twin.wait_status(lambda s: s["ingest"]["accepted"] >= 1, what="a reading")
        out = json.loads(run_twin("state", str(scene), "--db", str(db), "--json").stdout)
        assert out["running"] and out["feed"]["connected"] and out["feed"]["connects"] == 1
        assert out["feed"]["since"] is not None and out["feed"]["reconnects"] == 0
        broker.kill()
        twin.wait_status(lambda s: not s["feed"]["connected"], what="disconnect seen")
        broker.start()
        st = twin.wait_status(
            lambda s: s["feed"]["connected"] and s["feed"]["reconnects"] == 1, what="reconnect"
        )
        # the last error is the loss, or a reconnect attempt made while the broker was still down
        assert any(
            w in st["feed"]["last_error"] for w in ("lost the broker", "cannot reach the broker")
        )
        assert st["feed"]["last_error_at"] is not None
        out = json.loads(run_twin("state", str(scene), "--db", str(db), "--json").stdout)
        assert out["feed"]["reconnects"] == 1
        rc, _, _ = twin.stop()
        assert rc == 0
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "twin.cli.main",
                "run",
                str(scene),
                "--headless",
                "--feed",
                f"mqtts://127.0.0.1:{broker.port}",
                "--db",
                str(tmp_path / "tls.sqlite"),
                "--duration",
                "3",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert r.returncode == 3, r.stderr[-1500:]
        assert (
            "TLS handshake" in r.stderr
            and "never connected" in r.stderr
            and "Traceback" not in r.stderr
        )
    finally:
        broker.kill()


def test_hostile_payloads_from_outside(scene, tmp_path):
    """Sections 4 and 7 through mosquitto_pub: 1 / 1.0 for booleans raise nothing; {} and a bare
    ts are no_valid_reading; an empty device level is bad_topic; a deep extra key is too_deep;
    control and bidi characters never reach the log or the screen raw."""
    broker = Broker(tmp_path)
    db = tmp_path / "ev.sqlite"
    try:
        twin = Twin(scene, db, broker.url)
        twin.wait_connected()
        cases = [
            ("smoke-0/telemetry", '{"smoke": 1}'),
            ("smoke-0/telemetry", '{"smoke": 1.0}'),
            ("smoke-1/telemetry", '{"smoke": "true"}'),
            ("env-0/telemetry", "{}"),
            ("env-0/telemetry", json.dumps({"ts": int(time.time() * 1000)})),
            ("/telemetry", '{"pm25": 5}'),
            ("env-1/telemetry", '{"pm25": 9, "x": ' + "[" * 10000 + "]" * 10000 + "}"),
            ("cam-0/event", json.dumps({"type": "x" * 200})),
            (
                "cam-1/event",
                json.dumps(
                    {
                        "type": "door\u202e_forced\x00",
                        "id": "a\x1b[31mb",
                        "data": {"message": "gate\u202e 3\x00"},
                    }
                ),
            ),
        ]
        for topic, payload in cases:
            broker.publish(f"{PREFIX}/{topic}", payload, qos=1 if topic.endswith("event") else 0)
        st = twin.wait_status(
            lambda s: s["ingest"]["rejected_total"] >= 8 and s["events_raised"] >= 1,
            what="all counted",
        )
        assert st["ingest"]["rejected"] == {
            "bad_event": 1,
            "bad_topic": 1,
            "no_valid_reading": 5,
            "too_deep": 1,
        }
        assert st["ingest"]["readings_rejected"] == {"wrong_type": 3}
        assert st["statuses"]["alarm"] == 0
        rc, _, log = twin.stop()
        assert rc == 0
        assert "\x00" not in log and "\u202e" not in log and "\x1b" not in log
    finally:
        broker.kill()
    with EventStore(db, readonly=True) as ev:
        (e,) = ev.events()
    assert (e.type, e.source_id, e.message) == ("door_forced", "a[31mb", "gate 3")


def test_read_only_copy_and_fast_operator_commands(scene, tmp_path):
    """Section 7: a copy of the databases on a read-only medium is read by `twin events` and
    `twin state`; `twin event ... ack` touches only the event log (it works even when the
    scene's data files are gone: nothing is built)."""
    r = run_twin(
        "run",
        str(scene),
        "--headless",
        "--feed",
        "sim",
        "--incidents-every",
        "1",
        "--speed",
        "60",
        "--duration",
        "4",
        "--db",
        str(tmp_path / "live" / "ev.sqlite"),
    )
    assert r.returncode == 0, r.stderr
    src = tmp_path / "live"
    ro = tmp_path / "ro"
    if os.geteuid() == 0:
        _mount_tmpfs(ro, "20m")
    else:
        ro.mkdir()
    for f in src.iterdir():
        if f.name.endswith(".sqlite"):
            (ro / f.name).write_bytes(f.read_bytes())
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    else:
        for f in ro.iterdir():
            f.chmod(0o444)
        ro.chmod(0o555)
    try:
        r = run_twin("events", str(scene), "--db", str(ro / "ev.sqlite"), "--json")
        assert r.returncode == 0, r.stderr
        events = json.loads(r.stdout)
        assert events
        r = run_twin("state", str(scene), "--db", str(ro / "ev.sqlite"), "--json")
        assert r.returncode == 0, r.stderr
        assert sum(json.loads(r.stdout)["counts"].values()) == len(ENVS) + len(CAMS) + len(SMOKES)
        r = run_twin(
            "event",
            str(scene),
            str(events[0]["id"]),
            "ack",
            "--operator",
            "w",
            "--db",
            str(ro / "ev.sqlite"),
        )
        assert r.returncode == 2 and "read" in r.stderr.lower() and "Traceback" not in r.stderr
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True)
    (tmp_path / "devices.csv").unlink()  # the scene can no longer be built
    raised = [e for e in events if e["status"] == "raised"]
    r = run_twin(
        "event",
        str(scene),
        str(raised[0]["id"]),
        "ack",
        "--operator",
        "值班员",
        "--db",
        str(src / "ev.sqlite"),
    )
    assert r.returncode == 0, r.stderr
    assert "acknowledged" in r.stdout
