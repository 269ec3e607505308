"""The durable event log: alarms raised by the rules engine and handled by operators.

An alarm condition (a device and a rule) raises one event. While the condition lasts the event
is never repeated; when it ends the event is marked *cleared* (it keeps its status and stays in
the list until an operator closes it). Operators move an event along
``raised -> acknowledged -> dispatched -> closed``, each step with time, operator and note.

Durability
----------
Events live in an SQLite file in WAL mode with ``synchronous=FULL``. Every public method that
writes commits before it returns, so once a call has returned its effect survives a crash
(``kill -9``, power loss). A UNIQUE partial index on ``(device_id, rule_id)`` over the events
that are neither cleared nor closed makes "one active occurrence per condition" a property of
the database, not of the process: raising again after a restart can never duplicate an event.
The file's layout, its migrations and how it is opened are ``twin.state.eventschema``. The WAL
file (``<name>-wal``) is part of the database: move or copy the three files together,
and keep the file on a local disk (WAL does not work on network file systems).

The event log is the truth about which conditions are active. With each batch of raises and
clears the pipeline writes, in the same transaction, the state of the devices concerned
(``device_state``: readings, their times, last seen), so a restart after a crash resumes from
a state that agrees with the log even when the reading history lags behind it. Device events
received at QoS 1 leave a key in ``received`` in the same transaction too, so a redelivery after
a crash is recognised and not stored twice.

Threads
-------
The pipeline writes from its writer thread; the UI may read or acknowledge from another. The
connection is opened with ``check_same_thread=False`` and every public method holds a lock, so
calls from different threads are serialised and cannot corrupt each other. Several processes
may open the same file; writes take SQLite's write lock (``BEGIN IMMEDIATE``) and wait up to
30 s for each other.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from twin.core.errors import InputError
from twin.core.sqlitefiles import transaction
from twin.state.eventrecord import (
    CSV_COLUMNS,
    Event,
    csv_cell,
    iso_utc,
    json_default,
    row_to_event,
)
from twin.state.eventschema import (
    FIX_DAMAGED,
    SEVERITIES,
    is_damage,
    open_event_db,
)
from twin.state.peopleschema import insert_access

_RAISE_KEYS = frozenset(
    {"device_id", "kind", "rule_id", "type", "severity", "message", "data", "at", "source_id"}
)
_RAISE_REQUIRED = ("device_id", "kind", "rule_id", "type", "severity")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(name, f"must be non-empty text, got {value!r}.")
    return value


def _time(value: float | None) -> float:
    if value is None:
        return time.time()
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError("event time", f"must be epoch seconds, got {value!r}.") from None
    if not math.isfinite(t):
        raise InputError("event time", f"must be a finite number of epoch seconds, got {value!r}.")
    return t


def _note(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError("note", f"must be text, got {type(value).__name__}.")
    return value


def write_events_csv(events: Iterable[Event], path: str | Path) -> int:
    """Write ``events`` to a CSV file for Excel (see :meth:`EventStore.export_csv`): written
    beside ``path`` and renamed into place; returns the number written."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for event in events:
                values = event.as_dict()
                values["data"] = json.dumps(values["data"], ensure_ascii=False)
                writer.writerow([csv_cell(c, values[c]) for c in CSV_COLUMNS])
                count += 1
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(target, f"cannot write the event export ({exc.strerror}).") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


class Lifecycle:
    """The operator's steps of an event, the same on every engine: each is one ``_transition``
    (from the statuses allowed) that the engine makes atomic."""

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
        raise NotImplementedError

    def acknowledge(
        self, event_id: int, operator: str, note: str = "", at: float | None = None
    ) -> Event:
        """Acknowledge a ``raised`` event (``at`` defaults to now).

        Raises
        ------
        InputError
            When the event does not exist, is not ``raised``, or ``operator`` is empty.
        """
        return self._transition(event_id, "acknowledged", ("raised",), operator, note, at)

    def dispatch(
        self, event_id: int, operator: str, to: str, note: str = "", at: float | None = None
    ) -> Event:
        """Dispatch an event to someone (a guard, a maintenance team).

        Dispatching a ``raised`` event acknowledges it implicitly: ``acknowledged_at`` / ``_by``
        get the same time and operator, with an empty note.

        Raises
        ------
        InputError
            When the event does not exist, is not ``raised`` or ``acknowledged``, or
            ``operator`` or ``to`` is empty.
        """
        whom = _text("dispatched to", to).strip()
        return self._transition(
            event_id,
            "dispatched",
            ("raised", "acknowledged"),
            operator,
            note,
            at,
            {"dispatched_to": whom},
        )

    def close_event(
        self, event_id: int, operator: str, note: str = "", at: float | None = None
    ) -> Event:
        """Close an event from any status but ``closed`` (``note``: what was done).

        Raises
        ------
        InputError
            When the event does not exist, is already closed, or ``operator`` is empty.
        """
        return self._transition(
            event_id, "closed", ("raised", "acknowledged", "dispatched"), operator, note, at
        )


class EventStore(Lifecycle):
    """The event log in an SQLite file.

    Parameters
    ----------
    path : str or Path
        Database file; created (with its folder) when missing.

    Raises
    ------
    InputError
        When ``path`` is not an SQLite file, is damaged, belongs to another program, was written
        by a newer version, or cannot be opened. The message names the file and what to do.

    Notes
    -----
    Every method that writes commits before it returns (see the module docstring). The store
    is meant to be written by one thread (the pipeline's writer thread); a lock serialises
    calls from any other thread. Use it as a context manager or call :meth:`close`.

    Lifecycle: :meth:`acknowledge` needs a ``raised`` event; :meth:`dispatch` needs
    ``raised`` or ``acknowledged`` (dispatching a raised event acknowledges it implicitly, by
    the same operator at the same time, with an empty note); :meth:`close_event` is allowed
    from any status but ``closed``. Closing an event whose condition still lasts ends that
    occurrence: the next raise for the condition starts a new event.
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = open_event_db(self.path, readonly)
        self._read_lock = threading.Lock()
        self._reader: sqlite3.Connection | None = None
        """Reads' own connection (WAL: they never wait for a write transaction and its fsync;
        the shell's panels read on the GUI thread while the pipeline writes)."""
        self._shared_reads = readonly or not self.path.is_file()
        """A read-only or in-memory log is read on its one connection."""

    # -- plumbing ------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"EventStore {self.path} is closed")
        return self._conn

    def _damaged(self, exc: sqlite3.Error) -> InputError:
        return InputError(self.path, f"the event database is damaged ({exc}).", FIX_DAMAGED)

    def _read_connection(self) -> sqlite3.Connection | None:
        """The readers' connection, opened on first use (None: read on the writer's)."""
        if self._reader is None and not self._shared_reads:
            self._connection()  # a closed store is an error, as for the writer's
            try:  # read-only, never "immutable": the writer's commits must be seen
                self._reader = sqlite3.connect(
                    self.path.resolve().as_uri() + "?mode=ro",
                    uri=True,
                    timeout=30.0,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._reader.row_factory = sqlite3.Row
            except (sqlite3.Error, OSError, InputError):
                self._shared_reads = True
        return self._reader

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._read_lock, ExitStack() as stack:
            conn = self._read_connection()
            if conn is None:
                stack.enter_context(self._lock)
                conn = self._connection()
            try:
                yield conn
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    raise self._damaged(exc) from None
                raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on success and rolled back on any error."""
        with self._lock:
            conn = self._connection()
            if self.readonly:
                raise InputError(
                    self.path, "was opened read-only.", "Open it without readonly to write."
                )
            try:
                with transaction(conn):
                    yield conn
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    raise self._damaged(exc) from None
                raise

    @staticmethod
    def _get(conn: sqlite3.Connection, event_id: int) -> Event:
        row = conn.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise InputError(
                f"event {event_id}",
                "does not exist in the event log.",
                "List the events with `twin events SCENE`.",
            )
        return row_to_event(row)

    @staticmethod
    def _check_status(event: Event, action: str, allowed: tuple[str, ...]) -> None:
        """Raise InputError unless ``event`` is in one of the ``allowed`` statuses."""
        if event.status in allowed:
            return
        by, at = {
            "acknowledged": (event.acknowledged_by, event.acknowledged_at),
            "dispatched": (event.dispatched_by, event.dispatched_at),
            "closed": (event.closed_by, event.closed_at),
        }.get(event.status, (None, None))
        who = f" (by {by} at {iso_utc(at)})" if by else ""
        raise InputError(
            f"event {event.id}",
            f"is {event.status}{who}, so it cannot be {action}.",
            f"Only an event that is {' or '.join(allowed)} can be {action}.",
        )

    @staticmethod
    def _insert(conn: sqlite3.Connection, item: Mapping[str, Any]) -> Event | None:
        unknown = set(item) - _RAISE_KEYS
        if unknown:
            raise InputError(
                "raised event",
                f"has unknown fields {sorted(unknown)}.",
                f"Use only {sorted(_RAISE_KEYS)}.",
            )
        missing = [k for k in _RAISE_REQUIRED if k not in item]
        if missing:
            raise InputError("raised event", f"lacks the fields {missing}.")
        severity = item["severity"]
        if severity not in SEVERITIES:
            raise InputError(
                f"rule {item['rule_id']!r}",
                f"has severity {severity!r}.",
                f"Use one of {', '.join(SEVERITIES)}.",
            )
        data = item.get("data")
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise InputError("event data", f"must be a dict, got {type(data).__name__}.")
        message = item.get("message")
        device_id = _text("device_id", item["device_id"])
        rule_id = _text("rule_id", item["rule_id"])
        source_id = item.get("source_id")
        # The unique indexes are the guarantee; this look-up (on one of them) only keeps a
        # skipped insert from using up an id, so ids have no gaps.
        if conn.execute(
            "SELECT 1 FROM events WHERE device_id = ? AND source_id = ?"
            if source_id is not None
            else "SELECT 1 FROM events WHERE device_id = ? AND rule_id = ? "
            "AND cleared_at IS NULL AND status != 'closed' AND source_id IS NULL",
            (device_id, source_id if source_id is not None else rule_id),
        ).fetchone():
            return None
        row = conn.execute(
            "INSERT INTO events (device_id, kind, type, rule_id, severity, status, raised_at, "
            "message, data, source_id) VALUES (?, ?, ?, ?, ?, 'raised', ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING *",
            (
                device_id,
                _text("kind", item["kind"]),
                _text("event type", item["type"]),
                rule_id,
                severity,
                _time(item.get("at")),
                "" if message is None else str(message),
                json.dumps(dict(data), ensure_ascii=False, default=json_default),
                None if source_id is None else _text("source_id", source_id),
            ),
        ).fetchone()
        return None if row is None else row_to_event(row)

    @staticmethod
    def _clear(
        conn: sqlite3.Connection, device_id: str, rule_id: str, at: float | None
    ) -> Event | None:
        # an event an operator closed while its condition lasted is stamped too: the log then
        # says when the condition really ended, and a restart does not take it for active
        rows = conn.execute(
            "UPDATE events SET cleared_at = ? WHERE device_id = ? AND rule_id = ? "
            "AND cleared_at IS NULL AND source_id IS NULL RETURNING *",
            (_time(at), device_id, rule_id),
        ).fetchall()
        events = sorted((row_to_event(r) for r in rows), key=lambda e: (e.status != "closed", e.id))
        return events[-1] if events else None

    # -- the rules engine's side ---------------------------------------------------------------

    def raise_event(
        self,
        device_id: str,
        kind: str,
        rule_id: str,
        type: str,
        severity: str,
        message: str = "",
        data: Mapping[str, Any] | None = None,
        at: float | None = None,
    ) -> Event | None:
        """Raise an event for the condition ``(device_id, rule_id)``, unless it is active.

        Parameters
        ----------
        device_id, kind : str
            The device and its kind.
        rule_id : str
            The rule whose condition holds.
        type : str
            Event type, e.g. ``"pm25_high"``.
        severity : str
            ``"critical"``, ``"major"``, ``"minor"`` or ``"info"``.
        message : str, optional
            Text for the operator.
        data : mapping, optional
            Extra JSON-serialisable data (numpy scalars are accepted).
        at : float, optional
            Epoch seconds; now when omitted.

        Returns
        -------
        Event or None
            The new event, or None when an event for the condition is already active (neither
            cleared nor closed). The check and the insert are one statement against a unique
            index, so a restart after a crash cannot duplicate an event.

        Raises
        ------
        InputError
            On an unknown severity or empty ids.
        """
        item = {
            "device_id": device_id,
            "kind": kind,
            "rule_id": rule_id,
            "type": type,
            "severity": severity,
            "message": message,
            "data": data,
            "at": at,
        }
        with self._write() as conn:
            return self._insert(conn, item)

    def raise_many(self, items: Iterable[Mapping[str, Any]]) -> list[Event]:
        """Raise several events in one transaction (the hot path).

        Parameters
        ----------
        items : iterable of mappings
            Each with the keys of :meth:`raise_event`: ``device_id``, ``kind``, ``rule_id``,
            ``type``, ``severity`` and optionally ``message``, ``data``, ``at``.

        Returns
        -------
        list of Event
            The events actually raised, in input order; conditions already active (also
            earlier in the same batch) are skipped.

        Raises
        ------
        InputError
            When an item is invalid; then nothing of the batch is written.
        """
        with self._write() as conn:
            out = [self._insert(conn, item) for item in items]
        return [e for e in out if e is not None]

    def clear_condition(
        self, device_id: str, rule_id: str, at: float | None = None
    ) -> Event | None:
        """Mark the active event of a condition cleared; its status is kept.

        Parameters
        ----------
        device_id, rule_id : str
            The condition that ended.
        at : float, optional
            Epoch seconds; now when omitted.

        Returns
        -------
        Event or None
            The cleared event, or None when no event was active for the condition.
        """
        with self._write() as conn:
            return self._clear(conn, device_id, rule_id, at)

    def clear_many(self, items: Iterable[tuple[str, str, float | None]]) -> list[Event]:
        """Clear several conditions in one transaction.

        Parameters
        ----------
        items : iterable of (device_id, rule_id, at)
            ``at`` in epoch seconds, or None for now.

        Returns
        -------
        list of Event
            The events cleared, in input order (conditions with no active event are skipped).
        """
        with self._write() as conn:
            out = [self._clear(conn, d, r, at) for d, r, at in items]
        return [e for e in out if e is not None]

    def write_batch(
        self, ops: Iterable[tuple[str, Any]], states: Mapping[str, Mapping[str, Any]] | None = None
    ) -> tuple[list[Event], list[Event], int]:
        """One batch of the pipeline in one transaction: raises and clears in their order, the
        state of the devices concerned, and the keys of received device events.

        Parameters
        ----------
        ops : iterable of ("raise", item), ("clear", (device_id, rule_id, at)) or ("access", row)
            In the order they happened (a condition may be raised, cleared and raised again in
            one batch). A raise item may carry ``key`` and ``dup``: the received message's key
            and whether the broker flagged it as a redelivery; a redelivery whose key is known
            is skipped (counted in the third value).
        states : mapping, optional
            Device id -> ``{"last_seen", "readings", "reading_ts"}`` at the end of the batch.

        Returns
        -------
        (raised, cleared, duplicates)
        """
        raised: list[Event] = []
        cleared: list[Event] = []
        duplicates = 0
        with self._write() as conn:
            for op, item in ops:
                if op == "access":
                    item = dict(item)
                    key, dup = item.pop("key", None), bool(item.pop("dup", False))
                    if key is not None and not self._receive(conn, key, dup):
                        duplicates += 1
                        continue
                    insert_access(conn, item)
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
                e = self._insert(conn, item)
                if e is not None:
                    raised.append(e)
            if states:
                conn.executemany(
                    "INSERT INTO device_state VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE "
                    "SET last_seen = excluded.last_seen, readings = excluded.readings, "
                    "reading_ts = excluded.reading_ts",
                    [
                        (
                            d,
                            st.get("last_seen"),
                            json.dumps(st.get("readings", {}), default=json_default),
                            json.dumps(st.get("reading_ts", {})),
                        )
                        for d, st in states.items()
                    ],
                )
        return raised, cleared, duplicates

    @staticmethod
    def _receive(conn: sqlite3.Connection, key: str, dup: bool) -> bool:
        """Note a received QoS 1 message's key; False for a redelivery already stored."""
        if dup and conn.execute("SELECT 1 FROM received WHERE key = ?", (key,)).fetchone():
            return False
        conn.execute("INSERT OR IGNORE INTO received(key, at) VALUES (?, ?)", (key, time.time()))
        return True

    def device_states(self) -> dict[str, dict[str, Any]]:
        """The device states written with the last raise or clear of each device
        (see :meth:`write_batch`): ``{"last_seen", "readings", "reading_ts"}`` per device id."""
        with self._read() as conn:
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'device_state'"
            ).fetchone():
                return {}
            rows = conn.execute(
                "SELECT device_id, last_seen, readings, reading_ts FROM device_state"
            ).fetchall()
        return {
            r[0]: {"last_seen": r[1], "readings": json.loads(r[2]), "reading_ts": json.loads(r[3])}
            for r in rows
        }

    def active_conditions(self) -> set[tuple[str, str]]:
        """The conditions that hold according to the log: those with an event not cleared
        (also one an operator closed while the condition lasted).

        Returns
        -------
        set of (device_id, rule_id)
            What the rules engine reloads after a restart.
        """
        with self._read() as conn:
            rows = conn.execute(
                "SELECT DISTINCT device_id, rule_id FROM events WHERE cleared_at IS NULL"
                + (" AND source_id IS NULL" if self._has_source_id(conn) else "")
            ).fetchall()
        return {(r[0], r[1]) for r in rows}

    @staticmethod
    def _has_source_id(conn: sqlite3.Connection) -> bool:
        return any(r[1] == "source_id" for r in conn.execute("PRAGMA table_info(events)"))

    # -- the operator's side -------------------------------------------------------------------

    def _transition(
        self,
        event_id: int,
        status: str,
        allowed: tuple[str, ...],
        operator: str,
        note: Any,
        at: float | None,
        extra: Mapping[str, Any] | None = None,
    ) -> Event:
        """Move an event to ``status`` (from one of ``allowed``), stamping time, operator, note."""
        who = _text("operator", operator).strip()
        values = {
            f"{status}_at": _time(at),
            f"{status}_by": who,
            f"{status}_note": _note(note),
            **(extra or {}),
        }
        with self._write() as conn:
            event = self._get(conn, event_id)
            self._check_status(event, status, allowed)
            if status == "dispatched" and event.status == "raised":
                # dispatching a raised event acknowledges it at the same time, by the same operator
                values.update(
                    acknowledged_at=values["dispatched_at"],
                    acknowledged_by=who,
                    acknowledged_note="",
                )
            columns = ", ".join(f"{k} = ?" for k in values)  # fixed column names, never user text
            row = conn.execute(
                f"UPDATE events SET status = ?, {columns} WHERE id = ? RETURNING *",
                (status, *values.values(), event_id),
            ).fetchone()
        return row_to_event(row)

    # -- reading -------------------------------------------------------------------------------

    def get(self, event_id: int) -> Event:
        """One event by id.

        Raises
        ------
        InputError
            When there is no such event.
        """
        with self._read() as conn:
            return self._get(conn, event_id)

    def events(
        self,
        open_only: bool = False,
        device_id: str | None = None,
        limit: int | None = None,
        since: float | None = None,
    ) -> list[Event]:
        """Events, newest first.

        Parameters
        ----------
        open_only : bool, optional
            Only events not closed (cleared ones included: they wait for an operator).
        device_id : str, optional
            Only this device's events.
        limit : int, optional
            At most this many.
        since : float, optional
            Only events raised at or after this epoch time.

        Returns
        -------
        list of Event
        """
        where: list[str] = []
        params: list[Any] = []
        if open_only:
            where.append("status != 'closed'")
        if device_id is not None:
            where.append("device_id = ?")
            params.append(device_id)
        if since is not None:
            where.append("raised_at >= ?")
            params.append(float(since))
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY raised_at DESC, id DESC LIMIT ?"
        params.append(-1 if limit is None else max(int(limit), 0))
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [row_to_event(r) for r in rows]

    def export_csv(self, path: str | Path) -> int:
        """Write every event to a CSV file for Excel.

        One row per event in id order, every field, timestamps as ISO 8601 UTC, ``data`` as
        JSON; UTF-8 with a byte-order mark so Excel reads Chinese text. Free text that starts
        with ``= + - @`` gets a leading ``'`` so Excel does not take it for a formula. The file
        is written next to ``path`` and renamed into place, so a reader never sees half of it.

        Parameters
        ----------
        path : str or Path
            The CSV file (replaced when it exists).

        Returns
        -------
        int
            Number of events written.

        Raises
        ------
        InputError
            When the file cannot be written.
        """
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM events ORDER BY id")
            return write_events_csv((row_to_event(r) for r in rows), path)

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (idempotent). Everything was committed already."""
        with self._read_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> EventStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
