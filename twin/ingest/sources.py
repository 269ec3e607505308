"""Opening GIS sources: format detection and vector layers (GeoJSON, GeoPackage, Shapefile,
FlatGeobuf, GML, KML) through pyogrio. OpenStreetMap is read by ``twin.ingest.osm``.

Every reader returns a :class:`Layer`: a GeoDataFrame with ``geometry``, ``tags`` (a dict per
feature, OSM-style keys), ``fid`` (a stable feature id for messages) and ``note`` (what was
repaired, or None), in the file's CRS, and how many features it read.
"""

from __future__ import annotations

import json
import math
import warnings as _pywarnings
from dataclasses import dataclass, field
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
from twin.ingest.crs import GCJ_MESSAGE, WGS84, is_obfuscated, parse_crs, z_unit_metres
from twin.ingest.heights import convert_heights
from twin.scene.entities import Warning, kind_in_name

OSM_SUFFIXES = (
    ".osm.pbf",
    ".pbf",
    ".osm",
    ".osm.xml",
    ".osm.bz2",
    ".osm.gz",
    ".osm.xml.bz2",
    ".osm.xml.gz",
)
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
    read: int = 0
    """Features the reader read: those in ``frame`` plus those its warnings say it dropped."""
    z_to_m: float = 1.0
    """Metres per unit of the geometry's z (the CRS's vertical, else linear, unit)."""


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
        return (
            "cityjson"
            if '"CityJSON"' in head.replace(" ", "") or '"type":"CityJSON"' in head
            else "vector"
        )
    if name.endswith(VECTOR_SUFFIXES):
        return "vector"
    if ".tar" in name:
        raise InputError(
            path,
            "is a tar archive, which the twin does not open.",
            "Unpack it and give the GIS files inside (or zip them).",
        )
    raise InputError(
        path,
        f"unknown GIS format '{path.suffix or path.name}'.",
        "Use OpenStreetMap (.osm.pbf, .osm), GeoJSON, "
        "GeoPackage, Shapefile or CityJSON (.city.json).",
    )


def check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(
            path, "no such file.", "Check the path (paths in a scene file are relative to it)."
        )
    if path.is_dir():
        raise InputError(path, "is a directory, not a file.")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(
            path, f"cannot be read ({exc.strerror}).", "Check its permissions."
        ) from None
    if path.stat().st_size == 0:
        raise InputError(path, "is empty (0 bytes).", "Export the data again.")


def repair_geometries(
    gdf: gpd.GeoDataFrame, source: str, warnings: list[Warning]
) -> gpd.GeoDataFrame:
    """Drop features without geometry (a warning each) and repair invalid ones; what was repaired
    goes in the ``note`` column, so the build can say it if the feature is drawn, or say why not."""
    geoms = gdf.geometry.values
    missing = np.asarray(pd.isna(geoms)) | np.asarray(shapely.is_empty(geoms), dtype=bool)
    for fid in gdf["fid"][missing]:
        warnings.append(
            Warning(
                source,
                str(fid),
                "has no geometry that can be read (empty, or broken rings)",
                "skipped",
                not_drawn=1,
            )
        )
    gdf = gdf[~missing].copy()
    gdf["note"] = None
    invalid = ~np.asarray(gdf.geometry.is_valid, dtype=bool)
    if invalid.any():
        reasons = shapely.is_valid_reason(gdf.geometry.values[invalid])
        fixed = shapely.make_valid(gdf.geometry.values[invalid])
        gdf.loc[gdf.index[invalid], "geometry"] = fixed
        gdf.loc[gdf.index[invalid], "note"] = [
            f"invalid geometry ({why}) repaired" for why in reasons
        ]
    return gdf


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# Column names of common GIS layers -> OSM-style keys
_COLUMN_ALIASES = {
    "floors": "building:levels",
    "storeys": "building:levels",
    "stories": "building:levels",
    "levels": "building:levels",
    "num_floors": "building:levels",
    "nfloors": "building:levels",
    "层数": "building:levels",
    "楼层数": "building:levels",
    "地上层数": "building:levels",
    "建筑层数": "building:levels",
    "bldg_height": "height",
    "building_height": "height",
    "高度": "height",
    "建筑高度": "height",
    "measuredheight": "height",
    "名称": "name",
    "类型": "kind",
    "种类": "kind",
    "类别": "kind",
    "道路等级": "road_class",
    "道路类别": "road_class",
    "道路级别": "road_class",
    "道路类型": "road_class",
}


def read_vector(
    path: Path,
    crs_override: str | None = None,
    layer: str | None = None,
    name: str | None = None,
    height_unit: str | None = None,
) -> list[Layer]:
    """Every layer of a GeoJSON / GeoPackage / Shapefile (or the one named); ``name`` is the
    file's name in messages (``archive.zip/roads.shp``), ``height_unit`` the unit of bare height
    numbers when the data does not declare one."""
    check_readable(path)
    shown = name or path.name
    try:
        names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(
            shown,
            f"is not a readable GIS file ({first_line(exc)}).",
            "Use GeoJSON, GeoPackage, Shapefile or CityJSON.",
        ) from None
    if layer is not None:
        if layer not in names:
            raise InputError(shown, f"has no layer {layer!r} (it has: {', '.join(names)}).")
        names = [layer]
    out: list[Layer] = []
    failed: list[InputError] = []
    for lname in names:
        where = shown + (f" layer {lname!r}" if len(names) > 1 else "")
        try:
            got = _read_layer(path, lname, where, crs_override, height_unit)
        except InputError as exc:
            if len(names) == 1:
                raise
            # one bad layer of a GeoPackage does not cost the others
            failed.append(exc)
            n = _feature_count(path, lname)
            out.append(
                Layer(
                    where,
                    gpd.GeoDataFrame({"fid": [], "tags": [], "layer": []}, geometry=[]),
                    WGS84,
                    warnings=[
                        Warning(
                            where,
                            "layer",
                            f"cannot be used: {exc.problem} {exc.fix}".strip(),
                            "skipped (the other layers are read)",
                            not_drawn=n,
                        )
                    ],
                    read=n,
                )
            )
            continue
        if got is not None:
            out.append(got)
    if failed and len(failed) == len(out):
        raise failed[0]
    if not out:
        raise InputError(
            shown, "has no features (empty layer).", "Export the layer again with its features."
        )
    return out


def _feature_count(path: Path, lname: str) -> int:
    try:
        n = int(pyogrio.read_info(path, layer=lname, force_feature_count=True).get("features", 0))
    except (DataSourceError, DataLayerError, ValueError, TypeError):
        return 0
    return max(n, 0)


def _read_layer(
    path: Path, lname: str, where: str, crs_override: str | None, height_unit: str | None
) -> Layer | None:
    try:
        info = pyogrio.read_info(path, layer=lname)
        with _pywarnings.catch_warnings():
            _pywarnings.simplefilter("ignore")
            df = pyogrio.read_dataframe(path, layer=lname, on_invalid="fix")
    except (DataSourceError, DataLayerError) as exc:
        raise InputError(
            where, f"cannot be read ({first_line(exc)}).", "Export it again."
        ) from None
    if info.get("geometry_type") in (None, "Unknown") and "geometry" not in df:
        return None  # attribute-only table (e.g. GeoPackage metadata)
    if df.empty:
        return None
    warnings: list[Warning] = []
    encoding = _undeclared_encoding(path, info, df)
    if encoding:
        with _pywarnings.catch_warnings():
            _pywarnings.simplefilter("ignore")
            df = pyogrio.read_dataframe(path, layer=lname, on_invalid="fix", encoding=encoding)
        warnings.append(
            Warning(
                where,
                "attributes",
                f"no .cpg file says how its text is encoded; it reads as "
                f"{encoding}, not as GDAL's default ISO-8859-1",
                f"read as {encoding}",
            )
        )
    declared = info.get("crs")
    if crs_override:
        crs = parse_crs(crs_override, where)
    elif declared:
        if is_obfuscated(str(declared)):
            raise InputError(where, GCJ_MESSAGE)
        crs = parse_crs(declared, where)
    else:
        raise InputError(
            where,
            "declares no CRS.",
            "Add a .prj file, or declare it: --gis PATH@EPSG:N, "
            'or crs = "EPSG:N" in the scene\'s [[sources]].',
        )
    cols = [c for c in df.columns if c != "geometry"]
    records = df[cols].to_dict("records") if cols else [{} for _ in range(len(df))]
    tags = [{_key(k): _scalar(v) for k, v in r.items() if not _is_null(v)} for r in records]
    convert_heights(tags, {str(c): _key(c) for c in cols}, crs, height_unit, where, warnings)
    fid_col = next(
        (c for c in cols if str(c).lower() in ("id", "fid", "osm_id", "gid", "objectid")), None
    )
    fids = df[fid_col].astype(str).tolist() if fid_col else [f"feature {i}" for i in range(len(df))]
    gdf = gpd.GeoDataFrame(
        {"fid": fids, "tags": tags, "layer": lname}, geometry=df.geometry.values, crs=crs
    )
    gdf = _drop_not_lonlat(gdf, crs, where, warnings)
    gdf = repair_geometries(gdf, where, warnings)
    return Layer(
        where,
        gdf,
        crs,
        kind_in_name(f"{path.stem} {lname}"),
        warnings,
        read=len(df),
        z_to_m=z_unit_metres(crs),
    )


def _undeclared_encoding(path: Path, info: dict[str, Any], df: pd.DataFrame) -> str | None:
    """UTF-8 or GB18030 for a shapefile without a .cpg whose text GDAL read as ISO-8859-1 but
    which decodes cleanly (to Chinese, say) that way; None otherwise."""
    if path.suffix.lower() != ".shp" or str(info.get("encoding") or "").upper() not in (
        "ISO-8859-1",
        "LATIN1",
    ):
        return None
    if any(path.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    texts = [str(c) for c in df.columns]
    for col in df.columns:
        if df[col].dtype == object:
            texts += [v for v in df[col].head(200) if isinstance(v, str)]
    high = [t for t in texts if any(0x80 <= ord(ch) <= 0xFF for ch in t)]
    if not high:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            decoded = [t.encode("latin-1").decode(enc) for t in high]
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if any(any("\u3400" <= ch <= "\u9fff" or ord(ch) > 0xFF for ch in t) for t in decoded):
            return "UTF-8" if enc == "utf-8" else "GB18030"
    return None


def _key(column: Any) -> str:
    low = str(column).lower()
    return _COLUMN_ALIASES.get(low, low if low in _KNOWN else str(column))


_KNOWN = {
    "height",
    "building",
    "name",
    "highway",
    "kind",
    "width",
    "lanes",
    "landuse",
    "leisure",
    "natural",
    "amenity",
    "parking",
    "waterway",
    "min_height",
    "building:levels",
    "road_class",
    "class",
}


def _scalar(v: Any) -> Any:
    """Nested GeoJSON property values (lists, objects) as JSON text, so rules can compare them."""
    if isinstance(v, list | dict | tuple | np.ndarray):
        try:
            return json.dumps(
                v if not isinstance(v, np.ndarray) else v.tolist(), ensure_ascii=False, default=str
            )
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


def _drop_not_lonlat(
    gdf: gpd.GeoDataFrame, crs: CRS, where: str, warnings: list[Warning]
) -> gpd.GeoDataFrame:
    """A layer that declares lon / lat but holds projected metres is refused; a few features with
    impossible lon / lat in an otherwise good layer are skipped, a warning each."""
    if not crs.is_geographic or gdf.geometry.isna().all():
        return gdf
    b = shapely.bounds(gdf.geometry.values)
    ok = np.isnan(b).any(axis=1) | (
        (b[:, 0] >= -180.5) & (b[:, 2] <= 180.5) & (b[:, 1] >= -90.5) & (b[:, 3] <= 90.5)
    )
    if ok.all():
        return gdf
    bad = b[~ok]
    if (~ok).sum() > 0.5 * len(ok):
        raise InputError(
            where,
            f"declares geographic coordinates ({crs.name}) but holds values like "
            f"({bad[0, 0]:.0f}, {bad[0, 1]:.0f}): these are projected metres.",
            "Declare the real CRS: --gis PATH@EPSG:N, "
            'or crs = "EPSG:N" in the scene\'s [[sources]].',
        )
    for fid, (x, y) in zip(gdf["fid"][~ok], bad[:, :2], strict=True):
        warnings.append(
            Warning(
                where,
                str(fid),
                f"coordinates ({x:.6g}, {y:.6g}) are not a lon / lat in degrees "
                f"like the rest of the layer",
                "skipped",
                not_drawn=1,
            )
        )
    return gdf[ok]
