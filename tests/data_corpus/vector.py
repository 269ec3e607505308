"""Vector layers of the classes that were drawn wrong without a word: heights in feet (by the
CRS, by a column's name, by a unit column, or by nothing but their size), kinds in Chinese
attribute values, one bad feature in a good layer, and compressed or zipped copies."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from tests.helpers_gis import metres_to_lonlat, project

NYC = (-73.9855, 40.7580)  # Times Square
SZ = (114.0579, 22.5431)
FT_US = 1200 / 3937
FEET_HEIGHTS = [35.0, 45.0, 60.0, 250.0, 400.0, 980.0]
"""Heights of the feet layers, in feet (the last a tower of 299 m)."""


def _boxes_lonlat(
    lon0: float, lat0: float, n: int, size: float = 12.0, gap: float = 30.0
) -> list[shapely.Polygon]:
    out = []
    for i in range(n):
        x0, y0 = metres_to_lonlat(lon0, lat0, i * gap, 0)
        x1, y1 = metres_to_lonlat(lon0, lat0, i * gap + size, size)
        out.append(shapely.box(x0, y0, x1, y1))
    return out


def feet_shapefile(d: Path) -> Path:
    """New York buildings in EPSG:2263 (US survey feet), with a bare `height` column in feet."""
    x, y = project(4326, 2263, *NYC)
    geoms = [
        shapely.box(x + i * 100, y, x + i * 100 + 40, y + 40) for i in range(len(FEET_HEIGHTS))
    ]
    path = d / "nyc_buildings.shp"
    gpd.GeoDataFrame(
        {"height": FEET_HEIGHTS, "bin": list(range(1, 7))}, geometry=geoms, crs=2263
    ).to_file(path)
    return path


def feet_geojson(d: Path, column: str = "height") -> Path:
    """The same heights in feet, in a lon / lat GeoJSON that says nothing of units."""
    path = d / f"buildings_{column}.geojson"
    gpd.GeoDataFrame(
        {column: FEET_HEIGHTS}, geometry=_boxes_lonlat(*NYC, len(FEET_HEIGHTS)), crs=4326
    ).to_file(path)
    return path


def uom_gpkg(d: Path) -> Path:
    """A GML-like layer: `height` with a per-feature `height_uom` column (GDAL's GML reader
    exposes uom attributes this way): three in feet, three in metres."""
    path = d / "uom.gpkg"
    units = ["ft", "ft", "ft", "m", "m", "m"]
    heights = [98.4252, 65.6168, 32.8084, 30.0, 20.0, 10.0]  # all 30 / 20 / 10 m
    gpd.GeoDataFrame(
        {"height": heights, "height_uom": units}, geometry=_boxes_lonlat(*SZ, 6), crs=4326
    ).to_file(path, layer="buildings")
    return path


def chinese_kinds(d: Path, encoding: str = "UTF-8") -> tuple[Path, Path]:
    """A roads shapefile whose `类型` column holds 道路 / 主干道 / 人行道 (and one word that is no
    kind), and a GeoJSON of areas whose `类型` is 建筑 / 绿地 / 水系 / 停车场."""
    lines = []
    for i in range(4):
        a = metres_to_lonlat(*SZ, 0, -40 - i * 30)
        b = metres_to_lonlat(*SZ, 200, -40 - i * 30)
        lines.append(shapely.LineString([a, b]))
    roads = d / "shenzhen_roads.shp"
    gpd.GeoDataFrame(
        {
            "类型": ["道路", "主干道", "人行道", "雕塑"],
            "名称": ["深南大道辅路", "深南大道", "步道", "X"],
        },
        geometry=lines,
        crs=4326,
    ).to_file(roads, encoding=encoding)
    areas = d / "地物.geojson"
    gpd.GeoDataFrame(
        {"类型": ["建筑", "绿地", "水系", "停车场"], "高度": [18.0, None, None, None]},
        geometry=_boxes_lonlat(*SZ, 4, size=20, gap=40),
        crs=4326,
    ).to_file(areas)
    return roads, areas


def one_bad_feature(d: Path) -> Path:
    """Five good buildings, one whose coordinates are not lon / lat, one without geometry."""
    geoms = [*_boxes_lonlat(*SZ, 5), shapely.box(500, 500, 510, 510), None]
    path = d / "one_bad.geojson"
    gpd.GeoDataFrame(
        {"building": ["yes"] * 7, "id": [f"b{i}" for i in range(7)]}, geometry=geoms, crs=4326
    ).to_file(path)
    return path


def gzipped(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    with open(path, "rb") as a, gzip.open(out, "wb") as b:
        shutil.copyfileobj(a, b)
    return out


def zipped_shapefile(shp: Path, out: Path, folder: str = "data/") -> Path:
    """The shapefile's files in a folder of a zip, with a readme and macOS litter beside them."""
    with zipfile.ZipFile(out, "w") as z:
        for f in sorted(shp.parent.glob(shp.stem + ".*")):
            z.write(f, folder + f.name)
        z.writestr("README.txt", "buildings")
        z.writestr("__MACOSX/._" + shp.name, b"\0")
    return out
