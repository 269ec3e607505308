"""Rendered frames, checked by pixel: devices' colours where they stand, the dark wall style."""

from __future__ import annotations

import numpy as np
import pytest
import vtk
from PIL import Image

from tests.conftest import DEMO, run_twin
from twin.render.offscreen import compose
from twin.render.scenevis import _project
from twin.render.style import BACKGROUND, rgb
from twin.scene.catalogue import CATALOGUE
from twin.scene.views import REGISTRY

SIZE = (1280, 720)


@pytest.fixture(scope="module")
def frame(demo_scene):
    plotter, vis = compose(demo_scene, "overview", SIZE, "en")
    img = plotter.screenshot(return_img=True)
    yield plotter, vis, np.asarray(img)[:, :, :3].astype(int)
    plotter.close()


def _pixels_of(plotter, devices):
    """Pixel (column, row) of each device's marker."""
    lift = np.array([max(CATALOGUE[d.kind].mount_height, 1.0) + 1.5 for d in devices])
    pts = np.column_stack([[d.x for d in devices], [d.y for d in devices], lift])
    ndc = _project(plotter, pts)
    col = (ndc[:, 0] + 1) / 2 * SIZE[0]
    row = (1 - (ndc[:, 1] + 1) / 2) * SIZE[1]
    return np.column_stack([col, row]).round().astype(int)


@pytest.mark.parametrize("kind", ["hydrant", "camera", "pole", "manhole", "trash_bin"])
def test_devices_colour_where_they_stand(frame, demo_scene, kind):
    plotter, _, img = frame
    devices = demo_scene.devices_of(kind)
    colour = np.array(rgb(CATALOGUE[kind].colour))
    px = _pixels_of(plotter, devices)
    hits = 0
    for c, r in px:
        win = img[max(r - 3, 0) : r + 4, max(c - 3, 0) : c + 4].reshape(-1, 3)
        if len(win) and np.min(np.abs(win - colour).sum(axis=1)) <= 60:
            hits += 1
    # markers of denser kinds overlap each other; most must still show their own colour
    assert hits / len(devices) >= (0.9 if kind in ("hydrant", "camera") else 0.6), (
        f"{kind}: {hits}/{len(devices)}"
    )


def test_colour_is_not_everywhere(frame, demo_scene):
    """The hydrant colour appears only near hydrants (the check above cannot pass by accident)."""
    plotter, _, img = frame
    colour = np.array(rgb(CATALOGUE["hydrant"].colour))
    match = np.abs(img - colour).sum(axis=2) <= 40
    match[SIZE[1] // 3 :, : int(SIZE[0] * 0.25)] = False  # the legend's own swatch and label
    rows, cols = np.nonzero(match)
    assert len(rows) > 37
    px = _pixels_of(plotter, demo_scene.devices_of("hydrant"))
    d = np.min(np.hypot(cols[:, None] - px[None, :, 0], rows[:, None] - px[None, :, 1]), axis=1)
    assert np.mean(d < 12) > 0.95


def test_whole_scene_is_framed_on_a_dark_background(frame, demo_scene):
    plotter, _, img = frame
    b = demo_scene.bounds()
    corners = np.array([[x, y, 0.0] for x in b[:2] for y in b[2:4]])
    ndc = _project(plotter, corners)
    assert np.all(np.abs(ndc) <= 1.0), "every corner of the scene is inside the frame"
    assert np.max(np.abs(ndc)) > 0.8, "and the scene fills the frame"
    # top-right corner is background: dark
    assert img[5:40, -40:-5].mean() < 40
    assert np.abs(img[-3, -3] - np.array(rgb(BACKGROUND))).sum() < 60


def test_buildings_are_drawn(frame, demo_scene):
    plotter, vis, img = frame
    assert "building" in vis.actors
    # the building grey-blue dominates the scene's middle
    mid = img[SIZE[1] // 3 : 2 * SIZE[1] // 3, SIZE[0] // 3 : 2 * SIZE[0] // 3].reshape(-1, 3)
    bright = (mid.mean(axis=1) > 90).mean()
    assert bright > 0.2


def test_one_actor_per_kind_not_per_device(frame, demo_scene):
    plotter, vis, _ = frame
    kinds = {d.kind for d in demo_scene.devices}
    assert set(vis.glyphs) == kinds
    n_actors = plotter.renderer.GetActors().GetNumberOfItems()
    assert n_actors < 30 < len(demo_scene.devices)


@pytest.mark.slow
def test_cli_render_writes_a_png(tmp_path):
    out = tmp_path / "demo.png"
    r = run_twin(
        "render",
        str(DEMO),
        "--view",
        "overview",
        "--out",
        str(out),
        "--size",
        "800x450",
        "--lang",
        "zh",
    )
    assert r.returncode == 0, r.stderr
    img = np.asarray(Image.open(out))
    assert img.shape[:2] == (450, 800)
    assert img[..., :3].mean() < 110  # dark theme


@pytest.mark.slow
def test_bookmark_view(tmp_path):
    out = tmp_path / "bm.png"
    r = run_twin(
        "render", str(DEMO), "--view", "railway-square", "--out", str(out), "--size", "640x360"
    )
    assert r.returncode == 0, r.stderr
    r = run_twin("render", str(DEMO), "--view", "nowhere", "--out", str(out))
    assert r.returncode == 2 and "railway-square" in r.stderr


@pytest.mark.parametrize("view", ["security", "parking", "environment", "energy"])
def test_a_situational_view_offscreen_shows_its_kinds_and_title(demo_scene, view):
    """``twin render --view security`` reads the registry: the view's device kinds only, its
    title as the caption, the legend counting its devices; the camera from a bookmark."""
    plotter, vis = compose(demo_scene, view, SIZE, "zh", camera="railway-square")
    try:
        kinds = REGISTRY[view].kinds
        for kind, layer in vis.glyphs.items():
            assert bool(layer.actor.GetVisibility()) == (kind in kinds), (view, kind)
        texts = [
            a.GetInput()
            for a in _props(vis.overlay or plotter.renderer)
            if isinstance(a, vtk.vtkTextActor)
        ]
        assert REGISTRY[view].title_zh in texts
        legend = vis.labels["legend"]
        entries = [legend.GetEntryString(i) for i in range(legend.GetNumberOfEntries())]
        shown = {k for k in demo_scene.counts() if k in kinds}
        assert len(entries) == len(shown) > 0
        bm = next(v for v in demo_scene.spec.views if v.name == "railway-square")
        focal = np.array(plotter.camera.GetFocalPoint())[:2]
        assert np.allclose(focal, demo_scene.view_targets[bm.name], atol=0.01)
    finally:
        plotter.close()


def test_offscreen_view_names_are_checked(demo_scene):
    from twin.core.errors import InputError
    from twin.render.offscreen import resolve_view

    assert resolve_view(demo_scene, "security") == ("security", None)
    assert resolve_view(demo_scene, "railway-square") == ("overview", "railway-square")
    with pytest.raises(InputError, match="security.*railway-square"):
        resolve_view(demo_scene, "weather")
    with pytest.raises(InputError, match="not a camera bookmark"):
        resolve_view(demo_scene, "parking", "nowhere")


def _props(renderer):
    c = renderer.GetViewProps()
    c.InitTraversal()
    return [c.GetNextProp() for _ in range(c.GetNumberOfItems())]


def test_restyling_devices_changes_their_pixels(demo_scene):
    """The live-state path: one colour array write per kind, and the frame shows it."""
    plotter, vis = compose(demo_scene, "overview", SIZE, "en")
    try:
        hydrants = demo_scene.devices_of("hydrant")
        red = np.array([255, 59, 48])  # the alarm colour
        px = _pixels_of(plotter, hydrants)

        def red_near(img):
            n = 0
            for c, r in px:
                win = img[max(r - 3, 0) : r + 4, max(c - 3, 0) : c + 4].reshape(-1, 3)
                n += bool(len(win) and np.min(np.abs(win - red).sum(axis=1)) <= 60)
            return n

        before = red_near(np.asarray(plotter.screenshot(return_img=True))[:, :, :3].astype(int))
        vis.set_device_colours("hydrant", np.tile(red, (len(hydrants), 1)))
        plotter.render()  # the live loop asks for one render per tick
        after = red_near(np.asarray(plotter.screenshot(return_img=True))[:, :, :3].astype(int))
        assert before <= 2 and after >= 0.9 * len(hydrants)
    finally:
        plotter.close()
