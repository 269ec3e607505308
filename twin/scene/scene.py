"""The Scene: everything built from a scene file, as plain data."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.core.frame import LocalFrame
from twin.scene.community import Community
from twin.scene.entities import (
    SURFACE_KINDS,
    BimElement,
    Building,
    Device,
    Mesh,
    Space,
    Surface,
    Warning,
)
from twin.scene.scenefile import SceneSpec


@dataclass
class Scene:
    """A built scene: entities in the local frame, merged meshes per kind, and the build log."""

    name: str
    frame: LocalFrame
    spec: SceneSpec
    buildings: list[Building] = field(default_factory=list)
    surfaces: dict[str, list[Surface]] = field(
        default_factory=lambda: {k: [] for k in SURFACE_KINDS}
    )
    devices: list[Device] = field(default_factory=list)
    meshes: dict[str, Mesh] = field(default_factory=dict)
    """``building`` and each surface kind -> merged mesh (``entity`` indexes the kind's list)."""
    warnings: list[Warning] = field(default_factory=list)
    features: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per GIS source (and ``total``): features read, drawn, and not drawn (each of those is in a
    warning that says why): read = drawn + not_drawn."""
    timings: dict[str, float] = field(default_factory=dict)
    bim_elements: list[BimElement] = field(default_factory=list)
    """Drawn IFC elements; ``meshes["bim"].entity`` indexes this list."""
    bim_colours: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.uint8))
    """The IFC models' own surface colour of each face of ``meshes["bim"]``."""
    bim_models: list[dict[str, Any]] = field(default_factory=list)
    """One summary per IFC model: file, schema, placement used, counts, replaced footprints."""
    spaces: list[Space] = field(default_factory=list)
    view_targets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Bookmark name -> the local (x, y) it looks at."""
    tour_targets: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    """(tour name, keyframe index) -> the local (x, y) a lon / lat keyframe looks at."""
    community: Community | None = None
    """The community's boundary, road classes and entrances (the scene's extent when the scene
    file has no ``[community]`` table); None when the scene has no extent to make one of."""

    def counts(self) -> dict[str, int]:
        """Kind name -> number, for every kind present."""
        c: Counter[str] = Counter()
        if self.buildings:
            c["building"] = len(self.buildings)
        for kind, items in self.surfaces.items():
            if items:
                c[kind] = len(items)
        c.update(d.kind for d in self.devices)
        if self.bim_elements:
            c["bim_element"] = len(self.bim_elements)
        return dict(sorted(c.items()))

    def synthetic_counts(self) -> dict[str, int]:
        """Devices laid out by ``--fill-devices``, per kind."""
        return dict(sorted(Counter(d.kind for d in self.devices if d.synthetic).items()))

    def devices_of(self, kind: str | None = None) -> list[Device]:
        """The devices of ``kind`` (all devices when None)."""
        return [d for d in self.devices if kind is None or d.kind == kind]

    def device(self, device_id: str) -> Device | None:
        """The device with this id, or None."""
        for d in self.devices:
            if d.id == device_id:
                return d
        return None

    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """(xmin, xmax, ymin, ymax, zmin, zmax) in local metres over everything drawn."""
        pts = [m.points for m in self.meshes.values() if len(m.points)]
        if self.devices:
            pts.append(np.array([[d.x, d.y, d.z + d.mount_height] for d in self.devices]))
        if not pts:
            return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        allp = np.concatenate(pts)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))

    def summary(self) -> dict[str, Any]:
        """What ``twin info --json`` prints."""
        b = self.bounds()
        return {
            "name": self.name,
            "crs": self.frame.crs,
            "origin": {
                "lon": round(self.frame.origin_lon, 9),
                "lat": round(self.frame.origin_lat, 9),
            },
            "origin_projected": {"x": self.frame.origin_x, "y": self.frame.origin_y},
            "bounds": {
                "xmin": round(b[0], 2),
                "xmax": round(b[1], 2),
                "ymin": round(b[2], 2),
                "ymax": round(b[3], 2),
                "zmin": round(b[4], 2),
                "zmax": round(b[5], 2),
            },
            "counts": self.counts(),
            "synthetic_counts": self.synthetic_counts(),
            "height_sources": dict(
                sorted(Counter(x.height_source for x in self.buildings).items())
            ),
            "road_classes": dict(
                sorted(Counter(s.road_class or "" for s in self.surfaces["road"]).items())
            ),
            "bim_models": self.bim_models,
            "community": self.community.summary() if self.community else None,
            "features": self.features,
            "warnings": [w.as_dict() for w in self.warnings],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }
