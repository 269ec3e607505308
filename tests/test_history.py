"""Reading history: batched writes, chart series from raw rows and 5-minute rollups, retention,
latest state, export for replay; and the pipeline resuming from it after a restart."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from twin.core.errors import InputError
from twin.state.events import EventStore
from twin.state.history import BUCKET_S, HistoryStore, HistoryWriter, LatestState
from twin.state.rules import load_rules
from twin.state.store import Message
from twin.telemetry.feeds import read_history_csv
from twin.telemetry.pipeline import Pipeline

T0 = 1_800_000_000.0  # a bucket boundary (divisible by 300)


def test_series_from_raw_and_rollups_agree(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite", raw_retention_s=3 * 3600)
    rows = [
        ("env-1", T0 + 60 * k, json.dumps({"pm25": float(k % 30), "ok": k % 2 == 0}))
        for k in range(6 * 60)
    ]
    h.write(rows[:100], [], {})
    h.write(
        rows[100:],
        [LatestState("env-1", "env_monitor", "online", rows[-1][1], {"pm25": 29.0})],
        {"clock": 1},
    )
    # raw kept for 3 h of the 6: the first 3 h come from rollups
    kept = list(h.messages())
    assert kept[0][1] >= T0 + 6 * 3600 - 60 - 3 * 3600 - 1
    assert len(kept) < len(rows)
    pts = h.series("env-1", "pm25", T0, T0 + 6 * 3600, points=12)
    assert len(pts) == 12
    assert [p.ts for p in pts] == [T0 + 1800 * k for k in range(12)]
    for k, p in enumerate(pts):
        vals = [float(j % 30) for j in range(30 * k, 30 * k + 30)]
        assert p.n == 30
        assert p.mean == pytest.approx(sum(vals) / 30)
        assert (p.vmin, p.vmax, p.last) == (min(vals), max(vals), vals[-1])
    booleans = h.series("env-1", "ok", T0, T0 + 3600, points=2)
    assert [p.mean for p in booleans] == [0.5, 0.5]
    assert h.latest()[0].readings == {"pm25": 29.0}
    assert h.meta("clock") == 1
    h.close()


def test_rollups_cover_every_finished_bucket(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite", raw_retention_s=600)
    for k in range(24 * 12):  # a day, one message per 5 minutes, written as it comes
        h.write([("m", T0 + k * BUCKET_S + 1, json.dumps({"kwh": float(k)}))], [])
    day = h.series("m", "kwh", T0, T0 + 86400, points=24)
    assert len(day) == 24
    assert [p.last for p in day] == [float(12 * k + 11) for k in range(24)]
    h.close()


def test_writer_thread_batches_and_flushes_on_close(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite")
    w = HistoryWriter(h)
    for k in range(50):
        w.put(
            [("d", T0 + k, json.dumps({"v": k}))],
            [LatestState("d", "meter", "online", T0 + k, {"v": k})],
        )
    w.close()
    assert len(list(h.messages())) == 50
    assert h.latest()[0].readings == {"v": 49}
    assert w.dropped == 0
    h.close()


def test_writer_that_cannot_finish_at_close_says_what_it_gave_up(tmp_path, caplog):
    """Another process holds the history file's write lock past the shutdown's patience: the
    writer gives up the readings it still has, counts them and says so (nothing silently)."""
    h = HistoryStore(tmp_path / "h.sqlite")
    w = HistoryWriter(h)
    blocker = sqlite3.connect(tmp_path / "h.sqlite", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for k in range(30):
            w.put([("d", T0 + k, json.dumps({"v": k}))], [])
        with caplog.at_level("WARNING", logger="twin.history"):
            w.close(timeout=1.0)
        assert w.dropped == 30
        assert "30 readings were not written within 1 s of shutdown" in caplog.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    h.close()


def test_foreign_database_is_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE accounts (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="not a twin history"):
        HistoryStore(other)


def test_export_is_what_replay_reads(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite")
    h.write(
        [
            ("cam-1", T0 + 1.25, json.dumps({"intrusion": True})),
            ("bin-1", T0 + 2, json.dumps({"fill_pct": 40.5})),
            ("ghost", T0 + 3, json.dumps({"x": 1})),
        ],
        [],
    )
    n = h.export_csv(tmp_path / "x.csv", {"cam-1": "camera", "bin-1": "trash_bin"})
    assert n == 3
    msgs, skipped = read_history_csv(tmp_path / "x.csv", {"cam-1": "camera", "bin-1": "trash_bin"})
    assert msgs == [
        Message("cam-1", T0 + 1.25, {"intrusion": True}),
        Message("bin-1", T0 + 2, {"fill_pct": 40.5}),
    ]
    assert skipped == {"unknown_device": 1}
    h.close()


def test_pipeline_resumes_state_and_conditions_after_restart(demo_scene, tmp_path):
    """Stop and start again: readings and last-seen come back from the history, active alarms
    from the event log; nothing is raised twice, and the condition clears when it ends."""
    manhole = demo_scene.devices_of("manhole")[0].id
    now = time.time()
    for run in range(2):
        with EventStore(tmp_path / "ev.sqlite") as ev:
            h = HistoryStore(tmp_path / "ev.history.sqlite")
            p = Pipeline(demo_scene.devices, ev, load_rules(), "twin/x", h, clock=lambda: now)
            if run == 0:
                p.submit([Message(manhole, now, {"lid_open": True, "battery_pct": 80.0})])
                r = p.process(now)
                assert [e.type for e in r.raised] == ["lid_open"]
            else:
                st = p.store.get(manhole)
                assert st.readings == {"lid_open": True, "battery_pct": 80.0}
                assert st.last_seen == pytest.approx(now)
                p.submit([Message(manhole, now + 5, {"lid_open": True})])
                r = p.process(now + 5)
                assert r.raised == []
                assert p.store.get(manhole).status == "alarm"
                p.submit([Message(manhole, now + 9, {"lid_open": False})])
                r = p.process(now + 9)
                assert [e.type for e in r.cleared] == ["lid_open"]
            p.stop()
            h.close()
    with EventStore(tmp_path / "ev.sqlite") as ev:
        assert len(ev.events()) == 1


def test_silent_devices_go_offline_after_three_heartbeats(demo_scene, tmp_path):
    cam = demo_scene.devices_of("camera")[0].id  # heartbeat 60 s
    t = [1_800_000_000.0]
    with EventStore(tmp_path / "ev.sqlite") as ev:
        p = Pipeline(demo_scene.devices, ev, load_rules(), "twin/x", clock=lambda: t[0])
        p.submit([Message(cam, t[0], {"recording": True, "intrusion": False})])
        p.process()
        assert p.store.get(cam).status == "online"
        t[0] += 179
        p.process()
        assert p.store.get(cam).status == "online"
        t[0] += 2
        r = p.process()
        assert p.store.get(cam).status == "offline"
        assert cam in r.changed
        assert [(e.device_id, e.type) for e in r.raised] == [(cam, "camera_offline")]
        p.submit([Message(cam, t[0], {"recording": True})])
        r = p.process()
        assert p.store.get(cam).status == "online"
        assert [e.type for e in r.cleared] == ["camera_offline"]


def test_scene_file_sets_prefix_and_time_zone(tmp_path, demo_scene):
    """`[mqtt] prefix` and `timezone` in a scene file: kept on save, used by the live side,
    refused with a clear message when wrong."""
    import dataclasses

    from twin.scene.scenefile import load_scene_spec, save_scene_spec
    from twin.telemetry.live import local_hour_fn, scene_prefix, scene_tz

    src = tmp_path / "s.toml"
    src.write_text(
        'name = "阳光 花园"\ntimezone = "Asia/Shanghai"\n[mqtt]\nprefix = "/estate/nanshan/"\n'
        '[[devices]]\npath = "d.csv"\n'
    )
    spec = load_scene_spec(src)
    assert (spec.timezone, spec.mqtt_prefix) == ("Asia/Shanghai", "estate/nanshan")
    save_scene_spec(spec, tmp_path / "t.toml")
    again = load_scene_spec(tmp_path / "t.toml")
    assert (again.timezone, again.mqtt_prefix) == ("Asia/Shanghai", "estate/nanshan")
    scene = dataclasses.replace(demo_scene, spec=again)
    assert scene_prefix(scene) == "estate/nanshan"
    assert local_hour_fn(scene_tz(scene))(1_800_000_000.0) == 16  # 08:00 UTC is 16:00 in Shanghai
    plain = dataclasses.replace(
        demo_scene, name="阳光 花园", spec=dataclasses.replace(again, mqtt_prefix=None)
    )
    assert scene_prefix(plain) == "twin/阳光-花园"
    for bad, what in (
        ('timezone = "Mars/Olympus"', "Mars/Olympus"),
        ('[mqtt]\nprefix = "a/#"', "a/#"),
    ):
        (tmp_path / "b.toml").write_text(f'name = "x"\n{bad}\n')
        with pytest.raises(InputError, match=what.replace("/", ".")):
            load_scene_spec(tmp_path / "b.toml")
