"""One contract, two engines (issue 16): the embedded SQLite event log and the PostgreSQL one
behave the same for everything the pipeline and the operators rely on."""

from __future__ import annotations

import uuid

import pytest

from twin.core.errors import InputError
from twin.state.events import EventStore

T0 = 1_800_000_000.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.broker)])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = EventStore(tmp_path / "ev.sqlite")
    else:
        from twin.state.pgevents import PgEventStore

        url = request.getfixturevalue("postgres").database("twin_contract")
        s = PgEventStore(url, f"community-{uuid.uuid4().hex[:8]}")
    yield s
    s.close()


def _raise(store, device="env-1", rule="pm25_high", at=T0, **extra):
    item = {"device_id": device, "kind": "env_monitor", "rule_id": rule, "type": rule}
    item |= {"severity": "major", "message": "PM2.5 high", "data": {"value": 88.5}, "at": at}
    return store.write_batch([("raise", item | extra)])[0]


def test_one_event_per_condition_until_it_clears(store):
    (e,) = _raise(store)
    assert e.status == "raised" and e.raised_at == T0 and e.data == {"value": 88.5}
    assert _raise(store, at=T0 + 1) == []  # still active
    assert store.active_conditions() == {("env-1", "pm25_high")}
    raised, cleared, dups = store.write_batch([("clear", ("env-1", "pm25_high", T0 + 5))])
    assert raised == [] and [c.id for c in cleared] == [e.id] and cleared[0].cleared_at == T0 + 5
    assert store.active_conditions() == set()
    (again,) = _raise(store, at=T0 + 10)
    assert again.id > e.id
    # raise, clear and raise again inside one batch
    item = {"device_id": "bin-1", "kind": "trash_bin", "rule_id": "bin_full", "type": "bin_full"}
    item |= {"severity": "minor", "at": T0 + 20}
    raised, cleared, _ = store.write_batch(
        [
            ("raise", item),
            ("clear", ("bin-1", "bin_full", T0 + 21)),
            ("raise", item | {"at": T0 + 22}),
        ]
    )
    assert len(raised) == 2 and len(cleared) == 1


def test_device_events_by_sender_id_and_redeliveries(store):
    item = {"device_id": "cam-1", "kind": "camera", "rule_id": "event:loitering"}
    item |= {"type": "loitering", "severity": "major", "at": T0, "source_id": "acs-1"}
    (e,) = store.write_batch([("raise", item | {"key": "k1"})])[0]
    raised, _, dups = store.write_batch([("raise", item | {"key": "k1", "dup": True})])
    assert raised == [] and dups == 1
    raised, _, dups = store.write_batch([("raise", item | {"key": "k2"})])  # same sender id
    assert raised == [] and dups == 0
    (other,) = store.write_batch([("raise", item | {"source_id": "acs-2"})])[0]
    assert other.id != e.id


def test_the_lifecycle_and_its_refusals(store):
    (e,) = _raise(store)
    a = store.acknowledge(e.id, "op-li", "seen", at=T0 + 60)
    assert (a.status, a.acknowledged_by, a.acknowledged_note) == ("acknowledged", "op-li", "seen")
    with pytest.raises(InputError) as exc:
        store.acknowledge(e.id, "op-wang")
    assert "op-li" in str(exc.value)  # the loser is told who did it
    d = store.dispatch(e.id, "op-li", "guard Chen", "go", at=T0 + 90)
    assert (d.status, d.dispatched_to, d.acknowledged_by) == ("dispatched", "guard Chen", "op-li")
    c = store.close_event(e.id, "op-li", "fixed", at=T0 + 300)
    assert c.status == "closed" and c.closed_note == "fixed"
    with pytest.raises(InputError):
        store.close_event(e.id, "op-li")
    with pytest.raises(InputError):
        store.get(999_999)
    # dispatching a raised event acknowledges it implicitly
    (f,) = _raise(store, device="env-2")
    g = store.dispatch(f.id, "op-zhou", "team B", at=T0 + 5)
    assert (g.acknowledged_by, g.acknowledged_at, g.acknowledged_note) == ("op-zhou", T0 + 5, "")
    # closed while the condition lasts: still held active (the rules do not raise it again)
    # until it really clears, and the clear stamps the closed event
    store.close_event(f.id, "op-zhou")
    assert ("env-2", "pm25_high") in store.active_conditions()
    _, cleared, _ = store.write_batch([("clear", ("env-2", "pm25_high", T0 + 70))])
    assert [c.id for c in cleared] == [f.id] and cleared[0].status == "closed"
    assert ("env-2", "pm25_high") not in store.active_conditions()


def test_listing_and_device_state(store):
    for k in range(5):
        _raise(store, device=f"env-{k}", at=T0 + k)
    (e,) = [x for x in store.events() if x.device_id == "env-3"]
    store.close_event(e.id, "op")
    assert [x.device_id for x in store.events(limit=3)] == ["env-4", "env-3", "env-2"]
    assert "env-3" not in {x.device_id for x in store.events(open_only=True)}
    assert [x.device_id for x in store.events(since=T0 + 3)] == ["env-4", "env-3"]
    assert [x.device_id for x in store.events(device_id="env-1")] == ["env-1"]
    state = {"last_seen": T0, "readings": {"pm25": 88.5, "ok": True}, "reading_ts": {"pm25": T0}}
    store.write_batch([], {"env-1": state})
    store.write_batch([], {"env-1": state | {"last_seen": T0 + 9}})
    assert store.device_states() == {"env-1": state | {"last_seen": T0 + 9}}


def test_two_seats_racing_on_postgresql_one_wins_the_other_is_told(postgres):
    import threading

    from twin.state.pgevents import PgEventStore

    url = postgres.database("twin_contract")
    community = f"community-{uuid.uuid4().hex[:8]}"
    desks = [PgEventStore(url, community) for _ in range(2)]
    other = PgEventStore(url, "another-community")
    try:
        (e,) = _raise(desks[0])
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def ack(i):
            barrier.wait(10)
            try:
                results[f"desk-{i}"] = desks[i].acknowledge(e.id, f"desk-{i}")
            except InputError as exc:
                results[f"desk-{i}"] = exc

        ts = [threading.Thread(target=ack, args=(i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        won = [k for k, v in results.items() if not isinstance(v, InputError)]
        lost = [v for v in results.values() if isinstance(v, InputError)]
        assert len(won) == 1 and len(lost) == 1 and won[0] in str(lost[0])
        assert desks[1].get(e.id).acknowledged_by == won[0]  # every seat sees the same truth
        # one community's store does not see another's events
        assert other.events() == [] and other.active_conditions() == set()
        with pytest.raises(InputError):
            other.get(e.id)
    finally:
        for s in (*desks, other):
            s.close()


def test_the_operator_commands_work_on_the_shared_database(postgres, tmp_path, monkeypatch):
    """`twin events` / `twin event` with --db postgresql://...: the community is the scene's
    name; a password in the URL is refused (it belongs in PGPASSWORD or ~/.pgpass)."""
    import json

    from tests.conftest import DEMO, run_twin
    from twin.scene.scenefile import load_scene_spec
    from twin.state.pgevents import PgEventStore

    url = postgres.database("twin_cli")
    with PgEventStore(url, load_scene_spec(DEMO).name) as s:
        (e,) = _raise(s)
    with PgEventStore(url, "another community") as s:
        _raise(s, device="elsewhere")
    listed = run_twin("events", str(DEMO), "--db", url, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [x["device_id"] for x in json.loads(listed.stdout)] == ["env-1"]
    acked = run_twin("event", str(DEMO), str(e.id), "ack", "--db", url, "--operator", "desk-2")
    assert acked.returncode == 0, acked.stderr
    again = run_twin("event", str(DEMO), str(e.id), "ack", "--db", url, "--operator", "desk-3")
    assert again.returncode == 2 and "desk-2" in again.stderr and "Traceback" not in again.stderr
    out = tmp_path / "events.csv"
    exported = run_twin("events", str(DEMO), "--db", url, "--export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_text(encoding="utf-8-sig").count("\n") == 2  # the header and its one event
    secret = url.replace("twin_owner@", "twin_owner:hunter2@")
    refused = run_twin("events", str(DEMO), "--db", secret)
    assert refused.returncode == 2 and "PGPASSWORD" in refused.stderr
    assert "hunter2" not in refused.stderr
    down = run_twin("events", str(DEMO), "--db", "postgresql://nobody@127.0.0.1:9/none")
    assert down.returncode == 2 and "cannot be reached" in down.stderr
