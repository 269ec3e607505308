"""Where to put the next cameras: candidate poses (existing smart poles, building facades) and
the greedy choice of those that bring the most target length (important roads, a perimeter) or
the most entrances to the level asked for.

Choosing ``n`` cameras to cover the most is a maximum-coverage problem. Its objective (the
weight of targets brought to the required DORI level) is monotone and submodular, so the greedy
choice is within 1 - 1/e of the optimum, and lazy evaluation (CELF: a candidate's last gain is
an upper bound of its gain now) gives the same choice with a fraction of the evaluations.

Each candidate's footprint is computed once, by the coverage kernel itself
(``twin.analysis.coverage.footprint``), but only over the grid cells that hold a target sample
still below the required level: everything after that is set arithmetic on sample cells.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from twin.analysis.coverage import CameraOptics, CoverageMap, footprint
from twin.analysis.covered import LINE_STEP_M, line_samples
from twin.scene.catalogue import CAMERA_DEFAULTS
from twin.scene.scene import Scene
from twin.scene.standards import DORI_LEVELS

FACADE_STEP_M = 15.0
"""Spacing of candidate mounts along a building's outline, metres."""
FACADE_OFFSET_M = 0.3
"""A facade camera sits this far outside the wall."""
FACADE_MAX_TURN_DEG = 80.0
"""A facade camera looks at most this far from the wall's outward normal."""
MIN_FACADE_MOUNT_M = 2.5
"""Buildings lower than this (kiosks, sheds, low walls) carry no candidate camera."""
BUDGETS = ("poles", "facades", "both")


def level_index(level: int | str) -> int:
    """A DORI level as its index (1 detection ... 4 identification), from a name or an index."""
    k = DORI_LEVELS.index(level) if isinstance(level, str) else int(level)
    if not 1 <= k < len(DORI_LEVELS):
        raise ValueError(f"no DORI level {level!r}: one of {', '.join(DORI_LEVELS[1:])}")
    return k


# -- targets -----------------------------------------------------------------------------------
@dataclass
class Targets:
    """What the cameras should see: sample points (local metres), each with a weight (metres of
    line it stands for, or 1 per entrance), the DORI level they need and the target height."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    required: int
    """DORI level index a sample needs (1 detection ... 4 identification)."""
    target_h: float

    def __post_init__(self) -> None:
        self.x = np.asarray(self.x, dtype=np.float64).ravel()
        self.y = np.asarray(self.y, dtype=np.float64).ravel()
        self.weight = np.broadcast_to(
            np.asarray(self.weight, dtype=np.float64), self.x.shape
        ).copy()
        self.required = level_index(self.required)
        if self.x.shape != self.y.shape:
            raise ValueError("targets: x and y differ in length")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def total(self) -> float:
        """The summed weight of all samples."""
        return float(self.weight.sum())

    def met(self, cmap: CoverageMap) -> np.ndarray:
        """Per sample: ``cmap`` reaches the required level there."""
        return cmap.level_at(self.x, self.y) >= self.required

    def met_weight(self, cmap: CoverageMap) -> float:
        """The weight of the samples ``cmap`` brings to the required level."""
        return float(self.weight[self.met(cmap)].sum())

    def __add__(self, other: Targets) -> Targets:
        """Both sets of samples (same level and target height), as one goal."""
        if other.required != self.required or other.target_h != self.target_h:
            raise ValueError("targets of different levels or heights cannot be joined")
        return Targets(
            np.concatenate([self.x, other.x]),
            np.concatenate([self.y, other.y]),
            np.concatenate([self.weight, other.weight]),
            self.required,
            self.target_h,
        )


def targets_along(
    lines: Iterable[shapely.Geometry],
    required_level: int | str,
    target_h: float,
    step: float = LINE_STEP_M,
) -> Targets:
    """Samples every ``step`` metres (at the middle of each step, as ``covered.line_levels``)
    along ``lines`` (LineStrings or MultiLineStrings, local metres), each weighing the length
    it stands for, so the weights of a line add up to its length."""
    xs, ys, ws = [], [], []
    for geom in lines:
        for part in getattr(geom, "geoms", [geom]):
            d, pts = line_samples(part, step)
            if not len(d):
                continue
            xs.append(pts[:, 0])
            ys.append(pts[:, 1])
            ws.append(np.full(len(d), float(part.length) / len(d)))
    if not xs:
        return Targets(np.zeros(0), np.zeros(0), np.zeros(0), required_level, target_h)
    return Targets(
        np.concatenate(xs), np.concatenate(ys), np.concatenate(ws), required_level, target_h
    )


def targets_at(
    points: Iterable[tuple[float, float]],
    required_level: int | str,
    target_h: float,
    weight: float = 1.0,
) -> Targets:
    """One sample per point (an entrance), each weighing ``weight``."""
    pts = np.asarray(list(points), dtype=np.float64).reshape(-1, 2)
    return Targets(pts[:, 0], pts[:, 1], weight, required_level, target_h)


# -- candidates --------------------------------------------------------------------------------
def heading_set(n: int) -> list[float]:
    """``n`` headings evenly spaced round the compass from north, degrees."""
    if not 1 <= n <= 360:
        raise ValueError(f"headings: {n} (1 to 360)")
    return [360.0 * k / n for k in range(n)]


def _heading_tag(h: float) -> str:
    return f"h{int(round(h)):03d}" if abs(h - round(h)) < 1e-9 else f"h{h:05.1f}"


def poses_at(
    prefix: str,
    x: float,
    y: float,
    z: float,
    headings: Sequence[float],
    subkind: str = "hd",
) -> list[CameraOptics]:
    """Cameras of ``subkind`` (its catalogue FOV, tilt and resolution) with the lens at
    ``(x, y, z)``, one per heading, ids ``<prefix>-h<heading>`` (a panorama, seeing all round,
    gets one)."""
    d = CAMERA_DEFAULTS[subkind]
    if float(d["fov"]) >= 180.0:
        headings = list(headings)[:1]
    return [
        CameraOptics(
            f"{prefix}-{_heading_tag(h)}",
            subkind,
            float(x),
            float(y),
            float(z),
            float(h) % 360.0,
            float(d["tilt"]),
            float(d["fov"]),
            int(d["width_px"]),
            int(d["height_px"]),
        )
        for h in headings
    ]


def _ring_samples(
    ring: np.ndarray, step: float
) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Points every ``step`` metres (centred) along a closed ring and the outward unit normal of
    the edge each lies on (outward for an exterior ring of either winding)."""
    seg = np.diff(ring, axis=0)
    lengths = np.hypot(seg[:, 0], seg[:, 1])
    keep = lengths > 1e-9
    starts, seg, lengths = ring[:-1][keep], seg[keep], lengths[keep]
    total = float(lengths.sum())
    if total <= 0:
        return None, None
    n = max(1, round(total / step))
    d = (np.arange(n) + 0.5) * (total / n)
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    k = np.clip(np.searchsorted(cum, d, side="right") - 1, 0, len(lengths) - 1)
    t = (d - cum[k]) / lengths[k]
    pts = starts[k] + seg[k] * t[:, None]
    u = seg[k] / lengths[k][:, None]
    # shoelace: a counter-clockwise ring has its outside on the right of each edge
    x, y = ring[:, 0], ring[:, 1]
    ccw = float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) > 0
    normal = np.column_stack([u[:, 1], -u[:, 0]]) if ccw else np.column_stack([-u[:, 1], u[:, 0]])
    return pts, normal


def candidate_poses(
    scene: Scene,
    area: shapely.Geometry,
    budget_from: str = "both",
    subkind: str = "hd",
    headings: int = 12,
    facade_step: float = FACADE_STEP_M,
) -> list[CameraOptics]:
    """Where a new camera of ``subkind`` could go inside ``area`` (a polygon, local metres):

    - ``poles``: on each existing smart pole (scene devices of kind ``pole``), lens at the
      pole's foot elevation plus the sub-kind's mount height, ``headings`` evenly spaced
      headings; ids ``cand-pole-<device id>-h090``;
    - ``facades``: on building walls, every ``facade_step`` metres along each footprint's
      exterior, ``FACADE_OFFSET_M`` outside the wall, at the mount height or the building's
      height if lower, with those of the same headings that look away from the wall (within
      ``FACADE_MAX_TURN_DEG`` of its outward normal); mounts that fall inside a building (a
      party wall) are left out; ids ``cand-facade-<n>-h135``;
    - ``both``.

    Each camera has the sub-kind's catalogue FOV, tilt and resolution."""
    if budget_from not in BUDGETS:
        raise ValueError(f"budget_from {budget_from!r}: one of {', '.join(BUDGETS)}")
    if subkind not in CAMERA_DEFAULTS:
        raise ValueError(f"camera sub-kind {subkind!r}: one of {', '.join(CAMERA_DEFAULTS)}")
    hs = heading_set(headings)
    mount = float(CAMERA_DEFAULTS[subkind]["mount_height"])
    out: list[CameraOptics] = []
    if budget_from in ("poles", "both"):
        poles = [d for d in scene.devices if d.kind == "pole"]
        if poles:
            inside = shapely.contains_xy(area, [d.x for d in poles], [d.y for d in poles])
            for d, ok in zip(poles, inside, strict=True):
                if ok:
                    out += poses_at(f"cand-pole-{d.id}", d.x, d.y, d.z + mount, hs, subkind)
    if budget_from in ("facades", "both"):
        out += _facade_poses(scene, area, hs, subkind, mount, facade_step)
    return out


def _facade_poses(
    scene: Scene,
    area: shapely.Geometry,
    hs: list[float],
    subkind: str,
    mount: float,
    step: float,
) -> list[CameraOptics]:
    feet = [(b, shapely.from_wkb(b.footprint_wkb)) for b in scene.buildings if b.footprint_wkb]
    if not feet:
        return []
    tree = shapely.STRtree([g for _, g in feet])
    pts, normals, zs = [], [], []
    for b, geom in feet:
        z = min(mount, float(b.height))
        if z < MIN_FACADE_MOUNT_M or float(b.min_height) > z:
            continue  # too low to carry a camera, or a part that does not reach down to it
        for poly in getattr(geom, "geoms", [geom]):
            if poly.is_empty or poly.geom_type != "Polygon":
                continue
            p, nrm = _ring_samples(np.asarray(poly.exterior.coords)[:, :2], step)
            if p is None:
                continue
            pts.append(p + FACADE_OFFSET_M * nrm)
            normals.append(nrm)
            zs.append(np.full(len(p), z))
    if not pts:
        return []
    p, nrm, z = np.concatenate(pts), np.concatenate(normals), np.concatenate(zs)
    ok = shapely.contains_xy(area, p[:, 0], p[:, 1])
    in_building = tree.query(shapely.points(p), predicate="intersects")[0]
    ok[in_building] = False
    hs_arr = np.asarray(hs)
    out: list[CameraOptics] = []
    for n, i in enumerate(np.flatnonzero(ok)):
        outward = math.degrees(math.atan2(nrm[i, 0], nrm[i, 1])) % 360.0
        turn = np.abs((hs_arr - outward + 180.0) % 360.0 - 180.0)
        looks = [float(h) for h in hs_arr[turn <= FACADE_MAX_TURN_DEG]]
        if float(CAMERA_DEFAULTS[subkind]["fov"]) >= 180.0:
            looks = [outward]
        out += poses_at(f"cand-facade-{n}", p[i, 0], p[i, 1], z[i], looks, subkind)
    return out


# -- the choice --------------------------------------------------------------------------------
@dataclass
class CoverSets:
    """The max-coverage instance: its elements are the grid cells holding target samples still
    below the required level in the base layout (weight: the samples' summed weight), and each
    candidate covers the elements it brings to the required level."""

    candidates: list[CameraOptics]
    weight: np.ndarray
    """Per element: the summed weight of its samples."""
    covers: list[np.ndarray]
    """Per candidate: the element indices it covers (int64, sorted)."""
    element_of_sample: np.ndarray
    """Per target sample: its element, or -1 (already met in the base layout, or off the
    grid)."""

    def gain(self, j: int, covered: np.ndarray) -> float:
        """Weight candidate ``j`` adds to what ``covered`` (a mask of elements) holds."""
        c = self.covers[j]
        return float(self.weight[c[~covered[c]]].sum())


def cover_sets(
    base: CoverageMap, candidates: Sequence[CameraOptics], targets: Targets
) -> CoverSets:
    """Each candidate's footprint, computed once (by the coverage kernel, over only the cells
    of samples below the required level in ``base``), as the set of elements it covers."""
    if abs(base.target_h - targets.target_h) > 1e-9:
        raise ValueError(f"targets at {targets.target_h} m on a coverage map at {base.target_h} m")
    ids = [c.id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("candidate ids are not unique")
    cells = base.grid.index_of(targets.x, targets.y)
    now = np.where(cells >= 0, base.best[np.maximum(cells, 0)], 0)
    open_ = (cells >= 0) & (now < targets.required)
    ucells, inv = np.unique(cells[open_], return_inverse=True)
    weight = np.bincount(inv, weights=targets.weight[open_], minlength=len(ucells))
    element_of_sample = np.full(len(targets), -1, dtype=np.int64)
    element_of_sample[open_] = inv
    mask = np.zeros(base.grid.size, dtype=bool)
    mask[ucells] = True
    mask &= base.outdoor
    covers = []
    for cam in candidates:
        if not len(ucells):
            covers.append(np.zeros(0, dtype=np.int64))
            continue
        fp = footprint(cam, base.grid, base.occluders, base.target_h, mask)
        good = fp.cells[fp.levels >= targets.required]
        covers.append(np.sort(np.searchsorted(ucells, good)))
    return CoverSets(list(candidates), weight, covers, element_of_sample)


@dataclass
class Choice:
    """The greedy choice: (candidate index, gain) in order, and how many gains were computed."""

    picks: list[tuple[int, float]] = field(default_factory=list)
    evaluations: int = 0


def greedy(sets: CoverSets, n: int, lazy: bool = True) -> Choice:
    """Up to ``n`` candidates, each the one adding the most weight to those before it (ties:
    the smallest id), stopping when none adds anything. ``lazy`` (CELF) keeps the candidates
    in a priority queue of their last gains, which bound their gains now (submodularity), and
    recomputes only the top until it stays on top: the same choice as recomputing every
    candidate each round (``lazy=False``)."""
    covered = np.zeros(len(sets.weight), dtype=bool)
    ids = [c.id for c in sets.candidates]
    out = Choice()
    if lazy:
        heap = []
        for j in range(len(ids)):
            g = sets.gain(j, covered)
            out.evaluations += 1
            if g > 0:
                heap.append((-g, ids[j], j, 0))
        heapq.heapify(heap)
        while heap and len(out.picks) < n:
            neg, cid, j, stamp = heap[0]
            if stamp == len(out.picks):
                heapq.heappop(heap)
                out.picks.append((j, -neg))
                covered[sets.covers[j]] = True
                continue
            g = sets.gain(j, covered)
            out.evaluations += 1
            if g > 0:
                heapq.heapreplace(heap, (-g, cid, j, len(out.picks)))
            else:
                heapq.heappop(heap)
        return out
    order = sorted(range(len(ids)), key=ids.__getitem__)
    taken: set[int] = set()
    while len(out.picks) < n:
        best, best_g = -1, 0.0
        for j in order:
            if j in taken:
                continue
            g = sets.gain(j, covered)
            out.evaluations += 1
            if g > best_g:
                best, best_g = j, g
        if best < 0:
            break
        taken.add(best)
        out.picks.append((best, best_g))
        covered[sets.covers[best]] = True
    return out


@dataclass
class Suggestion:
    """A suggested camera: its pose, the weight (metres of road, entrances) it newly brings to
    the required level, the running total, its rank (1 first) and the target samples it
    brings there."""

    camera: CameraOptics
    gain: float
    cumulative: float
    rank: int
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Indices (into the targets) of the samples this camera newly brings to the level."""


def suggest(
    base: CoverageMap,
    candidates: Sequence[CameraOptics],
    targets: Targets,
    n: int,
    lazy: bool = True,
) -> list[Suggestion]:
    """The ``n`` cameras from ``candidates`` that, added one after the other to the layout of
    ``base``, bring the most target weight to the required level (greedy, within 1 - 1/e of the
    best choice; fewer when the rest would add nothing). ``base`` is not changed."""
    sets = cover_sets(base, candidates, targets)
    choice = greedy(sets, n, lazy)
    covered = np.zeros(len(sets.weight), dtype=bool)
    out: list[Suggestion] = []
    total = 0.0
    for rank, (j, g) in enumerate(choice.picks, start=1):
        c = sets.covers[j]
        new = c[~covered[c]]
        covered[new] = True
        total += g
        samples = np.flatnonzero(np.isin(sets.element_of_sample, new))
        out.append(Suggestion(sets.candidates[j], g, total, rank, samples))
    return out


def exact_gain(base: CoverageMap, cameras: Iterable[CameraOptics], targets: Targets) -> float:
    """The weight of target samples below the required level in ``base`` that adding
    ``cameras`` to it (the full coverage computation, ``CoverageMap.put``) brings to it;
    ``base`` is restored afterwards."""
    before = targets.met(base)
    added: list[str] = []
    try:
        for cam in cameras:
            if cam.id in base.footprints:
                raise ValueError(f"camera {cam.id!r} is already in the layout")
            base.put(cam)
            added.append(cam.id)
        after = targets.met(base)
    finally:
        for cid in reversed(added):
            base.remove(cid)
    return float(targets.weight[after & ~before].sum())
