"""Camera view frusta: what each camera sees, drawn as a translucent pyramid with outlined edges.

A camera looks from its mount point along its heading (degrees clockwise from north; +y is
north, +x east), tilted down by its tilt. Rays that reach the ground end there, so a frustum
shows the patch of ground the camera covers. A panorama camera (field of view of 180 degrees
or more) is drawn as a flat disc (or sector) of its reach on the ground.
"""

from __future__ import annotations

import math

import numpy as np
import pyvista as pv

from twin.render import vtkparts as vtk
from twin.scene.catalogue import CAMERA_DEFAULTS
from twin.scene.entities import Device

GROUND_Z = 0.2
"""Height of the ground plane the rays stop at (just above the flat surfaces)."""
REACH = {"hd": 40.0, "ai": 25.0, "perimeter": 35.0, "panorama": 60.0}
"""How far each camera sub-kind sees usefully (metres)."""
DEFAULT_FOV = {"hd": 90.0, "ai": 60.0, "perimeter": 60.0, "panorama": 360.0}
MAX_VFOV = 60.0
PANORAMA_FOV = 180.0
"""A horizontal field of view from this on is drawn as a sector on the ground."""
FACES_PER_PYRAMID = 5
"""Four sides and the far face."""
SEGMENTS_PER_TURN = 48


def _params(cam: Device, reach: dict[str, float] | None) -> tuple[float, float, float]:
    """(horizontal fov, tilt, reach) of a camera, from its data or its sub-kind's defaults."""
    sub = cam.subkind if cam.subkind in DEFAULT_FOV else "hd"
    fov = float(cam.fov) if cam.fov else DEFAULT_FOV[sub]
    tilt = float(cam.tilt) if cam.tilt is not None else CAMERA_DEFAULTS[sub]["tilt"]
    r = REACH[sub]
    if reach:
        r = reach.get(cam.id, reach.get(sub, r))
    return min(fov, 360.0), tilt, float(r)


def _pyramid(cam: Device, fov: float, tilt: float, reach: float) -> np.ndarray:
    """Apex and the four far corners (5, 3) of a camera's view pyramid, rays cut at the ground."""
    apex = np.array([cam.x, cam.y, cam.z + cam.mount_height], dtype=np.float64)
    h, t = math.radians(cam.heading), math.radians(tilt)
    fwd = np.array([math.sin(h) * math.cos(t), math.cos(h) * math.cos(t), -math.sin(t)])
    right = np.array([math.cos(h), -math.sin(h), 0.0])
    up = np.cross(right, fwd)
    th = math.tan(math.radians(fov / 2))
    tv = math.tan(math.radians(min(fov * 9 / 16, MAX_VFOV) / 2))
    # corners in order: bottom-left, bottom-right, top-right, top-left
    dirs = np.array(
        [fwd + sx * th * right + sy * tv * up for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    )
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    length = np.full(4, reach)
    if apex[2] > GROUND_Z:
        down = dirs[:, 2] < 0
        length[down] = np.minimum(reach, (apex[2] - GROUND_Z) / -dirs[down, 2])
    return np.vstack([apex, apex + dirs * length[:, None]])


def _sector(cam: Device, fov: float, reach: float) -> np.ndarray:
    """Centre and the arc points of a panorama camera's sector on the ground."""
    n = max(8, math.ceil(fov / 360.0 * SEGMENTS_PER_TURN))
    full = fov >= 360.0
    a0 = math.radians(cam.heading - fov / 2)
    ang = a0 + np.arange(n if full else n + 1) * math.radians(fov) / n
    arc = np.column_stack(
        [cam.x + reach * np.sin(ang), cam.y + reach * np.cos(ang), np.full(len(ang), GROUND_Z)]
    )
    return np.vstack([[cam.x, cam.y, GROUND_Z], arc])


def _geometry(
    cameras: list[Device], reach: dict[str, float] | None
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    """Points, faces (per camera, global point ids), lines, and each face's / line's camera."""
    pts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    lines: list[np.ndarray] = []
    face_cam: list[int] = []
    line_cam: list[int] = []
    off = 0
    for k, cam in enumerate(cameras):
        fov, tilt, r = _params(cam, reach)
        if fov >= PANORAMA_FOV:
            p = _sector(cam, fov, r)
            m = len(p) - 1  # arc points
            full = fov >= 360.0
            nseg = m if full else m - 1
            a = np.arange(nseg)
            b = (a + 1) % m
            f = np.column_stack([np.zeros(nseg, dtype=np.int64), a + 1, b + 1])
            ln = [np.column_stack([a + 1, b + 1])]
            if not full:
                ln.append(np.array([[0, 1], [0, m]]))
            e = np.concatenate(ln)
        else:
            p = _pyramid(cam, fov, tilt, r)
            f = np.array([[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 1]], dtype=np.int64)
            e = np.array(
                [[0, 1], [0, 2], [0, 3], [0, 4], [1, 2], [2, 3], [3, 4], [4, 1]], dtype=np.int64
            )
        pts.append(p)
        faces.extend(f + off)
        if fov < PANORAMA_FOV:
            faces.append(np.array([1, 2, 3, 4], dtype=np.int64) + off)  # the far face
        lines.append(e + off)
        face_cam += [k] * (len(f) + (0 if fov >= PANORAMA_FOV else 1))
        line_cam += [k] * len(e)
        off += len(p)
    allp = np.concatenate(pts) if pts else np.zeros((0, 3))
    return (
        allp,
        faces,
        lines,
        np.array(face_cam, dtype=np.int64),
        np.array(line_cam, dtype=np.int64),
    )


def _colours(colours: np.ndarray, n: int) -> np.ndarray:
    c = np.asarray(colours, dtype=np.uint8).reshape(-1, 3)
    if len(c) != n:
        raise ValueError(f"{len(c)} colours for {n} cameras")
    return c


def frustum_polydata(
    cameras: list[Device], colours: np.ndarray, reach: dict[str, float] | None = None
) -> pv.PolyData:
    """One view pyramid per camera (a ground sector for panoramas), cell array ``rgb`` (uint8)
    from the camera's colour and ``camera`` (index into ``cameras``). ``reach``: metres per
    camera id or per sub-kind, overriding :data:`REACH`."""
    cols = _colours(colours, len(cameras))
    pts, faces, _, face_cam, _ = _geometry(cameras, reach)
    if not faces:
        return pv.PolyData()
    cells = np.concatenate([np.concatenate([[len(f)], f]) for f in faces]).astype(np.int64)
    poly = pv.PolyData(pts, cells)
    poly.cell_data["rgb"] = cols[face_cam]
    poly.cell_data["camera"] = face_cam
    return poly


def frustum_edges(
    cameras: list[Device], colours: np.ndarray, reach: dict[str, float] | None = None
) -> pv.PolyData:
    """The frusta's outline edges as line cells, ``rgb`` and ``camera`` per line (so a frustum
    reads even against a wall)."""
    cols = _colours(colours, len(cameras))
    pts, _, lines, _, line_cam = _geometry(cameras, reach)
    if not lines:
        return pv.PolyData()
    seg = np.concatenate(lines)
    cells = np.column_stack([np.full(len(seg), 2, dtype=np.int64), seg]).ravel()
    poly = pv.PolyData(pts, lines=cells)
    poly.cell_data["rgb"] = cols[line_cam]
    poly.cell_data["camera"] = line_cam
    return poly


def _rgb_cell_actor() -> vtk.vtkActor:
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetColorModeToDirectScalars()
    mapper.SetScalarModeToUseCellFieldData()
    mapper.SelectColorArray("rgb")
    mapper.ScalarVisibilityOn()
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().LightingOff()
    return actor


def set_frusta(
    actors: tuple[vtk.vtkActor, vtk.vtkActor],
    cameras: list[Device],
    colours: np.ndarray,
    reach: dict[str, float] | None = None,
) -> None:
    """Replace the frusta shown by ``actors`` (from :func:`add_frusta`) in place: new inputs,
    no new actors. No cameras: the actors are hidden."""
    faces, edges = actors
    poly = frustum_polydata(cameras, colours, reach)
    lines = frustum_edges(cameras, colours, reach)
    faces.GetMapper().SetInputData(poly)
    edges.GetMapper().SetInputData(lines)
    shown = bool(cameras)
    faces.SetVisibility(shown)
    edges.SetVisibility(shown)


def add_frusta(
    plotter: pv.Plotter,
    cameras: list[Device],
    colours: np.ndarray,
    name: str = "frusta",
    opacity: float = 0.28,
    reach: dict[str, float] | None = None,
) -> tuple[vtk.vtkActor, vtk.vtkActor]:
    """Add the cameras' frusta (translucent faces, opaque edges) to ``plotter`` as two actors,
    named ``name`` and ``name + "_edges"``; restyle them later with :func:`set_frusta`."""
    faces, edges = _rgb_cell_actor(), _rgb_cell_actor()
    prop = faces.GetProperty()
    prop.SetOpacity(opacity)
    prop.BackfaceCullingOff()
    faces.GetMapper().SetResolveCoincidentTopologyToPolygonOffset()
    edges.GetProperty().SetLineWidth(1.5)
    edges.GetProperty().SetOpacity(min(1.0, opacity * 3))
    set_frusta((faces, edges), cameras, colours, reach)
    plotter.add_actor(faces, name=name, reset_camera=False, pickable=False)
    plotter.add_actor(edges, name=name + "_edges", reset_camera=False, pickable=False)
    return faces, edges
