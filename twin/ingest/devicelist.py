"""Device lists: CSV, Excel (.xlsx), GeoJSON, GeoPackage.

Columns (English or Chinese headers, case-insensitive; see the README and
``assets/templates/devices_template.xlsx``): id, kind, name, lon / lat (WGS84, or the stated
geographic CRS) or x / y (in the stated CRS), height (mount height), heading, fov, tilt,
subkind. Rows that cannot be placed are skipped with a warning naming the row; duplicate ids are
refused.
"""

from __future__ import annotations

import csv
import math
import re
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
from twin.ingest.crs import GCJ_MESSAGE, is_obfuscated, parse_crs
from twin.ingest.sources import check_readable
from twin.ingest.tags import parse_direction, parse_length, parse_number
from twin.scene.catalogue import resolve_kind
from twin.scene.entities import Warning

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "device_id", "deviceid", "code", "编号", "设备编号", "设备id", "设备编码"),
    "kind": ("kind", "type", "device_type", "category", "类型", "设备类型", "种类"),
    "name": ("name", "label", "名称", "设备名称"),
    "lon": ("lon", "lng", "long", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "x": ("x", "easting", "east", "x坐标", "东坐标"),
    "y": ("y", "northing", "north", "y坐标", "北坐标"),
    "crs": ("crs", "epsg", "坐标系"),
    "height": ("height", "mount_height", "install_height", "安装高度", "高度"),
    "heading": ("heading", "direction", "azimuth", "bearing", "朝向", "方向", "方位角"),
    "fov": ("fov", "field_of_view", "视场角", "视角"),
    "tilt": ("tilt", "pitch", "俯仰角", "俯角"),
    "subkind": ("subkind", "sub_kind", "subtype", "子类型", "子类"),
    "resolution": ("resolution", "resolution_px", "分辨率", "像素"),
    "lens": ("lens", "lens_mm", "focal_length", "焦距", "镜头"),
    "smart": ("smart", "is_smart", "智能", "是否智能"),
    "use": ("use", "building_use", "usage", "用途", "建筑用途"),
}
_LOOKUP = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}


def column_key(header: Any, lookup: dict[str, str] | None = None) -> str | None:
    """The field a header means: 'id (编号)', 'Longitude', '经度' ... -> 'id', 'lon', 'lon'.
    ``lookup`` maps header words to fields (default: the device list's); a header is tried
    whole, then without what is in brackets ('Check interval (h)' -> 'check_interval'), then
    word by word."""
    lookup = _LOOKUP if lookup is None else lookup
    h = str(header).strip().lower()
    if h in lookup:
        return lookup[h]
    bare = re.sub(r"\s+", "_", re.sub(r"[(（\[].*?[)）\]]", "", h).strip())
    if bare in lookup:
        return lookup[bare]
    for token in re.split(r"[\s()（）/\[\]|,;:]+", h):
        if token in lookup:
            return lookup[token]
    return None


@dataclass
class DeviceRows:
    """Placed rows of a device list in ``crs`` (points), with their attributes."""

    source: str
    frame: gpd.GeoDataFrame
    crs: CRS
    warnings: list[Warning] = field(default_factory=list)
    read: int = 0
    """Rows read: placed ones plus the skipped ones its warnings name."""


def read_device_list(
    path: Path, crs: str | None = None, sheet: str | None = None, default_kind: str | None = None
) -> DeviceRows:
    check_readable(path)
    suffix = path.suffix.lower()
    where = path.name
    geometry = None
    file_crs: CRS | None = None
    if suffix in (".csv", ".xlsx", ".xlsm", ".xls"):
        df = read_table(path, sheet)
    elif suffix in (".geojson", ".json", ".gpkg", ".shp", ".fgb"):
        try:
            with _pywarnings.catch_warnings():
                _pywarnings.simplefilter("ignore")
                gdf = pyogrio.read_dataframe(path, layer=sheet, on_invalid="ignore")
        except (DataSourceError, DataLayerError) as exc:
            raise InputError(
                path, f"is not a readable GIS file ({str(exc).splitlines()[0]})."
            ) from None
        if gdf.crs is None and not crs:
            raise InputError(
                path,
                "declares no CRS.",
                "Declare it: --devices PATH@EPSG:N, or crs in [[devices]].",
            )
        file_crs = parse_crs(crs or gdf.crs.to_wkt(), where)
        geometry = gdf.geometry
        df = pd.DataFrame(gdf.drop(columns="geometry"))
    else:
        raise InputError(
            path,
            f"unknown device-list format '{suffix}'.",
            "Use CSV, Excel (.xlsx), GeoJSON or GeoPackage; see assets/templates/.",
        )
    if df.empty:
        raise InputError(path, "has no rows (empty device list).", "Fill in the template's rows.")
    mapping = {}
    for col in df.columns:
        key = column_key(col)
        if key and key not in mapping.values():
            mapping[col] = key
    df = df.rename(columns=mapping)
    if "id" not in df.columns:
        raise InputError(
            path,
            "has no 'id' column.",
            f"Columns found: {', '.join(map(str, df.columns))}. "
            "See assets/templates/devices_template.xlsx.",
        )
    if "kind" not in df.columns and not default_kind:
        raise InputError(
            path,
            "has no 'kind' column.",
            'Add one, or set kind = "..." in the scene\'s [[devices]].',
        )
    warnings: list[Warning] = []
    layer_crs = parse_crs(crs, where) if crs else None

    ids = df["id"].map(lambda v: "" if _null(v) else str(v).strip().removesuffix(".0"))
    dup = sorted(set(ids[ids.duplicated() & (ids != "")]))
    if dup:
        raise InputError(
            path,
            f"has duplicate device ids: {', '.join(dup[:20])}"
            + (" ..." if len(dup) > 20 else "")
            + ".",
            "Every device needs its own id.",
        )
    rows, points, used_crs = [], [], None
    for i, rec in enumerate(df.to_dict("records")):
        rowname = f"row {i + 2}" if geometry is None else f"feature {i}"
        did = ids.iloc[i]
        if not did:
            warnings.append(Warning(where, rowname, "no id", "skipped", not_drawn=1))
            continue
        kind_raw = rec.get("kind") if not _null(rec.get("kind")) else default_kind
        kind = resolve_kind(str(kind_raw)) if kind_raw is not None else None
        if kind is None:
            warnings.append(
                Warning(
                    where,
                    f"{rowname} (id {did})",
                    f"unknown kind {kind_raw!r}",
                    "skipped",
                    not_drawn=1,
                )
            )
            continue
        pt, row_crs, why = _position(
            rec,
            geometry.iloc[i] if geometry is not None else None,
            file_crs or layer_crs,
            where,
            rowname,
        )
        if pt is None:
            warnings.append(Warning(where, f"{rowname} (id {did})", why, "skipped", not_drawn=1))
            continue
        if used_crs is None:
            used_crs = row_crs
        elif not used_crs.equals(row_crs):
            pt = _to(pt, row_crs, used_crs)
        rows.append(
            {
                "fid": did,
                "kind": kind,
                "name": "" if _null(rec.get("name")) else str(rec.get("name")),
                "height": parse_length(rec.get("height")),
                "heading": parse_direction(rec.get("heading")),
                "fov": parse_number(rec.get("fov")),
                "tilt": parse_number(rec.get("tilt")),
                "subkind": None
                if _null(rec.get("subkind"))
                else str(rec.get("subkind")).strip().lower(),
                "use": None if _null(rec.get("use")) else str(rec.get("use")).strip().lower(),
                "resolution": None if _null(rec.get("resolution")) else str(rec["resolution"]),
                "lens": None if _null(rec.get("lens")) else str(rec["lens"]),
                "smart": None if _null(rec.get("smart")) else _yes(rec["smart"]),
                "row": rowname,
            }
        )
        points.append(pt)
    if not rows:
        raise InputError(
            path, "has no usable device rows.", "; ".join(str(w) for w in warnings[:3])
        )
    gdf = gpd.GeoDataFrame(rows, geometry=shapely.points(np.array(points)), crs=used_crs)
    return DeviceRows(where, gdf, used_crs, warnings, len(df))  # type: ignore[arg-type]


def read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """A CSV (UTF-8 or GB18030, any delimiter) or Excel (.xlsx) table as text cells; one clear
    error for an unreadable or old-format file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(path, sheet_name=sheet or 0, dtype=object, engine="openpyxl")
        except ValueError as exc:
            raise InputError(
                path, f"cannot be read as Excel ({exc}).", "Save it as .xlsx from Excel or WPS."
            ) from None
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise InputError(
                path,
                f"is not a readable .xlsx workbook ({type(exc).__name__}).",
                "Save it again as .xlsx (Excel 2007+).",
            ) from None
    elif suffix in (".xls",):
        raise InputError(
            path, "is an old Excel 97 (.xls) workbook.", "Save it as .xlsx and try again."
        )
    raise InputError(path, f"is not a table ('{suffix}').", "Use CSV or Excel (.xlsx).")


def _read_csv(path: Path) -> pd.DataFrame:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return pd.read_csv(path, dtype=object, encoding=enc, sep=None, engine="python")
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, csv.Error) as exc:
            raise InputError(path, f"is not a readable CSV file ({exc}).") from None
        except pd.errors.EmptyDataError:
            raise InputError(path, "has no rows (empty device list).") from None
    raise InputError(path, "is neither UTF-8 nor GB18030 text.", "Save it as CSV UTF-8.")


def _yes(v: Any) -> bool:
    """A yes / no cell: 1, yes, y, true, 是 ... -> True; 0, no, n, false, 否 ... -> False."""
    return str(v).strip().lower() not in ("0", "no", "n", "false", "f", "否", "非", "不是", "")


def _null(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
        or v is pd.NA
    )


def _to(pt: tuple[float, float], src: CRS, dst: CRS) -> tuple[float, float]:
    from pyproj import Transformer

    x, y = Transformer.from_crs(src, dst, always_xy=True).transform(*pt)
    return float(x), float(y)


def _position(
    rec: dict[str, Any], geom: Any, layer_crs: CRS | None, where: str, rowname: str
) -> tuple[tuple[float, float] | None, CRS, str]:
    wgs = CRS.from_epsg(4326)
    if geom is not None:
        if geom is None or geom.is_empty:
            return None, wgs, "no geometry"
        p = geom if geom.geom_type == "Point" else geom.representative_point()
        return (p.x, p.y), layer_crs or wgs, ""
    row_crs = layer_crs
    if not _null(rec.get("crs")):
        text = str(rec.get("crs"))
        if is_obfuscated(text):
            raise InputError(f"{where} {rowname}", GCJ_MESSAGE)
        row_crs = parse_crs(text, f"{where} {rowname}")
    lon, lat = parse_number(rec.get("lon")), parse_number(rec.get("lat"))
    if lon is not None and lat is not None:
        geo = row_crs if row_crs is not None and row_crs.is_geographic else wgs
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None, geo, f"lon / lat ({lon}, {lat}) out of range"
        return (lon, lat), geo, ""
    x, y = parse_number(rec.get("x")), parse_number(rec.get("y"))
    if x is not None and y is not None:
        if row_crs is None:
            raise InputError(
                where,
                "has x / y columns but no CRS for them.",
                "State it: --devices PATH@EPSG:N, crs in [[devices]], or a 'crs' column.",
            )
        return (x, y), row_crs, ""
    return None, wgs, "no position (lon / lat or x / y)"
