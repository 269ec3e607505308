"""The planning view's what-if in the real window under Xvfb: a real mouse drag of a camera
changes the covered length of the important roads by what the engine computes for the new
pose; the heading handle turns it; the inspector re-lenses it; Ctrl+Z / Ctrl+Shift+Z; a camera
added on a pole; suggestions accepted; the kept variant reopens and audits to the figures
shown; the report of the edited layout; and the live state and event log never see an edit."""

from __future__ import annotations

import math
import os
import shutil

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore  # noqa: E402

from twin.analysis.camera_layout import CameraLayout  # noqa: E402
from twin.analysis.covered import cover_line  # noqa: E402

pytestmark = pytest.mark.gui
LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _private_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def planning(window, qtbot):
    """The demo window on the planning view with its session made; every edit taken back
    after the test (the window is shared)."""
    win = window
    panel = win.panels["planning"]
    win.set_view("planning")
    panel.wait_job(90)
    assert panel.session is not None and panel.error is None
    vp = win.viewport
    vp.fly_to_pose(panel.community_pose(), seconds=0)
    yield win, panel
    panel.b_add.setChecked(False)
    panel.discard()  # every step taken back, the rules re-run
    panel.session.redo_stack.clear()
    panel._set_ghosts([])
    panel.select_camera(None)
    panel.b_compare.setChecked(False)
    panel.wait_job(30)


def qt_point(win, xyz):
    """The widget point (Qt logical pixels) of a world point."""
    vp = win.viewport
    px = vp.screen_points(np.array([xyz], dtype=float))[0]
    h = vp.plotter.renderer.GetSize()[1]
    dpr = vp.plotter.interactor.devicePixelRatioF()
    return QtCore.QPoint(round(px[0] / dpr), round((h - 1 - px[1]) / dpr))


def drag(qtbot, win, a, b, steps=8):
    """A real mouse drag on the 3D widget from world point ``a`` to world point ``b``."""
    w = win.viewport.plotter.interactor
    p0, p1 = qt_point(win, a), qt_point(win, b)
    qtbot.mousePress(w, LEFT, pos=p0)
    for k in range(1, steps + 1):
        t = k / steps
        p = QtCore.QPoint(
            round(p0.x() + t * (p1.x() - p0.x())), round(p0.y() + t * (p1.y() - p0.y()))
        )
        qtbot.mouseMove(w, pos=p)
        qtbot.wait(5)
    qtbot.mouseRelease(w, LEFT, pos=p1)
    return p1


def covered_m(session, cams):
    """Important road length at the road level under ``cams``, by the audit's own function on
    a layout made from scratch."""
    from twin.analysis.audit import CommunityData

    lay = CameraLayout.of(session.scene, session.area, cams, cell=session.cell)
    data = CommunityData(session.scene, session.community, session.scene.devices)
    need = ("none", "detection", "observation", "recognition", "identification")[session.road_level]
    return sum(
        cover_line(s.id, s.name, line, lay.maps["roads"], need).covered_m
        for s, line in data.important_lines
    )


def test_drag_a_camera_onto_a_gap(planning, qtbot):
    win, panel = planning
    s = panel.session
    vp = win.viewport
    before = s.figures()
    gap = s.gaps()[0]
    roads_cams = [c for c in s.layout.cameras.values() if c.hfov < 180 and c.width_px >= 1920]
    cam = min(roads_cams, key=lambda c: math.hypot(c.x - gap.x, c.y - gap.y))
    vp.fly_to_pose(
        type(panel.community_pose())(
            (cam.x + gap.x) / 2, (cam.y + gap.y) / 2, 0.0, 260.0, 0.0, 89.0
        ),
        seconds=0,
    )
    qtbot.wait(50)
    end = drag(qtbot, win, (cam.x, cam.y, cam.z), (gap.x, gap.y, 0.0))
    moved = s.camera(cam.id)
    # where the mouse let go, snapped as the engine snaps it
    dx, dy = vp.display_of(end.x(), end.y())
    gx, gy = vp.ground_at(dx, dy)
    m = s.drop_at(cam.id, gx, gy)
    assert (moved.x, moved.y) == pytest.approx((m.x, m.y), abs=0.01)
    assert len(s.undo_stack) == 1
    want = covered_m(s, list(s.layout.cameras.values()))
    after = s.figures()
    assert after.covered_m == pytest.approx(want, abs=0.01)
    assert s.layout.maps["roads"].footprints[cam.id].cells.tolist() != (
        CameraLayout.of(s.scene, s.area, [cam]).maps["roads"].footprints[cam.id].cells.tolist()
    )
    assert panel.c_roads.value.text() == f"{after.covered_pct:.1f} %"
    assert panel.mouse.moves_ms  # each move redrew the frame (the benchmark times them)
    # undo and redo with the keys
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    qtbot.keyClick(win, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert s.camera(cam.id) == cam and s.figures() == before
    qtbot.keyClick(
        win,
        QtCore.Qt.Key.Key_Z,
        QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
    )
    assert s.camera(cam.id) == moved
    # the rule cards follow (on the worker) and agree with an audit of the edited scene
    panel.wait_job(60)
    from twin.usecases.planning import audit_scene

    ref = audit_scene(s.edited_scene())
    assert [c.status for c in panel.rule_cards] == [r.status for r in ref.rules]
    roads = next(r for r in ref.rules if r.key == "road_coverage")
    assert roads.figures["covered_m"] == pytest.approx(s.figures().covered_m, abs=0.05)
    panel.show_rule_places(5)
    assert len(panel.overlay.gaps) == roads.figures["gaps"] == panel.places.count()


def test_heading_handle_and_the_inspector(planning, qtbot):
    win, panel = planning
    s, vp = panel.session, win.viewport
    cam = sorted((c for c in s.layout.cameras.values() if c.hfov < 180), key=lambda c: c.id)[
        len(s.layout.cameras) // 3
    ]
    pose = type(panel.community_pose())(cam.x, cam.y, 0.0, 180.0, 0.0, 89.0)
    vp.fly_to_pose(pose, seconds=0)
    qtbot.wait(50)
    # a click on the camera selects it (and opens the editor)
    w = vp.plotter.interactor
    qtbot.mouseClick(w, LEFT, pos=qt_point(win, (cam.x, cam.y, cam.z)))
    assert panel.selected_camera == cam.id and panel.tabs.currentIndex() == 1
    assert panel.editor.heading.value() == pytest.approx(cam.heading, abs=0.05)
    assert not s.undo_stack  # selecting is no edit
    # the handle: dragged a quarter turn clockwise round the camera
    handle = vp.layers.plan.handle_point()
    r = math.hypot(handle[0] - cam.x, handle[1] - cam.y)
    h = math.radians(cam.heading + 90.0)
    target = (cam.x + r * math.sin(h), cam.y + r * math.cos(h), handle[2])
    drag(qtbot, win, tuple(handle), target, steps=10)
    turned = s.camera(cam.id)
    assert (turned.x, turned.y, turned.z) == (cam.x, cam.y, cam.z)
    assert abs((turned.heading - cam.heading - 90.0 + 180.0) % 360.0 - 180.0) < 2.0
    assert len(s.undo_stack) == 1
    assert panel.editor.heading.value() == pytest.approx(turned.heading, abs=0.05)
    assert s.figures().covered_m == pytest.approx(
        covered_m(s, list(s.layout.cameras.values())), abs=0.01
    )
    # the inspector: field of view, mount height, resolution, each one step
    panel.editor.fov.setValue(60.0)
    panel.editor.height.setValue(8.0)
    panel.editor.resolution.setCurrentIndex(panel.editor.resolution.findData("2688x1520"))
    now = s.camera(cam.id)
    assert (now.hfov, now.width_px, now.height_px) == (60.0, 2688, 1520)
    assert s.mount_height(cam.id) == pytest.approx(8.0)
    assert len(s.undo_stack) == 4
    assert s.figures().covered_m == pytest.approx(
        covered_m(s, list(s.layout.cameras.values())), abs=0.01
    )
    # a refused value changes nothing and says why
    panel.edit_camera("tilt", 120.0)
    assert s.camera(cam.id) == now and "tilt" in panel.state.text()
    for _ in range(3):
        panel.undo()
    assert s.camera(cam.id) == turned
    panel.undo()
    assert s.camera(cam.id) == cam and not panel.b_undo.isEnabled()
    panel.redo()
    assert s.camera(cam.id) == turned and panel.b_undo.isEnabled()


def test_add_on_a_pole_and_accept_suggestions(planning, qtbot):
    win, panel = planning
    s, vp = panel.session, win.viewport
    import shapely

    poles = [
        d for d in win.scene.devices if d.kind == "pole" and shapely.contains_xy(s.area, d.x, d.y)
    ]
    pole = sorted(poles, key=lambda d: d.id)[len(poles) // 2]
    vp.fly_to_pose(type(panel.community_pose())(pole.x, pole.y, 0.0, 150.0, 0.0, 89.0), seconds=0)
    qtbot.wait(50)
    panel.add_kind.setCurrentIndex(panel.add_kind.findData("hd"))
    qtbot.mouseClick(panel.b_add, LEFT)
    assert panel.adding() and "pole" in panel.state.text()
    n0 = len(s.layout.cameras)
    # a click a metre off the pole: the camera goes on the pole
    qtbot.mouseClick(vp.plotter.interactor, LEFT, pos=qt_point(win, (pole.x + 1.0, pole.y, 0.0)))
    assert not panel.adding() and len(s.layout.cameras) == n0 + 1
    new = s.camera(panel.selected_camera)
    assert (new.x, new.y) == pytest.approx((pole.x, pole.y), abs=0.01)
    assert new.z == pytest.approx(pole.z + 6.0, abs=0.01) and new.subkind == "hd"
    assert s.feet[new.id] == pytest.approx(pole.z)
    assert "pole" in panel.editor.title.text()
    # suggestions for the roads: ghosts with their gains, accepted one by one
    before = s.figures()
    panel.tabs.setCurrentIndex(2)
    panel.suggest_box.n.setValue(2)
    qtbot.mouseClick(panel.suggest_box.go, LEFT)
    qtbot.waitUntil(lambda: panel._side_job is None and bool(panel.ghosts), timeout=120000)
    assert len(panel.ghosts) == 2 == panel.suggest_box.list.count()
    ghost_actor = vp.layers.plan.actors["suggestions"]
    assert ghost_actor.GetMapper().GetInput().GetNumberOfPoints() == 2
    assert ghost_actor.GetVisibility()
    first = panel.ghosts[0]
    panel.suggest_box.list.item(0).setCheckState(QtCore.Qt.CheckState.Checked)
    steps = len(s.undo_stack)
    qtbot.mouseClick(panel.suggest_box.b_checked, LEFT)
    assert len(s.undo_stack) == steps + 1
    took = s.undo_stack[-1].changes[0][1]
    assert (took.x, took.y, took.heading) == (first.camera.x, first.camera.y, first.camera.heading)
    assert took.id.startswith("plan-camera-")
    assert s.figures().covered_m - before.covered_m == pytest.approx(first.gain, abs=0.5)
    assert len(panel.ghosts) == 1 == panel.suggest_box.list.count()
    qtbot.mouseClick(panel.suggest_box.b_all, LEFT)
    assert len(s.undo_stack) == steps + 2 and not panel.ghosts
    assert ghost_actor.GetMapper().GetInput().GetNumberOfPoints() == 0
    panel.undo()
    assert len(s.layout.cameras) == n0 + 2


def test_keep_reopen_audit_and_report(planning, qtbot):
    """The kept variant opens as a scene and audits to the figures the view shows; the report
    of the edited layout is written from the view; the live side never sees an edit."""
    from twin.usecases.planning import audit_scene
    from twin.usecases.scene import open_scene

    win, panel = planning
    s = panel.session
    cams_before = {d.id: (d.x, d.y, d.heading) for d in win.scene.devices if d.kind == "camera"}
    xyz_before = win.viewport._dev_xyz.copy()
    gap = s.gaps()[0]
    cam = min(s.layout.cameras.values(), key=lambda c: math.hypot(c.x - gap.x, c.y - gap.y))
    s.change(cam.id, heading=(cam.heading + 120.0) % 360.0)
    added = s.add(gap.x, gap.y, heading=0.0)
    panel._edited()
    panel.wait_job(60)
    name = f"test-keep-{os.getpid()}"
    csv_path, variant, report_dir = s.variant_paths(name)
    try:
        panel.tabs.setCurrentIndex(3)
        panel.keep_box.name.setText(name)
        qtbot.mouseClick(panel.keep_box.b_keep, LEFT)
        assert variant.exists() and csv_path.exists()
        assert variant.name in panel.keep_box.result.text()
        reopened = open_scene(variant)
        ref = audit_scene(reopened)
        roads = next(r for r in ref.rules if r.key == "road_coverage")
        assert panel.c_roads.value.text() == f"{roads.figures['covered_pct']:.1f} %"
        assert [c.status for c in panel.rule_cards] == [r.status for r in ref.rules]
        seen = sum(1 for e in ref.entrances if e["ok"])
        assert panel.c_ents.value.text() == f"{seen} / {len(ref.entrances)}"
        moved = next(d for d in reopened.devices if d.id == added.id)
        assert (moved.x, moved.y) == pytest.approx((added.x, added.y), abs=0.01)
        # the report of the edited layout
        qtbot.mouseClick(panel.keep_box.b_report, LEFT)
        qtbot.waitUntil(lambda: panel._side_job is None, timeout=180000)
        panel._poll()
        assert (report_dir / "report.pdf").stat().st_size > 10000
        assert "report.pdf" in panel.keep_box.result.text()
        html = (report_dir / "report.html").read_text(encoding="utf-8")
        assert f"{roads.figures['covered_pct']:.1f}" in html
    finally:
        csv_path.unlink(missing_ok=True)
        variant.unlink(missing_ok=True)
        shutil.rmtree(report_dir, ignore_errors=True)
    # the operators' side: the scene's devices, their glyphs, states and log untouched
    assert {
        d.id: (d.x, d.y, d.heading) for d in win.scene.devices if d.kind == "camera"
    } == cams_before
    assert np.array_equal(win.viewport._dev_xyz, xyz_before)
    assert added.id not in win.ctx.statuses
    assert not win.ctx.events.events(device_id=added.id)
