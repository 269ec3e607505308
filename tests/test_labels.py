"""Scene labels never overlap: the greedy box selection on its own, then real offscreen frames
(the boxes are what is drawn, a left-out label leaves no pixel, zooming in keeps more) and the
parking view's car-park labels on the demo."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.render import style
from twin.render.labellayer import FRAME, LabelLayer
from twin.render.labels import any_overlap, declutter, overlaps, screen_boxes

SIZE = (640, 480)
BG = np.array(style.rgb(style.BACKGROUND))


# -- the geometry alone --------------------------------------------------------------------
def test_declutter_keeps_by_priority_and_never_two_overlapping():
    boxes = np.array(
        [
            [0, 0, 10, 10],  # 0
            [5, 5, 15, 15],  # 1: meets 0 and 2
            [10, 10, 20, 20],  # 2: touches 0 at a corner only
            [30, 0, 40, 10],  # 3: alone
            [32, 2, 38, 8],  # 4: inside 3
        ],
        dtype=float,
    )
    assert declutter(boxes).tolist() == [0, 2, 3]  # no priority: the order given
    kept = declutter(boxes, priority=[0, 5, 0, 1, 2])
    assert kept.tolist() == [1, 4]  # highest first; 0, 2 meet 1, 3 meets 4
    assert not any_overlap(boxes[kept])
    # ties keep the order given; an ineligible label (off screen) leaves room for others
    assert declutter(boxes, priority=[1, 1, 1, 1, 1]).tolist() == [0, 2, 3]
    assert declutter(boxes, eligible=[False, True, True, True, True]).tolist() == [1, 3]
    assert declutter(np.zeros((0, 4))).tolist() == []
    # half-open boxes: sharing an edge is not overlapping
    assert not any_overlap([(0, 0, 10, 10), (10, 0, 20, 10)])
    assert any_overlap([(0, 0, 10, 10), (9, 0, 20, 10)])
    assert overlaps(boxes)[0, 1] and not overlaps(boxes)[0, 2]


def test_random_boxes_are_kept_greedily():
    """Each left-out label meets a kept label of at least its priority (nothing is left out
    for nothing), and no two kept ones meet."""
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 300, (200, 2))
    boxes = np.column_stack([xy, xy + rng.uniform(10, 60, (200, 2))])
    pri = rng.uniform(0, 1, 200)
    kept = declutter(boxes, pri)
    assert not any_overlap(boxes[kept])
    hit = overlaps(boxes)
    for i in set(range(200)) - set(kept.tolist()):
        assert any(hit[i, k] and pri[k] >= pri[i] for k in kept)
    assert kept[0] == int(np.argmax(pri))


def test_screen_boxes_follow_the_text_mappers_pixel_rule():
    # extents as vtkTextRenderer gives them (both ends covered); anchor pixel floor(a - 0.5)
    b = screen_boxes(
        np.array([[200.0, 150.0], [202.65, 250.87]]), np.array([[-45, 45, -2, 16]] * 2)
    )
    assert b.tolist() == [[154, 147, 245, 166], [157, 248, 248, 267]]


# -- real frames -----------------------------------------------------------------------------
def _plotter(height: float = 400.0) -> pv.Plotter:
    p = pv.Plotter(off_screen=True, window_size=SIZE)
    p.set_background(style.BACKGROUND)
    p.camera.focal_point = (0.0, 0.0, 0.0)
    p.camera.position = (0.0, 0.0, height)
    p.camera.up = (0.0, 1.0, 0.0)
    p.camera.view_angle = 30.0
    return p


def _frame(p: pv.Plotter) -> np.ndarray:
    p.render_window.Render()
    return np.asarray(p.screenshot(return_img=True))[:, :, :3].astype(int)


def _mask(boxes, shape) -> np.ndarray:
    """Screenshot pixels (row 0 at the top) inside display-pixel boxes (row 0 at the bottom)."""
    h = shape[0]
    m = np.zeros(shape[:2], dtype=bool)
    for x0, y0, x1, y1 in boxes:
        m[max(h - int(y1), 0) : max(h - int(y0), 0), max(int(x0), 0) : max(int(x1), 0)] = True
    return m


def _cluster(n: int = 40, seed: int = 1) -> tuple[np.ndarray, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    xyz = np.column_stack([rng.uniform(-12, 12, n), rng.uniform(-9, 9, n), np.zeros(n)])
    texts = [f"P{i + 1}  {int(rng.integers(0, 300))}/300" for i in range(n)]
    return xyz, texts, rng.uniform(0, 100, n)


def test_overlapping_labels_are_decluttered_in_the_frame():
    xyz, texts, pri = _cluster()
    p = _plotter(400.0)  # 24 m of points span about 70 px: the labels pile up
    try:
        layer = LabelLayer(p.renderer)
        layer.show(xyz, texts, 16, priority=pri)
        img = _frame(p)
        far = layer.kept()
        boxes = layer.boxes()
        assert 1 <= len(far) < len(texts) // 4
        assert far[0] == int(np.argmax(pri))  # the most important label is drawn
        assert not any_overlap(boxes)
        # the boxes are what is drawn: every label pixel lies in a box, and boxes are filled
        drawn = np.abs(img - BG).max(axis=2) > 3
        inside = _mask(boxes, img.shape)
        assert not (drawn & ~inside).any()
        assert (drawn & inside).sum() > 0.9 * inside.sum()
        # closer, the same labels spread out: more of them fit
        p.camera.position = (0.0, 0.0, 60.0)
        img = _frame(p)
        near = layer.kept()
        assert len(near) > len(far) + 3
        assert near[0] == int(np.argmax(pri))
        assert not any_overlap(layer.boxes())
        drawn = np.abs(img - BG).max(axis=2) > 3
        assert not (drawn & ~_mask(layer.boxes(), img.shape)).any()
        # an unchanged camera does not declutter again; a hidden layer draws no boxes
        assert not layer.update()
        layer.hide()
        assert layer.boxes() == [] and not np.any(np.abs(_frame(p) - BG).max(axis=2) > 3)
    finally:
        p.close()


def test_chinese_labels_in_the_cjk_font_are_measured_as_drawn():
    from twin.render.fonts import cjk_font

    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed")
    xyz, _, pri = _cluster(12, seed=2)
    texts = [f"停车场{i + 1}  空位 {i * 3}/40" for i in range(12)]
    p = _plotter(150.0)
    try:
        layer = LabelLayer(p.renderer)
        layer.show(xyz, texts, 18, font=font, priority=pri)
        img = _frame(p)
        boxes = layer.boxes()
        assert 1 <= len(boxes) < 12 and not any_overlap(boxes)
        drawn = np.abs(img - BG).max(axis=2) > 3
        assert not (drawn & ~_mask(boxes, img.shape)).any()
        assert all(_framed(img, b) > 0.9 for b in boxes)
    finally:
        p.close()


def test_a_left_out_label_leaves_no_pixel():
    """Two labels whose boxes overlap in part: with both given, the frame is exactly the frame
    of the more important one alone, so none of the other's own area is drawn."""
    a, b = np.array([[0.0, 0.0, 0.0]]), np.array([[3.0, 1.0, 0.0]])
    p = _plotter(200.0)
    try:
        layer = LabelLayer(p.renderer)
        layer.show(b, ["B  12/40"], 16)
        only_b = _frame(p)
        (box_b,) = layer.boxes()
        layer.show(a, ["A  7/120"], 16)
        only_a = _frame(p)
        (box_a,) = layer.boxes()
        assert any_overlap([box_a, box_b])
        own_b = _mask([box_b], only_b.shape) & ~_mask([box_a], only_b.shape)
        assert own_b.sum() > 200  # B reaches well outside A's box
        assert np.abs(only_b - BG).max(axis=2)[own_b].mean() > 3  # ...and is drawn there alone
        layer.show(np.vstack([a, b]), ["A  7/120", "B  12/40"], 16, priority=[2, 1])
        both = _frame(p)
        assert layer.kept() == [0] and layer.boxes() == [box_a]
        assert np.array_equal(both, only_a)
        assert np.abs(both - BG).max(axis=2)[own_b].max() <= 3
        # the other way round, B is drawn and A left out
        layer.show(np.vstack([a, b]), ["A  7/120", "B  12/40"], 16, priority=[1, 2])
        assert np.array_equal(_frame(p), only_b) and layer.kept() == [1]
    finally:
        p.close()


def test_labels_off_screen_or_behind_the_camera_are_not_drawn():
    p = _plotter(100.0)
    try:
        layer = LabelLayer(p.renderer)
        # on screen, far outside the frustum, and above the camera (behind it when looking down)
        xyz = np.array([[0.0, 0.0, 0.0], [500.0, 0.0, 0.0], [0.0, 0.0, 150.0]])
        layer.show(xyz, ["here", "far away", "behind"], 16, priority=[0, 2, 1])
        _frame(p)
        assert layer.kept() == [0]
        with pytest.raises(ValueError):
            layer.show(xyz, ["one", "two"], 16)
    finally:
        p.close()


# -- the demo's parking view -----------------------------------------------------------------
@pytest.fixture(scope="module")
def parking_frame(demo_scene):
    from twin.analysis.parking import summarise
    from twin.render.offscreen import compose
    from twin.render.viewlayers import ViewLayers

    plotter, vis = compose(demo_scene, "parking", (1280, 720), "en")
    layers = ViewLayers(plotter, vis)
    layers.set_view("parking")
    # the parking panel's labels (twin/shell/panels/parking.py), every space's state unknown
    lots = [lt for lt in summarise(demo_scene, {}, {}).lots if lt.spaces]
    texts = [f"{lt.name or f'P{lt.index + 1}'}  {lt.free}/{lt.spaces}" for lt in lots]
    xyz = np.array([[lt.x, lt.y, 6.0] for lt in lots])
    layers.show_labels(xyz, texts, size_px=16, priority=[lt.spaces for lt in lots])
    yield plotter, vis, layers, lots
    plotter.close()


def test_parking_labels_on_the_demo_never_overlap(parking_frame, demo_scene):
    from twin.render.scenevis import frame_bookmark, frame_community

    plotter, _vis, layers, lots = parking_frame
    assert len(lots) >= 5
    size = (1280, 720)
    cam = plotter.camera
    poses = [
        lambda: None,
        lambda: cam.Dolly(0.4),
        lambda: frame_community(plotter, demo_scene, size),
    ]
    poses += [
        lambda v=v: frame_bookmark(
            plotter, *demo_scene.view_targets[v.name], v.distance, v.heading, v.pitch, size
        )
        for v in demo_scene.spec.views
    ]
    drawn, hidden = [], []
    for pose in poses:
        pose()
        img = _frame(plotter)
        boxes = layers.label_boxes()
        assert not any_overlap(boxes)
        # the boxes are where the labels are drawn: each one's outline is the label's frame
        assert all(_framed(img, b) > 0.9 for b in boxes)
        drawn.append(len(boxes))
        hidden.append(sum(_on_screen(plotter, lt) for lt in lots) - len(boxes))
    assert drawn[0] >= 5 and max(drawn) >= 8
    assert hidden[1] >= 3  # from farther away labels collide, and some are left out
    # the largest car park has the highest priority: drawn wherever its anchor is on screen
    biggest = int(np.argmax([lt.spaces for lt in lots]))
    frame_community(plotter, demo_scene, size)
    _frame(plotter)
    kept = layers._label_layer.kept()
    assert kept and (biggest in kept) == _on_screen(plotter, lots[biggest])


def _framed(img: np.ndarray, box) -> float:
    """Share of a box's outline (display pixels) drawn in the labels' frame colour."""
    frame = np.array(style.rgb(FRAME))
    h = img.shape[0]
    x0, y0, x1, y1 = (int(v) for v in box)
    x0, x1 = max(x0, 0), min(x1, img.shape[1])
    rows = [h - y1, h - 1 - y0]  # the box's top and bottom rows in the screenshot
    outline = np.concatenate([img[r, x0:x1] for r in rows if 0 <= r < h])
    return float((np.abs(outline - frame).max(axis=1) <= 2).mean())


def _on_screen(plotter, lot) -> bool:
    from twin.render.scenevis import _project

    ndc = _project(plotter, np.array([[lot.x, lot.y, 6.0]]))[0]
    return bool(np.all(np.abs(ndc) < 1))
