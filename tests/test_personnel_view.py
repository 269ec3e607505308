"""The personnel view in the real window (Xvfb, pytest-qt): access events through the window's
own pipeline, a care check overdue marked on its building and listed with the name masked,
masking proved by pixels (a masked name is not drawn; unmasking only for a supervisor, logged;
masked again, the pixels are those of before), entrances sized by flow, and no two scene labels
overlapping in any view."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtGui  # noqa: E402

from tests.shellwin import near  # noqa: E402
from twin.analysis.people import building_points  # noqa: E402
from twin.ingest.register import read_register  # noqa: E402
from twin.render.labels import any_overlap  # noqa: E402
from twin.render.peoplelayers import MARK_H, disc_radius  # noqa: E402
from twin.render.style import STATUS  # noqa: E402
from twin.scene.views import VIEWS  # noqa: E402
from twin.state import peoplelog  # noqa: E402
from twin.state.access import AccessEvent  # noqa: E402


def _pump(qtbot, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        qtbot.wait(50)


def _refresh(win, qtbot, view="personnel"):
    panel = win.panels[view]
    for _ in range(3):
        panel.wait_job(30)
        win._panel_at = 0
        win.tick()
        _pump(qtbot, 0.2)
    win.viewport.plotter.render_window.Render()
    return panel


def _image(widget) -> np.ndarray:
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _cared(win):
    rows = read_register(win.scene.spec.people.register)
    return [p for p in rows.people if p.care]


def test_a_care_check_overdue_is_marked_and_names_are_masked_by_pixel(window, qtbot):
    win = window
    pipeline = win.live.pipeline
    person = _cared(win)[-1]  # not the simulator's scripted unseen one (the first)
    now = float(win.ctx.now())
    gate = next(d for d in win.scene.devices if d.kind == "gate")
    # she went out longer ago than her interval: the care check falls due
    pipeline.submit(
        [AccessEvent(gate.id, now - (person.interval_h + 1) * 3600, "out", "face", person.token)]
    )
    hh = f"household:{person.household}"
    qtbot.waitUntil(
        lambda: any(
            e.device_id == hh and e.rule_id == "care_check"
            for e in win.live.events.events(open_only=True)
        ),
        timeout=30000,
    )
    win.set_view("personnel")
    panel = _refresh(win, qtbot)
    fig = panel.figures
    row = next(c for c in fig.care if c.household == person.household)
    assert row.overdue and row.event_status == "raised"
    assert int(panel.c_care.value.text()) == fig.care_overdue >= 1
    # the list names the household and its building, the name masked
    texts = [panel.care.item(i).text() for i in range(panel.care.count())]
    (line,) = [t for t in texts if person.household in t]
    assert person.building in line and "OVERDUE" in line
    assert person.name not in line and person.name[0] + "***" in line
    # its building carries the care marker, in the alarm colour on screen
    x, y, z = building_points(win.scene, {person.building})[person.building]
    marks = win.viewport.layers.people.mark_xyz
    assert np.any(np.all(np.isclose(marks, [x, y, z]), axis=1))
    win.viewport.fly_to_point(x, y, z, distance=250.0, seconds=0)
    _pump(qtbot, 0.3)
    win.viewport.plotter.render_window.Render()
    img = win.viewport.plotter.screenshot(None, return_img=True)
    px, py = win.viewport.screen_of((x, y, z + MARK_H + 4.0))
    assert near(img[img.shape[0] - 1 - py, px, :3], STATUS["alarm"], 60)
    # entrances are discs sized by their passages in the last hour
    flows = {e.device_id: e for e in fig.entrances}
    drawn = win.viewport.layers.people.disc_xyr
    gates = [d for d in panel.entrances() if d.id in flows]
    assert len(drawn) == len(gates) >= 5
    for (dx, dy, r), d in zip(drawn, gates, strict=True):
        f = flows[d.id]
        assert (dx, dy) == pytest.approx((d.x, d.y))
        assert r == pytest.approx(disc_radius(f.last_hour_in + f.last_hour_out))

    # masking by pixel: the operator sees the mask; showing names is a supervisor's, logged
    assert win.ctx.role == "operator" and not panel.btn_names.isEnabled()
    masked = _image(panel.care)
    before_log = len(peoplelog.unmaskings(win.live.events))
    win.ctx.role = "supervisor"
    try:
        panel.retranslate()
        assert panel.btn_names.isEnabled()
        qtbot.mouseClick(panel.btn_names, QtCore.Qt.MouseButton.LeftButton)  # no reason: refused
        assert panel.key is None and len(peoplelog.unmaskings(win.live.events)) == before_log
        panel.reason.setText("care visit to " + person.household)
        qtbot.mouseClick(panel.btn_names, QtCore.Qt.MouseButton.LeftButton)
        assert panel.key is not None
        texts = [panel.care.item(i).text() for i in range(panel.care.count())]
        assert any(person.name in t for t in texts)
        shown = _image(panel.care)
        log = peoplelog.unmaskings(win.live.events)
        assert len(log) == before_log + 1 and log[0].role == "supervisor"
        assert log[0].reason == "care visit to " + person.household
        qtbot.mouseClick(panel.btn_names, QtCore.Qt.MouseButton.LeftButton)  # mask again
        assert panel.key is None
        again = _image(panel.care)
    finally:
        win.ctx.role = "operator"
        panel.mask()
        panel.retranslate()
    assert masked.shape == shown.shape == again.shape
    diff = np.abs(shown.astype(int) - masked.astype(int)).max(axis=2) > 40
    assert diff.sum() > 50  # the clear name is drawn only while shown ...
    assert np.array_equal(masked, again)  # ... and leaves no pixel once masked again


def test_no_two_scene_labels_overlap_in_any_view(window, qtbot):
    win = window
    counts = {}
    for view in VIEWS:
        win.set_view(view)
        win.viewport.fly_home(seconds=0)
        _refresh(win, qtbot, view)
        boxes = win.viewport.layers.label_boxes()
        counts[view] = len(boxes)
        assert not any_overlap(boxes), (view, boxes)
        # zoomed in on the busiest place too
        if boxes:
            b = np.asarray(boxes)
            cx, cy = b[:, [0, 2]].mean(), b[:, [1, 3]].mean()
            ground = win.viewport.ground_at(cx, cy)
            if ground is not None:
                win.viewport.fly_to_point(*ground, 0.0, distance=180.0, seconds=0)
                _pump(qtbot, 0.2)
                win.viewport.plotter.render_window.Render()
                assert not any_overlap(win.viewport.layers.label_boxes()), view
    # the views that label things do draw labels (the check above is not vacuous)
    assert counts["personnel"] >= 3 and counts["parking"] >= 1


def test_a_failing_panel_is_said_once_and_the_wall_keeps_running(window, qtbot, monkeypatch):
    win = window
    panel = win.panels["personnel"]

    def broken(force: bool = False) -> None:
        raise RuntimeError("figures went wrong")

    monkeypatch.setattr(panel, "refresh", broken)
    monkeypatch.setattr(panel, "activate", broken)
    win.set_view("personnel")  # activate fails: the view still switches
    assert win.view == "personnel" and win.stack.currentWidget() is panel
    assert "figures went wrong" in win.status.text()
    for _ in range(3):
        win._panel_at = 0
        win.tick()  # refresh fails every second: logged once, the frame goes on
    assert len([k for k in win._failed if "figures went wrong" in k]) == 1
    assert win.timer.isActive()
