"""Where a camera a planner drags or adds would be mounted: on a smart pole when one is near,
on a building's facade when a wall is near (just outside it, looking away from it), else on a
bracket of its own at the clicked point.

The facade rule is the suggestions' (``twin.analysis.placement``): the sub-kind's mount height
or the building's height if lower, no camera on buildings lower than ``MIN_FACADE_MOUNT_M``,
``FACADE_OFFSET_M`` outside the wall."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from twin.analysis.placement import FACADE_OFFSET_M, MIN_FACADE_MOUNT_M
from twin.scene.catalogue import CAMERA_DEFAULTS
from twin.scene.scene import Scene

SNAP_POLE_M = 4.0
"""A camera dropped this near a smart pole goes on the pole."""
SNAP_FACADE_M = 3.0
"""A camera dropped this near a wall (and not near a pole) goes on the wall."""


@dataclass(frozen=True)
class Mount:
    """Where a camera goes: its point, the elevation of its foot, its lens height above the
    foot, what carries it (``pole``, ``facade`` or ``ground``) and, on a facade, the heading
    straight away from the wall."""

    x: float
    y: float
    foot: float
    height: float
    on: str
    ref: str = ""
    """The pole's device id or the building's id."""
    outward: float | None = None


class Mounts:
    """The poles and facades of a scene, to snap a point to."""

    def __init__(self, scene: Scene) -> None:
        poles = [d for d in scene.devices if d.kind == "pole"]
        self.pole_ids = [d.id for d in poles]
        self.pole_xyz = np.array([[d.x, d.y, d.z] for d in poles], dtype=float).reshape(-1, 3)
        self.buildings = []
        geoms = []
        for b in scene.buildings:
            if not b.footprint_wkb or float(b.height) < MIN_FACADE_MOUNT_M:
                continue
            g = shapely.from_wkb(b.footprint_wkb)
            if g.is_empty:
                continue
            self.buildings.append(b)
            geoms.append(g)
        self.geoms = np.array(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geoms) if len(geoms) else None

    def at(self, x: float, y: float, subkind: str, height: float | None = None) -> Mount:
        """The mount for a camera of ``subkind`` dropped at ``(x, y)``: the nearest pole within
        :data:`SNAP_POLE_M`, else the nearest facade within :data:`SNAP_FACADE_M`, else the
        point itself on the ground with lens ``height`` (default: the sub-kind's)."""
        mount_h = float(CAMERA_DEFAULTS[subkind]["mount_height"])
        if len(self.pole_xyz):
            d = np.hypot(self.pole_xyz[:, 0] - x, self.pole_xyz[:, 1] - y)
            i = int(np.argmin(d))
            if d[i] <= SNAP_POLE_M:
                px, py, pz = self.pole_xyz[i]
                return Mount(float(px), float(py), float(pz), mount_h, "pole", self.pole_ids[i])
        wall = self._facade(x, y, mount_h)
        if wall is not None:
            return wall
        h = mount_h if height is None else float(height)
        return Mount(float(x), float(y), 0.0, h, "ground")

    def _facade(self, x: float, y: float, mount_h: float) -> Mount | None:
        if self.tree is None:
            return None
        p = shapely.Point(x, y)
        near = self.tree.query(p, predicate="dwithin", distance=SNAP_FACADE_M)
        if not len(near):
            return None
        rings = [shapely.boundary(self.geoms[k]) for k in near]
        dist = shapely.distance(np.array(rings, dtype=object), p)
        k = int(np.argmin(dist))
        b, ring = self.buildings[int(near[k])], rings[k]
        if float(b.min_height) > min(mount_h, float(b.height)):
            return None  # a part that does not reach down to a camera's height (a canopy)
        on = shapely.line_interpolate_point(ring, shapely.line_locate_point(ring, p))
        # the outward normal: from the wall towards the point, or out of the building when
        # the point is inside it
        inside = bool(shapely.contains_xy(self.geoms[int(near[k])], x, y))
        dx, dy = x - on.x, y - on.y
        n = math.hypot(dx, dy)
        if n < 1e-6:  # on the wall itself: the normal of the wall, away from the inside
            t = shapely.line_locate_point(ring, on)
            a = shapely.line_interpolate_point(ring, max(t - 0.5, 0.0))
            c = shapely.line_interpolate_point(ring, t + 0.5)
            dx, dy, n = c.y - a.y, -(c.x - a.x), math.hypot(c.x - a.x, c.y - a.y) or 1.0
            inside = bool(shapely.contains_xy(self.geoms[int(near[k])], on.x + dx, on.y + dy))
        dx, dy = dx / n, dy / n
        if inside:
            dx, dy = -dx, -dy
        mx, my = on.x + FACADE_OFFSET_M * dx, on.y + FACADE_OFFSET_M * dy
        outward = math.degrees(math.atan2(dx, dy)) % 360.0
        z = min(mount_h, float(b.height))
        return Mount(float(mx), float(my), 0.0, z, "facade", str(b.id), outward)
