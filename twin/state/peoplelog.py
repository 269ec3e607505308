"""Reading and writing the people tables of the event log: importing the register, access
events (written by the pipeline's batches, see ``EventStore.write_batch``), retention, and the
log of unmaskings.

Every function takes the event log's store and uses its connection and lock, so the people
tables share the event log's durability (WAL, ``synchronous=FULL``). The SQL is written once for
both engines: on the shared database the store's connections are its community's (the
database fills in and checks the ``community`` column, ``twin.state.pgschema``) and take the
same ``?`` parameters.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from twin.scene.people import RETENTION_DAYS, Person, mask_name, mask_plate
from twin.state.access import Registered
from twin.state.events import EventStore
from twin.state.peopleschema import ACCESS_COLUMNS
from twin.state.pseudonym import Pseudonymiser


@dataclass(frozen=True)
class Unmasking:
    """One time somebody was shown names or plates."""

    at: float
    operator: str
    role: str
    what: str
    reason: str


def import_register(
    store: EventStore,
    people: Iterable[Person],
    pseud: Pseudonymiser,
    source: str,
    now: float,
    digest: str = "",
) -> int:
    """Replace the stored register with ``people`` (one transaction): identifiers hashed with
    the community's key, names and plates encrypted. A person already known keeps the time the
    twin first knew them. Returns the number of people stored."""
    rows = []
    for p in people:
        rows.append(
            (
                pseud.pseudonym(p.token),
                pseud.pseudonym(p.plate) if p.plate else None,
                p.category,
                p.household,
                p.building,
                p.unit,
                bool(p.care),
                p.interval_h * 3600.0 if p.care else None,
                p.door_sensor or None,
                p.valid_from,
                p.valid_to,
                pseud.encrypt(p.name),
                pseud.encrypt(p.plate),
                mask_name(p.name),
                mask_plate(p.plate) if p.plate else "",
            )
        )
    with store._write() as conn:
        since = dict(conn.execute("SELECT subject, since FROM register").fetchall())
        conn.execute("DELETE FROM register")
        conn.executemany(
            "INSERT INTO register (subject, plate, category, household, building, unit, care, "
            "interval_s, door_sensor, valid_from, valid_to, name_enc, plate_enc, name_mask, "
            "plate_mask, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [r + (since.get(r[0], now),) for r in rows],
        )
        n = conn.execute("SELECT COUNT(*) FROM register").fetchone()[0]
        _set_meta(conn, "register", {"source": source, "at": now, "people": n, "digest": digest})
        _set_meta(conn, "key", pseud.fingerprint)
    return int(n)


def load_register(store: EventStore) -> list[Registered]:
    """The register as stored (pseudonymised), in import order."""
    with store._read() as conn:
        rows = conn.execute(
            "SELECT pid, subject, plate, category, household, building, unit, care, interval_s, "
            "door_sensor, valid_from, valid_to, name_enc, plate_enc, name_mask, plate_mask, since "
            "FROM register "
            "ORDER BY pid"
        ).fetchall()
    return [Registered(*r[:7], bool(r[7]), *r[8:]) for r in rows]  # type: ignore[call-arg]


def meta(store: EventStore, key: str) -> Any:
    """A value the people tables keep about themselves (``register``, ``key``, ``pruned``)."""
    with store._read() as conn:
        row = conn.execute("SELECT value FROM people_meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def _set_meta(conn: Any, key: str, value: Any) -> None:
    conn.execute("DELETE FROM people_meta WHERE key = ?", (key,))
    conn.execute("INSERT INTO people_meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))


def last_seen(
    store: EventStore, until: float = math.inf
) -> tuple[dict[str, tuple[float, str]], dict[str, float]]:
    """``({subject: (last time, its direction)}, {household: last door-sensor time})`` from the
    access events kept, up to ``until``."""
    with store._read() as conn:
        subjects = {
            s: (float(ts), d)
            for s, d, ts in conn.execute(
                "SELECT a.subject, a.direction, a.ts FROM access a JOIN (SELECT subject, "
                "MAX(ts) AS ts FROM access WHERE subject IS NOT NULL AND ts <= ? GROUP BY "
                "subject) m ON a.subject = m.subject AND a.ts = m.ts ORDER BY a.id",
                (until,),
            )
        }
        doors = {
            h: float(ts)
            for h, ts in conn.execute(
                "SELECT household, MAX(ts) FROM access WHERE method = 'door' "
                "AND household IS NOT NULL AND ts <= ? GROUP BY household",
                (until,),
            )
        }
    return subjects, doors


_ACCESS_READ = tuple(c for c in ACCESS_COLUMNS if c != "source_id")


def access_since(store: EventStore, since: float) -> list[dict[str, Any]]:
    """Access events from ``since`` on, oldest first."""
    with store._read() as conn:
        rows = conn.execute(
            f"SELECT {', '.join(_ACCESS_READ)} FROM access WHERE ts >= ? ORDER BY ts, id",
            (since,),
        ).fetchall()
    return [dict(zip(_ACCESS_READ, r, strict=True)) for r in rows]


def passages_since(store: EventStore, since: float) -> dict[str, tuple[int, int]]:
    """``{device id: (entries, exits)}`` from ``since`` on."""
    out: dict[str, list[int]] = {}
    with store._read() as conn:
        for dev, direction, n in conn.execute(
            "SELECT device_id, direction, COUNT(*) FROM access WHERE ts >= ? AND direction != "
            "'seen' GROUP BY device_id, direction",
            (since,),
        ):
            out.setdefault(dev, [0, 0])[0 if direction == "in" else 1] += int(n)
    return {d: (v[0], v[1]) for d, v in out.items()}


def prune_access(store: EventStore, now: float, days: float = RETENTION_DAYS) -> int:
    """Delete access events older than ``days`` (and unmaskings older than a year: the log of
    who looked stays longer than what was looked at). Returns the access events deleted."""
    with store._write() as conn:
        n = conn.execute("DELETE FROM access WHERE ts < ?", (now - days * 86400.0,)).rowcount
        conn.execute("DELETE FROM unmask_log WHERE at < ?", (now - 366 * 86400.0,))
        _set_meta(conn, "pruned", {"at": now, "before": now - days * 86400.0, "deleted": n})
    return int(n)


def log_unmask(
    store: EventStore, operator: str, role: str, what: str, reason: str, at: float
) -> None:
    """Write down that ``operator`` (``role``) was shown ``what``, before it is shown."""
    with store._write() as conn:
        conn.execute(
            "INSERT INTO unmask_log (at, operator, role, what, reason) VALUES (?, ?, ?, ?, ?)",
            (at, operator, role, what, reason),
        )


def unmaskings(store: EventStore, limit: int = 1000) -> list[Unmasking]:
    """The access log of unmaskings, newest first."""
    with store._read() as conn:
        rows = conn.execute(
            "SELECT at, operator, role, what, reason FROM unmask_log ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [Unmasking(*r) for r in rows]
