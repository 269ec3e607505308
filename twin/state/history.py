"""Reading history and the latest state, in an embedded SQLite file beside the event log.

Why SQLite and not DuckDB: the history is written all day by the pipeline while the shell, the
``twin state`` / ``twin history`` commands and a second pipeline may read it at the same time.
SQLite in WAL mode lets any number of processes read while one writes; DuckDB lets one process
open a file for writing and nobody else in (not even readers). SQLite is in Python's standard
library (no dependency) and does the two queries we need - one device's readings over a time
range, and per-bucket aggregates - from an index in milliseconds. DuckDB would win only for
scans over all devices and months, which the twin does not do interactively.

Layout
------
* ``raw(device_id, ts, readings)``: one row per accepted message, its readings as JSON; kept
  for :attr:`HistoryStore.raw_retention_s` (48 h by default) of stream time.
* ``rollup(device_id, reading, bucket, n, vmin, vmax, vsum, vlast)``: 5-minute aggregates of
  every numeric or boolean reading, made from ``raw`` before it is pruned, kept for
  :attr:`HistoryStore.rollup_retention_s` (400 days). Charts over a day or more read these.
* ``latest(device_id, kind, status, last_seen, readings)``: every device's last state, so
  ``twin state`` can answer without the pipeline and a restarted pipeline resumes from it.
* ``meta(key, value)``: the schema version, ingest statistics and the stream clock.

Writes come in batches from one writer thread (:class:`HistoryWriter`); each batch is one
transaction. ``synchronous=NORMAL``: a power cut may lose the last second of history, never the
file (events, which must not be lost, live in their own file with ``synchronous=FULL``).
"""

from __future__ import annotations

import csv
import json
import logging
import math
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.core.sqlitefiles import open_readonly, transaction
from twin.state.storeerrors import store_errors

log = logging.getLogger("twin.history")

SCHEMA_VERSION = 2
"""2: ``latest`` keeps each reading's time (``reading_ts``)."""
BUCKET_S = 300
"""Width of a rollup bucket: 5 minutes (288 points a day, 8,640 a month)."""
RAW_RETENTION_S = 48 * 3600.0
ROLLUP_RETENTION_S = 400 * 86400.0
ROLLUP_EVERY_S = 600.0
"""How often (stream time) raw rows older than a bucket are rolled up and old rows pruned."""

_NUMERIC = "CASE j.type WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 ELSE j.value END"
"""A JSON reading as a number for aggregates (booleans as 0 / 1)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS raw (device_id TEXT NOT NULL, ts REAL NOT NULL, readings TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS raw_by_device ON raw(device_id, ts);
CREATE INDEX IF NOT EXISTS raw_by_time ON raw(ts);
CREATE TABLE IF NOT EXISTS rollup (
    device_id TEXT NOT NULL, reading TEXT NOT NULL, bucket INTEGER NOT NULL,
    n INTEGER NOT NULL, vmin REAL, vmax REAL, vsum REAL, vlast REAL,
    PRIMARY KEY (device_id, reading, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
    device_id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
    last_seen REAL, readings TEXT NOT NULL, reading_ts TEXT
);
"""


def _readings_encoder() -> Callable[[dict[str, Any]], str]:
    """``json.dumps`` for a dict of readings, the same text, without building an encoder per
    call (a third of the cost at one row per message; readings are never circular)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the plain function
        return json.dumps
    enc = json.JSONEncoder()
    iterencode = make(
        None,
        enc.default,
        json.encoder.encode_basestring_ascii,
        None,
        enc.key_separator,
        enc.item_separator,
        False,
        False,
        True,
    )
    join = "".join
    return lambda readings: join(iterencode(readings, 0))


dumps_readings = _readings_encoder()
"""A dict of readings as JSON text, as ``json.dumps`` writes it."""


def history_path(event_db: str | Path) -> Path:
    """The history file that goes with an event log: ``twin.sqlite`` -> ``twin.history.sqlite``."""
    p = Path(event_db)
    return p.with_name(p.stem + ".history" + (p.suffix or ".sqlite"))


@dataclass(frozen=True)
class LatestState:
    """A device's last known state as the history keeps it."""

    device_id: str
    kind: str
    status: str
    last_seen: float | None
    readings: dict[str, Any]
    reading_ts: dict[str, float] | None = None
    """The time of each reading (None in files of schema 1: then ``last_seen`` for all)."""

    def as_row(self) -> tuple[str, str, str, float | None, str, str | None]:
        """The stored row of both engines: the readings and their times as JSON text."""
        stamps = None if self.reading_ts is None else json.dumps(self.reading_ts)
        return (self.device_id, self.kind, self.status, self.last_seen,
                dumps_readings(self.readings), stamps)  # fmt: skip


@dataclass(frozen=True)
class Point:
    """One chart point: a bucket's start time and the aggregate of the reading in it."""

    ts: float
    mean: float
    vmin: float
    vmax: float
    last: float
    n: int


class HistoryReads:
    """What both engines' histories answer the same way, from their own rows: chart series
    and the CSV export (the replay feed's format)."""

    _pruned_until: float | None = None

    def series(
        self, device_id: str, reading: str, start: float, end: float, points: int = 288
    ) -> list[Point]:
        """``reading`` of ``device_id`` over ``[start, end)`` as at most ``points`` chart points
        (bucket mean, min, max and last value; booleans count as 0 / 1): from the raw rows
        while they are kept, from the 5-minute rollups before that."""
        width = max((end - start) / max(points, 1), 1.0)
        if width > BUCKET_S:  # whole rollup buckets per point
            width = math.ceil(width / BUCKET_S) * BUCKET_S
        # raw rows are complete from the first bucket boundary after the last prune; before
        # that, the rollups (made before every prune) hold the whole buckets
        complete = (
            -math.inf
            if self._pruned_until is None
            else math.ceil(self._pruned_until / BUCKET_S) * BUCKET_S
        )
        raw_from = max(start, min(end, complete))
        older, recent = self._series_rows(device_id, reading, start, raw_from, end)
        acc: dict[int, list[float]] = {}  # point index -> [n, min, max, sum, last]

        def add(ts: float, n: int, lo: float, hi: float, total: float, last: float) -> None:
            i = int((ts - start) // width)
            a = acc.get(i)
            if a is None:
                acc[i] = [n, lo, hi, total, last]
            else:
                a[0] += n
                a[1], a[2] = min(a[1], lo), max(a[2], hi)
                a[3] += total
                a[4] = last

        for bucket, n, lo, hi, total, last in older:
            add(bucket, n, lo, hi, total, last if last is not None else total / n)
        for ts, v in recent:
            if isinstance(v, int | float):  # booleans as 0 / 1
                add(ts, 1, float(v), float(v), float(v), float(v))
        return [
            Point(start + i * width, a[3] / a[0], a[1], a[2], a[4], int(a[0]))
            for i, a in sorted(acc.items())
        ]

    def _series_rows(
        self, device_id: str, reading: str, start: float, raw_from: float, end: float
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Rollup rows ``(bucket, n, vmin, vmax, vsum, vlast)`` over ``[start, raw_from)`` and
        raw values ``(ts, value)`` over ``[raw_from, end)``, in time order."""
        raise NotImplementedError

    def messages(
        self, start: float | None = None, end: float | None = None, device_id: str | None = None
    ) -> Iterator[tuple[str, float, dict[str, Any]]]:
        """Raw messages in time order: ``(device_id, ts, readings)``."""
        raise NotImplementedError

    def export_csv(
        self,
        out: str | Path,
        kinds: dict[str, str],
        start: float | None = None,
        end: float | None = None,
        device_id: str | None = None,
    ) -> int:
        """Write raw history as CSV (``time``, ``device_id``, ``kind``, ``readings``): the
        format the replay feed plays back. Returns the number of rows."""
        from twin.state.eventrecord import iso_utc

        n = 0
        with open(out, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["time", "device_id", "kind", "readings"])
            for d, ts, readings in self.messages(start, end, device_id):
                w.writerow(
                    [iso_utc(ts), d, kinds.get(d, ""), json.dumps(readings, ensure_ascii=False)]
                )
                n += 1
        return n


class HistoryStore(HistoryReads):
    """The history file. Thread-safe (one lock); open it once per process."""

    def __init__(
        self,
        path: str | Path,
        raw_retention_s: float = RAW_RETENTION_S,
        rollup_retention_s: float = ROLLUP_RETENTION_S,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.raw_retention_s = raw_retention_s
        self.rollup_retention_s = rollup_retention_s
        self._lock = threading.Lock()
        if self.path.is_dir():
            raise InputError(self.path, "is a folder, not a history database.", "Give a file name.")
        try:
            if readonly:
                self._conn = open_readonly(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(
                    self.path, timeout=30.0, isolation_level=None, check_same_thread=False
                )
                self._conn.execute("PRAGMA journal_mode=WAL").fetchone()
                self._conn.execute("PRAGMA synchronous=NORMAL")
            tables = {
                r[0]
                for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if tables and "meta" not in tables:
                raise InputError(
                    self.path,
                    f"is an SQLite database but not a twin history (tables "
                    f"{', '.join(sorted(tables))}).",
                    "Give another --db file name.",
                )
            row = (
                self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if "meta" in tables
                else None
            )
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                raise InputError(
                    self.path,
                    f"was written by a newer version of the twin (history schema {row[0]}).",
                    "Update the twin, or give another --db file.",
                )
            if readonly:
                self._has_reading_ts = "latest" in tables and any(
                    r[1] == "reading_ts" for r in self._conn.execute("PRAGMA table_info(latest)")
                )
            else:
                self._conn.executescript(_SCHEMA)
                if row is not None and int(row[0]) < 2:
                    self._conn.execute("ALTER TABLE latest ADD COLUMN reading_ts TEXT")
                self._conn.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE "
                    "SET value=excluded.value",
                    (str(SCHEMA_VERSION),),
                )
                self._has_reading_ts = True
        except sqlite3.DatabaseError as exc:
            raise InputError(
                self.path,
                f"is not a readable history database ({exc}).",
                "Move the file away; a new one is created in its place.",
            ) from None
        except OSError as exc:
            raise InputError(self.path, f"cannot be created ({exc.strerror}).") from None
        self._last_rollup = self._meta_float("last_rollup")
        self._pruned_until = self._meta_float("pruned_until")

    # -- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._conn) as conn:
            yield conn

    def _meta_float(self, key: str) -> float | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else float(row[0])

    def close(self) -> None:
        """Close the file (everything written is committed)."""
        with self._lock:
            self._conn.close()

    # -- writing (the writer thread) -----------------------------------------------------------
    def write(
        self,
        rows: list[tuple[str, float, str]],
        latest: list[LatestState],
        meta: dict[str, Any] | None = None,
    ) -> None:
        """One batch: raw rows ``(device_id, ts, readings JSON)``, latest states, meta values.
        Rolls up and prunes every :data:`ROLLUP_EVERY_S` of stream time."""
        with self._tx() as conn:
            if rows:
                conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
            if latest:
                conn.executemany(
                    "INSERT INTO latest VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE "
                    "SET kind=excluded.kind, status=excluded.status, last_seen=excluded.last_seen, "
                    "readings=excluded.readings, reading_ts=excluded.reading_ts",
                    [s.as_row() for s in latest],
                )
            for key, value in (meta or {}).items():
                conn.execute(
                    "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                    "value=excluded.value",
                    (key, json.dumps(value)),
                )
        newest = max((r[1] for r in rows), default=None)
        if newest is not None and (
            self._last_rollup is None or newest - self._last_rollup >= ROLLUP_EVERY_S
        ):
            self.maintain(newest)

    def maintain(self, now: float) -> None:
        """Roll raw rows of finished buckets up (idempotent: a bucket is rebuilt from all its raw
        rows) and prune rows past their retention."""
        with self._tx() as conn:
            since = (
                self._last_rollup
                if self._last_rollup is not None
                else (conn.execute("SELECT MIN(ts) FROM raw").fetchone()[0] or now)
            )
            start = math.floor(since / BUCKET_S) * BUCKET_S - BUCKET_S
            end = math.floor(now / BUCKET_S) * BUCKET_S  # only finished buckets
            conn.execute(
                f"""INSERT OR REPLACE INTO rollup
                   SELECT device_id, key, CAST(ts / ? AS INTEGER) * ?, COUNT(*), MIN(v), MAX(v), \
SUM(v), NULL
                   FROM (SELECT device_id, ts, j.key AS key, {_NUMERIC} AS v
                         FROM raw, json_each(raw.readings) AS j
                         WHERE ts >= ? AND ts < ? AND j.type IN ('integer', 'real', \
'true', 'false'))
                   GROUP BY device_id, key, CAST(ts / ? AS INTEGER)""",
                (BUCKET_S, BUCKET_S, start, end, BUCKET_S),
            )
            # the last value of each bucket (counters and states chart by it)
            conn.execute(
                f"""UPDATE rollup SET vlast = (
                       SELECT {_NUMERIC} FROM raw, json_each(raw.readings) AS j
                       WHERE raw.device_id = rollup.device_id AND j.key = rollup.reading
                         AND raw.ts >= rollup.bucket AND raw.ts < rollup.bucket + ?
                       ORDER BY raw.ts DESC LIMIT 1)
                   WHERE bucket >= ? AND bucket < ?""",
                (BUCKET_S, start, end),
            )
            conn.execute("DELETE FROM raw WHERE ts < ?", (now - self.raw_retention_s,))
            conn.execute("DELETE FROM rollup WHERE bucket < ?", (now - self.rollup_retention_s,))
            pruned = now - self.raw_retention_s
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                "value=excluded.value",
                [("last_rollup", str(end)), ("pruned_until", str(pruned))],
            )
        self._last_rollup = end
        self._pruned_until = pruned

    # -- reading -------------------------------------------------------------------------------
    def latest(self, device_id: str | None = None) -> list[LatestState]:
        """The last state of every device (or of ``device_id``), by id."""
        sql = (
            "SELECT device_id, kind, status, last_seen, readings, "
            + ("reading_ts" if self._has_reading_ts else "NULL")
            + " FROM latest"
        )
        params: tuple[str, ...] = ()
        if device_id is not None:
            sql, params = sql + " WHERE device_id = ?", (device_id,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY device_id", params).fetchall()
        return [
            LatestState(
                r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]) if r[5] else None
            )
            for r in rows
        ]

    def meta(self, key: str) -> Any:
        """A value the pipeline recorded (``ingest``, ``clock``, ``feed``, ``health``), or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _series_rows(
        self, device_id: str, reading: str, start: float, raw_from: float, end: float
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        path = '$."' + reading.replace('"', "") + '"'
        with self._lock:
            older = self._conn.execute(
                "SELECT bucket, n, vmin, vmax, vsum, vlast FROM rollup WHERE device_id=? AND "
                "reading=? AND bucket >= ? AND bucket < ? ORDER BY bucket",
                (device_id, reading, start, raw_from),
            ).fetchall()
            recent = self._conn.execute(
                "SELECT ts, json_extract(readings, ?) FROM raw WHERE "
                "device_id=? AND ts >= ? AND ts < ? ORDER BY ts",
                (path, device_id, raw_from, end),
            ).fetchall()
        return older, recent

    def messages(
        self, start: float | None = None, end: float | None = None, device_id: str | None = None
    ) -> Iterator[tuple[str, float, dict[str, Any]]]:
        """Raw messages in time order: ``(device_id, ts, readings)``."""
        where: list[str] = ["1"]
        params: list[Any] = []
        if start is not None:
            where.append("ts >= ?")
            params.append(start)
        if end is not None:
            where.append("ts < ?")
            params.append(end)
        if device_id is not None:
            where.append("device_id = ?")
            params.append(device_id)
        with self._lock:
            rows = self._conn.execute(
                f"SELECT device_id, ts, readings FROM raw WHERE {' AND '.join(where)} "
                "ORDER BY ts, rowid",
                params,
            ).fetchall()
        for d, ts, r in rows:
            yield d, ts, json.loads(r)


class HistoryWriter:
    """Batches from the pipeline, written by one background thread (never the GUI thread).

    :meth:`put` is called by the pipeline's worker (never the GUI thread). When the disk falls
    ``max_pending`` batches behind it waits up to ``wait_s`` (back-pressure: a fast replay or
    fast-forward simply slows down); past that the batch's raw rows are dropped and counted
    (``dropped``) rather than stalling live ingest. Latest state and meta are always written.
    """

    def __init__(self, store: HistoryStore, max_pending: int = 20, wait_s: float = 5.0) -> None:
        self.store = store
        self.dropped = 0
        self.error: str | None = None
        self._q: queue.Queue[
            tuple[list[tuple[str, float, str]], list[LatestState], dict[str, Any]] | None
        ] = queue.Queue()
        self._max = max_pending
        self._wait = wait_s
        self._drained = threading.Event()
        self._writing = 0
        """Readings in the transaction being written."""
        self._thread = threading.Thread(target=self._run, name="twin-history-writer", daemon=True)
        self._thread.start()

    def put(
        self,
        rows: list[tuple[str, float, str]],
        latest: Iterable[LatestState],
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Hand a batch to the writer thread (waits when the disk falls far behind; see the
        class)."""
        if self._q.qsize() >= self._max:
            self._drained.clear()
            if not self._drained.wait(self._wait) and self._q.qsize() >= self._max:
                self.dropped += len(rows)
                rows = []
        self._q.put((rows, list(latest), meta or {}))

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                self._q.task_done()
                return
            rows, latest, meta = item
            self._drained.set()
            taken = 1
            # merge whatever else is waiting into one transaction
            while True:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if nxt is None:
                    self._write_counted(rows, latest, meta, taken)
                    return
                rows += nxt[0]
                latest += nxt[1]
                meta.update(nxt[2])
            self._write_counted(rows, latest, meta, taken)

    def _write_counted(
        self,
        rows: list[tuple[str, float, str]],
        latest: list[LatestState],
        meta: dict[str, Any],
        taken: int,
    ) -> None:
        self._writing = len(rows)
        try:
            self._write(rows, latest, meta)
        except Exception:  # a bug: logged, and the writer keeps going (drain() never hangs on it)
            log.exception("history writer failed; %d readings not recorded", len(rows))
            self.dropped += len(rows)
        finally:
            self._writing = 0
            for _ in range(taken):
                self._q.task_done()

    def drain(self) -> None:
        """Wait until everything handed over so far is written (or failed)."""
        self._q.join()

    def _write(
        self, rows: list[tuple[str, float, str]], latest: list[LatestState], meta: dict[str, Any]
    ) -> None:
        try:
            self.store.write(rows, list({s.device_id: s for s in latest}.values()), meta)
        except store_errors() as exc:  # a full disk, a lost file or server must not stop ingest
            if self.error is None:
                log.error(
                    "history %s cannot be written (%s): readings are not recorded until it can; "
                    "alarms and the event log are not affected",
                    self.store.path,
                    exc,
                )
            self.error = str(exc)
            self.dropped += len(rows)
        else:
            if self.error is not None:
                log.warning("history %s is written again", self.store.path)
            self.error = None

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop; what the store did not take within ``timeout`` is
        given up (readings, never events), said in the log and counted in :attr:`dropped`."""
        self._q.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            left = sum(len(item[0]) for item in list(self._q.queue) if item is not None)
            self.dropped += left + self._writing
            log.warning(
                "history %s: %d readings were not written within %.0f s of shutdown (%d of "
                "them in a transaction that may still complete); they are not recorded",
                self.store.path,
                left + self._writing,
                timeout,
                self._writing,
            )
