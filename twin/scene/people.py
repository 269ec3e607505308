"""People of the community as the residents / visitors register gives them, and the
personnel rules' parameters (defined once here).

A :class:`Person` is one row of the register *in clear*, as the property office keeps it; it
lives only in memory while the register is imported (identifiers are then stored as keyed
hashes and names encrypted: ``twin.state.pseudonym``) and in the simulator, which plays the
outside access platform that knows the cards.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("resident", "visitor")
"""Register categories; anyone else at a gate is a stranger."""
METHODS = ("face", "card", "qr", "plate", "door", "password", "other")
"""How an access event identified (or did not identify) who passed."""
DIRECTIONS = ("in", "out")

RETENTION_DAYS = 30.0
"""Access events are kept this long by default (PIPL / GDPR: a limited time)."""
NIGHT_FROM_H = 22
NIGHT_TO_H = 6
"""A stranger entering between these local hours is flagged for staff to verify."""
ENTRANCE_KINDS = frozenset({"gate", "barrier"})
"""Device kinds that are a community's entrances (passages counted per entrance)."""


def is_night(hour: int) -> bool:
    """Whether a local hour is at night (:data:`NIGHT_FROM_H` - :data:`NIGHT_TO_H`)."""
    return hour >= NIGHT_FROM_H or hour < NIGHT_TO_H


CARE_INTERVAL_H = 24.0
"""Check interval of a cared-for resident when the register gives none."""
VISIT_HOURS = 4.0
"""A visitor's stay when the register gives no end of validity."""
UNMASK_S = 120.0
"""How long names stay shown after a supervisor unmasks them (then masked again)."""
ROLES = ("viewer", "operator", "supervisor")
ROLE_HELP = (
    "who is signed in: viewer, operator or supervisor (default TWIN_ROLE, else operator); only "
    "a supervisor may see names and plates, and every time they do it is logged"
)
"""The ``--role`` option's help (``twin view``, ``twin people``)."""
UNMASK_ROLES = frozenset({"supervisor"})
"""Roles that may see names and plates (every unmasking is logged)."""


@dataclass(frozen=True)
class Person:
    """One register row (clear text: never stored as it is)."""

    category: str
    """``resident`` or ``visitor``."""
    token: str
    """The identifier the access platform reports: card number, face id, QR code owner."""
    household: str
    """The household (resident's own, a visitor's host)."""
    building: str = ""
    unit: str = ""
    name: str = ""
    plate: str = ""
    care: bool = False
    """A resident who needs care (elderly living alone, a person with disabilities)."""
    interval_h: float = CARE_INTERVAL_H
    """Not seen at any gate or door for longer raises a care check."""
    door_sensor: str = ""
    """Device id of the household's door sensor, when the household opted in."""
    valid_from: float | None = None
    valid_to: float | None = None
    """A visitor's validity (epoch seconds)."""
    row: int = 0
    """Row number in the register file (for messages)."""


def mask_name(name: str) -> str:
    """A name as the wall shows it to roles that may not see it: its first character and
    asterisks (``王**``, ``M***``); nothing of it when it is one character long."""
    name = name.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * min(len(name) - 1, 3)


def mask_plate(plate: str) -> str:
    """A plate as the wall shows it without the right to see it: the region and one last
    character (``粤B***5``)."""
    p = plate.strip().replace(" ", "")
    if len(p) <= 3:
        return "*" * len(p)
    return p[:2] + "***" + p[-1]
