"""The people side of a live session: reading the scene's register, storing it pseudonymised,
starting the personnel rules, and showing names to a role allowed to see them (logged).

The register file stays where the property office keeps it; the twin stores only keyed hashes
of identifiers and encrypted names and plates (``twin.state.pseudonym``), and re-imports the
file when it changes.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from twin.core.errors import InputError
from twin.ingest.register import RegisterRows, read_register
from twin.scene.people import ENTRANCE_KINDS, ROLES, UNMASK_ROLES, Person
from twin.scene.scenefile import SceneSpec
from twin.state import peoplelog
from twin.state.events import EventStore
from twin.state.peoplewatch import PeopleWatch
from twin.state.pseudonym import Pseudonymiser, default_key_path
from twin.telemetry.live import Live, local_hour_fn, scene_tz
from twin.usecases.events import operator_name

log = logging.getLogger("twin.people")


def current_role(value: str | None = None, events: Any = None) -> str:
    """The signed-in role: ``value`` (``--role``), else ``TWIN_ROLE``, else operator. On the
    shared database the account's role (``events.role``) is the most it may be: a declared
    role may only be lower (a supervisor's wall shown as a viewer's), never higher.

    Raises
    ------
    InputError
        For a name that is not a role.
    """
    import os

    declared = value or os.environ.get("TWIN_ROLE")
    role = (declared or "operator").strip().lower()
    if role not in ROLES:
        raise InputError("--role", f"{role!r} is not a role.", f"Use one of {', '.join(ROLES)}.")
    account = getattr(events, "role", None)
    if account is not None:
        granted = account if account in ROLES else "viewer"  # the ingest account acts on nothing
        if declared is None or ROLES.index(role) > ROLES.index(granted):
            return granted
    return role


PEOPLE_KINDS = ENTRANCE_KINDS | {"door_sensor"}
"""Device kinds whose access events concern people."""


def read_scene_register(spec: SceneSpec) -> RegisterRows | None:
    """The scene file's register (``[people] register``), or None when it names none.

    Raises
    ------
    InputError
        When the file cannot be read or holds no usable row.
    """
    people = spec.people
    if people.register is None:
        return None
    tz = ZoneInfo(spec.timezone) if spec.timezone else None
    rows = read_register(people.register, tz, people.sheet)
    for w in rows.warnings:
        log.warning("%s", w)
    return rows


def open_key(events: EventStore) -> Pseudonymiser:
    """The community's people key (made on first use; a throw-away one for an in-memory log)."""
    if str(events.path) == ":memory:":
        return Pseudonymiser(secrets.token_bytes(32))
    return Pseudonymiser.open(default_key_path(events.path))


def start_people(live: Live, rows: RegisterRows | None, now: float) -> PeopleWatch | None:
    """Store the register (when it changed), start the personnel rules on the session's
    pipeline and delete access events past their retention. None when the scene has neither
    a register nor devices that report people."""
    scene, events = live.scene, live.events
    if rows is None and not any(d.kind in PEOPLE_KINDS for d in scene.devices):
        return None
    pseud = open_key(events)
    stored_key = peoplelog.meta(events, "key")
    if stored_key is not None and stored_key != pseud.fingerprint:
        log.error(
            "the people key %s is not the one this event log's register was stored with: "
            "stored pseudonyms no longer match (the register is imported again; earlier access "
            "events cannot be linked to people)",
            default_key_path(events.path),
        )
    if rows is not None:
        store_register(events, rows, pseud, now)
    register = peoplelog.load_register(events)
    seen, doors = peoplelog.last_seen(events)
    tz = scene_tz(scene)
    watch = PeopleWatch(
        pseud,
        register,
        {d.id: d.kind for d in scene.devices},  # any device may report a passage
        local_hour_fn(tz),
        seen,
        doors,
        events.active_conditions(),
        _local_day(tz),
    )
    live.pipeline.people = watch
    live.pipeline.retention_days = scene.spec.people.retention_days
    peoplelog.prune_access(events, now, scene.spec.people.retention_days)
    return watch


def store_register(
    events: EventStore, rows: RegisterRows, pseud: Pseudonymiser, now: float, force: bool = False
) -> int | None:
    """Store the register pseudonymised when it changed since it was last stored (or when
    ``force``); the number of people stored, or None when nothing changed."""
    digest = _digest(rows.people)
    known = peoplelog.meta(events, "register") or {}
    if (
        not force
        and known.get("digest") == digest
        and peoplelog.meta(events, "key") == pseud.fingerprint
    ):
        return None
    n = peoplelog.import_register(events, rows.people, pseud, rows.source, now, digest)
    log.info("register %s: %d people stored (pseudonymised)", rows.source, n)
    return n


def _digest(people: list[Person]) -> str:
    h = hashlib.sha256()
    for p in people:
        h.update(repr(p).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _local_day(tz: object) -> object:
    from datetime import datetime

    def day(ts: float) -> str:
        dt = datetime.fromtimestamp(ts, tz) if tz is not None else datetime.fromtimestamp(ts)  # type: ignore[arg-type]
        return dt.strftime("%Y-%m-%d")

    return day


def unmask_names(
    events: EventStore,
    role: str,
    what: str,
    reason: str,
    now: float,
    operator: str | None = None,
    key_path: str | Path | None = None,
) -> Pseudonymiser:
    """The key that decrypts names and plates, for a role allowed to see them; the unmasking
    is written to the access log first.

    Raises
    ------
    InputError
        For a role that may not see names, or an empty reason.
    """
    if role not in UNMASK_ROLES:
        raise InputError(
            f"role {role!r}",
            "may not see names, faces or plates.",
            "Ask a supervisor (role supervisor) to look; every unmasking is logged.",
        )
    if not reason.strip():
        raise InputError("unmasking", "needs a reason (it is written to the access log).")
    peoplelog.log_unmask(events, operator or operator_name(events), role, what, reason.strip(), now)
    return Pseudonymiser.open(key_path or default_key_path(events.path), create=False)


def shown(pseud: Pseudonymiser | None, enc: bytes | None, mask: str) -> str:
    """A name or plate as the wall draws it: clear with the key of an unmasking, its masked
    form otherwise."""
    if pseud is not None and enc:
        return pseud.decrypt(enc)
    return mask
