"""The shared store's layout on PostgreSQL (issue 16): versioned migrations the twin applies
itself, refusing a database written by a newer twin, and the same guarantees as the embedded
event log enforced by the database: one active event per condition (a unique partial index),
one stored event per sender's id, every row carrying its community.

Several processes may start at once (two ingest workers, a wall and two desks): the migration
runs in one transaction under a transaction-level advisory lock, so exactly one of them
migrates and the others find the work done.
"""

from __future__ import annotations

import hashlib
from typing import Any

from twin.core.errors import InputError

SCHEMA_VERSION = 5
"""Version of the PostgreSQL layout written by this module (apart from the SQLite file's).
2: the reading history, the latest state and the change sequence seats follow; the people
tables scoped to the connection's community (``twin.community``, set by the store), so the SQL of
``twin.state.peoplelog`` serves both engines.
3: accounts: the members of each community with their role, the twin's group roles and their
grants, and row-level security that keeps every account to its communities.
4: several ingest workers: the inbox the receivers fill and the partitions' leaders drain, and
the workers' register (``twin.state.pginbox``).
5: notifications name a community by its :func:`notify_tag`, not by its name (every account may
LISTEN); the register records each worker's partition count (workers must agree on it)."""
LOCK_KEY = 0x7477696E  # "twin": the advisory lock every migrator takes
CHANGES_LOCK = 0x74776331
"""First half of the per-community transaction lock every write of events or latest state
takes (the second is ``hashtext(community)``): changes of one community commit in the order of
their ``seq``, so a seat that follows ``seq`` never skips a change committed late."""
CHANNEL = "twin_changes"
"""The NOTIFY channel: payload ``TAG:events`` or ``TAG:state``, ``TAG`` the community's
:func:`notify_tag`."""
_TAG_SQL = "left(encode(sha256(convert_to({}, 'UTF8')), 'hex'), 16)"
"""The SQL of :func:`notify_tag` (``{}`` the community), for the triggers."""


def notify_tag(community: str) -> str:
    """How a notification names a community: any account may LISTEN on a channel, so the
    payload carries the first 16 hex digits of the name's SHA-256, never the name (it tells a
    seat "yours" without telling every account which communities the database holds)."""
    return hashlib.sha256(community.encode()).hexdigest()[:16]


PEOPLE_TABLES = ("register", "access", "unmask_log", "people_meta")


def _scoped(table: str) -> tuple[str, ...]:
    """``table``'s rows filled in and kept to the connection's community (``twin.community``),
    for the table's owner too."""
    mine = "community = current_setting('twin.community', true)"
    return (
        f"ALTER TABLE {table} ALTER COLUMN community SET DEFAULT current_setting('twin.community')",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_of_the_session ON {table} AS RESTRICTIVE USING ({mine}) "
        f"WITH CHECK ({mine})",
        f"CREATE POLICY {table}_any ON {table} USING (true) WITH CHECK (true)",
    )


GROUPS = {
    "viewer": "twin_viewer",
    "operator": "twin_operator",
    "supervisor": "twin_supervisor",
    "ingest": "twin_ingest",
}
"""The twin's roles and the PostgreSQL group role of each (``NOLOGIN``; accounts are members)."""
COMMUNITY_TABLES = (
    "events",
    "device_state",
    "received",
    "latest",
    "history_raw",
    "history_rollup",
    "history_meta",
    *PEOPLE_TABLES,
)
READ_TABLES = (*COMMUNITY_TABLES, "twin_members", "twin_schema")
_MAY = "twin_may(community)"


def _members_only(table: str) -> tuple[str, ...]:
    """Row-level security on ``table``: an account reads and writes only rows of the
    communities it is a member of (the owner all of them)."""
    out = [] if table in PEOPLE_TABLES else [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"]
    if table in PEOPLE_TABLES:
        out.append(f"DROP POLICY {table}_any ON {table}")
    out.append(f"CREATE POLICY {table}_members ON {table} USING ({_MAY}) WITH CHECK ({_MAY})")
    return tuple(out)


def _groups() -> str:
    creates = " ".join(
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{g}') THEN "
        f"CREATE ROLE {g} NOLOGIN; END IF;"
        for g in GROUPS.values()
    )
    return f"DO $$ BEGIN {creates} END $$"


INBOX_TABLES = ("inbox", "ingest_workers")


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
    2: (
        "CREATE SEQUENCE twin_change_seq",
        "ALTER TABLE events ADD COLUMN seq bigint NOT NULL DEFAULT nextval('twin_change_seq')",
        "CREATE INDEX events_by_seq ON events (community, seq)",
        """CREATE FUNCTION twin_touch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.seq := nextval('twin_change_seq'); RETURN NEW; END $$""",
        """CREATE FUNCTION twin_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('twin_changes', NEW.community || ':events'); RETURN NULL;
            END $$""",
        """CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW
            EXECUTE FUNCTION twin_touch()""",
        """CREATE TRIGGER events_notify AFTER INSERT OR UPDATE ON events FOR EACH ROW
            EXECUTE FUNCTION twin_notify_events()""",
        """CREATE TABLE history_raw (
            community text NOT NULL,
            device_id text NOT NULL,
            ts double precision NOT NULL,
            readings jsonb NOT NULL
        )""",
        "CREATE INDEX history_raw_by_device ON history_raw (community, device_id, ts)",
        "CREATE INDEX history_raw_by_time ON history_raw (community, ts)",
        """CREATE TABLE history_rollup (
            community text NOT NULL,
            device_id text NOT NULL,
            reading text NOT NULL,
            bucket double precision NOT NULL,
            n integer NOT NULL,
            vmin double precision,
            vmax double precision,
            vsum double precision,
            vlast double precision,
            PRIMARY KEY (community, device_id, reading, bucket)
        )""",
        """CREATE TABLE latest (
            community text NOT NULL,
            device_id text NOT NULL,
            kind text NOT NULL,
            status text NOT NULL,
            last_seen double precision,
            readings jsonb NOT NULL,
            reading_ts jsonb,
            seq bigint NOT NULL DEFAULT nextval('twin_change_seq'),
            PRIMARY KEY (community, device_id)
        )""",
        "CREATE INDEX latest_by_seq ON latest (community, seq)",
        """CREATE TRIGGER latest_touch BEFORE UPDATE ON latest FOR EACH ROW
            EXECUTE FUNCTION twin_touch()""",
        "ALTER TABLE people_meta ALTER COLUMN value TYPE text USING value::text",
        *(statement for table in PEOPLE_TABLES for statement in _scoped(table)),
        """CREATE TABLE history_meta (
            community text NOT NULL,
            key text NOT NULL,
            value jsonb NOT NULL,
            PRIMARY KEY (community, key)
        )""",
    ),
    3: (
        """CREATE TABLE twin_members (
            member text NOT NULL,
            community text NOT NULL,
            role text NOT NULL CHECK (role IN ('viewer', 'operator', 'supervisor', 'ingest')),
            PRIMARY KEY (member, community)
        )""",
        "ALTER TABLE twin_members ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY twin_members_own ON twin_members USING (member = current_user)",
        """CREATE FUNCTION twin_may(c text) RETURNS boolean LANGUAGE sql STABLE AS $$
            SELECT current_user = pg_get_userbyid(
                       (SELECT relowner FROM pg_class WHERE oid = 'public.events'::regclass))
                OR EXISTS (SELECT 1 FROM public.twin_members m
                           WHERE m.member = current_user AND m.community = c) $$""",
        *(statement for table in COMMUNITY_TABLES for statement in _members_only(table)),
        _groups(),
        f"GRANT SELECT ON {', '.join(READ_TABLES)} TO {', '.join(GROUPS.values())}",
        "GRANT UPDATE (status, acknowledged_at, acknowledged_by, acknowledged_note, "
        "dispatched_at, dispatched_by, dispatched_to, dispatched_note, closed_at, closed_by, "
        "closed_note) ON events TO twin_operator, twin_supervisor",
        "GRANT USAGE ON SEQUENCE twin_change_seq TO twin_operator, twin_supervisor, twin_ingest",
        "GRANT INSERT ON unmask_log TO twin_supervisor",
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(COMMUNITY_TABLES)} TO twin_ingest",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO twin_ingest, twin_supervisor",
    ),
    4: (
        """CREATE TABLE inbox (
            community text NOT NULL,
            part smallint NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            topic text NOT NULL,
            payload bytea NOT NULL,
            received double precision NOT NULL,
            PRIMARY KEY (community, part, seq)
        )""",
        "CREATE INDEX inbox_by_arrival ON inbox (community, part, received, seq)",
        """CREATE TABLE ingest_workers (
            community text NOT NULL,
            client_id text NOT NULL,
            lock_key integer NOT NULL,
            host text NOT NULL,
            pid integer NOT NULL,
            started double precision NOT NULL,
            flushed_until double precision NOT NULL,
            PRIMARY KEY (community, client_id)
        )""",
        *(statement for table in INBOX_TABLES for statement in _members_only(table)),
        f"GRANT SELECT ON {', '.join(INBOX_TABLES)} TO {', '.join(GROUPS.values())}",
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(INBOX_TABLES)} TO twin_ingest",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO twin_ingest",
    ),
    5: (
        f"""CREATE OR REPLACE FUNCTION twin_notify_events() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN PERFORM pg_notify('twin_changes', {_TAG_SQL.format("NEW.community")}
            || ':events'); RETURN NULL; END $$""",
        "ALTER TABLE ingest_workers ADD COLUMN partitions smallint",
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
    found = _version(conn)
    if found == SCHEMA_VERSION:
        return found  # the usual case: no lock, no DDL (accounts may not run any)
    _refuse_newer(found, where)
    owner = conn.execute(
        "SELECT pg_get_userbyid(datdba) = current_user FROM pg_database "
        "WHERE datname = current_database()"
    ).fetchone()[0]
    if not owner:
        raise InputError(
            where,
            f"has the twin's schema {found}; this version needs {SCHEMA_VERSION}, and only the "
            "database's owner may change it.",
            "Run any twin command once with the owner's account (e.g. `twin accounts SCENE "
            "--db postgresql://OWNER@HOST/DB list`).",
        )
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS twin_schema (version integer NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        (found,) = conn.execute("SELECT coalesce(max(version), 0) FROM twin_schema").fetchone()
        _refuse_newer(found, where)
        for version in range(found + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute("INSERT INTO twin_schema (version) VALUES (%s)", (version,))
    return int(found)


def _version(conn: Any) -> int:
    if conn.execute("SELECT to_regclass('public.twin_schema')").fetchone()[0] is None:
        return 0
    return int(conn.execute("SELECT coalesce(max(version), 0) FROM twin_schema").fetchone()[0])


def _refuse_newer(found: int, where: str) -> None:
    if found > SCHEMA_VERSION:
        raise InputError(
            where,
            f"was written by a newer version of the twin (schema {found}, this version "
            f"knows {SCHEMA_VERSION}).",
            "Update the twin on this machine; the database is left as it is.",
        )


def refuse_superuser(conn: Any, where: str) -> None:
    """The twin never works as a superuser (row-level security does not hold for one)."""
    row = conn.execute(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if row is not None and row[1]:
        raise InputError(
            where,
            f"signs in as {row[0]}, a superuser; the twin never connects as one (row-level "
            "security would not keep communities apart).",
            "Create the twin's owner and accounts: README, 'Running a command centre'.",
        )


def lock_changes(conn: Any, community: str) -> None:
    """Take the community's change lock for the rest of the transaction (see
    :data:`CHANGES_LOCK`)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (CHANGES_LOCK, community))
