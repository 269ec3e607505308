"""OpenStreetMap files (XML ``.osm``, ``.osm.pbf``, and XML compressed with gzip or bzip2)
through pyosmium (libosmium), feature by feature, so that no single feature can cost the file.

Features are the objects with tags: nodes (points), ways (lines, or areas when closed and
tagged as one, GDAL's rule), and multipolygon / boundary relations (areas assembled by
libosmium). Each one is either returned or named in a warning that says why it is not: nodes
outside the extract, a ring that does not close, member ways missing. Files not sorted by id
(merged extracts, JOSM files with negative ids for new objects) are sorted in memory first, with
a warning that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import shapely
from osmium.osm.mutable import Node, Relation, Way
from pyproj import CRS

from twin.core.errors import InputError
from twin.ingest.ledger import group_warning
from twin.ingest.sources import Layer, check_readable, first_line, repair_geometries
from twin.scene.entities import Warning

AREA_KEYS = {
    "aeroway",
    "amenity",
    "boundary",
    "building",
    "building:part",
    "craft",
    "geological",
    "historic",
    "landuse",
    "leisure",
    "military",
    "natural",
    "office",
    "place",
    "shop",
    "sport",
    "tourism",
    "water",
    "area:highway",
    "parking",
}
AREA_VALUES = {("waterway", "riverbank"), ("highway", "platform"), ("public_transport", "platform")}
"""A closed way is an area when it has one of these keys (or key=value pairs), or area=yes, and not
area=no: the rule of GDAL's OSM driver, so files read the same as in QGIS."""
AREA_RELATIONS = ("multipolygon", "boundary")


def closed_way_is_area(tags: dict[str, str]) -> bool:
    if tags.get("area") == "no":
        return False
    if tags.get("area") == "yes":
        return True
    return any(k in AREA_KEYS for k in tags) or any((k, v) in AREA_VALUES for k, v in tags.items())


def osm_format(path: Path) -> str:
    """libosmium's format name for ``path``, from its first bytes (names lie)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if b"OSMHeader" in head[:32]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<osm")):
        return "osm"
    raise InputError(
        path,
        "is not an OpenStreetMap file (neither OSM XML nor PBF).",
        "Export the area again as .osm or .osm.pbf (for "
        "example from openstreetmap.org or Geofabrik).",
    )


@dataclass
class _Read:
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    relations: dict[int, list[int]] = field(
        default_factory=dict
    )  # area relation id -> member way ids
    areas: set[int] = field(default_factory=set)  # relation ids that were assembled (valid or not)
    ways: set[int] = field(default_factory=set)
    cut: set[int] = field(default_factory=set)  # ways with nodes outside the extract
    other_relations: dict[str, list[str]] = field(default_factory=dict)  # type -> relation fids
    cut_ways: list[str] = field(default_factory=list)
    negative: bool = False
    damaged: bool = False
    points: list[tuple[int, float, float]] = field(default_factory=list)  # row, lon, lat
    lines: list[tuple[int, bytes, bool]] = field(default_factory=list)  # row, WKB, closed area


class _AllWays(osmium.SimpleHandler):  # type: ignore[misc]
    """The ways without tags (members of multipolygons), which the filter holds back: which are
    in the file, and which have nodes outside the extract."""

    def __init__(self, r: _Read) -> None:
        super().__init__()
        self.r = r

    def way(self, w: Any) -> None:
        self.r.ways.add(w.id)
        if not all(n.location.valid() for n in w.nodes):
            self.r.cut.add(w.id)


def read_osm(path: Path, name: str | None = None) -> Layer:
    """Every tagged object of an OSM file as a feature (``fid`` node/N, way/N, relation/N)."""
    check_readable(path)
    where = name or path.name
    fmt = osm_format(path)
    t0 = perf_counter()
    try:
        r = _read(osmium.io.File(str(path), fmt), where)
        note = None
        if r.negative:
            raise _Unsorted
    except _Unsorted:
        r, note = _read_sorted(path, fmt, where, t0)
    except RuntimeError as exc:
        if "out of order" in str(exc).lower():
            r, note = _read_sorted(path, fmt, where, t0)
        else:
            r = _read(
                osmium.io.File(str(path), fmt), where, areas=False
            )  # what comes before the damage
            if not r.rows:
                raise _unreadable(path, exc) from None
            note = (
                f"is damaged or truncated ({first_line(exc)}): the {len(r.rows)} features before "
                "the damage are read, multipolygons are not assembled; download or export it again"
            )
    if note:
        r.warnings.insert(0, Warning(where, "file", note, "read"))
    for rid, members in r.relations.items():
        if rid in r.areas:
            continue
        missing = sum(1 for w in members if w not in r.ways)
        cut = sum(1 for w in members if w in r.cut)
        if r.damaged:
            why = "not assembled: the file is damaged"
        elif not members:
            why = "has no member ways (only nodes or other relations)"
        elif missing:
            why = f"{_of(missing, len(members), 'member way')} not in the extract (cut at its edge)"
        elif cut:
            why = (
                f"{_of(cut, len(members), 'member way', ('has', 'have'))} nodes outside "
                "the extract (cut at its edge)"
            )
        else:
            why = "its member ways do not form closed rings"
        r.warnings.append(Warning(where, f"relation/{rid}", why, "skipped", not_drawn=1))
    for rtype, fids in sorted(r.other_relations.items()):
        r.warnings.append(
            group_warning(
                where,
                fids,
                f"a {rtype} relation: a group of other features, not drawn itself",
                "ignored",
            )
        )
    if r.cut_ways:
        r.warnings.append(
            group_warning(
                where,
                r.cut_ways,
                "has nodes outside the extract",
                "drawn up to the extract's edge",
                not_drawn=False,
            )
        )
    read = len(r.rows) + sum(w.not_drawn for w in r.warnings)
    if not read:
        raise InputError(
            path,
            "has no OpenStreetMap features (no object has tags).",
            "Export an area that has data.",
        )
    gdf = gpd.GeoDataFrame(
        r.rows, columns=["fid", "tags", "layer", "geometry"], geometry="geometry", crs="EPSG:4326"
    )
    gdf = repair_geometries(gdf, where, r.warnings)
    return Layer(where, gdf, CRS.from_epsg(4326), None, r.warnings, read=read)


class _Unsorted(Exception):
    pass


def _unreadable(path: Path, exc: BaseException) -> InputError:
    return InputError(
        path,
        f"is not a readable OpenStreetMap file ({first_line(exc)}).",
        "Check that it is a complete .osm.pbf or .osm XML export (download it again).",
    )


def _read(source: Any, where: str, areas: bool = True) -> _Read:
    """One pass of libosmium over ``source``; without ``areas``, read up to the first error (a
    damaged file) and assemble no multipolygons."""
    r = _Read(damaged=not areas)
    fp = osmium.FileProcessor(source).with_locations()
    if areas:
        fp = fp.with_areas()
    fp = fp.with_filter(osmium.filter.EmptyTagFilter()).handler_for_filtered(_AllWays(r))
    try:
        _objects(fp, r, where)
    except RuntimeError:
        if areas:
            raise
    _materialise(r)
    return r


def _objects(fp: Any, r: _Read, where: str) -> None:
    wkb = osmium.geom.WKBFactory()
    for o in fp:
        if o.id < 0:
            r.negative = True  # libosmium's location index holds positive ids only
        if o.is_node():
            loc = o.location
            if not loc.valid():
                r.warnings.append(
                    Warning(where, f"node/{o.id}", "has no valid location", "skipped", not_drawn=1)
                )
                continue
            r.rows.append(_row(f"node/{o.id}", o.tags, "points", None))
            r.points.append((len(r.rows) - 1, loc.lon, loc.lat))
        elif o.is_way():
            r.ways.add(o.id)
            _way(o, r, where, wkb)
        elif o.is_relation():
            rtype = o.tags.get("type", "")
            if rtype in AREA_RELATIONS:
                r.relations[o.id] = [m.ref for m in o.members if m.type == "w"]
            else:
                r.other_relations.setdefault(rtype or "untyped", []).append(f"relation/{o.id}")
        elif o.is_area() and not o.from_way():
            rid = o.orig_id()
            r.areas.add(rid)
            fid = f"relation/{rid}"
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(o))
            except RuntimeError:
                r.warnings.append(
                    Warning(
                        where,
                        fid,
                        "its rings do not close or they cross each other",
                        "skipped",
                        not_drawn=1,
                    )
                )
                continue
            r.rows.append(_row(fid, o.tags, "multipolygons", geom))


def _of(k: int, n: int, what: str, verb: tuple[str, str] = ("is", "are")) -> str:
    """'1 of its 5 nodes is', '2 of its 5 nodes are', 'its only node is' (or another verb)."""
    if n == 1:
        return f"its only {what} {verb[0]}"
    return f"{k} of its {n} {what}s {verb[0] if k == 1 else verb[1]}"


def _row(fid: str, tags: Any, layer: str, geom: shapely.Geometry | None) -> dict[str, Any]:
    t = tags if isinstance(tags, dict) else {x.k: x.v for x in tags}
    return {"fid": fid, "tags": t, "layer": layer, "geometry": geom}


def _way(o: Any, r: _Read, where: str, wkb: Any) -> None:
    fid = f"way/{o.id}"
    tags = {t.k: t.v for t in o.tags}
    nodes = o.nodes
    closed = len(nodes) >= 4 and nodes[0].ref == nodes[-1].ref
    area = closed and closed_way_is_area(tags)
    try:
        line = wkb.create_linestring(o)
    except (
        osmium.InvalidLocationError,
        RuntimeError,
    ):  # nodes outside the extract, or < 2 distinct nodes
        pass
    else:  # the common case: geometries are made in one batch at the end (``_materialise``)
        r.rows.append(_row(fid, tags, "multipolygons" if area else "lines", None))
        r.lines.append((len(r.rows) - 1, line, area))
        return
    coords = np.array([(n.lon, n.lat) for n in nodes if n.location.valid()], dtype=float).reshape(
        -1, 2
    )
    missing = len(nodes) - len(coords)
    distinct = len(np.unique(coords, axis=0))
    if area and missing:
        r.cut.add(o.id)
        # an area cut at the extract's edge (a building, a park) is drawn from its nodes inside,
        # as QGIS draws it; the warning lists them
        if distinct < 3:
            r.warnings.append(
                Warning(
                    where,
                    fid,
                    f"{_of(missing, len(nodes), 'outline node')} outside the extract",
                    "skipped",
                    not_drawn=1,
                )
            )
            return
        r.cut_ways.append(fid)
        r.rows.append(
            _row(fid, tags, "multipolygons", shapely.Polygon(np.vstack([coords, coords[:1]])))
        )
        return
    if distinct < 2:
        why = (
            f"only {_of(len(coords), len(nodes), 'node')} in the extract"
            if missing
            else "has fewer than two distinct nodes"
        )
        r.warnings.append(Warning(where, fid, why, "skipped", not_drawn=1))
        return
    r.cut_ways.append(fid)
    r.cut.add(o.id)
    r.rows.append(_row(fid, tags, "lines", shapely.LineString(coords)))


def _materialise(r: _Read) -> None:
    """The geometries of nodes and whole ways, made in one vectorised call each."""
    if r.points:
        idx, lon, lat = (np.array(c) for c in zip(*r.points, strict=True))
        for i, g in zip(idx, shapely.points(np.column_stack([lon, lat])), strict=True):
            r.rows[int(i)]["geometry"] = g
    if r.lines:
        idx = np.array([i for i, _, _ in r.lines])
        geoms = shapely.from_wkb([w for _, w, _ in r.lines])
        area = np.array([a for _, _, a in r.lines], dtype=bool)
        n = shapely.get_num_coordinates(geoms)
        poly = area & (n >= 4)  # a closed way of three distinct nodes or more
        out = geoms.copy()
        if poly.any():
            coords, which = shapely.get_coordinates(geoms[poly], return_index=True)
            out[poly] = shapely.polygons(shapely.linearrings(coords, indices=which))
        for i, g, p in zip(idx, out, poly, strict=True):
            row = r.rows[int(i)]
            row["geometry"] = g
            if not p:
                row["layer"] = "lines"
    r.points, r.lines = [], []


def _read_sorted(path: Path, fmt: str, where: str, t0: float) -> tuple[_Read, str]:
    """Read an unsorted file (or one with negative ids) by sorting it in memory into a
    temporary PBF, ids renumbered 1.. in order; messages name the original ids."""
    import tempfile

    nodes: list[Any] = []
    ways: list[Any] = []
    rels: list[Any] = []
    try:
        for o in osmium.FileProcessor(osmium.io.File(str(path), fmt)):
            tags = {t.k: t.v for t in o.tags}
            if o.is_node():
                nodes.append(
                    (
                        o.id,
                        o.location.lon if o.location.valid() else None,
                        o.location.lat if o.location.valid() else None,
                        tags,
                    )
                )
            elif o.is_way():
                ways.append((o.id, [n.ref for n in o.nodes], tags))
            elif o.is_relation():
                rels.append((o.id, [(m.type, m.ref, m.role) for m in o.members], tags))
    except RuntimeError as exc:
        raise _unreadable(path, exc) from None
    nmap = {old: i + 1 for i, old in enumerate(sorted(n[0] for n in nodes))}
    wmap = {old: i + 1 for i, old in enumerate(sorted(w[0] for w in ways))}
    rmap = {old: i + 1 for i, old in enumerate(sorted(x[0] for x in rels))}
    back_w = {v: k for k, v in wmap.items()}
    back_r = {v: k for k, v in rmap.items()}
    back_n = {v: k for k, v in nmap.items()}
    maps = {"n": nmap, "w": wmap, "r": rmap}
    with tempfile.TemporaryDirectory(prefix="twin-osm-") as tmp:
        out = Path(tmp) / "sorted.osm.pbf"
        w = osmium.SimpleWriter(str(out))
        try:
            for oid, lon, lat, tags in sorted(nodes, key=lambda n: nmap[n[0]]):
                w.add_node(
                    Node(
                        id=nmap[oid],
                        location=(lon, lat) if lon is not None else None,
                        tags=tags,
                        version=1,
                    )
                )
            for oid, refs, tags in sorted(ways, key=lambda x: wmap[x[0]]):
                w.add_way(
                    Way(id=wmap[oid], nodes=[nmap.get(x, 0) for x in refs], tags=tags, version=1)
                )
            for oid, members, tags in sorted(rels, key=lambda x: rmap[x[0]]):
                w.add_relation(
                    Relation(
                        id=rmap[oid],
                        members=[(t, maps[t].get(ref, 0), role) for t, ref, role in members],
                        tags=tags,
                        version=1,
                    )
                )
        finally:
            w.close()
        r = _read_renumbered(out, where, back_n, back_w, back_r)
    note = (
        "is not sorted by id (or has negative ids, as JOSM writes for new objects): sorted in "
        f"memory to read it ({perf_counter() - t0:.1f} s); "
        "`osmium sort` makes a copy that reads faster"
    )
    return r, note


def _read_renumbered(
    out: Path, where: str, back_n: dict[int, int], back_w: dict[int, int], back_r: dict[int, int]
) -> _Read:
    """Read the sorted copy; node / way / relation ids are mapped back for messages."""
    r = _read(osmium.io.File(str(out), "pbf"), where)
    back = {"node": back_n, "way": back_w, "relation": back_r}

    def fix(fid: str) -> str:
        kind, _, num = fid.partition("/")
        if kind in back and num.lstrip("-").isdigit():
            return f"{kind}/{back[kind].get(int(num), int(num))}"
        return fid

    for row in r.rows:
        row["fid"] = fix(row["fid"])
    for w in r.warnings:
        w.feature = fix(w.feature)
    r.other_relations = {k: [fix(f) for f in v] for k, v in r.other_relations.items()}
    r.cut_ways = [fix(f) for f in r.cut_ways]
    r.relations = {
        back_r.get(k, k): [back_w.get(m, m) for m in ms] for k, ms in r.relations.items()
    }
    r.areas = {back_r.get(k, k) for k in r.areas}
    r.ways = {back_w.get(k, k) for k in r.ways}
    r.cut = {back_w.get(k, k) for k in r.cut}
    r.negative = False
    return r
