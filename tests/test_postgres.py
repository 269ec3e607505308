"""The suite's own PostgreSQL (issue 16's groundwork): a cluster made with Debian's binaries,
reached with psycopg 3 through a connection pool, as the twin's shared store will be."""

from __future__ import annotations

import psycopg
import pytest
from psycopg_pool import ConnectionPool


def test_the_suite_runs_its_own_postgresql_and_psycopg_reaches_it(postgres):
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        (version,) = conn.execute("SHOW server_version_num").fetchone()
        assert int(version) >= 130000  # unique partial indexes, LISTEN / NOTIFY, COPY, RLS
        conn.execute("CREATE DATABASE twin_smoke")
    url = postgres.url.rsplit("/", 1)[0] + "/twin_smoke"
    with ConnectionPool(url, min_size=1, max_size=3, open=True) as pool:
        with pool.connection() as conn:
            conn.execute("CREATE TABLE t (id int PRIMARY KEY, what text NOT NULL)")
            with conn.cursor().copy("COPY t (id, what) FROM STDIN") as copy:
                for i in range(1000):
                    copy.write_row((i, f"row {i}"))
        with pool.connection() as conn:
            assert conn.execute("SELECT count(*), max(id) FROM t").fetchone() == (1000, 999)
            with pytest.raises(psycopg.errors.UniqueViolation):
                conn.execute("INSERT INTO t VALUES (1, 'again')")


def _db(postgres, name):
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres.url.rsplit("/", 1)[0] + "/" + name


def test_the_schema_is_migrated_once_even_by_processes_starting_together(postgres):
    import threading

    from twin.state.pgschema import SCHEMA_VERSION, migrate

    url = _db(postgres, "twin_migrate")
    found, errors = [], []

    def start():
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                found.append(migrate(conn))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(found) == [0] + [SCHEMA_VERSION] * 3  # one migrated, the others found it done
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM twin_schema").fetchone() == (SCHEMA_VERSION,)
        assert migrate(conn) == SCHEMA_VERSION


def test_a_database_of_a_newer_twin_is_refused_and_left_alone(postgres):
    from twin.core.errors import InputError
    from twin.state.pgschema import SCHEMA_VERSION, migrate

    url = _db(postgres, "twin_newer")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO twin_schema (version) VALUES (%s)", (SCHEMA_VERSION + 5,))
        with pytest.raises(InputError) as exc:
            migrate(conn, "postgresql://db/twin_newer")
        assert "newer version" in str(exc.value) and "twin_newer" in str(exc.value)
        assert conn.execute("SELECT max(version) FROM twin_schema").fetchone() == (
            SCHEMA_VERSION + 5,
        )


def test_one_active_event_per_condition_enforced_by_the_database(postgres):
    """Whoever writes: writers raising the same condition at once store one event per
    community, and a cleared condition may be raised again."""
    import threading

    from twin.state.pgschema import migrate

    url = _db(postgres, "twin_race")
    with psycopg.connect(url, autocommit=True) as conn:
        migrate(conn)
    insert = (
        "INSERT INTO events (community, device_id, kind, type, rule_id, severity, raised_at) "
        "VALUES (%s, 'env-1', 'env_monitor', 'pm25_high', 'pm25_high', 'major', %s) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    barrier = threading.Barrier(6)
    won: list[int] = []

    def raise_it(community):
        with psycopg.connect(url, autocommit=True) as conn:
            barrier.wait(10)
            row = conn.execute(insert, (community, 1.0)).fetchone()
            if row:
                won.append(row[0])

    threads = [threading.Thread(target=raise_it, args=("nanshan",)) for _ in range(5)]
    threads.append(threading.Thread(target=raise_it, args=("futian",)))  # another community
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 2  # one in each community
    with psycopg.connect(url, autocommit=True) as conn:
        (eid,) = conn.execute("SELECT id FROM events WHERE community = 'nanshan'").fetchone()
        # cleared: the condition may be raised again, as a new event
        conn.execute("UPDATE events SET cleared_at = 2.0 WHERE id = %s", (eid,))
        assert conn.execute(insert, ("nanshan", 3.0)).fetchone() is not None
    # two operators racing on one event: tests/test_store_contract.py, through PgEventStore
