"""Several ingest workers of one community on the shared database (issue 16, §2).

Every worker receives a share of the telemetry (an MQTT 5 shared subscription) and writes what
it receives, raw, to the community's **inbox**, in partitions of devices, before it
acknowledges a QoS 1 message to the broker: from then on the message survives any worker.
Each partition has one **leader** at a time (a session-level advisory lock: it goes with the
leader's connection, so a worker killed with SIGKILL frees its partitions at once), which
drains the partition through the ordinary pipeline (state, rules, events, history): each
device's messages are evaluated in one place, so each condition raises one event.

Order: two messages of one device may reach two workers a few milliseconds apart and the inbox
in the other order (each worker writes every 50 ms). Each worker therefore stamps what it
receives with its reception time and, with every write, says up to when it has written
everything it received (``flushed_until``); leaders take rows received before the earliest of
those marks, in the order they were received (the broker hands messages out in the order it
got them). A worker that dies freezes the mark: leaders hold there until the worker's session
is taken over and what the broker kept for it is written, stamped with that mark, before
anything received after it.

A row is deleted in the transaction of the batch that applied it (its acknowledgement's
receipt, ``Pipeline._commit``): a new leader takes exactly what is left, never a row whose
events are committed. A message that comes late (received after a newer one of its device:
from a dead worker's session taken over) is still evaluated: what it held that a newer reading
already ended is raised and cleared at their times (``RuleEngine.late``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from twin.core.errors import InputError
from twin.state.pgschema import notify_tag

PART_LOCK = 0x74776970
"""First half of a partition's leader lock (the second: :func:`lock_key`)."""
WORKER_LOCK = 0x74776977
"""First half of a worker's liveness lock (the second: ``ingest_workers.lock_key``)."""
CHANNEL = "twin_inbox"
"""NOTIFY channel: payload the community's ``notify_tag``, when rows are in its inbox."""


def lock_key(text: str) -> int:
    """A stable non-negative 31-bit key of ``text`` (the second half of an advisory lock)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest()) & 0x7FFFFFFF


def partition_of(device_id: str, partitions: int, people: bool = False) -> int:
    """The partition of a device: 0 for those that report people (entrances, door sensors:
    the personnel rules need all their passages in one place), else by a hash of its id."""
    if people or partitions <= 1:
        return 0
    return lock_key(device_id) % partitions


def put(
    conn: Any,
    community: str,
    rows: Iterable[tuple[int, str, bytes, float]],
    worker: str | None = None,
    flushed_until: float | None = None,
) -> int:
    """Append ``(part, topic, payload, received)`` rows to the inbox in one transaction (COPY),
    with the ``worker``'s mark (everything it received before ``flushed_until`` is written),
    and notify the leaders."""
    n = 0
    with conn.transaction():
        with conn.cursor().copy(
            "COPY inbox (community, part, topic, payload, received) FROM STDIN"
        ) as copy:
            for part, topic, payload, received in rows:
                copy.write_row((community, part, topic, payload, received))
                n += 1
        if worker is not None and flushed_until is not None:
            conn.execute(
                "UPDATE ingest_workers SET flushed_until = %s WHERE community = %s AND "
                "client_id = %s",
                (flushed_until, community, worker),
            )
        if n:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, notify_tag(community)))
    return n


def take(conn: Any, community: str, part: int, limit: int = 50_000) -> list[Any]:
    """Rows of ``part`` that every worker has written everything before (see the module):
    ``(seq, topic, payload)``, in the order they were received."""
    return conn.execute(
        "SELECT seq, topic, payload FROM inbox WHERE community = %s AND part = %s AND "
        "received < (SELECT coalesce(min(flushed_until), 0) FROM ingest_workers "
        "WHERE community = %s) ORDER BY received, seq LIMIT %s",
        (community, part, community, limit),
    ).fetchall()


def flushed_until(conn: Any, community: str, client_id: str) -> float | None:
    """A worker's mark (None when it is not registered)."""
    row = conn.execute(
        "SELECT flushed_until FROM ingest_workers WHERE community = %s AND client_id = %s",
        (community, client_id),
    ).fetchone()
    return None if row is None else float(row[0])


def register_worker(
    conn: Any, community: str, client_id: str, host: str, pid: int, partitions: int
) -> int:
    """Write the worker down and hold its liveness lock on ``conn`` (a session of its own,
    autocommit) for as long as that session lives. Returns the lock's key. Refused (InputError)
    when a live worker of the community splits it into another number of partitions: a device
    would then belong to two partitions and two leaders."""
    import time

    key = lock_key(client_id)
    conn.execute("SELECT pg_advisory_lock(%s, %s)", (WORKER_LOCK, key))
    alive = {c for c, _k, live in workers(conn, community) if live and c != client_id}
    for other, theirs in conn.execute(
        "SELECT client_id, partitions FROM ingest_workers WHERE community = %s AND "
        "partitions IS NOT NULL AND partitions <> %s",
        (community, partitions),
    ).fetchall():
        if other in alive:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (WORKER_LOCK, key))
            raise InputError(
                f"ingest worker {client_id}",
                f"splits community {community!r} into {partitions} partitions, but worker "
                f"{other} (running) splits it into {theirs}.",
                f"Start every worker of the community with --partitions {theirs} (or stop them "
                "all and start them again with the new number).",
            )
    now = time.time()
    conn.execute(
        "INSERT INTO ingest_workers (community, client_id, lock_key, host, pid, started, "
        "flushed_until, partitions) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO "
        "NOTHING",
        (community, client_id, key, host, pid, now, now, partitions),
    )
    return key


def workers(conn: Any, community: str) -> list[tuple[str, int, bool]]:
    """The community's registered workers: ``(client id, lock key, alive)``; alive while the
    worker's session holds its lock."""
    rows = conn.execute(
        "SELECT w.client_id, w.lock_key, EXISTS (SELECT 1 FROM pg_locks l WHERE "
        "l.locktype = 'advisory' AND l.granted AND l.classid = %s::oid AND "
        "l.objid = w.lock_key::oid AND l.objsubid = 2 AND l.database = (SELECT oid FROM "
        "pg_database WHERE datname = current_database())) FROM ingest_workers w "
        "WHERE w.community = %s ORDER BY w.started",
        (WORKER_LOCK, community),
    ).fetchall()
    return [(str(r[0]), int(r[1]), bool(r[2])) for r in rows]


def forget_worker(conn: Any, community: str, client_id: str) -> None:
    """Strike a worker whose session was taken over off the register."""
    conn.execute(
        "DELETE FROM ingest_workers WHERE community = %s AND client_id = %s",
        (community, client_id),
    )


def try_lock(conn: Any, first: int, key: int) -> bool:
    """A session-level advisory lock, without waiting."""
    return bool(conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (first, key)).fetchone()[0])


def unlock(conn: Any, first: int, key: int) -> None:
    """Release a lock :func:`try_lock` took."""
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (first, key))
