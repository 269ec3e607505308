"""The scene cache (issue 17): a warm start loads the built scene instead of rebuilding it, the
same to the centimetre; any change of what it was built from builds afresh; a damaged or
planted cache file is never trusted and never runs code."""

from __future__ import annotations

import logging
import os
import pickle

import numpy as np

from tests.helpers_gis import feature, metres_to_lonlat, rect_lonlat, write_geojson
from twin.ingest import scenecache
from twin.usecases.scene import open_scene

LON0, LAT0 = 24.95, 60.17


def _ll(dx: float, dy: float) -> list[float]:
    return list(metres_to_lonlat(LON0, LAT0, dx, dy))


def _scene(tmp_path, cam_dx: float = 30.0):
    write_geojson(
        tmp_path / "yard.geojson",
        [
            feature("LineString", [_ll(-20, 0), _ll(120, 0)], highway="residential", name="Lane"),
            feature(
                "Polygon", [rect_lonlat(LON0, LAT0, 40, 10, 20, 15)], building="yes", height=12
            ),
        ],
    )
    (tmp_path / "devices.csv").write_text(
        "id,kind,lon,lat,height,heading\n"
        f"cam-1,camera,{_ll(cam_dx, -4)[0]},{_ll(cam_dx, -4)[1]},4,90\n"
        f"mh-1,manhole,{_ll(60, 1)[0]},{_ll(60, 1)[1]},,\n",
        encoding="utf-8",
    )
    path = tmp_path / "yard.toml"
    path.write_text(
        'name = "Yard"\n[[sources]]\npath = "yard.geojson"\n[[devices]]\npath = "devices.csv"\n',
        encoding="utf-8",
    )
    return path


def _entries(tmp_path):
    return sorted(scenecache.cache_dir().glob("*.scene"))


def test_a_warm_open_is_the_built_scene_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _scene(tmp_path)
    built = open_scene(path)
    assert "cache" not in built.timings and len(_entries(tmp_path)) == 1
    warm = open_scene(path)
    assert set(warm.timings) == {"cache", "total"}  # loaded, not built
    assert [(d.id, d.kind) for d in warm.devices] == [(d.id, d.kind) for d in built.devices]
    for a, b in zip(warm.devices, built.devices, strict=True):
        assert abs(a.x - b.x) < 0.01 and abs(a.y - b.y) < 0.01 and abs(a.z - b.z) < 0.01
    assert len(warm.buildings) == len(built.buildings) == 1
    assert warm.buildings[0].height == built.buildings[0].height == 12.0
    assert set(warm.meshes) == set(built.meshes)
    for kind, mesh in built.meshes.items():
        assert np.array_equal(warm.meshes[kind].points, mesh.points)
        assert np.array_equal(warm.meshes[kind].faces, mesh.faces)
    assert [w.reason for w in warm.warnings] == [w.reason for w in built.warnings]
    assert warm.spec.path == path


def test_a_changed_input_builds_afresh_and_replaces_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _scene(tmp_path)
    first = open_scene(path)
    cam = next(d for d in first.devices if d.id == "cam-1")
    _scene(tmp_path, cam_dx=50.0)  # the camera moved 20 m east in the device list
    moved = open_scene(path)
    assert "cache" not in moved.timings
    cam2 = next(d for d in moved.devices if d.id == "cam-1")
    assert abs(cam2.x - cam.x - 20.0) < 0.05
    assert len(_entries(tmp_path)) == 1  # the scene's older entry is gone
    assert "cache" in open_scene(path).timings


def test_a_damaged_or_planted_entry_is_never_trusted(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = _scene(tmp_path)
    open_scene(path)
    (entry,) = _entries(tmp_path)
    data = bytearray(entry.read_bytes())
    data[-10] ^= 0xFF  # one byte of the payload damaged
    entry.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="twin.ingest.scenecache"):
        rebuilt = open_scene(path)
    assert "cache" not in rebuilt.timings and "digest does not match" in caplog.text
    # a payload that would run a command when unpickled, with a digest that matches
    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (entry,) = _entries(tmp_path)
    payload = pickle.dumps(Planted(), protocol=5)
    import hashlib

    entry.write_bytes(scenecache.FORMAT + hashlib.sha256(payload).hexdigest().encode() + payload)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="twin.ingest.scenecache"):
        again = open_scene(path)
    assert not marker.exists()  # nothing ran
    assert "is not part of a scene" in caplog.text
    assert "cache" not in again.timings and [d.id for d in again.devices] == ["cam-1", "mh-1"]
