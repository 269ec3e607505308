"""``--fill-devices``: lay out what the data lacks by the domain brief's deployment rules.

Deterministic (same data, same layout) and every device is marked ``synthetic``:
- parking spaces (2.5 x 5.3 m, rows back to back with 6 m aisles) in every surface parking lot;
- chargers at the head of at least half of each lot's spaces (rule: >= 50 %);
- trash bins every 100 m and environment monitors every 250 m along main roads, on the kerb;
- smart poles every 40 m (rule: 30-50 m) along main roads where no pole stands within 20 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from twin.ingest.crs import FrameTransform
from twin.ingest.devices import DeviceFeature, RoadLines, place_devices
from twin.scene.catalogue import CATALOGUE, spacing_m
from twin.scene.entities import Surface, Warning
from twin.scene.scene import Scene

SPACE_W, SPACE_L, AISLE = 2.5, 5.3, 6.0


@dataclass
class Placement:
    kind: str
    x: float
    y: float
    heading: float
    props: dict[str, object]


def _bearing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def parking_spaces(lot: shapely.Geometry, capacity: float | None = None) -> list[Placement]:
    """Spaces that fit wholly inside ``lot``, aligned with its long side."""
    if lot.area < SPACE_W * SPACE_L:
        return []
    rect = shapely.minimum_rotated_rectangle(lot)
    c = np.asarray(rect.exterior.coords)[:4]
    edges = np.diff(np.vstack([c, c[:1]]), axis=0)
    e = edges[int(np.argmax(np.hypot(edges[:, 0], edges[:, 1])))]
    ux = e / np.hypot(*e)  # along the rows
    uy = np.array([-ux[1], ux[0]])  # across the rows
    origin = np.asarray(lot.centroid.coords[0])
    rel = shapely.get_coordinates(lot) - origin
    a, b = rel @ ux, rel @ uy
    period = 2 * SPACE_L + AISLE
    us = np.arange(a.min() + SPACE_W / 2, a.max(), SPACE_W)
    rows = []
    for v0 in np.arange(b.min(), b.max(), period):
        rows.append((v0 + SPACE_L / 2, +1.0))  # faces the aisle above it
        rows.append((v0 + 1.5 * SPACE_L, -1.0))
    if not len(us) or not rows:
        return []
    inner = lot.buffer(-0.2)
    out = []
    for v, facing in rows:
        cx = origin[0] + us * ux[0] + v * uy[0]
        cy = origin[1] + us * ux[1] + v * uy[1]
        ok = np.ones(len(us), dtype=bool)
        for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            px = cx + du * SPACE_W / 2 * ux[0] + dv * SPACE_L / 2 * uy[0]
            py = cy + du * SPACE_W / 2 * ux[1] + dv * SPACE_L / 2 * uy[1]
            ok &= shapely.contains_xy(inner, px, py)
        heading = _bearing(*(facing * uy))
        for x, y in zip(cx[ok], cy[ok], strict=True):
            out.append(Placement("parking_space", float(x), float(y), heading, {}))
    if capacity is not None and capacity >= 0:
        out = out[: int(capacity)]
    return out


def chargers_for(spaces: list[Placement], existing: int) -> list[Placement]:
    """Chargers at the back of the first spaces so that chargers >= 50 % of spaces."""
    need = max(0, math.ceil(CATALOGUE["charger"].rule_params["ratio_min"] * len(spaces)) - existing)
    out = []
    for s in spaces[:need]:
        h = math.radians(s.heading)
        back = SPACE_L / 2 + 0.4  # behind the space, facing it
        out.append(
            Placement(
                "charger",
                s.x - back * math.sin(h),
                s.y - back * math.cos(h),
                s.heading,
                {"space": None},
            )
        )
    return out


def along_roads(
    main_roads: list[tuple[shapely.LineString, float]],
    kind: str,
    spacing: float,
    existing: np.ndarray,
    keep_clear: float,
    blocked: shapely.Geometry | None,
    area: shapely.Geometry | None,
    side: float,
) -> list[Placement]:
    """Devices every ``spacing`` metres along merged main roads, on the kerb.

    A station gets no device where one of the kind already stands within ``keep_clear``; the
    device goes on the ``side`` (+1 right, -1 left) kerb, or the other one when that falls in a
    building or outside the scene.
    """
    if not main_roads:
        return []
    lines = shapely.line_merge(shapely.union_all([ln for ln, _ in main_roads]))
    parts = sorted(
        [g for g in getattr(lines, "geoms", [lines]) if g.length > 0],
        key=lambda g: (round(g.bounds[0], 2), round(g.bounds[1], 2), round(g.length, 2)),
    )
    widths = np.array([w for _, w in main_roads])
    tree = STRtree([ln for ln, _ in main_roads])
    near = STRtree(shapely.points(existing)) if len(existing) else None
    placed: list[Placement] = []
    for line in parts:
        for d in np.arange(spacing / 2, line.length, spacing):
            p = line.interpolate(d)
            a, b = line.interpolate(max(d - 1.0, 0)), line.interpolate(min(d + 1.0, line.length))
            tx, ty = b.x - a.x, b.y - a.y
            n = math.hypot(tx, ty) or 1.0
            tx, ty = tx / n, ty / n
            if near is not None and len(near.query(p.buffer(keep_clear))):
                continue
            if any(math.hypot(q.x - p.x, q.y - p.y) < keep_clear for q in placed):
                continue
            half = float(widths[tree.nearest(p)]) / 2
            for s in (side, -side):
                nx, ny = ty * s, -tx * s  # right of travel for s = +1
                x, y = p.x + nx * (half + 0.8), p.y + ny * (half + 0.8)
                if blocked is not None and shapely.contains_xy(blocked, x, y):
                    continue
                if area is not None and not shapely.contains_xy(area, x, y):
                    continue
                placed.append(Placement(kind, float(x), float(y), _bearing(-nx, -ny), {}))
                break
    return placed


def fill_devices(
    scene: Scene,
    lots: list[tuple[Surface, shapely.Geometry]],
    roads: RoadLines,
    area: shapely.Geometry | None,
    ft: FrameTransform,
    warnings: list[Warning],
) -> None:
    """Lay out what the data lacks by the catalogue's deployment rules (``--fill-devices``):
    parking spaces and their chargers in every lot, bins, environment monitors and poles along
    main roads where none stands within reach; each device ``synthetic``, ids
    ``syn-<kind>-NNNN``."""
    placements: list[Placement] = []
    existing_chargers = np.array(
        [[d.x, d.y] for d in scene.devices if d.kind == "charger"]
    ).reshape(-1, 2)
    for surf, poly in sorted(lots, key=lambda sg: sg[0].id):
        spaces = parking_spaces(poly, surf.capacity)
        inside = (
            int(
                shapely.contains_xy(
                    poly.buffer(5.0), existing_chargers[:, 0], existing_chargers[:, 1]
                ).sum()
            )
            if len(existing_chargers)
            else 0
        )
        placements += spaces + chargers_for(spaces, inside)
    main = [(ln, w) for ln, w, c in roads if c == "main"]
    blocked = (
        shapely.union_all(
            [shapely.from_wkb(b.footprint_wkb) for b in scene.buildings if b.footprint_wkb]
        )
        if scene.buildings
        else None
    )
    # spacings are the catalogue's deployment rules; an existing device within half a spacing
    # (poles: within their minimum spacing less 10 m) already serves its stretch
    pole_keep = CATALOGUE["pole"].rule_params["spacing_min_m"] - 10.0
    for kind, keep, side in (
        ("trash_bin", None, 1.0),
        ("env_monitor", None, -1.0),
        ("pole", pole_keep, 1.0),
    ):
        pts = np.array([[d.x, d.y] for d in scene.devices if d.kind == kind]).reshape(-1, 2)
        spacing = spacing_m(kind)
        placements += along_roads(
            main, kind, spacing, pts, spacing / 2 if keep is None else keep, blocked, area, side
        )
    if not placements:
        return
    counters: dict[str, int] = {}
    feats = []
    for p in placements:
        counters[p.kind] = counters.get(p.kind, 0) + 1
        feats.append(
            DeviceFeature(
                "fill-devices",
                f"syn-{p.kind}-{counters[p.kind]:04d}",
                p.kind,
                p.x,
                p.y,
                props={"heading": p.heading},
                listed=True,
                synthetic=True,
            )
        )
    place_devices(feats, scene, ft, [], warnings)
