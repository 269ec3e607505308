"""The community's own geography: the [community] table, its boundary in every form, the
entrances found from OSM nodes and road crossings, and what `twin info` says of it."""

from __future__ import annotations

import json
import math
import tomllib
import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
import tomli_w

from tests.conftest import DEMO, HELSINKI
from tests.helpers_gis import (
    assert_one_line_error,
    feature,
    metres_to_lonlat,
    project,
    rect_lonlat,
    run_twin,
    run_twin_all,
    write_geojson,
)
from twin.core.errors import InputError
from twin.ingest.build import build_scene
from twin.ingest.crs import utm_crs
from twin.scene.community import (
    IMPORTANT_ROADS_DEFAULT,
    MAIN_ROADS_DEFAULT,
    Community,
    entrance_use,
)
from twin.scene.entities import Surface
from twin.scene.scenefile import spec_from_dict, spec_to_dict

LON0, LAT0 = 24.9600, 60.2000  # a quiet place north of the demo, UTM 35N
HALF = 100.0  # the boundary: the square [-100, 100] m x [-100, 100] m around the origin

ROADS = [
    # (name, highway, local vertices in metres)
    ("Kotikatu", "residential", [(-150, 20), (150, 20)]),  # through: 2 vehicle crossings
    ("", "footway", [(30, -160), (60, -40)]),  # one pedestrian crossing, slanted
    ("", "footway", [(-130, 28), (-80, 28)]),  # 8 m from Kotikatu's west crossing: merged
    ("Pihakatu", "living_street", [(-50, 150), (-50, 50)]),  # both
    ("Ulkotie", "service", [(140, -60), (100, -60)]),  # ends on the boundary from outside
    ("Sisätie", "service", [(-40, -40), (40, -40)]),  # wholly inside: no entrance
    ("Ohitustie", "tertiary", [(-150, -150), (150, -150)]),  # wholly outside
]


def _ll(x: float, y: float) -> list[float]:
    return list(metres_to_lonlat(LON0, LAT0, x, y))


def _square() -> list[list[float]]:
    return rect_lonlat(LON0, LAT0, -HALF, -HALF, 2 * HALF, 2 * HALF)


def _roads_file(tmp_path):
    feats = [
        feature("LineString", [_ll(x, y) for x, y in pts], highway=hw, name=name, id=f"r{i}")
        for i, (name, hw, pts) in enumerate(ROADS)
    ]
    return write_geojson(tmp_path / "roads.geojson", feats)


def _spec(tmp_path, community: dict | None, sources: list[dict] | None = None, **extra):
    data = {
        "name": "Crafted",
        "origin": [LON0, LAT0],
        "sources": sources or [{"path": str(_roads_file(tmp_path))}],
        **extra,
    }
    if community is not None:
        data["community"] = community
    return spec_from_dict(data, tmp_path / "s.toml")


def _local(lon: float, lat: float) -> tuple[float, float]:
    """Local metres of a lon / lat, independently of the twin: its UTM zone minus the origin's."""
    crs = utm_crs(LON0, LAT0)
    x0, y0 = project(4326, crs, LON0, LAT0)
    x, y = project(4326, crs, lon, lat)
    return x - x0, y - y0


def _bearing(dx: float, dy: float) -> float:
    return math.degrees(math.atan2(dx, dy)) % 360


# -- the model ------------------------------------------------------------------------------
def test_default_road_classes_and_the_road_helper():
    assert {"primary", "residential", "living_street", "tertiary_link"} <= MAIN_ROADS_DEFAULT
    assert not {"service", "footway", "pedestrian"} & MAIN_ROADS_DEFAULT
    assert IMPORTANT_ROADS_DEFAULT == MAIN_ROADS_DEFAULT | {"service", "pedestrian"}
    c = Community(b"", False, MAIN_ROADS_DEFAULT, IMPORTANT_ROADS_DEFAULT, [], "x", 0, 0, False)

    def road(highway: str, cls: str) -> Surface:
        return Surface("r", "road", "", "t", road_class=cls, highway=highway)

    assert c.road_role(road("primary", "main")) == "main"
    assert c.road_role(road("residential", "minor")) == "main"
    assert c.road_role(road("service", "minor")) == "important"
    assert c.road_role(road("pedestrian", "path")) == "important"
    assert c.road_role(road("footway", "path")) is None
    # roads of GIS layers without highway=* count by their road class
    assert c.road_role(road("主干道", "main")) == "main"
    assert c.road_role(road("minor", "minor")) == "main"
    assert c.road_role(road("步行道", "path")) is None
    assert not c.is_main_road(Surface("g", "green", "", "t"))
    assert [entrance_use(h) for h in ("footway", "steps", "living_street", "service")] == [
        "pedestrian",
        "pedestrian",
        "both",
        "vehicle",
    ]


# -- the scene file -------------------------------------------------------------------------
def test_each_boundary_form_parses_and_round_trips(tmp_path):
    ring = _square()
    forms = [
        {"boundary": ring, "closed": True, "main_roads": ["primary", "secondary"]},
        {"boundary_file": "b.gpkg", "boundary_crs": "EPSG:3067", "find_entrances": False},
        {
            "boundary_osm": "way/7",
            "important_roads": ["service"],
            "entrances": [
                {"name": "North gate", "lon": 24.95, "lat": 60.2, "use": "vehicle", "heading": 180}
            ],
        },
    ]
    for form in forms:
        spec = _spec(tmp_path, form)
        c = spec.community
        assert c is not None
        again = spec_from_dict(
            tomllib.loads(tomli_w.dumps(spec_to_dict(spec, tmp_path))), tmp_path / "s.toml"
        )
        assert again.community == c
    a, b, o = (_spec(tmp_path, f).community for f in forms)
    assert a.boundary == [tuple(p) for p in ring[:-1]] and a.closed and a.finds_entrances
    assert a.main_roads == ("primary", "secondary") and a.important_roads is None
    assert b.boundary_file == tmp_path / "b.gpkg" and not b.closed and not b.finds_entrances
    assert o.boundary_osm == "way/7" and not o.finds_entrances  # entrances given: none found
    (e,) = o.entrances
    assert (e.name, e.use, e.heading) == ("North gate", "vehicle", 180.0)


@pytest.mark.parametrize(
    "community, words",
    [
        ({"closed": True}, ["no boundary", "boundary_osm"]),
        ({"boundary": "x", "boundary_osm": "y"}, ["2 boundaries", "exactly one"]),
        ({"boundary": [[24.9, 60.1], [24.91, 60.1]]}, ["2 distinct vertices", "at least 3"]),
        ({"boundary": [[24.9, 60.1], [24.91, 60.1], [24.9, 95]]}, ["vertex 3: lat", "<= 90"]),
        ({"boundary": [[24.9, 60.1], [24.91], [24.9, 60.2]]}, ["vertex 2", "[lon, lat]"]),
        ({"boundary_osm": "x", "closed": "yes"}, ["community.closed", "true"]),
        ({"boundary_osm": "x", "main_roads": ["primay"]}, ["'primay'", "did you mean primary"]),
        ({"boundary_osm": "x", "important_roads": "service"}, ["important_roads", "list"]),
        ({"boundary_osm": "x", "gates": []}, ["unknown key(s) gates", "Use only"]),
        ({"boundary_osm": "x", "boundary_crs": "EPSG:3067"}, ["boundary_crs", "boundary_file"]),
        (
            {"boundary_osm": "x", "entrances": [{"name": "A", "lon": 24.9}]},
            ["entrance 1 needs lon and lat"],
        ),
        (
            {"boundary_osm": "x", "entrances": [{"lon": 24.9, "lat": 60.1, "use": "car"}]},
            ["use is 'car'", "vehicle, pedestrian, both"],
        ),
        (
            {"boundary_osm": "x", "entrances": [{"lon": 24.9, "lat": 60.1, "heading": "N"}]},
            ["heading", "a number"],
        ),
    ],
)
def test_bad_community_tables(tmp_path, community, words):
    with pytest.raises(InputError) as exc:
        _spec(tmp_path, community)
    msg = exc.value.message
    assert str(tmp_path / "s.toml") in msg and "\n" not in msg
    for w in words:
        assert w in msg, msg


# -- entrances from road crossings ----------------------------------------------------------
def test_road_crossings_are_entrances(tmp_path):
    scene = build_scene(_spec(tmp_path, {"boundary": _square()}))
    com = scene.community
    assert com.declared and not com.closed and com.boundary_source == "scene file polygon"
    poly = shapely.from_wkb(com.boundary_wkb)
    assert math.isclose(com.area_m2, 4 * HALF * HALF, rel_tol=1e-6)
    assert math.isclose(com.perimeter_m, 8 * HALF, rel_tol=1e-6)
    assert poly.equals_exact(shapely.box(-HALF, -HALF, HALF, HALF).normalize(), 1e-3)
    assert com.bounds == pytest.approx((-HALF, -HALF, HALF, HALF), abs=1e-3)

    # the independent answer: each road (projected here with pyproj) intersected with the square
    corners = [_local(*p) for p in _square()]
    square = shapely.LinearRing(corners)
    lines = [shapely.LineString([_local(*_ll(x, y)) for x, y in pts]) for _, _, pts in ROADS]
    pts = [[tuple(c) for c in shapely.get_coordinates(line & square)] for line in lines]
    assert [len(p) for p in pts[:4]] == [2, 1, 1, 1] and pts[5:] == [[], []]
    ulko_end = lines[4].coords[-1]  # Ulkotie ends on the boundary (to a nanometre)
    assert square.distance(shapely.Point(ulko_end)) < 1e-6

    assert len(com.entrances) == 5, [e.source for e in com.entrances]
    assert sorted(e.id for e in com.entrances) == [f"crossing-{n}" for n in range(1, 6)]

    def at(xy: tuple[float, float]):
        (e,) = [e for e in com.entrances if math.hypot(e.x - xy[0], e.y - xy[1]) < 1.0]
        assert math.hypot(e.x - xy[0], e.y - xy[1]) < 0.01, (e, xy)  # to the centimetre
        return e

    west, east = at(min(pts[0])), at(max(pts[0]))
    south, north, side = at(pts[1][0]), at(pts[3][0]), at(ulko_end)
    assert all(math.hypot(e.x - pts[2][0][0], e.y - pts[2][0][1]) > 1 for e in com.entrances)
    # the footway 8 m north of Kotikatu's west crossing joined it: vehicles and pedestrians
    assert (west.use, west.name) == ("both", "Kotikatu")
    assert west.source == "road crossing (highway=residential, r0 of roads.geojson)"
    assert west.merged == ["road crossing (highway=footway, r2 of roads.geojson)"]
    assert (east.use, south.use, north.use, side.use) == (
        "vehicle",
        "pedestrian",
        "both",
        "vehicle",
    )
    assert (north.name, side.name, south.name) == ("Pihakatu", "Ulkotie", "unnamed footway")
    # inward headings: the direction of travel into the square, from the roads' own geometry
    (sx0, sy0), (sx1, sy1) = lines[1].coords
    assert abs(west.inward - 90) < 1 and abs(east.inward - 270) < 1
    assert abs(north.inward - 180) < 1 and abs(side.inward - 270) < 1
    assert abs(south.inward - _bearing(sx1 - sx0, sy1 - sy0)) < 1
    assert abs(south.inward - _bearing(30, 120)) < 1
    # lon / lat of each entrance is its local position converted back
    for e in com.entrances:
        x, y = _local(e.lon, e.lat)
        assert math.hypot(x - e.x, y - e.y) < 0.01


def test_entrances_given_by_hand_and_road_classes(tmp_path):
    gate = _ll(-HALF, 22)
    spec = _spec(
        tmp_path,
        {
            "boundary": _square(),
            "closed": True,
            "main_roads": ["residential"],
            "important_roads": ["residential", "service"],
            "find_entrances": True,
            "entrances": [
                {"name": "West gate", "lon": gate[0], "lat": gate[1], "use": "vehicle"},
                {"name": "Far door", "lon": _ll(0, 0)[0], "lat": _ll(0, 0)[1], "heading": 45},
            ],
        },
    )
    scene = build_scene(spec)
    com = scene.community
    assert com.closed and com.main_roads == {"residential"}
    west, far = com.entrances[:2]
    # the scene file's entrance keeps its name, place and use; the crossings 2 and 6 m away
    # joined it and gave it its inward heading
    assert (west.id, west.name, west.use, west.source) == (
        "entrance-1",
        "West gate",
        "vehicle",
        "scene file",
    )
    assert len(west.merged) == 2 and abs(west.inward - 90) < 1
    assert (far.id, far.use, far.inward) == ("entrance-2", "both", 45.0)
    assert len(com.entrances) == 6
    assert any("Far door" in w.feature and "100 m from" in w.reason for w in scene.warnings)


def test_gate_points_of_other_gis_sources(tmp_path):
    gates = write_geojson(
        tmp_path / "gates.geojson",
        [
            feature("Point", _ll(-20, HALF + 3), barrier="gate", name="Side gate", id="g1"),
            feature("Point", _ll(60, HALF - 2), barrier="turnstile", id="g2"),
        ],
    )
    sources = [{"path": str(_roads_file(tmp_path))}, {"path": str(gates)}]
    com = build_scene(_spec(tmp_path, {"boundary": _square()}, sources)).community
    got = {e.name: e for e in com.entrances if e.source_kind == "GIS point"}
    assert set(got) == {"Side gate", "turnstile"}
    side, turn = got["Side gate"], got["turnstile"]
    assert side.source == "GIS point g1 of gates.geojson (barrier=gate)"
    assert (side.use, side.inward) == ("both", None)  # a gate whose tags do not say who uses it
    assert turn.use == "pedestrian"
    assert sorted(e.id for e in got.values()) == ["gate-1", "gate-2"]
    assert math.hypot(side.x + 20, side.y - HALF - 3) < 0.01


def test_no_community_table(tmp_path):
    scene = build_scene(_spec(tmp_path, None))
    com = scene.community
    assert not com.declared and not com.closed and com.entrances == []
    assert com.boundary_source.startswith("scene extent: convex hull")
    hull = shapely.convex_hull(
        shapely.union_all([shapely.from_wkb(s.shape_wkb) for s in scene.surfaces["road"]])
    )
    assert math.isclose(com.area_m2, hull.area, rel_tol=1e-9)
    clip = [_ll(-60, -60), _ll(60, -60), _ll(60, 60), _ll(-60, 60)]
    com = build_scene(_spec(tmp_path, None, clip={"polygon": clip})).community
    assert com.boundary_source.startswith("clip area") and math.isclose(
        com.area_m2, 120 * 120, rel_tol=1e-6
    )


# -- other boundary forms -------------------------------------------------------------------
def test_boundary_file_in_another_crs(tmp_path):
    """The same square as a GeoPackage in ETRS-TM35FIN (EPSG:3067) and as a Shapefile in
    lon / lat: the same local polygon as the scene file's ring, to the centimetre."""
    ring = _square()
    tm = [project(4326, 3067, lon, lat) for lon, lat in ring]
    gpd.GeoDataFrame({"name": ["Kortteli"]}, geometry=[shapely.Polygon(tm)], crs=3067).to_file(
        tmp_path / "b.gpkg"
    )
    ref = build_scene(_spec(tmp_path, {"boundary": ring})).community
    got = build_scene(_spec(tmp_path, {"boundary_file": "b.gpkg"})).community
    assert got.boundary_source == "b.gpkg"
    a = shapely.get_coordinates(shapely.from_wkb(ref.boundary_wkb))
    b = shapely.get_coordinates(shapely.from_wkb(got.boundary_wkb))
    assert a.shape == b.shape and np.abs(a - b).max() < 0.01
    assert [(e.id, e.use) for e in got.entrances] == [(e.id, e.use) for e in ref.entrances]
    # a file without a CRS, declared in the table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio: 'crs' was not provided (the point)
        gpd.GeoDataFrame(geometry=[shapely.Polygon(tm)]).to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    spec = _spec(tmp_path, {"boundary_file": "nocrs.shp", "boundary_crs": "EPSG:3067"})
    c = shapely.get_coordinates(shapely.from_wkb(build_scene(spec).community.boundary_wkb))
    assert np.abs(c - a).max() < 0.01


OSM_AREA = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
{nodes}
  <node id="50" lat="{glat}" lon="{glon}">
    <tag k="barrier" v="gate"/><tag k="name" v="Pohjoisportti"/>
  </node>
  <node id="51" lat="{flat}" lon="{flon}"><tag k="entrance" v="main"/></node>
  <node id="52" lat="{slat}" lon="{slon}"><tag k="barrier" v="lift_gate"/></node>
  <way id="7">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="landuse" v="residential"/><tag k="name" v="Testikortteli"/>
  </way>
  <way id="8">
    <nd ref="5"/><nd ref="50"/><nd ref="6"/>
    <tag k="highway" v="residential"/><tag k="name" v="Porttikatu"/>
  </way>
  <way id="9">
    <nd ref="7"/><nd ref="2"/><nd ref="8"/>
    <tag k="highway" v="footway"/>
  </way>
</osm>
"""


def _osm_file(tmp_path):
    corners = [(-HALF, -HALF), (HALF, -HALF), (HALF, HALF), (-HALF, HALF), (10, 160), (10, 40)]
    corners += [(130, -130), (130, -70)]  # a footway that touches the south-east corner
    nodes = "\n".join(
        f'  <node id="{i + 1}" lat="{_ll(x, y)[1]:.7f}" lon="{_ll(x, y)[0]:.7f}"/>'
        for i, (x, y) in enumerate(corners)
    )
    g, f, s = _ll(10, HALF), _ll(0, 0), _ll(HALF + 4, -50)
    text = OSM_AREA.format(
        nodes=nodes,
        glat=f"{g[1]:.7f}",
        glon=f"{g[0]:.7f}",
        flat=f"{f[1]:.7f}",
        flon=f"{f[0]:.7f}",
        slat=f"{s[1]:.7f}",
        slon=f"{s[0]:.7f}",
    )
    path = tmp_path / "kortteli.osm"
    path.write_text(text, encoding="utf-8")
    return path


def test_osm_area_and_gate_node(tmp_path):
    osm = _osm_file(tmp_path)
    for key in ("Testikortteli", "testikortteli", "way/7"):
        scene = build_scene(_spec(tmp_path, {"boundary_osm": key}, [{"path": str(osm)}]))
        com = scene.community
        assert com.boundary_source == "OSM area 'Testikortteli' (way 7)"
        assert math.isclose(com.area_m2, 4 * HALF * HALF, rel_tol=1e-4)  # OSM's 1e-7 degrees
    assert len(com.entrances) == 2
    gate, lift = (next(e for e in com.entrances if e.id == i) for i in ("osm-n50", "osm-n52"))
    # the gate node on the boundary, where Porttikatu crosses it: its name, the road's use and
    # heading (south, into the block)
    assert (gate.id, gate.name, gate.source) == (
        "osm-n50",
        "Pohjoisportti",
        "OSM node 50 (barrier=gate)",
    )
    assert gate.merged == ["road crossing (highway=residential, way 8)"]
    assert gate.use == "vehicle" and abs(gate.inward - 180) < 1
    gx, gy = _local(*(round(v, 7) for v in _ll(10, HALF)))  # as OSM stores it
    assert math.hypot(gate.x - gx, gate.y - gy) < 0.01
    # a lift gate 4 m outside the east edge: a vehicle entrance of its own, heading unknown
    assert (lift.id, lift.name, lift.use, lift.inward) == ("osm-n52", "lift gate", "vehicle", None)
    # the building entrance in the middle is not a community entrance, and a warning says so
    (far,) = [w for w in scene.warnings if "more than 10 m from the community" in w.reason]
    assert far.feature == "node/51" and far.source == "kortteli.osm" and far.not_drawn == 0
    # the footway that touches a corner of the block without entering it, neither
    (touch,) = [w for w in scene.warnings if "without crossing" in w.reason]
    assert touch.feature == "way/9" and touch.not_drawn == 0
    # the OSM features are accounted for as before (a gate is not a drawn kind)
    assert scene.features["kortteli.osm"]["read"] == 6


BAD = {
    "missing-file": ({"boundary_file": "nowhere.geojson"}, ["nowhere.geojson", "no such file"]),
    "unknown-name": (
        {"boundary_osm": "Testikorteli"},
        ["'Testikorteli'", "(close: 'Testikortteli')", "Check the name"],
    ),
    "unknown-id": ({"boundary_osm": "relation/99"}, ["relation/99", "no such area"]),
    "a-line": ({"boundary_osm": "way/8"}, ["way/8", "not an area (a line or a point)"]),
    "self-crossing": (
        {"boundary": [_ll(-50, -50), _ll(50, 50), _ll(50, -50), _ll(-50, 50)]},
        ["not a simple polygon", "Self-intersection near (24.9"],
    ),
    "far-away": (
        {"boundary": rect_lonlat(LON0, LAT0, 5000, 5000, 100, 100)},
        ["7.0 km from the scene's data", "lon before lat"],
    ),
}


def _bad_scene(tmp_path, name: str):
    path = tmp_path / f"{name}.toml"
    data = {"name": name, "sources": [{"path": str(_osm_file(tmp_path))}]}
    data["community"] = BAD[name][0]
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(BAD))
def test_bad_boundaries(tmp_path, name):
    from twin.scene.scenefile import load_scene_spec

    path = _bad_scene(tmp_path, name)
    with pytest.raises(InputError) as exc:
        build_scene(load_scene_spec(path))
    msg = exc.value.message
    assert msg.startswith(f"{path}: ") and "\n" not in msg
    for w in BAD[name][1]:
        assert w in msg, msg


@pytest.mark.slow
def test_bad_boundaries_cli(tmp_path):
    names = ["missing-file", "unknown-name"]
    paths = [_bad_scene(tmp_path, n) for n in names]
    for name, path, proc in zip(
        names, paths, run_twin_all(*(["info", p] for p in paths)), strict=True
    ):
        assert_one_line_error(proc, str(path), *BAD[name][1])


# -- the demo -------------------------------------------------------------------------------
def test_the_demo_community(demo_scene):
    com = demo_scene.community
    assert com is not None and com.declared and not com.closed
    assert com.boundary_source == "scene file polygon"
    assert 0.1e6 < com.area_m2 < 0.5e6  # a few hundred metres across
    assert com.entrances and {e.use for e in com.entrances} == {"vehicle", "pedestrian", "both"}
    assert any(e.source_kind == "OSM node" for e in com.entrances)
    poly = shapely.from_wkb(com.boundary_wkb)
    line = poly.boundary
    for e in com.entrances:
        assert line.distance(shapely.Point(e.x, e.y)) <= 10.0
        assert e.inward is None or 0 <= e.inward < 360
    # the area has what the audit looks at
    inside = [d for d in demo_scene.devices if poly.contains(shapely.Point(d.x, d.y))]
    kinds = {d.kind for d in inside if not d.synthetic}
    assert {"camera", "pole", "manhole"} <= kinds
    assert any(com.is_main_road(r) for r in demo_scene.surfaces["road"])
    # every entrance or gate node of the extract (read here by a bare osmium handler) is in an
    # entrance, or in a warning that says why not
    import osmium

    gates = {"gate", "lift_gate", "swing_gate", "sliding_gate", "turnstile", "entrance"}
    nodes = set()
    for o in osmium.FileProcessor(str(HELSINKI), osmium.osm.NODE):
        if o.tags.get("entrance", "no") != "no" or o.tags.get("barrier") in gates:
            nodes.add(f"node/{o.id}")
    assert len(nodes) > 300
    sources = [s for e in com.entrances for s in [e.source, *e.merged]]
    used = {f"node/{s.split()[2]}" for s in sources if s.startswith("OSM node ")}
    warned = {
        f
        for w in demo_scene.warnings
        if "community" in w.reason
        for f in (w.features or [w.feature])
        if f.startswith("node/")
    }
    assert used and warned and not used & warned
    assert used | warned == nodes


@pytest.mark.slow
def test_twin_info_reports_the_community(tmp_path):
    r, j = run_twin_all(["info", DEMO], ["info", DEMO, "--json"])
    assert r.returncode == 0 and j.returncode == 0, r.stderr + j.stderr
    com = json.loads(j.stdout)["community"]
    for key in (
        "declared",
        "boundary_source",
        "closed",
        "area_m2",
        "perimeter_m",
        "main_roads",
        "important_roads",
        "entrance_counts",
        "entrances",
    ):
        assert key in com
    counts = com["entrance_counts"]
    assert counts["total"] == len(com["entrances"]) > 0
    assert sum(counts["by_use"].values()) == sum(counts["by_source"].values()) == counts["total"]
    assert "Community  open, boundary from scene file polygon" in r.stdout
    assert f"entrances        {counts['total']} (" in r.stdout
    # a scene without [community]
    path = tmp_path / "h.toml"
    path.write_text(
        tomli_w.dumps({"name": "h", "sources": [{"path": str(HELSINKI)}]}), encoding="utf-8"
    )
    com = json.loads(run_twin("info", path, "--json").stdout)["community"]
    assert com["declared"] is False and com["entrance_counts"]["total"] == 0
