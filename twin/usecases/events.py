"""The operator's side of the event log: finding it, and moving events along their lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.core.paths import default_db
from twin.state.dburl import db_spec, shared_url
from twin.state.events import Event, EventStore


def open_event_log(
    scene_path: str | Path, db: str | Path | None = None, readonly: bool = False
) -> Any:
    """The event log of a scene: the SQLite file (``db``, else ``TWIN_DB``, else the scene's
    default file), or the shared PostgreSQL database when that is a ``postgresql://`` URL (the
    community is the scene's name; the password comes from ``PGPASSWORD`` or ``~/.pgpass``,
    never from the command line or a scene file).

    Raises
    ------
    InputError
        For a URL that carries a password, an unreachable server, a database of a newer twin,
        or no event log file.
    """
    url = shared_url(db)
    if url is not None:
        from twin.state.pgevents import PgEventStore
        from twin.usecases.scene import read_scene

        return PgEventStore(url, read_scene(scene_path).name)
    db = db_spec(db)
    return EventStore(find_event_log(scene_path, db), readonly=readonly)


def open_history(scene_path: str | Path, db: str | Path | None = None) -> Any:
    """The reading history and latest state of a scene, read-only: the shared database's (a
    ``postgresql://`` ``db`` or ``TWIN_DB``), else the file beside the event log.

    Raises
    ------
    InputError
        When there is no event log or no history recorded yet, or the server cannot be reached.
    """
    url = shared_url(db)
    if url is not None:
        from twin.state.pghistory import PgHistoryStore
        from twin.usecases.scene import read_scene

        return PgHistoryStore(url, read_scene(scene_path).name)
    from twin.state.history import HistoryStore, history_path

    path = history_path(find_event_log(scene_path, db_spec(db)))
    if not path.exists():
        raise InputError(
            path,
            "no history recorded yet.",
            "Run `twin run SCENE --headless` with this --db first.",
        )
    return HistoryStore(path, readonly=True)


def writer_running(history: Any) -> dict[str, Any] | None:
    """Who writes the shared history (pid, host, when), or None when nobody has for a while."""
    import time

    from twin.telemetry.livestatus import STALE_S

    w = history.meta("writer")
    if not isinstance(w, dict) or time.time() - float(w.get("written", 0)) > STALE_S:
        return None
    return w


def find_event_log(scene_path: str | Path, db: str | Path | None = None) -> Path:
    """The event log of a scene: ``db``, or the default file of the scene's name. Only the
    scene file is read (nothing is built), so operator commands answer at once."""
    if db:
        path = Path(db).expanduser()
    else:
        from twin.usecases.scene import read_scene

        path = default_db(read_scene(scene_path).name)
    if not path.exists():
        raise InputError(
            path,
            "no event log here yet.",
            f"Run `twin run SCENE --headless --feed sim --db {path}` "
            "first, or give the --db of an earlier run.",
        )
    return path


def operator_name(events: Any = None) -> str:
    """Who is signed in: the shared database's account of ``events`` when it has one (its
    sign-in is the database's), else the login name."""
    account = getattr(events, "account", None)
    if account:
        return str(account)
    import getpass

    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):
        return "operator"


def acknowledge_event(events: EventStore, event_id: int, operator: str, note: str = "") -> Event:
    """Acknowledge a raised event (InputError when it is not raised)."""
    return events.acknowledge(event_id, operator, note)


def dispatch_event(
    events: EventStore, event_id: int, operator: str, to: str | None, note: str = ""
) -> Event:
    """Dispatch an event to someone (a guard, a maintenance team); ``to`` is required."""
    if not to or not to.strip():
        raise InputError(
            f"event {event_id}", "needs whom it is dispatched to.", "Give --to (CLI) or a name."
        )
    return events.dispatch(event_id, operator, to, note)


def close_event(events: EventStore, event_id: int, operator: str, note: str = "") -> Event:
    """Close an event with a note of what was done."""
    return events.close_event(event_id, operator, note)
