"""Buildings are shaded by height (a calm ramp under the status colours), computed once when
the scene is built, and the energy view's reset returns to exactly those colours."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.core.frame import LocalFrame
from twin.render import style
from twin.render.heatmap import _building_poly, building_colours, reset_building_colours
from twin.render.scenevis import SceneVisual, _project, shaded
from twin.scene.entities import Building, Mesh
from twin.scene.scene import Scene
from twin.scene.scenefile import SceneSpec

SIZE = (400, 300)


def _box(x: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    cube = pv.Cube(
        center=(x, 0, height / 2), x_length=10, y_length=10, z_length=height
    ).triangulate()
    return np.asarray(cube.points), np.asarray(cube.faces).reshape(-1, 4)[:, 1:]


@pytest.fixture
def two_buildings():
    """A 5 m and a 50 m building side by side, seen from the south."""
    s = Scene("t", LocalFrame("EPSG:3067", 0.0, 0.0, 0.0, 0.0), SceneSpec(name="t"))
    s.buildings = [
        Building("low", "", 5.0, "height", "t"),
        Building("tall", "", 50.0, "height", "t"),
    ]
    (p0, f0), (p1, f1) = _box(0.0, 5.0), _box(30.0, 50.0)
    s.meshes["building"] = Mesh.merge([(p0, f0, 0), (p1, f1, 1)])
    p = pv.Plotter(off_screen=True, window_size=SIZE)
    p.set_background(style.BACKGROUND)
    vis = SceneVisual(s)
    vis.add_to(p)
    p.camera_position = [(15, -120, 40), (15, 0, 15), (0, 0, 1)]
    p.renderer.ResetCameraClippingRange()
    yield p, vis
    p.close()


def _frame(p: pv.Plotter) -> np.ndarray:
    p.render_window.Render()
    return np.asarray(p.screenshot(return_img=True))[:, :, :3].astype(int)


def _pixel(p: pv.Plotter, img: np.ndarray, xyz) -> np.ndarray:
    ndc = _project(p, np.array([xyz], dtype=float))[0]
    col = int((ndc[0] + 1) / 2 * SIZE[0])
    row = int((1 - ndc[1]) / 2 * SIZE[1])
    return img[row, col]


def test_the_tall_building_is_lighter_than_the_low_one(two_buildings):
    p, vis = two_buildings
    img = _frame(p)
    # the middle of each south facade: the same face direction, so the same baked shade
    low = _pixel(p, img, (0.0, -5.0, 2.5))
    tall = _pixel(p, img, (30.0, -5.0, 12.0))
    assert tall.sum() > low.sum() + 120  # lighter, clearly
    for px in (low, tall):
        assert px[2] > px[0] + 20 and px[2] >= px[1]  # blue-grey, never a status hue
    # the pixels are the ramp's colours times the face's shade: drawn unlit, as built
    shade = style.face_shade(np.array([[0.0, -1.0, 0.0]]))
    for px, h in ((low, 5.0), (tall, 50.0)):
        want = shaded(style.building_colours([h]).round(), shade)[0]
        assert np.abs(px - want).max() <= 2


def test_energy_colours_reset_to_the_height_colours(two_buildings):
    p, vis = two_buildings
    poly = _building_poly(vis)
    built = np.asarray(poly.cell_data["rgb"]).copy()
    before = _frame(p)
    ent = np.asarray(poly.cell_data["entity"])
    assert not np.array_equal(built[ent == 0][0], built[ent == 1][0])
    assert building_colours(vis, np.array([1.0, 100.0])) == 100.0
    assert not np.array_equal(np.asarray(poly.cell_data["rgb"]), built)
    assert not np.array_equal(_frame(p), before)
    # a building without data keeps its own (height) colour, darker
    building_colours(vis, np.array([np.nan, 100.0]))
    dark = np.asarray(poly.cell_data["rgb"])[ent == 0].astype(int)
    assert np.all(dark <= built[ent == 0]) and np.any(dark < built[ent == 0])
    reset_building_colours(vis)
    assert np.array_equal(np.asarray(poly.cell_data["rgb"]), built)
    assert np.array_equal(_frame(p), before)


def test_the_ramp_stays_clear_of_the_status_colours():
    heights = np.geomspace(1.0, 200.0, 60)
    cols = style.building_colours(heights)
    # monotone lighter with height, clamped outside 3 .. 60 m
    lum = cols @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(lum) >= -1e-9) and lum[-1] > lum[0] + 80
    assert np.allclose(cols[heights <= 3.0], cols[0]) and np.allclose(cols[heights >= 60], cols[-1])
    # blue-grey throughout, and far from every status colour (a status must stand out on it)
    assert np.all(cols[:, 2] >= cols[:, 1]) and np.all(cols[:, 1] >= cols[:, 0])
    for status, hex_colour in style.STATUS.items():
        d = np.abs(cols - np.array(style.rgb(hex_colour))).sum(axis=1)
        # the offline grey is the nearest: where the ramp is as light, it is clearly bluer
        assert d.min() > (50 if status == "offline" else 75), status
