"""The real Helsinki OpenStreetMap extract: counts, positions to the centimetre, the CLI
contract."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from pyproj import Transformer

from tests.conftest import DEMO, HELSINKI, run_twin


@pytest.fixture(scope="module")
def raw_points():
    """The extract's nodes read independently of the twin's reader."""
    pyogrio.set_gdal_config_options(
        {"OSM_CONFIG_FILE": str(Path(__file__).with_name("osmconf.ini"))}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pyogrio.read_dataframe(HELSINKI, layer="points")


def _count(df, key, value=None):
    return sum(1 for t in df["all_tags"] if t and key in t and (value is None or t[key] == value))


@pytest.mark.slow
def test_real_devices_are_all_brought_in(demo_scene, raw_points):
    real = {
        k: sum(
            1
            for d in demo_scene.devices
            if d.kind == k and not d.synthetic and d.id.startswith("osm-")
        )
        for k in ("pole", "camera", "manhole", "hydrant", "trash_bin", "charger")
    }
    # and the demo's own device list (devices the map does not have), every row placed
    listed = [d for d in demo_scene.devices if d.source.endswith("demo_devices.csv")]
    assert len(listed) == 42
    assert {d.props.get("use") for d in listed if d.kind == "meter"} == {
        "residential",
        "commercial",
        "public",
    }
    assert real["pole"] == _count(raw_points, "highway", "street_lamp") == 586
    assert real["camera"] == _count(raw_points, "man_made", "surveillance") == 221
    assert real["manhole"] == _count(raw_points, "manhole") == 397
    assert real["hydrant"] == _count(raw_points, "emergency", "fire_hydrant") == 37
    assert real["trash_bin"] == _count(raw_points, "amenity", "waste_basket") == 36
    assert real["charger"] == _count(raw_points, "amenity", "charging_station") == 4


def _tagged_objects(path):
    """(type/id, tags) of every object with tags, decoded by a bare osmium handler: no locations,
    no area assembly, none of the twin's rules."""
    import osmium

    out = {}

    class Handler(osmium.SimpleHandler):
        def _add(self, kind, o):
            if len(o.tags):
                out[f"{kind}/{o.id}"] = {t.k: t.v for t in o.tags}

        def node(self, o):
            self._add("node", o)

        def way(self, o):
            self._add("way", o)

        def relation(self, o):
            self._add("relation", o)

    Handler().apply_file(str(path))
    return out


def _not_drawn_ids(scene, source):
    ids = set()
    for w in scene.warnings:
        if w.source == source and w.not_drawn:
            ids.update(w.features or [w.feature])
    return ids


def test_buildings_roads_and_areas(demo_scene):
    counts = demo_scene.counts()
    # every building of the extract is drawn or named in a warning that says why not (outlines cut
    # at the extract's edge, multipolygons with members outside it)
    objects = _tagged_objects(HELSINKI)
    buildings = {
        k
        for k, t in objects.items()
        if t.get("building") not in (None, "", "no") and not k.startswith("node/")
    }  # nodes tagged building=entrance are not outlines
    assert len(buildings) == 500
    gis = [b for b in demo_scene.buildings if not b.source.startswith("IFC")]
    parts = {k for k, t in objects.items() if t.get("building:part") not in (None, "", "no")}
    drawn = {b.id for b in gis}
    assert drawn <= buildings | parts  # parts outside every outline are buildings of their own
    warned = _not_drawn_ids(demo_scene, "Helsinki.osm.pbf") & buildings
    assert not drawn & warned
    assert (drawn & buildings) | warned == buildings
    assert len(gis) >= 450
    reasons = {
        w.reason
        for w in demo_scene.warnings
        if w.not_drawn and (set(w.features or [w.feature]) & buildings)
    }
    assert any("outside the extract" in r for r in reasons) and any(
        "not in the extract" in r for r in reasons
    )
    # the account of the whole file: read = drawn + not drawn, read = every object with tags
    feats = demo_scene.features["Helsinki.osm.pbf"]
    assert feats["read"] == len(objects) == feats["drawn"] + feats["not_drawn"]
    # plus the two BIM houses, placed on open plots (they replace nothing)
    assert counts["building"] == len(gis) + 2
    assert [m["placement"] for m in demo_scene.bim_models] == ["scene", "scene"]
    assert all(m["replaced"] == [] for m in demo_scene.bim_models)
    assert counts["parking_lot"] >= 25
    assert counts["green"] > 100
    roads = demo_scene.surfaces["road"]
    classes = {r.road_class for r in roads}
    assert classes == {"main", "minor", "path"}
    # highway classes map to road classes and widths come from the data or the class default
    for r in roads:
        if r.highway == "primary":
            assert r.road_class == "main"
        if r.highway == "footway":
            assert r.road_class == "path"
        assert r.width and 0.5 <= r.width <= 100
    sources = {b.height_source for b in demo_scene.buildings}
    assert {"height", "levels", "default"} <= sources
    levels = [b for b in demo_scene.buildings if b.height_source == "levels"]
    assert all(b.height >= 3.0 for b in levels)


def test_device_positions_to_the_centimetre(demo_scene, raw_points):
    frame = demo_scene.frame
    to_utm = Transformer.from_crs("EPSG:4326", frame.crs, always_xy=True)
    by_id = {d.id: d for d in demo_scene.devices}
    checked = 0
    for osm_id, tags, geom in zip(
        raw_points["osm_id"], raw_points["all_tags"], raw_points.geometry, strict=True
    ):
        if not tags or tags.get("emergency") != "fire_hydrant":
            continue
        d = by_id[f"osm-n{osm_id}"]
        x, y = to_utm.transform(geom.x, geom.y)
        assert abs(d.x - (x - frame.origin_x)) < 0.01
        assert abs(d.y - (y - frame.origin_y)) < 0.01
        assert abs(d.lon - geom.x) < 1e-7 and abs(d.lat - geom.y) < 1e-7
        checked += 1
    assert checked == 37


def test_frame_is_utm_of_the_data_centre(demo_scene):
    assert demo_scene.frame.crs == "EPSG:32635"  # Helsinki, 24.9 E: UTM zone 35N
    b = demo_scene.bounds()
    assert abs((b[0] + b[1]) / 2) < 30 and abs((b[2] + b[3]) / 2) < 30  # origin at the centre
    assert 900 < b[1] - b[0] < 1200 and 1500 < b[3] - b[2] < 1900  # about 1.0 x 1.7 km


def test_cameras_carry_their_geometry(demo_scene):
    cams = demo_scene.devices_of("camera")
    assert all(c.subkind in {"hd", "ai", "perimeter", "panorama"} for c in cams)
    assert all(
        c.fov and 0 < c.fov <= 360 and c.tilt is not None and c.mount_height > 0 for c in cams
    )
    with_height = [c for c in cams if c.source and c.mount_height not in (6.0, 4.5, 5.0)]
    assert with_height, "OSM height=* on cameras is used"
    # cameras without camera:direction face the nearest road
    faced = [c for c in cams if c.props.get("heading_source") == "nearest_road"]
    assert len(faced) > 150


def test_fill_devices_follow_the_rules(demo_scene):
    devices = demo_scene.devices
    spaces = [d for d in devices if d.kind == "parking_space"]
    chargers = [d for d in devices if d.kind == "charger"]
    assert spaces and all(d.synthetic for d in spaces)
    assert len(chargers) >= 0.5 * len(spaces)
    syn = demo_scene.synthetic_counts()
    assert syn["pole"] > 0 and syn["trash_bin"] > 0 and syn["env_monitor"] > 0
    assert all(d.id.startswith("syn-") for d in devices if d.synthetic)
    assert not any(d.synthetic for d in devices if d.id.startswith("osm-"))
    # synthetic poles along main roads keep 30-50 m spacing to their neighbours
    poles = np.array([[d.x, d.y] for d in devices if d.kind == "pole" and d.synthetic])
    nearest = [np.sort(np.hypot(*(poles - p).T))[1] for p in poles]
    assert np.median(nearest) == pytest.approx(40, abs=10)


def test_fill_is_deterministic(demo_scene):
    from twin.ingest.build import build_scene
    from twin.scene.scenefile import load_scene_spec

    again = build_scene(load_scene_spec(DEMO))
    a = [(d.id, round(d.x, 3), round(d.y, 3)) for d in demo_scene.devices if d.synthetic]
    b = [(d.id, round(d.x, 3), round(d.y, 3)) for d in again.devices if d.synthetic]
    assert a == b


def test_cli_info_json_contract():
    r = run_twin("info", str(DEMO), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    for key in (
        "name",
        "crs",
        "origin",
        "bounds",
        "counts",
        "synthetic_counts",
        "warnings",
        "timings",
    ):
        assert key in info
    assert (
        info["counts"]["camera"] == 221 + 2
    )  # OSM cameras and the demo list's two perimeter cameras
    assert info["counts"]["hydrant"] == 37
    assert set(info["origin"]) == {"lon", "lat"}
    assert all({"source", "feature", "reason", "action"} <= set(w) for w in info["warnings"])
    assert info["timings"]["total"] > 0


def test_cli_devices_json_contract():
    r = run_twin("devices", str(DEMO), "--kind", "hydrant", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 37
    for row in rows:
        assert {"id", "kind", "name", "x", "y", "z", "lon", "lat", "synthetic"} <= set(row)
        assert row["kind"] == "hydrant" and row["synthetic"] is False
        assert 24.9 < row["lon"] < 25.0 and 60.1 < row["lat"] < 60.2


@pytest.mark.slow
def test_new_scene_from_the_extract(tmp_path):
    out = tmp_path / "scenes" / "h.toml"
    r = run_twin(
        "new-scene",
        "--gis",
        str(HELSINKI),
        "--clip",
        "24.935,60.165,24.950,60.172",
        "--name",
        "Helsinki south",
        "--out",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "../" in text or str(HELSINKI) in text  # paths written relative to the scene file
    info = json.loads(run_twin("info", str(out), "--json").stdout)
    assert info["name"] == "Helsinki south"
    full = json.loads(run_twin("info", str(DEMO), "--json").stdout)
    assert 0 < info["counts"]["building"] < full["counts"]["building"]
    assert "parking_space" not in info["counts"]  # not filled unless asked
    r2 = run_twin("devices", str(out), "--json")
    for d in json.loads(r2.stdout):
        assert 24.935 <= d["lon"] <= 24.950 and 60.165 <= d["lat"] <= 60.172


def test_scene_file_round_trip(tmp_path):
    from twin.scene.scenefile import load_scene_spec, save_scene_spec

    spec = load_scene_spec(DEMO)
    out = tmp_path / "copy.toml"
    save_scene_spec(spec, out)
    again = load_scene_spec(out)
    assert again.name == spec.name
    assert [s.path.resolve() for s in again.sources] == [s.path.resolve() for s in spec.sources]
    assert again.views == spec.views and again.fill_devices == spec.fill_devices
    assert math.isclose(again.views[0].lon, 24.9427)
