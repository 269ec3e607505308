"""The themed layers of the situational views over a :class:`SceneVisual`: which device kinds
show, colour overrides (parking spaces by occupancy, chargers by state, bins and manholes by
level), camera frusta, the environment surface, buildings coloured by consumption, text labels
and the highlight ring. No Qt: the shell and ``twin record`` use it alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyvista as pv

from twin.render import style
from twin.render import vtkparts as vtk
from twin.render.labellayer import LabelLayer
from twin.render.peoplelayers import PeopleLayers
from twin.render.planlayers import PlanLayers
from twin.render.scenevis import SceneVisual
from twin.scene.views import REGISTRY

HIGHLIGHT = "#00e5ff"


class ViewLayers:
    """Per-view layers of one plotter. Every layer is made once and then updated in place."""

    def __init__(self, plotter: pv.Plotter, vis: SceneVisual) -> None:
        self.plotter = plotter
        self.vis = vis
        self.view = "overview"
        self.kinds = {d.kind for d in vis.scene.devices}
        self._frusta: tuple[Any, Any] | None = None
        self._surface: Any = None
        self._label_layer: LabelLayer | None = None
        self._ring: vtk.vtkActor | None = None
        self.buildings_coloured = False
        self.plan = PlanLayers(plotter, vis.overlay)
        """The planning view's layers (drawn once its panel has the audit)."""
        self.people = PeopleLayers(plotter, vis.overlay)
        """The personnel view's entrance discs and care markers."""

    # -- kinds -----------------------------------------------------------------------------
    def set_view(self, view: str) -> None:
        """Show the kinds of ``view``; hide its own layers' leftovers from the previous one."""
        self.view = view
        shown = REGISTRY[view].kinds if view in REGISTRY else None
        for kind in self.kinds:
            self.vis.set_kind_visible(kind, shown is None or kind in shown)
        if view != "security":
            self.hide_frusta()
        if view != "environment":
            self.hide_surface()
        if view != "energy" and self.buildings_coloured:
            from twin.render.heatmap import reset_building_colours

            reset_building_colours(self.vis)
            self.buildings_coloured = False
        self.hide_labels()  # each view's panel puts its own labels up
        if view == "personnel":
            self.people.show()
        else:
            self.people.hide()
        if view == "planning":
            self.plan.show()
            if self.plan.draws_cameras:
                self.vis.set_kind_visible("camera", False)
        else:
            self.plan.hide()

    def set_plan(self, overlay: Any) -> None:
        """New inputs for the planning layers; once they draw the planned cameras, the scene's
        camera glyphs (where the cameras stand in the data) stand aside."""
        self.plan.set_overlay(overlay)
        if self.view == "planning" and self.plan.draws_cameras:
            self.vis.set_kind_visible("camera", False)

    def visible_kinds(self) -> set[str]:
        shown = REGISTRY[self.view].kinds if self.view in REGISTRY else None
        kinds = set(self.kinds) if shown is None else self.kinds & shown
        if self.view == "planning" and self.plan.draws_cameras:
            kinds.discard("camera")
        return kinds

    # -- camera frusta ---------------------------------------------------------------------
    def show_frusta(self, cameras: list[Any], colours: np.ndarray) -> None:
        from twin.render.frusta import add_frusta, set_frusta

        if not cameras:
            self.hide_frusta()
            return
        if self._frusta is None:
            self._frusta = add_frusta(self.plotter, cameras, colours)
        else:
            set_frusta(self._frusta, cameras, colours)
        for a in self._frusta:
            a.SetVisibility(True)

    def hide_frusta(self) -> None:
        if self._frusta is not None:
            for a in self._frusta:
                a.SetVisibility(False)

    # -- environment surface ---------------------------------------------------------------
    def show_surface(self, grid: Any, quantity: Any) -> None:
        from twin.render.heatmap import grid_polydata

        if grid is None:
            self.hide_surface()
            return
        poly = grid_polydata(grid, quantity)
        if self._surface is None:
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetColorModeToDirectScalars()
            (
                mapper.SetScalarModeToUseCellFieldData()
                if "rgba" in poly.cell_data
                else mapper.SetScalarModeToUsePointFieldData()
            )
            mapper.SelectColorArray("rgba")
            mapper.ScalarVisibilityOn()
            mapper.SetResolveCoincidentTopologyToPolygonOffset()
            mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-8.0, -40.0)
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            actor.GetProperty().LightingOff()
            self.plotter.renderer.AddActor(actor)
            self._surface = actor
        self._surface.GetMapper().SetInputData(poly)
        self._surface.SetVisibility(True)

    def hide_surface(self) -> None:
        if self._surface is not None:
            self._surface.SetVisibility(False)

    # -- buildings by value ----------------------------------------------------------------
    def colour_buildings(self, values: np.ndarray, vmax: float | None = None) -> None:
        from twin.render.heatmap import building_colours

        building_colours(self.vis, values, vmax)
        self.buildings_coloured = True

    # -- labels ----------------------------------------------------------------------------
    def show_labels(
        self,
        xyz: np.ndarray,
        texts: Sequence[str],
        size_px: int = 18,
        font: str | None = None,
        priority: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        """Text labels anchored at world points (drawn above everything, with a dark backing),
        decluttered: where two labels' boxes would overlap on screen only the one of higher
        ``priority`` (default: the one given first) is drawn; each render re-decides once the
        camera or the viewport moved. :meth:`label_boxes` gives the boxes drawn."""
        if not len(texts):
            self.hide_labels()
            return
        if self._label_layer is None:
            self._label_layer = LabelLayer(self.vis.overlay or self.plotter.renderer)
        self._label_layer.show(xyz, texts, size_px, font, priority)

    def hide_labels(self) -> None:
        if self._label_layer is not None:
            self._label_layer.hide()

    def label_boxes(self) -> list[tuple[float, float, float, float]]:
        """Boxes ``(x0, y0, x1, y1)`` of the labels the last render drew, in display pixels
        (origin bottom left, y up; half-open, so boxes that only touch do not intersect)."""
        return [] if self._label_layer is None else self._label_layer.boxes()

    @property
    def _labels(self) -> vtk.vtkActor2D | None:
        """The labels' actor (None before the first labels)."""
        return None if self._label_layer is None else self._label_layer.actor

    # -- highlight -------------------------------------------------------------------------
    def highlight(self, x: float, y: float, z: float, radius: float) -> None:
        """A bright ring around a point (the device flown to or picked), above everything."""
        ring = pv.Disc(
            center=(x, y, z), inner=radius * 0.78, outer=radius, normal=(0, 0, 1), c_res=64
        )
        if self._ring is None:
            mapper = vtk.vtkPolyDataMapper()
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            prop = actor.GetProperty()
            prop.SetColor(*[c / 255 for c in style.rgb(HIGHLIGHT)])
            prop.LightingOff()
            (self.vis.overlay or self.plotter.renderer).AddActor(actor)
            self._ring = actor
        self._ring.GetMapper().SetInputData(ring)
        self._ring.SetVisibility(True)

    def clear_highlight(self) -> None:
        if self._ring is not None:
            self._ring.SetVisibility(False)
