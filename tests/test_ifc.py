"""IFC (BIM) models in scenes: placement (map conversion, scene, site), devices from IFC
elements, drawn elements and their colours, the CLI, bad input and the tessellation cache.

The test model is written by ``tests/ifc_builder.py`` with ifcopenshell's API; the three
sample models in ``assets/ifc`` are real files (IFC4, IFC2X3, IFC4X3_ADD2).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Geod, Transformer

from tests.helpers_gis import (
    assert_one_line_error,
    distance_m,
    feature,
    rect_lonlat,
    run_twin,
    run_twin_all,
    write_geojson,
)
from tests.ifc_builder import NOT_DRAWN, _owner_history, tessellate, write_test_ifc
from twin.ingest.build import build_scene
from twin.scene.scene import Scene
from twin.scene.scenefile import SceneSpec, spec_from_dict

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "ifc"
FZK, DUPLEX, SIGNAL = "AC20-FZK-Haus.ifc", "duplex.ifc", "linear-placement-of-signal.ifc"
HELSINKI = (24.94, 60.17)
ROTATION = 15.0
TOL_M = 0.05
GEOD = Geod(ellps="WGS84")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh cache for the module (and its CLI subprocesses): no stale result from an older
    build of the code can hide a defect, and the user's cache is left alone."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The test model, with its IfcMapConversion (RD New, rotated 30 degrees)."""
    return write_test_ifc(tmp_path_factory.mktemp("ifc") / "test-house.ifc")


def ifc_spec(where: Path, *entries: dict[str, Any], sources: tuple[Path, ...] = ()) -> SceneSpec:
    ifc = [{**e, "path": str(e["path"])} for e in entries]
    data: dict[str, Any] = {"name": "IFC test", "ifc": ifc}
    if sources:
        data["sources"] = [{"path": str(s)} for s in sources]
    return spec_from_dict(data, where / "s.toml")


@pytest.fixture(scope="module")
def mc_scene(model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """Only the test model, placed by its own map conversion."""
    return build_scene(ifc_spec(tmp_path_factory.mktemp("mc"), {"path": model["path"]}))


@pytest.fixture(scope="module")
def placed_scene(model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Scene:
    """The test model placed by the scene file in Helsinki, rotated 15 degrees clockwise."""
    lon, lat = HELSINKI
    entry = {"path": model["path"], "lon": lon, "lat": lat, "rotation": ROTATION, "elevation": 0}
    return build_scene(ifc_spec(tmp_path_factory.mktemp("placed"), entry))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scene]:
    """Each sample model alone in a scene, built once."""
    out = {}
    for name in (FZK, DUPLEX, SIGNAL):
        assert (SAMPLES / name).is_file(), f"sample {name} missing from {SAMPLES}"
        where = tmp_path_factory.mktemp("sample")
        out[name] = build_scene(ifc_spec(where, {"path": SAMPLES / name}))
    return out


def bim(scene: Scene, i: int = 0) -> dict[str, Any]:
    models = scene.summary()["bim_models"]
    assert len(models) > i, models
    return models[i]


def expected_devices(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: d for n, d in model["devices"].items() if d["kind"] is not None}


# -- the test model itself ----------------------------------------------------------------------
def test_fixture_model_tessellates(model: dict[str, Any]) -> None:
    """The builder writes what the other tests assume: ifcopenshell tessellates the walls, the
    slab and the lift, and the house is 12 x 8 m."""
    shapes = tessellate(model["path"])
    gids = {*model["walls"], model["devices"]["Lift"]["global_id"]}
    assert gids <= set(shapes)
    assert model["body_counts"] == {
        "IfcWall": 4,
        "IfcSlab": 1,
        "IfcTransportElement": 1,
        "IfcSpace": 1,
        "IfcOpeningElement": 1,
    }
    walls = np.concatenate([shapes[g][0] for g in model["walls"]])
    np.testing.assert_allclose(walls.min(axis=0), [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(walls.max(axis=0), [12, 8, 3], atol=1e-6)


# -- a. placement by the model's map conversion -----------------------------------------------
def test_map_conversion_placement(mc_scene: Scene, model: dict[str, Any]) -> None:
    info = bim(mc_scene)
    assert info["placement"] == "map_conversion"
    assert info["file"] == model["path"].name
    assert info["schema"] == "IFC4"
    assert info["replaced"] == []
    # RD New 155000 / 463000 is in the Netherlands: UTM zone 31N
    assert mc_scene.frame.crs == "EPSG:32631"


def test_map_conversion_device_positions(mc_scene: Scene, model: dict[str, Any]) -> None:
    mc = model["map_conversion"]
    a = math.radians(mc["rotation_deg"])
    to_frame = Transformer.from_crs(mc["crs"], mc_scene.frame.crs, always_xy=True)
    to_wgs = Transformer.from_crs(mc["crs"], "EPSG:4326", always_xy=True)
    for name, exp in expected_devices(model).items():
        d = mc_scene.device("ifc-" + exp["global_id"])
        assert d is not None, f"{name} ({exp['ifc_class']} {exp['predefined_type']}): no device"
        x, y, z = exp["position"]
        e = mc["eastings"] + x * math.cos(a) - y * math.sin(a)
        n = mc["northings"] + x * math.sin(a) + y * math.cos(a)
        fx, fy = to_frame.transform(e, n)
        lx, ly = fx - mc_scene.frame.origin_x, fy - mc_scene.frame.origin_y
        assert math.hypot(d.x - lx, d.y - ly) < TOL_M, (name, (d.x, d.y), (lx, ly))
        # the model's z = 0 stands on the ground: no OrthogonalHeight offset
        assert abs(d.z - z) < TOL_M, (name, d.z, z)
        lon, lat = to_wgs.transform(e, n)
        assert distance_m(d.lon, d.lat, lon, lat) < TOL_M, (name, (d.lon, d.lat), (lon, lat))


def test_devices_from_ifc(mc_scene: Scene, model: dict[str, Any]) -> None:
    ifc_devices = {d.id: d for d in mc_scene.devices if d.source == "ifc"}
    expected = expected_devices(model)
    assert set(ifc_devices) == {"ifc-" + e["global_id"] for e in expected.values()}
    for name, exp in expected.items():
        d = ifc_devices["ifc-" + exp["global_id"]]
        assert d.kind == exp["kind"], (name, d.kind)
        assert d.props["global_id"] == exp["global_id"]
        assert d.props["ifc_class"] == exp["ifc_class"]
        assert d.props["predefined_type"] == exp["predefined_type"]
        assert d.props["storey"] == exp["storey"], (name, d.props["storey"])
        assert d.props["ifc_file"] == model["path"].name
    assert bim(mc_scene)["devices"] == len(expected)


def test_not_devices(mc_scene: Scene, model: dict[str, Any]) -> None:
    """The door without a fire rating, the room, the opening and the controller are no devices;
    the controller is counted as an unknown device-like element."""
    ids = {d.id for d in mc_scene.devices}
    devs = model["devices"]
    others = [
        devs["Plain door"]["global_id"],
        devs["Controller"]["global_id"],
        *model["not_drawn"].values(),
    ]
    for gid in others:
        assert "ifc-" + gid not in ids
    assert bim(mc_scene)["unknown_devices"].get("IfcController") == 1


def test_drawn_elements(mc_scene: Scene, model: dict[str, Any]) -> None:
    info = bim(mc_scene)
    drawn = model["drawn_counts"]
    assert info["failed"] == []
    assert info["classes"] == drawn
    assert info["elements"] == sum(drawn.values())
    assert mc_scene.counts()["bim_element"] == sum(drawn.values())
    els = mc_scene.bim_elements
    assert len(els) == sum(drawn.values())
    by_gid = {e.global_id: e for e in els}
    assert not set(model["not_drawn"].values()) & set(by_gid)
    for gid in model["walls"]:
        assert by_gid[gid].ifc_class == "IfcWall"
        assert by_gid[gid].storey == "Ground floor"
        assert by_gid[gid].name.endswith("wall")
    mesh = mc_scene.meshes["bim"]
    assert mesh.points.shape[1] == 3 and mesh.faces.shape[1] == 3
    assert len(mesh.entity) == len(mesh.faces)
    assert set(np.unique(mesh.entity)) == set(range(len(els))), "an element counted, not drawn"


def test_drawn_geometry_placed(mc_scene: Scene, model: dict[str, Any]) -> None:
    """The slab's corners are where the map conversion puts the 12 x 8 m rectangle, the slab
    lies below z = 0 and the walls reach 3 m."""
    mc = model["map_conversion"]
    a = math.radians(mc["rotation_deg"])
    to_frame = Transformer.from_crs(mc["crs"], mc_scene.frame.crs, always_xy=True)
    corners = []
    for x, y in [(0, 0), (12, 0), (12, 8), (0, 8)]:
        fx, fy = to_frame.transform(
            mc["eastings"] + x * math.cos(a) - y * math.sin(a),
            mc["northings"] + x * math.sin(a) + y * math.cos(a),
        )
        corners.append((fx - mc_scene.frame.origin_x, fy - mc_scene.frame.origin_y))
    corners_a = np.array(corners)
    mesh = mc_scene.meshes["bim"]
    cls = np.array([e.ifc_class for e in mc_scene.bim_elements])
    slab_pts = mesh.points[np.unique(mesh.faces[cls[mesh.entity] == "IfcSlab"])]
    d = np.linalg.norm(slab_pts[:, None, :2] - corners_a[None], axis=2)
    assert d.min(axis=1).max() < TOL_M, "a slab vertex is not at a corner"
    assert d.min(axis=0).max() < TOL_M, "a slab corner has no vertex"
    assert abs(slab_pts[:, 2].min() + 0.3) < TOL_M and abs(slab_pts[:, 2].max()) < TOL_M
    wall_pts = mesh.points[np.unique(mesh.faces[cls[mesh.entity] == "IfcWall"])]
    assert abs(wall_pts[:, 2].max() - 3.0) < TOL_M and abs(wall_pts[:, 2].min()) < TOL_M


# -- b. placement by the scene file wins -------------------------------------------------------
def test_scene_placement_wins(placed_scene: Scene, model: dict[str, Any]) -> None:
    assert bim(placed_scene)["placement"] == "scene"
    lon0, lat0 = HELSINKI
    to_frame = Transformer.from_crs("EPSG:4326", placed_scene.frame.crs, always_xy=True)
    for name, exp in expected_devices(model).items():
        d = placed_scene.device("ifc-" + exp["global_id"])
        assert d is not None, name
        x, y, z = exp["position"]
        az = ROTATION + math.degrees(math.atan2(x, y))
        lon, lat, _ = GEOD.fwd(lon0, lat0, az, math.hypot(x, y))
        assert distance_m(d.lon, d.lat, lon, lat) < TOL_M, (name, (d.lon, d.lat), (lon, lat))
        # x, y are the same place as lon, lat in the scene frame
        fx, fy = to_frame.transform(d.lon, d.lat)
        ox, oy = placed_scene.frame.origin_x, placed_scene.frame.origin_y
        assert math.hypot(fx - ox - d.x, fy - oy - d.y) < TOL_M, (name, d.x, d.y, fx - ox, fy - oy)
        assert abs(d.z - z) < TOL_M, (name, d.z, z)


# -- c. the elements' own colours --------------------------------------------------------------
def test_wall_colours(mc_scene: Scene, model: dict[str, Any]) -> None:
    mesh = mc_scene.meshes["bim"]
    colours = mc_scene.bim_colours
    assert colours.dtype == np.uint8 and colours.shape == (len(mesh.faces), 3)
    cls = np.array([e.ifc_class for e in mc_scene.bim_elements])
    walls = cls[mesh.entity] == "IfcWall"
    assert walls.any()
    want = np.array(model["wall_colour"]) * 255
    worst = np.abs(colours[walls].astype(float) - want).max()
    assert worst <= 2, f"wall faces are {np.unique(colours[walls], axis=0)}, want {want}"


# -- d, e, g. the CLI ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli(model: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every CLI case of this module, run concurrently."""
    d = tmp_path_factory.mktemp("cli")
    p = model["path"]
    scene_toml = d / "info.toml"
    scene_toml.write_text(
        f'name = "IFC info"\n\n[[ifc]]\npath = "{p.as_posix()}"\n', encoding="utf-8"
    )
    text = d / "notes.ifc"
    text.write_text("These are my meeting notes, not a building model.\n", encoding="utf-8")
    data = (SAMPLES / FZK).read_bytes()
    truncated = d / "truncated-haus.ifc"
    truncated.write_bytes(data[: int(len(data) * 0.4)])
    rc2 = d / "rc2-house.ifc"
    src = p.read_text(encoding="utf-8")
    assert "FILE_SCHEMA(('IFC4'));" in src
    rc2.write_text(
        src.replace("FILE_SCHEMA(('IFC4'));", "FILE_SCHEMA(('IFC4X3_RC2'));"), encoding="utf-8"
    )
    cases: dict[str, list[str | Path]] = {
        "info": ["info", scene_toml, "--json"],
        "new": [
            "new-scene",
            "--ifc",
            f"{p}@{HELSINKI[0]},{HELSINKI[1]},{ROTATION:g}",
            "--name",
            "x",
            "--out",
            d / "x.toml",
        ],
        "nan": ["new-scene", "--ifc", f"{p}@notanumber", "--name", "x", "--out", d / "nan.toml"],
    }
    bad = {"text": text, "truncated": truncated, "rc2": rc2}
    for key, path in bad.items():
        cases[key] = ["new-scene", "--ifc", path, "--name", "x", "--out", d / f"{key}.toml"]
    procs = dict(zip(cases, run_twin_all(*cases.values()), strict=True))
    return {"procs": procs, "dir": d, "bad": bad}


@pytest.mark.slow
def test_cli_info(cli: dict[str, Any]) -> None:
    proc = cli["procs"]["info"]
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["counts"]["bim_element"] > 0
    assert info["bim_models"][0]["placement"] == "map_conversion"


def test_cli_new_scene_with_placement(cli: dict[str, Any], model: dict[str, Any]) -> None:
    proc = cli["procs"]["new"]
    assert proc.returncode == 0, proc.stderr
    out = cli["dir"] / "x.toml"
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    (entry,) = data["ifc"]
    assert (out.parent / entry["path"]).resolve() == model["path"].resolve()
    assert entry["lon"] == pytest.approx(HELSINKI[0])
    assert entry["lat"] == pytest.approx(HELSINKI[1])
    assert entry["rotation"] == pytest.approx(ROTATION)


def test_cli_bad_placement(cli: dict[str, Any]) -> None:
    assert_one_line_error(cli["procs"]["nan"], "notanumber")


@pytest.mark.parametrize("case", ["text", "truncated", "rc2"])
def test_cli_bad_ifc(cli: dict[str, Any], case: str) -> None:
    line = assert_one_line_error(cli["procs"][case], cli["bad"][case].name)
    if case == "rc2":
        assert "IFC4X3_RC2" in line
        for schema in ("IFC2X3", "IFC4", "IFC4X3"):
            assert schema in line, f"supported schema {schema} not listed: {line}"


# -- f. the sample models ----------------------------------------------------------------------
def body_products(path: Path) -> set[str]:
    """GlobalIds of the products with a Body representation that a scene draws (independent of
    twin: ifcopenshell's entity model only)."""
    import ifcopenshell

    f = ifcopenshell.open(str(path))
    out = set()
    for p in f.by_type("IfcProduct"):
        if p.is_a() in NOT_DRAWN or not p.Representation:
            continue
        if any(r.RepresentationIdentifier == "Body" for r in p.Representation.Representations):
            out.add(p.GlobalId)
    return out


@pytest.mark.parametrize(
    "name,schema", [(FZK, "IFC4"), (DUPLEX, "IFC2X3"), (SIGNAL, "IFC4X3_ADD2")]
)
@pytest.mark.slow
def test_sample_models(samples: dict[str, Scene], name: str, schema: str) -> None:
    scene = samples[name]
    info = bim(scene)
    assert info["file"] == name
    assert info["schema"] == schema
    body = body_products(SAMPLES / name)
    assert set(info["failed"]) <= body, "failed ids are not products with a body"
    assert info["elements"] == len(body) - len(info["failed"])
    assert sum(info["classes"].values()) == info["elements"]
    assert scene.counts()["bim_element"] == info["elements"]
    drawn = {e.global_id for e in scene.bim_elements}
    assert drawn == body - set(info["failed"])
    assert set(np.unique(scene.meshes["bim"].entity)) == set(range(len(scene.bim_elements)))


def test_sample_placements(samples: dict[str, Scene]) -> None:
    assert bim(samples[SIGNAL])["placement"] == "map_conversion"
    # both houses have only their IfcSite's RefLatitude / RefLongitude
    assert bim(samples[FZK])["placement"] == "site"
    assert bim(samples[DUPLEX])["placement"] == "site"


def test_far_site_location_warns(tmp_path: Path) -> None:
    """duplex.ifc says it is in Chicago; with GIS data in Helsinki the user is told how far
    away it is and to place it by hand."""
    lon, lat = HELSINKI
    ring = rect_lonlat(lon, lat, 0, 0, 20, 15)
    gis = write_geojson(
        tmp_path / "helsinki.geojson", [feature("Polygon", [ring], id="b1", building="yes")]
    )
    scene = build_scene(ifc_spec(tmp_path, {"path": SAMPLES / DUPLEX}, sources=(gis,)))
    hits = [w for w in scene.warnings if DUPLEX in f"{w.source} {w.feature}" and "km" in w.reason]
    assert hits, [str(w) for w in scene.warnings]
    how = re.compile(r"by hand|lon|lat|\[\[ifc\]\]|--ifc")
    assert any(how.search(f"{w.reason} {w.action}") for w in hits), [str(w) for w in hits]


# -- h. the tessellation cache -------------------------------------------------------------------
def _snapshot(scene: Scene) -> dict[str, Any]:
    """Devices, counts and each element's triangles with their colours, keyed by GlobalId
    (independent of the order the elements come out of the tessellator)."""
    mesh = scene.meshes["bim"]
    tris = mesh.points[mesh.faces].reshape(-1, 9).round(6)
    rows = np.hstack([tris, scene.bim_colours.astype(float)])
    geometry = {}
    for i, e in enumerate(scene.bim_elements):
        r = rows[mesh.entity == i]
        geometry[e.global_id] = r[np.lexsort(r.T[::-1])]
    return {
        "devices": sorted((d.id, d.kind, d.x, d.y, d.z, d.lon, d.lat) for d in scene.devices),
        "elements": bim(scene)["elements"],
        "classes": bim(scene)["classes"],
        "geometry": geometry,
    }


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["devices"] == b["devices"]
    assert a["elements"] == b["elements"] and a["classes"] == b["classes"]
    assert a["geometry"].keys() == b["geometry"].keys()
    for gid, rows in a["geometry"].items():
        np.testing.assert_allclose(rows, b["geometry"][gid], atol=1e-5, err_msg=gid)


def test_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: dict[str, Any]) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    ifc = tmp_path / "cached-house.ifc"
    shutil.copyfile(model["path"], ifc)
    import twin.ingest.ifc as ifc_reader

    tessellated: list[str] = []
    real_read = ifc_reader._read

    def counting_read(path, *args):  # the real tessellation, counted
        tessellated.append(Path(path).name)
        return real_read(path, *args)

    monkeypatch.setattr(ifc_reader, "_read", counting_read)
    spec = ifc_spec(tmp_path, {"path": ifc})
    first = _snapshot(build_scene(spec))
    assert tessellated == ["cached-house.ifc"]
    files = [f for f in (cache / "twin").rglob("*") if f.is_file()]
    assert files, f"nothing cached under {cache / 'twin'}"
    _assert_same(first, _snapshot(build_scene(spec)))
    assert tessellated == ["cached-house.ifc"], "the second build did not come from the cache"
    for f in files:  # corrupt every cache file in its middle
        data = bytearray(f.read_bytes())
        mid = len(data) // 2
        data[max(mid - 32, 0) : mid + 32] = b"\xa5" * len(data[max(mid - 32, 0) : mid + 32])
        f.write_bytes(bytes(data))
    _assert_same(first, _snapshot(build_scene(spec)))
    assert len(tessellated) == 2, "a damaged entry must be rebuilt, not trusted"
    _assert_same(first, _snapshot(build_scene(spec)))
    assert len(tessellated) == 2, "the rebuilt entry is a hit again"


def _write_ifc2x3_devices(path: Path) -> dict[str, tuple[str, tuple[float, float, float]]]:
    """An IFC2X3 model whose devices are generic elements (IfcFlowTerminal,
    IfcDistributionControlElement) known only by their type objects, as Revit exports them."""
    from ifcopenshell.api import project

    model = project.create_file(version="IFC2X3")
    with _owner_history(model):
        return _fill_ifc2x3(model, path)


def _fill_ifc2x3(model: Any, path: Path) -> dict[str, tuple[str, tuple[float, float, float]]]:
    import numpy as np
    from ifcopenshell.api import aggregate, context, geometry, pset, root, spatial, unit
    from ifcopenshell.api import type as ifctype

    proj = root.create_entity(model, ifc_class="IfcProject", name="2x3 devices")
    unit.assign_unit(model, units=[unit.add_si_unit(model, unit_type="LENGTHUNIT")])
    context.add_context(model, context_type="Model")
    site = root.create_entity(model, ifc_class="IfcSite", name="Site")
    bldg = root.create_entity(model, ifc_class="IfcBuilding", name="B")
    storey = root.create_entity(model, ifc_class="IfcBuildingStorey", name="Level 1")
    aggregate.assign_object(model, products=[site], relating_object=proj)
    aggregate.assign_object(model, products=[bldg], relating_object=site)
    aggregate.assign_object(model, products=[storey], relating_object=bldg)
    for p in (site, bldg, storey):
        geometry.edit_object_placement(model, product=p)
    expected = {}

    def add(
        cls: str,
        type_cls: str,
        predefined: str | None,
        pos: tuple[float, float, float],
        kind: str | None,
    ):
        el = root.create_entity(model, ifc_class=cls, name=f"{type_cls} {predefined}")
        t = root.create_entity(
            model,
            ifc_class=type_cls,
            name=f"{type_cls} type",
            **({"predefined_type": predefined} if predefined else {}),
        )
        ifctype.assign_type(model, related_objects=[el], relating_type=t)
        spatial.assign_container(model, products=[el], relating_structure=storey)
        m = np.eye(4)
        m[:3, 3] = pos
        geometry.edit_object_placement(model, product=el, matrix=m)
        if kind:
            expected[el.GlobalId] = (kind, pos)
        return el

    add("IfcFlowTerminal", "IfcLightFixtureType", "POINTSOURCE", (1.0, 2.0, 2.7), "light")
    add(
        "IfcDistributionControlElement",
        "IfcSensorType",
        "SMOKESENSOR",
        (3.0, 2.0, 2.9),
        "smoke_detector",
    )
    add(
        "IfcDistributionControlElement",
        "IfcAlarmType",
        "MANUALPULLBOX",
        (0.2, 4.0, 1.4),
        "fire_alarm",
    )
    add(
        "IfcFlowTerminal",
        "IfcFireSuppressionTerminalType",
        "FIREHYDRANT",
        (5.0, 0.5, 0.0),
        "hydrant",
    )
    add("IfcDistributionControlElement", "IfcControllerType", "FLOATING", (6.0, 1.0, 1.2), None)
    door = root.create_entity(model, ifc_class="IfcDoor", name="Stair door")
    spatial.assign_container(model, products=[door], relating_structure=storey)
    m = np.eye(4)
    m[:3, 3] = (7.0, 0.0, 0.0)
    geometry.edit_object_placement(model, product=door, matrix=m)
    ps = pset.add_pset(model, product=door, name="Pset_DoorCommon")
    pset.edit_pset(model, pset=ps, properties={"FireRating": "FD30"})
    expected[door.GlobalId] = ("fire_door", (7.0, 0.0, 0.0))
    model.write(str(path))
    return expected


def test_ifc2x3_devices_by_type_objects(tmp_path: Path) -> None:
    path = tmp_path / "devices_2x3.ifc"
    expected = _write_ifc2x3_devices(path)
    scene = build_scene(
        spec_from_dict(
            {
                "name": "2x3",
                "ifc": [{"path": str(path), "lon": 121.47, "lat": 31.23, "rotation": 0}],
            },
            tmp_path / "s.toml",
        )
    )
    got = {d.props["global_id"]: d for d in scene.devices if d.source == "ifc"}
    assert {g: d.kind for g, d in got.items()} == {g: k for g, (k, _) in expected.items()}
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    for guid, (_, pos) in expected.items():
        d = got[guid]
        assert d.props["storey"] == "Level 1"
        # rotation 0: the model's +Y is true north, so each device is a geodesic walk away
        lon, lat, _ = geod.fwd(
            121.47, 31.23, math.degrees(math.atan2(pos[0], pos[1])), math.hypot(pos[0], pos[1])
        )
        assert geod.inv(lon, lat, d.lon, d.lat)[2] < 0.05
        assert abs(d.z - pos[2]) < 0.05
    model = scene.summary()["bim_models"][0]
    assert model["schema"] == "IFC2X3"
    assert model["unknown_devices"] == {"IfcController": 1}


def test_element_that_fails_to_tessellate_is_listed_and_the_rest_kept(tmp_path: Path) -> None:
    """A proxy whose body is a degenerate extrusion (a two-point profile, zero depth)."""
    import ifcopenshell
    import ifcopenshell.api.geometry as geometry
    import ifcopenshell.api.root as root
    import ifcopenshell.api.spatial as spatial

    write_test_ifc(tmp_path / "t.ifc")
    f = ifcopenshell.open(str(tmp_path / "t.ifc"))
    body = next(
        c
        for c in f.by_type("IfcGeometricRepresentationSubContext")
        if c.ContextIdentifier == "Body"
    )
    el = root.create_entity(f, ifc_class="IfcBuildingElementProxy", name="Broken")
    spatial.assign_container(f, products=[el], relating_structure=f.by_type("IfcBuildingStorey")[0])
    geometry.edit_object_placement(f, product=el)
    line = f.createIfcPolyline(
        [f.createIfcCartesianPoint((0.0, 0.0)), f.createIfcCartesianPoint((1.0, 0.0))]
    )
    solid = f.createIfcExtrudedAreaSolid(
        f.createIfcArbitraryClosedProfileDef("AREA", None, line),
        f.createIfcAxis2Placement3D(f.createIfcCartesianPoint((0.0, 0.0, 0.0))),
        f.createIfcDirection((0.0, 0.0, 1.0)),
        0.0,
    )
    el.Representation = f.createIfcProductDefinitionShape(
        None, None, [f.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])]
    )
    path = tmp_path / "broken.ifc"
    f.write(str(path))
    out = tmp_path / "b.toml"
    r = run_twin("new-scene", "--ifc", f"{path}@4.9,52.37,0", "--name", "broken", "--out", str(out))
    assert r.returncode == 0, r.stderr
    info = json.loads(run_twin("info", str(out), "--json").stdout)
    model = info["bim_models"][0]
    assert model["failed"] == [el.GlobalId]
    assert model["elements"] >= 6  # slab, walls, lift: the rest of the model is kept
    assert any(
        w["reason"] == "failed to tessellate" and el.GlobalId in w["feature"]
        for w in info["warnings"]
    )
