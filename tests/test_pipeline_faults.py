"""The pipeline under faults, without a broker: restarts after a crash, transitions inside one
batch, floods mixed with garbage, fast device clocks, an event log that cannot be written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from twin.scene.entities import Device
from twin.state.events import EventStore
from twin.state.history import HistoryStore, LatestState
from twin.state.rules import load_rules
from twin.telemetry.pipeline import MAX_UNWRITTEN, Pipeline

T0 = 1_800_000_000.0
PREFIX = "twin/t"
DEVICES = [
    Device(i, kind, i, x, 0.0, 0.0, 24.94, 60.17, 3.0)
    for i, kind, x in (
        ("env-1", "env_monitor", 0.0),
        ("mh-1", "manhole", 5.0),
        ("smoke-1", "smoke_detector", 9.0),
    )
]


def _pipeline(
    tmp_path: Path, clock: list[float], history: bool = True
) -> tuple[Pipeline, EventStore, HistoryStore | None]:
    ev = EventStore(tmp_path / "ev.sqlite")
    h = HistoryStore(tmp_path / "ev.history.sqlite") if history else None
    return Pipeline(DEVICES, ev, load_rules(), PREFIX, h, clock=lambda: clock[0]), ev, h


def _raw(p: Pipeline, device: str, body: dict | bytes, channel: str = "telemetry") -> None:
    p.submit_raw(
        f"{PREFIX}/{device}/{channel}",
        body if isinstance(body, bytes) else json.dumps(body).encode(),
    )


def _crash(p: Pipeline, ev: EventStore, h: HistoryStore | None) -> None:
    """What kill -9 leaves: the event log as committed, the history as last flushed (the
    writer thread's queue is lost)."""
    p._stop.set()
    if p.writer is not None:
        p.writer._q.queue.clear()
        p.writer.close()
    ev.close()
    if h is not None:
        h.close()


def test_restart_resumes_from_a_state_that_agrees_with_the_event_log(tmp_path):
    """Section 1 of the reliability issue: the history lags (last flush before the clear), the
    log has the clear; the restart must not raise PM2.5 again from the stale 201."""
    clock = [T0]
    p, ev, h = _pipeline(tmp_path, clock)
    _raw(p, "env-1", {"pm25": 201, "ts": int(T0 * 1000)})
    assert [e.type for e in p.process(T0).raised] == ["pm25_high"]
    p.flush_history(T0)  # the history now says 201
    p.writer.close()
    p.writer = _LaggingWriter()  # from here the history is never written again (it lags)
    _raw(p, "env-1", {"pm25": 10, "ts": int((T0 + 1) * 1000)})
    clock[0] = T0 + 1
    assert [e.type for e in p.process(T0 + 1).cleared] == ["pm25_high"]
    _crash(p, ev, h)
    h2 = HistoryStore(tmp_path / "ev.history.sqlite")
    assert h2.latest("env-1")[0].readings["pm25"] == 201.0  # the stale snapshot is really there
    h2.close()
    clock[0] = T0 + 2
    p, ev, h = _pipeline(tmp_path, clock)
    assert p.store.get("env-1").readings["pm25"] == 10.0  # the log's newer value won
    r = p.process(T0 + 2)
    _raw(
        p, "env-1", {"noise_db": 40, "ts": int((T0 + 3) * 1000)}
    )  # another reading re-evaluates the device
    r2 = p.process(T0 + 3)
    assert r.raised == r2.raised == []
    assert len(ev.events()) == 1 and ev.active_conditions() == set()
    p.stop()
    ev.close()
    h.close()


class _LaggingWriter:
    """The history writer's place while the history lags behind the event log (as when the
    process dies between the log's commit and the history's next flush)."""

    dropped = 0
    error = None
    _q = type("Q", (), {"queue": []})()

    def put(self, *a, **k) -> None:
        pass

    def close(self) -> None:
        pass


def test_closed_while_active_is_not_raised_again_by_a_restart(tmp_path):
    clock = [T0]
    p, ev, h = _pipeline(tmp_path, clock)
    _raw(p, "mh-1", {"lid_open": True})
    (e,) = p.process(T0).raised
    ev.close_event(e.id, "op", "seen on camera")
    p.stop()
    ev.close()
    h.close()
    p, ev, h = _pipeline(tmp_path, clock)
    _raw(p, "mh-1", {"lid_open": True, "ts": int((T0 + 5) * 1000)})
    clock[0] = T0 + 5
    assert p.process(T0 + 5).raised == []  # the same condition still lasts: no new alarm
    _raw(p, "mh-1", {"lid_open": False, "ts": int((T0 + 6) * 1000)})
    p.process(T0 + 6)
    assert ev.get(e.id).cleared_at == T0 + 6  # the closed event learns when the condition ended
    _raw(p, "mh-1", {"lid_open": True, "ts": int((T0 + 7) * 1000)})
    assert [x.type for x in p.process(T0 + 7).raised] == ["lid_open"]  # a new occurrence
    p.stop()
    ev.close()
    h.close()


def test_every_transition_inside_one_batch_is_raised_and_cleared(tmp_path):
    """A lid that opens, closes and opens again within one 50 ms batch: two events, the first
    cleared, each dated to its own reading."""
    p, ev, _ = _pipeline(tmp_path, [T0], history=False)
    for k, v in enumerate([True, False, True]):
        _raw(p, "mh-1", {"lid_open": v, "ts": int((T0 + k * 0.01) * 1000)})
    r = p.process(T0 + 0.05)
    assert [(e.type, e.raised_at) for e in r.raised] == [("lid_open", T0), ("lid_open", T0 + 0.02)]
    first, second = sorted(ev.events(), key=lambda e: e.id)
    assert first.cleared_at == pytest.approx(T0 + 0.01) and second.cleared_at is None
    assert p.store.get("mh-1").status == "alarm"
    ev.close()


def test_garbage_on_a_topic_does_not_spend_the_devices_allowance(tmp_path):
    """Section 5: 200 garbage messages a second on a device's topic with its real messages in
    between: every raise and clear gets through; repeats beyond the allowance are cut."""
    clock = [T0]
    p, ev, _ = _pipeline(tmp_path, clock, history=False)
    real = {
        10: {"lid_open": True},
        30: {"smoke": True},
        50: {"lid_open": False},
        70: {"lid_open": True},
        90: {"smoke": False},
    }
    for second in range(5):
        for k in range(200):
            i = second * 20 + k // 10
            t = T0 + second + k / 200
            if k % 10 == 0 and i in real:
                body = dict(real[i], ts=int(t * 1000))
                _raw(p, "smoke-1" if "smoke" in body else "mh-1", body)
            _raw(p, "mh-1", b"\x00garbage" if k % 2 else b'{"lid_open": 1}')
            _raw(p, "smoke-1", b'{"smoke": "yes"}')
        clock[0] = T0 + second + 1
        p.process(clock[0])
    kinds = sorted((e.device_id, e.type, e.cleared) for e in ev.events())
    assert kinds == [
        ("mh-1", "lid_open", False),
        ("mh-1", "lid_open", True),
        ("smoke-1", "smoke", True),
    ]
    assert p.parser.stats.rejected["flood"] == 0
    assert (
        p.parser.stats.rejected["not_json"] == 500
        and p.parser.stats.rejected["no_valid_reading"] == 1500
    )
    # a flood of repeats is cut; a change inside it is not
    for k in range(1000):
        _raw(p, "env-1", {"pm25": 201 if k == 900 else 20})
    p.process(clock[0] + 0.1)
    assert p.parser.stats.rejected["flood"] >= 700
    (pm,) = [e for e in ev.events() if e.type == "pm25_high"]
    assert pm.cleared
    ev.close()


def test_a_device_clock_running_ahead_does_not_blind_the_twin(tmp_path):
    """Section 6: one reading stamped 4 minutes ahead, then real ones: they are applied and
    raise."""
    clock = [T0]
    p, ev, _ = _pipeline(tmp_path, clock, history=False)
    _raw(p, "env-1", {"pm25": 30, "ts": int((T0 + 240) * 1000)})
    p.process(T0)
    for k, v in enumerate([90, 95], start=1):
        clock[0] = T0 + k
        _raw(p, "env-1", {"pm25": v, "ts": int((T0 + k) * 1000)})
        p.process(T0 + k)
    assert p.store.get("env-1").readings["pm25"] == 95.0
    assert [(e.type, e.raised_at) for e in ev.events()] == [("pm25_high", T0 + 1)]
    assert p.parser.stats.adjusted["ts_skew"] == 1
    assert p.stats()["adjusted"] == {"ts_skew": 1}
    ev.close()


def test_an_event_log_that_cannot_be_written_keeps_and_retries(tmp_path, monkeypatch):
    """Section 3, the mechanism: raises and clears wait in memory, in order, retried each
    second; health says why; nothing is lost or doubled when the log works again."""
    clock = [T0]
    p, ev, _ = _pipeline(tmp_path, clock, history=False)
    real_write = ev.write_batch
    failing = {"on": True}

    def write_batch(*a, **k):
        if failing["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(*a, **k)

    monkeypatch.setattr(ev, "write_batch", write_batch)
    _raw(p, "smoke-1", {"smoke": True})
    r = p.process(T0)
    assert r.raised == [] and p.unwritten == 1
    health = p.health()["event_log"]
    assert (health["ok"], health["error"], health["unwritten"]) == (
        False,
        "database or disk is full",
        1,
    )
    assert p.store.get("smoke-1").status == "alarm"  # the wall shows the alarm meanwhile
    clock[0] = T0 + 0.5
    _raw(p, "smoke-1", {"smoke": False})
    p.process(T0 + 0.5)
    clock[0] = T0 + 0.7
    _raw(p, "smoke-1", {"smoke": True})
    p.process(T0 + 0.7)
    assert p.unwritten == 3
    failing["on"] = False
    clock[0] = T0 + 0.8
    assert p.process(T0 + 0.8).raised == []  # not yet: retried once a second
    clock[0] = T0 + 1.2
    r = p.process(T0 + 1.2)
    assert [e.raised_at for e in r.raised] == [T0, T0 + 0.7] and p.unwritten == 0
    assert p.health()["event_log"]["ok"] is True
    first, second = sorted(ev.events(), key=lambda e: e.id)
    assert (first.raised_at, first.cleared_at, second.cleared_at) == (T0, T0 + 0.5, None)
    ev.close()


def test_unwritten_events_are_bounded_and_counted(tmp_path, monkeypatch):
    import twin.telemetry.pipeline as pl

    monkeypatch.setattr(pl, "MAX_UNWRITTEN", 3)
    clock = [T0]
    p, ev, _ = _pipeline(tmp_path, clock, history=False)
    monkeypatch.setattr(
        ev,
        "write_batch",
        lambda *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error")),
    )
    for k in range(6):
        clock[0] = T0 + k * 0.1
        _raw(p, "mh-1", {"lid_open": k % 2 == 0})
        p.process(clock[0])
    assert p.unwritten == 3 and p.events_dropped == 3
    assert p.health()["event_log"]["dropped"] == 3
    assert MAX_UNWRITTEN > 1000  # the real bound
    ev.close()


def test_history_written_in_schema_1_is_migrated_and_resumed(tmp_path):
    """A history file of the previous version (no per-reading times) opens and resumes."""
    path = tmp_path / "ev.history.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "CREATE TABLE latest (device_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,"
        " last_seen REAL, readings TEXT NOT NULL);"
        f"INSERT INTO latest VALUES ('env-1', 'env_monitor', 'online', {T0}, '{{\"pm25\": 12}}');"
    )
    con.commit()
    con.close()
    h = HistoryStore(path)
    assert h.latest("env-1") == [
        LatestState("env-1", "env_monitor", "online", T0, {"pm25": 12}, None)
    ]
    h.close()
    p, ev, h = _pipeline(tmp_path, [T0 + 1])
    assert p.store.get("env-1").reading_ts == {"pm25": T0}
    p.stop()
    ev.close()
    h.close()
