"""The Qt wall display, driven for real under the suite's Xvfb: views, picking, search and
fly-to, the alarm flow with a real broker, the time slider, the kiosk tour, languages,
bookmarks, screenshots and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import DEMO, ROOT
from tests.helpers_gis import assert_one_line_error
from tests.shellwin import near, open_window, pixel_at

pytest.importorskip("pytestqt")

from PySide6 import QtCore  # noqa: E402

from twin.render import style  # noqa: E402
from twin.scene.views import TOUR_VIEWS, VIEWS  # noqa: E402
from twin.shell import theme  # noqa: E402
from twin.shell.texts import TEXTS  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _private_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def pump(qtbot, seconds):
    qtbot.wait(int(seconds * 1000))


def test_every_text_has_both_languages():
    """Every key the shell asks for exists in both languages (`tr` would fall back to the key
    itself, so a missing one would show as its key on the wall)."""
    import re

    for key, (en, zh) in TEXTS.items():
        assert en.strip() and zh.strip(), key
    used: set[str] = set()
    for f in (ROOT / "twin" / "shell").glob("*.py"):
        used |= set(
            re.findall(r"\btr\(\s*[\w.]+\s*,\s*[\"']([\w]+)[\"']", f.read_text(encoding="utf-8"))
        )
    assert len(used) > 40, sorted(used)
    missing = sorted(k for k in used if k not in TEXTS)
    assert missing == [], missing


def test_each_view_shows_its_layers_and_panel(window, qtbot):
    win = window
    pump(qtbot, 1.0)
    kinds = win.viewport.layers
    for view in VIEWS:
        win.set_view(view)
        pump(qtbot, 0.3)
        panel = win.panels[view]
        assert win.stack.currentWidget() is panel
        assert win.topbar.buttons[view].isChecked()
        panel.wait_job(30)
        win._panel_at = 0
        win.tick()
        pump(qtbot, 0.3)
        panel.wait_job(30)
        win._panel_at = 0
        win.tick()
        shown = kinds.visible_kinds()
        glyphs = win.viewport.vis.glyphs
        for kind, layer in glyphs.items():
            assert bool(layer.actor.GetVisibility()) == (kind in shown), (view, kind)
        if view == "parking":
            assert "parking_space" in shown and "pole" not in shown
            # every demo space sits in a lot
            assert (
                win.panels["parking"].summary.spaces
                == len(win.scene.devices_of("parking_space"))
                > 100
            )
            assert kinds._labels is not None and kinds._labels.GetVisibility()
        if view == "environment":
            assert kinds._surface is not None and kinds._surface.GetVisibility()
            # the PM2.5 surface covers the ground: a large part of the frame changes with it
            rw = win.viewport.plotter.render_window  # render now, whatever Qt does with paints
            rw.Render()
            with_surface = win.viewport.plotter.screenshot(None, return_img=True).astype(int)
            kinds._surface.SetVisibility(False)
            rw.Render()
            without = win.viewport.plotter.screenshot(None, return_img=True).astype(int)
            kinds._surface.SetVisibility(True)
            scene_px = (
                np.abs(without - np.array(style.rgb(style.BACKGROUND))).max(axis=2) > 10
            ).sum()
            changed = (np.abs(with_surface - without).max(axis=2) > 30).sum()
            assert changed > 0.4 * scene_px  # most of what the scene covers
        if view == "energy":
            assert kinds.buildings_coloured
        if view == "planning":
            assert kinds.plan.visible("dori") and kinds.plan.visible("gaps")
        else:
            assert not any(kinds.plan.visible(n) for n in kinds.plan.actors), view
    assert max(win.switch_ms) < 2000  # the benchmark measures the real figure


def _uniform_open_cells(panel, level, far_from, near=None, n=3):
    """Cells at ``level`` whose 9 x 9 neighbourhood has that level too, with nothing built above
    them, at least ``far_from`` metres from every device, gap, entrance and the boundary (no
    line or marker over them); the ``n`` nearest ``near`` (x, y)."""
    ov = panel.overlay
    lv = ov.levels
    ny, nx = lv.shape
    same = lv == level
    ok = same.copy()
    for dj in range(-4, 5):
        for di in range(-4, 5):
            ok &= np.roll(np.roll(same, dj, axis=0), di, axis=1)
    jj, ii = np.nonzero(ok)
    x = ov.x0 + (ii + 0.5) * ov.cell
    y = ov.y0 + (jj + 0.5) * ov.cell
    occ = panel.audit.layout.occluders
    keep = occ.height_at(x, y) <= 0.01
    things = [np.array([[d.x, d.y] for d in panel.ctx.scene.devices])]
    things += [g.xy for g in ov.gaps] + list(ov.boundary_rings)
    things.append(np.array([[e["x"], e["y"]] for e in ov.entrances]).reshape(-1, 2))
    pts = np.concatenate(things)
    from scipy.spatial import cKDTree

    d, _ = cKDTree(pts).query(np.column_stack([x, y]))
    keep &= d >= far_from
    x, y = x[keep], y[keep]
    if near is not None:
        order = np.argsort(np.hypot(x - near[0], y - near[1]))
        x, y = x[order], y[order]
    return list(zip(x[:n], y[:n], strict=True))


def test_planning_view_cards_layers_and_fly_to(window, qtbot):
    """The planning view: its panel and layers; the cards say what ``audit_scene`` says; the
    ground shows the DORI palette by pixel; a gap row flies there; the toggles hide layers."""
    from twin.render.planlayers import DORI_ALPHA, DORI_COLOURS, DORI_Z, LAYERS
    from twin.scene.tour import CameraPose
    from twin.shell.texts import tr
    from twin.usecases.planning import audit_scene

    win = window
    panel = win.panels["planning"]
    plan = win.viewport.layers.plan
    win.set_view("planning")
    assert win.stack.currentWidget() is panel and win.topbar.buttons["planning"].isChecked()
    if panel.audit is None:  # the first opening: the audit runs on the worker, the GUI says so
        assert panel.state.isVisible() and panel.state.text() == tr("en", "plan_computing")
    panel.wait_job(60)
    win._panel_at = 0
    win.tick()
    assert panel.audit is not None and panel.error is None and not panel.state.isVisible()
    ref = audit_scene(win.scene)
    assert [c.status for c in panel.rule_cards] == [r.status for r in ref.rules]
    assert sum(c.status == "fail" for c in panel.rule_cards) == len(ref.failed) > 0
    roads = next(r for r in ref.rules if r.key == "road_coverage")
    assert panel.c_roads.value.text() == f"{roads.figures['covered_pct']:.1f} %"
    seen = sum(1 for e in ref.entrances if e["ok"])
    assert panel.c_ents.value.text() == f"{seen} / {len(ref.entrances)}"
    assert panel.c_blind.value.text() == str(len(ref.blind))
    passing = sum(1 for r in ref.rules if r.status == "pass")
    assert panel.c_rules.value.text() == f"{passing} / {len(ref.rules)}"
    assert len(panel.overlay.gaps) == roads.figures["gaps"] == panel.places.count()
    assert [g.length_m for g in panel.overlay.gaps] == sorted(
        (p.length_m for p in roads.places), reverse=True
    )
    for name in LAYERS:
        assert name in plan.actors
    for name in ("dori", "gaps", "blind", "entrances", "boundary"):
        assert plan.visible(name), name
    # the ground by pixel, seen from straight above: the palette's colour over what lies under
    panel.select_camera(None)
    rw = win.viewport.plotter.render_window
    cams = [c for c in panel.audit.layout.cameras.values()]
    covered = _uniform_open_cells(panel, 1, 4.0, n=1)
    assert covered, "no open ground seen at detection, away from lines and markers"
    cx, cy = covered[0]
    cam = min(cams, key=lambda c: np.hypot(c.x - cx, c.y - cy))
    dark = _uniform_open_cells(panel, 0, 4.0, near=(cam.x, cam.y), n=1)
    assert dark and np.hypot(dark[0][0] - cam.x, dark[0][1] - cam.y) < 80
    for (x, y), level in ((covered[0], 1), (dark[0], 0)):
        win.viewport.fly_to_pose(CameraPose(x, y, 0.0, 120.0, 0.0, 89.0), seconds=0)
        plan.set_wanted("dori", False)
        rw.Render()
        under, _ = pixel_at(win, (x, y, DORI_Z))
        plan.set_wanted("dori", True)
        rw.Render()
        over, _ = pixel_at(win, (x, y, DORI_Z))
        a = DORI_ALPHA / 255
        want = a * np.array(style.rgb(DORI_COLOURS[level])) + (1 - a) * under
        assert np.abs(over - want).max() <= 12, (level, over, want, under)
        others = [k for k in range(len(DORI_COLOURS)) if k != level]
        for k in others:  # nearer its own level's colour than any other's
            alt = a * np.array(style.rgb(DORI_COLOURS[k])) + (1 - a) * under
            assert np.abs(over - want).sum() < np.abs(over - alt).sum(), (level, k)
    # a gap row flies the camera to the gap, to the centimetre
    gap = panel.overlay.gaps[3]
    panel.show_rule_places(5)
    item = panel.places.item(3)
    panel.ensureWidgetVisible(panel.places)
    qtbot.wait(50)
    rect = panel.places.visualItemRect(item)
    qtbot.mouseClick(panel.places.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not win.viewport.flying, timeout=5000)
    f = np.array(win.viewport.plotter.camera.GetFocalPoint())
    assert np.allclose(f, [gap.x, gap.y, 0.0], atol=0.01)
    # another rule's places: click its card
    fail = next(r for r in ref.rules if r.status == "fail" and r.rule != 5)
    panel.rule_cards[fail.rule - 1].clicked.emit(fail.rule)
    assert panel.which.currentData() == fail.rule and panel.places.count() == len(fail.places)
    # footprints: none until a camera is selected, one camera's, then all cameras'
    fp = plan.actors["footprints"]
    assert fp.GetMapper().GetInput().GetNumberOfCells() == 0
    panel.select_camera(cam.id)
    one = fp.GetMapper().GetInput().GetNumberOfCells()
    assert one > 0
    panel.fp_mode.setCurrentIndex(1)
    assert fp.GetMapper().GetInput().GetNumberOfCells() > one
    panel.fp_mode.setCurrentIndex(0)
    panel.select_camera(None)
    # every toggle hides its layer and shows it again
    for name in LAYERS:
        panel.toggles[name].setChecked(False)
        assert not plan.visible(name), name
        panel.toggles[name].setChecked(True)
        assert plan.visible(name), name
    win.set_view("overview")
    assert not any(plan.visible(n) for n in LAYERS)


def test_live_status_colours_reach_the_scene(window, qtbot):
    win = window
    qtbot.waitUntil(
        lambda: sum(1 for s in win.ctx.statuses.values() if s == "online") > 1000, timeout=15000
    )
    win.viewport.render()
    # a smart pole in the middle of the view is drawn in the "ok" colour
    poles = [
        d for d in win.scene.devices if d.kind == "pole" and win.ctx.statuses.get(d.id) == "online"
    ]
    vp = win.viewport
    w, h = vp.plotter.renderer.GetSize()
    px = vp.screen_points(np.array([vp.device_point(d.id) for d in poles]))
    inside = (px[:, 0] > 20) & (px[:, 0] < w - 20) & (px[:, 1] > 20) & (px[:, 1] < h - 20)
    poles = [d for d, ok in zip(poles, inside, strict=True) if ok]
    assert len(poles) >= 40
    hits = 0
    for d in poles[:40]:
        rgb, _ = pixel_at(win, win.viewport.device_point(d.id))
        hits += near(rgb, style.STATUS["ok"], 60)
    assert hits >= 20
    win._update_top()
    up = sum(1 for s in win.ctx.statuses.values() if s in ("online", "alarm", "fault"))
    assert win.topbar.online.value.text() == f"{up:,} / {len(win.scene.devices):,}"


def test_the_home_view_frames_the_community(window):
    """The wall's default camera: oblique (45-60 deg down), the community's boundary filling at
    least 80 % of the viewport's width or height, all of it in view."""
    import shapely

    from twin.render.camera import pose_of

    vp = window.viewport
    pose = pose_of(vp.plotter)
    assert 45.0 <= pose.pitch <= 60.0
    ring = np.asarray(shapely.from_wkb(window.scene.community.boundary_wkb).exterior.coords)
    px = vp.screen_points(np.column_stack([ring[:, :2], np.zeros(len(ring))]))
    w, h = vp.plotter.renderer.GetSize()
    assert px[:, 0].min() >= 0 and px[:, 0].max() <= w and px[:, 1].min() >= 0
    assert px[:, 1].max() <= h
    span_w = (px[:, 0].max() - px[:, 0].min()) / w
    span_h = (px[:, 1].max() - px[:, 1].min()) / h
    assert max(span_w, span_h) >= 0.8, (span_w, span_h)


def test_click_picks_a_device_and_the_inspector_shows_it(window, qtbot):
    win = window
    qtbot.waitUntil(lambda: len(win.ctx.statuses) > 1000, timeout=15000)
    dev = next(d for d in win.scene.devices if d.kind == "env_monitor")
    win.fly_to_device(dev.id)
    qtbot.waitUntil(lambda: not win.viewport.flying, timeout=5000)
    win.inspector.clear()
    x, y = win.viewport.screen_of(win.viewport.device_point(dev.id))
    widget = win.viewport.plotter.interactor
    h = widget.height()
    with qtbot.waitSignal(win.viewport.picked, timeout=5000) as sig:
        qtbot.mouseClick(widget, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(x, h - 1 - y))
    assert sig.args == ["device", dev.id]
    from twin.shell.panels.base import kind_name

    # named by kind and place, the id a detail
    assert win.inspector.isVisible() and win.inspector.title.text() == dev.label(
        kind_name(dev.kind, "en")
    )
    rows = {
        win.inspector.facts.item(r, 0).text(): win.inspector.facts.item(r, 1).text()
        for r in range(win.inspector.facts.rowCount())
    }
    assert rows["ID"] == dev.id and "pm25" in rows
    assert rows["Place"] == (dev.where("en") or "–")
    # a building's roof, seen from straight above, picks that building and opens its facts
    mesh = win.scene.meshes["building"]
    tops = {}
    for i in range(len(win.scene.buildings)):
        pts = mesh.points[mesh.faces[mesh.entity == i].ravel()]
        if len(pts):
            tops[i] = pts[pts[:, 2] >= pts[:, 2].max() - 0.01]
    devs = np.array([[d.x, d.y] for d in win.scene.devices])
    b, roof = next(
        (i, p)
        for i, p in sorted(tops.items(), key=lambda kv: -win.scene.buildings[kv[0]].height)
        if np.hypot(*(devs - p[:, :2].mean(axis=0)).T).min() > 25
    )
    cx, cy = roof[:, :2].mean(axis=0)
    from twin.scene.tour import CameraPose

    win.viewport.fly_to_pose(CameraPose(cx, cy, float(roof[0, 2]), 120.0, 0.0, 89.0), seconds=0)
    assert win.viewport.pick(*win.viewport.screen_of((cx, cy, float(roof[0, 2])))) == (
        "building",
        b,
    )
    win.on_pick("building", b)
    assert win.inspector.title.text() == (win.scene.buildings[b].name or win.scene.buildings[b].id)


def test_search_flies_to_the_device(window, qtbot):
    win = window
    dev = next(d for d in win.scene.devices if d.kind == "gate")
    assert win.search(dev.name.upper()) == dev.id  # case-insensitive, by name
    assert win.search(dev.id[-7:]) == dev.id  # part of an id
    qtbot.waitUntil(lambda: not win.viewport.flying, timeout=5000)
    f = np.array(win.viewport.plotter.camera.GetFocalPoint())
    assert np.allclose(f, [dev.x, dev.y, dev.z], atol=0.01)  # to the centimetre
    assert win.search("no-such-device-xyz") is None
    assert "no-such-device-xyz" in win.status.text()


def test_alarm_flow_end_to_end_with_a_real_broker(broker, qtbot, tmp_path):
    """Publish a smoke alarm from outside; it appears in the list and on the scene, the
    security view flies there with the nearest cameras; acknowledge and close it; the event log
    has it closed."""
    win = open_window(qtbot, tmp_path, feed=broker.url)
    try:
        qtbot.waitUntil(lambda: bool(win.live.feed.info().get("connected")), timeout=15000)
        smoke = next(d for d in win.scene.devices if d.kind == "smoke_detector")
        topic = f"{win.live.pipeline.parser.prefix}/{smoke.id}/telemetry"
        broker.publish(
            topic,
            json.dumps(
                {"ts": int(time.time() * 1000), "smoke": True, "gas": False, "battery_pct": 90}
            ),
        )
        qtbot.waitUntil(
            lambda: any(e.device_id == smoke.id for e in win.alarms.rows), timeout=15000
        )
        event = next(e for e in win.alarms.rows if e.device_id == smoke.id)
        assert event.status == "raised" and event.severity in ("critical", "major")
        row = win.alarms.rows.index(event)
        assert (
            win.alarms.table.item(row, 1).background().color().name()
            == theme.SEVERITY[event.severity]
        )
        assert win.alarms.chime.played >= 1
        # the row names the detector by kind and place (its building or road), the id a detail
        where = smoke.where("en")
        assert where and win.alarms.table.item(row, 2).text() == f"Smart smoke detector · {where}"
        assert win.alarms.table.item(row, 2).toolTip() == smoke.id
        # what happened, in the rule's words of the wall's language
        from twin.state.rules import load_rules

        rule = next(r for r in load_rules() if r.id == event.rule_id)
        assert win.alarms.table.item(row, 3).text() == rule.message_en
        win.set_language("zh")
        row = win.alarms.rows.index(next(e for e in win.alarms.rows if e.id == event.id))
        assert win.alarms.table.item(row, 3).text() == rule.message_zh
        assert win.alarms.table.item(row, 2).text().endswith(smoke.where("zh"))
        win.set_language("en")
        row = win.alarms.rows.index(next(e for e in win.alarms.rows if e.id == event.id))
        # emergency linkage: security view, flown there, nearest cameras listed with frusta
        qtbot.waitUntil(lambda: win.view == "security" and not win.viewport.flying, timeout=8000)
        f = np.array(win.viewport.plotter.camera.GetFocalPoint())
        assert np.hypot(f[0] - smoke.x, f[1] - smoke.y) < 0.05
        win._panel_at = 0
        win.tick()
        sec = win.panels["security"]
        assert sec.linkage is not None and sec.linkage["device"].id == smoke.id
        assert len(sec.linkage["cameras"]) == 3 and sec.cams.count() == 3
        assert (
            win.viewport.layers._frusta is not None
            and win.viewport.layers._frusta[0].GetVisibility()
        )
        # the alarm pin over the detector is red on the wall
        assert win.ctx.statuses[smoke.id] == "alarm"
        win.viewport.render()
        rgb, _ = pixel_at(win, win.viewport.device_point(smoke.id))
        assert near(rgb, style.STATUS["alarm"], 60), rgb
        # operator: acknowledge, then close with a note
        win.alarms.acknowledge([event.id])
        assert next(e for e in win.alarms.rows if e.id == event.id).status == "acknowledged"
        win.alarms.close_events([event.id], "false alarm: steam from the kitchen")
        assert all(e.id != event.id for e in win.alarms.rows)  # the list shows open events
    finally:
        win.close()
    from twin.state.events import EventStore

    with EventStore(tmp_path / "ev.sqlite") as ev:
        e = ev.get(event.id)
    assert e.status == "closed" and e.closed_note == "false alarm: steam from the kitchen"
    assert e.acknowledged_by and e.closed_by == e.acknowledged_by


def test_dispatch_and_closed_events_in_the_list(window, qtbot):
    win = window
    dev = win.scene.devices[0]
    ev = win.live.events.raise_many(
        [
            {
                "device_id": dev.id,
                "kind": dev.kind,
                "type": "test",
                "rule_id": "test_rule",
                "severity": "minor",
                "at": time.time(),
                "message": "test event",
            }
        ]
    )[0]
    win.alarms.reload()
    assert win.alarms.select_event(ev.id)
    assert win.alarms.btn_dispatch.isEnabled()
    assert win.alarms.dispatch(ev.id, "guard team 2", "check it")
    e = next(x for x in win.alarms.rows if x.id == ev.id)
    assert e.status == "dispatched" and e.dispatched_to == "guard team 2"
    assert "guard team 2" in win.alarms.table.item(win.alarms.rows.index(e), 4).text()
    win.alarms.close_events([ev.id], "done")
    win.alarms.btn_closed.setChecked(True)
    assert any(x.id == ev.id and x.status == "closed" for x in win.alarms.rows)


def test_language_switch_and_settings_are_remembered(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, lang="en", view="parking")
    try:
        assert win.topbar.buttons["security"].text() == "Security"
        win.set_language("zh")
        assert win.topbar.buttons["security"].text() == "安防"
        assert win.alarms.table.horizontalHeaderItem(0).text() == "时间"
        assert win.panels["parking"].c_occ.label.text() == "车位占用率"
        win.set_font_scale(1.3)
        win.set_view("energy")
    finally:
        win.close()
    from twin.shell import settings

    assert settings.value("lang") == "zh"
    assert settings.value("view") == "energy"
    assert abs(settings.value("font_scale", 0, float) - 1.3) < 1e-6


def test_time_slider_replays_history(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, backfill=True)
    try:
        pump(qtbot, 1.0)
        assert win.live.history.meta("clock") is not None
        win.timebar.set_back(6 * 3600)
        assert win.replay_at is not None
        qtbot.waitUntil(lambda: win._replay_job is None, timeout=30000)
        assert win.topbar.mode.text() == "REPLAY"
        # six hours ago every device had reported to the backfilled history
        assert sum(1 for s in win.ctx.statuses.values() if s == "online") > 1500
        # the scene shows what the history says at that moment: each monitor's last reading then
        at = win.replay_at
        mon = next(d for d in win.scene.devices if d.kind == "env_monitor")
        then = [r for _d, ts, r in win.live.history.messages(at - 3600, at, mon.id)][-1]
        assert win.ctx.readings[mon.id]["pm25"] == then["pm25"]
        assert win.viewport.statuses[mon.id] == win.ctx.statuses[mon.id]
        win.timebar.go_live()
        assert win.replay_at is None
        with win.live.pipeline.lock:
            assert win.ctx.readings[mon.id] == win.live.pipeline.store.states[mon.id].readings
        # the inspector's 24 h chart has the backfilled points
        dev = next(d for d in win.scene.devices if d.kind == "env_monitor")
        win.fly_to_device(dev.id)
        xs, ys = win.inspector.chart.curve.getData()
        assert xs is not None and len(xs) >= 48
    finally:
        win.close()


def test_kiosk_tour_runs_and_input_takes_over(window, qtbot):
    win = window
    win.start_tour(None, idle_s=1.0)
    k = win.kiosk
    assert k is not None and k.running
    qtbot.waitUntil(lambda: k.tour is not None and k.t > k.tour.stops[0].hold + 0.3, timeout=20000)
    a = np.array(win.viewport.plotter.camera.GetPosition())
    pump(qtbot, 1.0)
    b = np.array(win.viewport.plotter.camera.GetPosition())
    assert np.linalg.norm(a - b) > 0.5  # the camera travels
    qtbot.keyClick(win, QtCore.Qt.Key.Key_Shift)
    assert k.paused
    c = np.array(win.viewport.plotter.camera.GetPosition())
    pump(qtbot, 0.5)
    assert np.allclose(
        c, win.viewport.plotter.camera.GetPosition()
    )  # held while the operator has it
    qtbot.waitUntil(lambda: not k.paused, timeout=5000)  # idle: the tour resumes
    # over a whole loop the tour shows every view it tours (the planning view is not one)
    seen = {stop.view for stop in k.tour.stops}
    assert seen >= set(TOUR_VIEWS)
    k.stop()


def test_bookmark_saved_in_the_scene_file(qtbot, tmp_path):
    scene = tmp_path / "demo.toml"
    text = DEMO.read_text(encoding="utf-8").replace(
        '"../assets/', f'"{(ROOT / "assets").as_posix()}/'
    )
    scene.write_text(text, encoding="utf-8")
    win = open_window(qtbot, tmp_path, scene=scene)
    try:
        dev = next(d for d in win.scene.devices if d.kind == "gate")
        win.viewport.fly_to_point(dev.x, dev.y, 0.0, 150.0, seconds=0)
        assert win.save_bookmark("gate view")
        assert not win.save_bookmark("gate view")  # a duplicate name is refused, nothing lost
    finally:
        win.close()
    from twin.scene.scenefile import load_scene_spec

    assert "# The bundled demo" in scene.read_text(encoding="utf-8")  # comments kept
    spec = load_scene_spec(scene)
    v = next(v for v in spec.views if v.name == "gate view")
    assert abs(v.distance - 150.0) < 0.5
    assert abs(v.lon - dev.lon) < 1e-5 and abs(v.lat - dev.lat) < 1e-5


def _run_app(args, tmp_path, timeout=180):
    env = dict(
        os.environ, TWIN_SETTINGS=str(tmp_path / "app.ini"), XDG_DATA_HOME=str(tmp_path / "data")
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_app_screenshot_of_a_view(tmp_path):
    out = tmp_path / "shots" / "parking.png"
    r = _run_app(
        [
            "--view",
            "parking",
            "--lang",
            "zh",
            "--db",
            str(tmp_path / "ev.sqlite"),
            "--screenshot",
            str(out),
            "--exit-after",
            "6",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    from PIL import Image

    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape[0] >= 700 and img.shape[1] >= 1200
    assert near(img[img.shape[0] // 2, img.shape[1] // 3], theme.BG, 200)
    assert len(np.unique(img.reshape(-1, 3)[::97], axis=0)) > 50  # a picture, not a blank


@pytest.mark.parametrize(
    "args, names",
    [
        (["no-such-scene.toml"], "no-such-scene.toml"),
        (["--feed", "carrier-pigeon"], "--feed"),
        (["--feed", "replay:/no/such/file.csv"], "/no/such/file.csv"),
        (["--view", "weather"], "--view"),
        (["--kiosk", "--tour", "nope"], "tour 'nope'"),
        (["--screenshot", "x.jpg"], "--screenshot"),
    ],
)
def test_app_bad_input_is_one_line_exit_2(tmp_path, args, names):
    assert_one_line_error(_run_app(args, tmp_path, timeout=120), names)


def test_top_bar_says_when_the_event_log_cannot_be_written(window, qtbot, monkeypatch):
    """A full disk under the event log: the wall says so in the alarm colour, with why and how
    many alarm changes wait; when the log works again the bar is back to LIVE."""
    import sqlite3

    live = window.live
    real = live.events.write_batch
    failing = {"on": True}

    def write_batch(*a, **k):
        if failing["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        return real(*a, **k)

    monkeypatch.setattr(live.events, "write_batch", write_batch)
    smoke = next(d for d in window.scene.devices if d.kind == "smoke_detector")
    live.pipeline.submit_raw(
        f"{live.pipeline.parser.prefix}/{smoke.id}/telemetry", b'{"smoke": true}'
    )
    qtbot.waitUntil(lambda: not live.pipeline.health()["event_log"]["ok"], timeout=10000)
    window._panel_at = 0
    window.tick()
    assert window.topbar.mode.text() == "EVENT LOG DOWN · 1"
    assert window.topbar.mode.width() >= window.topbar.mode.sizeHint().width()  # not clipped
    assert theme.STATUS["alarm"] in window.topbar.mode.styleSheet()
    assert "database or disk is full" in window.status.text() and "retried" in window.status.text()
    if os.environ.get("TWIN_SHOT"):
        window.resize(1920, 1080)
        qtbot.wait(300)
        window.grab().save(os.environ["TWIN_SHOT"])
    failing["on"] = False
    qtbot.waitUntil(lambda: live.pipeline.health()["event_log"]["ok"], timeout=10000)
    window._panel_at = 0
    window.tick()
    assert window.topbar.mode.text() == "LIVE"
    assert any(
        e.device_id == smoke.id and e.type == "smoke" for e in live.events.events(open_only=True)
    )
    # the history failing is told once, in the status line (alarms are unaffected)
    monkeypatch.setattr(live.pipeline.writer, "error", "disk I/O error")
    window._panel_at = 0
    window.tick()
    assert "without reading history (disk I/O error)" in window.status.text()
    assert window.topbar.mode.text() == "LIVE"


def test_slow_frames_halve_the_panel_refreshes(window, qtbot):
    """The frame budget: while the 3D frames take longer than the budget (a slow machine: here
    every frame made 1.5 budgets long), the panels refresh every two seconds instead of every
    second; with fast frames again, every second."""
    from twin.shell.window import FRAME_BUDGET_MS, PANEL_EVERY_S

    vp = window.viewport
    ren = vp.plotter.renderer
    clip = ren.ResetCameraClippingRange  # called inside each timed frame
    panel = window.panels[window.view]
    real = panel.refresh
    refreshed: list[float] = []
    panel.refresh = lambda *a, **k: (refreshed.append(time.monotonic()), real(*a, **k))
    try:
        ren.ResetCameraClippingRange = lambda: (time.sleep(FRAME_BUDGET_MS * 1.5e-3), clip())
        qtbot.waitUntil(lambda: window._panel_every() == 2 * PANEL_EVERY_S, timeout=5000)
        refreshed.clear()
        qtbot.wait(4500)
        assert len(refreshed) >= 2 and np.diff(refreshed).min() >= 1.9, refreshed
        ren.ResetCameraClippingRange = clip
        qtbot.waitUntil(lambda: window._panel_every() == PANEL_EVERY_S, timeout=5000)
        refreshed.clear()
        qtbot.wait(2600)
        assert len(refreshed) >= 2 and np.diff(refreshed).max() < 1.6, refreshed
    finally:
        ren.ResetCameraClippingRange = clip
        panel.refresh = real
