"""One event of the event log as a record: its fields, how a database row becomes one, and how
its values are written to JSON and to a CSV cell for Excel (``twin.state.events`` stores them)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

_TIME_FIELDS = ("raised_at", "cleared_at", "acknowledged_at", "dispatched_at", "closed_at")
_CSV_FREE_TEXT = frozenset(
    {
        "device_id",
        "kind",
        "type",
        "rule_id",
        "message",
        "acknowledged_by",
        "acknowledged_note",
        "dispatched_by",
        "dispatched_to",
        "dispatched_note",
        "closed_by",
        "closed_note",
        "data",
    }
)


def iso_utc(epoch: float | None) -> str | None:
    """ISO 8601 UTC text (millisecond precision, ``Z`` suffix) of an epoch time, or None.

    Parameters
    ----------
    epoch : float or None
        Seconds since the Unix epoch.

    Returns
    -------
    str or None
        For example ``"2024-05-01T08:30:00.250Z"``; None when ``epoch`` is None.
    """
    if epoch is None:
        return None
    text = datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


@dataclass
class Event:
    """One occurrence of an alarm condition, as stored in the event log.

    Attributes
    ----------
    id : int
        Database id; increases with every event and is never reused.
    device_id, kind : str
        The device and its kind (from the catalogue).
    type : str
        What happened, e.g. ``"pm25_high"`` or ``"lid_open"``.
    rule_id : str
        The rule that raised it; ``(device_id, rule_id)`` names the condition.
    severity : str
        One of ``"critical"``, ``"major"``, ``"minor"``, ``"info"``.
    status : str
        One of ``"raised"``, ``"acknowledged"``, ``"dispatched"``, ``"closed"``.
    raised_at, cleared_at : float, float or None
        Epoch seconds; ``cleared_at`` is set when the condition ended.
    acknowledged_at, acknowledged_by, acknowledged_note
        When, by whom and with what note the event was acknowledged (None before).
    dispatched_at, dispatched_by, dispatched_to, dispatched_note
        When, by whom, to whom and with what note it was dispatched (None before).
    closed_at, closed_by, closed_note
        When, by whom and with what note it was closed (None before).
    message : str
        Text for the operator (may be Chinese).
    data : dict
        Extra JSON data (readings, thresholds).
    source_id : str or None
        The id a device gave its own event; such events are stored once per id.
    """

    id: int
    device_id: str
    kind: str
    type: str
    rule_id: str
    severity: str
    status: str
    raised_at: float
    cleared_at: float | None = None
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    acknowledged_note: str | None = None
    dispatched_at: float | None = None
    dispatched_by: str | None = None
    dispatched_to: str | None = None
    dispatched_note: str | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    closed_note: str | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    source_id: str | None = None
    """The sender's own id of a device event (``id`` in its payload), else None."""

    @property
    def cleared(self) -> bool:
        """True once the condition that raised the event has ended."""
        return self.cleared_at is not None

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready values.

        Returns
        -------
        dict
            Every field, with the ``*_at`` times as ISO 8601 UTC text (None when unset), plus
            ``raised_at_epoch`` (the raw epoch seconds) and ``cleared`` (bool).
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _TIME_FIELDS:
                value = iso_utc(value)
            elif f.name == "data":
                value = dict(value)
            out[f.name] = value
            if f.name == "raised_at":
                out["raised_at_epoch"] = self.raised_at
            elif f.name == "cleared_at":
                out["cleared"] = self.cleared
        return out


_COLUMNS = tuple(f.name for f in fields(Event))
CSV_COLUMNS = (*_COLUMNS[:8], "cleared", *_COLUMNS[8:])


def json_default(value: Any) -> Any:
    """JSON for numpy scalars and arrays (without importing numpy)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def row_to_event(row: sqlite3.Row) -> Event:
    """The event of an ``events`` row (a schema-1 file read-only has no ``source_id``)."""
    keys = row.keys()
    values = {
        name: row[name] for name in _COLUMNS if name in keys
    }  # a v1 file read-only: no source_id
    values["data"] = json.loads(values["data"] or "{}")
    return Event(**values)


def csv_cell(name: str, value: Any) -> Any:
    """A cell for Excel: free text starting with = + - @ is prefixed with ' so Excel shows it
    as text instead of evaluating it as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and name in _CSV_FREE_TEXT and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
