"""Every class of unseen input that used to cost a file, crash, or be drawn wrong without a word
(tests/data_corpus writes one instance of each), driven through the real ``twin`` command:
exit code, counts against an independent count, the warnings, and where things are placed.
The IFC classes (map units, Scale, IFC2X3 property sets, remote and default locations) are in
tests/test_ifc_georef.py."""

from __future__ import annotations

import json
import warnings as pywarnings
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import trimesh
from pyproj import Transformer

from tests.data_corpus import osm as osm_corpus
from tests.data_corpus import vector as vec
from tests.helpers_gis import (
    assert_one_line_error,
    cityjson_doc,
    info_json,
    metres_to_lonlat,
    run_twin,
)
from twin.ingest.build import build_scene
from twin.scene.scenefile import load_scene_spec, spec_from_dict


def _new_scene(tmp_path: Path, *gis: Path, extra: tuple[str, ...] = ()) -> Path:
    out = tmp_path / "scene.toml"
    args = [a for g in gis for a in ("--gis", str(g))]
    r = run_twin("new-scene", *args, *extra, "--name", "corpus", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return out


def _not_drawn(info: dict, source: str) -> dict[str, dict]:
    """Feature id -> the warning that says why it is not drawn."""
    out = {}
    for w in info["warnings"]:
        if w["source"] == source and w["not_drawn"]:
            for fid in w.get("features") or [w["feature"]]:
                out[fid] = w
    return out


def _assert_accounted(info: dict) -> None:
    """read = drawn + not drawn for every source, each not drawn in a warning, none for a reason
    the build did not record."""
    assert info["features"]
    for source, c in info["features"].items():
        if source == "total":
            continue
        assert c["read"] == c["drawn"] + c["not_drawn"], (source, c)
        warned = sum(w["not_drawn"] for w in info["warnings"] if w["source"] == source)
        assert warned == c["not_drawn"], (source, c, warned)
    assert not [w for w in info["warnings"] if "please report" in w["reason"]]


# -- 1. one bad feature never costs the file -----------------------------------------------------
OSM_CASES = [
    "cut.osm",
    "cut.osm.bz2",
    "cut.osm.gz",
    "cut.osm.pbf",
    "unsorted.osm.pbf",
    "josm-negative-ids.osm",
]


@pytest.mark.parametrize("name", OSM_CASES)
@pytest.mark.slow
def test_osm_extract_every_feature_is_drawn_or_named(tmp_path, name):
    neg = "negative" in name
    xml = osm_corpus.write_cut_extract(
        tmp_path / ("src.osm" if name.endswith(".pbf") else name), neg=neg
    )
    path = xml
    if name.endswith(".pbf"):
        path = osm_corpus.write_pbf(xml, tmp_path / name, shuffle=name.startswith("unsorted"))
    if name.startswith("unsorted"):
        # the class: GDAL's OSM driver refuses such a file ("Non increasing node id")
        with pytest.raises(Exception, match="(?i)increasing"), pywarnings.catch_warnings():
            pywarnings.simplefilter("ignore")
            pyogrio.read_dataframe(path, layer="lines")
    info = info_json(_new_scene(tmp_path, path))
    _assert_accounted(info)
    truth = osm_corpus.tagged_ids(osm_corpus.cut_extract_xml(neg))  # a plain XML walk
    feats = info["features"][name]
    assert feats["read"] == len(truth) == 15
    assert feats["drawn"] == 6 and feats["not_drawn"] == 9
    assert info["counts"] == {"building": 2, "camera": 1, "green": 1, "pole": 1, "road": 1}
    (edge,) = [w for w in info["warnings"] if "drawn up to the extract's edge" in w["action"]]
    assert set(edge["features"]) == {f"way/{'-' if neg else ''}{n}" for n in (103, 104, 108)}
    assert edge["not_drawn"] == 0
    warned = _not_drawn(info, name)
    sign = "-" if neg else ""
    for fid, expect in osm_corpus.EXPECTED.items():
        kind, _, num = fid.partition("/")
        fid = f"{kind}/{sign}{num}"
        if expect == "drawn":
            assert fid not in warned
        else:
            assert fid in warned, f"{fid} is neither drawn nor named in a warning"
            assert expect in warned[fid]["reason"], (fid, warned[fid]["reason"])
    if name.startswith("unsorted") or neg:
        assert any(
            "not sorted by id" in w["reason"] for w in info["warnings"] if w["feature"] == "file"
        )
    # and the drawn ones are where they are, to the centimetre
    devices = {
        d["id"]: d
        for d in json.loads(run_twin("devices", str(tmp_path / "scene.toml"), "--json").stdout)
    }
    pole = devices[f"osm-n{sign}7"]
    lon, lat = metres_to_lonlat(osm_corpus.LON0, osm_corpus.LAT0, 10, -25)
    assert abs(pole["lon"] - lon) < 1e-7 and abs(pole["lat"] - lat) < 1e-7
    utm = Transformer.from_crs(4326, info["crs"], always_xy=True)
    x, y = utm.transform(lon, lat)
    assert abs(pole["x"] - (x - info["origin_projected"]["x"])) < 0.01
    assert abs(pole["y"] - (y - info["origin_projected"]["y"])) < 0.01
    assert pole["mount_height"] == 9.0
    assert devices[f"osm-n{sign}8"]["heading"] == 180.0


def test_unsorted_pbf_reads_like_the_sorted_one(tmp_path):
    xml = osm_corpus.write_cut_extract(tmp_path / "src.osm")
    a = build_scene(
        spec_from_dict(
            {
                "name": "a",
                "sources": [
                    {
                        "path": str(
                            osm_corpus.write_pbf(xml, tmp_path / "sorted.osm.pbf", shuffle=False)
                        )
                    }
                ],
            },
            tmp_path / "a.toml",
        )
    )
    b = build_scene(
        spec_from_dict(
            {
                "name": "b",
                "sources": [
                    {
                        "path": str(
                            osm_corpus.write_pbf(xml, tmp_path / "shuffled.osm.pbf", shuffle=True)
                        )
                    }
                ],
            },
            tmp_path / "b.toml",
        )
    )
    assert a.counts() == b.counts()
    assert [(d.id, d.x, d.y) for d in a.devices] == [(d.id, d.x, d.y) for d in b.devices]
    assert np.allclose(a.meshes["building"].points, b.meshes["building"].points)


@pytest.mark.slow
def test_compressed_and_zipped_layers_read_like_the_plain_ones(tmp_path):
    plain = vec.uom_gpkg(tmp_path)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    shp = vec.feet_shapefile(shp_dir)
    geojson = vec.feet_geojson(tmp_path, "height_ft")
    cases = {
        "gpkg.gz": (vec.gzipped(plain), plain),
        "zip": (vec.zipped_shapefile(shp, tmp_path / "nyc.zip"), shp),
        "geojson.gz": (vec.gzipped(geojson), geojson),
    }
    for label, (packed, original) in cases.items():
        d = tmp_path / label
        d.mkdir()
        info = info_json(_new_scene(d, packed))
        _assert_accounted(info)
        want = build_scene(
            spec_from_dict({"name": "p", "sources": [{"path": str(original)}]}, d / "p.toml")
        )
        got = build_scene(load_scene_spec(d / "scene.toml"))
        assert got.counts() == want.counts(), label
        assert [b.height for b in got.buildings] == [b.height for b in want.buildings], label
        (source,) = [s for s in info["features"] if s != "total"]
        assert source.startswith(packed.name + "/"), (
            source
        )  # messages name the file inside the archive
    # the zip's readme and macOS litter are not GIS files and are not read; the shapefile in its
    # folder is
    info = info_json(tmp_path / "zip" / "scene.toml")
    assert list(info["features"]) == ["nyc.zip/data/nyc_buildings.shp", "total"]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("fake.geojson.gz", b"not gzip at all", ("fake.geojson.gz", "not a gz archive")),
        ("empty.zip", None, ("empty.zip", "no GIS file")),
        ("city.tar.gz", None, ("tar",)),
    ],
)
def test_bad_archives_are_one_line_errors(tmp_path, name, content, words):
    import gzip
    import io
    import tarfile
    import zipfile

    path = tmp_path / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("README.txt", "nothing here")
    elif name.endswith(".tar.gz"):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            info = tarfile.TarInfo("a.geojson")
            info.size = 2
            t.addfile(info, io.BytesIO(b"{}"))
        path.write_bytes(gzip.compress(buf.getvalue()))
    else:
        path.write_bytes(content)
    r = run_twin("new-scene", "--gis", str(path), "--name", "x", "--out", str(tmp_path / "x.toml"))
    assert_one_line_error(r, *words)
    assert not (tmp_path / "x.toml").exists()


def test_one_bad_feature_keeps_the_rest_of_the_layer(tmp_path):
    path = vec.one_bad_feature(tmp_path)
    info = info_json(_new_scene(tmp_path, path))
    _assert_accounted(info)
    assert info["counts"] == {"building": 5}
    assert info["features"]["one_bad.geojson"] == {"read": 7, "drawn": 5, "not_drawn": 2}
    warned = _not_drawn(info, "one_bad.geojson")
    assert "not a lon / lat" in warned["b5"]["reason"] and "no geometry" in warned["b6"]["reason"]


# -- 2. crashes ----------------------------------------------------------------------------------
def test_cityjson_building_parts_with_inconsistent_winding(tmp_path):
    """Building + BuildingPart solids with faces wound the wrong way take trimesh's winding
    repair (which needs networkx): drawn with outward faces, heights as built."""
    doc = cityjson_doc("1.1")
    box = doc["CityObjects"]["B1"]["geometry"][0]["boundaries"][0]
    box[2] = [list(reversed(r)) for r in box[2]]
    house = doc["CityObjects"]["B2-part"]["geometry"][0]["boundaries"]
    house[3] = [list(reversed(r)) for r in house[3]]
    path = tmp_path / "parts.city.json"
    path.write_text(json.dumps(doc))
    info = info_json(_new_scene(tmp_path, path))  # a subprocess: the real command, no traceback
    _assert_accounted(info)
    assert info["counts"]["building"] == 2
    assert info["features"]["parts.city.json"] == {
        "read": 7,
        "drawn": 6,
        "not_drawn": 1,
    }  # TINRelief not drawn
    scene = build_scene(load_scene_spec(tmp_path / "scene.toml"))
    assert sorted(b.height for b in scene.buildings) == [9.0, 12.0]
    m = scene.meshes["building"]
    for i in range(2):
        t = trimesh.Trimesh(m.points, m.faces[m.entity == i], process=True)
        assert t.is_winding_consistent and t.volume > 0  # outward


# -- 3. drawn wrong without a word ----------------------------------------------------------------
def test_heights_in_the_feet_of_the_layers_crs(tmp_path):
    info = info_json(_new_scene(tmp_path, vec.feet_shapefile(tmp_path)))
    _assert_accounted(info)
    scene = build_scene(load_scene_spec(tmp_path / "scene.toml"))
    assert [b.height for b in scene.buildings] == pytest.approx(
        [h * vec.FT_US for h in vec.FEET_HEIGHTS], abs=0.01
    )
    note = [w for w in info["warnings"] if w["feature"] == "heights"]
    assert note and "US ft" in note[0]["reason"] and "EPSG:2263" in note[0]["reason"]
    assert not any("implausible" in w["reason"] for w in info["warnings"])
    # footprints converted too: 40 x 40 ftUS boxes (sides to 3 cm: the two projections' scales
    # differ)
    import shapely

    foot = shapely.from_wkb(scene.buildings[0].footprint_wkb)
    assert foot.length / 4 == pytest.approx(40 * vec.FT_US, abs=0.03)
    assert scene.frame.crs == "EPSG:32618"


@pytest.mark.slow
def test_heights_declared_by_a_column_name_or_a_unit_column(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    info = info_json(_new_scene(a, vec.feet_geojson(a, "height_ft")))
    scene = build_scene(load_scene_spec(a / "scene.toml"))
    want = [min(h * 0.3048, 830.0) for h in vec.FEET_HEIGHTS]
    assert [b.height for b in scene.buildings] == pytest.approx(want, abs=0.01)
    assert any("height_ft (ft)" in w["reason"] for w in info["warnings"])
    b = tmp_path / "b"
    b.mkdir()
    _new_scene(b, vec.uom_gpkg(b))
    scene = build_scene(load_scene_spec(b / "scene.toml"))
    assert [x.height for x in scene.buildings] == pytest.approx([30, 20, 10, 30, 20, 10], abs=0.01)


@pytest.mark.slow
def test_implausible_heights_are_named_and_height_unit_fixes_them(tmp_path):
    path = vec.feet_geojson(tmp_path)
    info = info_json(_new_scene(tmp_path, path))
    (w,) = [w for w in info["warnings"] if "implausible" in w["reason"]]
    assert (
        "feet" in w["reason"]
        and 'height_unit = "ft"' in w["reason"]
        and "--height-unit ft" in w["reason"]
    )
    # the fix the warning names
    r = run_twin(
        "new-scene",
        "--gis",
        str(path),
        "--height-unit",
        "ft",
        "--name",
        "ft",
        "--out",
        str(tmp_path / "ft.toml"),
    )
    assert r.returncode == 0, r.stderr
    assert 'height_unit = "ft"' in (tmp_path / "ft.toml").read_text()
    info = info_json(tmp_path / "ft.toml")
    assert not any("implausible" in w["reason"] for w in info["warnings"])
    scene = build_scene(load_scene_spec(tmp_path / "ft.toml"))
    assert [b.height for b in scene.buildings] == pytest.approx(
        [h * 0.3048 for h in vec.FEET_HEIGHTS], abs=0.01
    )
    assert info["bounds"]["zmax"] == pytest.approx(980 * 0.3048, abs=0.05)
    r = run_twin(
        "new-scene",
        "--gis",
        str(path),
        "--height-unit",
        "furlong",
        "--name",
        "x",
        "--out",
        str(tmp_path / "x.toml"),
    )
    assert_one_line_error(r, "--height-unit", "furlong")


@pytest.mark.slow
def test_kinds_in_chinese_attribute_values(tmp_path):
    roads, areas = vec.chinese_kinds(tmp_path)
    plain = roads.with_name("shenzhen.shp")  # a name that says nothing of the kind
    for f in roads.parent.glob(roads.stem + ".*"):
        f.rename(plain.with_suffix(f.suffix))
    info = info_json(_new_scene(tmp_path, plain, areas))
    _assert_accounted(info)
    scene = build_scene(load_scene_spec(tmp_path / "scene.toml"))
    assert {(r.name, r.road_class) for r in scene.surfaces["road"]} == {
        ("深南大道辅路", "minor"),
        ("深南大道", "main"),
        ("步道", "path"),
    }
    warned = _not_drawn(info, "shenzhen.shp")
    assert (
        list(warned) == ["feature 3"]
        and "'雕塑' is not understood" in warned["feature 3"]["reason"]
    )
    assert {k: v for k, v in info["counts"].items() if k != "road"} == {
        "building": 1,
        "green": 1,
        "water": 1,
        "parking_lot": 1,
    }
    assert scene.buildings[0].height == 18.0 and scene.buildings[0].height_source == "height"
    # in a layer whose name gives the kind, a value that is no kind keeps the layer's kind, and says
    # so
    d = tmp_path / "named"
    d.mkdir()
    roads2, _ = vec.chinese_kinds(d)
    info = info_json(_new_scene(d, roads2))
    assert info["counts"] == {"road": 4}
    assert any("'雕塑'" in w["reason"] and "road" in w["reason"] for w in info["warnings"])
    # a buildings layer: use words (商业) keep the layer's kind, a device word (摄像头) is that
    # device
    import geopandas as gpd
    import shapely

    e = tmp_path / "devices-in-buildings"
    e.mkdir()
    cam = shapely.Point(*metres_to_lonlat(*vec.SZ, 5, -10))
    gpd.GeoDataFrame(
        {"类型": ["商业", "商业", "摄像头"]},
        geometry=[*vec._boxes_lonlat(*vec.SZ, 2), cam],
        crs=4326,
    ).to_file(e / "buildings.geojson")
    info = info_json(_new_scene(e, e / "buildings.geojson"))
    _assert_accounted(info)
    assert info["counts"] == {"building": 2, "camera": 1}
    assert any("'商业' 2" in w["reason"] and "building" in w["reason"] for w in info["warnings"])


@pytest.mark.slow
def test_damaged_osm_keeps_what_comes_before_the_damage(tmp_path):
    """A large XML extract cut off mid-download: the features before the cut are read, and a
    warning says the file is damaged; a small one with nothing readable is a one-line error."""
    import osmium

    from tests.conftest import HELSINKI

    full = tmp_path / "full.osm"
    w = osmium.SimpleWriter(str(full))
    for o in osmium.FileProcessor(str(HELSINKI)):
        getattr(w, f"add_{'node' if o.is_node() else 'way' if o.is_way() else 'relation'}")(o)
    w.close()
    cut = tmp_path / "cut.osm"
    cut.write_bytes(full.read_bytes()[:3_000_000])
    info = info_json(_new_scene(tmp_path, cut))
    _assert_accounted(info)
    (note,) = [w for w in info["warnings"] if w["feature"] == "file"]
    assert "damaged or truncated" in note["reason"] and "XML parsing error" in note["reason"]
    assert info["features"]["cut.osm"]["read"] > 1000
    assert info["counts"]["camera"] > 100
    small = tmp_path / "small.osm"
    small.write_text(osm_corpus.cut_extract_xml()[:600], encoding="utf-8")
    r = run_twin("new-scene", "--gis", str(small), "--name", "x", "--out", str(tmp_path / "x.toml"))
    assert_one_line_error(r, "small.osm", "not a readable OpenStreetMap file")


def test_one_bad_layer_keeps_the_other_layers(tmp_path):
    """A GeoPackage whose second layer declares no CRS: that layer is named in a warning with its
    feature count, the first is drawn."""
    import geopandas as gpd
    import shapely

    path = tmp_path / "two.gpkg"
    good = vec._boxes_lonlat(*vec.SZ, 3)
    gpd.GeoDataFrame({"building": ["yes"] * 3}, geometry=good, crs=4326).to_file(
        path, layer="buildings"
    )
    gpd.GeoDataFrame(
        {"building": ["yes"] * 2},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)],
        crs=None,
    ).to_file(path, layer="local_grid")
    info = info_json(_new_scene(tmp_path, path))
    _assert_accounted(info)
    assert info["counts"] == {"building": 3}
    bad = info["features"]["two.gpkg layer 'local_grid'"]
    assert bad == {"read": 2, "drawn": 0, "not_drawn": 2}
    (w,) = [w for w in info["warnings"] if w["source"] == "two.gpkg layer 'local_grid'"]
    assert "declares no CRS" in w["reason"] and "@EPSG:N" in w["reason"]


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_chinese_shapefile_without_a_cpg(tmp_path, encoding):
    """A shapefile of Chinese attributes whose .cpg was lost (GDAL then reads ISO-8859-1 mojibake
    and every kind is lost): the encoding is recognised, said in a warning, and the kinds read."""
    roads, _ = vec.chinese_kinds(tmp_path, encoding=encoding)
    roads.with_suffix(".cpg").unlink()
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        raw = pyogrio.read_dataframe(roads)
    assert "类型" not in raw.columns  # the class: GDAL alone reads mojibake
    info = info_json(_new_scene(tmp_path, roads))
    _assert_accounted(info)
    assert info["counts"] == {"road": 4}
    assert any(w["feature"] == "attributes" and "no .cpg" in w["reason"] for w in info["warnings"])
    scene = build_scene(load_scene_spec(tmp_path / "scene.toml"))
    assert {r.name for r in scene.surfaces["road"]} == {"深南大道辅路", "深南大道", "步道", "X"}
    assert {r.road_class for r in scene.surfaces["road"]} == {"minor", "main", "path"}
