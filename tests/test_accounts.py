"""Who may do what on the shared database (issue 16, §3): accounts are PostgreSQL roles in the
twin's groups, and row-level security keeps each to its communities - tried by SQL, as the
account itself, not through the twin's own code."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.conftest import run_twin
from twin.core.errors import InputError

pytestmark = pytest.mark.slow

T0 = 1_800_000_000.0


def _scene(tmp_path, name):
    path = tmp_path / (name.replace(" ", "_") + ".toml")
    path.write_text(f'name = "{name}"\n', encoding="utf-8")
    return path


def _as(url, user):
    return url.replace("twin_owner@", f"{user}@")


def _add(postgres, scene, url, name, role):
    password = f"pw-{name}-secret"
    r = run_twin(
        "accounts",
        str(scene),
        "add",
        name,
        "--role",
        role,
        "--password-stdin",
        "--db",
        url,
        input=password + "\n",
    )
    assert r.returncode == 0, r.stderr
    assert password not in r.stdout + r.stderr
    postgres.add_password(name, password)
    return _as(url, name)


def test_accounts_roles_and_row_level_security(postgres, tmp_path):
    from twin.state.pgevents import PgEventStore

    url = postgres.database("twin_acl")
    harbour, hill = _scene(tmp_path, "Harbour court"), _scene(tmp_path, "Hill park")
    item = {"kind": "manhole", "rule_id": "lid_open", "type": "lid_open", "severity": "critical"}
    raised = {}
    for community, n in (("Harbour court", 1), ("Hill park", 9)):
        passage = {"ts": T0, "device_id": f"gate-{n}", "direction": "in", "method": "card"}
        with PgEventStore(url, community) as s:
            (raised[community],) = s.write_batch(
                [("raise", item | {"device_id": f"mh-{n}", "at": T0})]
            )[0]
            s.write_batch([("access", passage | {"category": "resident"})])
    mine, theirs = raised["Harbour court"], raised["Hill park"]
    op = _add(postgres, harbour, url, "op-li", "operator")
    viewer = _add(postgres, harbour, url, "wall-1", "viewer")

    # by SQL, as the operator: only the own community's rows, whatever is asked
    with psycopg.connect(op, autocommit=True) as conn:
        assert conn.execute("SELECT DISTINCT community FROM events").fetchall() == [
            ("Harbour court",)
        ]
        conn.execute("SELECT set_config('twin.community', 'Hill park', false)")
        assert conn.execute("SELECT count(*) FROM access").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM latest").fetchone() == (0,)
        n = conn.execute("UPDATE events SET status = 'closed' WHERE id = %s", (theirs.id,)).rowcount
        assert n == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE events SET cleared_at = 1 WHERE id = %s", (mine.id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM events")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO unmask_log (community, at, operator, role, what) "
                "VALUES ('Harbour court', 1, 'x', 'operator', 'names')"
            )
        assert conn.execute("SELECT member, role FROM twin_members").fetchall() == [
            ("op-li", "operator")
        ]
    # any account may LISTEN: a notification names a community by its tag, never by its name
    from twin.state.pgschema import CHANNEL, notify_tag

    with psycopg.connect(op, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        with PgEventStore(url, "Hill park") as s:
            s.write_batch([("raise", item | {"device_id": "mh-8", "at": T0 + 1})])
        heard = [n.payload for n in conn.notifies(timeout=2.0, stop_after=1)]
    assert heard == [notify_tag("Hill park") + ":events"] and "Hill" not in heard[0]
    # through the twin: the operator acts and is named; the other community is not theirs
    with PgEventStore(op, "Harbour court") as s:
        assert s.account == "op-li" and s.role == "operator"
        assert [e.id for e in s.events()] == [mine.id]
        assert s.acknowledge(mine.id, s.account).acknowledged_by == "op-li"
    with pytest.raises(InputError, match="not a member"):
        PgEventStore(op, "Hill park")
    # a viewer watches and may not act, said in one line
    with PgEventStore(viewer, "Harbour court") as s:
        assert s.role == "viewer" and len(s.events()) == 1
        with pytest.raises(InputError, match="may not change"):
            s.close_event(mine.id, "wall-1")
    r = run_twin("event", str(harbour), str(mine.id), "close", "--db", viewer)
    assert r.returncode == 2 and "may not change" in r.stderr and "Traceback" not in r.stderr
    r = run_twin("events", str(harbour), "--db", op, "--json")
    assert r.returncode == 0 and [e["id"] for e in json.loads(r.stdout)] == [mine.id]
    # the twin never connects as a superuser
    admin = postgres.url.rsplit("/", 1)[0] + "/twin_acl"
    r = run_twin("events", str(harbour), "--db", admin)
    assert r.returncode == 2 and "superuser" in r.stderr
    # only the owner manages accounts
    r = run_twin("accounts", str(harbour), "list", "--db", op)
    assert r.returncode == 2 and "owner" in r.stderr
    r = run_twin("accounts", str(harbour), "list", "--db", url, "--json")
    assert {(a["name"], a["role"]) for a in json.loads(r.stdout)} == {
        ("op-li", "operator"),
        ("wall-1", "viewer"),
    }
    assert run_twin("accounts", str(hill), "list", "--db", url, "--json").stdout.strip() == "[]"
    r = run_twin("accounts", str(harbour), "remove", "wall-1", "--db", url)
    assert r.returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'wall-1'").fetchone() is None


def test_the_sign_in_is_the_databases(postgres, tmp_path, monkeypatch):
    """An account without a password at hand (no PGPASSWORD, not in the password file): the
    shell asks for it and the database checks it; nothing of it is stored by the twin."""
    from twin.usecases.accounts import add_member, password_needed, sign_in

    url = postgres.database("twin_signin")
    scene = _scene(tmp_path, "Harbour court")
    add_member(scene, url, "desk-3", "operator", "s3cret-desk")
    desk = _as(url, "desk-3")
    # sign_in keeps the password in this process's PGPASSWORD: put back as it was afterwards
    monkeypatch.setenv("PGPASSWORD", "")
    monkeypatch.delenv("PGPASSWORD")
    assert password_needed(desk) is True
    with pytest.raises(InputError, match="refused"):
        sign_in(desk, "wrong")
    assert "PGPASSWORD" not in __import__("os").environ
    sign_in(desk, "s3cret-desk")
    assert password_needed(desk) is False
    from twin.state.pgevents import PgEventStore

    with PgEventStore(desk, "Harbour court") as s:
        assert s.account == "desk-3" and s.role == "operator"
