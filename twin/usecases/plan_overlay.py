"""What the planning view draws, as plain arrays (no geometry library in the render layer):
the community's open ground by the best DORI level of the planned layout, the important-road
gaps, entrances with their verdicts, the planned cameras (as they were, edited, added), the
outline of each camera's footprint, the boundary, and the blind spots of the last audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.analysis.audit import Audit
from twin.analysis.coverage import CameraOptics
from twin.usecases.planning_session import PlanGap, PlanningSession

CAMERA_AS_WAS, CAMERA_EDITED, CAMERA_ADDED = 0, 1, 2
"""A planned camera's state (``PlanningOverlay.camera_state``)."""


@dataclass
class PlanningOverlay:
    """The planning view's layers and lists."""

    x0: float
    y0: float
    cell: float
    levels: np.ndarray
    """``(ny, nx)`` int8: the best DORI level (0 none .. 4 identification) of open ground inside
    the community, -1 elsewhere (outside, under buildings); row 0 is the south edge."""
    gaps: list[PlanGap]
    """Important-road stretches below the road level over the reported length, largest first."""
    blind_rings: list[np.ndarray]
    blind_m2: float
    boundary_rings: list[np.ndarray]
    entrances: list[dict[str, Any]]
    """id, name, use, x, y, ok (seen as the rule asks) per entrance."""
    camera_ids: list[str]
    camera_xyz: np.ndarray
    """``(n, 3)``: each planned camera's lens."""
    camera_heading: np.ndarray
    camera_state: np.ndarray
    """Per camera: :data:`CAMERA_AS_WAS`, :data:`CAMERA_EDITED` or :data:`CAMERA_ADDED`."""
    edges: dict[str, np.ndarray]
    """Camera id -> the outline segments ``(m, 2, 2)`` of its footprint (cells it detects a
    person in, occlusion included)."""
    road_pct: float | None
    entrances_seen: int
    gap_report_m: float
    ghosts: list[Any] = field(default_factory=list)
    """Suggested cameras not accepted (``placement.Suggestion``)."""

    def footprint_edges(self, cam_id: str | None = None) -> np.ndarray:
        """One camera's footprint outline, or every camera's."""
        if cam_id is not None:
            return self.edges.get(cam_id, np.zeros((0, 2, 2)))
        parts = [e for e in self.edges.values() if len(e)]
        return np.concatenate(parts) if parts else np.zeros((0, 2, 2))


def mask_edges(mask: np.ndarray, x0: float, y0: float, cell: float) -> np.ndarray:
    """The outline of the cells where ``mask`` (``(ny, nx)`` bool) holds, as segments
    ``(m, 2, 2)``: every cell side between a cell in the mask and one outside it."""
    p = np.pad(mask, 1)
    v = p[1:-1, 1:] != p[1:-1, :-1]  # (ny, nx + 1): vertical sides
    h = p[1:, 1:-1] != p[:-1, 1:-1]  # (ny + 1, nx): horizontal sides
    vj, vi = np.nonzero(v)
    hj, hi = np.nonzero(h)
    vx, vy = x0 + vi * cell, y0 + vj * cell
    hx, hy = x0 + hi * cell, y0 + hj * cell
    segs = np.concatenate(
        [
            np.stack([np.column_stack([vx, vy]), np.column_stack([vx, vy + cell])], axis=1),
            np.stack([np.column_stack([hx, hy]), np.column_stack([hx + cell, hy])], axis=1),
        ]
    )
    return segs.reshape(-1, 2, 2)


def rings_of(geom: Any) -> list[np.ndarray]:
    """The exterior and interior rings of a (Multi)Polygon as ``(n, 2)`` arrays."""
    import shapely

    out = []
    for poly in shapely.get_parts(geom):
        if poly.geom_type == "Polygon":
            for r in [poly.exterior, *poly.interiors]:
                out.append(np.asarray(r.coords, dtype=float)[:, :2])
    return out


class PlanOverlays:
    """Makes a session's :class:`PlanningOverlay`, again after every edit; a camera's
    footprint outline is recomputed only when it changed."""

    def __init__(self, session: PlanningSession) -> None:
        self.session = session
        self.boundary = rings_of(session.area)
        self._edges: dict[str, tuple[CameraOptics, np.ndarray]] = {}
        self._blind: tuple[Audit | None, list[np.ndarray], float] = (None, [], 0.0)
        self._ents: tuple[list[Any], list[dict[str, Any]]] | None = None

    def edges_of(self, cam_id: str) -> np.ndarray:
        """The outline of one camera's footprint in the "all cameras" map."""
        lay = self.session.layout
        cam = lay.cameras[cam_id]
        hit = self._edges.get(cam_id)
        if hit is not None and hit[0] == cam:
            return hit[1]
        g = lay.grid
        fp = lay.maps["all"].footprints.get(cam_id)
        if fp is None or not len(fp.cells):
            e = np.zeros((0, 2, 2))
        else:
            j, i = np.divmod(fp.cells, g.nx)  # its own box of the grid, not all of it
            j0, i0 = int(j.min()), int(i.min())
            mask = np.zeros((int(j.max()) - j0 + 1, int(i.max()) - i0 + 1), dtype=bool)
            mask[j - j0, i - i0] = True
            e = mask_edges(mask, g.x0 + i0 * g.cell, g.y0 + j0 * g.cell, g.cell)
        self._edges[cam_id] = (cam, e)
        return e

    def _entrances(self, verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entrances as the view lists them: the same list while the verdicts are (the
        layers redraw them only when they change)."""
        if self._ents is None or self._ents[0] is not verdicts:
            keys = ("id", "name", "use", "x", "y", "ok")
            self._ents = (verdicts, [{k: v[k] for k in keys} for v in verdicts])
        return self._ents[1]

    def make(self, audit: Audit | None = None, ghosts: list[Any] | None = None) -> PlanningOverlay:
        """The overlay of the session as it is now; blind spots from ``audit`` (the last one
        run on it: they need polygons, which the audit makes)."""
        s = self.session
        lay = s.layout
        g = lay.grid
        best = lay.maps["all"].best
        levels = np.where(s.inside, best.astype(np.int8), np.int8(-1)).reshape(g.ny, g.nx)
        verdicts = s.entrances()
        ids = sorted(lay.cameras)
        cams = [lay.cameras[i] for i in ids]
        initial = s.initial
        state = np.array(
            [
                CAMERA_ADDED
                if i not in initial
                else CAMERA_AS_WAS
                if initial[i] == c
                else CAMERA_EDITED
                for i, c in zip(ids, cams, strict=True)
            ],
            dtype=np.int8,
        )
        for gone in set(self._edges) - set(ids):
            del self._edges[gone]
        if audit is not self._blind[0]:
            rings = [r for b in audit.blind for r in rings_of(b.polygon)] if audit else []
            area = float(sum(b.area_m2 for b in audit.blind)) if audit else 0.0
            self._blind = (audit, rings, area)
        gaps = s.gaps()
        f = s.figures(gaps, verdicts)
        return PlanningOverlay(
            float(g.x0),
            float(g.y0),
            float(g.cell),
            levels,
            gaps,
            self._blind[1],
            self._blind[2],
            self.boundary,
            self._entrances(verdicts),
            ids,
            np.array([[c.x, c.y, c.z] for c in cams], dtype=float).reshape(-1, 3),
            np.array([c.heading for c in cams], dtype=float),
            state,
            {i: self.edges_of(i) for i in ids},
            f.covered_pct if f.road_m else None,
            sum(1 for v in verdicts if v["ok"]),
            s.gap_report_m,
            list(ghosts or []),
        )
