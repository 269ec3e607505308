"""Opening GIS sources: format detection, OSM through GDAL's OSM driver, and vector layers
(GeoJSON, GeoPackage, Shapefile, FlatGeobuf) through pyogrio.

Every reader returns a :class:`Layer`: a GeoDataFrame with ``geometry``, ``tags`` (a dict per
feature, OSM-style keys) and ``fid`` (a stable feature id for messages), in the file's CRS.
"""

from __future__ import annotations

import json
import math
import warnings as _pywarnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS

from twin.core.errors import InputError
from twin.ingest.crs import GCJ_MESSAGE, is_obfuscated, parse_crs
from twin.scene.entities import Warning

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.xml")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb", ".gml", ".kml")
CITYJSON_SUFFIXES = (".city.json", ".cityjson")


@dataclass
class Layer:
    name: str
    frame: gpd.GeoDataFrame
    crs: CRS
    hint: str | None = None
    """Kind that untagged features of this layer are (from the file or layer name)."""
    warnings: list[Warning] = field(default_factory=list)
    report_unmatched: bool = False
    """Whether features that match no kind deserve a warning (a user's GIS layer: yes; an OSM
    extract, where most features are of no concern to the scene: no)."""


def detect_format(path: Path) -> str:
    """'osm', 'cityjson' or 'vector' for a GIS source; raises InputError when unknown."""
    name = path.name.lower()
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    if name.endswith(CITYJSON_SUFFIXES):
        return "cityjson"
    if name.endswith((".json", ".geojson")):
        with open(path, "rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
        return "cityjson" if '"CityJSON"' in head.replace(" ", "") or '"type":"CityJSON"' in head else "vector"
    if name.endswith(VECTOR_SUFFIXES):
        return "vector"
    raise InputError(
        path, f"unknown GIS format '{path.suffix or path.name}'.",
        "Use OpenStreetMap (.osm.pbf, .osm), GeoJSON, GeoPackage, Shapefile or CityJSON (.city.json).",
    )


def check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "no such file.", "Check the path (paths in a scene file are relative to it).")
    if path.is_dir():
        raise InputError(path, "is a directory, not a file.")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror}).", "Check its permissions.") from None
    if path.stat().st_size == 0:
        raise InputError(path, "is empty (0 bytes).", "Export the data again.")


def _repair(gdf: gpd.GeoDataFrame, source: str, warnings: list[Warning]) -> gpd.GeoDataFrame:
    """Repair invalid geometries where possible, drop the rest; each one is a warning."""
    geoms = gdf.geometry.values
    missing = np.asarray(pd.isna(geoms)) | np.asarray(shapely.is_empty(geoms), dtype=bool)
    for fid in gdf["fid"][missing]:
        warnings.append(Warning(source, str(fid), "geometry could not be read (unclosed or broken rings)", "skipped"))
    gdf = gdf[~missing]
    invalid = ~np.asarray(gdf.geometry.is_valid, dtype=bool)
    if invalid.any():
        reasons = shapely.is_valid_reason(gdf.geometry.values[invalid])
        fixed = shapely.make_valid(gdf.geometry.values[invalid])
        gdf = gdf.copy()
        gdf.loc[gdf.index[invalid], "geometry"] = fixed
        for fid, why in zip(gdf["fid"][invalid], reasons, strict=True):
            warnings.append(Warning(source, str(fid), f"invalid geometry ({why})", "repaired"))
    return gdf


def osm_config_path() -> str:
    return str(resources.files("twin.ingest") / "osmconf.ini")


def read_osm(path: Path) -> Layer:
    """OSM XML or PBF, all tags kept, through GDAL's OSM driver."""
    check_readable(path)
    pyogrio.set_gdal_config_options({"OSM_CONFIG_FILE": osm_config_path(), "OGR_GEOMETRY_ACCEPT_UNCLOSED_RING": "NO"})
    frames = []
    warnings: list[Warning] = []
    for layer, prefix in (("points", "node"), ("lines", "way"), ("multipolygons", "area")):
        try:
            with _pywarnings.catch_warnings():
                _pywarnings.simplefilter("ignore")
                df = pyogrio.read_dataframe(path, layer=layer, on_invalid="fix")
        except (DataSourceError, DataLayerError) as exc:
            raise InputError(path, f"is not a readable OpenStreetMap file ({_first_line(exc)}).",
                             "Check that it is a complete .osm.pbf or .osm XML export.") from None
        if df.empty:
            continue
        if layer == "multipolygons":
            way = df["osm_way_id"].astype("string")
            rel = df["osm_id"].astype("string")
            fid = np.where(way.notna(), "way/" + way.fillna(""), "relation/" + rel.fillna(""))
        else:
            fid = f"{'node' if prefix == 'node' else 'way'}/" + df["osm_id"].astype(str)
        tags = [_tags(t) for t in df["all_tags"]]
        frames.append(gpd.GeoDataFrame({"fid": fid, "tags": tags, "layer": layer}, geometry=df.geometry.values,
                                       crs="EPSG:4326"))
    if not frames:
        raise InputError(path, "has no OpenStreetMap features.", "Export an area that has data.")
    gdf = pd.concat(frames, ignore_index=True)
    gdf = _repair(gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326"), path.name, warnings)
    return Layer(path.name, gdf, CRS.from_epsg(4326), None, warnings)


def _tags(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            out = json.loads(value)
            return out if isinstance(out, dict) else {}
        except json.JSONDecodeError:
            return {}
    return {}


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# Column names of common GIS layers -> OSM-style keys
_COLUMN_ALIASES = {
    "floors": "building:levels", "storeys": "building:levels", "stories": "building:levels",
    "levels": "building:levels", "num_floors": "building:levels", "nfloors": "building:levels",
    "层数": "building:levels", "楼层数": "building:levels",
    "bldg_height": "height", "building_height": "height", "高度": "height", "建筑高度": "height",
    "measuredheight": "height", "名称": "name", "类型": "kind",
}
_HINTS = (
    ("building", ("building", "bldg", "house", "footprint", "建筑", "楼")),
    ("road", ("road", "street", "highway", "道路", "路网")),
    ("green", ("green", "park", "vegetation", "绿地", "绿化")),
    ("water", ("water", "river", "lake", "水系", "水体")),
    ("parking_lot", ("parking", "停车")),
)


def layer_hint(name: str) -> str | None:
    n = name.lower()
    for kind, keys in _HINTS:
        if any(k in n for k in keys):
            return kind
    return None


def read_vector(path: Path, crs_override: str | None = None, layer: str | None = None) -> list[Layer]:
    """Every layer of a GeoJSON / GeoPackage / Shapefile (or the one named)."""
    check_readable(path)
    try:
        names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(path, f"is not a readable GIS file ({_first_line(exc)}).",
                         "Use GeoJSON, GeoPackage, Shapefile or CityJSON.") from None
    if layer is not None:
        if layer not in names:
            raise InputError(path, f"has no layer {layer!r} (it has: {', '.join(names)}).")
        names = [layer]
    out = []
    for name in names:
        try:
            info = pyogrio.read_info(path, layer=name)
            with _pywarnings.catch_warnings():
                _pywarnings.simplefilter("ignore")
                df = pyogrio.read_dataframe(path, layer=name, on_invalid="fix")
        except (DataSourceError, DataLayerError) as exc:
            raise InputError(path, f"layer {name!r} cannot be read ({_first_line(exc)}).") from None
        if info.get("geometry_type") in (None, "Unknown") and "geometry" not in df:
            continue  # attribute-only table (e.g. GeoPackage metadata)
        if df.empty:
            continue
        declared = info.get("crs")
        where = f"{path.name}" + (f" layer {name!r}" if len(names) > 1 else "")
        if crs_override:
            crs = parse_crs(crs_override, where)
        elif declared:
            if is_obfuscated(str(declared)):
                raise InputError(where, GCJ_MESSAGE)
            crs = parse_crs(declared, where)
        else:
            raise InputError(
                where, "declares no CRS.",
                "Add a .prj file, or declare it: --gis PATH@EPSG:N, or crs = \"EPSG:N\" in the scene's [[sources]].",
            )
        _check_crs_plausible(df, crs, where)
        cols = [c for c in df.columns if c != "geometry"]
        records = df[cols].to_dict("records") if cols else [{} for _ in range(len(df))]
        tags = [{_COLUMN_ALIASES.get(str(k).lower(), str(k).lower() if str(k).lower() in _KNOWN else str(k)):
                 _scalar(v) for k, v in r.items() if not _is_null(v)} for r in records]
        fid_col = next((c for c in cols if str(c).lower() in ("id", "fid", "osm_id", "gid", "objectid")), None)
        fids = (df[fid_col].astype(str).tolist() if fid_col else [f"feature {i}" for i in range(len(df))])
        gdf = gpd.GeoDataFrame({"fid": fids, "tags": tags, "layer": name}, geometry=df.geometry.values, crs=crs)
        warnings: list[Warning] = []
        gdf = _repair(gdf, where, warnings)
        out.append(Layer(where, gdf, crs, layer_hint(f"{path.stem} {name}"), warnings, report_unmatched=True))
    if not out:
        raise InputError(path, "has no features (empty layer).", "Export the layer again with its features.")
    return out


_KNOWN = {"height", "building", "name", "highway", "kind", "width", "lanes", "landuse", "leisure",
          "natural", "amenity", "parking", "waterway", "min_height", "building:levels", "road_class", "class"}


def _scalar(v: Any) -> Any:
    """Nested GeoJSON property values (lists, objects) as JSON text, so rules can compare them."""
    if isinstance(v, list | dict | tuple | np.ndarray):
        try:
            return json.dumps(v if not isinstance(v, np.ndarray) else v.tolist(), ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            return str(v)
    return v


def _is_null(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, list | dict | tuple | np.ndarray):
        return False
    return v is pd.NA or v is pd.NaT


def _check_crs_plausible(df: gpd.GeoDataFrame, crs: CRS, where: str) -> None:
    if not crs.is_geographic or df.geometry.isna().all():
        return
    minx, miny, maxx, maxy = df.geometry.total_bounds
    if not (-180.5 <= minx <= maxx <= 180.5 and -90.5 <= miny <= maxy <= 90.5):
        raise InputError(
            where, f"declares geographic coordinates ({crs.name}) but holds values like "
            f"({minx:.0f}, {miny:.0f}): these are projected metres.",
            "Declare the real CRS: --gis PATH@EPSG:N, or crs = \"EPSG:N\" in the scene's [[sources]].",
        )
