"""What blocks a camera's view: the scene's buildings (GIS extrusions, CityJSON solids) and BIM
shells as a height field, and the exact line-of-sight test over it.

The field is sampled at the centre of cells of ``OCCLUDER_CELL_M`` (finer than the coverage
grid, so a wall half a metre thick is still a wall): each cell holds the top of the highest
surface over it and the foot of the solids over it: the ground, or for a building part that
floats (OSM ``min_height``: an arcade, a bridge between wings) the foot of the walls hanging
from its roof, so a view passes under it. A ray is blocked where it passes through a cell
between that cell's bottom and top; the cells a ray crosses are walked exactly (Amanatides &
Woo), comparing the ray's height range inside each cell. Nothing else blocks a view: no
invented trees or walls (only what the data has).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from twin.scene.scene import Scene

OCCLUDER_CELL_M = 0.5
"""Cell size of the occluder height field, metres."""
OCCLUDING_MESHES = ("building", "bim")
BRACKET_M = 0.5
"""Nothing within this of the lens blocks it: the camera's bracket holds it off its wall or
pole (map positions of facade cameras lie on, or a little inside, the wall)."""
"""The scene meshes that block views (roads, greens and water lie flat on the ground)."""


@dataclass
class Occluders:
    """A height field of what blocks views: ``top`` / ``bottom`` (metres) per cell of a grid
    with lower-left corner ``(x0, y0)`` and cells of ``cell`` metres; ``top`` 0 where nothing
    stands."""

    x0: float
    y0: float
    cell: float
    top: np.ndarray  # float32 (ny, nx)
    bottom: np.ndarray  # float32 (ny, nx)

    @property
    def shape(self) -> tuple[int, int]:
        return self.top.shape  # type: ignore[return-value]

    def _cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ny, nx = self.top.shape
        ix = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.int64)
        return ix, iy, (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)

    def open_at(self, x: np.ndarray, y: np.ndarray, clearance: float = 2.0) -> np.ndarray:
        """Where a person can stand: nothing built there, or a building part floating at
        least ``clearance`` metres above the ground (an arcade, a passage)."""
        ix, iy, ok = self._cells(x, y)
        out = np.ones(ix.shape, dtype=bool)
        t, b = self.top[iy[ok], ix[ok]], self.bottom[iy[ok], ix[ok]]
        out[ok] = (t <= 0.01) | (b >= clearance)
        return out

    def height_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Top of the occluder at points (0 outside the field or where nothing stands)."""
        ix, iy, ok = self._cells(x, y)
        out = np.zeros(ix.shape, dtype=np.float32)
        out[ok] = self.top[iy[ok], ix[ok]]
        return out


def occluders_of(
    scene: Scene, bounds: tuple[float, float, float, float], cell: float = OCCLUDER_CELL_M
) -> Occluders:
    """The occluder height field of ``scene`` over ``bounds`` (xmin, ymin, xmax, ymax, local
    metres), from its building and BIM meshes."""
    xmin, ymin, xmax, ymax = bounds
    nx = max(1, int(math.ceil((xmax - xmin) / cell)))
    ny = max(1, int(math.ceil((ymax - ymin) / cell)))
    top = np.zeros((ny, nx), dtype=np.float32)
    bottom = np.full((ny, nx), np.inf, dtype=np.float32)
    layers = np.zeros((ny, nx), dtype=np.int32)
    for name in OCCLUDING_MESHES:
        mesh = scene.meshes.get(name)
        if mesh is None or not len(mesh.faces):
            continue
        pts = np.ascontiguousarray(mesh.points, dtype=np.float64)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        # only the triangles over the field
        fx, fy = pts[faces, 0], pts[faces, 1]
        over = (
            (fx.max(axis=1) >= xmin)
            & (fx.min(axis=1) <= xmax)
            & (fy.max(axis=1) >= ymin)
            & (fy.min(axis=1) <= ymax)
        )
        faces = np.ascontiguousarray(faces[over])
        _rasterise(pts, faces, _feet(pts, faces), xmin, ymin, cell, top, bottom, layers)
    bottom[~np.isfinite(bottom)] = 0.0
    return Occluders(xmin, ymin, cell, top, bottom)


def _feet(pts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per triangle, the height its solid stands on: for a roof, the foot of the walls that
    hang from its edges (a building part with a min_height floats above the ground: the space
    under it is open); 0 (the ground) for surfaces no wall hangs from (closed solids, BIM)."""
    tri = pts[faces]  # (n, 3, 3)
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    wall = np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) < 1e-9
    out = np.zeros(len(faces), dtype=np.float64)
    if not wall.any() or wall.all():
        return out
    wt = tri[wall]
    z0, z1 = wt[:, :, 2].min(axis=1), wt[:, :, 2].max(axis=1)
    top = wt[:, :, 2] == z1[:, None]  # the wall's upper corners, where a roof edge meets it
    feet = np.broadcast_to(z0[:, None], top.shape)[top]
    roofs = np.flatnonzero(~wall)
    # vertex positions to the millimetre; walls' upper corners and roofs' corners together
    rows = np.round(np.concatenate([wt[top], tri[roofs].reshape(-1, 3)]) * 1000).astype(np.int64)
    _, inv = np.unique(rows, axis=0, return_inverse=True)
    inv = inv.ravel()
    lowest = np.full(int(inv.max()) + 1, np.inf)
    np.minimum.at(lowest, inv[: len(feet)], feet)
    corner = lowest[inv[len(feet) :]].reshape(-1, 3)
    hung = np.isfinite(corner).all(axis=1)
    out[roofs] = np.where(hung, corner.min(axis=1), 0.0)
    return out


@njit(cache=True)
def _rasterise(pts, faces, feet, x0, y0, cell, top, bottom, layers):  # pragma: no cover
    """Each non-vertical triangle raises, at the cell centres it covers, the top to its height
    there (barycentric interpolation) and lowers the bottom to the foot of its solid."""
    ny, nx = top.shape
    for f in range(faces.shape[0]):
        a, b, c = faces[f, 0], faces[f, 1], faces[f, 2]
        ax, ay, az = pts[a, 0], pts[a, 1], pts[a, 2]
        bx, by, bz = pts[b, 0], pts[b, 1], pts[b, 2]
        cx, cy, cz = pts[c, 0], pts[c, 1], pts[c, 2]
        det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy)
        if abs(det) < 1e-9:
            continue  # vertical (a wall): its roof and floor carry it
        i0 = max(0, int(math.floor((min(ax, bx, cx) - x0) / cell - 0.5)))
        i1 = min(nx - 1, int(math.ceil((max(ax, bx, cx) - x0) / cell - 0.5)))
        j0 = max(0, int(math.floor((min(ay, by, cy) - y0) / cell - 0.5)))
        j1 = min(ny - 1, int(math.ceil((max(ay, by, cy) - y0) / cell - 0.5)))
        for j in range(j0, j1 + 1):
            py = y0 + (j + 0.5) * cell
            for i in range(i0, i1 + 1):
                px = x0 + (i + 0.5) * cell
                w1 = ((by - cy) * (px - cx) + (cx - bx) * (py - cy)) / det
                w2 = ((cy - ay) * (px - cx) + (ax - cx) * (py - cy)) / det
                w3 = 1.0 - w1 - w2
                if w1 < -1e-9 or w2 < -1e-9 or w3 < -1e-9:
                    continue
                z = w1 * az + w2 * bz + w3 * cz
                if z > top[j, i]:
                    top[j, i] = z
                if feet[f] < bottom[j, i]:
                    bottom[j, i] = feet[f]
                layers[j, i] += 1


@njit(cache=True)
def blocked(cx, cy, cz, tx, ty, tz, top, bottom, x0, y0, cell, bracket):  # pragma: no cover
    """Whether the segment from the camera ``(cx, cy, cz)`` to the target ``(tx, ty, tz)``
    passes through an occluder. The target's own cell does not block it (a target inside a
    building is excluded by the caller; a camera inside one is moved onto its facade first),
    nor does anything within ``bracket`` metres of the lens."""
    ny, nx = top.shape
    dx = tx - cx
    dy = ty - cy
    length = math.sqrt(dx * dx + dy * dy)
    ix = int(math.floor((cx - x0) / cell))
    iy = int(math.floor((cy - y0) / cell))
    tix = int(math.floor((tx - x0) / cell))
    tiy = int(math.floor((ty - y0) / cell))
    if length < 1e-9:
        return False
    step_x = 1 if dx > 0 else -1
    step_y = 1 if dy > 0 else -1
    if dx != 0.0:
        edge = x0 + (ix + (1 if dx > 0 else 0)) * cell
        t_max_x = (edge - cx) / dx
        t_dx = cell / abs(dx)
    else:
        t_max_x = math.inf
        t_dx = math.inf
    if dy != 0.0:
        edge = y0 + (iy + (1 if dy > 0 else 0)) * cell
        t_max_y = (edge - cy) / dy
        t_dy = cell / abs(dy)
    else:
        t_max_y = math.inf
        t_dy = math.inf
    dz = tz - cz
    s_in = 0.0
    for _ in range(1_000_000):
        if ix == tix and iy == tiy:
            return False
        s_out = min(t_max_x, t_max_y, 1.0)
        hit = False
        if 0 <= ix < nx and 0 <= iy < ny:
            t = top[iy, ix]
            if t > 0.0:
                z1 = cz + dz * s_in
                z2 = cz + dz * s_out
                lo = min(z1, z2)
                hi = max(z1, z2)
                hit = lo < t and hi > bottom[iy, ix]
        if hit and s_out * length > bracket:
            return True
        if s_out >= 1.0:
            return False
        s_in = s_out
        if t_max_x < t_max_y:
            ix += step_x
            t_max_x += t_dx
        else:
            iy += step_y
            t_max_y += t_dy
    return False
