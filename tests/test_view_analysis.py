"""The situational views' analyses and visuals: emergency linkage, parking, the environment
surface, energy use and leaks, camera frusta, heat-map and building colours."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pytest
import shapely
from shapely.geometry import Point as SPoint
from shapely.geometry import box

from twin.analysis import energy, linkage, parking
from twin.analysis import environment as env
from twin.core.frame import LocalFrame
from twin.scene.entities import Building, Device, Mesh, Surface
from twin.scene.scene import Scene
from twin.scene.scenefile import SceneSpec
from twin.state.history import HistoryStore

T0 = 1_800_000_000.0  # a bucket boundary (divisible by 300 and by 3600)


def _scene(devices=(), lots=(), buildings=()) -> Scene:
    s = Scene("t", LocalFrame("EPSG:3067", 0.0, 0.0, 0.0, 0.0), SceneSpec(name="t"))
    s.devices = list(devices)
    s.surfaces["parking_lot"] = list(lots)
    s.buildings = list(buildings)
    return s


def _dev(i: str, kind: str, x: float, y: float, **kw) -> Device:
    return Device(i, kind, i, x, y, 0.0, 0.0, 0.0, kw.pop("mount_height", 0.0), **kw)


# -- emergency linkage -------------------------------------------------------------------------
def test_nearest_cameras_match_brute_force(demo_scene):
    cams = demo_scene.devices_of("camera")
    rng = np.random.default_rng(1)
    for x, y in rng.uniform(-500, 500, size=(20, 2)):
        got = linkage.nearest_devices(demo_scene, x, y, "camera", n=3)
        brute = sorted(cams, key=lambda d: math.hypot(d.x - x, d.y - y))[:3]
        assert [d.id for d, _ in got] == [d.id for d in brute]
        dists = [dist for _, dist in got]
        assert dists == sorted(dists)
        assert dists[0] == pytest.approx(math.hypot(brute[0].x - x, brute[0].y - y))
    first = linkage.nearest_devices(demo_scene, 0, 0, n=1)[0][0]
    again = linkage.nearest_devices(demo_scene, 0, 0, n=1, exclude_offline={first.id})[0][0]
    assert again.id != first.id


def test_fire_doors_within_radius_else_nearest_three():
    doors = [_dev(f"fd{k}", "fire_door", 10.0 * k, 0.0) for k in range(6)]
    s = _scene(doors + [_dev("cam", "camera", 1, 1)])
    near = linkage.fire_doors_near(s, 0, 0, radius=25)
    assert [d.id for d, _ in near] == ["fd0", "fd1", "fd2"]
    far = linkage.fire_doors_near(s, 1000, 0, radius=80)
    assert [d.id for d, _ in far] == ["fd5", "fd4", "fd3"]
    assert far[0][1] == pytest.approx(950.0)


# -- parking -----------------------------------------------------------------------------------
def test_space_state():
    assert parking.space_state({"occupied": True, "booked": True}, "online") == "occupied"
    assert parking.space_state({"occupied": False, "booked": True}, "online") == "booked"
    assert parking.space_state({"occupied": False}, "online") == "free"
    assert parking.space_state({"occupied": False}, "offline") == "unknown"
    assert parking.space_state({}, "online") == "unknown"
    assert parking.space_state(None, "alarm") == "unknown"


def _parking_scene():
    lot_a = Surface(
        "a", "parking_lot", "Lot A", "test", shape_wkb=shapely.to_wkb(box(0, 0, 20, 10))
    )
    lot_b = Surface(
        "b",
        "parking_lot",
        "Lot B",
        "test",
        capacity=40,
        shape_wkb=shapely.to_wkb(box(100, 0, 120, 10)),
    )
    lot_c = Surface("c", "parking_lot", "", "test", shape_wkb=shapely.to_wkb(box(200, 0, 220, 10)))
    spaces = [_dev(f"p{k}", "parking_space", 2.0 + 3 * k, 5.0) for k in range(5)]
    spaces.append(_dev("p-edge", "parking_space", 22.0, 5.0))  # 2 m outside: within tolerance
    spaces.append(_dev("p-far", "parking_space", 50.0, 5.0))  # in no lot
    chargers = [
        _dev("c0", "charger", 1, 1),
        _dev("c1", "charger", 5, 1),
        _dev("c2", "charger", 9, 1),
        _dev("c3", "charger", 60, 60),
    ]
    return _scene(spaces + chargers, [lot_a, lot_b, lot_c])


def test_parking_counts_for_a_lot():
    s = _parking_scene()
    lots = parking.lots_of_spaces(s)
    assert lots.tolist() == [0, 0, 0, 0, 0, 0, -1]
    r = {
        "p0": {"occupied": True},
        "p1": {"occupied": False, "booked": True},
        "p2": {"occupied": False},
        "p3": {"occupied": False},
        "p4": {"occupied": True},
        "p-edge": {"occupied": False},
        "p-far": {"occupied": True},
        "c0": {"state": "charging"},
        "c1": {"state": "idle"},
        "c2": {"state": "charging"},
    }
    st = {k: "online" for k in r} | {"p-edge": "offline", "c3": "offline"}
    sm = parking.summarise(s, r, st, lots)
    assert (sm.spaces, sm.free, sm.occupied, sm.booked, sm.unknown) == (7, 2, 3, 1, 1)
    assert sm.occupancy_pct == pytest.approx(100 * 4 / 6)
    assert sm.chargers == 4 and sm.charger_ratio == pytest.approx(4 / 7)
    assert sm.chargers_by_state["charging"] == 2 and sm.chargers_by_state["offline"] == 1
    assert sm.utilisation == pytest.approx(2 / 3)
    assert [lot.name for lot in sm.lots] == ["Lot A", "Lot B"]  # C: no sensors, no capacity
    a, b = sm.lots
    assert (a.spaces, a.free, a.occupied, a.booked, a.unknown, a.chargers) == (6, 2, 2, 1, 1, 3)
    assert shapely.contains_xy(box(0, 0, 20, 10), a.x, a.y)
    assert (b.spaces, b.capacity, b.chargers) == (0, 40, 0)
    dev, dist = parking.nearest_free(s, 30, 5, r, st)
    assert dev.id == "p3" and dist == pytest.approx(19.0)
    assert parking.nearest_free(s, 0, 0, {}, {}) is None


def test_demo_lots_get_their_space_sensors(demo_scene):
    lots = parking.lots_of_spaces(demo_scene)
    assert len(lots) == len(demo_scene.devices_of("parking_space"))
    assert (lots >= 0).sum() > 0.8 * len(lots)
    sm = parking.summarise(demo_scene, {}, {}, lots)
    assert sm.unknown == sm.spaces and sum(lot.spaces for lot in sm.lots) == (lots >= 0).sum()
    assert sm.occupancy_pct is None and sm.utilisation is None


# -- environment -------------------------------------------------------------------------------
def test_band_thresholds():
    pm25, noise, temp = env.QUANTITIES["pm25"], env.QUANTITIES["noise_db"], env.QUANTITIES["temp_c"]
    assert [env.band(v, pm25) for v in (20, 40, 76, 75, 35)] == [
        "ok",
        "warning",
        "alarm",
        "alarm",
        "warning",
    ]
    assert [env.band(v, noise) for v in (50, 60, 71)] == ["ok", "warning", "alarm"]
    assert [env.band(v, noise, night=True) for v in (40, 50, 56)] == ["ok", "warning", "alarm"]
    assert [env.band(v, temp) for v in (-3, 20, 36, 41)] == ["warning", "ok", "warning", "alarm"]
    assert env.band(99, env.QUANTITIES["humidity_pct"]) == "ok"
    assert env.band(float("nan"), pm25) == "ok"
    assert list(env.QUANTITIES) == ["pm25", "pm10", "noise_db", "temp_c", "humidity_pct"]


def test_samples_skip_offline_and_non_numbers():
    devs = [
        _dev("e1", "env_monitor", 0, 0),
        _dev("e2", "env_monitor", 10, 0),
        _dev("p1", "pole", 20, 0),
        _dev("p2", "pole", 30, 0),
        _dev("e3", "env_monitor", 40, 0),
        _dev("x", "meter", 50, 0),
    ]
    r = {
        "e1": {"pm25": 10},
        "e2": {"pm25": 20.5},
        "p1": {"pm25": float("nan")},
        "p2": {"pm25": True},
        "e3": {"pm25": 30.0},
        "x": {"pm25": 1.0},
    }
    xy, v = env.samples(_scene(devs), r, "pm25", {"e3": "offline"})
    assert xy.tolist() == [[0, 0], [10, 0]] and v.tolist() == [10.0, 20.5]
    xy, v = env.samples(_scene(devs), {}, "pm25")
    assert xy.shape == (0, 2) and v.shape == (0,)


def test_idw_exact_at_samples_blank_far_away_and_bounded():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 300, size=(40, 2))
    vals = rng.uniform(0, 100, size=40)
    assert np.allclose(env.idw(xy, vals, xy), vals)
    radius = env.default_radius(xy)
    assert radius >= 150.0
    g = env.interpolate(xy, vals, (-2000, 2000, -1000, 1000), max_cells=10_000)
    assert g is not None and g.nx * g.ny <= 10_000 and g.values.shape == (g.ny, g.nx)
    cx, cy = g.centres()
    gx, gy = np.meshgrid(cx, cy)
    dmin = np.min(np.hypot(gx[..., None] - xy[:, 0], gy[..., None] - xy[:, 1]), axis=2)
    assert np.all(np.isnan(g.values[dmin > radius + 1e-6]))
    inside = g.values[dmin <= radius - 1e-6]
    assert np.all(np.isfinite(inside)) and inside.min() >= vals.min() and inside.max() <= vals.max()
    # a cell whose centre is on a sample takes its value
    g2 = env.interpolate(
        np.array([[5.0, 5.0], [45.0, 25.0]]), np.array([10.0, 30.0]), (0, 50, 0, 30), cell=10.0
    )
    assert (g2.nx, g2.ny, g2.cell) == (5, 3, 10.0)
    assert g2.values[0, 0] == 10.0 and g2.values[2, 4] == 30.0
    one = env.interpolate(
        np.array([[0.0, 0.0]]), np.array([42.0]), (-1000, 1000, -1000, 1000), max_cells=400
    )
    assert set(np.unique(one.values[np.isfinite(one.values)])) == {42.0}
    assert np.isnan(one.values[0, 0]) and np.isfinite(one.values).sum() > 0
    assert env.interpolate(np.zeros((0, 2)), np.zeros(0), (0, 1, 0, 1)) is None


# -- energy ------------------------------------------------------------------------------------
def _rows(device: str, start: float, step: float, values, key: str):
    return [(device, start + k * step, json.dumps({key: v})) for k, v in enumerate(values)]


@pytest.mark.parametrize("raw_retention", [48 * 3600.0, 600.0])
def test_usage_of_counters_with_a_reset(tmp_path, raw_retention):
    h = HistoryStore(tmp_path / "h.sqlite", raw_retention_s=raw_retention)
    m1 = [100, 102, 104, 106, 108, 110, 1, 3, 5, 7, 9, 11]  # replaced after 110: 10 + 10 used
    rows = _rows("m1", T0 + 30, 600, m1, "kwh")
    rows += [
        ("m2", T0 + 10, json.dumps({"kwh": 50.0})),
        ("m2", T0 + 200, json.dumps({"kwh": 52.0})),
        ("m2", T0 + 400, json.dumps({"kwh": 55.5})),
    ]
    rows.sort(key=lambda r: r[1])
    for k in range(0, len(rows), 3):  # written as it comes, so rollups happen along the way
        h.write(rows[k : k + 3], [])
    h.write([("other", T0 + 4 * 3600, json.dumps({"kwh": 0}))], [])  # the stream moves on
    use = energy.usage(h, ["m1", "m2", "nobody"], "kwh", T0, T0 + 2 * 3600)
    assert use == {"m1": pytest.approx(20.0), "m2": pytest.approx(5.5)}
    assert energy.usage(h, ["m1"], "kwh", T0, T0 + 1800) == {"m1": pytest.approx(4.0)}
    h.close()


def test_by_building_top_and_carbon():
    s = _scene(buildings=[Building(f"b{k}", "", 10, "default", "t") for k in range(3)])
    per = energy.by_building(
        s, {"m1": 5.0, "m2": 2.0, "m3": 7.0, "m4": 1.0}, {"m1": 0, "m2": 0, "m3": 2}
    )
    assert per == {0: 7.0, 2: 7.0}
    assert energy.top({"a": 1.0, "b": 3.0, "c": 2.0, "d": float("nan")}, 2) == [
        ("b", 3.0),
        ("c", 2.0),
    ]
    assert energy.carbon_kg(1000) == pytest.approx(570.3)
    arr = energy.per_building_array(s, per)
    assert arr[0] == 7.0 and np.isnan(arr[1])


def test_night_flow_finds_the_leak_only(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite")
    start = datetime(2027, 1, 14, 18, tzinfo=UTC).timestamp()
    n = 14 * 6  # 18:00 to 08:00 every 10 minutes
    leak, normal, drip = [10.0], [20.0], [30.0]
    for k in range(1, n):
        hour = (18 + k // 6) % 24
        leak.append(leak[-1] + 0.03)  # 0.18 m3 an hour, all night
        normal.append(normal[-1] + (0.05 if hour >= 18 or 6 <= hour < 8 else 0.0))
        drip.append(drip[-1] + (0.03 if hour != 3 else 0.0))  # stops for an hour: not a leak
    rows = _rows("leak", start, 600, leak, "water_m3") + _rows(
        "normal", start, 600, normal, "water_m3"
    )
    rows += _rows("drip", start, 600, drip, "water_m3")
    h.write(sorted(rows, key=lambda r: r[1]), [])
    end = datetime(2027, 1, 15, 8, tzinfo=UTC).timestamp()
    assert energy.night_window(end, UTC) == (end - 7 * 3600, end - 3 * 3600)
    found = energy.night_flow(h, ["leak", "normal", "drip", "none"], end, UTC)
    assert [m for m, _ in found] == ["leak"]
    assert found[0][1] == pytest.approx(0.18)
    assert energy.night_flow(h, ["leak"], end, UTC, min_rate=0.2) == []
    h.close()


def test_abnormal_vs_usual(tmp_path):
    h = HistoryStore(tmp_path / "h.sqlite")
    day0 = datetime(2027, 3, 1, tzinfo=UTC).timestamp()
    rows = []
    for name, today_rate in (("steady", 1.0), ("spike", 3.0)):
        v, vals = 0.0, []
        for k in range(8 * 24):
            v += today_rate if k >= 7 * 24 else 1.0
            vals.append(v)
        rows += _rows(name, day0, 3600, vals, "kwh")
    rows += _rows("new", day0 + 7 * 86400, 3600, [float(k) for k in range(12)], "kwh")
    h.write(sorted(rows, key=lambda r: r[1]), [])
    end = day0 + 7 * 86400 + 12 * 3600
    got = energy.abnormal_vs_usual(h, ["steady", "spike", "new"], "kwh", end, UTC)
    assert got == [("spike", pytest.approx(33.0), pytest.approx(11.0))]
    h.close()


def test_meter_buildings():
    b0 = Building("b0", "", 10, "default", "t", footprint_wkb=shapely.to_wkb(box(0, 0, 10, 10)))
    b1 = Building("b1", "", 10, "default", "t", footprint_wkb=shapely.to_wkb(box(50, 0, 60, 10)))
    b2 = Building("b2", "", 10, "default", "t")  # no footprint
    meters = [
        _dev("in", "meter", 5, 5),
        _dev("near", "meter", 70, 5),
        _dev("far", "meter", 200, 200),
    ]
    assert energy.meter_buildings(_scene(meters, buildings=[b0, b1, b2])) == {"in": 0, "near": 1}


def test_demo_meters_map_to_buildings(demo_scene):
    mb = energy.meter_buildings(demo_scene)
    meters = demo_scene.devices_of("meter")
    assert len(mb) >= 0.8 * len(meters)
    for m in meters:
        if m.id in mb:
            fp = shapely.from_wkb(demo_scene.buildings[mb[m.id]].footprint_wkb)
            assert fp.distance(SPoint(m.x, m.y)) <= 30.0


# -- frusta ------------------------------------------------------------------------------------
def _camera(i="c", x=0.0, y=0.0, heading=90.0, tilt=15.0, fov=90.0, subkind="hd", mount=6.0):
    return _dev(
        i, "camera", x, y, heading=heading, tilt=tilt, fov=fov, subkind=subkind, mount_height=mount
    )


def test_frustum_geometry():
    from twin.render.frusta import GROUND_Z, REACH, frustum_edges, frustum_polydata

    cam = _camera()
    poly = frustum_polydata([cam], np.array([[255, 0, 0]]))
    assert poly.n_cells == 5
    pts = np.asarray(poly.points)
    assert np.allclose(pts[0], [0, 0, 6])
    far = pts[1:]
    assert np.all(far[:, 0] > 0) and np.all(pts[:, 2] >= GROUND_Z - 1e-9)
    # in the camera's frame (forward: east tilted 15 deg down; right: south) the corners are at
    # +-45 deg horizontally, the vertical fov is 90 * 9 / 16 deg
    t = math.radians(15)
    fwd, right = np.array([math.cos(t), 0, -math.sin(t)]), np.array([0, -1.0, 0])
    up = np.cross(right, fwd)
    rel = far - pts[0]
    assert np.allclose(np.abs(rel @ right) / (rel @ fwd), 1.0)
    assert np.allclose(np.abs(rel @ up) / (rel @ fwd), math.tan(math.radians(90 * 9 / 32)))
    assert np.all(np.linalg.norm(far - pts[0], axis=1) <= REACH["hd"] + 1e-9)
    # the lower rays end on the ground, the upper ones (looking 15 - 25 deg = up) at full reach
    assert np.sum(np.isclose(far[:, 2], GROUND_Z)) == 2
    assert np.asarray(poly.cell_data["rgb"]).tolist() == [[255, 0, 0]] * 5
    pano = _camera("p", x=100, subkind="panorama", fov=360.0, mount=30)
    both = frustum_polydata([cam, pano], np.array([[255, 0, 0], [0, 0, 255]]))
    assert both.n_cells == 5 + 48
    disc = np.asarray(both.points)[5:]
    assert np.allclose(disc[:, 2], GROUND_Z)
    r = np.hypot(disc[1:, 0] - 100, disc[1:, 1])
    assert np.allclose(r, REACH["panorama"])
    edges = frustum_edges([cam, pano], np.array([[255, 0, 0], [0, 0, 255]]))
    assert edges.n_cells == 8 + 48 and edges.n_lines == 8 + 48
    assert np.asarray(edges.cell_data["rgb"])[-1].tolist() == [0, 0, 255]
    north = frustum_polydata(
        [_camera(heading=0, tilt=0, fov=60)], np.zeros((1, 3)), reach={"hd": 10}
    )
    fp = np.asarray(north.points)[1:]
    assert np.all(fp[:, 1] > 8) and np.allclose(np.linalg.norm(fp - [0, 0, 6], axis=1), 10)


def test_frusta_actors_are_reused():
    import pyvista as pv

    from twin.render.frusta import add_frusta, set_frusta

    p = pv.Plotter(off_screen=True, window_size=(200, 150))
    cams = [_camera(), _camera("d", x=30, heading=200)]
    faces, edges = add_frusta(p, cams, np.array([[255, 0, 0], [0, 255, 0]]))
    n_actors = len(p.renderer.actors)
    set_frusta((faces, edges), cams[:1], np.array([[0, 0, 255]]))
    assert len(p.renderer.actors) == n_actors
    assert faces.GetMapper().GetInput().GetNumberOfCells() == 5
    set_frusta((faces, edges), [], np.zeros((0, 3)))
    assert not faces.GetVisibility()
    p.screenshot(return_img=True)
    p.close()


# -- heat map and building colours ---------------------------------------------------------------
def test_ramp_colours_follow_the_thresholds():
    from twin.render.heatmap import grid_polydata, legend_stops, ramp_colours

    pm25 = env.QUANTITIES["pm25"]
    rgb, alpha = ramp_colours(np.array([20.0, 50.0, 80.0, np.nan]), pm25)
    ok, warn, bad = rgb[:3].astype(int)
    assert ok[1] > ok[0] and ok[1] > ok[2]  # green
    assert bad[0] > 1.5 * bad[1] and bad[0] > 1.5 * bad[2]  # red
    assert warn[0] > warn[2] and warn[1] > warn[2]  # amber
    assert alpha.tolist() == [255, 255, 255, 0]
    hum, _ = ramp_colours(np.array([10.0, 90.0]), env.QUANTITIES["humidity_pct"])
    assert hum[0].tolist() != hum[1].tolist()
    g = env.Grid(0.0, 0.0, 10.0, 3, 2, np.array([[10.0, np.nan, 80.0], [np.nan, np.nan, 40.0]]))
    poly = grid_polydata(g, pm25)
    assert poly.n_cells == 3
    rgba = np.asarray(poly.cell_data["rgba"])
    assert rgba.shape == (3, 4) and set(rgba[:, 3].tolist()) == {170}
    assert np.allclose(np.asarray(poly.points)[:, 2], 0.6)
    stops = legend_stops(pm25, "en")
    assert any("75" in t for t, _ in stops) and any("GB 3095-2012" in t for t, _ in stops)
    assert any("二级" in t for t, _ in legend_stops(pm25, "zh"))


def test_building_colours_recolour_and_reset():
    import pyvista as pv

    from twin.render import style
    from twin.render.heatmap import (
        _building_poly,
        building_colours,
        energy_legend,
        reset_building_colours,
    )
    from twin.render.scenevis import SceneVisual

    cube = pv.Cube(center=(0, 0, 5), x_length=10, y_length=10, z_length=10).triangulate()
    faces = np.asarray(cube.faces).reshape(-1, 4)[:, 1:]
    pts = np.asarray(cube.points)
    parts = [(pts, faces, 0), (pts + [30, 0, 0], faces, 1), (pts + [60, 0, 0], faces, 2)]
    s = _scene(buildings=[Building(f"b{k}", "", 10, "default", "t") for k in range(3)])
    s.meshes["building"] = Mesh.merge(parts)
    p = pv.Plotter(off_screen=True, window_size=(200, 150))
    vis = SceneVisual(s)
    vis.add_to(p)
    p.camera_position = [(30, -80, 60), (30, 0, 5), (0, 0, 1)]
    p.render()
    img_before = np.asarray(p.screenshot(return_img=True)).astype(int)
    poly = _building_poly(vis)
    before = np.asarray(poly.cell_data["rgb"]).copy()
    vmax = building_colours(vis, np.array([1.0, 100.0, np.nan]))
    assert vmax == 100.0
    after = np.asarray(poly.cell_data["rgb"]).astype(int)
    ent = np.asarray(poly.cell_data["entity"])
    assert not np.array_equal(after, before)
    top = np.argmax(np.asarray(poly.cell_data["shade"]) * (ent == 1))
    assert after[top, 0] > after[top, 2]  # the biggest user is hot
    low = np.argmax(np.asarray(poly.cell_data["shade"]) * (ent == 0))
    assert after[low, 2] > after[low, 0]  # the smallest is cool
    assert np.all(after[ent == 2] <= before[ent == 2])  # no data: darker
    p.render()
    img = np.asarray(p.screenshot(return_img=True)).astype(int)
    assert np.abs(img - img_before).sum(axis=2).astype(bool).mean() > 0.05  # the frame shows it
    reset_building_colours(vis)
    assert np.array_equal(np.asarray(poly.cell_data["rgb"]), before)
    p.render()
    assert np.array_equal(np.asarray(p.screenshot(return_img=True)).astype(int), img_before)
    legend = energy_legend(100.0, "kWh", "zh")
    assert legend[-1][0] == "无数据" and legend[-2][0].startswith(">= 100")
    assert all(h.startswith("#") for _, h in legend)
    assert style.BUILDING
    p.close()
