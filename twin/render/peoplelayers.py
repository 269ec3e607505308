"""The personnel view's layers: each entrance as a flat disc on the ground sized by its
passages in the last hour, and a tall marker over each building with a care check overdue
(alarm colour) or due within two hours (warning colour). One actor per layer, made once and
given new inputs; no Qt."""

from __future__ import annotations

import math

import numpy as np
import pyvista as pv

from twin.render import style
from twin.render import vtkparts as vtk

FLOW = "#00b8d4"
"""Entrance discs: a cyan of their own (not a status colour)."""
DISC_Z = 0.35
"""Above the ground, roads and the green (flat layers up to 0.16 m)."""
MARK_H = 22.0
"""Height of a care marker's needle above the roof."""


def disc_radius(per_hour: float) -> float:
    """Radius (m) of an entrance's disc: 8 m for a quiet one, growing with the square root of
    its passages per hour (area proportional to flow), 45 m at most (readable across the
    community from the wall's home view)."""
    return float(min(45.0, 8.0 + 3.0 * math.sqrt(max(0.0, per_hour))))


def _actor(renderer: vtk.vtkRenderer, colour: str, opacity: float) -> vtk.vtkActor:
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetScalarModeToUseCellData()
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*[c / 255 for c in style.rgb(colour)])
    prop.SetOpacity(opacity)
    prop.LightingOff()
    actor.SetPickable(False)
    actor.SetVisibility(False)
    renderer.AddActor(actor)
    return actor


class PeopleLayers:
    """The entrance discs and the care markers of one plotter."""

    def __init__(self, plotter: pv.Plotter, overlay: vtk.vtkRenderer | None = None) -> None:
        self.plotter = plotter
        self.discs = _actor(plotter.renderer, FLOW, 0.55)
        self.discs.GetMapper().SetResolveCoincidentTopologyToPolygonOffset()
        self.marks = _actor(overlay or plotter.renderer, style.STATUS["alarm"], 1.0)
        self.marks.GetMapper().SetColorModeToDirectScalars()
        self.marks.GetMapper().ScalarVisibilityOn()
        self.shown = False
        self.disc_xyr = np.zeros((0, 3))
        """(x, y, radius) of the discs drawn (tests read them)."""
        self.mark_xyz = np.zeros((0, 3))

    def set_entrances(self, xy: np.ndarray, per_hour: np.ndarray) -> None:
        """One disc per entrance at ``xy`` for its passages per hour."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        radii = np.array([disc_radius(v) for v in np.asarray(per_hour, dtype=float)])
        self.disc_xyr = np.column_stack([xy, radii]) if len(xy) else np.zeros((0, 3))
        parts = [
            pv.Disc(center=(x, y, DISC_Z), inner=0.0, outer=r, normal=(0, 0, 1), c_res=48)
            for (x, y), r in zip(xy, radii, strict=True)
        ]
        poly = pv.merge(parts) if parts else pv.PolyData()
        self.discs.GetMapper().SetInputData(poly)
        self.discs.SetVisibility(self.shown and bool(parts))

    def set_marks(self, xyz: np.ndarray, colours: list[str]) -> None:
        """A needle with a head over each point (a roof), in its colour."""
        xyz = np.asarray(xyz, dtype=float).reshape(-1, 3)
        self.mark_xyz = xyz
        parts = []
        for (x, y, z), c in zip(xyz, colours, strict=True):
            rgb = np.array(style.rgb(c), dtype=np.uint8)
            needle = pv.Cylinder(
                center=(x, y, z + MARK_H / 2), direction=(0, 0, 1), radius=1.0, height=MARK_H
            )
            head = pv.Sphere(radius=5.0, center=(x, y, z + MARK_H + 4.0))
            for m in (needle, head):
                m.cell_data["rgb"] = np.tile(rgb, (m.n_cells, 1))
                parts.append(m)
        poly = pv.merge(parts) if parts else pv.PolyData()
        self.marks.GetMapper().SetInputData(poly)
        if parts:
            self.marks.GetMapper().SelectColorArray("rgb")
        self.marks.SetVisibility(self.shown and bool(parts))

    def show(self) -> None:
        self.shown = True
        self.discs.SetVisibility(len(self.disc_xyr) > 0)
        self.marks.SetVisibility(len(self.mark_xyz) > 0)

    def hide(self) -> None:
        self.shown = False
        self.discs.SetVisibility(False)
        self.marks.SetVisibility(False)
