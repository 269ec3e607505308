"""The twin's SQLite files: write transactions that never stay open, and opening for reading
only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twin.core.errors import InputError


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error - a full disk or an I/O error
    at ``COMMIT`` included (SQLite may leave the transaction open then), so the next write
    starts clean once the disk has room again."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        raise


def open_readonly(path: Path) -> sqlite3.Connection:
    """``path`` opened for reading only, so that a copy on read-only media or without write
    permission can be read. A WAL file needs its ``-shm`` beside it; where that cannot be
    created the file is read as immutable (nobody is writing a file nobody may write).

    Raises
    ------
    InputError
        When the file is missing.
    sqlite3.DatabaseError
        When it cannot be read even so (damaged, not a database).
    """
    if not path.is_file():
        raise InputError(path, "no such database file.")
    uri = path.resolve().as_uri()
    last: sqlite3.DatabaseError | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                uri + query, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            last = exc
            continue
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError as exc:
            conn.close()
            last = exc
            if "not a database" in str(exc) or "malformed" in str(exc):
                break
    assert last is not None
    raise last
