"""Camera tours: the scene file's [[tours]], bookmarks saved in place, the interpolation,
the camera helpers and `twin record`."""

from __future__ import annotations

import math
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from tests.conftest import DEMO, ROOT, run_twin
from tests.helpers_gis import assert_one_line_error, run_twin_all
from twin.core.errors import InputError
from twin.core.frame import LocalFrame
from twin.scene.scene import Scene
from twin.scene.scenefile import (
    VIEWS,
    BookmarkSpec,
    KeyframeSpec,
    append_view,
    load_scene_spec,
    remove_view,
    spec_from_dict,
    spec_to_dict,
)
from twin.scene.tour import (
    CameraPose,
    Stop,
    Tour,
    default_tour,
    find_tour,
    interpolate,
    resolve_tour,
    smootherstep,
    tour_specs,
)
from twin.scene.views import REGISTRY, TOUR_VIEWS

BASE = """name = "T"
[[views]]
name = "gate"
lon = 24.94
lat = 60.17
distance = 200
heading = 350
pitch = 30
"""


def _spec(extra: str, path: Path = Path("/tmp/t.toml")):
    return spec_from_dict(tomllib.loads(BASE + extra), path)


# -- scene file ---------------------------------------------------------------------------------
def test_demo_tour_parses_and_round_trips():
    spec = load_scene_spec(DEMO)
    (tour,) = spec.tours
    assert tour.name == "exhibition" and tour.hold == 7 and tour.travel == 4
    assert {k.view for k in tour.keyframes} == set(TOUR_VIEWS)  # planning is not toured
    assert tour.keyframes[1] == KeyframeSpec(view="security", bookmark="railway-square")
    assert (
        tour.keyframes[2].lon == 24.9385
        and tour.keyframes[2].heading == 60
        and tour.keyframes[2].hold is None
    )
    assert 50 <= sum(tour.hold_of(k) + tour.travel_of(k) for k in tour.keyframes) <= 70
    again = spec_from_dict(tomllib.loads(tomli_w.dumps(spec_to_dict(spec, DEMO.parent))), DEMO)
    assert again.tours == spec.tours and again.views == spec.views


@pytest.mark.parametrize(
    "extra, words",
    [
        (
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\nview = "traffic"\n',
            ["unknown view 'traffic'", "security"],
        ),
        (
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\nbookmark = "nope"\n',
            ["unknown bookmark 'nope'", "gate"],
        ),
        ('[[tours]]\nname = "a"\nhold = -1\n[[tours.keyframes]]\n', ["hold", "-1"]),
        ('[[tours]]\nname = "a"\n[[tours.keyframes]]\nhold = -2\n', ["keyframe 1: hold"]),
        ("[[tours]]\nhold = 3\n[[tours.keyframes]]\n", ["tours[0] has no 'name'"]),
        (
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\n'
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\n',
            ["two tours are named 'a'"],
        ),
        ('[[tours]]\nname = "a"\n', ["no keyframes"]),
        ('[[tours]]\nname = "a"\n[[tours.keyframes]]\nlon = 24.9\n', ["both lon and lat"]),
        (
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\n'
            'bookmark = "gate"\nlon = 24.9\nlat = 60.1\n',
            ["both a bookmark and lon / lat"],
        ),
        ('[[tours]]\nname = "a"\n[[tours.keyframes]]\npitch = 120\n', ["pitch"]),
        (
            '[[tours]]\nname = "a"\n[[tours.keyframes]]\nbookmarks = "gate"\n',
            ["unknown key(s) bookmarks"],
        ),
        ('[[tours]]\nname = "a"\nhold = 0\ntravel = 0\n[[tours.keyframes]]\n', ["lasts 0 seconds"]),
    ],
)
def test_bad_tours_are_one_line_errors(extra, words):
    with pytest.raises(InputError) as e:
        _spec(extra)
    msg = e.value.message
    assert "\n" not in msg and msg.startswith("/tmp/t.toml: ")
    for w in words:
        assert w in msg, msg


def test_bad_tour_from_the_cli_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE + '[[tours]]\nname = "a"\n[[tours.keyframes]]\nview = "traffic"\n')
    out = tmp_path / "x.mp4"
    assert_one_line_error(run_twin("info", str(bad)), "bad.toml", "traffic", "security")
    unknown, fps, suffix, size = run_twin_all(
        ["record", DEMO, "--tour", "nope", "--out", out],
        ["record", DEMO, "--tour", "exhibition", "--out", out, "--fps", "0"],
        ["record", DEMO, "--tour", "exhibition", "--out", tmp_path / "x.avi"],
        ["record", DEMO, "--tour", "exhibition", "--out", out, "--size", "big"],
    )
    assert_one_line_error(unknown, "'nope'", "exhibition", "default")
    assert_one_line_error(fps, "--fps")
    assert_one_line_error(suffix, ".mp4")
    assert_one_line_error(size, "--size")
    assert not out.exists()


def test_default_tour_when_none():
    spec = _spec("")
    assert spec.tours == []
    (tour,) = tour_specs(spec)
    assert tour == default_tour(spec) and tour.name == "default"
    assert [k.view for k in tour.keyframes] == [*TOUR_VIEWS, "overview"]
    assert "planning" in VIEWS and "planning" not in TOUR_VIEWS
    assert tour.keyframes[-1].bookmark == "gate" and all(
        k.bookmark is None for k in tour.keyframes[:5]
    )
    assert find_tour(spec) is tour or find_tour(spec) == tour
    with pytest.raises(InputError, match="Use one of: default"):
        find_tour(spec, "exhibition")
    demo = load_scene_spec(DEMO)
    assert [t.name for t in tour_specs(demo)] == ["exhibition", "default"]
    assert find_tour(demo).name == "exhibition"


# -- bookmarks edited in place ------------------------------------------------------------------
def test_append_and_remove_view_keep_comments(tmp_path):
    path = tmp_path / "demo.toml"
    shutil.copyfile(DEMO, path)
    before = path.read_text()
    spec = append_view(path, BookmarkSpec("north-gate", 24.9451234567, 60.1755, 250.0, 370.0, 35.0))
    text = path.read_text()
    assert text.startswith(before) and "# the park with the FZK house" in text
    v = load_scene_spec(path).views[-1]
    assert v == spec.views[-1]
    assert (v.name, v.lon, v.lat, v.distance, v.heading, v.pitch) == (
        "north-gate",
        24.9451235,
        60.1755,
        250,
        10,
        35,
    )
    assert load_scene_spec(path).tours == load_scene_spec(DEMO).tours
    with pytest.raises(InputError, match="already exists"):
        append_view(path, BookmarkSpec("north-gate", 24.94, 60.17))
    with pytest.raises(InputError, match="used by tour"):
        remove_view(path, "duplex")
    with pytest.raises(InputError, match="north-gat'"):
        remove_view(path, "north-gat")
    append_view(path, BookmarkSpec("south-gate", 24.94, 60.166))
    # a bookmark in the middle: cut out, the rest as it was
    spec = remove_view(path, "north-gate")
    assert [v.name for v in spec.views] == ["railway-square", "fzk-house", "duplex", "south-gate"]
    assert load_scene_spec(path).views == spec.views and "north-gate" not in path.read_text()
    spec = remove_view(path, "south-gate")
    assert [v.name for v in spec.views] == ["railway-square", "fzk-house", "duplex"]
    assert path.read_text().rstrip() == before.rstrip()
    # the next table's comment stays with it
    path.write_text(BASE + "\n# the tours\n[[tours]]\nname = 'a'\n[[tours.keyframes]]\n")
    spec = remove_view(path, "gate")
    assert (
        spec.views == []
        and "# the tours\n[[tours]]" in path.read_text()
        and spec.tours[0].name == "a"
    )


# -- interpolation ------------------------------------------------------------------------------
def _scene() -> Scene:
    spec = _spec(
        '[[tours]]\nname = "t"\nhold = 5\ntravel = 4\n'
        '[[tours.keyframes]]\nbookmark = "gate"\nview = "security"\n'
        '[[tours.keyframes]]\nview = "parking"\nlon = 24.95\nlat = 60.18\n'
        "heading = 10\npitch = 60\n"
        "distance = 800\nhold = 3\n"
        '[[tours.keyframes]]\nview = "energy"\ntravel = 6\n'
    )
    scene = Scene("T", LocalFrame("EPSG:32635", 24.94, 60.17, 0.0, 0.0), spec)
    scene.view_targets["gate"] = (10.0, 20.0)
    scene.tour_targets[("t", 1)] = (500.0, 900.0)
    return scene


OVERVIEW = CameraPose(0.0, 0.0, 12.0, 2000.0, 0.0, 52.0)


def test_held_poses_are_exact_and_the_tour_loops():
    scene = _scene()
    tour = resolve_tour(scene.spec.tours[0], scene, OVERVIEW)
    assert tour.starts == [0, 5 + 4, 9 + 3 + 6] and tour.duration == 18 + 5 + 4
    want = [CameraPose(10, 20, 0, 200, 350, 30), CameraPose(500, 900, 0, 800, 10, 60), OVERVIEW]
    views = ["security", "parking", "energy"]
    for i, (start, stop) in enumerate(zip(tour.starts, tour.stops, strict=True)):
        for t in (start, start + stop.hold / 2, start + stop.hold):
            pose, view, idx = tour.at(t)
            assert (view, idx) == (views[i], i)
            assert np.allclose(pose_tuple(pose), pose_tuple(want[i]), atol=0.01), (t, pose)
            assert tour.at(t + 3 * tour.duration)[0] == pose
    # during a flight: the destination's view, a pose between the two
    pose, view, idx = tour.at(5 + 2)
    assert (view, idx) == ("parking", 1) and 10 < pose.x < 500 and 30 < pose.pitch < 60


def test_lon_lat_keyframes_fall_back_to_to_local():
    scene = _scene()
    scene.tour_targets.clear()
    with pytest.raises(InputError, match="Rebuild"):
        resolve_tour(scene.spec.tours[0], scene, OVERVIEW)
    tour = resolve_tour(
        scene.spec.tours[0], scene, OVERVIEW, to_local=lambda lon, lat: (lon * 10, lat * 10)
    )
    assert tour.stops[1].pose.x == pytest.approx(249.5)


def pose_tuple(p: CameraPose) -> tuple[float, ...]:
    return (p.x, p.y, p.z, p.distance, p.heading, p.pitch)


def test_heading_takes_the_shortest_way_round():
    a, b = CameraPose(0, 0, 0, 100, 350, 30), CameraPose(0, 0, 0, 100, 10, 30)
    assert interpolate(a, b, 0.5).heading == pytest.approx(0.0, abs=1e-9) or interpolate(
        a, b, 0.5
    ).heading == pytest.approx(360.0)
    hs = [interpolate(a, b, u).heading for u in np.linspace(0, 1, 21)]
    assert all(h >= 349.99 or h <= 10.01 for h in hs), hs
    back = [interpolate(b, a, u).heading for u in np.linspace(0, 1, 21)]
    assert all(h >= 349.99 or h <= 10.01 for h in back), back


def test_easing_is_smooth_and_monotone():
    us = np.linspace(0, 1, 201)
    s = np.array([smootherstep(u) for u in us])
    assert s[0] == 0 and s[-1] == 1 and np.all(np.diff(s) >= 0)
    d = np.diff(s)
    assert d[0] < 1e-5 and d[-1] < 1e-5 and d.max() > 0.009  # starts and stops gently
    tour = Tour(
        "t",
        [
            Stop(CameraPose(0, 0, 0, 100, 0, 20), "overview", 1, 2),
            Stop(CameraPose(300, 0, 0, 400, 90, 70), "energy", 1, 2),
        ],
    )
    ts = np.linspace(1, 3, 101)  # the flight from keyframe 0 to 1
    poses = [tour.at(t)[0] for t in ts]
    for attr in ("x", "pitch", "heading", "distance"):
        v = np.array([getattr(p, attr) for p in poses])
        assert np.all(np.diff(v) >= -1e-9), attr
    # distance geometric: halfway (in eased time) is the geometric mean
    mid = interpolate(CameraPose(0, 0, 0, 100, 0, 20), CameraPose(10, 0, 0, 400, 0, 20), 0.5)
    assert mid.distance == pytest.approx(200.0)
    # a long flight between close-ups rises midway, and lands exactly
    a, b = CameraPose(0, 0, 0, 80, 0, 30), CameraPose(1000, 0, 0, 80, 0, 30)
    assert interpolate(a, b, 0.5).distance > 500 and interpolate(a, b, 1.0) == b


# -- rendering ----------------------------------------------------------------------------------
def test_camera_pose_round_trip(demo_scene):
    from twin.render.camera import apply_pose, overview_pose, pose_of
    from twin.render.offscreen import make_plotter

    size = (320, 180)
    plotter = make_plotter(size)
    try:
        for pose in (CameraPose(10, -20, 3, 250, 330, 35), CameraPose(0, 0, 0, 500, 45, 90)):
            apply_pose(plotter, pose, size)
            back = pose_of(plotter)
            assert np.allclose(pose_tuple(back), pose_tuple(pose), atol=1e-6)
        before = plotter.camera.position
        ov = overview_pose(plotter, demo_scene, size)
        assert plotter.camera.position == before
        assert ov.distance > 1000 and ov.pitch == pytest.approx(52.0, abs=0.01)
        assert ov.heading == pytest.approx(0.0, abs=0.01) or ov.heading == pytest.approx(
            360.0, abs=0.01
        )
    finally:
        plotter.close()


def test_record_tour_calls_on_view(demo_scene, tmp_path):
    from twin.render.record import record_tour

    seen: list[str] = []
    shown: dict[str, set[str]] = {}

    def on_view(view, vis):
        seen.append(view)
        shown[view] = {k for k, g in vis.glyphs.items() if g.actor.GetVisibility()}

    stats = record_tour(
        demo_scene,
        find_tour(demo_scene.spec, "exhibition"),
        tmp_path / "v.mp4",
        fps=2,
        size=(160, 90),
        lang="en",
        on_view=on_view,
        seconds=4,
    )
    assert seen == ["overview", "security"] and stats["frames"] == 8
    # each stop shows its view's device kinds, as the kiosk does
    kinds = {d.kind for d in demo_scene.devices}
    assert shown["overview"] == kinds
    assert shown["security"] == kinds & REGISTRY["security"].kinds


@pytest.mark.slow
def test_record_cli_writes_a_moving_mp4(tmp_path):
    import imageio.v2 as iio

    out = tmp_path / "sub" / "x.mp4"
    proc = run_twin(
        "record",
        str(DEMO),
        "--tour",
        "exhibition",
        "--out",
        str(out),
        "--size",
        "320x180",
        "--fps",
        "5",
        "--seconds",
        "4",
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Wrote" in proc.stdout and "20 frames" in proc.stdout
    reader = iio.get_reader(str(out))
    try:
        frames = [np.asarray(f) for f in reader]
        assert reader.get_meta_data()["fps"] == pytest.approx(5)
    finally:
        reader.close()
    assert len(frames) == 20 and frames[0].shape == (180, 320, 3)
    diffs = [float(np.abs(f.astype(int) - frames[0]).mean()) for f in frames]
    assert max(diffs) > 5 and not math.isclose(diffs[-1], diffs[-2])  # the camera moves
