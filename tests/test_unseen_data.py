"""Data shaped unlike the samples: OSM XML in the southern hemisphere, nested GeoJSON
properties, a clip that keeps nothing, a scene of one device."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Transformer

from tests.conftest import run_twin
from twin.ingest.build import build_scene
from twin.scene.scenefile import spec_from_dict

# a tiny OpenStreetMap XML extract in Sydney (UTM 56S), written by hand
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="-33.8700" lon="151.2000"/>
  <node id="2" lat="-33.8700" lon="151.2004"/>
  <node id="3" lat="-33.8697" lon="151.2004"/>
  <node id="4" lat="-33.8697" lon="151.2000"/>
  <node id="5" lat="-33.8705" lon="151.1995"/>
  <node id="6" lat="-33.8705" lon="151.2010"/>
  <node id="7" lat="-33.8703" lon="151.2002">
    <tag k="highway" v="street_lamp"/><tag k="height" v="9"/>
  </node>
  <node id="8" lat="-33.8703" lon="151.2006">
    <tag k="man_made" v="surveillance"/><tag k="surveillance:type" v="camera"/>
    <tag k="camera:direction" v="SW"/><tag k="camera:angle" v="25"/><tag k="height" v="4"/>
  </node>
  <node id="9" lat="-33.8704" lon="151.2001"><tag k="manhole" v="sewer"/></node>
  <way id="100">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="building" v="apartments"/><tag k="building:levels" v="7"/>\
<tag k="name" v="Harbour Flats"/>
  </way>
  <way id="101">
    <nd ref="5"/><nd ref="6"/>
    <tag k="highway" v="secondary"/><tag k="lanes" v="4"/>
  </way>
</osm>
"""


def _scene(tmp_path, data: dict):
    return build_scene(spec_from_dict(data, tmp_path / "s.toml"))


def test_osm_xml_in_the_southern_hemisphere(tmp_path):
    path = tmp_path / "sydney.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    scene = _scene(tmp_path, {"name": "Sydney", "sources": [{"path": str(path)}]})
    assert scene.frame.crs == "EPSG:32756"
    assert scene.counts() == {"building": 1, "camera": 1, "manhole": 1, "pole": 1, "road": 1}
    b = scene.buildings[0]
    assert (b.height, b.height_source, b.name) == (21.0, "levels", "Harbour Flats")
    road = scene.surfaces["road"][0]
    assert (road.road_class, road.width, road.width_source) == ("main", 13.0, "lanes")
    cam = scene.devices_of("camera")[0]
    assert (cam.heading, cam.tilt, cam.mount_height) == (225.0, 25.0, 4.0)
    pole = scene.devices_of("pole")[0]
    t = Transformer.from_crs("EPSG:4326", "EPSG:32756", always_xy=True)
    x, y = t.transform(151.2002, -33.8703)
    assert (
        abs(pole.x - (x - scene.frame.origin_x)) < 0.01
        and abs(pole.y - (y - scene.frame.origin_y)) < 0.01
    )
    assert pole.mount_height == 9.0


@pytest.mark.slow
def test_nested_geojson_properties_do_not_break_the_rules(tmp_path):
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"building": ["yes", "house"], "height": 12, "tags": {"a": 1}},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [10.0, 50.0],
                            [10.0002, 50.0],
                            [10.0002, 50.0002],
                            [10.0, 50.0002],
                            [10.0, 50.0],
                        ]
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {"highway": ["primary"], "kind": "road"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[10.0, 49.9995], [10.001, 49.9995]],
                },
            },
        ],
    }
    path = tmp_path / "nested.geojson"
    path.write_text(json.dumps(fc))
    r = run_twin(
        "new-scene", "--gis", str(path), "--name", "nested", "--out", str(tmp_path / "n.toml")
    )
    assert r.returncode == 0, r.stderr
    info = json.loads(run_twin("info", str(tmp_path / "n.toml"), "--json").stdout)
    assert info["counts"]["building"] == 1


def test_clip_that_keeps_nothing_is_a_clear_error(tmp_path):
    path = tmp_path / "sydney.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    r = run_twin(
        "new-scene",
        "--gis",
        str(path),
        "--clip",
        "2.0,48.0,2.1,48.1",
        "--name",
        "x",
        "--out",
        str(tmp_path / "x.toml"),
    )
    assert r.returncode == 2
    assert "nothing to show" in r.stderr and "clip" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.toml").exists()


@pytest.mark.slow
def test_a_scene_of_one_device_renders(tmp_path):
    csv = tmp_path / "one.csv"
    csv.write_text("id,kind,lon,lat\ncam-1,camera,121.4737,31.2304\n", encoding="utf-8")
    scene_file = tmp_path / "one.toml"
    r = run_twin("new-scene", "--devices", str(csv), "--name", "one", "--out", str(scene_file))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "one.png"
    r = run_twin("render", str(scene_file), "--out", str(out), "--size", "320x180")
    assert r.returncode == 0, r.stderr
    from PIL import Image

    img = np.asarray(Image.open(out))[..., :3].astype(int)
    cam = np.array([0x4F, 0xC3, 0xF7])
    assert (np.abs(img - cam).sum(axis=2) < 60).sum() > 5  # the camera is visible


def _box_cityjson(reference: str, x0: float, y0: float, w: float, d: float, h: float) -> dict:
    """One LoD1 box Building, coordinates in file units, integer vertices with transform."""
    verts = [
        [x0, y0, 0],
        [x0 + w, y0, 0],
        [x0 + w, y0 + d, 0],
        [x0, y0 + d, 0],
        [x0, y0, h],
        [x0 + w, y0, h],
        [x0 + w, y0 + d, h],
        [x0, y0 + d, h],
    ]
    scale = 0.01
    ints = [[round(c / scale) for c in v] for v in verts]
    shell = [
        [[0, 3, 2, 1]],
        [[4, 5, 6, 7]],
        [[0, 1, 5, 4]],
        [[1, 2, 6, 5]],
        [[2, 3, 7, 6]],
        [[3, 0, 4, 7]],
    ]
    return {
        "type": "CityJSON",
        "version": "2.0",
        "metadata": {"referenceSystem": reference},
        "transform": {"scale": [scale, scale, scale], "translate": [0, 0, 0]},
        "CityObjects": {
            "b1": {
                "type": "Building",
                "geometry": [{"type": "Solid", "lod": "1", "boundaries": [shell]}],
            }
        },
        "vertices": ints,
    }


def test_cityjson_in_us_feet_gives_heights_in_metres(tmp_path):
    """New York's CityJSON is in EPSG:2263 (US survey feet): a 30 ft box is 9.14 m tall."""
    doc = _box_cityjson(
        "https://www.opengis.net/def/crs/EPSG/0/2263", 987000.0, 211000.0, 50.0, 80.0, 30.0
    )
    path = tmp_path / "nyc.city.json"
    path.write_text(json.dumps(doc))
    scene = _scene(tmp_path, {"name": "NYC", "sources": [{"path": str(path)}]})
    b = scene.buildings[0]
    assert abs(b.height - 30 * 0.3048006) < 0.01 and b.height_source == "geometry"
    assert abs(scene.meshes["building"].points[:, 2].max() - 9.144) < 0.01
    pts = scene.meshes["building"].points[:, :2]
    diagonal = np.max(np.hypot(*(pts[:, None, :] - pts[None, :, :]).T))
    assert (
        abs(diagonal - np.hypot(50, 80) * 0.3048006) < 0.02
    )  # footprint converted too (rotation-free)
    assert scene.frame.crs == "EPSG:32618"  # UTM 18N for New York


def test_malformed_cityjson_objects_are_skipped_not_fatal(tmp_path):
    doc = _box_cityjson(
        "https://www.opengis.net/def/crs/EPSG/0/28992", 85000.0, 446000.0, 10.0, 20.0, 12.0
    )
    doc["CityObjects"]["bad1"] = {
        "type": "Building",
        "geometry": [{"type": "Solid", "lod": "1", "boundaries": "not a list"}],
    }
    doc["CityObjects"]["bad2"] = {"type": "Building", "geometry": "nonsense"}
    doc["CityObjects"]["bad3"] = "not an object"
    path = tmp_path / "bad.city.json"
    path.write_text(json.dumps(doc))
    scene = _scene(tmp_path, {"name": "bad", "sources": [{"path": str(path)}]})
    assert scene.counts()["building"] == 1
    skipped = {w.feature for w in scene.warnings if w.action == "skipped"}
    assert {"bad1", "bad2"} <= skipped
    doc["CityObjects"] = [1, 2]
    path.write_text(json.dumps(doc))
    r = run_twin("new-scene", "--gis", str(path), "--name", "x", "--out", str(tmp_path / "x.toml"))
    assert r.returncode == 2 and "CityObjects" in r.stderr and "Traceback" not in r.stderr
