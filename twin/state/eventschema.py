"""The event log's file: its layout (schema 3), the migrations from schemas 1 and 2, and
opening it - for writing (WAL, ``synchronous=FULL``, migrated in place) or read-only - with one
clear error for a folder, a damaged file, another program's database or a newer twin's."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from twin.core.errors import InputError
from twin.core.sqlitefiles import open_readonly
from twin.state.peopleschema import PEOPLE_SCHEMA

SCHEMA_VERSION = 3
"""Version of the database layout written by this module."""

SEVERITIES = ("critical", "major", "minor", "info")
LIFECYCLE = ("raised", "acknowledged", "dispatched", "closed")
"""An event's statuses, in order (not a device's status: see ``twin.scene.catalogue.STATUSES``)."""

RECEIVED_KEEP_S = 30 * 86400.0
"""How long the keys of received device events are kept (a redelivery comes within minutes)."""
_MIGRATE_1_TO_2 = (
    "ALTER TABLE events ADD COLUMN source_id TEXT",
    "DROP INDEX IF EXISTS events_one_active_per_condition",
)
FIX_DAMAGED = (
    "Move the file away (rename it) and start again: a new, empty event log is created in its "
    "place; keep the old file for inspection."
)

_SCHEMA = (
    f"""
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN {SEVERITIES!r}),
    status TEXT NOT NULL DEFAULT 'raised' CHECK (status IN {LIFECYCLE!r}),
    raised_at REAL NOT NULL,
    cleared_at REAL,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    acknowledged_note TEXT,
    dispatched_at REAL,
    dispatched_by TEXT,
    dispatched_to TEXT,
    dispatched_note TEXT,
    closed_at REAL,
    closed_by TEXT,
    closed_note TEXT,
    message TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{{}}',
    source_id TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS events_one_active_per_condition_v2
    ON events(device_id, rule_id) WHERE cleared_at IS NULL AND status != 'closed' \
AND source_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS events_by_source ON events(device_id, source_id) \
WHERE source_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS device_state (
    device_id TEXT PRIMARY KEY,
    last_seen REAL,
    readings TEXT NOT NULL,
    reading_ts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS received (
    key TEXT PRIMARY KEY,
    at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_device ON events(device_id, raised_at);
CREATE INDEX IF NOT EXISTS events_by_time ON events(raised_at);
CREATE INDEX IF NOT EXISTS events_open ON events(status) WHERE status != 'closed';
"""
    + PEOPLE_SCHEMA
)


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error means the file is damaged or not a database (not a full disk or
    a lock)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def open_event_db(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """The event log at ``path``, created or migrated when written, as is when ``readonly``.

    Raises
    ------
    InputError
        For a folder, a damaged file, another program's database, a newer twin's file, or a
        file that cannot be opened; the message names the file and what to do.
    """
    if path.is_dir():
        raise InputError(path, "is a folder, not an event database.", "Give a file name.")
    if readonly:
        conn = _open_readonly(path)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(path, f"cannot create its folder ({exc.strerror}).") from None
        try:
            conn = sqlite3.connect(
                path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise InputError(path, f"cannot open the event database ({exc}).") from None
    conn.row_factory = sqlite3.Row
    try:
        if readonly:
            _check_tables(conn, path, readonly)
        else:
            _initialise(conn, path)
    except InputError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        if is_damage(exc):
            raise InputError(
                path, f"is not a readable event database ({exc}).", FIX_DAMAGED
            ) from None
        fix = (
            "Check the file's permissions and the free disk space, or open it read-only "
            "(`twin events` and `twin state` do)."
            if not readonly
            else ""
        )
        raise InputError(path, f"cannot open the event database ({exc}).", fix) from None
    return conn


def _open_readonly(path: Path) -> sqlite3.Connection:
    try:
        return open_readonly(path)
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):
            raise InputError(
                path, f"is not a readable event database ({exc}).", FIX_DAMAGED
            ) from None
        raise InputError(
            path, f"cannot be read ({exc}).", "Check the file's permissions."
        ) from None


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("PRAGMA journal_mode=WAL").fetchone()
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _check_tables(conn, path, False)
        if version == 1:  # add device ids of events, received keys and device state
            for statement in _MIGRATE_1_TO_2:
                conn.execute(statement)
        if version in (1, 2):  # schema 3 only adds the people tables (created below)
            conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        if conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (SCHEMA_VERSION,))
        conn.execute("DELETE FROM received WHERE at < ?", (time.time() - RECEIVED_KEEP_S,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _check_tables(conn: sqlite3.Connection, path: Path, readonly: bool) -> int | None:
    """The file's schema version (None for an empty file); refuses foreign and newer files."""
    tables = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if "schema_version" in tables:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        version = row[0] if row else None
        if version is not None and version > SCHEMA_VERSION:
            raise InputError(
                path,
                f"was written by a newer version of the twin (event schema {version}, "
                f"this version reads {SCHEMA_VERSION}).",
                "Update the twin, or move the file away to start a new event log.",
            )
        return int(version) if version is not None else None
    if tables:
        raise InputError(
            path,
            "is an SQLite database but not a twin event log "
            f"(it holds tables {', '.join(sorted(tables))}).",
            "Give another file name for the event log.",
        )
    if readonly:
        raise InputError(path, "is an empty database, not an event log yet.")
    return None
