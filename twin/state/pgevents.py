"""The event log on PostgreSQL (issue 16, in progress): the same interface and guarantees as
:class:`twin.state.events.EventStore`, for several processes and seats sharing one community.

Every call is one transaction from a connection pool (psycopg 3); every row carries the
community, and each store sees only its own. The guarantees are the database's, not this
process's: one active event per condition and one event per sender's id are unique indexes
(``twin.state.pgschema``), a raise is ``INSERT ... ON CONFLICT DO NOTHING``, and a lifecycle
step is one conditional ``UPDATE`` (``WHERE status IN allowed``), so two operators racing to
acknowledge one event cannot both win: the loser is told who did it.

Not yet used by the commands; the tests run the same contract on both engines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from twin.core.errors import InputError
from twin.state.eventrecord import _COLUMNS, Event, json_default
from twin.state.events import (
    _RAISE_KEYS,
    _RAISE_REQUIRED,
    EventStore,
    Lifecycle,
    _note,
    _text,
    _time,
    write_events_csv,
)
from twin.state.eventschema import SEVERITIES
from twin.state.peopleschema import ACCESS_COLUMNS
from twin.state.pgaccounts import account_role
from twin.state.pgschema import lock_changes, migrate, refuse_superuser

_SELECT = ", ".join(_COLUMNS)


def _event(row: Mapping[str, Any]) -> Event:
    return Event(**{c: row[c] for c in _COLUMNS})


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(json.loads(json.dumps(value, default=json_default)))


class PgEventStore(Lifecycle):
    """The event log of ``community`` in the PostgreSQL database at ``url``.

    Raises
    ------
    InputError
        When the database cannot be reached, or was written by a newer twin.
    """

    readonly = False

    def __init__(self, url: str, community: str, max_size: int = 4, timeout: float = 30.0) -> None:
        self.path = url
        self.community = _text("community", community)
        self.pool: Any = connect_pool(url, self.community, max_size, timeout)
        try:
            with self.pool.connection() as conn:
                self.account = str(conn.execute("SELECT current_user AS u").fetchone()["u"])
                """The database account this store is signed in as (the operator of its
                steps)."""
                self.role = account_role(conn, self.community)
                """The account's role in the community (viewer, operator, supervisor, ingest;
                the owner is a supervisor)."""
        except BaseException:
            self.pool.close()
            raise

    @contextmanager
    def _changing(self) -> Iterator[Any]:
        """A transaction that changes events: under the community's change lock, so seats
        following the change sequence see every change (``twin.state.pgschema.CHANGES_LOCK``)."""
        try:
            with self.pool.connection() as conn, conn.transaction():
                lock_changes(conn, self.community)
                yield conn
        except psycopg.errors.InsufficientPrivilege:
            raise InputError(
                f"account {self.account}",
                f"may not change the events of {self.community} (its role: {self.role}).",
                "Ask the database's owner for an operator's account: `twin accounts SCENE --db "
                "URL add NAME --role operator`.",
            ) from None

    # -- the rules engine's side ---------------------------------------------------------------
    def _insert(self, conn: Any, item: Mapping[str, Any]) -> Event | None:
        unknown = set(item) - _RAISE_KEYS
        if unknown:
            raise InputError("raised event", f"has unknown fields {sorted(unknown)}.")
        missing = [k for k in _RAISE_REQUIRED if k not in item]
        if missing:
            raise InputError("raised event", f"lacks the fields {missing}.")
        if item["severity"] not in SEVERITIES:
            raise InputError(f"rule {item['rule_id']!r}", f"has severity {item['severity']!r}.")
        data = item.get("data") or {}
        if not isinstance(data, Mapping):
            raise InputError("event data", f"must be a dict, got {type(data).__name__}.")
        message = item.get("message")
        source_id = item.get("source_id")
        row = conn.execute(
            "INSERT INTO events (community, device_id, kind, type, rule_id, severity, raised_at, "
            "message, data, source_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT DO NOTHING RETURNING {_SELECT}",
            (
                self.community,
                _text("device_id", item["device_id"]),
                _text("kind", item["kind"]),
                _text("event type", item["type"]),
                _text("rule_id", item["rule_id"]),
                item["severity"],
                _time(item.get("at")),
                "" if message is None else str(message),
                _jsonb(dict(data)),
                None if source_id is None else _text("source_id", source_id),
            ),
        ).fetchone()
        return None if row is None else _event(row)

    def _clear(self, conn: Any, device_id: str, rule_id: str, at: float | None) -> Event | None:
        rows = conn.execute(
            "UPDATE events SET cleared_at = %s WHERE community = %s AND device_id = %s AND "
            f"rule_id = %s AND cleared_at IS NULL AND source_id IS NULL RETURNING {_SELECT}",
            (_time(at), self.community, device_id, rule_id),
        ).fetchall()
        events = sorted((_event(r) for r in rows), key=lambda e: (e.status != "closed", e.id))
        return events[-1] if events else None

    def raise_event(
        self,
        device_id: str,
        kind: str,
        rule_id: str,
        type: str,  # noqa: A002 - the event log's own field name
        severity: str,
        message: str = "",
        data: Mapping[str, Any] | None = None,
        at: float | None = None,
    ) -> Event | None:
        """See :meth:`twin.state.events.EventStore.raise_event`."""
        item: dict[str, Any] = {"device_id": device_id, "kind": kind, "rule_id": rule_id}
        item["type"] = type
        item |= {"severity": severity, "message": message, "data": data, "at": at}
        with self._changing() as conn:
            return self._insert(conn, item)

    def raise_many(self, items: Iterable[Mapping[str, Any]]) -> list[Event]:
        """See :meth:`twin.state.events.EventStore.raise_many`."""
        with self._changing() as conn:
            out = [self._insert(conn, item) for item in items]
        return [e for e in out if e is not None]

    def clear_condition(
        self, device_id: str, rule_id: str, at: float | None = None
    ) -> Event | None:
        """See :meth:`twin.state.events.EventStore.clear_condition`."""
        with self._changing() as conn:
            return self._clear(conn, device_id, rule_id, at)

    def clear_many(self, items: Iterable[tuple[str, str, float | None]]) -> list[Event]:
        """See :meth:`twin.state.events.EventStore.clear_many`."""
        with self._changing() as conn:
            out = [self._clear(conn, d, r, at) for d, r, at in items]
        return [e for e in out if e is not None]

    def write_batch(
        self, ops: Iterable[tuple[str, Any]], states: Mapping[str, Mapping[str, Any]] | None = None
    ) -> tuple[list[Event], list[Event], int]:
        """See :meth:`twin.state.events.EventStore.write_batch` (one transaction)."""
        raised: list[Event] = []
        cleared: list[Event] = []
        duplicates = 0
        done: dict[int, list[int]] = {}
        with self._changing() as conn:
            for op, item in ops:
                if op == "inbox_done":  # a leader's rows, done with this batch (pginbox)
                    done.setdefault(item[0], []).append(item[1])
                    continue
                if op == "clear":
                    e = self._clear(conn, *item)
                    if e is not None:
                        cleared.append(e)
                    continue
                item = dict(item)
                key, dup = item.pop("key", None), bool(item.pop("dup", False))
                if key is not None and not self._receive(conn, key, dup):
                    duplicates += 1
                    continue
                if op == "access":
                    conn.execute(
                        f"INSERT INTO access (community, {', '.join(ACCESS_COLUMNS)}) VALUES "
                        f"(%s, {', '.join(['%s'] * len(ACCESS_COLUMNS))}) ON CONFLICT DO NOTHING",
                        (self.community, *(item.get(c) for c in ACCESS_COLUMNS)),
                    )
                    continue
                e = self._insert(conn, item)
                if e is not None:
                    raised.append(e)
            for part, seqs in done.items():
                conn.execute(
                    "DELETE FROM inbox WHERE community = %s AND part = %s AND seq = ANY(%s)",
                    (self.community, part, seqs),
                )
            for device_id, st in (states or {}).items():
                conn.execute(
                    "INSERT INTO device_state VALUES (%s, %s, %s, %s, %s) ON CONFLICT (community, "
                    "device_id) DO UPDATE SET last_seen = excluded.last_seen, readings = "
                    "excluded.readings, reading_ts = excluded.reading_ts",
                    (
                        self.community,
                        device_id,
                        st.get("last_seen"),
                        _jsonb(st.get("readings", {})),
                        _jsonb(st.get("reading_ts", {})),
                    ),
                )
        return raised, cleared, duplicates

    def _receive(self, conn: Any, key: str, dup: bool) -> bool:
        row = conn.execute(
            "INSERT INTO received VALUES (%s, %s, extract(epoch from now())) "
            "ON CONFLICT DO NOTHING RETURNING key",
            (self.community, key),
        ).fetchone()
        return row is not None or not dup

    def device_states(self) -> dict[str, dict[str, Any]]:
        """See :meth:`twin.state.events.EventStore.device_states`."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT device_id, last_seen, readings, reading_ts FROM device_state "
                "WHERE community = %s",
                (self.community,),
            ).fetchall()
        return {
            r["device_id"]: {
                "last_seen": r["last_seen"],
                "readings": r["readings"],
                "reading_ts": r["reading_ts"],
            }
            for r in rows
        }

    def active_conditions(self) -> set[tuple[str, str]]:
        """See :meth:`twin.state.events.EventStore.active_conditions`."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT device_id, rule_id FROM events WHERE community = %s AND "
                "cleared_at IS NULL AND source_id IS NULL",
                (self.community,),
            ).fetchall()
        return {(r["device_id"], r["rule_id"]) for r in rows}

    # -- the operator's side -------------------------------------------------------------------
    def _transition(
        self,
        event_id: int,
        status: str,
        allowed: tuple[str, ...],
        operator: str,
        note: str,
        at: float | None,
        extra: dict[str, Any] | None = None,
    ) -> Event:
        who = _text("operator", operator).strip()
        values = {
            f"{status}_at": _time(at),
            f"{status}_by": who,
            f"{status}_note": _note(note),
            **(extra or {}),
        }
        sets = ", ".join(f"{k} = %s" for k in values)  # fixed column names, never user text
        if status == "dispatched":  # dispatching a raised event acknowledges it at once
            sets += (
                ", acknowledged_at = coalesce(acknowledged_at, %s), acknowledged_by = "
                "coalesce(acknowledged_by, %s), acknowledged_note = coalesce(acknowledged_note, '')"
            )
            params: tuple[Any, ...] = (*values.values(), values["dispatched_at"], who)
        else:
            params = tuple(values.values())
        with self._changing() as conn:
            row = conn.execute(
                f"UPDATE events SET status = %s, {sets} WHERE id = %s AND community = %s AND "
                f"status = ANY(%s) RETURNING {_SELECT}",
                (status, *params, event_id, self.community, list(allowed)),
            ).fetchone()
            if row is not None:
                return _event(row)
            EventStore._check_status(self._get(conn, event_id), status, allowed)
        raise InputError(f"event {event_id}", "changed while it was being updated.")

    # -- reading -------------------------------------------------------------------------------
    def _get(self, conn: Any, event_id: int) -> Event:
        row = conn.execute(
            f"SELECT {_SELECT} FROM events WHERE id = %s AND community = %s",
            (event_id, self.community),
        ).fetchone()
        if row is None:
            raise InputError(
                f"event {event_id}",
                "does not exist in the event log.",
                "List the events with `twin events SCENE`.",
            )
        return _event(row)

    def get(self, event_id: int) -> Event:
        """See :meth:`twin.state.events.EventStore.get`."""
        with self.pool.connection() as conn:
            return self._get(conn, event_id)

    def events(
        self,
        open_only: bool = False,
        device_id: str | None = None,
        limit: int | None = None,
        since: float | None = None,
    ) -> list[Event]:
        """See :meth:`twin.state.events.EventStore.events`."""
        where, params = ["community = %s"], [self.community]
        if open_only:
            where.append("status <> 'closed'")
        if device_id is not None:
            where.append("device_id = %s")
            params.append(device_id)
        if since is not None:
            where.append("raised_at >= %s")
            params.append(float(since))  # type: ignore[arg-type]
        sql = f"SELECT {_SELECT} FROM events WHERE {' AND '.join(where)} "
        sql += "ORDER BY raised_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(max(int(limit), 0))  # type: ignore[arg-type]
        with self.pool.connection() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [_event(r) for r in rows]

    # -- the people tables' SQL (twin.state.peoplelog), the same text as on SQLite -------------
    @contextmanager
    def _read(self) -> Iterator[Any]:
        with self.pool.connection() as conn:
            yield _Qmark(conn)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self.pool.connection() as conn, conn.transaction():
            yield _Qmark(conn)

    def change_seq(self) -> int:
        """The newest change of this community's events (a seat's starting cursor)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT coalesce(max(seq), 0) AS s FROM events WHERE community = %s",
                (self.community,),
            ).fetchone()
        return int(row["s"])

    def changed_since(self, seq: int) -> tuple[list[Event], int]:
        """Events raised or changed (cleared, acknowledged, dispatched, closed) after the change
        sequence ``seq``, oldest change first, and the newest seq (what seats follow)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_SELECT}, seq FROM events WHERE community = %s AND seq > %s ORDER BY seq",
                (self.community, seq),
            ).fetchall()
        return [_event(r) for r in rows], max((int(r["seq"]) for r in rows), default=seq)

    def export_csv(self, path: str | Path) -> int:
        """See :meth:`twin.state.events.EventStore.export_csv`."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_SELECT} FROM events WHERE community = %s ORDER BY id",
                (self.community,),
            ).fetchall()
        return write_events_csv((_event(r) for r in rows), path)

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool (idempotent). Everything was committed already."""
        self.pool.close()

    def __enter__(self) -> PgEventStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Qmark:
    """A connection that takes SQLite's ``?`` parameters and gives rows as tuples."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.cursor(row_factory=tuple_row).execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Any) -> Any:
        cur = self.conn.cursor(row_factory=tuple_row)
        cur.executemany(sql.replace("?", "%s"), rows)
        return cur


def connect_pool(url: str, community: str, max_size: int = 4, timeout: float = 30.0) -> Any:
    """A pool of connections to the shared database at ``url`` (rows as dicts), each one of
    ``community`` (the ``twin.community`` setting the people tables are scoped by), the schema
    brought to this twin's version.

    Raises
    ------
    InputError
        When the server cannot be reached or refuses the account, or the database was written
        by a newer twin.
    """
    try:

        def configure(conn: Any) -> None:
            conn.execute("SELECT set_config('twin.community', %s, false)", (community,))
            conn.commit()

        pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row, "connect_timeout": max(1, int(min(timeout, 10)))},
            configure=configure,
            open=True,
        )
        pool.wait(timeout=min(timeout, 10))
    except Exception as exc:  # psycopg raises several kinds for an unreachable server
        raise InputError(
            _safe(url),
            f"cannot be reached ({type(exc).__name__}: {exc}).",
            "Check the server, the port and the credentials (PGPASSWORD or ~/.pgpass).",
        ) from None
    try:
        with psycopg.connect(url, autocommit=True) as conn:  # plain rows for the migrations
            refuse_superuser(conn, _safe(url))
            migrate(conn, _safe(url))
    except BaseException:
        pool.close()
        raise
    return pool


def _safe(url: str) -> str:
    """A connection URL without its password (messages never carry one)."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1@", url)
