"""The reading history and the latest state on PostgreSQL (issue 16): the same interface as
:class:`twin.state.history.HistoryStore`, one community per store.

Raw rows arrive by ``COPY`` (one per accepted message, the batch of a history flush in one
transaction); the latest state is upserted in the same transaction under the community's change
lock and a ``NOTIFY`` on :data:`~twin.state.pgschema.CHANNEL` tells every seat a state batch is
there (delivered at commit, so a seat never reads a batch before it is visible). Rollups are
5-minute aggregates as in the embedded file, made from the raw rows before they are pruned.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from psycopg.types.json import Jsonb

from twin.state.history import (
    BUCKET_S,
    RAW_RETENTION_S,
    ROLLUP_EVERY_S,
    ROLLUP_RETENTION_S,
    HistoryReads,
    LatestState,
)
from twin.state.pgschema import CHANNEL, lock_changes, notify_tag

_NUMERIC = (
    "CASE jsonb_typeof(j.value) WHEN 'boolean' THEN (j.value = 'true'::jsonb)::int::float8 "
    "ELSE (j.value #>> '{}')::float8 END"
)


class PgHistoryStore(HistoryReads):
    """The history of ``community`` in the shared database (``pool`` of the event log's
    store, or one of its own from ``url``). Thread-safe: every call takes a pooled connection."""

    def __init__(
        self,
        url: str,
        community: str,
        pool: Any = None,
        raw_retention_s: float = RAW_RETENTION_S,
        rollup_retention_s: float = ROLLUP_RETENTION_S,
    ) -> None:
        from twin.state.pgevents import connect_pool

        self.path = url
        self.community = community
        self.readonly = False
        self.raw_retention_s = raw_retention_s
        self.rollup_retention_s = rollup_retention_s
        self._own = pool is None
        self.pool = connect_pool(url, community, 2) if pool is None else pool
        self._last_rollup = self._meta_float("last_rollup")
        self._pruned_until = self._meta_float("pruned_until")

    def _meta_float(self, key: str) -> float | None:
        value = self.meta(key)
        return None if value is None else float(value)

    def close(self) -> None:
        """Close the pool when it is this store's own (everything written is committed)."""
        if self._own:
            self.pool.close()

    # -- writing (the writer thread) -----------------------------------------------------------
    def write(
        self,
        rows: list[tuple[str, float, str]],
        latest: list[LatestState],
        meta: dict[str, Any] | None = None,
    ) -> None:
        """One batch: raw rows by COPY, the latest states and meta values upserted, one
        transaction and one notification."""
        c = self.community
        with self.pool.connection() as conn, conn.transaction():
            if rows:
                with conn.cursor().copy(
                    "COPY history_raw (community, device_id, ts, readings) FROM STDIN"
                ) as copy:
                    for device_id, ts, readings in rows:
                        copy.write_row((c, device_id, ts, readings))
            if latest:  # by COPY into a scratch table, then one upsert (cheaper per row)
                conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS latest_in (device_id text, kind text, "
                    "status text, last_seen double precision, readings jsonb, reading_ts jsonb)"
                    " ON COMMIT DELETE ROWS"
                )
                with conn.cursor().copy(
                    "COPY latest_in (device_id, kind, status, last_seen, readings, reading_ts) "
                    "FROM STDIN"
                ) as copy:
                    for s in latest:
                        copy.write_row(s.as_row())
                lock_changes(conn, c)
                conn.execute(
                    "INSERT INTO latest (community, device_id, kind, status, last_seen, "
                    "readings, reading_ts) SELECT %s, device_id, kind, status, last_seen, "
                    "readings, reading_ts FROM latest_in ON CONFLICT (community, device_id) DO "
                    "UPDATE SET kind = excluded.kind, status = excluded.status, last_seen = "
                    "excluded.last_seen, readings = excluded.readings, reading_ts = "
                    "excluded.reading_ts",
                    (c,),
                )
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notify_tag(c) + ":state"))
            for key, value in (meta or {}).items():
                self._set_meta(conn, key, value)
        newest = max((r[1] for r in rows), default=None)
        if newest is not None and (
            self._last_rollup is None or newest - self._last_rollup >= ROLLUP_EVERY_S
        ):
            self.maintain(newest)

    def _set_meta(self, conn: Any, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO history_meta VALUES (%s, %s, %s) ON CONFLICT (community, key) DO "
            "UPDATE SET value = excluded.value",
            (self.community, key, Jsonb(value)),
        )

    def maintain(self, now: float) -> None:
        """Roll raw rows of finished buckets up (idempotent) and prune rows past retention."""
        c = self.community
        with self.pool.connection() as conn, conn.transaction():
            since = self._last_rollup
            if since is None:
                row = conn.execute(
                    "SELECT min(ts) FROM history_raw WHERE community = %s", (c,)
                ).fetchone()
                since = _first(row) or now
            start = math.floor(since / BUCKET_S) * BUCKET_S - BUCKET_S
            end = math.floor(now / BUCKET_S) * BUCKET_S  # only finished buckets
            conn.execute(
                f"""INSERT INTO history_rollup
                    SELECT community, device_id, key, floor(ts / {BUCKET_S}) * {BUCKET_S},
                           count(*), min(v), max(v), sum(v), (array_agg(v ORDER BY ts DESC))[1]
                    FROM (SELECT r.community, r.device_id, r.ts, j.key, {_NUMERIC} AS v
                          FROM history_raw r, jsonb_each(r.readings) j
                          WHERE r.community = %s AND r.ts >= %s AND r.ts < %s
                            AND jsonb_typeof(j.value) IN ('number', 'boolean')) s
                    GROUP BY community, device_id, key, floor(ts / {BUCKET_S})
                    ON CONFLICT (community, device_id, reading, bucket) DO UPDATE SET
                        n = excluded.n, vmin = excluded.vmin, vmax = excluded.vmax,
                        vsum = excluded.vsum, vlast = excluded.vlast""",
                (c, start, end),
            )
            pruned = now - self.raw_retention_s
            conn.execute("DELETE FROM history_raw WHERE community = %s AND ts < %s", (c, pruned))
            conn.execute(
                "DELETE FROM history_rollup WHERE community = %s AND bucket < %s",
                (c, now - self.rollup_retention_s),
            )
            self._set_meta(conn, "last_rollup", end)
            self._set_meta(conn, "pruned_until", pruned)
        self._last_rollup = end
        self._pruned_until = pruned

    # -- reading -------------------------------------------------------------------------------
    def latest(self, device_id: str | None = None) -> list[LatestState]:
        """The last state of every device (or of ``device_id``), by id."""
        sql = (
            "SELECT device_id, kind, status, last_seen, readings, reading_ts FROM latest "
            "WHERE community = %s"
        )
        params: tuple[str, ...] = (self.community,)
        if device_id is not None:
            sql, params = sql + " AND device_id = %s", (*params, device_id)
        with self.pool.connection() as conn:
            rows = conn.execute(sql + " ORDER BY device_id", params).fetchall()
        return [_latest(r) for r in rows]

    def changed_since(self, seq: int) -> tuple[list[LatestState], int]:
        """The latest states changed after the change sequence ``seq``, and the newest seq."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT device_id, kind, status, last_seen, readings, reading_ts, seq FROM latest "
                "WHERE community = %s AND seq > %s ORDER BY seq",
                (self.community, seq),
            ).fetchall()
        return [_latest(r) for r in rows], max((_get(r, "seq", 6) for r in rows), default=seq)

    def meta(self, key: str) -> Any:
        """A value the pipeline recorded (``ingest``, ``clock``, ``feed``, ``health``), or None."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT value FROM history_meta WHERE community = %s AND key = %s",
                (self.community, key),
            ).fetchone()
        return _first(row)

    def _series_rows(
        self, device_id: str, reading: str, start: float, raw_from: float, end: float
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        c = self.community
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=_tuples)
            older = cur.execute(
                "SELECT bucket, n, vmin, vmax, vsum, vlast FROM history_rollup WHERE community = "
                "%s AND device_id = %s AND reading = %s AND bucket >= %s AND bucket < %s "
                "ORDER BY bucket",
                (c, device_id, reading, start, raw_from),
            ).fetchall()
            recent = cur.execute(
                "SELECT ts, readings -> %s FROM history_raw WHERE community = %s AND "
                "device_id = %s AND ts >= %s AND ts < %s ORDER BY ts",
                (reading, c, device_id, raw_from, end),
            ).fetchall()
        return older, recent

    def messages(
        self, start: float | None = None, end: float | None = None, device_id: str | None = None
    ) -> Iterator[tuple[str, float, dict[str, Any]]]:
        """Raw messages in time order: ``(device_id, ts, readings)``."""
        where, params = ["community = %s"], [self.community]
        if start is not None:
            where.append("ts >= %s")
            params.append(start)  # type: ignore[arg-type]
        if end is not None:
            where.append("ts < %s")
            params.append(end)  # type: ignore[arg-type]
        if device_id is not None:
            where.append("device_id = %s")
            params.append(device_id)
        with self.pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=_tuples)
                .execute(
                    f"SELECT device_id, ts, readings FROM history_raw WHERE "
                    f"{' AND '.join(where)} ORDER BY ts",
                    params,
                )
                .fetchall()
            )
        yield from rows


def _tuples(cursor: Any) -> Any:
    from psycopg.rows import tuple_row

    return tuple_row(cursor)


def _get(row: Any, key: str, index: int) -> Any:
    return row[key] if isinstance(row, dict) else row[index]


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def _latest(r: Any) -> LatestState:
    keys = ("device_id", "kind", "status", "last_seen", "readings", "reading_ts")
    v = [_get(r, k, i) for i, k in enumerate(keys)]
    return LatestState(v[0], v[1], v[2], v[3], v[4] or {}, v[5])
