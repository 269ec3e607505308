"""What a report is made of: the audit, the suggestions and the community's geometry as plain
coordinates (local metres), gathered by the use case (``twin.usecases.planning.write_report``)
so that this package needs no GIS library."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from twin.analysis.audit import Audit
from twin.scene.scene import Scene

Ring = list[tuple[float, float]]
"""A closed ring of (x, y), local metres."""


@dataclass
class BlindArea:
    """A blind spot: its rings (exterior first, then holes) and area."""

    rings: list[Ring]
    area_m2: float


@dataclass
class ReportInput:
    """Everything a report shows."""

    scene: Scene
    audit: Audit
    lang: str
    cell: float
    generated: datetime
    """When the report was made, in the scene's time zone."""
    version: str
    """The twin's version."""
    boundary: list[Ring]
    """The community's boundary: exterior rings and holes."""
    inside: np.ndarray
    """Per cell of the coverage grid: inside the community."""
    blind_spots: list[BlindArea] = field(default_factory=list)
    min_blind_m2: float = 25.0
    suggestions: list[Any] = field(default_factory=list)
    """``twin.analysis.placement.Suggestion`` in rank order."""
    suggestion_lonlat: list[tuple[float, float]] = field(default_factory=list)
    suggest_note: str | None = None
    """Why there are no suggestions (nothing to cover, nowhere to mount one)."""
