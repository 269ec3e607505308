"""Camera coverage: what each camera sees on a grid over the community, at which DORI level,
occluded by buildings, and the best level any camera reaches in each cell.

A camera is a pinhole at its mount point looking along its heading, tilted down by its tilt,
with a horizontal field of view and the vertical one its aspect ratio gives (panoramas, 180
deg or more, see a band 90 deg high around their tilt, all round). A target (a face at 1.6 m,
a vehicle's front at 1.0 m: ``twin.scene.standards``) over a grid cell's centre is seen when
it lies inside that frustum, nearer than the detection distance, and the line from the camera
to it passes through no occluder (``twin.analysis.occluders``). Its pixel density is the
image width over the width of the view at the target's depth along the optical axis,
``W / (2 z tan(HFOV / 2))``, the quantity of EN 62676-4's D = W / (PPM x 2 tan(HFOV / 2)); the
DORI level is the highest whose density it reaches.

Results are arrays: each camera's footprint (the cells it sees and the level in each) and, per
cell, how many cameras reach each level, so moving, adding or removing one camera only
recomputes that camera's footprint and the cells it touches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from twin.analysis.occluders import BRACKET_M, Occluders, blocked
from twin.scene.catalogue import CAMERA_DEFAULTS
from twin.scene.entities import Device
from twin.scene.standards import DORI_LEVELS, DORI_PPM, dori_distance

PANORAMA_BAND_DEG = 90.0
"""Vertical extent of a panorama camera's view, centred on its tilt."""
_PPM = np.array(list(DORI_PPM.values()), dtype=np.float64)
N_LEVELS = len(DORI_PPM)


@dataclass(frozen=True)
class CameraOptics:
    """A camera as coverage sees it: where, which way, how wide and how sharp."""

    id: str
    subkind: str
    x: float
    y: float
    z: float
    """Height of the lens above the ground plane, metres (foot elevation + mount height)."""
    heading: float
    """Degrees clockwise from north."""
    tilt: float
    """Degrees below horizontal."""
    hfov: float
    width_px: int
    height_px: int
    synthetic: bool = False

    @property
    def vfov(self) -> float:
        """Vertical field of view, degrees, from the aspect ratio (a band for panoramas)."""
        if self.hfov >= 180.0:
            return PANORAMA_BAND_DEG
        half = math.atan(math.tan(math.radians(self.hfov) / 2) * self.height_px / self.width_px)
        return math.degrees(2 * half)

    def distance(self, level: str) -> float:
        """Depth along the optical axis at which the camera still reaches ``level``."""
        return dori_distance(self.width_px, self.hfov, DORI_PPM[level])

    def reach(self) -> float:
        """Horizontal distance beyond which nothing is detected (the frustum's far corner)."""
        d = self.distance("detection")
        if self.hfov >= 180.0:
            return d
        th = math.tan(math.radians(self.hfov) / 2)
        tv = math.tan(math.radians(self.vfov) / 2)
        return d * math.sqrt(1 + th * th + tv * tv)

    def moved(self, **changes: float | int | str) -> CameraOptics:
        """A copy with some fields changed (a planner's what-if)."""
        values = {f: getattr(self, f) for f in self.__dataclass_fields__}
        values.update(changes)
        return CameraOptics(**values)  # type: ignore[arg-type]


def optics_of(device: Device) -> CameraOptics:
    """The optics of a camera device: its own figures where the data gives them (``fov``,
    ``tilt``, ``resolution_px`` from a device list's resolution), its sub-kind's defaults
    otherwise."""
    sub = device.subkind if device.subkind in CAMERA_DEFAULTS else "hd"
    d = CAMERA_DEFAULTS[sub]
    res = device.props.get("resolution_px")
    w, h = (int(res[0]), int(res[1])) if res else (int(d["width_px"]), int(d["height_px"]))
    return CameraOptics(
        device.id,
        sub,
        float(device.x),
        float(device.y),
        float(device.z) + float(device.mount_height),
        float(device.heading),
        float(device.tilt if device.tilt is not None else d["tilt"]),
        float(device.fov if device.fov is not None else d["fov"]),
        w,
        h,
        device.synthetic,
    )


@dataclass(frozen=True)
class Grid:
    """Square cells of ``cell`` metres; cell ``(i, j)`` has its lower-left corner at
    ``(x0 + i cell, y0 + j cell)``; its index is ``j * nx + i``."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @classmethod
    def over(cls, bounds: tuple[float, float, float, float], cell: float = 1.0) -> Grid:
        """The grid covering ``bounds`` (xmin, ymin, xmax, ymax)."""
        xmin, ymin, xmax, ymax = bounds
        return cls(
            xmin,
            ymin,
            cell,
            max(1, math.ceil((xmax - xmin) / cell)),
            max(1, math.ceil((ymax - ymin) / cell)),
        )

    @property
    def size(self) -> int:
        return self.nx * self.ny

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, in index order."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        gx, gy = np.meshgrid(xs, ys)
        return gx.ravel(), gy.ravel()

    def index_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cell index of points (-1 outside the grid)."""
        ix = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(ok, iy * self.nx + ix, -1)


@dataclass
class Footprint:
    """What one camera sees at one target height: grid cell indices and the DORI level (1-4)
    and pixel density in each."""

    camera: CameraOptics
    cells: np.ndarray  # int64
    levels: np.ndarray  # uint8
    ppm: np.ndarray  # float32


def footprint(
    cam: CameraOptics, grid: Grid, occ: Occluders, target_h: float, outdoor: np.ndarray
) -> Footprint:
    """The cells of ``grid`` where ``cam`` sees a target ``target_h`` above the ground, and how
    sharply (cells that are not ``outdoor`` are skipped: a target cannot stand in a wall). A
    camera whose position lies inside a building is first moved out onto its facade
    (:func:`on_facade`); the footprint's camera is the one used."""
    cam = on_facade(cam, occ)
    cells, ppm = _footprint(
        cam.x,
        cam.y,
        cam.z,
        math.radians(cam.heading),
        math.radians(cam.tilt),
        math.radians(cam.hfov),
        math.radians(cam.vfov),
        float(cam.width_px),
        cam.reach(),
        target_h,
        grid.x0,
        grid.y0,
        grid.cell,
        grid.nx,
        grid.ny,
        outdoor.reshape(grid.ny, grid.nx),
        occ.top,
        occ.bottom,
        occ.x0,
        occ.y0,
        occ.cell,
        BRACKET_M,
        _PPM[0],
    )
    levels = np.searchsorted(_PPM, ppm, side="right").astype(np.uint8)
    return Footprint(cam, cells, levels, ppm.astype(np.float32))


FACADE_SEARCH_M = 3.0
"""How far a camera found inside a building's outline is looked for a way out onto its facade
(map positions of facade cameras are often a metre inside the outline)."""
FACADE_CLEARANCE_M = 0.5
"""How far outside the occupied cells a camera moved onto a facade is put."""


def on_facade(cam: CameraOptics, occ: Occluders) -> CameraOptics:
    """``cam`` unchanged when its lens is in the open; when it lies inside a building (below
    its top), moved out to the nearest facade within :data:`FACADE_SEARCH_M` - first straight
    ahead along its heading, then in the other directions - and :data:`FACADE_CLEARANCE_M`
    past it. A camera deep inside (an indoor camera) stays where it is: it sees no outdoors."""
    if not _inside(occ, cam.x, cam.y, cam.z):
        return cam
    h = math.radians(cam.heading)
    for turn in (0, 45, -45, 90, -90, 135, -135, 180):
        a = h + math.radians(turn)
        dx, dy = math.sin(a), math.cos(a)
        for k in range(1, int(FACADE_SEARCH_M / 0.1) + 1):
            r = k * 0.1
            if not _inside(occ, cam.x + dx * r, cam.y + dy * r, cam.z):
                r += FACADE_CLEARANCE_M
                return cam.moved(x=cam.x + dx * r, y=cam.y + dy * r)
    return cam


def _inside(occ: Occluders, x: float, y: float, z: float) -> bool:
    ny, nx = occ.top.shape
    i = int(math.floor((x - occ.x0) / occ.cell))
    j = int(math.floor((y - occ.y0) / occ.cell))
    if not (0 <= i < nx and 0 <= j < ny):
        return False
    return bool(occ.top[j, i] > 0 and occ.bottom[j, i] <= z < occ.top[j, i])


@njit(cache=True)
def _footprint(
    cx, cy, cz, heading, tilt, hfov, vfov, width_px, reach, th,
    gx0, gy0, gcell, gnx, gny, outdoor, top, bottom, ox0, oy0, ocell, bracket, ppm_min,
):  # fmt: skip  # pragma: no cover - numba
    # camera axes: forward (tilted down), right, up; east = x, north = y
    sh, ch = math.sin(heading), math.cos(heading)
    st, ct = math.sin(tilt), math.cos(tilt)
    fx, fy, fz = sh * ct, ch * ct, -st
    rx, ry = ch, -sh
    ux, uy, uz = sh * st, ch * st, ct
    panorama = hfov >= math.pi
    tan_h = math.tan(hfov / 2) if not panorama else 0.0
    tan_v = math.tan(vfov / 2)
    i0 = max(0, int(math.floor((cx - reach - gx0) / gcell)))
    i1 = min(gnx - 1, int(math.floor((cx + reach - gx0) / gcell)))
    j0 = max(0, int(math.floor((cy - reach - gy0) / gcell)))
    j1 = min(gny - 1, int(math.floor((cy + reach - gy0) / gcell)))
    n = max(0, (i1 - i0 + 1) * (j1 - j0 + 1))
    cells = np.empty(n, dtype=np.int64)
    dens = np.empty(n, dtype=np.float64)
    k = 0
    for j in range(j0, j1 + 1):
        py = gy0 + (j + 0.5) * gcell
        for i in range(i0, i1 + 1):
            if not outdoor[j, i]:
                continue
            px = gx0 + (i + 0.5) * gcell
            vx, vy, vz = px - cx, py - cy, th - cz
            dh = math.sqrt(vx * vx + vy * vy)
            if dh > reach or dh < 1e-6:
                continue
            if panorama:
                # cylindrical: all round, a band around the tilt; density over the arc
                dep = math.atan2(-vz, dh)
                if abs(dep - tilt) > vfov / 2:
                    continue
                ppm = width_px / (hfov * math.sqrt(dh * dh + vz * vz))
            else:
                zc = vx * fx + vy * fy + vz * fz
                if zc <= 1e-6:
                    continue
                xc = vx * rx + vy * ry
                yc = vx * ux + vy * uy + vz * uz
                if abs(xc) > tan_h * zc or abs(yc) > tan_v * zc:
                    continue
                ppm = width_px / (2.0 * zc * tan_h)
            if ppm < ppm_min:
                continue
            if blocked(cx, cy, cz, px, py, th, top, bottom, ox0, oy0, ocell, bracket):
                continue
            cells[k] = j * gnx + i
            dens[k] = ppm
            k += 1
    return cells[:k], dens[:k]


@dataclass
class CoverageMap:
    """The best DORI level per grid cell over a set of cameras at one target height, kept up
    to date camera by camera: ``put`` (add or move), ``remove``."""

    grid: Grid
    occluders: Occluders
    target_h: float
    outdoor: np.ndarray
    """Per cell: a target can stand there (inside no building)."""
    footprints: dict[str, Footprint] = field(default_factory=dict)
    counts: np.ndarray = field(init=False)
    """(levels, cells): how many cameras reach at least level k + 1 in each cell."""
    best: np.ndarray = field(init=False)
    """Per cell: the best level any camera reaches (0 none ... 4 identification)."""

    version: int = field(init=False, default=0)
    """Counts the changes (a reader can tell that nothing changed since it last looked)."""

    def __post_init__(self) -> None:
        self.counts = np.zeros((N_LEVELS, self.grid.size), dtype=np.uint16)
        self.best = np.zeros(self.grid.size, dtype=np.uint8)

    def put(self, cam: CameraOptics) -> Footprint:
        """Add ``cam``, or replace the camera of the same id (moved, turned, re-lensed)."""
        self.version += 1
        touched = []
        old = self.footprints.pop(cam.id, None)
        if old is not None:
            self._count(old, -1)
            touched.append(old.cells)
        fp = footprint(cam, self.grid, self.occluders, self.target_h, self.outdoor)
        self.footprints[cam.id] = fp
        self._count(fp, +1)
        touched.append(fp.cells)
        self._refresh(np.concatenate(touched))
        return fp

    def put_all(self, cams: Iterable[CameraOptics]) -> None:
        """Add many cameras (the whole layout) with one refresh."""
        self.version += 1
        for cam in cams:
            old = self.footprints.pop(cam.id, None)
            if old is not None:
                self._count(old, -1)
            fp = footprint(cam, self.grid, self.occluders, self.target_h, self.outdoor)
            self.footprints[cam.id] = fp
            self._count(fp, +1)
        self.best = (self.counts > 0).sum(axis=0).astype(np.uint8)

    def copy(self) -> CoverageMap:
        """A copy to read on another thread while this one is edited (footprints are never
        changed in place, so they are shared)."""
        out = CoverageMap(self.grid, self.occluders, self.target_h, self.outdoor)
        out.footprints = dict(self.footprints)
        out.counts = self.counts.copy()
        out.best = self.best.copy()
        out.version = self.version
        return out

    def remove(self, cam_id: str) -> None:
        """Take a camera out (nothing happens for an id not in the map)."""
        old = self.footprints.pop(cam_id, None)
        if old is not None:
            self.version += 1
            self._count(old, -1)
            self._refresh(old.cells)

    def _count(self, fp: Footprint, sign: int) -> None:
        for k in range(N_LEVELS):
            idx = fp.cells[fp.levels > k]
            if sign > 0:
                self.counts[k, idx] += 1
            else:
                self.counts[k, idx] -= 1

    def _refresh(self, cells: np.ndarray) -> None:
        if len(cells):
            self.best[cells] = (self.counts[:, cells] > 0).sum(axis=0)

    def level_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Best level at points (0 outside the grid)."""
        idx = self.grid.index_of(x, y)
        return np.where(idx >= 0, self.best[np.maximum(idx, 0)], 0).astype(np.uint8)

    def seen_by(self, x: float, y: float) -> list[tuple[str, int, float]]:
        """The cameras that see the point's cell: (camera id, level, pixels per metre), best
        first."""
        idx = int(self.grid.index_of(np.array([x]), np.array([y]))[0])
        out = []
        if idx < 0:
            return out
        for cid, fp in self.footprints.items():
            hit = np.flatnonzero(fp.cells == idx)
            if len(hit):
                out.append((cid, int(fp.levels[hit[0]]), float(fp.ppm[hit[0]])))
        return sorted(out, key=lambda t: -t[2])


def level_name(level: int) -> str:
    """'none', 'detection', ... for a level index."""
    return DORI_LEVELS[int(level)]
