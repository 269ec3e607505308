"""CityJSON 1.0 / 1.1 / 2.0 reader (GDAL has no driver for it).

Buildings keep their own 3D geometry (LoD1 or LoD2 solids and multi-surfaces, BuildingParts
folded into their parent); Road / TransportSquare, PlantCover, WaterBody and LandUse objects
become flat road / green / water / ground surfaces from their 2D outline. Other object types
are counted in one warning per type, never dropped silently.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from twin.core.errors import InputError
from twin.ingest.crs import parse_crs, z_unit_metres
from twin.ingest.meshing import planar_polygon_3d
from twin.ingest.sources import Layer, check_readable
from twin.scene.entities import Warning

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
SURFACE_TYPES = {
    "Road": "road",
    "TransportSquare": "road",
    "Railway": "road",
    "PlantCover": "green",
    "WaterBody": "water",
    "LandUse": "ground",
}
BUILDING_TYPES = {"Building"}
CHILD_TYPES = {"BuildingPart", "BuildingInstallation", "BuildingConstructiveElement"}


@dataclass
class CityBuilding:
    id: str
    type: str
    name: str
    attributes: dict[str, Any]
    points: np.ndarray  # (N, 3) in the file's CRS
    faces: np.ndarray  # (M, 3)
    footprint: shapely.Geometry
    lod: str


@dataclass
class CityModel:
    crs: CRS
    name: str = ""
    """The file's name in messages."""
    read: int = 0
    """Top-level city objects read (parts are folded into their parent)."""
    z_to_m: float = 1.0
    """Metres per unit of the vertices' z (CRSs in feet, such as EPSG:2263, have z in feet)."""
    buildings: list[CityBuilding] = field(default_factory=list)
    surfaces: Layer | None = None
    warnings: list[Warning] = field(default_factory=list)


def _epsg_from_reference(ref: str) -> str | None:
    m = re.search(r"EPSG(?:/\d+/|::?)(\d+)", ref or "", re.IGNORECASE)
    return f"EPSG:{m.group(1)}" if m else None


def _check_transform(tr: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    fix = "Each of 'scale' and 'translate' must be 3 finite numbers, scale > 0 (see cityjson.org)."
    if not isinstance(tr, dict):
        raise InputError(where, "has a bad 'transform' (not an object).", fix)
    scale, translate = tr.get("scale"), tr.get("translate")
    try:
        s = np.asarray(scale, dtype=float)
        t = np.asarray(translate, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            where, f"has a bad 'transform' (scale={scale!r}, translate={translate!r}).", fix
        ) from None
    if (
        s.shape != (3,)
        or t.shape != (3,)
        or not np.all(np.isfinite(s))
        or not np.all(np.isfinite(t))
        or np.any(s <= 0)
    ):
        raise InputError(
            where, f"has a bad 'transform' (scale={scale!r}, translate={translate!r}).", fix
        )
    return s, t


def _lod_rank(lod: Any) -> tuple[int, float]:
    """Prefer the highest LoD below 3 (LoD2.2 > LoD2 > LoD1.3 ...), then the lowest above."""
    try:
        v = float(str(lod))
    except ValueError:
        v = 0.0
    return (1, v) if v < 3 else (0, -v)


def _surfaces(geom: dict[str, Any]) -> list[list[list[int]]]:
    """The surfaces (each a list of rings of vertex indices) of a CityJSON geometry."""
    t = geom.get("type")
    b = geom.get("boundaries") or []
    if t in ("MultiSurface", "CompositeSurface"):
        return list(b)
    if t == "Solid":
        return [s for shell in b for s in shell]
    if t in ("MultiSolid", "CompositeSolid"):
        return [s for solid in b for shell in solid for s in shell]
    return []


def _mesh(surfaces: list[list[list[int]]], verts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pts, faces, n = [], [], 0
    nv = len(verts)
    for surf in surfaces:
        rings = []
        for ring in surf:
            idx = np.asarray(ring, dtype=np.int64)
            if idx.ndim != 1 or (len(idx) and (idx.min() < 0 or idx.max() >= nv)):
                raise IndexError("vertex index out of range")
            rings.append(verts[idx])
        if len(surf) == 1 and len(rings[0]) == 3:
            p, f = rings[0], np.array([[0, 1, 2]])
        else:
            p, f = planar_polygon_3d(rings)
        if len(f):
            pts.append(p)
            faces.append(f + n)
            n += len(p)
    if not pts:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(pts), np.concatenate(faces)


def _outline(points: np.ndarray, faces: np.ndarray, downward_only: bool) -> shapely.Geometry:
    """2D outline: union of the triangles facing down (ground surfaces), else of all."""
    tri = points[faces]
    if downward_only:
        n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        down = n[:, 2] < -1e-9 * (np.abs(n).sum(axis=1) + 1e-12)
        if down.sum() >= 1:
            tri = tri[down]
        else:
            return shapely.convex_hull(shapely.multipoints(points[:, :2]))
    polys = shapely.polygons(np.concatenate([tri[:, :, :2], tri[:, :1, :2]], axis=1))
    polys = polys[shapely.area(polys) > 1e-9]
    if not len(polys):
        return shapely.convex_hull(shapely.multipoints(points[:, :2]))
    return shapely.make_valid(shapely.union_all(polys, grid_size=0.001))


def read_cityjson(
    path: Path, crs_override: str | None = None, name: str | None = None
) -> CityModel:
    check_readable(path)
    where = name or path.name
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            path, f"is not valid JSON ({exc}).", "Export the CityJSON file again."
        ) from None
    if not isinstance(doc, dict) or doc.get("type") != "CityJSON":
        raise InputError(path, 'is not a CityJSON file (no "type": "CityJSON").')
    version = str(doc.get("version", ""))
    if version not in SUPPORTED_VERSIONS:
        raise InputError(
            path,
            f"is CityJSON version {version or '(none)'}, which is not supported.",
            f"Supported versions: {', '.join(SUPPORTED_VERSIONS)}; upgrade it with cjio.",
        )
    verts_raw = doc.get("vertices")
    if not isinstance(verts_raw, list):
        raise InputError(path, "has no 'vertices' list.")
    try:
        verts = np.asarray(verts_raw, dtype=float).reshape(-1, 3) if verts_raw else np.zeros((0, 3))
    except (TypeError, ValueError):
        raise InputError(path, "has malformed 'vertices' (each must be 3 numbers).") from None
    if "transform" in doc:
        s, t = _check_transform(doc["transform"], where)
        verts = verts * s + t
    elif version != "1.0":
        raise InputError(
            path,
            f"has no 'transform', which CityJSON {version} requires.",
            "Export the file again, or validate it with cjval.",
        )
    ref = (doc.get("metadata") or {}).get("referenceSystem")
    if crs_override:
        crs = parse_crs(crs_override, where)
    elif ref:
        code = _epsg_from_reference(str(ref))
        crs = parse_crs(code or str(ref), where)
    else:
        raise InputError(
            path,
            "declares no CRS (metadata.referenceSystem).",
            'Declare it: --gis PATH@EPSG:N, or crs = "EPSG:N" in the scene\'s [[sources]].',
        )
    z_to_m = z_unit_metres(crs)
    if crs.is_compound:
        crs = crs.sub_crs_list[0]
    model = CityModel(crs, where, 0, z_to_m)
    objects: dict[str, Any] = doc.get("CityObjects") or {}
    if not isinstance(objects, dict):
        raise InputError(path, "has a malformed 'CityObjects' (must be an object of id -> object).")
    if not objects:
        raise InputError(path, "has no CityObjects (empty model).")
    for oid, obj in objects.items():
        if not isinstance(obj, dict):
            model.read += 1
            model.warnings.append(
                Warning(where, str(oid), "is not a JSON object", "skipped", not_drawn=1)
            )
    objects = {k: v for k, v in objects.items() if isinstance(v, dict)}
    ignored: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    for oid, obj in objects.items():
        if str(obj.get("type", "")) in CHILD_TYPES or obj.get("parents"):
            continue  # folded into their parent
        model.read += 1
        before = (len(model.buildings), len(rows), len(model.warnings), sum(ignored.values()))
        try:
            _read_object(oid, obj, objects, verts, model, where, rows, ignored)
        except (AttributeError, TypeError, ValueError, IndexError, KeyError) as exc:
            model.warnings.append(
                Warning(
                    where, oid, f"malformed object ({type(exc).__name__})", "skipped", not_drawn=1
                )
            )
        else:
            if (
                len(model.buildings),
                len(rows),
                len(model.warnings),
                sum(ignored.values()),
            ) == before:
                model.warnings.append(
                    Warning(where, oid, "nothing could be read from it", "skipped", not_drawn=1)
                )
    for otype, n in sorted(ignored.items()):
        model.warnings.append(
            Warning(
                where,
                f"{n} {otype} object(s)",
                "type not drawn in the scene",
                "ignored",
                not_drawn=n,
            )
        )
    if rows:
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
        gdf["layer"] = "cityjson"
        model.surfaces = Layer(where, gdf, crs)
    return model


def _read_object(
    oid: str,
    obj: dict[str, Any],
    objects: dict[str, Any],
    verts: np.ndarray,
    model: CityModel,
    where: str,
    rows: list[dict[str, Any]],
    ignored: Counter[str],
) -> None:
    otype = str(obj.get("type", ""))
    if otype in BUILDING_TYPES:
        _read_building(oid, obj, objects, verts, model, where)
        return
    if otype not in SURFACE_TYPES:
        ignored[otype] += 1
        return
    geoms = [g for g in obj.get("geometry") or [] if isinstance(g, dict)]
    best = max(geoms, key=lambda g: _lod_rank(g.get("lod")), default=None)
    if best is None:
        model.warnings.append(
            Warning(where, oid, f"{otype} without geometry", "skipped", not_drawn=1)
        )
        return
    try:
        p, f = _mesh(_surfaces(best), verts)
    except (IndexError, TypeError, ValueError):
        model.warnings.append(
            Warning(where, oid, "geometry refers to missing vertices", "skipped", not_drawn=1)
        )
        return
    if not len(f):
        model.warnings.append(
            Warning(where, oid, f"{otype} geometry has no surfaces", "skipped", not_drawn=1)
        )
        return
    rows.append(
        {
            "fid": oid,
            "tags": {"kind": SURFACE_TYPES[otype], "cityjson:type": otype, "name": _name(obj)},
            "geometry": _outline(p, f, False),
        }
    )


def _name(obj: dict[str, Any]) -> str:
    a = obj.get("attributes") or {}
    return str(a.get("name") or a.get("Name") or "")


def _read_building(
    oid: str,
    obj: dict[str, Any],
    objects: dict[str, Any],
    verts: np.ndarray,
    model: CityModel,
    where: str,
) -> None:
    parts = [obj] + [objects[c] for c in _descendants(oid, objects)]
    with_geom = [o for o in parts if o.get("geometry")]
    children = [o for o in with_geom if o is not obj]
    chosen = (
        children if children and all(o.get("type") != "Building" for o in children) else with_geom
    )
    if not chosen:
        model.warnings.append(
            Warning(where, oid, "Building without geometry", "skipped", not_drawn=1)
        )
        return
    all_p, all_f, n, lods = [], [], 0, []
    for o in chosen:
        geoms = [g for g in o["geometry"] if _surfaces(g)]
        if not geoms:
            if any(g.get("type") == "GeometryInstance" for g in o["geometry"]):
                model.warnings.append(
                    Warning(where, oid, "geometry templates are not supported", "that part skipped")
                )
            continue
        g = max(geoms, key=lambda g: _lod_rank(g.get("lod")))
        try:
            p, f = _mesh(_surfaces(g), verts)
        except (IndexError, TypeError, ValueError):
            model.warnings.append(
                Warning(where, oid, "geometry refers to missing vertices", "skipped", not_drawn=1)
            )
            return
        if len(f):
            all_p.append(p)
            all_f.append(f + n)
            n += len(p)
            lods.append(str(g.get("lod")))
    if not all_p:
        model.warnings.append(
            Warning(where, oid, "Building geometry has no surfaces", "skipped", not_drawn=1)
        )
        return
    points, faces = np.concatenate(all_p), np.concatenate(all_f)
    if not np.all(np.isfinite(points)):
        model.warnings.append(Warning(where, oid, "non-finite coordinates", "skipped", not_drawn=1))
        return
    attrs = obj.get("attributes") or {}
    model.buildings.append(
        CityBuilding(
            oid,
            str(obj.get("type")),
            _name(obj),
            attrs,
            points,
            faces,
            _outline(points, faces, True),
            max(lods, key=lambda s: _lod_rank(s)),
        )
    )


def _descendants(oid: str, objects: dict[str, Any]) -> list[str]:
    out, todo = [], list(objects.get(oid, {}).get("children") or [])
    while todo:
        c = todo.pop()
        if c in objects and c not in out:
            out.append(c)
            todo.extend(objects[c].get("children") or [])
    return out


def building_height(b: CityBuilding) -> float:
    zr = float(b.points[:, 2].max() - b.points[:, 2].min())
    return zr if math.isfinite(zr) else 0.0
