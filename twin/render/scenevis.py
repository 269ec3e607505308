"""The scene's visuals in a plotter: ground, surfaces, buildings and device glyphs.

One actor per surface kind and one for all buildings (merged meshes with a cell array that maps
back to entities), one glyph actor per device kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyvista as pv

from twin.render import style
from twin.render import vtkparts as vtk
from twin.render.glyphs import GlyphLayer, display_scale, glyph_layer, rgb_points_actor
from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import ROAD_CLASSES, Mesh
from twin.scene.scene import Scene

BIM_SHELL = (
    "IfcWall",
    "IfcSlab",
    "IfcRoof",
    "IfcCovering",
    "IfcCurtainWall",
    "IfcPlate",
    "IfcColumn",
    "IfcFooting",
    "IfcBeam",
)
"""IFC classes that make a building's outer shape, drawn alone when it is far away."""
BIM_FAR_MPP = 0.25
"""Metres per pixel above which BIM buildings show their shell only."""

# relative polygon offsets so flat layers never fight: later ones win
_LAYER_ORDER = ("ground", "water", "green", "parking_lot", "road")


def face_normals(mesh: Mesh) -> np.ndarray:
    """Unit normal of each triangle (by its winding)."""
    tri = mesh.points[mesh.faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def building_base(scene: Scene, entity: np.ndarray) -> np.ndarray:
    """``(N, 3)`` uint8: the unshaded normal colour of each cell of the buildings' mesh (cells
    map to ``scene.buildings`` through ``entity``), by the building's height."""
    heights = np.array([b.height for b in scene.buildings], dtype=np.float64)
    ent = np.asarray(entity, dtype=np.int64)
    ok = (ent >= 0) & (ent < len(heights))
    per_cell = np.full(len(ent), np.nan)
    per_cell[ok] = heights[ent[ok]]
    return style.building_colours(per_cell).round().clip(0, 255).astype(np.uint8)


def shaded(base: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """``(N, 3)`` uint8 face colours: ``base`` colours times the baked ``shade`` of each face."""
    b = np.asarray(base, dtype=np.float64)
    return (np.asarray(shade, dtype=np.float64)[:, None] * b).clip(0, 255).astype(np.uint8)


def to_polydata(mesh: Mesh) -> pv.PolyData:
    faces = np.column_stack([np.full(len(mesh.faces), 3, dtype=np.int64), mesh.faces]).ravel()
    poly = pv.PolyData(mesh.points.astype(np.float64), faces)
    poly.cell_data["entity"] = mesh.entity
    return poly


@dataclass
class SceneVisual:
    scene: Scene
    actors: dict[str, object] = field(default_factory=dict)
    glyphs: dict[str, GlyphLayer] = field(default_factory=dict)
    markers: dict[str, pv.PolyData] = field(default_factory=dict)
    """Kind -> the points of its constant-size markers."""
    overlay: vtk.vtkRenderer | None = None
    labels: dict[str, object] = field(default_factory=dict)
    """Title, subtitle and legend actors (live views update their text)."""

    def add_to(self, plotter: pv.Plotter, metres_per_pixel: float = 1.0) -> None:
        scene = self.scene
        # no ground plane under the scene: the background is the ground (a plane costs a
        # half-screen fill per frame on software GL, about 4 ms)
        for order, kind in enumerate(_LAYER_ORDER):
            mesh = scene.meshes.get(kind)
            if mesh is None or not mesh.n_faces:
                continue
            poly = to_polydata(mesh)
            if kind == "road":
                classes = np.array([s.road_class or "minor" for s in scene.surfaces["road"]])
                cols = np.array([style.rgb(style.ROAD[c]) for c in ROAD_CLASSES], dtype=np.uint8)
                cls_idx = np.searchsorted(np.array(ROAD_CLASSES), classes[mesh.entity])
                poly.cell_data["rgb"] = cols[cls_idx]
                actor = plotter.add_mesh(poly, scalars="rgb", rgb=True, lighting=False, name=kind)
            else:
                actor = plotter.add_mesh(poly, color=style.SURFACE[kind], lighting=False, name=kind)
            m = actor.GetMapper()
            m.SetResolveCoincidentTopologyToPolygonOffset()
            m.SetRelativeCoincidentTopologyPolygonOffsetParameters(
                -1.0 * (order + 1), -4.0 * (order + 1)
            )
            self.actors[kind] = actor
        bmesh = scene.meshes.get("building")
        if bmesh is not None and bmesh.n_faces:
            poly = to_polydata(bmesh)
            # the fixed lights are baked into face colours and the mesh is drawn unlit: the same
            # picture for a third of the buildings' cost on software GL; "shade" stays on the
            # mesh so a view that recolours buildings (energy) keeps their 3D look
            poly.cell_data["shade"] = style.face_shade(face_normals(bmesh))
            # the normal colour follows each building's height: one cell array made here, so
            # frames cost the same as one flat colour; "base" stays for the energy view's reset
            poly.cell_data["base"] = building_base(scene, bmesh.entity)
            poly.cell_data["rgb"] = shaded(poly.cell_data["base"], poly.cell_data["shade"])
            self.actors["building"] = plotter.add_mesh(
                poly,
                scalars="rgb",
                rgb=True,
                lighting=False,
                name="building",
                culling="back",  # closed, outward-facing meshes (ingest guarantees the winding)
            )
        bim = scene.meshes.get("bim")
        if bim is not None and bim.n_faces:
            poly = to_polydata(bim)
            # IFC faces are not reliably outward: shade both sides alike, draw both sides
            n = face_normals(bim)
            shade = style.face_shade(np.abs(n) * np.sign(n[:, 2:3] + 1e-9))
            poly.cell_data["shade"] = shade
            poly.cell_data["rgb"] = (
                (shade[:, None] * scene.bim_colours.astype(float)).clip(0, 255).astype(np.uint8)
            )
            self.actors["bim"] = plotter.add_mesh(
                poly, scalars="rgb", rgb=True, lighting=False, name="bim"
            )
            # far away a BIM building is a few dozen pixels: its shell alone (a tenth of the
            # triangles: no furniture, railings or window frames) looks the same
            shell = np.array([e.ifc_class.startswith(BIM_SHELL) for e in scene.bim_elements])[
                bim.entity
            ]
            if shell.any() and not shell.all():
                far = poly.extract_cells(np.nonzero(shell)[0]).extract_surface(
                    algorithm="dataset_surface"
                )
                self.actors["bim_far"] = plotter.add_mesh(
                    far, scalars="rgb", rgb=True, lighting=False, name="bim_far"
                )
        by_kind: dict[str, list] = {}
        for d in scene.devices:
            by_kind.setdefault(d.kind, []).append(d)
        for kind in CATALOGUE:
            devices = by_kind.get(kind)
            if not devices:
                continue
            layer = glyph_layer(kind, devices, display_scale(kind, metres_per_pixel))
            plotter.renderer.AddActor(layer.actor)
            self.glyphs[kind] = layer

    def add_markers(self, plotter: pv.Plotter, point_size: float) -> None:
        """A constant-size coloured dot above every device, so each reads at any zoom (one
        point actor per kind, so a view can hide kinds)."""
        devs = self.scene.devices
        if not devs:
            return
        # markers live in an overlay layer sharing the camera: like map pins, never hidden
        # behind a building (an alarm must always be seen)
        overlay = vtk.vtkRenderer()
        overlay.SetLayer(1)
        overlay.SetActiveCamera(plotter.renderer.GetActiveCamera())
        overlay.InteractiveOff()
        win = plotter.render_window
        win.SetNumberOfLayers(max(2, win.GetNumberOfLayers()))
        win.AddRenderer(overlay)
        self.overlay = overlay
        by_kind: dict[str, list] = {}
        for d in devs:
            by_kind.setdefault(d.kind, []).append(d)
        for kind, group in by_kind.items():
            lift = max(CATALOGUE[kind].mount_height, 1.0) + 1.5
            pts = np.column_stack(
                [[d.x for d in group], [d.y for d in group], [d.z + lift for d in group]]
            )
            poly = pv.PolyData(pts.astype(np.float64))
            poly.point_data["rgb"] = np.tile(
                np.array(style.rgb(CATALOGUE[kind].colour), dtype=np.uint8), (len(group), 1)
            )
            mapper = vtk.vtkPolyDataMapper()
            mapper.SetInputData(poly)
            actor = rgb_points_actor(mapper)
            prop = actor.GetProperty()
            prop.SetRepresentationToPoints()
            prop.SetRenderPointsAsSpheres(True)
            prop.SetPointSize(point_size)
            prop.LightingOff()
            overlay.AddActor(actor)
            self.markers[kind] = poly
            self.actors[f"markers:{kind}"] = actor

    def set_kind_visible(self, kind: str, visible: bool) -> None:
        """Show or hide every device of ``kind`` (glyphs and markers)."""
        layer = self.glyphs.get(kind)
        if layer is not None:
            layer.actor.SetVisibility(visible)
        actor = self.actors.get(f"markers:{kind}")
        if actor is not None:
            actor.SetVisibility(visible)  # type: ignore[attr-defined]

    def set_device_colours(self, kind: str, colours: np.ndarray) -> None:
        """Restyle every device of ``kind`` (uint8 RGB per device, in scene order): one array
        write for its glyphs and one for its markers; the next render shows it."""
        layer = self.glyphs.get(kind)
        if layer is None:
            return
        colours = np.asarray(colours, dtype=np.uint8).reshape(-1, 3)
        layer.set_colours(colours)
        poly = self.markers.get(kind)
        if poly is not None:
            poly.point_data["rgb"][:] = colours
            poly.GetPointData().GetArray("rgb").Modified()
            poly.Modified()

    def set_alerts(self, device_ids: list[str], colours: np.ndarray, point_size: float) -> None:
        """Large pins over the devices that need attention (alarm, fault), drawn above the
        markers: a red dot among two thousand green ones must be seen from across the room."""
        if self.overlay is None:
            return
        where = {d.id: d for d in self.scene.devices}
        devs = [where[i] for i in device_ids if i in where]
        pts = np.array(
            [[d.x, d.y, d.z + max(CATALOGUE[d.kind].mount_height, 1.0) + 1.5] for d in devs]
        ).reshape(-1, 3)
        poly = pv.PolyData(pts) if len(pts) else pv.PolyData()
        if len(pts):
            poly.point_data["rgb"] = np.asarray(colours, dtype=np.uint8).reshape(-1, 3)
        actor = self.actors.get("alerts")
        if actor is None:
            mapper = vtk.vtkPolyDataMapper()
            actor = rgb_points_actor(mapper)
            prop = actor.GetProperty()
            prop.SetRepresentationToPoints()
            prop.SetRenderPointsAsSpheres(True)
            prop.LightingOff()
            self.overlay.AddActor(actor)
            self.actors["alerts"] = actor
        actor.GetMapper().SetInputData(poly)
        actor.GetProperty().SetPointSize(point_size)
        actor.SetVisibility(bool(len(pts)))

    def rescale_glyphs(self, metres_per_pixel: float) -> None:
        """Adapt to the zoom: glyph magnification and level of detail, BIM detail."""
        for kind, layer in self.glyphs.items():
            layer.set_scale(display_scale(kind, metres_per_pixel))
        if "bim_far" in self.actors:
            far = metres_per_pixel > BIM_FAR_MPP
            self.actors["bim"].SetVisibility(not far)
            self.actors["bim_far"].SetVisibility(far)


def _project(plotter: pv.Plotter, pts: np.ndarray) -> np.ndarray:
    """Normalised view coordinates (-1..1) of world points for the current camera."""
    ren = plotter.renderer
    cam = ren.GetActiveCamera()
    w, h = ren.GetSize()
    m = cam.GetCompositeProjectionTransformMatrix(w / max(h, 1), -1, 1)
    mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
    hom = np.column_stack([pts, np.ones(len(pts))]) @ mat.T
    return hom[:, :2] / hom[:, 3:4]


def frame_overview(
    plotter: pv.Plotter,
    scene: Scene,
    size: tuple[int, int],
    pitch: float = 52.0,
    heading: float = 0.0,
    fill: float = 0.92,
) -> float:
    """Frame the whole scene obliquely (looking ``heading``, ``pitch`` degrees down) so that its
    bounding box fills ``fill`` of the frame. Returns metres per pixel at the centre."""
    return frame_bounds(plotter, scene.bounds(), size, pitch, heading, fill)


def frame_community(
    plotter: pv.Plotter,
    scene: Scene,
    size: tuple[int, int],
    pitch: float = 52.0,
    heading: float = 0.0,
    fill: float = 0.92,
) -> float:
    """Frame the community a scene file declares (its boundary's box on the ground)
    obliquely so that it fills ``fill`` of the frame's width or height; the whole scene when
    the scene file declares none. Returns metres per pixel at the centre."""
    com = scene.community
    if com is None or not com.declared or com.bounds[2] <= com.bounds[0]:
        return frame_overview(plotter, scene, size, pitch, heading, fill)
    x0, y0, x1, y1 = com.bounds
    z0 = scene.bounds()[4]
    # the ground's box, a storey or so high: a tower's top may leave the frame, the
    # community's ground does not
    return frame_bounds(plotter, (x0, x1, y0, y1, z0, z0 + 10.0), size, pitch, heading, fill)


def frame_bounds(
    plotter: pv.Plotter,
    bounds: tuple[float, float, float, float, float, float],
    size: tuple[int, int],
    pitch: float = 52.0,
    heading: float = 0.0,
    fill: float = 0.92,
) -> float:
    """Frame a box (xmin, xmax, ymin, ymax, zmin, zmax; local metres) obliquely, looking
    ``heading``, ``pitch`` degrees down, so that it fills ``fill`` of the frame. Returns metres
    per pixel at the centre."""
    xmin, xmax, ymin, ymax, zmin, zmax = bounds
    # a lone device or a tiny scene still gets a 60 m wide view
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    xmin, xmax = min(xmin, cx - 30), max(xmax, cx + 30)
    ymin, ymax = min(ymin, cy - 30), max(ymax, cy + 30)
    zmax = max(zmax, zmin + 5)
    corners = np.array(
        [[x, y, z] for x in (xmin, xmax) for y in (ymin, ymax) for z in (zmin, zmax)]
    )
    p, hd = math.radians(pitch), math.radians(heading)
    fwd = np.array([math.sin(hd) * math.cos(p), math.cos(hd) * math.cos(p), -math.sin(p)])
    focal = corners.mean(axis=0)
    dist = float(np.linalg.norm(corners.max(axis=0) - corners.min(axis=0))) or 100.0
    cam = plotter.camera
    cam.view_angle = 30.0
    cam.up = (0.0, 0.0, 1.0)
    for _ in range(6):  # perspective: re-centre and re-scale on the projected box
        cam.focal_point = tuple(focal)
        cam.position = tuple(focal - fwd * dist)
        ndc = _project(plotter, corners)
        lo, hi = ndc.min(axis=0), ndc.max(axis=0)
        span = float(max(hi[0] - lo[0], hi[1] - lo[1])) / 2
        if abs(span - fill) < 0.01 and np.all(np.abs((lo + hi) / 2) < 0.01):
            break
        # shift the focal point toward the projected centre, in the camera's right / up plane
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        half_h = dist * math.tan(math.radians(15.0))
        half_w = half_h * size[0] / size[1]
        c = (lo + hi) / 2
        focal = focal + right * c[0] * half_w + up * c[1] * half_h
        dist *= span / fill
    plotter.renderer.ResetCameraClippingRange()
    return 2 * dist * math.tan(math.radians(15.0)) / size[1]


def frame_bookmark(
    plotter: pv.Plotter,
    x: float,
    y: float,
    distance: float,
    heading: float,
    pitch: float,
    size: tuple[int, int],
) -> float:
    p, hd = math.radians(pitch), math.radians(heading)
    fwd = np.array([math.sin(hd) * math.cos(p), math.cos(hd) * math.cos(p), -math.sin(p)])
    focal = np.array([x, y, 0.0])
    cam = plotter.camera
    cam.focal_point = tuple(focal)
    cam.position = tuple(focal - fwd * distance)
    cam.up = (0.0, 0.0, 1.0)
    cam.view_angle = 30.0
    plotter.renderer.ResetCameraClippingRange()
    return 2 * distance * math.tan(math.radians(15.0)) / size[1]
