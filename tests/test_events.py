"""The durable event log (twin.state.events): no duplicates, the operator lifecycle, batched
writes, CSV export, damaged files, and crash safety with a real ``kill -9`` of a writer."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from twin.core.errors import InputError
from twin.state.eventrecord import Event
from twin.state.events import EventStore
from twin.state.eventschema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z

# A writer process for the crash tests. It prints each event's id only after the call that
# wrote it has returned (committed), then flushes, so every printed id must survive a kill.
CHILD = r"""
import sys, time
from twin.state.events import EventStore
from twin.state.eventschema import SCHEMA_VERSION

mode, path = sys.argv[1], sys.argv[2]
devices = [f"d{i}" for i in range(200)]
store = EventStore(path)

def item(d):
    return {"device_id": d, "kind": "air", "rule_id": "r1", "type": "pm25_high",
            "severity": "major", "message": "PM2.5 超标", "data": {"pm25": 80}}

if mode == "raise_loop":
    # Round after round: raise every device (batches of 10), then clear them all.
    while True:
        for i in range(0, len(devices), 10):
            for e in store.raise_many([item(d) for d in devices[i:i + 10]]):
                print(e.id, e.device_id, flush=True)
        store.clear_many([(d, "r1", None) for d in devices])
elif mode == "raise_all":
    print(len(store.raise_many([item(d) for d in devices])), flush=True)
elif mode == "ack_loop":
    for e in sorted(store.events(open_only=True), key=lambda e: e.id):
        store.acknowledge(e.id, "值班员 A", note="已确认")
        print(e.id, flush=True)
    while True:
        time.sleep(1)
"""


def _child(mode: str, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )


def _read_then_kill(proc: subprocess.Popen[str], n_lines: int) -> list[str]:
    """Read ``n_lines`` lines from the child, SIGKILL it, and return every line it printed
    (also those still in the pipe: they were committed too)."""
    watchdog = threading.Timer(20.0, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines: list[str] = []
        while len(lines) < n_lines:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer ended early after {len(lines)} lines: {proc.stderr.read()}")
            lines.append(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        lines.extend(proc.stdout.read().splitlines(keepends=True))
        proc.stderr.close()
        proc.stdout.close()
    finally:
        watchdog.cancel()
    assert proc.returncode == -signal.SIGKILL
    return [ln.strip() for ln in lines if ln.strip()]


def _assert_sound(db: Path) -> None:
    """SQLite integrity, and never two active events for one condition."""
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        doubles = raw.execute(
            "SELECT device_id, rule_id, COUNT(*) FROM events "
            "WHERE cleared_at IS NULL AND status != 'closed' "
            "GROUP BY device_id, rule_id HAVING COUNT(*) > 1"
        ).fetchall()
    raw.close()
    assert doubles == []


def _raise(store: EventStore, device: str = "d1", rule: str = "r1", at: float = T0) -> Event | None:
    return store.raise_event(
        device, "bin", rule, "lid_open", "major", "垃圾桶盖未关", {"fill": 0.9}, at=at
    )


# -- no duplicates ---------------------------------------------------------------------------


def test_same_condition_raises_one_event_until_cleared(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        first = _raise(store)
        assert first is not None and first.status == "raised" and not first.cleared
        assert _raise(store, at=T0 + 5) is None
        assert _raise(store, rule="r2") is not None  # another rule: another condition
        assert store.active_conditions() == {("d1", "r1"), ("d1", "r2")}

        cleared = store.clear_condition("d1", "r1", at=T0 + 60)
        assert cleared is not None and cleared.id == first.id
        assert cleared.cleared and cleared.cleared_at == T0 + 60 and cleared.status == "raised"
        assert store.clear_condition("d1", "r1", at=T0 + 61) is None  # nothing active
        assert store.active_conditions() == {("d1", "r2")}

        again = _raise(store, at=T0 + 120)
        assert again is not None and again.id != first.id and not again.cleared
        old = store.get(first.id)
        assert old.status == "raised" and old.cleared  # stays until an operator closes it
        assert len(store.events(device_id="d1")) == 3
        assert [e.id for e in store.events()] == sorted(
            (e.id for e in store.events()), reverse=True
        )
        assert [e.id for e in store.events(limit=1)] == [again.id]


def test_events_persist_and_ids_have_no_gaps(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        a = _raise(store)
        assert _raise(store) is None
        b = _raise(store, "d2")
        assert a is not None and b is not None and b.id == a.id + 1
    with EventStore(db) as store:
        assert _raise(store) is None  # still active after reopening
        assert store.active_conditions() == {("d1", "r1"), ("d2", "r1")}
        ev = store.get(a.id)
        assert ev.message == "垃圾桶盖未关" and ev.data == {"fill": 0.9} and ev.raised_at == T0


def test_as_dict_is_json_ready(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        ev = _raise(store)
        assert ev is not None
        d = ev.as_dict()
    json.dumps(d)
    assert d["raised_at"] == "2024-05-01T08:00:00.000Z" and d["raised_at_epoch"] == T0
    assert d["cleared"] is False and d["cleared_at"] is None
    for key in ("id", "device_id", "kind", "type", "severity", "status", "message", "data"):
        assert key in d


def test_bad_raise_input(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        with pytest.raises(InputError, match="severity"):
            store.raise_event("d1", "bin", "r1", "lid_open", "urgent")
        with pytest.raises(InputError, match="device_id"):
            store.raise_event("", "bin", "r1", "lid_open", "major")
        with pytest.raises(InputError, match="unknown fields"):
            store.raise_many(
                [
                    {
                        "device_id": "d1",
                        "kind": "bin",
                        "rule_id": "r1",
                        "type": "x",
                        "severity": "minor",
                        "time": T0,
                    }
                ]
            )
        assert store.events() == []


# -- lifecycle -------------------------------------------------------------------------------


def test_full_lifecycle(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        ev = _raise(store)
        assert ev is not None
        ack = store.acknowledge(ev.id, "值班员 王", note="已看到", at=T0 + 10)
        assert (ack.status, ack.acknowledged_at, ack.acknowledged_by, ack.acknowledged_note) == (
            "acknowledged",
            T0 + 10,
            "值班员 王",
            "已看到",
        )
        dis = store.dispatch(ev.id, "值班员 王", to="保安 3 队", note="去看看", at=T0 + 20)
        assert (
            dis.status,
            dis.dispatched_at,
            dis.dispatched_by,
            dis.dispatched_to,
            dis.dispatched_note,
        ) == ("dispatched", T0 + 20, "值班员 王", "保安 3 队", "去看看")
        assert dis.acknowledged_note == "已看到"
        closed = store.close_event(ev.id, "值班员 李", note="已处理", at=T0 + 30)
        assert (closed.status, closed.closed_at, closed.closed_by, closed.closed_note) == (
            "closed",
            T0 + 30,
            "值班员 李",
            "已处理",
        )
        assert store.events(open_only=True) == []
        # closed while its condition lasts: the log still says the condition holds (a restart
        # must not raise it again), but the closed event no longer blocks a new occurrence
        assert store.active_conditions() == {("d1", "r1")}
        assert store.clear_condition("d1", "r1", at=T0 + 35).id == ev.id  # when it really ended
        assert store.active_conditions() == set()
        assert _raise(store, at=T0 + 40) is not None
        closed.cleared_at = T0 + 35
    with EventStore(db) as store:
        reread = store.get(ev.id)
    assert reread == closed


def test_dispatch_from_raised_acknowledges_implicitly(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        ev = _raise(store)
        assert ev is not None
        dis = store.dispatch(ev.id, "op", to="物业维修", at=T0 + 5)
        assert dis.status == "dispatched"
        assert (dis.acknowledged_at, dis.acknowledged_by) == (T0 + 5, "op")
        # close is allowed straight from raised, and from a cleared event
        other = _raise(store, "d2")
        assert other is not None
        store.clear_condition("d2", "r1")
        assert store.close_event(other.id, "op").status == "closed"


def test_invalid_transitions(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        ev = _raise(store)
        assert ev is not None
        with pytest.raises(InputError, match="operator"):
            store.acknowledge(ev.id, "")
        with pytest.raises(InputError, match="operator"):
            store.close_event(ev.id, "   ")
        with pytest.raises(InputError, match="dispatched to"):
            store.dispatch(ev.id, "op", to="")
        store.acknowledge(ev.id, "op")
        with pytest.raises(InputError, match=rf"event {ev.id}.*is acknowledged"):
            store.acknowledge(ev.id, "op")
        store.close_event(ev.id, "op")
        with pytest.raises(InputError, match=rf"event {ev.id}.*is closed.*raised"):
            store.acknowledge(ev.id, "op")
        with pytest.raises(InputError, match="is closed"):
            store.close_event(ev.id, "op")
        with pytest.raises(InputError, match="is closed"):
            store.dispatch(ev.id, "op", to="x")
        with pytest.raises(InputError, match="does not exist"):
            store.acknowledge(9999, "op")
        # failed calls changed nothing
        assert store.get(ev.id).closed_by == "op"


# -- batches ---------------------------------------------------------------------------------


def test_raise_many_and_clear_many(tmp_path: Path) -> None:
    n = 5000
    items = [
        {
            "device_id": f"d{i}",
            "kind": "air",
            "rule_id": "r1",
            "type": "pm25_high",
            "severity": "minor",
            "message": f"#{i}",
            "data": {"i": i},
            "at": T0 + i,
        }
        for i in range(n)
    ]
    with EventStore(tmp_path / "events.db") as store:
        raised = store.raise_many(items)
        assert len(raised) == n and [e.device_id for e in raised] == [f"d{i}" for i in range(n)]
        # a batch that repeats active conditions, also within itself, adds only the new ones
        again = store.raise_many([items[0], items[0], {**items[0], "device_id": "new"}])
        assert [e.device_id for e in again] == ["new"]
        cleared = store.clear_many([(f"d{i}", "r1", T0 + n + i) for i in range(n)])
        assert len(cleared) == n and all(e.cleared for e in cleared)
        assert store.active_conditions() == {("new", "r1")}
        assert len(store.events(open_only=True)) == n + 1


def test_bad_batch_writes_nothing(tmp_path: Path) -> None:
    with EventStore(tmp_path / "events.db") as store:
        good = {"device_id": "d1", "kind": "air", "rule_id": "r1", "type": "t", "severity": "minor"}
        with pytest.raises(InputError):
            store.raise_many([good, {**good, "device_id": "d2", "severity": "bad"}])
        assert store.events() == []


# -- crash safety ----------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("kill_after", [50, 500, 1500])
def test_kill_9_loses_and_duplicates_nothing(tmp_path: Path, kill_after: int) -> None:
    db = tmp_path / "events.db"
    printed = _read_then_kill(_child("raise_loop", db), kill_after)
    assert len(printed) >= kill_after
    _assert_sound(db)

    with EventStore(db) as store:
        by_id = {e.id: e for e in store.events()}
        for line in printed:
            event_id, device = line.split()
            assert int(event_id) in by_id, f"committed event {event_id} lost"
            assert by_id[int(event_id)].device_id == device
        active = store.active_conditions()
        total = len(by_id)
    assert len(printed) <= total  # the kill may land after a commit, before the print

    proc = _child("raise_all", db)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert int(out) == 200 - len(active)  # only the devices the writer had not reached
    _assert_sound(db)
    with EventStore(db) as store:
        assert store.active_conditions() == {(f"d{i}", "r1") for i in range(200)}
        assert len(store.events()) == total + int(out)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.raise_many(
            [
                {
                    "device_id": f"d{i}",
                    "kind": "air",
                    "rule_id": "r1",
                    "type": "pm25_high",
                    "severity": "major",
                }
                for i in range(200)
            ]
        )
    printed = _read_then_kill(_child("ack_loop", db), 60)
    _assert_sound(db)
    with EventStore(db) as store:
        for line in printed:
            ev = store.get(int(line))
            assert ev.status == "acknowledged"
            assert (ev.acknowledged_by, ev.acknowledged_note) == ("值班员 A", "已确认")
        statuses = [e.status for e in store.events()]
        assert len(statuses) == 200
        assert set(statuses) <= {"raised", "acknowledged"}
        assert statuses.count("acknowledged") >= len(printed)


# -- export and bad files --------------------------------------------------------------------


def test_export_csv_for_excel(tmp_path: Path) -> None:
    out = tmp_path / "export" / "events.csv"
    out.parent.mkdir()
    with EventStore(tmp_path / "events.db") as store:
        a = _raise(store)
        b = store.raise_event("d2", "smoke", "r9", "smoke", "critical", "3 号楼烟感报警", at=T0 + 1)
        assert a is not None and b is not None
        store.dispatch(b.id, "值班员 王", to="消防队", note="=紧急")
        store.clear_condition("d1", "r1", at=T0 + 2)
        assert store.export_csv(out) == 2
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2
    for key in (
        "id",
        "device_id",
        "kind",
        "type",
        "rule_id",
        "severity",
        "status",
        "raised_at",
        "cleared",
        "cleared_at",
        "acknowledged_by",
        "dispatched_to",
        "closed_at",
        "message",
        "data",
    ):
        assert key in rows[0]
    first, second = rows
    assert first["message"] == "垃圾桶盖未关" and json.loads(first["data"]) == {"fill": 0.9}
    assert first["raised_at"] == "2024-05-01T08:00:00.000Z"
    assert first["cleared_at"] == "2024-05-01T08:00:02.000Z" and first["status"] == "raised"
    assert second["message"] == "3 号楼烟感报警" and second["dispatched_to"] == "消防队"
    assert second["dispatched_note"] == "'=紧急"  # Excel shows it as text, not a formula
    assert second["closed_at"] == ""
    assert not list(out.parent.glob(".*tmp"))


def test_non_sqlite_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "alarms.db"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(InputError, match=r"alarms\.db.*[Mm]ove") as info:
        EventStore(bad)
    assert "Traceback" not in str(info.value)

    text = tmp_path / "notes.db"
    text.write_text("这不是数据库\n" * 100, encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.db"):
        EventStore(text)


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE stuff (x)")
    raw.close()
    with pytest.raises(InputError, match=r"other\.db.*not a twin event log"):
        EventStore(other)


def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events.db")
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.events()


def test_an_event_log_of_schema_1_is_migrated_in_place(tmp_path: Path) -> None:
    """A file written by the previous version: opened, migrated (device events' ids, received
    keys, device state), its active event still active and still unique; read-only it is read
    as it is."""
    db = tmp_path / "v1.sqlite"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL); "
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL,"
        " kind TEXT NOT NULL, type TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'raised',"
        " raised_at REAL NOT NULL, cleared_at REAL, acknowledged_at REAL, acknowledged_by TEXT,"
        " acknowledged_note TEXT, dispatched_at REAL, dispatched_by TEXT, dispatched_to TEXT,"
        " dispatched_note TEXT,"
        " closed_at REAL, closed_by TEXT, closed_note TEXT, message TEXT NOT NULL DEFAULT '',"
        " data TEXT NOT NULL DEFAULT '{}');"
        "CREATE UNIQUE INDEX events_one_active_per_condition ON events(device_id, rule_id)"
        " WHERE cleared_at IS NULL AND status != 'closed';"
        f"INSERT INTO events (device_id, kind, type, rule_id, severity, raised_at) VALUES"
        f" ('d1', 'manhole', 'lid_open', 'lid_open', 'critical', {T0});"
    )
    con.commit()
    con.close()
    with EventStore(db, readonly=True) as ro:
        (old,) = ro.events()
        assert old.source_id is None and ro.active_conditions() == {("d1", "lid_open")}
        assert ro.device_states() == {}
    with EventStore(db) as store:
        assert store.active_conditions() == {("d1", "lid_open")}
        assert (
            store.raise_event("d1", "manhole", "lid_open", "lid_open", "critical", at=T0 + 1)
            is None
        )
        raised, _, _ = store.write_batch(
            [
                (
                    "raise",
                    {
                        "device_id": "d1",
                        "kind": "manhole",
                        "rule_id": "event:x",
                        "type": "x",
                        "severity": "info",
                        "source_id": "42",
                    },
                )
            ]
        )
        assert [e.source_id for e in raised] == ["42"]
    con = sqlite3.connect(db)
    assert con.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    con.close()


def test_a_failed_commit_leaves_no_transaction_open(tmp_path: Path) -> None:
    """When COMMIT itself fails (a full disk does it; a deferred constraint does it every time)
    SQLite can leave the transaction open, and every later write would fail with "cannot start
    a transaction within a transaction". The shared write transaction rolls it back."""
    from twin.core.sqlitefiles import transaction

    conn = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    conn.executescript(
        "PRAGMA foreign_keys = ON; CREATE TABLE p (id INTEGER PRIMARY KEY);"
        "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);"
    )
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(conn):
            conn.execute("INSERT INTO c VALUES (7)")  # fails only at COMMIT
    assert not conn.in_transaction
    with transaction(conn):
        conn.execute("INSERT INTO p VALUES (7)")
    assert conn.execute("SELECT COUNT(*) FROM p").fetchone() == (1,)
    conn.close()


def test_reads_do_not_wait_for_a_write_transaction(tmp_path):
    """The shell reads the log on the GUI thread while the pipeline writes: a write transaction
    held open (a slow fsync, a busy disk) does not hold the reads; they see what is committed."""
    import threading
    import time

    store = EventStore(tmp_path / "ev.sqlite")
    item = {"kind": "manhole", "rule_id": "lid_open", "type": "lid_open", "severity": "critical"}
    store.write_batch([("raise", item | {"device_id": "mh-1", "at": time.time()})])
    inside, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with store._write() as conn:  # a transaction that takes its time to commit
            conn.execute("UPDATE events SET message = 'late' WHERE device_id = 'mh-1'")
            inside.set()
            release.wait(10)

    t = threading.Thread(target=slow_writer)
    t.start()
    try:
        assert inside.wait(5)
        t0 = time.perf_counter()
        events = store.events()
        assert time.perf_counter() - t0 < 0.5  # not the writer's 10 s
        assert [e.device_id for e in events] == ["mh-1"] and events[0].message != "late"
    finally:
        release.set()
        t.join(10)
    assert store.events()[0].message == "late"  # committed: the next read sees it
    store.close()
