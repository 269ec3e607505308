"""Devices as instanced glyphs: one vtkGlyph3DMapper per device kind, never one actor per device.

Each kind's points carry a per-device colour (uint8 RGB) and rotation, so restyling a device is
one array write. Models come from ``models/<kind>.ply`` (metres, foot at the origin, front +Y).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyvista as pv

from twin.core.paths import MODELS_DIR
from twin.render import vtkparts as vtk
from twin.render.style import rgb
from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import Device

REAL_SIZE_KINDS = frozenset({"parking_space", "fence_segment"})
"""Kinds drawn at their real size at any zoom (they tile lots and perimeters)."""
FLAT_KINDS = frozenset({"manhole", "smoke_detector", "irrigation"})


@cache
def load_model(kind: str) -> pv.PolyData:
    path = MODELS_DIR / CATALOGUE[kind].model
    mesh = pv.read(path)
    return mesh.triangulate().clean()


@cache
def load_far_model(kind: str) -> pv.PolyData:
    """A coarse version of the model (quadric clustering) for views where it is a few pixels
    across: the shape's silhouette in about 30 triangles (software GL is triangle-bound)."""
    full = load_model(kind)
    if full.n_cells <= 60:
        return full
    b = full.bounds
    ext = np.array([b[1] - b[0], b[3] - b[2], b[5] - b[4]])
    far = full
    flat = np.array([False, False, ext[2] < 0.12 * ext.max()])  # a manhole disc: one layer in z
    for n in (7, 5, 4, 3, 2):  # the finest grid that brings the model to about 30 triangles
        cluster = vtk.vtkQuadricClustering()
        cluster.SetInputData(full)
        div = np.where(flat, 1, np.clip(np.ceil(n * ext / ext.max()), 2, n)).astype(int)
        cluster.SetNumberOfDivisions(*div.tolist())
        cluster.AutoAdjustNumberOfDivisionsOff()
        cluster.Update()
        out = pv.wrap(cluster.GetOutput())
        if out.n_cells >= 4:
            far = out
        if far.n_cells <= 32:
            break
    return far


FAR_SCALE = 1.5
"""Above this magnification a device is a few pixels across: draw its coarse model."""


def model_size(kind: str) -> float:
    b = load_model(kind).bounds
    return float(max(b[1] - b[0], b[3] - b[2], b[5] - b[4]))


def display_scale(kind: str, metres_per_pixel: float, min_px: float = 11.0) -> float:
    """Magnification so a device stays visible when the view is far away (never below 1)."""
    if kind in REAL_SIZE_KINDS:
        return 1.0
    px = min_px * (0.65 if kind in FLAT_KINDS else 1.0)
    return max(1.0, px * metres_per_pixel / model_size(kind))


@dataclass
class GlyphLayer:
    kind: str
    devices: list[Device]
    points: pv.PolyData
    mapper: vtk.vtkGlyph3DMapper
    actor: vtk.vtkActor

    def set_colours(self, colours: np.ndarray) -> None:
        """Restyle: one array write, one Modified()."""
        self.points.point_data["rgb"][:] = colours
        self.points.GetPointData().GetArray("rgb").Modified()  # the mapper watches the array
        self.points.Modified()

    def set_scale(self, scale: float) -> None:
        self.mapper.SetScaleFactor(scale)
        self.mapper.SetSourceData(
            load_far_model(self.kind) if scale > FAR_SCALE else load_model(self.kind)
        )


def device_points(kind: str, devices: list[Device]) -> pv.PolyData:
    spec = CATALOGUE[kind]
    z = np.array([d.z + (d.mount_height if spec.anchor == "mount" else 0.0) for d in devices])
    pts = np.column_stack([[d.x for d in devices], [d.y for d in devices], z]).astype(np.float64)
    poly = pv.PolyData(pts)
    # rotation about x (tilt, cameras look down) then z (heading clockwise from north)
    rot = np.zeros((len(devices), 3))
    rot[:, 2] = [-d.heading for d in devices]
    if kind == "camera":
        rot[:, 0] = [-(d.tilt or 0.0) for d in devices]
    poly.point_data["rot"] = rot
    poly.point_data["rgb"] = np.tile(np.array(rgb(spec.colour), dtype=np.uint8), (len(devices), 1))
    return poly


def rgb_points_actor(mapper: vtk.vtkMapper) -> vtk.vtkActor:
    """An actor whose points are coloured straight from their uint8 ``rgb`` array (restyling a
    device is a write into that array)."""
    mapper.SetColorModeToDirectScalars()
    mapper.SetScalarModeToUsePointFieldData()
    mapper.SelectColorArray("rgb")
    mapper.ScalarVisibilityOn()
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    return actor


def glyph_layer(kind: str, devices: list[Device], scale: float) -> GlyphLayer:
    pts = device_points(kind, devices)
    mapper = vtk.vtkGlyph3DMapper()
    mapper.SetInputData(pts)
    mapper.SetSourceData(load_far_model(kind) if scale > FAR_SCALE else load_model(kind))
    mapper.SetOrientationModeToRotation()
    mapper.SetOrientationArray("rot")
    mapper.OrientOn()
    mapper.ScalingOn()
    mapper.SetScaleModeToNoDataScaling()
    mapper.SetScaleFactor(scale)
    actor = rgb_points_actor(mapper)
    prop = actor.GetProperty()
    prop.SetAmbient(0.35)
    prop.SetDiffuse(0.75)
    prop.BackfaceCullingOn()  # models are closed parts with outward normals
    return GlyphLayer(kind, devices, pts, mapper, actor)
