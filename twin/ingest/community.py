"""The community of a scene (``twin.scene.community``) from its ``[community]`` table: the
boundary in local metres (a lon / lat ring, a polygon file in any CRS, or an OSM area of the
scene's sources), and its entrances: the scene file's, OSM entrance and gate nodes near the
boundary line, and the points where roads and paths cross it, merged when close.

Without a ``[community]`` table the community is the clip area, else the convex hull of the
scene's buildings and roads, open, with no entrances (see :func:`build_community`).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from twin.core.errors import InputError
from twin.ingest.collect import EntranceNode, to_local
from twin.ingest.crs import FrameTransform
from twin.ingest.ledger import group_warning
from twin.ingest.sources import Layer, check_readable, read_vector
from twin.scene.community import (
    ENTRANCE_MERGE_M,
    ENTRANCE_NODE_M,
    IMPORTANT_ROADS_DEFAULT,
    MAIN_ROADS_DEFAULT,
    Community,
    Entrance,
    entrance_use,
    merged_use,
    road_highway,
)
from twin.scene.communityfile import CommunitySpec
from twin.scene.entities import Surface, Warning
from twin.scene.scene import Scene

ROAD_END_SNAP_M = 0.05
"""A road that ends this close to the boundary line ends on it (data drawn to the boundary by
hand, or converted through another CRS, misses it by millimetres)."""

_DATA_MARGIN_M = 1000.0
"""A boundary farther than this from everything in the scene is a mistake (lon / lat swapped,
the wrong file)."""


# -- the boundary -----------------------------------------------------------------------------
def _lonlat_to_local(geom: shapely.Geometry, ft: FrameTransform) -> shapely.Geometry:
    """``geom``'s lon / lat vertices in local metres (as the build converts a clip polygon)."""
    c = shapely.get_coordinates(geom)
    x, y = ft.to_local(c[:, 0], c[:, 1])
    return shapely.set_coordinates(geom, np.column_stack([x, y]))


def polygons_of_file(
    path: Any, ft: FrameTransform, crs: str | None = None
) -> tuple[shapely.Geometry | None, int]:
    """The union of a GIS file's polygons in local metres (any CRS the file declares, or
    ``crs``), and how many features were not polygons."""
    polys = []
    other = 0
    for layer in read_vector(path, crs):
        g = to_local(layer.frame, layer.crs, ft)
        for geom, finite in zip(g.geometry.values, g["finite"], strict=True):
            if geom is not None and geom.geom_type in ("Polygon", "MultiPolygon") and finite:
                polys.append(geom)
            else:
                other += 1
    return (shapely.union_all(polys) if polys else None), other


_OSM_ID = re.compile(r"^(way|relation)/\d+$")
_NAME_KEYS = ("name", "name:en", "name:fi", "name:sv", "name:zh", "official_name", "alt_name")


def _osm_area(
    key: str, layers: list[Layer], ft: FrameTransform, where: str
) -> tuple[shapely.Geometry, str]:
    """The OSM area ``key`` (``way/N``, ``relation/N`` or a name) of the scene's sources."""
    by_id = _OSM_ID.match(key) is not None
    found: list[tuple[Layer, int]] = []
    names: set[str] = set()
    for layer in layers:
        f = layer.frame
        if not len(f):
            continue
        polygonal = f.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
        fids = f["fid"].astype(str).to_numpy()
        for i in np.flatnonzero(polygonal):
            tags = f["tags"].iat[i]
            if by_id:
                if fids[i] == key:
                    found.append((layer, int(i)))
                continue
            area_names = {str(tags[k]) for k in _NAME_KEYS if tags.get(k)}
            names.update(area_names)
            if key.casefold() in {n.casefold() for n in area_names}:
                found.append((layer, int(i)))
        if by_id and not found and key in set(fids):
            raise InputError(
                where,
                f"community.boundary_osm {key!r} is in {layer.name} but is not an area "
                "(a line or a point).",
                "Use a closed way or a multipolygon relation, or give the boundary as lon / lat.",
            )
    if not found:
        if by_id:
            raise InputError(
                where,
                f"community.boundary_osm {key!r}: no such area in the scene's sources.",
                "Check the id (way/N or relation/N) in the OSM file the scene reads.",
            )
        close = difflib.get_close_matches(key, sorted(names), n=5, cutoff=0.6)
        raise InputError(
            where,
            f"community.boundary_osm: no OSM area of the scene's sources is named {key!r}"
            + (f" (close: {', '.join(repr(c) for c in close)})." if close else "."),
            "Check the name, or give the area's id (way/N or relation/N).",
        )
    if len(found) > 1:
        ids = ", ".join(str(layer.frame["fid"].iat[i]) for layer, i in found[:8])
        raise InputError(
            where,
            f"community.boundary_osm: {len(found)} OSM areas are named {key!r} ({ids}).",
            'Give the one meant by its id, e.g. boundary_osm = "way/123".',
        )
    layer, i = found[0]
    row = layer.frame.iloc[[i]]
    g = to_local(row, layer.crs, ft)
    tags = row["tags"].iat[0]
    fid = str(row["fid"].iat[0])
    label = str(tags.get("name") or "").strip()
    ident = fid.replace("/", " ")
    return g.geometry.iat[0], (f"OSM area {label!r} ({ident})" if label else f"OSM area {ident}")


def _declared_boundary(
    c: CommunitySpec, layers: list[Layer], ft: FrameTransform, where: str
) -> tuple[shapely.Geometry, str]:
    if c.boundary is not None:
        poly = _lonlat_to_local(shapely.Polygon(c.boundary), ft)
        if not np.isfinite(shapely.get_coordinates(poly)).all():
            raise InputError(
                where,
                f"community.boundary cannot be put in the scene frame ({ft.frame.crs}).",
                "Check its vertices (lon before lat, in degrees).",
            )
        if not poly.is_valid:
            reason = shapely.is_valid_reason(poly)
            m = re.search(r"\[([-\d.e+]+) ([-\d.e+]+)\]", reason)
            at = ""
            if m:
                lon, lat = ft.to_lonlat(float(m.group(1)), float(m.group(2)))
                at = f" near ({float(lon):.6f}, {float(lat):.6f})"
            raise InputError(
                where,
                f"community.boundary is not a simple polygon ({reason.split('[')[0]}{at}).",
                "Give the vertices in order around the boundary, with no edge crossing another.",
            )
        return poly, "scene file polygon"
    if c.boundary_file is not None:
        path = c.boundary_file
        if not path.exists():
            raise InputError(
                where,
                f"community.boundary_file {path}: no such file.",
                "Check the path (paths in a scene file are relative to it).",
            )
        check_readable(path)
        poly, other = polygons_of_file(path, ft, c.boundary_crs)
        if poly is None or poly.is_empty:
            raise InputError(
                where,
                f"community.boundary_file {path.name} has no polygon"
                + (f" (its {other} feature(s) are lines or points)." if other else "."),
                "Export the boundary as a polygon (GeoJSON, GeoPackage, Shapefile, ...).",
            )
        return shapely.make_valid(poly) if not poly.is_valid else poly, path.name
    return _osm_area(str(c.boundary_osm), layers, ft, where)


def _extent(scene: Scene) -> shapely.Geometry | None:
    """The convex hull of the scene's building footprints and road shapes (of everything drawn
    when it has neither)."""
    wkb = [b.footprint_wkb for b in scene.buildings if b.footprint_wkb]
    wkb += [s.shape_wkb for s in scene.surfaces["road"] if s.shape_wkb]
    if wkb:
        coords = shapely.get_coordinates(shapely.from_wkb(wkb))
        hull = shapely.convex_hull(shapely.multipoints(coords))
        if hull.area > 1.0:
            return hull
    pts = [m.points[:, :2] for m in scene.meshes.values() if len(m.points)]
    pts += [np.array([[d.x, d.y] for d in scene.devices])] if scene.devices else []
    if not pts:
        return None
    hull = shapely.convex_hull(shapely.multipoints(np.concatenate(pts)))
    return hull if hull.area > 1.0 else None


# -- entrances --------------------------------------------------------------------------------
@dataclass
class _Candidate:
    x: float
    y: float
    use: str | None
    inward: float | None
    source: str
    name: str
    """Its own name ("" when it has none)."""
    fallback: str
    """The entrance's name when no candidate of it has one of its own."""
    rank: int
    """Merge priority, lower first: the scene file's 0, gate nodes 1, road crossings 2-4 by
    road class, entrance (door) nodes 5: an entrance sits on its gate, else on its widest
    road."""
    kind: str
    """``file``, ``node`` or ``road``."""
    ident: str = ""
    """The entrance id it gives when it seeds one (road crossings are numbered later)."""
    members: list[_Candidate] = field(default_factory=list)


_RANK = {"main": 2, "minor": 3, "path": 4}
_DOOR_RANK = 5


def _bearing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _fid_label(fid: str, source: str) -> str:
    return (
        fid.replace("/", " ")
        if re.match(r"^(node|way|relation)/-?\d+$", fid)
        else f"{fid} of {source}"
    )


def _road_crossings(
    roads: list[Surface], poly: shapely.Geometry, line: shapely.Geometry
) -> tuple[list[_Candidate], list[Surface]]:
    """Candidates where road centrelines cross the boundary ``line`` of ``poly``, and the roads
    that meet the line without crossing it (touch it, or run along it and back)."""
    with_shape = [s for s in roads if s.shape_wkb]
    shapes = shapely.from_wkb([s.shape_wkb for s in with_shape])
    is_line = np.isin(
        shapely.get_type_id(shapes),
        [shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING],
    )
    lines = [(s, g) for s, g, ok in zip(with_shape, shapes, is_line, strict=True) if ok]
    if not lines:
        return [], []
    geoms = np.array([g for _, g in lines], dtype=object)
    shapely.prepare(line)
    shapely.prepare(poly)
    hits = np.flatnonzero(shapely.dwithin(line, geoms, ROAD_END_SNAP_M))
    out: list[_Candidate] = []
    touching: list[Surface] = []
    for k in hits:
        s, g = lines[int(k)]
        hw = road_highway(s)
        found = False
        for part in shapely.get_parts(g):
            for d, inward in _part_crossings(part, poly, line):
                p = shapely.line_interpolate_point(part, d)
                out.append(
                    _Candidate(
                        float(p.x),
                        float(p.y),
                        entrance_use(hw),
                        inward,
                        f"road crossing (highway={s.highway or hw}, {_fid_label(s.id, s.source)})",
                        s.name,
                        f"unnamed {s.highway or hw}",
                        _RANK.get(s.road_class or "minor", 3),
                        "road",
                    )
                )
                found = True
        if not found:
            touching.append(s)
    return out, touching


def _part_crossings(
    part: shapely.Geometry, poly: shapely.Geometry, line: shapely.Geometry
) -> list[tuple[float, float]]:
    """(distance along ``part``, inward heading) of each place the line ``part`` passes from
    one side of the boundary to the other (or ends on it)."""
    coords = shapely.get_coordinates(part)
    seg = np.diff(coords, axis=0)
    seglen = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.r_[0.0, np.cumsum(seglen)]
    total = float(cum[-1])
    if total <= 0:
        return []
    segs = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1))
    intervals: list[tuple[float, float]] = []
    for i in np.flatnonzero(shapely.intersects(line, segs) & (seglen > 0)):
        for piece in shapely.get_parts(shapely.intersection(segs[i], line)):
            pc = shapely.get_coordinates(piece)
            if not len(pc):
                continue
            t = np.hypot(pc[:, 0] - coords[i, 0], pc[:, 1] - coords[i, 1])
            d = cum[i] + np.clip(t, 0, seglen[i])
            intervals.append((float(d.min()), float(d.max())))
    for d, pt in ((0.0, coords[0]), (total, coords[-1])):
        near = any(a - ROAD_END_SNAP_M <= d <= b + ROAD_END_SNAP_M for a, b in intervals)
        if not near and shapely.dwithin(line, shapely.Point(pt), ROAD_END_SNAP_M):
            intervals.append((d, d))  # it ends on the boundary
    if not intervals:
        return []
    intervals.sort()
    merged = [list(intervals[0])]
    for a, b in intervals[1:]:
        if a <= merged[-1][1] + 1e-7:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    edges = [0.0, *(v for iv in merged for v in iv), total]
    sides: list[bool | None] = []  # True inside, False outside, None no length
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if b - a <= 1e-7:
            sides.append(None)
        else:
            p = shapely.line_interpolate_point(part, (a + b) / 2)
            sides.append(bool(shapely.contains_xy(poly, p.x, p.y)))

    def ahead(d: float) -> tuple[float, float]:
        """The direction of the first segment of length after distance ``d``."""
        i = int(np.flatnonzero((cum[1:] > d + 1e-7) & (seglen > 0))[0])
        return float(seg[i, 0]), float(seg[i, 1])

    def behind(d: float) -> tuple[float, float]:
        """The direction (backwards) of the last segment of length before distance ``d``."""
        i = int(np.flatnonzero((cum[:-1] < d - 1e-7) & (seglen > 0))[-1])
        return float(-seg[i, 0]), float(-seg[i, 1])

    out = []
    for k, (a, b) in enumerate(merged):
        before, after = sides[k], sides[k + 1]
        if before is None and after is None:
            continue  # the whole part lies on the boundary
        if before is not None and after is not None and before == after:
            continue  # touches the boundary, or runs along it, and turns back
        if after is True or before is False:
            # travel into the community goes the way the line runs: at the inside end
            d = b if after is not None else a
            v = ahead(d) if after is not None else (-behind(d)[0], -behind(d)[1])
        else:
            # it goes against the line: inside is behind
            d = a if before is not None else b
            v = behind(d) if before is not None else (-ahead(d)[0], -ahead(d)[1])
        out.append((d, _bearing(*v)))
    return out


def _node_name(label: str) -> str:
    """``gate``, ``lift gate``, ``entrance``, ``main entrance`` for a node without a name."""
    key, _, value = label.partition("=")
    value = value.replace("_", " ")
    if key == "barrier":
        return value
    return "entrance" if value in ("yes", "entrance") else f"{value} entrance"


def _outside_building(scene: Scene, poly: shapely.Geometry) -> Any:
    """A test of whether a point is on (within 1 m of) buildings all outside the community."""
    foots = [shapely.from_wkb(b.footprint_wkb) for b in scene.buildings if b.footprint_wkb]
    if not foots:
        return lambda x, y: False
    tree = shapely.STRtree(foots)

    def test(x: float, y: float) -> bool:
        hits = tree.query(shapely.Point(x, y), predicate="dwithin", distance=1.0)
        if not len(hits):
            return False
        return all(shapely.intersection(foots[i], poly).area < 1.0 for i in hits)

    return test


def _merge(cands: list[_Candidate]) -> list[_Candidate]:
    """Candidates, in priority order, join the nearest entrance within ENTRANCE_MERGE_M of
    them (its first candidate's position) or start one."""
    groups: list[_Candidate] = []
    for c in sorted(cands, key=lambda c: c.rank):
        if groups:
            xy = np.array([[g.x, g.y] for g in groups])
            dist = np.hypot(xy[:, 0] - c.x, xy[:, 1] - c.y)
            j = int(np.argmin(dist))
            if dist[j] <= ENTRANCE_MERGE_M:
                groups[j].members.append(c)
                continue
        c.members = [c]
        groups.append(c)
    return groups


def _entrance(g: _Candidate, ident: str, ft: FrameTransform) -> Entrance:
    members = g.members
    if g.rank == 0:  # the scene file's: its name and use are the user's word
        use = str(g.use)
    else:
        known = [m.use for m in members if m.use is not None]
        use = merged_use(known)
    inward = next((m.inward for m in members if m.inward is not None), None)
    order = {"file": 0, "node": 1, "road": 2}
    named = sorted((m for m in members if m.name), key=lambda m: order[m.kind])
    lon, lat = ft.to_lonlat(g.x, g.y)
    return Entrance(
        ident,
        named[0].name if named else g.fallback,
        g.x,
        g.y,
        float(lon),
        float(lat),
        use,
        inward,
        g.source,
        [m.source for m in members[1:]],
    )


def _entrances(
    c: CommunitySpec,
    scene: Scene,
    ft: FrameTransform,
    poly: shapely.Geometry,
    nodes: list[EntranceNode],
    warnings: list[Warning],
    where: str,
) -> list[Entrance]:
    line = shapely.boundary(poly)
    cands: list[_Candidate] = []
    for i, e in enumerate(c.entrances):
        x, y = (float(v) for v in ft.to_local(e.lon, e.lat))
        d = float(shapely.distance(line, shapely.Point(x, y)))
        if d > ENTRANCE_NODE_M:
            warnings.append(
                Warning(
                    where,
                    f"community entrance {e.name!r}",
                    f"is {d:.0f} m from the community boundary",
                    "kept (the scene file says it is an entrance)",
                )
            )
        cands.append(
            _Candidate(
                x, y, e.use, e.heading, "scene file", e.name, e.name, 0, "file", f"entrance-{i + 1}"
            )
        )
    if c.finds_entrances:
        far: dict[str, list[str]] = {}
        doors_out: dict[str, list[str]] = {}
        if nodes:
            dist = shapely.distance(line, shapely.points([(n.x, n.y) for n in nodes]))
        outside = _outside_building(scene, poly)
        for n, d in zip(nodes, dist if nodes else [], strict=True):
            if d > ENTRANCE_NODE_M:
                far.setdefault(n.source, []).append(n.fid)
                continue
            door = n.label.startswith("entrance=")
            if door and outside(n.x, n.y):
                doors_out.setdefault(n.source, []).append(n.fid)
                continue
            m = re.match(r"^node/(-?\d+)$", n.fid)
            cands.append(
                _Candidate(
                    n.x,
                    n.y,
                    n.use,
                    None,
                    f"OSM node {m.group(1)} ({n.label})"
                    if m
                    else f"GIS point {n.fid} of {n.source} ({n.label})",
                    n.name,
                    _node_name(n.label),
                    _DOOR_RANK if door else 1,
                    "node",
                    f"osm-n{m.group(1)}" if m else "",
                )
            )
        for source, fids in far.items():
            warnings.append(
                group_warning(
                    source,
                    fids,
                    f"an entrance or gate more than {ENTRANCE_NODE_M:g} m from the community "
                    "boundary: not a community entrance",
                    "ignored",
                    not_drawn=False,
                )
            )
        for source, fids in doors_out.items():
            warnings.append(
                group_warning(
                    source,
                    fids,
                    "a door of a building outside the community (on its boundary): not a "
                    "community entrance",
                    "ignored",
                    not_drawn=False,
                )
            )
        crossings, touching = _road_crossings(scene.surfaces["road"], poly, line)
        cands += crossings
        by_source: dict[str, list[str]] = {}
        for s in touching:
            by_source.setdefault(s.source, []).append(s.id)
        for source, ids in by_source.items():
            warnings.append(
                group_warning(
                    source,
                    ids,
                    "meets the community boundary without crossing it: not an entrance",
                    "ignored",
                    not_drawn=False,
                )
            )
    elif nodes:
        for source in dict.fromkeys(n.source for n in nodes):
            warnings.append(
                group_warning(
                    source,
                    [n.fid for n in nodes if n.source == source],
                    "an entrance or gate: not looked at, as the scene file's [community] says "
                    "find_entrances = false",
                    "ignored",
                    not_drawn=False,
                )
            )
    groups = _merge(cands)
    given = [g for g in groups if g.rank == 0]
    found = sorted(
        (g for g in groups if g.rank > 0),
        key=lambda g: float(shapely.line_locate_point(line, shapely.Point(g.x, g.y))),
    )
    out = [_entrance(g, g.ident, ft) for g in given]
    n_cross = n_point = 0
    for g in found:
        ident = g.ident
        if not ident:
            if g.kind == "node":
                n_point += 1
                ident = f"gate-{n_point}"
            else:
                n_cross += 1
                ident = f"crossing-{n_cross}"
        out.append(_entrance(g, ident, ft))
    if c.finds_entrances and not found:
        warnings.append(
            Warning(
                where,
                "community",
                f"no entrance found: no entrance or gate node within {ENTRANCE_NODE_M:g} m of the "
                "boundary, and no road or path crosses it",
                "none found (give them as [[community.entrances]])",
            )
        )
    return out


# -- the community ----------------------------------------------------------------------------
def build_community(
    scene: Scene,
    ft: FrameTransform,
    layers: list[Layer],
    clip: shapely.Geometry | None,
    nodes: list[EntranceNode],
    warnings: list[Warning],
) -> Community | None:
    """The scene's community. With a ``[community]`` table: its boundary, closed / open, road
    classes, and entrances (the table's, then, when ``find_entrances``, OSM entrance and gate
    nodes within ENTRANCE_NODE_M of the boundary line and road / path crossings of it, merged
    within ENTRANCE_MERGE_M). Without one: the clip area, else the convex hull of the scene's
    buildings and roads; open, default road classes, no entrances (a boundary that is only
    where the data stops would make every road cut there an entrance). None when the scene has
    no extent."""
    spec = scene.spec
    where = str(spec.path) if spec.path else spec.name
    c = spec.community
    if c is None:
        if clip is not None:
            poly, source = clip, "clip area (no [community] table)"
        else:
            poly = _extent(scene)
            source = "scene extent: convex hull of buildings and roads (no [community] table)"
        if poly is None:
            return None
        return Community(
            shapely.to_wkb(poly),
            False,
            MAIN_ROADS_DEFAULT,
            IMPORTANT_ROADS_DEFAULT,
            [],
            source,
            float(poly.area),
            float(poly.length),
            False,
            _box(poly),
        )
    poly, source = _declared_boundary(c, layers, ft, where)
    poly = shapely.normalize(shapely.force_2d(poly))
    if poly.is_empty or poly.area <= 1.0:
        raise InputError(
            where,
            f"the community boundary ({source}) has no area.",
            "Give a polygon of at least 3 distinct vertices around the community.",
        )
    data = _extent(scene)
    if data is not None:
        gap = float(shapely.distance(data, poly))
        if gap > _DATA_MARGIN_M:
            raise InputError(
                where,
                f"the community boundary ({source}) lies {gap / 1000:.1f} km from the "
                "scene's data.",
                "Check it (lon before lat, in degrees; the file's CRS).",
            )
    entrances = _entrances(c, scene, ft, poly, nodes, warnings, where)
    return Community(
        shapely.to_wkb(poly),
        c.closed,
        MAIN_ROADS_DEFAULT if c.main_roads is None else frozenset(c.main_roads),
        IMPORTANT_ROADS_DEFAULT if c.important_roads is None else frozenset(c.important_roads),
        entrances,
        source,
        float(poly.area),
        float(poly.length),
        True,
        _box(poly),
    )


def _box(poly: shapely.Geometry) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(poly))
    return x0, y0, x1, y1
