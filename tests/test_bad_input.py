"""Bad input through the real CLI: exit code 2 and one actionable line on stderr naming the
file; and input that is repairable: exit code 0, each problem reported in `twin info --json`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers_gis import (
    assert_one_line_error,
    cityjson_doc,
    feature,
    info_json,
    metres_to_lonlat,
    modified,
    rect_lonlat,
    run_twin,
    run_twin_all,
    write_cityjson,
    write_geojson,
)
from twin.ingest.build import build_scene
from twin.scene.scenefile import load_scene_spec

SZ = (114.05, 22.54)


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def site(path: Path) -> Path:
    """A small valid GIS file (two buildings and a road, near Shenzhen)."""
    lon0, lat0 = SZ
    return write_geojson(
        path,
        [
            feature("Polygon", [rect_lonlat(lon0, lat0, 0, 0, 20, 20)], id="b1", building="yes"),
            feature(
                "Polygon",
                [rect_lonlat(lon0, lat0, 40, 0, 20, 20)],
                id="b2",
                building="yes",
                height=30,
            ),
            feature(
                "LineString",
                [list(metres_to_lonlat(lon0, lat0, x, -10)) for x in (-50, 100)],
                id="r1",
                highway="residential",
            ),
        ],
    )


def device_rows(*rows: tuple[str, str, float, float]) -> list[list[Any]]:
    """CSV rows (id, kind, lon, lat) from (id, kind, metres east, metres north of SZ)."""
    out: list[list[Any]] = [["id", "kind", "lon", "lat"]]
    for did, kind, dx, dy in rows:
        out.append([did, kind, *metres_to_lonlat(*SZ, dx, dy)])
    return out


# -- bad GIS / device files, through `new-scene` and through `info` of a scene file ---------------
Case = Callable[[Path], tuple[list[str], list[str]]]
"""Writes its files into a directory; returns (new-scene arguments, names the message must hold)."""


def _missing(d: Path) -> tuple[list[str], list[str]]:
    return ["--gis", str(d / "nowhere.geojson")], ["nowhere.geojson"]


def _unknown_format(d: Path) -> tuple[list[str], list[str]]:
    p = d / "roads.txt"
    p.write_text("some text\n", encoding="utf-8")
    return ["--gis", str(p)], ["roads.txt"]


def _empty_file(d: Path) -> tuple[list[str], list[str]]:
    p = d / "empty.geojson"
    p.write_bytes(b"")
    return ["--gis", str(p)], ["empty.geojson"]


def _empty_device_file(d: Path) -> tuple[list[str], list[str]]:
    p = d / "nodevices.csv"
    p.write_bytes(b"")
    return ["--gis", str(site(d / "site.geojson")), "--devices", str(p)], ["nodevices.csv"]


def _empty_layer(d: Path) -> tuple[list[str], list[str]]:
    p = write_geojson(d / "nothing.geojson", [])
    return ["--gis", str(p)], ["nothing.geojson"]


def _projected_as_wgs84(d: Path) -> tuple[list[str], list[str]]:
    # CGCS2000 GK metres (EPSG:4547) in a GeoJSON that declares nothing, so claims WGS84
    x, y = 500000.0 + 5151.0, 2493000.0
    ring = [[x, y], [x + 20, y], [x + 20, y + 20], [x, y + 20], [x, y]]
    p = write_geojson(d / "metres.geojson", [feature("Polygon", [ring], id="b1", building="yes")])
    return ["--gis", str(p)], ["metres.geojson", "projected"]


def _unknown_crs(d: Path) -> tuple[list[str], list[str]]:
    p = site(d / "site.geojson")
    return ["--gis", f"{p}@EPSG:999999"], ["site.geojson", "999999"]


def _gcj02_gis(d: Path) -> tuple[list[str], list[str]]:
    p = site(d / "amap.geojson")
    return ["--gis", f"{p}@GCJ-02"], ["amap.geojson", "GCJ-02", "WGS84"]


def _gcj02_device_column(d: Path) -> tuple[list[str], list[str]]:
    rows = [["id", "kind", "lon", "lat", "crs"], ["C1", "camera", SZ[0], SZ[1], "GCJ02"]]
    p = write_csv(d / "amap_devices.csv", rows)
    return ["--gis", str(site(d / "site.geojson")), "--devices", str(p)], [
        "amap_devices.csv",
        "GCJ-02",
        "WGS84",
    ]


def _duplicate_ids(d: Path) -> tuple[list[str], list[str]]:
    p = write_csv(
        d / "dups.csv",
        device_rows(
            ("CAM-1", "camera", 0, 0),
            ("CAM-2", "camera", 5, 0),
            ("CAM-1", "camera", 10, 0),
            ("MH-7", "manhole", 0, 5),
            ("MH-7", "manhole", 5, 5),
        ),
    )
    return ["--gis", str(site(d / "site.geojson")), "--devices", str(p)], [
        "dups.csv",
        "CAM-1",
        "MH-7",
    ]


def _duplicate_ids_across_lists(d: Path) -> tuple[list[str], list[str]]:
    a = write_csv(
        d / "list_a.csv", device_rows(("CAM-1", "camera", 0, 0), ("POLE-1", "pole", 5, 0))
    )
    b = write_csv(
        d / "list_b.csv", device_rows(("POLE-2", "pole", 10, 0), ("CAM-1", "camera", 15, 0))
    )
    return (
        ["--gis", str(site(d / "site.geojson")), "--devices", str(a), "--devices", str(b)],
        ["list_a.csv", "list_b.csv", "CAM-1"],
    )


def _cityjson(name: str, **changes: Any) -> Case:
    def case(d: Path) -> tuple[list[str], list[str]]:
        p = write_cityjson(d / name, modified(cityjson_doc(), **changes))
        return ["--gis", str(p)], [name]

    return case


def _not_json(d: Path) -> tuple[list[str], list[str]]:
    p = d / "broken.city.json"
    p.write_text('{"type": "CityJSON", "version": "2.0", "CityObjects": {', encoding="utf-8")
    return ["--gis", str(p)], ["broken.city.json"]


BAD_FILES: dict[str, Case] = {
    "missing file": _missing,
    "unknown format": _unknown_format,
    "empty file": _empty_file,
    "empty device file": _empty_device_file,
    "empty layer": _empty_layer,
    "projected metres claiming WGS84": _projected_as_wgs84,
    "unknown CRS": _unknown_crs,
    "GCJ-02 declared": _gcj02_gis,
    "GCJ-02 crs column": _gcj02_device_column,
    "duplicate ids in a list": _duplicate_ids,
    "duplicate ids across lists": _duplicate_ids_across_lists,
    "cityjson zero scale": _cityjson(
        "zero.city.json", transform={"scale": [0, 0, 0], "translate": [85000, 446000, 0]}
    ),
    "cityjson no scale": _cityjson(
        "noscale.city.json", transform={"translate": [85000, 446000, 0]}
    ),
    "cityjson version 3.0": _cityjson("future.city.json", version="3.0"),
    "not JSON": _not_json,
}


def _unreadable(d: Path) -> tuple[list[str], list[str]]:
    p = site(d / "locked.geojson")
    p.chmod(0)
    return ["--gis", str(p)], ["locked.geojson"]


def _scene_toml(path: Path, args: list[str]) -> Path:
    """The scene file `new-scene ARGS` would describe, with paths relative to it."""
    lines = ['name = "x"']
    it = iter(args)
    for flag, value in zip(it, it, strict=True):
        file, _, crs = value.partition("@")
        table = "sources" if flag == "--gis" else "devices"
        lines.append(f"\n[[{table}]]\npath = {json.dumps(os.path.relpath(file, path.parent))}")
        if crs:
            lines.append(f"crs = {json.dumps(crs)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_file(tmp_path: Path, case: str) -> None:
    """`twin new-scene --gis / --devices FILE` and `twin info` of a scene file naming it."""
    args, names = BAD_FILES[case](tmp_path)
    out = tmp_path / "x.toml"
    scene = _scene_toml(tmp_path / "scene.toml", args)
    new_scene, info = run_twin_all(
        ["new-scene", *args, "--name", "x", "--out", out], ["info", scene, "--json"]
    )
    assert_one_line_error(new_scene, *names)
    assert not out.exists()
    assert_one_line_error(info, *names)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file with mode 000")
def test_unreadable_file(tmp_path: Path) -> None:
    args, names = _unreadable(tmp_path)
    assert_one_line_error(
        run_twin("new-scene", *args, "--name", "x", "--out", tmp_path / "x.toml"), *names
    )


# -- bad scene files ------------------------------------------------------------------------------
@pytest.mark.slow
def test_scene_toml_syntax_error(tmp_path: Path) -> None:
    site(tmp_path / "site.geojson")
    scene = tmp_path / "broken.toml"
    scene.write_text('name = "x"\n[[sources]\npath = "site.geojson"\n', encoding="utf-8")
    for cmd in (["info", scene, "--json"], ["devices", scene]):
        assert_one_line_error(run_twin(*cmd), "broken.toml")


def test_scene_without_name(tmp_path: Path) -> None:
    site(tmp_path / "site.geojson")
    scene = tmp_path / "noname.toml"
    scene.write_text('[[sources]]\npath = "site.geojson"\n', encoding="utf-8")
    line = assert_one_line_error(run_twin("info", scene), "noname.toml")
    assert "name" in line


def test_new_scene_with_empty_name(tmp_path: Path) -> None:
    """A scene with no name is refused when it is made, not written as a file that cannot be
    read."""
    p = site(tmp_path / "site.geojson")
    out = tmp_path / "x.toml"
    proc = run_twin("new-scene", "--gis", p, "--name", " ", "--out", out)
    line = assert_one_line_error(proc)
    assert "name" in line
    assert not out.exists()


# -- bad options ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("good")
    out = d / "good.toml"
    proc = run_twin("new-scene", "--gis", site(d / "site.geojson"), "--name", "good", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_devices_unknown_kind(good_scene: Path) -> None:
    assert_one_line_error(
        run_twin("devices", good_scene, "--kind", "nosuchkind"), "--kind", "nosuchkind"
    )


def test_render_bad_size(good_scene: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    assert_one_line_error(
        run_twin("render", good_scene, "--size", "10x10", "--out", out), "--size", "10x10"
    )
    assert not out.exists()


# -- repairable input: exit 0, reported as warnings -----------------------------------------------
@pytest.fixture(scope="module")
def repaired(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("repaired")
    lon0, lat0 = SZ
    p = lambda x, y: list(metres_to_lonlat(lon0, lat0, x, y))  # noqa: E731
    gis = write_geojson(
        d / "estate.geojson",
        [
            feature("Polygon", [rect_lonlat(lon0, lat0, 0, 0, 20, 20)], id="ok", building="yes"),
            # a self-intersecting bow tie
            feature(
                "Polygon",
                [[p(40, 0), p(60, 20), p(60, 0), p(40, 20), p(40, 0)]],
                id="bowtie",
                building="yes",
            ),
            feature(
                "Polygon",
                [rect_lonlat(lon0, lat0, 80, 0, 20, 20)],
                id="tower",
                building="yes",
                height="5000",
            ),
            feature("LineString", [p(-50, -10), p(150, -10)], id="r1", highway="residential"),
        ],
    )
    far = metres_to_lonlat(lon0, lat0, 0, 50_000)
    near = metres_to_lonlat(lon0, lat0, 30, -20)
    devs = write_csv(
        d / "estate_devices.csv",
        [
            ["id", "kind", "lon", "lat", "height", "fov"],
            ["POLE-1", "pole", *near, 999, ""],
            ["CAM-FAR", "camera", *far, "", ""],
            ["X-1", "nosuchkind", *near, "", ""],
            ["CAM-WIDE", "camera", *metres_to_lonlat(lon0, lat0, 50, -20), "", 500],
            ["CAM-OK", "camera", *metres_to_lonlat(lon0, lat0, 70, -20), "", 60],
        ],
    )
    out = d / "estate.toml"
    proc = run_twin("new-scene", "--gis", gis, "--devices", devs, "--name", "estate", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    info = info_json(out)
    devices = run_twin("devices", out, "--json")
    assert devices.returncode == 0, devices.stderr
    return {
        "info": info,
        "devices": {x["id"]: x for x in json.loads(devices.stdout)},
        "devices_stdout": devices.stdout,
        "scene": build_scene(load_scene_spec(out)),
    }


def _warnings(repaired: dict[str, Any], feature: str) -> list[dict[str, str]]:
    return [w for w in repaired["info"]["warnings"] if feature in w["feature"]]


@pytest.mark.slow
def test_repaired_scene_counts(repaired: dict[str, Any]) -> None:
    info = repaired["info"]
    assert info["counts"] == {"building": 3, "road": 1, "camera": 2, "pole": 1}
    assert set(repaired["devices"]) == {"POLE-1", "CAM-WIDE", "CAM-OK"}


def test_invalid_geometry_is_repaired(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "bowtie")
    assert [w["action"] for w in ws] == ["repaired"], repaired["info"]["warnings"]
    assert ws[0]["source"] == "estate.geojson"


def test_absurd_building_height_is_clamped(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "tower")
    assert len(ws) == 1 and "clamped" in ws[0]["action"] and "830" in ws[0]["action"], ws
    assert "5000" in ws[0]["reason"]
    tower = next(b for b in repaired["scene"].buildings if b.id == "tower")
    assert (tower.height, tower.height_source) == (830.0, "height")
    mesh = repaired["scene"].meshes["building"]
    assert float(np.nanmax(mesh.points[:, 2])) == pytest.approx(830.0)


def test_absurd_device_height_is_clamped(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "POLE-1")
    assert len(ws) == 1 and "clamped" in ws[0]["action"] and "999" in ws[0]["reason"], ws
    assert repaired["devices"]["POLE-1"]["mount_height"] == 150.0


def test_device_far_away_is_skipped(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "CAM-FAR")
    assert len(ws) == 1 and ws[0]["action"] == "skipped" and "outside" in ws[0]["reason"], ws
    assert ws[0]["source"] == "estate_devices.csv"


def test_device_of_unknown_kind_is_skipped(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "X-1")
    assert len(ws) == 1 and ws[0]["action"] == "skipped", ws
    assert "row 4" in ws[0]["feature"] and "nosuchkind" in ws[0]["reason"]


def test_impossible_camera_fov_is_warned(repaired: dict[str, Any]) -> None:
    ws = _warnings(repaired, "CAM-WIDE")
    assert len(ws) == 1 and "500" in ws[0]["reason"], ws
    assert repaired["devices"]["CAM-WIDE"]["fov"] == 90.0
    assert repaired["devices"]["CAM-OK"]["fov"] == 60.0
    assert not _warnings(repaired, "CAM-OK")


def _no_nan(token: str) -> float:
    raise AssertionError(f"`twin devices --json` printed {token}, which is not JSON")


def test_blank_cells_in_a_device_list_mean_defaults(repaired: dict[str, Any]) -> None:
    """Blank height / fov cells (other rows have values) mean 'the kind's default', never NaN."""
    cam = repaired["devices"]["CAM-OK"]
    assert cam["mount_height"] == 6.0  # an HD camera's default mount height
    assert repaired["devices"]["POLE-1"].get("fov") is None  # a pole has no field of view
    json.loads(repaired["devices_stdout"], parse_constant=_no_nan)
    b = repaired["info"]["bounds"]
    assert all(math.isfinite(v) for v in b.values()), b
    assert b["zmax"] == pytest.approx(830.0)
