"""Every input format, written by the test into tmp_path, built into a scene by the real code.

CityJSON 2.0 / 1.1, GeoJSON, GeoPackage (CGCS2000 Gauss-Kruger), Shapefile (with and without
.prj), device lists (CSV UTF-8 / GB18030, Excel, GeoJSON), --crs, --clip, and the lon / lat <->
local frame round trip.
"""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from openpyxl import Workbook
from pyproj import CRS

from tests.helpers_gis import (
    BOX,
    HOUSE,
    cityjson_doc,
    distance_m,
    feature,
    info_json,
    metres_to_lonlat,
    project,
    rect_lonlat,
    run_twin,
    write_cityjson,
    write_geojson,
)
from twin.ingest.build import build_scene
from twin.ingest.crs import FrameTransform
from twin.scene.scene import Scene
from twin.scene.scenefile import spec_from_dict

SZ = (114.05, 22.54)  # Shenzhen, CGCS2000 3-degree GK zone CM 114E = EPSG:4547
HEL = (24.94, 60.17)  # Helsinki, ETRS-TM35FIN = EPSG:3067
INFO_KEYS = {"name", "crs", "origin", "bounds", "counts", "synthetic_counts", "warnings", "timings"}


def build(
    tmp_path: Path,
    sources: list[dict[str, Any]],
    devices: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Scene:
    data: dict[str, Any] = {"name": "test", "sources": sources, "devices": devices or [], **extra}
    return build_scene(spec_from_dict(data, tmp_path / "scene.toml"))


def local_of(scene: Scene, src_crs: int | str, x: float, y: float) -> tuple[float, float]:
    """Where pyproj puts (x, y) of ``src_crs`` in the scene's local frame."""
    px, py = project(src_crs, scene.frame.crs, x, y)
    return px - scene.frame.origin_x, py - scene.frame.origin_y


def nearest_vertex_distance(geom: shapely.Geometry, x: float, y: float) -> float:
    c = shapely.get_coordinates(geom)
    return float(np.min(np.hypot(c[:, 0] - x, c[:, 1] - y)))


def building(scene: Scene, bid: str) -> tuple[int, Any]:
    for i, b in enumerate(scene.buildings):
        if b.id == bid:
            return i, b
    raise AssertionError(f"no building {bid!r} in {[b.id for b in scene.buildings]}")


def device(scene: Scene, did: str) -> Any:
    d = scene.device(did)
    assert d is not None, f"no device {did!r} in {[x.id for x in scene.devices]}"
    return d


# -- CityJSON -------------------------------------------------------------------------------------
CITYJSON_CASES = [
    ("2.0", "https://www.opengis.net/def/crs/EPSG/0/7415"),
    ("1.1", "urn:ogc:def:crs:EPSG::7415"),
    ("1.1", "https://www.opengis.net/def/crs/EPSG/0/28992"),
]


@pytest.mark.parametrize(("version", "reference"), CITYJSON_CASES)
def test_cityjson(tmp_path: Path, version: str, reference: str) -> None:
    path = write_cityjson(tmp_path / "model.city.json", cityjson_doc(version, reference))
    scene = build(tmp_path, [{"path": str(path)}])

    counts = scene.counts()
    assert counts.get("building") == 2
    for kind in ("road", "green", "water", "ground"):
        assert counts.get(kind) == 1, (kind, counts)

    mesh = scene.meshes["building"]
    expected_height = {"B1": BOX["h"], "B2": HOUSE["ridge"]}
    for bid, h in expected_height.items():
        i, b = building(scene, bid)
        assert b.height_source == "geometry"
        assert b.height == pytest.approx(h, abs=0.01)
        faces = mesh.faces[mesh.entity == i]
        z = mesh.points[np.unique(faces), 2]
        assert z.max() - z.min() == pytest.approx(h, abs=0.01), bid  # its own 3D geometry

    i, box = building(scene, "B1")
    faces = mesh.faces[mesh.entity == i]
    assert len(faces) == 12  # 6 quads, 2 triangles each: the Solid, not a re-extrusion
    assert mesh.points[np.unique(faces), 2].max() == pytest.approx(12.0, abs=0.01)
    _, house = building(scene, "B2")
    assert house.cityobject_type == "Building"  # the BuildingPart is folded into its parent

    tin = [w for w in scene.warnings if "TINRelief" in f"{w.feature} {w.reason}"]
    assert tin and tin[0].action == "ignored", [str(w) for w in scene.warnings]

    # the footprint centre converts back to the lon / lat PROJ gives for it in EPSG:28992
    foot = shapely.from_wkb(box.footprint_wkb)
    assert foot.area == pytest.approx(BOX["w"] * BOX["d"], rel=1e-3)
    cx, cy = foot.centroid.x, foot.centroid.y
    lon, lat = FrameTransform(scene.frame).to_lonlat(cx, cy)
    elon, elat = project(28992, 4326, BOX["x"] + BOX["w"] / 2, BOX["y"] + BOX["d"] / 2)
    assert distance_m(float(lon), float(lat), elon, elat) < 0.01


def test_cityjson_cli_info(tmp_path: Path) -> None:
    path = write_cityjson(tmp_path / "model.city.json", cityjson_doc())
    out = tmp_path / "x.toml"
    proc = run_twin("new-scene", "--gis", path, "--name", "cj", "--out", out)
    assert proc.returncode == 0, proc.stderr
    info = info_json(out)
    assert INFO_KEYS <= set(info)
    assert info["name"] == "cj"
    assert info["crs"] == "EPSG:32631"
    assert info["counts"]["building"] == 2
    assert info["bounds"]["zmax"] == pytest.approx(12.0, abs=0.01)
    assert any("TINRelief" in w["feature"] + w["reason"] for w in info["warnings"])


# -- GeoJSON --------------------------------------------------------------------------------------
def test_geojson(tmp_path: Path) -> None:
    lon0, lat0 = HEL
    r = lambda x, y: rect_lonlat(lon0, lat0, x, y, 12, 10)  # noqa: E731
    p = lambda x, y: list(metres_to_lonlat(lon0, lat0, x, y))  # noqa: E731
    feats = [
        feature("Polygon", [r(0, 0)], id="b-height", building="yes", height=15),
        feature("Polygon", [r(30, 0)], id="b-levels", building="yes", **{"building:levels": 4}),
        feature("Polygon", [r(60, 0)], id="b-floors", building="yes", floors=5),
        feature("Polygon", [r(90, 0)], id="b-default", building="yes"),
        feature("LineString", [p(-50, -20), p(150, -20)], id="r-primary", highway="primary"),
        feature("LineString", [p(-50, 40), p(150, 40)], id="r-residential", highway="residential"),
        feature("LineString", [p(-50, 60), p(150, 60)], id="r-footway", highway="footway"),
        feature(
            "LineString", [p(-50, 80), p(150, 80)], id="r-width", highway="residential", width="7.5"
        ),
        feature("LineString", [p(-50, 100), p(150, 100)], id="r-lanes", highway="primary", lanes=4),
        feature("Point", p(10, -15), id="cam-1", kind="camera"),
        feature("Point", p(50, -15), id="cam-2", kind="camera"),
        feature("Point", p(70, -25), id="mh-1", kind="manhole"),
        feature("Point", p(90, -25), id="hyd-1", kind="hydrant"),
    ]
    path = write_geojson(tmp_path / "site.geojson", feats)
    scene = build(tmp_path, [{"path": str(path)}])

    assert scene.counts() == {"building": 4, "road": 5, "camera": 2, "manhole": 1, "hydrant": 1}
    expect = {
        "b-height": (15.0, "height"),
        "b-levels": (12.0, "levels"),
        "b-floors": (15.0, "levels"),
        "b-default": (9.0, "default"),
    }
    for bid, (h, src) in expect.items():
        _, b = building(scene, bid)
        assert (b.height, b.height_source) == (pytest.approx(h), src), bid

    roads = {s.id: s for s in scene.surfaces["road"]}
    expect_roads = {
        "r-primary": ("main", "primary", 10.0, "class"),
        "r-residential": ("minor", "residential", 6.0, "class"),
        "r-footway": ("path", "footway", 2.0, "class"),
        "r-width": ("minor", "residential", 7.5, "width"),
        "r-lanes": ("main", "primary", 13.0, "lanes"),
    }
    for rid, (cls, hw, width, wsrc) in expect_roads.items():
        s = roads[rid]
        assert (s.road_class, s.highway, s.width, s.width_source) == (
            cls,
            hw,
            pytest.approx(width),
            wsrc,
        ), rid

    # devices: where pyproj puts them, and their lon / lat back
    for did, (dx, dy) in {"cam-1": (10, -15), "mh-1": (70, -25)}.items():
        d = device(scene, did)
        lon, lat = metres_to_lonlat(lon0, lat0, dx, dy)
        assert abs(d.lon - lon) < 1e-7 and abs(d.lat - lat) < 1e-7
        ex, ey = local_of(scene, 4326, lon, lat)
        assert np.hypot(d.x - ex, d.y - ey) < 0.01
    # a building vertex lands where pyproj puts it
    _, b = building(scene, "b-height")
    lon, lat = r(0, 0)[0]
    assert (
        nearest_vertex_distance(shapely.from_wkb(b.footprint_wkb), *local_of(scene, 4326, lon, lat))
        < 0.01
    )


# -- GeoPackage in CGCS2000 Gauss-Kruger ----------------------------------------------------------
def _gk_origin() -> tuple[float, float]:
    return project(4326, 4547, *SZ)


def test_geopackage_cgcs2000_gk(tmp_path: Path) -> None:
    x0, y0 = _gk_origin()
    path = tmp_path / "shenzhen.gpkg"
    blds = gpd.GeoDataFrame(
        {"floors": [6, 18]},
        geometry=[
            shapely.box(x0, y0, x0 + 20, y0 + 12),
            shapely.box(x0 + 40, y0, x0 + 60, y0 + 12),
        ],
        crs="EPSG:4547",
    )
    roads = gpd.GeoDataFrame(
        geometry=[
            shapely.LineString([(x0 - 50, y0 - 10), (x0 + 100, y0 - 10)]),
            shapely.LineString([(x0 + 30, y0 - 50), (x0 + 30, y0 + 60)]),
        ],
        crs="EPSG:4547",
    )
    blds.to_file(path, layer="buildings", driver="GPKG")
    roads.to_file(path, layer="roads", driver="GPKG")

    scene = build(tmp_path, [{"path": str(path)}])
    assert scene.counts() == {"building": 2, "road": 2}
    assert sorted(b.height for b in scene.buildings) == [18.0, 54.0]
    assert {b.height_source for b in scene.buildings} == {"levels"}
    assert {s.road_class for s in scene.surfaces["road"]} == {"minor"}
    assert scene.frame.crs == "EPSG:32650"

    # a known vertex lands within 1 cm of where pyproj puts it
    fx, fy = local_of(scene, 4547, x0 + 20, y0 + 12)
    foots = [shapely.from_wkb(b.footprint_wkb) for b in scene.buildings]
    assert min(nearest_vertex_distance(f, fx, fy) for f in foots) < 0.01
    lx, ly = local_of(scene, 4547, x0 + 30, y0 - 50)
    lines = [shapely.from_wkb(s.shape_wkb) for s in scene.surfaces["road"]]
    assert min(nearest_vertex_distance(g, lx, ly) for g in lines) < 0.01


# -- Shapefile ------------------------------------------------------------------------------------
def _write_footprints_3857(path: Path) -> tuple[float, float]:
    x0, y0 = project(4326, 3857, *HEL)
    gdf = gpd.GeoDataFrame(
        {"HEIGHT": [21.5, 7.0]},
        geometry=[
            shapely.box(x0, y0, x0 + 30, y0 + 30),
            shapely.box(x0 + 60, y0, x0 + 80, y0 + 40),
        ],
        crs="EPSG:3857",
    )
    gdf.to_file(path)
    return x0, y0


def test_shapefile_3857(tmp_path: Path) -> None:
    path = tmp_path / "footprints.shp"
    x0, y0 = _write_footprints_3857(path)
    assert path.with_suffix(".prj").exists()
    scene = build(tmp_path, [{"path": str(path)}])
    assert scene.counts() == {"building": 2}
    assert sorted((b.height, b.height_source) for b in scene.buildings) == [
        (7.0, "height"),
        (21.5, "height"),
    ]
    fx, fy = local_of(scene, 3857, x0 + 30, y0 + 30)
    foots = [shapely.from_wkb(b.footprint_wkb) for b in scene.buildings]
    assert min(nearest_vertex_distance(f, fx, fy) for f in foots) < 0.01


@pytest.mark.slow
def test_shapefile_without_prj_cli(tmp_path: Path) -> None:
    path = tmp_path / "footprints.shp"
    _write_footprints_3857(path)
    path.with_suffix(".prj").unlink()
    out = tmp_path / "x.toml"
    proc = run_twin("new-scene", "--gis", path, "--name", "x", "--out", out)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("twin: error:") and "footprints.shp" in proc.stderr
    assert "CRS" in proc.stderr
    assert not out.exists()

    proc = run_twin("new-scene", "--gis", f"{path}@EPSG:3857", "--name", "x", "--out", out)
    assert proc.returncode == 0, proc.stderr
    info = info_json(out)
    assert INFO_KEYS <= set(info)
    assert info["counts"] == {"building": 2}
    assert info["bounds"]["zmax"] == pytest.approx(21.5)


# -- device lists ---------------------------------------------------------------------------------
def test_device_lists(tmp_path: Path) -> None:
    lon0, lat0 = SZ
    gis = write_geojson(
        tmp_path / "site.geojson",
        [
            feature(
                "Polygon", [rect_lonlat(lon0, lat0, -20, -20, 40, 40)], id="b1", building="yes"
            ),
        ],
    )
    # CSV, UTF-8, Chinese headers and kind names
    utf8 = {
        "SZ-CAM-01": ("摄像头", "camera", 10.0, 30.0),
        "SZ-MH-01": ("智能井盖", "manhole", -30.0, 25.0),
    }
    rows = [["编号", "类型", "名称", "经度", "纬度"]]
    for did, (zh, _, dx, dy) in utf8.items():
        lon, lat = metres_to_lonlat(lon0, lat0, dx, dy)
        rows.append([did, zh, f"设备 {did}", f"{lon:.9f}", f"{lat:.9f}"])
    with open(tmp_path / "devices_utf8.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    # CSV, GB18030
    gb = {
        "SZ-POLE-01": ("智慧杆", "pole", 40.0, -30.0),
        "SZ-BIN-01": ("垃圾桶", "trash_bin", -40.0, -35.0),
    }
    rows = [["编号", "类型", "名称", "经度", "纬度"]]
    for did, (zh, _, dx, dy) in gb.items():
        lon, lat = metres_to_lonlat(lon0, lat0, dx, dy)
        rows.append([did, zh, f"路灯 {did}", f"{lon:.9f}", f"{lat:.9f}"])
    with open(tmp_path / "devices_gbk.csv", "w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert "编号".encode("gb18030") in (tmp_path / "devices_gbk.csv").read_bytes()
    # Excel, x / y in EPSG:4547 with a crs column
    gx0, gy0 = _gk_origin()
    xl = {
        "SZ-CHG-01": ("charger", gx0 + 25.0, gy0 - 10.0),
        "SZ-ENV-01": ("env_monitor", gx0 - 15.5, gy0 + 45.25),
    }
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "kind", "name", "x", "y", "crs"])
    for did, (kind, x, y) in xl.items():
        ws.append([did, kind, did.lower(), x, y, "EPSG:4547"])
    wb.save(tmp_path / "devices.xlsx")
    # GeoJSON points
    gj = {"SZ-HYD-01": ("hydrant", 35.0, 35.0), "SZ-GATE-01": ("gate", -35.0, 0.0)}
    write_geojson(
        tmp_path / "devices.geojson",
        [
            feature("Point", list(metres_to_lonlat(lon0, lat0, dx, dy)), id=did, kind=kind)
            for did, (kind, dx, dy) in gj.items()
        ],
    )

    devices = [
        {"path": str(tmp_path / n)}
        for n in ("devices_utf8.csv", "devices_gbk.csv", "devices.xlsx", "devices.geojson")
    ]
    scene = build(tmp_path, [{"path": str(gis)}], devices)
    assert sorted(d.id for d in scene.devices) == sorted([*utf8, *gb, *xl, *gj])
    assert not scene.warnings, [str(w) for w in scene.warnings]

    lonlat = {did: (kind, dx, dy) for did, (_, kind, dx, dy) in {**utf8, **gb}.items()}
    lonlat.update(gj)
    for did, (kind, dx, dy) in lonlat.items():
        d = device(scene, did)
        assert d.kind == kind, did
        lon, lat = metres_to_lonlat(lon0, lat0, dx, dy)
        assert abs(d.lon - lon) < 1e-7 and abs(d.lat - lat) < 1e-7, did
        ex, ey = local_of(scene, 4326, lon, lat)
        assert np.hypot(d.x - ex, d.y - ey) < 0.01, did
    for did, (kind, x, y) in xl.items():
        d = device(scene, did)
        assert d.kind == kind
        ex, ey = local_of(scene, 4547, x, y)
        assert np.hypot(d.x - ex, d.y - ey) < 0.01, did
        elon, elat = project(4547, 4326, x, y)
        assert abs(d.lon - elon) < 1e-7 and abs(d.lat - elat) < 1e-7, did
    assert device(scene, "SZ-CAM-01").name == "设备 SZ-CAM-01"
    assert device(scene, "SZ-POLE-01").name == "路灯 SZ-POLE-01"


# -- --crs ----------------------------------------------------------------------------------------
def _small_site(path: Path, lon0: float, lat0: float) -> Path:
    return write_geojson(
        path,
        [
            feature(
                "Polygon",
                [rect_lonlat(lon0, lat0, 0, 0, 20, 20)],
                id="b1",
                building="yes",
                height=10,
            ),
        ],
    )


def test_crs_cgcs2000_becomes_gauss_kruger(tmp_path: Path) -> None:
    site = _small_site(tmp_path / "site.geojson", *SZ)
    out = tmp_path / "x.toml"
    proc = run_twin("new-scene", "--gis", site, "--crs", "EPSG:4490", "--name", "sz", "--out", out)
    assert proc.returncode == 0, proc.stderr
    saved = tomllib.loads(out.read_text(encoding="utf-8"))
    info = info_json(out)
    assert INFO_KEYS <= set(info)
    code = CRS.from_user_input(info["crs"]).to_epsg()
    assert code is not None and 4534 <= code <= 4554, info["crs"]
    assert code == 4547  # CM 114E for lon 114.05
    assert saved["crs"] == info["crs"]
    assert info["origin"]["lon"] == pytest.approx(SZ[0], abs=0.001)
    assert info["counts"] == {"building": 1}


def test_crs_projected_is_kept(tmp_path: Path) -> None:
    site = _small_site(tmp_path / "site.geojson", *HEL)
    out = tmp_path / "x.toml"
    proc = run_twin("new-scene", "--gis", site, "--crs", "EPSG:3067", "--name", "hel", "--out", out)
    assert proc.returncode == 0, proc.stderr
    info = info_json(out)
    assert info["crs"] == "EPSG:3067"
    assert info["counts"] == {"building": 1}


# -- --clip ---------------------------------------------------------------------------------------
def _clip_inputs(tmp_path: Path) -> tuple[Path, Path, str]:
    lon0, lat0 = SZ
    site = write_geojson(
        tmp_path / "site.geojson",
        [
            feature("Polygon", [rect_lonlat(lon0, lat0, 0, 0, 20, 20)], id="in-1", building="yes"),
            feature("Polygon", [rect_lonlat(lon0, lat0, 40, 0, 20, 20)], id="in-2", building="yes"),
            feature(
                "Polygon", [rect_lonlat(lon0, lat0, 400, 0, 20, 20)], id="out-1", building="yes"
            ),
            feature(
                "Polygon", [rect_lonlat(lon0, lat0, 0, 300, 30, 30)], id="park-out", leisure="park"
            ),
        ],
    )
    devs = tmp_path / "devices.csv"
    rows = [["id", "kind", "lon", "lat"]]
    for did, (dx, dy) in {"cam-in": (30, 30), "cam-out": (410, 30), "pole-out": (10, 330)}.items():
        rows.append(
            [
                did,
                "camera" if did.startswith("cam") else "pole",
                *map(str, metres_to_lonlat(lon0, lat0, dx, dy)),
            ]
        )
    with open(devs, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    w, s = metres_to_lonlat(lon0, lat0, -50, -50)
    e, n = metres_to_lonlat(lon0, lat0, 100, 100)
    return site, devs, f"{w},{s},{e},{n}"


def test_clip_api(tmp_path: Path) -> None:
    site, devs, bbox = _clip_inputs(tmp_path)
    full = build(tmp_path, [{"path": str(site)}], [{"path": str(devs)}])
    assert full.counts() == {"building": 3, "green": 1, "camera": 2, "pole": 1}
    clip = [float(v) for v in bbox.split(",")]
    clipped = build(tmp_path, [{"path": str(site)}], [{"path": str(devs)}], clip={"bbox": clip})
    assert clipped.counts() == {"building": 2, "camera": 1}
    assert sorted(b.id for b in clipped.buildings) == ["in-1", "in-2"]
    assert [d.id for d in clipped.devices] == ["cam-in"]
    skipped = {w.feature for w in clipped.warnings if w.action == "skipped"}
    assert any("cam-out" in f for f in skipped) and any("pole-out" in f for f in skipped)


def test_clip_cli(tmp_path: Path) -> None:
    site, devs, bbox = _clip_inputs(tmp_path)
    out = tmp_path / "x.toml"
    proc = run_twin(
        "new-scene", "--gis", site, "--devices", devs, "--clip", bbox, "--name", "c", "--out", out
    )
    assert proc.returncode == 0, proc.stderr
    info = info_json(out)
    assert info["counts"] == {"building": 2, "camera": 1}
    reasons = " ".join(w["feature"] + " " + w["reason"] for w in info["warnings"])
    assert "cam-out" in reasons and "pole-out" in reasons
    proc = run_twin("devices", out, "--json")
    assert proc.returncode == 0, proc.stderr
    assert [d["id"] for d in json.loads(proc.stdout)] == ["cam-in"]


# -- lon / lat <-> local round trip ---------------------------------------------------------------
@pytest.mark.parametrize(("epsg", "centre"), [(32650, SZ), (4547, SZ), (3067, HEL)])
def test_round_trip(epsg: int, centre: tuple[float, float]) -> None:
    ft = FrameTransform.create(CRS.from_epsg(epsg), *centre)
    rng = np.random.default_rng(epsg)
    dx, dy = rng.uniform(-2500, 2500, 1000), rng.uniform(-2500, 2500, 1000)
    x0, y0 = ft.to_local(*centre)
    assert abs(float(x0)) < 1e-6 and abs(float(y0)) < 1e-6
    lon, lat = ft.to_lonlat(dx, dy)  # 1,000 random points over 5 km x 5 km
    x, y = ft.to_local(lon, lat)
    assert np.max(np.hypot(x - dx, y - dy)) < 1e-4
    lon2, lat2 = ft.to_lonlat(x, y)
    assert np.max(np.abs(lon2 - lon)) < 1e-9 and np.max(np.abs(lat2 - lat)) < 1e-9
    # and starting from lon / lat
    lon3, lat3 = ft.to_lonlat(*ft.to_local(lon, lat))
    assert np.max(np.abs(lon3 - lon)) < 1e-9 and np.max(np.abs(lat3 - lat)) < 1e-9


@pytest.mark.parametrize("name", ["devices_template.xlsx", "devices_template.csv"])
def test_the_shipped_template_reads_as_it_says(name):
    """A user fills in the template: every example row is placed, lon/lat and x/y alike, and the
    meter keeps its building use (the simulator's load curve)."""
    from twin.core.paths import ASSETS_DIR
    from twin.ingest.build import build_scene
    from twin.scene.scenefile import DeviceLayerSpec, SceneSpec

    scene = build_scene(
        SceneSpec(name="t", devices=[DeviceLayerSpec(ASSETS_DIR / "templates" / name)])
    )
    got = {d.id: d for d in scene.devices}
    assert set(got) == {"cam-gate-01", "pole-001", "bin-001", "meter-b1"}
    assert got["cam-gate-01"].subkind == "ai" and got["pole-001"].kind == "pole"
    assert got["meter-b1"].props["use"] == "residential"
    assert abs(got["bin-001"].lon - 24.9414) < 0.01  # from x / y in EPSG:32635
