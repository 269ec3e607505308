"""The shared store's layout on PostgreSQL (issue 16): versioned migrations the twin applies
itself, refusing a database written by a newer twin, and the same guarantees as the embedded
event log enforced by the database: one active event per condition (a unique partial index),
one stored event per sender's id, every row carrying its community.

Several processes may start at once (two ingest workers, a wall and two desks): the migration
runs in one transaction under a transaction-level advisory lock, so exactly one of them
migrates and the others find the work done.
"""

from __future__ import annotations

from typing import Any

from twin.core.errors import InputError

SCHEMA_VERSION = 1
"""Version of the PostgreSQL layout written by this module (apart from the SQLite file's)."""
LOCK_KEY = 0x7477696E  # "twin": the advisory lock every migrator takes

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            community text NOT NULL,
            device_id text NOT NULL,
            kind text NOT NULL,
            type text NOT NULL,
            rule_id text NOT NULL,
            severity text NOT NULL CHECK (severity IN ('critical', 'major', 'minor', 'info')),
            status text NOT NULL DEFAULT 'raised'
                CHECK (status IN ('raised', 'acknowledged', 'dispatched', 'closed')),
            raised_at double precision NOT NULL,
            cleared_at double precision,
            acknowledged_at double precision,
            acknowledged_by text,
            acknowledged_note text,
            dispatched_at double precision,
            dispatched_by text,
            dispatched_to text,
            dispatched_note text,
            closed_at double precision,
            closed_by text,
            closed_note text,
            message text NOT NULL DEFAULT '',
            data jsonb NOT NULL DEFAULT '{}',
            source_id text
        )""",
        """CREATE UNIQUE INDEX events_one_active_per_condition ON events (community, device_id,
            rule_id) WHERE cleared_at IS NULL AND status <> 'closed' AND source_id IS NULL""",
        """CREATE UNIQUE INDEX events_by_source ON events (community, device_id, source_id)
            WHERE source_id IS NOT NULL""",
        "CREATE INDEX events_by_time ON events (community, raised_at)",
        "CREATE INDEX events_open ON events (community, status) WHERE status <> 'closed'",
        """CREATE TABLE device_state (
            community text NOT NULL,
            device_id text NOT NULL,
            last_seen double precision,
            readings jsonb NOT NULL,
            reading_ts jsonb NOT NULL,
            PRIMARY KEY (community, device_id)
        )""",
        """CREATE TABLE received (
            community text NOT NULL,
            key text NOT NULL,
            at double precision NOT NULL,
            PRIMARY KEY (community, key)
        )""",
        """CREATE TABLE register (
            community text NOT NULL,
            pid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subject text NOT NULL,
            plate text,
            category text NOT NULL CHECK (category IN ('resident', 'visitor')),
            household text NOT NULL,
            building text NOT NULL DEFAULT '',
            unit text NOT NULL DEFAULT '',
            care boolean NOT NULL DEFAULT false,
            interval_s double precision,
            door_sensor text,
            valid_from double precision,
            valid_to double precision,
            name_enc bytea,
            plate_enc bytea,
            name_mask text NOT NULL DEFAULT '',
            plate_mask text NOT NULL DEFAULT '',
            since double precision NOT NULL,
            UNIQUE (community, subject)
        )""",
        """CREATE TABLE access (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            community text NOT NULL,
            ts double precision NOT NULL,
            device_id text NOT NULL,
            direction text NOT NULL CHECK (direction IN ('in', 'out', 'seen')),
            method text NOT NULL,
            subject text,
            category text NOT NULL,
            household text,
            plate_enc bytea,
            plate_mask text,
            source_id text
        )""",
        "CREATE INDEX access_by_time ON access (community, ts)",
        """CREATE UNIQUE INDEX access_by_source ON access (community, device_id, source_id)
            WHERE source_id IS NOT NULL""",
        """CREATE TABLE unmask_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            community text NOT NULL,
            at double precision NOT NULL,
            operator text NOT NULL,
            role text NOT NULL,
            what text NOT NULL,
            reason text NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE people_meta (
            community text NOT NULL,
            key text NOT NULL,
            value jsonb NOT NULL,
            PRIMARY KEY (community, key)
        )""",
    ),
}
"""Version -> the statements that bring the previous version to it (never edited once
released: a change is a new version)."""


def migrate(conn: Any, where: str = "the shared database") -> int:
    """Bring the database of ``conn`` (a psycopg connection) to :data:`SCHEMA_VERSION`; returns
    the version found before.

    Raises
    ------
    InputError
        When the database was written by a newer twin (it is left untouched).
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS twin_schema (version integer NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        (found,) = conn.execute("SELECT coalesce(max(version), 0) FROM twin_schema").fetchone()
        if found > SCHEMA_VERSION:
            raise InputError(
                where,
                f"was written by a newer version of the twin (schema {found}, this version "
                f"knows {SCHEMA_VERSION}).",
                "Update the twin on this machine; the database is left as it is.",
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute("INSERT INTO twin_schema (version) VALUES (%s)", (version,))
    return int(found)
