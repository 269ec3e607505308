"""The people tables of the event log (schema 3): the register, access events and the log of
every unmasking. They live in the event log's file so that an access event, the care check it
clears and the QoS 1 acknowledgement that waits for both are one transaction.

Nothing here is clear text about a person: ``subject`` and ``plate`` are keyed hashes
(``twin.state.pseudonym``), ``name_enc`` / ``plate_enc`` are encrypted; households, buildings
and units are kept as the register gives them (staff must know where to go for a care check).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

PEOPLE_SCHEMA = """
CREATE TABLE IF NOT EXISTS register (
    pid INTEGER PRIMARY KEY,
    subject TEXT NOT NULL UNIQUE,
    plate TEXT,
    category TEXT NOT NULL CHECK (category IN ('resident', 'visitor')),
    household TEXT NOT NULL,
    building TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    care INTEGER NOT NULL DEFAULT 0,
    interval_s REAL,
    door_sensor TEXT,
    valid_from REAL,
    valid_to REAL,
    name_enc BLOB,
    plate_enc BLOB,
    name_mask TEXT NOT NULL DEFAULT '',
    plate_mask TEXT NOT NULL DEFAULT '',
    since REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS register_by_plate ON register(plate) WHERE plate IS NOT NULL;
CREATE TABLE IF NOT EXISTS access (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    device_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'seen')),
    method TEXT NOT NULL,
    subject TEXT,
    category TEXT NOT NULL,
    household TEXT,
    plate_enc BLOB,
    plate_mask TEXT,
    source_id TEXT
);
CREATE INDEX IF NOT EXISTS access_by_time ON access(ts);
CREATE INDEX IF NOT EXISTS access_by_subject ON access(subject, ts) WHERE subject IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS access_by_source ON access(device_id, source_id) \
WHERE source_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS unmask_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    operator TEXT NOT NULL,
    role TEXT NOT NULL,
    what TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS people_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

ACCESS_COLUMNS = (
    "ts",
    "device_id",
    "direction",
    "method",
    "subject",
    "category",
    "household",
    "plate_enc",
    "plate_mask",
    "source_id",
)


def insert_access(conn: sqlite3.Connection, row: Mapping[str, Any]) -> bool:
    """Store one access event (inside the caller's transaction); False when its source id was
    stored before."""
    cur = conn.execute(
        f"INSERT OR IGNORE INTO access ({', '.join(ACCESS_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(ACCESS_COLUMNS))})",
        tuple(row.get(c) for c in ACCESS_COLUMNS),
    )
    return cur.rowcount == 1
