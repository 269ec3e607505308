"""The MQTT feed against a real mosquitto started by the suite: traffic from outside the
project's tools (mosquitto_pub), every kind of bad traffic, the broker absent at start and
restarted mid-run, TLS with a CA file and credentials from the environment."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.conftest import Broker, free_port
from twin.telemetry.feeds import MqttFeed
from twin.telemetry.live import open_live
from twin.telemetry.parse import topic_prefix

pytestmark = pytest.mark.broker


def wait_for(cond: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Live:
    """The live session the CLI and the window use (twin.telemetry.live), on an MQTT feed."""

    def __init__(self, scene, db: Path, url: str) -> None:
        self.prefix = topic_prefix(scene.name)
        self.feed = MqttFeed(url, self.prefix)
        self.session = open_live(scene, db, self.feed)
        self.pipeline, self.events = self.session.pipeline, self.session.events
        self.session.start()

    def topic(self, device_id: str, channel: str = "telemetry") -> str:
        return f"{self.prefix}/{device_id}/{channel}"

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def live(demo_scene, broker, tmp_path):
    lv = Live(demo_scene, tmp_path / "ev.sqlite", broker.url)
    assert lv.feed.wait_connected(10)
    time.sleep(0.2)  # the subscription is acknowledged just after the connection
    yield lv
    lv.close()


def test_outside_publisher_drives_state_and_alarms(demo_scene, broker, live):
    manhole = demo_scene.devices_of("manhole")[0].id
    env = demo_scene.devices_of("env_monitor")[0].id
    store = live.pipeline.store
    broker.publish(
        live.topic(manhole),
        json.dumps({"lid_open": True, "tilt_deg": 30, "ts": int(time.time() * 1000)}),
    )
    wait_for(lambda: store.get(manhole).status == "alarm", what="manhole alarm")
    assert store.get(manhole).readings["tilt_deg"] == 30.0
    broker.publish(
        live.topic(env),
        json.dumps({"pm25": 80.5, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}),
    )
    wait_for(lambda: store.get(env).readings.get("pm25") == 80.5, what="pm25 reading")
    broker.publish(live.topic(manhole), json.dumps({"lid_open": True}))  # still open: no new event
    broker.publish(
        live.topic(manhole, "event"),
        json.dumps(
            {"type": "vandalism", "severity": "major", "data": {"message": "sensor reports a hit"}}
        ),
        qos=1,
    )
    wait_for(lambda: len(live.events.events()) == 4, what="four events")
    time.sleep(0.5)
    got = sorted((e.device_id, e.type, e.severity) for e in live.events.events())
    assert got == sorted(
        [
            (manhole, "lid_open", "critical"),
            (manhole, "lid_tilted", "major"),
            (env, "pm25_high", "major"),
            (manhole, "vandalism", "major"),
        ]
    )
    broker.publish(live.topic(manhole), json.dumps({"lid_open": False, "tilt_deg": 2}))
    wait_for(lambda: store.get(manhole).status == "online", what="manhole back to online")
    cleared = {e.type for e in live.events.events() if e.cleared}
    assert cleared == {"lid_open", "lid_tilted"}


BAD = [
    ("not_json", "telemetry", b"lid_open=1"),
    ("not_json", "telemetry", b"\xff\xfe\x00garbage"),
    ("not_object", "telemetry", b"[1, 2, 3]"),
    ("not_object", "telemetry", b"42"),
    ("not_object", "telemetry", b'"open"'),
    ("no_valid_reading", "telemetry", b'{"lid_open": "yes please"}'),
    ("no_valid_reading", "telemetry", b'{"water_level_cm": -5}'),
    ("no_valid_reading", "telemetry", b'{"battery_pct": 300}'),
    ("no_valid_reading", "telemetry", b'{"colour": "red"}'),
    ("ts_future", "telemetry", None),
    ("ts_past", "telemetry", None),
    ("bad_timestamp", "telemetry", b'{"lid_open": false, "ts": "yesterday"}'),
    ("too_large", "telemetry", b'{"x": "' + b"a" * 70_000 + b'"}'),
    ("bad_event", "event", b'{"severity": "major"}'),
    ("bad_event", "event", b'{"type": "x", "severity": "apocalyptic"}'),
]


def test_bad_traffic_is_rejected_and_counted_by_reason(demo_scene, broker, live, caplog):
    caplog.set_level(logging.WARNING, logger="twin.telemetry")
    manhole = demo_scene.devices_of("manhole")[1].id
    env = demo_scene.devices_of("env_monitor")[1].id
    expected: dict[str, int] = {}
    now_ms = int(time.time() * 1000)
    for reason, channel, payload in BAD:
        if reason == "ts_future":
            payload = json.dumps({"lid_open": False, "ts": now_ms + 2 * 86_400_000}).encode()
        elif reason == "ts_past":
            payload = json.dumps({"lid_open": False, "ts": now_ms - 30 * 86_400_000}).encode()
        broker.publish(live.topic(manhole, channel), payload)
        expected[reason] = expected.get(reason, 0) + 1
    broker.publish(f"{live.prefix}/no-such-device/telemetry", b'{"pm25": 10}')
    # topics outside the contract are not even delivered (the subscription is {prefix}/+/telemetry)
    broker.publish(f"{live.prefix}/{manhole}/status", b'{"lid_open": false}')
    broker.publish(f"{live.prefix}/{manhole}/extra/telemetry", b'{"lid_open": false}')
    expected["unknown_device"] = 1
    # negative PM2.5 is rejected, the valid readings of the same message are kept
    broker.publish(live.topic(env), b'{"pm25": -3, "pm10": 40, "noise_db": "loud"}')
    stats = live.pipeline.parser.stats
    wait_for(
        lambda: sum(stats.rejected.values()) == sum(expected.values()) and stats.accepted >= 1,
        what="every bad message counted",
    )
    time.sleep(0.3)
    assert dict(stats.rejected) == expected
    assert stats.readings_rejected["out_of_range"] >= 3  # -5 cm, 300 %, -3 ug/m3
    assert stats.readings_rejected["wrong_type"] >= 2
    assert stats.readings_rejected["unknown_reading"] >= 1
    st = live.pipeline.store.get(env)
    assert st.readings == {"pm10": 40.0}
    assert live.pipeline.store.get(manhole).status == "unknown"  # nothing valid ever arrived
    assert live.events.events() == []
    # logged at most once per reason per minute
    lines = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("rejected not_json")
    ]
    assert len(lines) == 1
    # and the feed still works
    broker.publish(live.topic(manhole), b'{"lid_open": false}')
    wait_for(
        lambda: live.pipeline.store.get(manhole).status == "online",
        what="valid message after bad ones",
    )


def test_flood_from_one_device_is_cut_without_starving_others(demo_scene, broker, live):
    """Repeats beyond the allowance are cut; every change in the flood is applied."""
    noisy, quiet = (d.id for d in demo_scene.devices_of("trash_bin")[:2])
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    for k in range(2000):
        c.publish(
            live.topic(noisy), json.dumps({"fill_pct": 40 if k < 1990 else 95 if k == 1990 else 50})
        )
    c.publish(live.topic(quiet), json.dumps({"fill_pct": 55}))
    time.sleep(1.0)
    c.disconnect()
    c.loop_stop()
    stats = live.pipeline.parser.stats
    wait_for(lambda: stats.accepted + stats.rejected["flood"] >= 2001, what="flood processed")
    assert stats.rejected["flood"] >= 1500
    assert live.pipeline.store.get(quiet).readings["fill_pct"] == 55.0
    assert live.pipeline.store.get(noisy).readings["fill_pct"] == 50.0
    (ev,) = live.events.events(
        device_id=noisy
    )  # the one message at 95 % in the flood raised and cleared
    assert ev.type == "bin_full" and ev.cleared


def test_broker_absent_at_start_and_restarted_mid_run(demo_scene, tmp_path):
    """The feed waits for a broker that is not there yet, reconnects after the broker is
    killed and restarted, subscribes again, and raises no duplicate events."""
    port = free_port()
    lv = Live(demo_scene, tmp_path / "ev.sqlite", f"mqtt://127.0.0.1:{port}")
    try:
        time.sleep(1.5)
        assert not lv.feed.connected
        broker = Broker(tmp_path, port=port)
        assert lv.feed.wait_connected(20)
        time.sleep(0.3)
        smoke = demo_scene.devices_of("smoke_detector")[0].id
        broker.publish(lv.topic(smoke), b'{"smoke": true}')
        wait_for(lambda: lv.pipeline.store.get(smoke).status == "alarm", what="smoke alarm")
        broker.kill()
        wait_for(lambda: not lv.feed.connected, what="disconnect noticed")
        broker.start()
        assert lv.feed.wait_connected(25)
        time.sleep(0.3)
        assert lv.feed.connects == 2
        broker.publish(lv.topic(smoke), b'{"smoke": true, "battery_pct": 77}')  # resubscribed?
        wait_for(
            lambda: lv.pipeline.store.get(smoke).readings.get("battery_pct") == 77.0,
            what="after restart",
        )
        time.sleep(0.3)
        assert [(e.device_id, e.type) for e in lv.events.events()] == [(smoke, "smoke")]
        broker.kill()
    finally:
        lv.close()


def test_receiver_process_killed_is_replaced(demo_scene, broker, live, caplog):
    """paho runs in a receiver process of its own: killed, it is replaced, the feed says so,
    connects again and keeps delivering; the parent's state is untouched."""
    smoke = demo_scene.devices_of("smoke_detector")[0].id
    broker.publish(live.topic(smoke), b'{"smoke": true}')
    wait_for(lambda: live.pipeline.store.get(smoke).status == "alarm", what="smoke alarm")
    first = live.feed.receiver.proc
    assert first.pid != os.getpid() and first.poll() is None
    with caplog.at_level(logging.WARNING, logger="twin.feeds"):
        first.kill()
        wait_for(lambda: live.feed.connects == 2, what="a new receiver connected")
    assert live.feed.receiver.proc.pid != first.pid
    assert "receiver process ended" in caplog.text and "-9" in caplog.text
    time.sleep(0.3)
    broker.publish(live.topic(smoke), b'{"smoke": true, "battery_pct": 64}')
    wait_for(
        lambda: live.pipeline.store.get(smoke).readings.get("battery_pct") == 64.0,
        what="a reading through the new receiver",
    )
    assert [(e.device_id, e.type) for e in live.events.events()] == [(smoke, "smoke")]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(
    shutil.which("openssl") is None or shutil.which("mosquitto_passwd") is None,
    reason="needs openssl and mosquitto_passwd",
)
def test_mqtts_with_ca_file_and_credentials_from_environment(demo_scene, tmp_path, monkeypatch):
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=twin test CA",
        cwd=tmp_path,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
        cwd=tmp_path,
    )
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        cwd=tmp_path,
    )
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwd"), "operator", "s3cret"], check=True
    )
    port = free_port()
    conf = (
        ("user root\n" if os.geteuid() == 0 else "")
        + f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {tmp_path / 'passwd'}\n"
        f"cafile {tmp_path / 'ca.pem'}\ncertfile {tmp_path / 'server.pem'}\n"
        f"keyfile {tmp_path / 'server.key'}\n"
    )
    broker = Broker(tmp_path, port=free_port())
    broker.kill()
    broker.conf.write_text(conf)
    broker.port = port
    broker.start()
    url = f"mqtts://localhost:{port}?ca={tmp_path / 'ca.pem'}"
    try:
        monkeypatch.setenv("TWIN_MQTT_USERNAME", "operator")
        monkeypatch.setenv("TWIN_MQTT_PASSWORD", "wrong")
        bad = Live(demo_scene, tmp_path / "bad.sqlite", url)
        time.sleep(2.0)
        assert not bad.feed.connected
        assert "refused" in bad.feed.last_error
        bad.close()
        monkeypatch.setenv("TWIN_MQTT_PASSWORD", "s3cret")
        lv = Live(demo_scene, tmp_path / "ev.sqlite", url)
        try:
            assert lv.feed.wait_connected(15)
            time.sleep(0.3)
            hydrant = demo_scene.devices_of("hydrant")[0].id
            subprocess.run(
                [
                    "mosquitto_pub",
                    "-h",
                    "localhost",
                    "-p",
                    str(port),
                    "--cafile",
                    str(tmp_path / "ca.pem"),
                    "-u",
                    "operator",
                    "-P",
                    "s3cret",
                    "-t",
                    lv.topic(hydrant),
                    "-m",
                    '{"pressure_mpa": 0.05}',
                ],
                check=True,
                timeout=20,
            )
            wait_for(
                lambda: lv.pipeline.store.get(hydrant).status == "alarm", what="hydrant over TLS"
            )
        finally:
            lv.close()
    finally:
        broker.kill()
