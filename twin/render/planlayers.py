"""The planning view's layers: the community's open ground coloured by the best DORI level its
cameras reach, important-road gaps and blind spots outlined in the alarm colour, entrances
coloured by their verdict, the boundary, and the outlines of camera footprints (occlusion
included). One actor per layer, each made once and then given new inputs; no Qt.

The layers read a :class:`twin.usecases.plan_overlay.PlanningOverlay` (plain arrays), so
nothing here knows about geometry libraries. The planned cameras are drawn here (where the
planner has put them), not by the scene's camera glyphs, with the selected one's heading
handle and the suggestions not yet accepted as ghosts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import numpy_to_vtk

from twin.render import style
from twin.render import vtkparts as vtk

DORI_COLOURS = ("#4a3a48", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
"""Per best DORI level (none, detection, observation, recognition, identification). Levels 1-4
are the report map's ColorBrewer YlGnBu (``twin.report.maps.LEVEL_COLOURS``); the report's
white for "none" would be a glaring sheet on the dark wall, so open ground no camera sees is a
dim mauve here (blind spots are outlined in the alarm colour on top of it)."""
DORI_ALPHA = 205
"""Opacity (of 255) of the coloured ground: the road network still reads through it."""
DORI_Z = 0.25
"""Height of the coloured ground: above the flat layers (ground, green 0.06 m, roads 0.1-0.16 m),
pulled further forward than they are (polygon offset), so a road shows its coverage."""
LINE_Z = 0.6
"""Height of the outlines (gaps, blind spots, boundary, footprints)."""
ENTRANCE_Z = 3.0
FOOTPRINT = "#00e5ff"
"""Camera footprint outlines: the highlight cyan, no DORI or status colour."""
CAMERA_COLOURS = ("#e8eef7", "#00e5ff", "#00e5ff")
"""Planned cameras as they were (white), edited and added (the highlight cyan): not status
colours, which the planning view does not show."""
GHOST = "#ff5ad8"
"""Suggested cameras not yet accepted."""
HEADING_PX = 34
"""Length on screen of a planned camera's heading tick."""
HANDLE_PX = 90
"""Distance on screen from the selected camera to its heading handle."""
CAMERA_PX = 13
LAYERS = ("dori", "gaps", "blind", "entrances", "boundary", "footprints", "suggestions")
"""The layers' names, in drawing order (the switches of the panel)."""


def _switch_of(actor: str) -> str:
    """The layer switch an actor follows (the cameras and the handle have none)."""
    if actor == "suggestion_ticks":
        return "suggestions"
    return actor


def level_rgba(levels: np.ndarray, alpha: int = DORI_ALPHA) -> np.ndarray:
    """``(..., 4)`` uint8 colours of best-level cells (-1: transparent)."""
    lv = np.asarray(levels)
    pal = np.zeros((len(DORI_COLOURS) + 1, 4), dtype=np.uint8)  # row 0: -1, transparent
    pal[1:] = [(*style.rgb(c), alpha) for c in DORI_COLOURS]
    # one 32-bit word per cell: a take of words, not of rows (a drag recolours every frame)
    words = pal.view(np.uint32).ravel()
    idx = np.clip(lv.astype(np.int16) + 1, 0, len(DORI_COLOURS))
    return np.take(words, idx).view(np.uint8).reshape(*lv.shape, 4)


def _polylines(rings: list[np.ndarray], z: float) -> pv.PolyData:
    rings = [np.asarray(r, dtype=float).reshape(-1, 2) for r in rings if len(r) >= 2]
    if not rings:
        return pv.PolyData()
    pts = np.concatenate(rings)
    pts3 = np.column_stack([pts, np.full(len(pts), z)])
    cells, off = [], 0
    for r in rings:
        cells.append(np.concatenate([[len(r)], np.arange(off, off + len(r))]))
        off += len(r)
    return pv.PolyData(pts3, lines=np.concatenate(cells).astype(np.int64))


def _segments(segs: np.ndarray, z: float) -> pv.PolyData:
    segs = np.asarray(segs, dtype=float).reshape(-1, 2, 2)
    if not len(segs):
        return pv.PolyData()
    pts = segs.reshape(-1, 2)
    pts3 = np.column_stack([pts, np.full(len(pts), z)])
    n = len(segs)
    cells = np.column_stack([np.full(n, 2), 2 * np.arange(n), 2 * np.arange(n) + 1])
    return pv.PolyData(pts3, lines=cells.ravel().astype(np.int64))


def _line_actor(colour: str, width: float) -> vtk.vtkActor:
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetResolveCoincidentTopologyToPolygonOffset()
    mapper.SetRelativeCoincidentTopologyLineOffsetParameters(-7.0, -30.0)
    mapper.ScalarVisibilityOff()
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*[c / 255 for c in style.rgb(colour)])
    prop.SetLineWidth(width)
    prop.LightingOff()
    actor.PickableOff()
    return actor


class PlanLayers:
    """The planning layers of one plotter (hidden until :meth:`set_overlay`)."""

    def __init__(self, plotter: pv.Plotter, overlay: vtk.vtkRenderer | None = None) -> None:
        self.plotter = plotter
        self.overlay = overlay
        self.mpp = 1.0
        """Metres per pixel of the view (ticks and the handle keep their size on screen)."""
        self.actors: dict[str, vtk.vtkProp] = {}
        self.wanted: dict[str, bool] = dict.fromkeys(LAYERS, True)
        """Layer -> switched on (the panel's toggles)."""
        self.shown = False
        self.data: Any = None
        self.selected: str | None = None
        self.footprints_of_all = False
        self._dori_img: vtk.vtkImageData | None = None
        self._inputs: dict[str, Any] = {}

    # -- building the actors ---------------------------------------------------------------
    def _dori(self, ov: Any) -> vtk.vtkActor:
        ny, nx = ov.levels.shape
        rgba = level_rgba(ov.levels).reshape(-1, 4)  # row 0 south: x fastest, as VTK wants
        arr = numpy_to_vtk(np.ascontiguousarray(rgba), deep=True)
        arr.SetName("rgba")
        img = self._dori_img
        actor = self.actors.get("dori")
        if img is not None and img.GetDimensions()[:2] == (nx, ny) and actor is not None:
            img.GetPointData().SetScalars(arr)  # a drag: new colours, same quad
            img.Modified()
            return actor  # type: ignore[return-value]
        img = vtk.vtkImageData()
        img.SetDimensions(nx, ny, 1)
        img.GetPointData().SetScalars(arr)
        self._dori_img = img
        tex = vtk.vtkTexture()
        tex.SetInputData(img)
        tex.InterpolateOff()
        tex.SetColorModeToDirectScalars()
        plane = vtk.vtkPlaneSource()
        x0, y0, c = ov.x0, ov.y0, ov.cell
        plane.SetOrigin(x0, y0, DORI_Z)
        plane.SetPoint1(x0 + nx * c, y0, DORI_Z)
        plane.SetPoint2(x0, y0 + ny * c, DORI_Z)
        plane.Update()
        mapper = vtk.vtkPolyDataMapper()
        mapper.SetInputData(plane.GetOutput())
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-6.0, -24.0)
        if actor is None:
            actor = vtk.vtkActor()
            actor.GetProperty().LightingOff()
            actor.PickableOff()
            self.plotter.renderer.AddActor(actor)
        actor.SetMapper(mapper)  # type: ignore[attr-defined]
        actor.SetTexture(tex)  # type: ignore[attr-defined]
        return actor  # type: ignore[return-value]

    def _lines(
        self, name: str, colour: str, width: float, poly: pv.PolyData, overlay: bool = False
    ) -> None:
        actor = self.actors.get(name)
        if actor is None:
            actor = _line_actor(colour, width)
            ren = self.overlay if overlay and self.overlay is not None else self.plotter.renderer
            ren.AddActor(actor)
            self.actors[name] = actor
        actor.GetMapper().SetInputData(poly)  # type: ignore[attr-defined]

    def _entrances(self, ov: Any) -> None:
        ents = ov.entrances
        pts = np.array([[e["x"], e["y"], ENTRANCE_Z] for e in ents], dtype=float).reshape(-1, 3)
        poly = pv.PolyData(pts) if len(pts) else pv.PolyData()
        if len(pts):
            ok, bad = style.rgb(style.STATUS["ok"]), style.rgb(style.STATUS["alarm"])
            poly.point_data["rgb"] = np.array(
                [ok if e["ok"] else bad for e in ents], dtype=np.uint8
            )
        actor = self._points("entrances", 14)
        actor.GetMapper().SetInputData(poly)  # type: ignore[attr-defined]

    def set_overlay(self, ov: Any) -> None:
        """Draw ``ov`` (a PlanningOverlay): new inputs for the layers, made the first time."""
        self.data = ov
        self.actors["dori"] = self._dori(ov)
        alarm = style.STATUS["alarm"]
        self._lines("gaps", alarm, 5.0, _polylines([g.xy for g in ov.gaps], LINE_Z + 0.05))
        # the blind spots and the boundary change only with a new audit: kept unless new
        if self._inputs.get("blind") is not ov.blind_rings:
            self._lines("blind", alarm, 1.5, _polylines(ov.blind_rings, LINE_Z))
            self._inputs["blind"] = ov.blind_rings
        if self._inputs.get("boundary") is not ov.boundary_rings:
            self._lines("boundary", style.BOUNDARY, 2.5, _polylines(ov.boundary_rings, LINE_Z))
            self._inputs["boundary"] = ov.boundary_rings
        if "footprints" not in self.actors:
            self._lines("footprints", FOOTPRINT, 1.0, pv.PolyData())
        if self._inputs.get("entrances") is not ov.entrances:
            self._entrances(ov)
            self._inputs["entrances"] = ov.entrances
        self._footprints()
        self._cameras()
        self._ghosts()
        self.show() if self.shown else self.hide()

    def _footprints(self) -> None:
        ov = self.data
        if ov is None:
            return
        if self.footprints_of_all:
            segs = ov.footprint_edges()
        elif self.selected in ov.edges:
            segs = ov.footprint_edges(self.selected)
        else:
            segs = np.zeros((0, 2, 2))
        actor = self.actors["footprints"]
        actor.GetMapper().SetInputData(_segments(segs, LINE_Z + 0.1))  # type: ignore[attr-defined]
        actor.GetProperty().SetLineWidth(1.0 if self.footprints_of_all else 3.0)  # type: ignore[attr-defined]

    def _points(self, name: str, size: float) -> vtk.vtkActor:
        actor = self.actors.get(name)
        if actor is None:
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetColorModeToDirectScalars()
            mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray("rgb")
            mapper.ScalarVisibilityOn()
            actor = vtk.vtkActor()
            actor.SetMapper(mapper)
            prop = actor.GetProperty()
            prop.SetRepresentationToPoints()
            prop.SetRenderPointsAsSpheres(True)
            prop.SetPointSize(size)
            prop.LightingOff()
            actor.PickableOff()
            (self.overlay or self.plotter.renderer).AddActor(actor)
            self.actors[name] = actor
        return actor  # type: ignore[return-value]

    def _ticks(self, name: str, colour: str, xyz: np.ndarray, heading: np.ndarray, px: float):
        """A line from each point along its heading, ``px`` pixels long on screen."""
        n = len(xyz)
        r = px * self.mpp
        h = np.radians(np.asarray(heading, dtype=float))
        tip = xyz + np.column_stack([r * np.sin(h), r * np.cos(h), np.zeros(n)])
        segs = np.stack([xyz[:, :2], tip[:, :2]], axis=1) if n else np.zeros((0, 2, 2))
        z = float(xyz[0, 2]) if n else 0.0
        poly = _segments(segs, z)
        if n:
            poly.points[:, 2] = np.repeat(xyz[:, 2], 2)
        actor = self.actors.get(name)
        if actor is None:
            actor = _line_actor(colour, 3.0)
            (self.overlay or self.plotter.renderer).AddActor(actor)
            self.actors[name] = actor
        actor.GetMapper().SetInputData(poly)  # type: ignore[attr-defined]

    def _cameras(self) -> None:
        """The planned cameras, their heading ticks, the selected one's handle."""
        ov = self.data
        xyz = np.asarray(ov.camera_xyz, dtype=float).reshape(-1, 3)
        poly = pv.PolyData(xyz) if len(xyz) else pv.PolyData()
        if len(xyz):
            pal = np.array([style.rgb(c) for c in CAMERA_COLOURS], dtype=np.uint8)
            poly.point_data["rgb"] = pal[np.asarray(ov.camera_state, dtype=int)]
        self._points("cameras", CAMERA_PX).GetMapper().SetInputData(poly)  # type: ignore[attr-defined]
        self._ticks("camera_ticks", CAMERA_COLOURS[0], xyz, ov.camera_heading, HEADING_PX)
        sel = self.selected_index()
        pts = np.zeros((0, 3))
        if sel is not None:
            c = xyz[sel]
            pts = np.array([c, self.handle_point()])
        hp = pv.PolyData(pts) if len(pts) else pv.PolyData()
        if len(pts):
            hp.point_data["rgb"] = np.array([style.rgb(FOOTPRINT)] * 2, dtype=np.uint8)
        self._points("handle", 20).GetMapper().SetInputData(hp)  # type: ignore[attr-defined]
        segs = pts[None, :, :2] if len(pts) else np.zeros((0, 2, 2))
        line = _segments(segs, float(pts[0, 2]) if len(pts) else 0.0)
        self._lines("handle_line", FOOTPRINT, 3.0, line, overlay=True)

    def _ghosts(self) -> None:
        ghosts = self.data.ghosts
        xyz = np.array([[g.camera.x, g.camera.y, g.camera.z] for g in ghosts], dtype=float)
        xyz = xyz.reshape(-1, 3)
        poly = pv.PolyData(xyz) if len(xyz) else pv.PolyData()
        if len(xyz):
            poly.point_data["rgb"] = np.array([style.rgb(GHOST)] * len(xyz), dtype=np.uint8)
        self._points("suggestions", CAMERA_PX + 3).GetMapper().SetInputData(poly)  # type: ignore[attr-defined]
        heads = np.array([g.camera.heading for g in ghosts], dtype=float)
        self._ticks("suggestion_ticks", GHOST, xyz, heads, HEADING_PX * 1.4)

    def selected_index(self) -> int | None:
        ov = self.data
        if ov is None or self.selected not in ov.camera_ids:
            return None
        return ov.camera_ids.index(self.selected)

    def handle_point(self) -> np.ndarray:
        """The selected camera's heading handle (world point), :data:`HANDLE_PX` ahead of it."""
        k = self.selected_index()
        if k is None:
            return np.zeros(3)
        c = np.asarray(self.data.camera_xyz[k], dtype=float)
        h = math.radians(float(self.data.camera_heading[k]))
        r = HANDLE_PX * self.mpp
        return c + np.array([r * math.sin(h), r * math.cos(h), 0.0])

    def set_scale(self, mpp: float) -> None:
        """The view's metres per pixel changed (zoom): ticks and the handle follow."""
        if self.data is not None and abs(mpp / self.mpp - 1) > 0.05:
            self.mpp = mpp
            self._cameras()
            self._ghosts()
            self.show() if self.shown else self.hide()

    # -- switching -------------------------------------------------------------------------
    def select_camera(self, camera_id: str | None, all_cameras: bool | None = None) -> None:
        """Footprints of ``camera_id`` (None: none), or of every camera."""
        self.selected = camera_id
        if all_cameras is not None:
            self.footprints_of_all = all_cameras
        self._footprints()
        if self.data is not None:
            self._cameras()
            self.show() if self.shown else self.hide()

    def set_wanted(self, name: str, on: bool) -> None:
        """Switch one layer on or off (shown only while the planning view is)."""
        self.wanted[name] = on
        for actor_name, actor in self.actors.items():
            if _switch_of(actor_name) == name:
                actor.SetVisibility(self.shown and on)

    def visible(self, name: str) -> bool:
        actor = self.actors.get(name)
        return bool(actor is not None and actor.GetVisibility())

    @property
    def draws_cameras(self) -> bool:
        """The planned cameras are drawn here (the scene's camera glyphs stand aside)."""
        return self.shown and self.data is not None

    def show(self) -> None:
        self.shown = True
        for name, actor in self.actors.items():
            actor.SetVisibility(self.wanted.get(_switch_of(name), True))

    def hide(self) -> None:
        self.shown = False
        for actor in self.actors.values():
            actor.SetVisibility(False)
