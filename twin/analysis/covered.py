"""What a coverage map means along lines and over areas: the covered length of a road or a
perimeter by DORI level with its uncovered stretches, and the blind spots of an area.

Lines are sampled every ``step`` metres at the centre of each step; a stretch is a run of
samples below the level asked for, reported with its length, where it starts and ends along
the line and its midpoint. Blind spots are the grid cells inside an area where a target can
stand and no camera detects it, merged into polygons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.ops import substring

from twin.analysis.coverage import CoverageMap, Grid
from twin.scene.standards import DORI_LEVELS

LINE_STEP_M = 1.0
"""Sampling step along roads and perimeters, metres."""
MIN_BLIND_SPOT_M2 = 25.0
"""Blind areas smaller than this (a corner behind a kiosk) are not listed as blind spots."""


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in a 1-D mask, as (start, end) index pairs, end exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], np.asarray(mask, np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


@dataclass
class Stretch:
    """A run along a line: from ``start_m`` to ``end_m`` (metres along it), its midpoint."""

    start_m: float
    end_m: float
    x: float
    y: float
    best: int
    """The best level reached anywhere in the stretch (below the one asked for)."""
    line: shapely.Geometry | None = None
    """The stretch itself (local metres)."""

    @property
    def length_m(self) -> float:
        return self.end_m - self.start_m


@dataclass
class LineCoverage:
    """Coverage of one line (a road segment, a stretch of perimeter)."""

    id: str
    name: str
    length_m: float
    at_least: dict[str, float] = field(default_factory=dict)
    """DORI level -> metres of the line covered at that level or better."""
    gaps: list[Stretch] = field(default_factory=list)
    """Stretches below the level asked for, in order along the line."""
    required: str = "observation"

    @property
    def covered_m(self) -> float:
        return self.at_least.get(self.required, 0.0)

    @property
    def share(self) -> float:
        return self.covered_m / self.length_m if self.length_m > 0 else 1.0


def line_samples(
    line: shapely.Geometry, step: float = LINE_STEP_M
) -> tuple[np.ndarray, np.ndarray]:
    """Distances along ``line`` (a LineString) of its samples, one in the middle of each of
    ``ceil(length / step)`` equal steps, and their points (n, 2)."""
    length = float(line.length)
    if length <= 0:
        return np.zeros(0), np.zeros((0, 2))
    n = max(1, int(np.ceil(length / step)))
    d = (np.arange(n) + 0.5) * (length / n)
    return d, shapely.get_coordinates(shapely.line_interpolate_point(line, d))


def line_levels(
    line: shapely.Geometry, cmap: CoverageMap, step: float = LINE_STEP_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances along ``line`` of its samples, their points (n, 2) and best levels."""
    d, pts = line_samples(line, step)
    return d, pts, cmap.level_at(pts[:, 0], pts[:, 1])


def cover_line(
    line_id: str,
    name: str,
    line: shapely.Geometry,
    cmap: CoverageMap,
    required: str = "observation",
    step: float = LINE_STEP_M,
) -> LineCoverage:
    """The coverage of ``line`` (a LineString or MultiLineString; parts are measured one after
    the other) with its stretches below ``required``."""
    parts = list(getattr(line, "geoms", [line]))
    need = DORI_LEVELS.index(required)
    out = LineCoverage(line_id, name, float(line.length), required=required)
    for level in DORI_LEVELS[1:]:
        out.at_least[level] = 0.0
    offset = 0.0
    for part in parts:
        d, pts, lv = line_levels(part, cmap, step)
        if not len(d):
            continue
        seg = float(part.length) / len(d)
        for k, level in enumerate(DORI_LEVELS[1:], start=1):
            out.at_least[level] += float((lv >= k).sum()) * seg
        low = lv < need
        for a, b in runs(low):
            mid = (a + b - 1) // 2
            out.gaps.append(
                Stretch(
                    offset + a * seg,
                    offset + b * seg,
                    float(pts[mid, 0]),
                    float(pts[mid, 1]),
                    int(lv[a:b].max()),
                    substring(part, a * seg, b * seg),
                )
            )
        offset += float(part.length)
    return out


@dataclass
class BlindSpot:
    """An area inside the community where no camera detects a person."""

    polygon: shapely.Geometry
    area_m2: float
    x: float
    y: float


def blind_spots(
    cmap: CoverageMap, area: shapely.Geometry, min_area: float = MIN_BLIND_SPOT_M2
) -> list[BlindSpot]:
    """Polygons of outdoor cells inside ``area`` that no camera detects, largest first."""
    g = cmap.grid
    gx, gy = g.centres()
    inside = shapely.contains_xy(area, gx, gy)
    merged = cells_to_polygons(inside & cmap.outdoor & (cmap.best == 0), g)
    out = []
    for poly in getattr(merged, "geoms", [merged]) if merged is not None else []:
        a = float(poly.area)
        if a >= min_area:
            p = poly.representative_point()
            out.append(BlindSpot(poly, a, float(p.x), float(p.y)))
    return sorted(out, key=lambda s: -s.area_m2)


def cells_to_polygons(mask: np.ndarray, g: Grid) -> shapely.Geometry | None:
    """The cells of ``g`` where ``mask`` (one bool per cell, index order) holds, as one
    (Multi)Polygon; None when there are none. Rows are merged into runs first."""
    rows = mask.reshape(g.ny, g.nx)
    boxes = []
    for j in np.flatnonzero(rows.any(axis=1)):
        y0 = g.y0 + j * g.cell
        for a, b in runs(rows[j]):
            boxes.append(shapely.box(g.x0 + a * g.cell, y0, g.x0 + b * g.cell, y0 + g.cell))
    if not boxes:
        return None
    # a full union: a coverage union joins row runs only where their ends line up
    return shapely.union_all(np.array(boxes, dtype=object))
