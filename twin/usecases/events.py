"""The operator's side of the event log: finding it, and moving events along their lifecycle."""

from __future__ import annotations

from pathlib import Path

from twin.core.errors import InputError
from twin.core.paths import default_db
from twin.state.events import Event, EventStore


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


def operator_name() -> str:
    """Who is signed in: the login name (accounts come with the shared database)."""
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
