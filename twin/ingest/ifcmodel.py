"""The record of what the twin takes from one IFC file (read by ``twin.ingest.ifc``, cached by
``twin.ingest.ifccache``, placed by ``twin.ingest.placement`` and ``twin.ingest.bim``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class IfcModelData:
    """Everything the twin takes from one IFC file, in the model's own world frame (metres)."""

    file: str
    schema: str
    elements: list[dict[str, Any]]  # global_id, ifc_class, name, storey, type_name
    points: np.ndarray  # (N, 3)
    faces: np.ndarray  # (M, 3)
    face_element: np.ndarray  # (M,) index into elements
    face_rgb: np.ndarray  # (M, 3) uint8, the model's own surface colours
    spaces: list[dict[str, Any]] = field(
        default_factory=list
    )  # global_id, name, storey, footprint_wkb
    devices: list[dict[str, Any]] = field(default_factory=list)
    unknown_devices: dict[str, int] = field(default_factory=dict)
    failed: list[dict[str, str]] = field(default_factory=list)  # global_id, ifc_class, name
    map_conversion: dict[str, Any] | None = (
        None  # parameters and units (georef.read_map_conversion)
    )
    site: dict[str, float] | None = None  # lat, lon, elevation, true_north (deg, anticlockwise)
    length_unit: str = "metre"  # the project's length unit (the points are in metres)
    footprint_wkb: bytes = b""

    def class_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e["ifc_class"] for e in self.elements).items()))
