"""The deployment-rule audit on a crafted community whose figures are checked by hand (pole
spacing, bin reach, chargers, entrances seen from the front, road coverage, a fenced
perimeter, smart covers), on the demo against independent shapely computations, and through
`twin audit` (JSON, GeoPackage read back with pyogrio, --strict, bad input)."""

from __future__ import annotations

import json
import math

import numpy as np
import pyogrio
import pytest
import shapely

from tests.helpers_gis import (
    assert_one_line_error,
    feature,
    metres_to_lonlat,
    rect_lonlat,
    run_twin,
    write_geojson,
)
from twin.usecases.planning import audit_scene
from twin.usecases.scene import open_scene

LON0, LAT0 = 24.9600, 60.1800


def _ll(dx: float, dy: float) -> list[float]:
    return list(metres_to_lonlat(LON0, LAT0, dx, dy))


def _street(tmp_path, *, closed=True, poles=(20, 60, 100, 120, 200, 230), cams="", fences=()):
    """A 300 m residential street along y = 0 (x 0-300) through a 300 x 100 m community
    (x 0-300, y -50-50), one entrance at its west end (inward: east), a service lane north."""
    gis = write_geojson(
        tmp_path / "street.geojson",
        [
            feature(
                "LineString", [_ll(-20, 0), _ll(320, 0)], highway="residential", name="Main Street"
            ),
            feature("LineString", [_ll(150, 0), _ll(150, 40)], highway="service", name="Lane"),
            feature(
                "Polygon", [rect_lonlat(LON0, LAT0, 60, 10, 20, 15)], building="yes", height=12
            ),
        ],
    )
    rows = ["id,kind,lon,lat,height,heading,tilt,fov,subkind,smart"]
    for i, x in enumerate(poles):
        rows.append(f"pole-{i},pole,{_ll(x, -6)[0]},{_ll(x, -6)[1]},,,,,,")
    for i, x in enumerate((40, 200)):  # bins: reach 50 m covers x <= 90 and 150 <= x <= 250
        rows.append(f"bin-{i},trash_bin,{_ll(x, -5)[0]},{_ll(x, -5)[1]},,,,,,")
    rows.append(f"mh-1,manhole,{_ll(30, 1)[0]},{_ll(30, 1)[1]},,,,,,no")
    rows.append(f"mh-2,manhole,{_ll(90, -1)[0]},{_ll(90, -1)[1]},,,,,,yes")
    for i, x in enumerate((10, 20, 30, 40)):
        rows.append(f"p-{i},parking_space,{_ll(x, 30)[0]},{_ll(x, 30)[1]},,,,,,")
    rows.append(f"ch-1,charger,{_ll(10, 32)[0]},{_ll(10, 32)[1]},,,,,,")
    rows.append(f"ch-2,charger,{_ll(20, 32)[0]},{_ll(20, 32)[1]},,,,,,")
    for i, (x, y) in enumerate(fences):
        rows.append(f"f-{i},fence_segment,{_ll(x, y)[0]},{_ll(x, y)[1]},,,,,,")
    rows += [c for c in cams.splitlines() if c.strip()]
    devices = tmp_path / "devices.csv"
    devices.write_text("\n".join(rows) + "\n", encoding="utf-8")
    boundary = rect_lonlat(LON0, LAT0, 0, -50, 300, 100)
    scene = tmp_path / "street.toml"
    scene.write_text(
        f"""name = "Crafted street"
[[sources]]
path = "{gis.as_posix()}"
[[devices]]
path = "{devices.as_posix()}"
[community]
boundary = {json.dumps(boundary)}
closed = {"true" if closed else "false"}
find_entrances = false
[[community.entrances]]
name = "West gate"
lon = {_ll(0, 0)[0]}
lat = {_ll(0, 0)[1]}
use = "vehicle"
heading = 90
""",
        encoding="utf-8",
    )
    return scene


def _cam(cid, x, y, heading, sub="ai", tilt=20, fov=60, res="1920x1080", h=4.5):
    lon, lat = _ll(x, y)
    return f"{cid},camera,{lon},{lat},{h},{heading},{tilt},{fov},{sub},"


def _rule(audit, key):
    return next(r for r in audit.rules if r.key == key)


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("street")
    cams = "\n".join(
        [
            # 10 m east of the gate looking west: sees entering vehicles' fronts; recognition
            # (125 px/m) reaches 1920 / (125 x 2 tan 30) = 13.3 m
            _cam("front", 10, 2, 270),
            _cam("hd-1", 150, -8, 90, sub="hd", tilt=10, fov=90, h=6),
        ]
    )
    path = _street(tmp, cams=cams, fences=[(25, -50), (75, -50), (300, 0)])
    scene = open_scene(path)
    return scene, audit_scene(scene)


@pytest.mark.slow
def test_pole_spacing_by_hand(street):
    """Poles at x = 20, 60, 100, 120, 200, 230 on a 300 m street: spacings 40, 40, 20, 80, 30;
    the 80 m stretch is over 50, 20 m under 30, and the east end (70 m to x = 300) is over
    half the maximum; the west end (20 m) is fine."""
    _, audit = street
    r = _rule(audit, "pole_spacing")
    assert r.status == "fail"
    assert r.figures["spacings"] == 5
    assert r.figures["spacing_mean_m"] == pytest.approx(42.0, abs=0.1)
    assert r.figures["spacing_min_m"] == pytest.approx(20.0, abs=0.1)
    assert r.figures["spacing_max_m"] == pytest.approx(80.0, abs=0.1)
    assert r.figures["within_rule_pct"] == pytest.approx(60.0)  # 40, 40, 30
    gaps = sorted(round(p.length_m) for p in r.places if p.what.startswith("road stretch"))
    assert gaps == [70, 80]
    close = [round(p.length_m) for p in r.places if p.what == "poles too close"]
    assert close == [20]
    # every failing place has a position in lon / lat
    assert all(p.lon is not None and p.lat is not None for p in r.places)


@pytest.mark.slow
def test_bins_chargers_and_covers_by_hand(street):
    _, audit = street
    bins = _rule(audit, "bin_reach")
    # bins at x = 40 and 200, 5 m off the street, reach 50 m: sqrt(50^2 - 5^2) = 49.75 m along
    # it, so 89.75-150.25 (60.5 m) and 249.75-300 (50.25 m) are too far (1 m samples)
    lengths = sorted(p.length_m for p in bins.places)
    assert lengths == [pytest.approx(50.25, abs=1.0), pytest.approx(60.5, abs=1.0)]
    assert bins.figures["longest_m"] == pytest.approx(60.5, abs=1.0)
    ch = _rule(audit, "charger_ratio")
    assert ch.status == "pass" and ch.figures == {
        "spaces": 4,
        "chargers": 2,
        "ratio": 0.5,
        "missing": 0,
    }
    mh = _rule(audit, "smart_manholes")
    assert mh.status == "fail" and [p.id for p in mh.places] == ["mh-1"]
    assert mh.figures == {"covers_on_main_roads": 2, "not_smart": 1}


@pytest.mark.slow
def test_entrance_seen_from_the_front_and_not_from_behind(tmp_path, street):
    _, audit = street
    ent = _rule(audit, "entrance_ai")
    assert ent.status == "pass", ent.places
    v = audit.entrances[0]
    assert v["ok"] and any(c["id"] == "front" and c["fronts"] for c in v["cameras"])
    # the same AI camera behind the gate (west of it, outside) looking east sees only backs
    behind = _street(tmp_path, cams=_cam("behind", -10, 2, 90))
    audit2 = audit_scene(open_scene(behind))
    v2 = audit2.entrances[0]
    assert any(c["id"] == "behind" for c in v2["cameras"])  # it sees the gate...
    assert not v2["ok"]  # ...but not vehicles' fronts
    assert _rule(audit2, "entrance_ai").status == "fail"


@pytest.mark.slow
def test_road_coverage_and_a_fenced_perimeter(street):
    scene, audit = street
    r = _rule(audit, "road_coverage")
    # important roads inside the community: 300 m of street and the 40 m lane (shapely)
    area = shapely.from_wkb(audit.community.boundary_wkb)
    total = sum(
        shapely.intersection(shapely.from_wkb(s.shape_wkb), area).length
        for s in scene.surfaces["road"]
    )
    assert r.figures["important_road_m"] == pytest.approx(total, abs=1.0)
    assert total == pytest.approx(340.0, abs=1.0)
    # the HD camera at x = 150 looking east covers part of the street at observation: what
    # the coverage map says at the street's samples, summed independently here
    cmap = audit.layout.maps["roads"]
    xs = np.arange(0.5, 300.0, 1.0)
    street = next(s for s in scene.surfaces["road"] if s.name == "Main Street")
    line = shapely.from_wkb(street.shape_wkb)  # starts 20 m west of the community
    pts = [line.interpolate(20.0 + x) for x in xs]
    lv = cmap.level_at(np.array([p.x for p in pts]), np.array([p.y for p in pts]))
    street_cov = next(lc for lc in audit.roads if lc.name == "Main Street")
    assert 5 < street_cov.covered_m < 60  # observation reaches 1920 / (62.5 x 2) = 15.4 m
    assert r.status == "fail" and r.figures["gaps"] >= 1
    assert abs((lv >= 2).sum() - street_cov.covered_m) <= 2
    per = _rule(audit, "perimeter")
    # 800 m of boundary; three 50 m fence zones guard 150 m
    assert per.figures["perimeter_m"] == pytest.approx(800.0, abs=0.5)
    assert per.figures["covered_pct"] == pytest.approx(100 * 150 / 800, abs=1.0)
    assert per.status == "fail"


@pytest.mark.slow
def test_twin_audit_json_gpkg_and_strict(tmp_path, street):
    path = _street(tmp_path, cams=_cam("front", 25, 2, 270))
    gpkg = tmp_path / "out" / "coverage.gpkg"
    r = run_twin("audit", path, "--json", "--gpkg", gpkg)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["rule"] for x in doc["rules"]] == list(range(1, 10))
    assert "pole_spacing" in doc["failed"]
    layers = dict(pyogrio.list_layers(gpkg))
    for name in (
        "cameras",
        "footprints",
        "blind_spots",
        "uncovered_roads",
        "entrances",
        "audit_failures",
        "boundary",
    ):
        assert name in layers and f"{name}_wgs84" in layers
    cams = pyogrio.read_dataframe(gpkg, layer="cameras_wgs84")
    assert cams.crs.to_epsg() == 4326 and list(cams["id"]) == ["front"]
    lon, lat = _ll(25, 2)
    assert cams.geometry[0].x == pytest.approx(lon, abs=1e-7)
    assert cams.geometry[0].y == pytest.approx(lat, abs=1e-7)
    fails = pyogrio.read_dataframe(gpkg, layer="audit_failures")
    assert len(fails) == sum(len(x["places"]) for x in doc["rules"])
    r = run_twin("audit", path, "--strict", "--lang", "en")
    assert r.returncode == 1 and "FAIL  1. Smart poles" in r.stdout
    r = run_twin("audit", path, "--lang", "zh")
    assert (
        r.returncode == 0 and "未通过  1. 主干道智慧杆间距" in r.stdout and "条未通过" in r.stdout
    )
    assert_one_line_error(run_twin("audit", tmp_path / "nope.toml"), "nope.toml")
    assert_one_line_error(run_twin("audit", path, "--cell", "0"), "--cell")


@pytest.mark.slow
def test_the_demo_audit_agrees_with_shapely(demo_scene):
    audit = audit_scene(demo_scene)
    assert [r.rule for r in audit.rules] == list(range(1, 10))
    area = shapely.from_wkb(audit.community.boundary_wkb)
    com = audit.community
    important = sum(
        shapely.intersection(shapely.from_wkb(s.shape_wkb), area).length
        for s in demo_scene.surfaces["road"]
        if s.shape_wkb
        and "LineString" in shapely.from_wkb(s.shape_wkb).geom_type
        and com.is_important_road(s)
    )
    roads = next(r for r in audit.rules if r.key == "road_coverage")
    assert roads.figures["important_road_m"] == pytest.approx(important, rel=1e-3)
    assert 0 < roads.figures["covered_pct"] < 100
    # covered metres: each road's samples looked up in the coverage map again
    cmap = audit.layout.maps["roads"]
    again = 0.0
    for lc in audit.roads[:50]:
        s = next(x for x in demo_scene.surfaces["road"] if x.id == lc.id)
        line = shapely.intersection(shapely.from_wkb(s.shape_wkb), area)
        for part in getattr(line, "geoms", [line]):
            n = max(1, math.ceil(part.length))
            d = (np.arange(n) + 0.5) * part.length / n
            p = shapely.get_coordinates(shapely.line_interpolate_point(part, d))
            again += float((cmap.level_at(p[:, 0], p[:, 1]) >= 2).sum()) * part.length / n
    assert sum(lc.covered_m for lc in audit.roads[:50]) == pytest.approx(again, rel=1e-6)


@pytest.mark.slow
def test_twin_suggest_writes_a_device_list_the_scene_includes(tmp_path):
    """Suggestions for the crafted street, written as a device list; the scene that includes it
    audits to as much more covered important road as the suggestions said they would add."""
    path = _street(tmp_path, cams=_cam("front", 25, 2, 270))
    out = tmp_path / "new.csv"
    r = run_twin("suggest", path, "--cameras", "2", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    gains = [s["gain"] for s in doc["suggestions"]]
    assert len(gains) == 2 and gains[0] >= gains[1] > 0
    before = _rule(audit_scene(open_scene(path)), "road_coverage").figures["covered_m"]
    text = path.read_text(encoding="utf-8").replace(
        "[community]", f'[[devices]]\npath = "{out.as_posix()}"\n[community]'
    )
    with_new = tmp_path / "with_new.toml"
    with_new.write_text(text, encoding="utf-8")
    after = _rule(audit_scene(open_scene(with_new)), "road_coverage").figures["covered_m"]
    assert after - before == pytest.approx(doc["suggestions"][-1]["cumulative"], abs=3.0)
    assert_one_line_error(run_twin("suggest", path, "--cameras", "0"), "--cameras")
    assert_one_line_error(
        run_twin("suggest", path, "--cameras", "2", "--out", tmp_path / "x.doc"), "x.doc"
    )
