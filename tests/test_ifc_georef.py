"""IFC georeference for files the project has never seen: map units and Scale (the standard,
and the ways exporters get it wrong), models too large to be a building, non-finite
placements, IFC2X3's property sets, remote places with no GIS data, and the default locations
design tools leave in a file.

Every model is the builder's house (``tests/ifc_builder.py``) written the way an exporter
would write it. Expected positions come from the IFC standard's formula (map coordinate =
Scale * R(project coordinate) + (Eastings, Northings), in the map unit) and pyproj, never
from twin's own code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer

from tests.helpers_gis import (
    assert_one_line_error,
    distance_m,
    feature,
    metres_to_lonlat,
    rect_lonlat,
    run_twin_all,
    write_geojson,
)
from tests.ifc_builder import LENGTH_UNITS, MAP_CONVERSION, tessellate, write_test_ifc
from twin.core.errors import InputError
from twin.ingest.build import build_scene
from twin.scene.scene import Scene
from twin.scene.scenefile import spec_from_dict

ROOT = Path(__file__).resolve().parents[1]
DUPLEX = ROOT / "assets" / "ifc" / "duplex.ifc"
GEOD = Geod(ellps="WGS84")
CM = 0.01
RD_E, RD_N = MAP_CONVERSION["eastings"], MAP_CONVERSION["northings"]
RD_LONLAT = Transformer.from_crs("EPSG:28992", 4326, always_xy=True).transform(RD_E, RD_N)
HELSINKI = (24.94, 60.17)
HOW = re.compile(r"--ifc PATH@LON,LAT.*\[\[ifc\]\]")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module", autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh tessellation cache for the module and its CLI subprocesses."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


# -- helpers ------------------------------------------------------------------------------------
def scene_data(info: dict[str, Any], gis: Path | None = None, **entry: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": info["path"].stem,
        "ifc": [{"path": str(info["path"]), **entry}],
    }
    if gis is not None:
        data["sources"] = [{"path": str(gis)}]
    return data


def build(info: dict[str, Any], gis: Path | None = None, **entry: Any) -> Scene:
    where = (gis or info["path"]).with_name("scene.toml")
    return build_scene(spec_from_dict(scene_data(info, gis, **entry), where))


def write_toml(where: Path, name: str, ifc: Path, gis: Path | None = None) -> Path:
    out = where / f"{name}.toml"
    text = f'name = "{name}"\n\n'
    if gis is not None:
        text += f'[[sources]]\npath = "{gis.as_posix()}"\n\n'
    out.write_text(text + f'[[ifc]]\npath = "{ifc.as_posix()}"\n', encoding="utf-8")
    return out


def gis_near(where: Path, lon: float, lat: float, dx: float = 60.0) -> Path:
    """One 20 x 15 m GIS building ``dx`` m east of (lon, lat)."""
    ring = rect_lonlat(lon, lat, dx, 0, 20, 15)
    return write_geojson(
        where / f"gis-{lon:.3f}-{lat:.3f}.geojson",
        [feature("Polygon", [ring], id="b1", building="yes")],
    )


def bim(scene: Scene) -> dict[str, Any]:
    (model,) = scene.summary()["bim_models"]
    return model


def drawn_points(info: dict[str, Any]) -> np.ndarray:
    """The house's drawn vertices (metres), from ifcopenshell's tessellator directly."""
    skip = set(info["not_drawn"].values())
    return np.concatenate([v for g, (v, _) in tessellate(info["path"]).items() if g not in skip])


def device_xy(info: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {d["global_id"]: d["position"][:2] for d in info["devices"].values() if d["kind"]}


def map_grid(
    info: dict[str, Any], scale: float, x: Any, y: Any, map_unit: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The standard: (E, N) in the target CRS's axis unit of model metres (x, y), given the
    Scale to apply (and the map unit, when it is not the file's MapUnit)."""
    mc = info["map_conversion"]
    pu = info["unit_m"]
    unit = map_unit or mc.get("map_unit")
    mu = LENGTH_UNITS[unit] if unit else pu
    axis = CRS.from_user_input(mc["crs"]).axis_info[0].unit_conversion_factor
    a = math.radians(mc["rotation_deg"])
    xp, yp = np.asarray(x) / pu, np.asarray(y) / pu  # project units
    e = mc["eastings"] + scale * (math.cos(a) * xp - math.sin(a) * yp)
    n = mc["northings"] + scale * (math.sin(a) * xp + math.cos(a) * yp)
    return e * mu / axis, n * mu / axis


def local_of(scene: Scene, crs: str | int, e: Any, n: Any) -> np.ndarray:
    x, y = Transformer.from_crs(crs, scene.frame.crs, always_xy=True).transform(e, n)
    origin = np.array([scene.frame.origin_x, scene.frame.origin_y])
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)]) - origin


def walk_local(
    scene: Scene, lon0: float, lat0: float, rotation: float, x: Any, y: Any
) -> np.ndarray:
    """Model metres walked out along geodesics from (lon0, lat0), +Y ``rotation`` clockwise
    from north, in the scene's frame."""
    x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    az = rotation + np.degrees(np.arctan2(x, y))
    lon, lat, _ = GEOD.fwd(np.full(x.shape, lon0), np.full(x.shape, lat0), az, np.hypot(x, y))
    return local_of(scene, 4326, lon, lat)


def assert_placed(scene: Scene, info: dict[str, Any], expected: Any) -> None:
    """Devices, the drawn model and (with no GIS data) the scene's bounds are where
    ``expected(x, y) -> (N, 2) local`` puts them, to the centimetre."""
    for gid, (x, y) in device_xy(info).items():
        d = scene.device("ifc-" + gid)
        assert d is not None, gid
        want = expected(np.array([x]), np.array([y]))[0]
        assert math.hypot(d.x - want[0], d.y - want[1]) < CM, (gid, (d.x, d.y), want)
    pts = expected(*drawn_points(info)[:, :2].T)
    mesh = scene.meshes["bim"].points[:, :2]
    np.testing.assert_allclose(
        [mesh.min(axis=0), mesh.max(axis=0)],
        [pts.min(axis=0), pts.max(axis=0)],
        atol=CM,
        err_msg="the model's placed extent",
    )
    if scene.spec.sources:
        return
    allp = np.vstack([pts, [[d.x, d.y] for d in scene.devices]])
    b = scene.bounds()
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    np.testing.assert_allclose(
        [b[0], b[1], b[2], b[3]],
        [lo[0], hi[0], lo[1], hi[1]],
        atol=CM,
        err_msg="the scene's bounds",
    )


def warnings_of(scene: Scene, text: str) -> list[str]:
    return [
        f"{w.feature}: {w.reason} ({w.action})"
        for w in scene.warnings
        if text in f"{w.reason} {w.action}"
    ]


# -- 1. map units and Scale ---------------------------------------------------------------------
MM = 1000.0
UNIT_CASES: dict[str, tuple[dict[str, Any], float, str | None]] = {
    # name: (builder options, the Scale a correct reader applies, the warning it gives or None)
    "mm project, MapUnit omitted, Scale 0.001 (ifcopenshell's advice)": (
        {"length": "MILLIMETRE", "map_conversion": {"scale": 0.001}},
        0.001,
        r"has no MapUnit, and its Scale 0\.001 converts project millimetre to metre, the unit of "
        r"its CRS EPSG:28992: its eastings and northings were read in metre",
    ),
    "mm project, metre map, Scale 0.001": (
        {"length": "MILLIMETRE", "map_conversion": {"map_unit": "METRE", "scale": 0.001}},
        0.001,
        None,
    ),
    "mm project, mm map, Scale 1": (
        {
            "length": "MILLIMETRE",
            "map_conversion": {
                "map_unit": "MILLIMETRE",
                "scale": 1.0,
                "eastings": RD_E * MM,
                "northings": RD_N * MM,
            },
        },
        1.0,
        None,
    ),
    "metre project, mm map, Scale 1000": (
        {
            "map_conversion": {
                "map_unit": "MILLIMETRE",
                "scale": 1000.0,
                "eastings": RD_E * MM,
                "northings": RD_N * MM,
            }
        },
        1000.0,
        None,
    ),
    "survey scale factor 0.995": ({"map_conversion": {"scale": 0.995}}, 0.995, None),
    "Revit: mm project, metre map, Scale omitted": (
        {"length": "MILLIMETRE", "map_conversion": {"map_unit": "METRE", "scale": None}},
        0.001,
        r"Scale is omitted, but project millimetre to map metre needs Scale 0\.001: the unit ratio "
        r"0\.001 was used",
    ),
    "mm project, metre map, Scale 1": (
        {"length": "MILLIMETRE", "map_conversion": {"map_unit": "METRE", "scale": 1.0}},
        0.001,
        r"Scale is 1, but project millimetre to map metre needs Scale 0\.001: the unit ratio",
    ),
    "Scale inverted (1000 for 0.001)": (
        {"length": "MILLIMETRE", "map_conversion": {"map_unit": "METRE", "scale": 1000.0}},
        0.001,
        r"Scale 1000 is inverted: project millimetre to map metre needs Scale 0\.001, so its "
        r"reciprocal 0\.001 was used",
    ),
    "feet project, US survey feet map, EPSG:2263": (
        {
            "length": "FOOT",
            "map_conversion": {
                "crs": "EPSG:2263",
                "map_unit": "US_SURVEY_FOOT",
                "scale": 1.0,
                "eastings": 988000.0,
                "northings": 215000.0,
                "rotation_deg": -12.0,
            },
        },
        1.0,
        None,
    ),
    "metre project and map, CRS in US survey feet": (
        {
            "map_conversion": {
                "crs": "EPSG:2263",
                "scale": None,
                "eastings": 301000.0,
                "northings": 65500.0,
                "rotation_deg": 0.0,
            }
        },
        1.0,
        None,
    ),
    "IFC4X3, mm project, mm map, Scale 1": (
        {
            "schema": "IFC4X3",
            "length": "MILLIMETRE",
            "map_conversion": {
                "map_unit": "MILLIMETRE",
                "scale": 1.0,
                "eastings": RD_E * MM,
                "northings": RD_N * MM,
            },
        },
        1.0,
        None,
    ),
}


@pytest.mark.parametrize("case", list(UNIT_CASES))
def test_map_units_and_scale(tmp_path: Path, case: str) -> None:
    options, scale, warning = UNIT_CASES[case]
    info = write_test_ifc(tmp_path / "house.ifc", **options)
    scene = build(info)
    model = bim(scene)
    assert model["placement"] == "map_conversion"
    assert model["map_conversion_source"] == "IfcMapConversion"
    assert model["skipped"] is False
    crs = info["map_conversion"]["crs"]
    unit = "METRE" if "MapUnit omitted" in case else None  # the CRS's unit
    assert_placed(
        scene, info, lambda x, y: local_of(scene, crs, *map_grid(info, scale, x, y, unit))
    )
    # the scene is the model's own: its origin is the model's origin
    to_wgs = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_wgs.transform(*map_grid(info, scale, 0.0, 0.0, unit))
    assert distance_m(scene.frame.origin_lon, scene.frame.origin_lat, lon, lat) < CM
    assert distance_m(model["lon"], model["lat"], lon, lat) < CM
    scale_notes = [w for w in scene.warnings if "Scale" in w.reason]
    if warning is None:
        assert scale_notes == [], [str(w) for w in scale_notes]
    else:
        assert len(scale_notes) == 1, [str(w) for w in scale_notes]
        assert scale_notes[0].source == info["path"].name
        assert re.search(warning, scale_notes[0].reason), scale_notes[0].reason


# -- 2. a model too large to be a building ------------------------------------------------------
def test_absurd_extent_is_not_drawn_and_the_rest_is_kept(tmp_path: Path) -> None:
    """mm project, metre map, Scale 0.5: neither the unit ratio nor its reciprocal, so the
    standard is applied and the house comes out 500 times too large."""
    info = write_test_ifc(
        tmp_path / "huge.ifc",
        length="MILLIMETRE",
        map_conversion={"map_unit": "METRE", "scale": 0.5},
    )
    gis = gis_near(tmp_path, *RD_LONLAT)
    scene = build(info, gis)
    model = bim(scene)
    assert model["skipped"] is True and model["placement"] == "map_conversion"
    grid = map_grid(info, 0.5, *drawn_points(info)[:, :2].T)
    want = np.ptp(local_of(scene, "EPSG:28992", *grid), axis=0)
    assert model["extent_m"] == pytest.approx(want.max(), abs=1.0)
    assert not scene.bim_elements and "bim" not in scene.meshes
    assert not [d for d in scene.devices if d.source == "ifc"]
    assert len(scene.buildings) == 1 and not scene.buildings[0].source.startswith("IFC")
    xmin, xmax, ymin, ymax, *_ = scene.bounds()
    assert xmax - xmin < 50 and ymax - ymin < 50, "the scene's extent still holds the model"
    (w,) = [w for w in scene.warnings if "km across" in w.reason]
    assert w.source == "huge.ifc"
    assert f"{want.max() / 1000:,.1f} km across" in w.reason
    assert "units" in w.reason and "Scale" in w.reason and "Scale 0.5" in w.reason
    assert w.action.startswith("not drawn and its devices not placed") and HOW.search(w.action)


def test_absurd_extent_by_scene_placement(tmp_path: Path) -> None:
    """A units mistake in the export: the geometry 1000 times too large, placed by hand."""
    info = write_test_ifc(tmp_path / "oversize.ifc", map_conversion=False, oversize=1000.0)
    lon, lat = HELSINKI
    scene = build(info, gis_near(tmp_path, lon, lat), lon=lon + 0.001, lat=lat, rotation=0)
    model = bim(scene)
    assert model["skipped"] is True and model["placement"] == "scene"
    placed = walk_local(scene, lon + 0.001, lat, 0.0, *drawn_points(info)[:, :2].T)
    want = np.ptp(placed, axis=0).max()
    assert model["extent_m"] == pytest.approx(want, abs=1.0)
    (w,) = [w for w in scene.warnings if "km across" in w.reason]
    assert f"placed by the scene file, the model is {want / 1000:,.1f} km across" in w.reason
    assert "length unit (metre) is likely wrong" in w.reason
    assert not scene.bim_elements and len(scene.buildings) == 1


# -- 2b. non-finite placements fall back ----------------------------------------------------------
NOWHERE = {
    "crs": "EPSG:32631",
    "eastings": 1e8,
    "northings": 1e8,
    "rotation_deg": 0.0,
    "scale": 1.0,
}
"""A map conversion PROJ turns into inf."""
AMSTERDAM = (4.9, 52.37)


def test_non_finite_map_conversion_falls_back_to_the_site(tmp_path: Path) -> None:
    lon, lat = AMSTERDAM
    info = write_test_ifc(tmp_path / "nowhere.ifc", map_conversion=NOWHERE, site=(lat, lon))
    for gis in (None, gis_near(tmp_path, lon, lat)):
        scene = build(info, gis)
        model = bim(scene)
        assert model["placement"] == "site"
        assert model["skipped"] is False and model["set_aside"] is False
        assert_placed(scene, info, lambda x, y, s=scene: walk_local(s, lon, lat, 0.0, x, y))
        (w,) = [w for w in scene.warnings if "PROJ" in w.reason]
        assert w.feature == "IfcMapConversion" and "not finite" in w.reason
        assert "next placement" in w.action
        if gis is None:  # the frame comes from the same placement
            origin = (scene.frame.origin_lon, scene.frame.origin_lat)
            assert origin == pytest.approx((lon, lat), abs=1e-9)


def test_non_finite_map_conversion_without_site(tmp_path: Path) -> None:
    info = write_test_ifc(tmp_path / "lost.ifc", map_conversion=NOWHERE)
    scene = build(info, gis_near(tmp_path, *AMSTERDAM))
    assert bim(scene)["placement"] == "none"
    assert warnings_of(scene, "PROJ cannot convert")
    assert warnings_of(scene, "none of its placements")
    with pytest.raises(InputError, match=r"no IFC model has a usable georeference \(lost\.ifc: "):
        build(info)


# -- 3. IFC2X3 property sets ----------------------------------------------------------------------
PSET_CASES: dict[str, dict[str, Any]] = {
    # Revit's IFC2X3 export: on IfcSite, millimetre project, metre map (a label), Scale omitted
    "ePSet_ on IfcSite, METRE label, Scale omitted": {
        "length": "MILLIMETRE",
        "map_conversion": {
            "pset_host": "IfcSite",
            "pset_prefix": "ePSet_",
            "map_unit": "METRE",
            "map_unit_as": "label",
            "scale": None,
        },
    },
    "Pset_ on IfcProject, millimetre unit entity": {
        "length": "MILLIMETRE",
        "map_conversion": {
            "pset_host": "IfcProject",
            "pset_prefix": "Pset_",
            "map_unit": "MILLIMETRE",
            "map_unit_as": "unit",
            "scale": 1.0,
            "eastings": RD_E * MM,
            "northings": RD_N * MM,
        },
    },
    "EPset_ on IfcSite, metre label": {
        "map_conversion": {
            "pset_host": "IfcSite",
            "pset_prefix": "EPset_",
            "map_unit": "metre",
            "map_unit_as": "label",
            "scale": 1.0,
            "rotation_deg": -45.0,
        }
    },
    "ePSet_ on IfcSite, no MapUnit": {"map_conversion": {"pset_host": "IfcSite", "scale": None}},
}


@pytest.mark.parametrize("case", list(PSET_CASES))
def test_ifc2x3_property_sets(tmp_path: Path, case: str) -> None:
    options = PSET_CASES[case]
    # an IfcSite latitude / longitude too: the map conversion comes first
    info = write_test_ifc(tmp_path / "house-2x3.ifc", schema="IFC2X3", site=(51.0, 4.0), **options)
    mc = info["map_conversion"]
    mc["map_unit"] = {"metre": "METRE"}.get(mc["map_unit"], mc["map_unit"])
    scene = build(info)
    model = bim(scene)
    assert model["schema"] == "IFC2X3"
    assert model["placement"] == "map_conversion"
    source = f"{mc['pset_prefix']}MapConversion on {mc['pset_host']}"
    assert model["map_conversion_source"] == source
    pu = info["unit_m"]
    mu = LENGTH_UNITS[mc["map_unit"]] if mc["map_unit"] else pu
    scale = mc["scale"] if mc["scale"] is not None else pu / mu
    assert_placed(
        scene, info, lambda x, y: local_of(scene, "EPSG:28992", *map_grid(info, scale, x, y))
    )
    if mc["scale"] is None and mu != pu:
        (w,) = [w for w in scene.warnings if "Scale" in w.reason]
        assert w.feature == model["map_conversion_source"]
        assert "Scale is omitted, but project millimetre to map metre needs Scale 0.001" in w.reason
    # a placement in the scene still wins
    placed = build(info, lon=HELSINKI[0], lat=HELSINKI[1], rotation=0)
    assert bim(placed)["placement"] == "scene"


# -- 4. remote places, no GIS data --------------------------------------------------------------
def test_remote_site_in_the_pacific(tmp_path: Path) -> None:
    lat, lon, north = -10.5, -140.25, 20.0
    info = write_test_ifc(
        tmp_path / "pacific-site.ifc", map_conversion=False, site=(lat, lon), true_north=north
    )
    scene = build(info)
    model = bim(scene)
    assert scene.frame.crs == "EPSG:32707"
    assert model["placement"] == "site" and model["rotation"] == pytest.approx(north)
    assert (scene.frame.origin_lon, scene.frame.origin_lat) == pytest.approx((lon, lat), abs=1e-9)
    assert (model["lon"], model["lat"]) == pytest.approx((lon, lat), abs=1e-9)
    # TrueNorth 20 degrees anticlockwise: the model's +Y points 20 degrees east of north
    assert_placed(scene, info, lambda x, y: walk_local(scene, lon, lat, north, x, y))
    assert not [w for w in scene.warnings if "placement" == w.feature]


@pytest.mark.parametrize(
    "crs,lon,lat,frame",
    [
        ("EPSG:32707", -140.25, -10.5, "EPSG:32707"),  # UTM 7S, in the Pacific
        ("EPSG:3832", 178.4, -18.1, "EPSG:32760"),  # Fiji, PDC Mercator
        ("EPSG:32760", 178.4, -18.1, "EPSG:32760"),  # Fiji, UTM 60S
    ],
)
def test_remote_map_conversion(
    tmp_path: Path, crs: str, lon: float, lat: float, frame: str
) -> None:
    e, n = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    info = write_test_ifc(
        tmp_path / "remote.ifc",
        schema="IFC4X3",
        map_conversion={
            "crs": crs,
            "eastings": e,
            "northings": n,
            "rotation_deg": 10.0,
            "scale": 1.0,
        },
    )
    scene = build(info)
    model = bim(scene)
    assert scene.frame.crs == frame and model["placement"] == "map_conversion"
    assert model["skipped"] is False
    assert (scene.frame.origin_lon, scene.frame.origin_lat) == pytest.approx((lon, lat), abs=1e-7)
    assert_placed(scene, info, lambda x, y: local_of(scene, crs, *map_grid(info, 1.0, x, y)))
    origin = local_of(scene, crs, e, n)[0]
    assert np.hypot(*origin) < CM, "the model's origin is the scene's origin"


def test_site_across_the_antimeridian(tmp_path: Path) -> None:
    """Taveuni, Fiji: the 12 m house straddles 180 degrees of longitude."""
    lat, lon = -16.8, 179.99995
    info = write_test_ifc(tmp_path / "taveuni.ifc", map_conversion=False, site=(lat, lon))
    scene = build(info)
    assert scene.frame.crs == "EPSG:32760"
    assert_placed(scene, info, lambda x, y: walk_local(scene, lon, lat, 0.0, x, y))
    lons = [d.lon for d in scene.devices]
    assert min(lons) < -179.9999 and max(lons) > 179.9999, lons
    xmin, xmax, ymin, ymax, *_ = scene.bounds()
    assert xmax - xmin < 15 and ymax - ymin < 10


# -- 5. design tools' default locations -----------------------------------------------------------
DEFAULTS = {
    "Revit's default location (Chicago)": (41.8744, -87.6394),
    "Revit's default location (Boston)": (42.3584, -71.0598),
    "Graphisoft ArchiCAD's default location (Budapest)": (47.4979, 19.0402),
    "SketchUp's default location (Boulder)": (40.0178, -105.2797),
}


@pytest.mark.parametrize("name", list(DEFAULTS))
def test_default_site_location_warns(tmp_path: Path, name: str) -> None:
    lat, lon = DEFAULTS[name]
    near = metres_to_lonlat(lon, lat, 1000, 500)  # 1.1 km away: still the default
    far = metres_to_lonlat(lon, lat, 5000, 0)  # 5 km away: a real site
    for (lo, la), warned in ((near, True), (far, False)):
        info = write_test_ifc(tmp_path / f"site-{warned}.ifc", map_conversion=False, site=(la, lo))
        scene = build(info)
        hits = warnings_of(scene, "default location")
        if not warned:
            assert hits == [], hits
            continue
        assert len(hits) == 1, hits
        assert f"placement: its IfcSite is at {name}: design tools put a model there" in hits[0]
        assert HOW.search(hits[0]), hits[0]
        # a placement in the scene never warns
        placed = build(info, lon=lo, lat=la, rotation=0)
        assert warnings_of(placed, "default location") == []


def test_default_map_conversion_location_warns(tmp_path: Path) -> None:
    lat, lon = DEFAULTS["Revit's default location (Chicago)"]
    e, n = Transformer.from_crs(4326, "EPSG:32616", always_xy=True).transform(lon, lat)
    info = write_test_ifc(
        tmp_path / "chicago-mc.ifc",
        map_conversion={
            "crs": "EPSG:32616",
            "eastings": e,
            "northings": n,
            "rotation_deg": 0.0,
            "scale": 1.0,
        },
    )
    (hit,) = warnings_of(build(info), "default location")
    assert "its IfcMapConversion is at Revit's default location (Chicago)" in hit


@pytest.mark.slow
def test_default_location_with_gis_data(tmp_path: Path) -> None:
    """duplex.ifc's IfcSite is Revit's Chicago default: with GIS data in Helsinki it is set
    aside with one warning naming the default; with GIS data in Chicago it stays, warned."""
    info = {"path": DUPLEX}
    away = build(info, gis_near(tmp_path, *HELSINKI))
    (hit,) = warnings_of(away, "default location")
    assert "km from the GIS data, at Revit's default location (Chicago)" in hit
    assert "set aside" in hit
    assert bim(away)["set_aside"] is True
    here = build(info, gis_near(tmp_path, -87.6394, 41.8744, dx=200.0))
    (hit,) = warnings_of(here, "default location")
    assert "its IfcSite is at Revit's default location (Chicago)" in hit and HOW.search(hit)
    assert bim(here)["set_aside"] is False


# -- the CLI: exit codes and one-line errors ----------------------------------------------------
@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The cases users hit, run through ``twin info --json`` concurrently."""
    d = tmp_path_factory.mktemp("cli")
    gis_rd = gis_near(d, *RD_LONLAT)
    # UTM 32N beside the frame's 31N: read as metres, millimetres are far outside it (PROJ: inf)
    e, n = Transformer.from_crs(4326, "EPSG:32632", always_xy=True).transform(*RD_LONLAT)
    mm_mm = {
        "crs": "EPSG:32632",
        "map_unit": "MILLIMETRE",
        "scale": 1.0,
        "eastings": e * MM,
        "northings": n * MM,
    }
    m_mm = {**mm_mm, "scale": 1000.0}
    b = write_test_ifc(d / "mm-mm.ifc", length="MILLIMETRE", map_conversion=mm_mm)
    c = write_test_ifc(d / "m-mm.ifc", map_conversion=m_mm)
    huge = write_test_ifc(
        d / "huge.ifc", length="MILLIMETRE", map_conversion={"map_unit": "METRE", "scale": 0.5}
    )
    lost = write_test_ifc(d / "lost.ifc", map_conversion=NOWHERE)
    pacific = write_test_ifc(d / "pacific.ifc", map_conversion=False, site=(-10.5, -140.25))
    psets = write_test_ifc(d / "psets.ifc", schema="IFC2X3", **PSET_CASES[next(iter(PSET_CASES))])
    scenes = {
        "mm-mm with GIS": write_toml(d, "b-gis", b["path"], gis_rd),
        "mm-mm alone": write_toml(d, "b", b["path"]),
        "m-mm with GIS": write_toml(d, "c-gis", c["path"], gis_rd),
        "huge with GIS": write_toml(d, "huge-gis", huge["path"], gis_rd),
        "huge alone": write_toml(d, "huge", huge["path"]),
        "lost alone": write_toml(d, "lost", lost["path"]),
        "pacific": write_toml(d, "pacific", pacific["path"]),
        "IFC2X3 psets": write_toml(d, "psets", psets["path"]),
        "duplex": write_toml(d, "duplex", DUPLEX),
    }
    procs = run_twin_all(*[["info", s, "--json"] for s in scenes.values()])
    return dict(zip(scenes, procs, strict=True))


def _info(cli: dict[str, Any], case: str) -> dict[str, Any]:
    proc = cli[case]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("case", ["mm-mm with GIS", "mm-mm alone", "m-mm with GIS"])
@pytest.mark.slow
def test_cli_map_units(cli: dict[str, Any], case: str) -> None:
    """Once a shapely traceback (with GIS data) or 'no georeference' (without)."""
    info = _info(cli, case)
    (model,) = info["bim_models"]
    assert model["placement"] == "map_conversion" and model["skipped"] is False
    assert model["set_aside"] is False
    assert model["extent_m"] < 20
    assert info["counts"]["bim_element"] == model["elements"]


def test_cli_absurd_extent(cli: dict[str, Any]) -> None:
    info = _info(cli, "huge with GIS")
    (model,) = info["bim_models"]
    assert model["skipped"] is True and "bim_element" not in info["counts"]
    assert info["counts"]["building"] == 1
    assert any("km across" in w["reason"] for w in info["warnings"])
    line = assert_one_line_error(cli["huge alone"], "huge.ifc", "km across")
    assert "Scale" in line and "--ifc PATH@LON,LAT" in line


def test_cli_non_finite_alone(cli: dict[str, Any]) -> None:
    line = assert_one_line_error(cli["lost alone"], "lost.ifc", "PROJ cannot convert")
    assert "no IFC model has a usable georeference" in line


def test_cli_remote_and_psets(cli: dict[str, Any]) -> None:
    info = _info(cli, "pacific")
    assert info["crs"] == "EPSG:32707" and info["bim_models"][0]["placement"] == "site"
    b = info["bounds"]
    assert abs(b["xmin"]) < CM and abs(b["ymin"]) < 0.1 and b["xmax"] < 15
    info = _info(cli, "IFC2X3 psets")
    (model,) = info["bim_models"]
    assert model["placement"] == "map_conversion"
    assert model["map_conversion_source"] == "ePSet_MapConversion on IfcSite"
    info = _info(cli, "duplex")
    assert any("Revit's default location (Chicago)" in w["reason"] for w in info["warnings"])
