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
