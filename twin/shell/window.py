"""The main window: top bar, 3D viewport, the current view's panel and the inspector on the
right, the time slider and the alarm list along the bottom. Live changes arrive through the
bridge and are applied once per frame (250 ms)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from twin.analysis.environment import QUANTITIES, band
from twin.core.errors import InputError
from twin.render.camera import pose_of
from twin.scene.catalogue import UP_STATUSES, online_rate_ok
from twin.scene.tour import CameraPose
from twin.scene.views import VIEWS
from twin.shell import settings as store
from twin.shell import theme
from twin.shell.alarms import AlarmPanel
from twin.shell.bridge import LiveBridge
from twin.shell.inspector import Inspector
from twin.shell.loader import Loaded
from twin.shell.panels import PANELS
from twin.shell.panels.base import FIRE_KINDS, Context, ViewPanel
from twin.shell.texts import tr
from twin.shell.timeline import TimeBar
from twin.shell.topbar import TopBar
from twin.shell.viewport import SceneView
from twin.telemetry.live import format_local, scene_tz

log = logging.getLogger(__name__)

TICK_MS = 250
"""One frame of live updates: take the bridge's buffer, restyle, render."""
PANEL_EVERY_S = 1.0
FRAME_AFTER_MS = 15
"""The 3D frame is drawn this long after the tick that applied its changes."""
FRAME_BUDGET_MS = 60.0
"""A 3D frame slower than this (the median of the last eight) halves the panels' refreshes."""
PANEL_AFTER_MS = 200
"""After the first frame, the other views' panels are made one every this often."""


class _Panels(dict):  # type: ignore[type-arg]
    """The views' panels, each made the first time it is looked up (``panels[view]``): the
    first frame waits only for the view it shows. ``values()`` are the panels made so far."""

    def __init__(self, make: Callable[[str], ViewPanel]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, view: str) -> ViewPanel:
        panel = self[view] = self._make(view)
        return panel


class MainWindow(QtWidgets.QMainWindow):
    view_changed = QtCore.Signal(str)

    def __init__(
        self,
        loaded: Loaded,
        lang: str,
        view: str = "overview",
        font_scale: float = 1.0,
        role: str | None = None,
    ) -> None:
        super().__init__()
        # the pipeline's worker thread is pure Python: a shorter GIL switch interval (5 ms by
        # default) lets the GUI thread in sooner while a batch is applied
        sys.setswitchinterval(0.001)
        self.scene, self.live = loaded.scene, loaded.live
        self.lang = lang
        self.font_scale = font_scale
        self.setWindowTitle(f"{self.scene.name} — community twin")
        tz = scene_tz(self.scene)
        self.tz = tz
        self.bridge = LiveBridge(self.live)
        from twin.usecases.events import operator_name
        from twin.usecases.people import current_role

        self.ctx = Context(
            self.scene,
            None,
            self.live.events,
            self.live.history,
            tz,
            lang,
            self._now,
            role=current_role(role, self.live.events),
            operator=operator_name(self.live.events),
        )
        # widgets
        self.topbar = TopBar(self.scene.name, lang)
        self.viewport = SceneView(self.scene)
        self.ctx.viewport = self.viewport
        self.stack = QtWidgets.QStackedWidget()
        self.panels: dict[str, ViewPanel] = _Panels(self._make_panel)
        self.inspector = Inspector(self.ctx)
        right = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        right.addWidget(self.stack)
        right.addWidget(self.inspector)
        right.setMinimumWidth(340)
        self.right = right
        self.alarms = AlarmPanel(
            self.scene,
            self.live.events,
            lang,
            tz,
            operator=self.ctx.operator,
            bell=QtWidgets.QApplication.beep,
        )
        self.alarms.allow_actions(self.ctx.role != "viewer")  # a viewer's wall only watches
        self.timebar = TimeBar(lang, tz)
        middle = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        middle.addWidget(self.viewport)
        middle.addWidget(right)
        middle.setStretchFactor(0, 4)
        middle.setStretchFactor(1, 1)
        self.middle = middle
        lower = QtWidgets.QWidget()
        ll = QtWidgets.QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.timebar)
        ll.addWidget(self.alarms)
        outer = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        outer.addWidget(middle)
        outer.addWidget(lower)
        outer.setStretchFactor(0, 4)
        outer.setStretchFactor(1, 1)
        outer.setCollapsible(1, False)
        self.alarms.setMinimumHeight(190)  # the alarm list is never squeezed away
        outer.setSizes([760, 280])
        right.setSizes([560, 440])
        self.outer = outer
        central = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(6)
        lay.addWidget(self.topbar)
        lay.addWidget(outer, 1)
        self.setCentralWidget(central)
        self.status = QtWidgets.QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(False)
        # search completion over ids, names and places (roads, buildings, car parks)
        devs = self.scene.devices
        names = sorted(
            {d.id for d in devs}
            | {d.name for d in devs if d.name}
            | {d.where(lang) for d in devs if d.place is not None}
        )
        comp = QtWidgets.QCompleter(names, self)
        comp.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        comp.setFilterMode(QtCore.Qt.MatchFlag.MatchContains)
        comp.setMaxVisibleItems(12)
        comp.activated.connect(self.search)
        self.topbar.search_box.setCompleter(comp)
        # signals
        self.topbar.view_chosen.connect(self.set_view)
        self.topbar.search.connect(self.search)
        self.topbar.bookmark.connect(self.go_bookmark)
        self.topbar.save_bookmark.connect(self._ask_bookmark)
        self.topbar.language.connect(self.toggle_language)
        self.topbar.font_step.connect(lambda f: self.set_font_scale(self.font_scale * f))
        self.alarms.fly_to.connect(self.fly_to_device)
        self.alarms.changed.connect(self._update_top)
        self.alarms.error.connect(self.notify)
        self.viewport.picked.connect(self.on_pick)
        self.timebar.moved.connect(self.set_time)
        self.topbar.fullscreen.connect(
            lambda: self.showNormal() if self.isFullScreen() else self.showFullScreen()
        )
        self.topbar.tour.connect(self.start_tour)
        # state
        self.view = ""
        self.replay_at: float | None = None
        self._replay_job: Any = None
        self._panel_at = 0.0
        self._skipped = False
        self._history_told = False
        self._closed = False
        self._live_clock = self.live.pipeline.clock
        self.tick_ms: list[float] = []
        self.switch_ms: list[float] = []
        self.kiosk: Any = None
        self._failed: set[str] = set()
        """Panel failures already logged (each once)."""
        self.topbar.retranslate(lang, self._bookmark_names())
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.set_view(view)

    # -- time ------------------------------------------------------------------------------
    def _now(self) -> float:
        return float(self._live_clock()) if self.replay_at is None else self.replay_at

    def start(self) -> None:
        """Start the feed and the frame timer (after the window is shown); the panels of the
        views not shown are made afterwards, one per turn of the event loop."""
        self.live.start()
        self.timer.start()
        self.tick()
        for note in self.live.notes:  # e.g. a register that could not be read
            self.notify(note)
        QtCore.QTimer.singleShot(PANEL_AFTER_MS, self, self._make_next_panel)

    def _make_panel(self, view: str) -> ViewPanel:
        panel = PANELS[view](self.ctx)
        self.stack.addWidget(panel)
        return panel

    def _make_next_panel(self) -> None:
        if self._closed:
            return
        todo = [v for v in VIEWS if v not in self.panels]
        if todo:
            self.panels[todo[0]]  # made by the lookup
            QtCore.QTimer.singleShot(PANEL_AFTER_MS, self, self._make_next_panel)

    # -- the frame -------------------------------------------------------------------------
    def tick(self) -> None:
        t0 = time.perf_counter()
        upd = self.bridge.take()
        if self.replay_at is None:
            if upd.statuses:
                self.ctx.statuses.update(upd.statuses)
                self.viewport.apply_statuses(upd.statuses)
            if upd.readings:
                self.ctx.readings.update(upd.readings)
        else:
            self._poll_replay()
        for notice in upd.notices:  # a seat: what another desk did, a queued step refused
            self.notify(notice)
        if upd.raised or upd.cleared:
            self.alarms.on_new(upd.raised)
            if self.replay_at is None:
                self._linkage(upd.raised)
        now = time.monotonic()
        busy = False
        if now - self._panel_at >= self._panel_every():
            busy = True
            self._panel_at = now
            self._update_top()
            self.timebar.set_now(float(self._live_clock()))
            panel = self.panels.get(self.view)
            if panel is not None:
                self._guarded(panel.refresh)
            if self.inspector.isVisible():
                self.inspector.refresh()
        # the panels' second and the 3D frame take turns, so no tick holds the GUI thread for
        # both (each is tens of milliseconds on software GL); the frame comes in a turn of the
        # event loop of its own, after Qt has painted the widgets this tick changed, so input
        # and timers are served between the three
        if not self.viewport.flying and (not busy or self._skipped):
            QtCore.QTimer.singleShot(FRAME_AFTER_MS, self, self._frame)
            self._skipped = False
        else:
            self._skipped = True
        self.tick_ms.append((time.perf_counter() - t0) * 1000)
        del self.tick_ms[:-400]

    def _panel_every(self) -> float:
        """The frame budget: the panels refresh every second, every two while the 3D frames
        take longer than :data:`FRAME_BUDGET_MS` (a slow machine, a large scene), so the
        frame and input keep the GUI thread."""
        recent = self.viewport.frame_ms[-8:]
        slow = len(recent) >= 4 and float(np.median(recent)) > FRAME_BUDGET_MS
        return PANEL_EVERY_S * (2.0 if slow else 1.0)

    def _frame(self) -> None:
        if not self._closed and not self.viewport.flying:
            self.viewport.render()

    def _update_top(self) -> None:
        ctx, L = self.ctx, self.lang
        now = self._now()
        self.topbar.clock.set(format_local(now, self.tz)[11:16])
        self.topbar.clock.label.setText(format_local(now, self.tz)[:10])
        pm = [
            v
            for d in self.scene.devices
            if d.kind == "env_monitor"
            and ctx.statuses.get(d.id) not in ("offline", "unknown")
            and isinstance(v := ctx.readings.get(d.id, {}).get("pm25"), int | float)
        ]
        if pm:
            mean = float(np.mean(pm))
            self.topbar.air.set(f"{mean:.0f} µg/m³", theme.STATUS[band(mean, QUANTITIES["pm25"])])
        else:
            self.topbar.air.set(tr(L, "no_data"), theme.MUTED)
        devs = self.scene.devices
        known = [ctx.statuses.get(d.id, "unknown") for d in devs]
        reporting = sum(1 for s in known if s != "unknown")
        up = sum(1 for s in known if s in UP_STATUSES)
        self.topbar.online.set(
            f"{up:,} / {len(devs):,}",
            theme.STATUS["ok"] if online_rate_ok(up, reporting) else theme.STATUS["warning"],
        )
        n = self.alarms.open_count()
        self.topbar.alarms.set(str(n), theme.STATUS["alarm"] if n else theme.STATUS["ok"])
        info = self.live.feed.info() if self.live.feed is not None else {}
        health = self.live.pipeline.health()
        log_health = health["event_log"]
        shared = health.get("shared")
        if not health["history"]["ok"] and log_health["ok"] and not self._history_told:
            self._history_told = True  # once: it stays true until the file is fixed
            self.notify(tr(L, "history_down", error=health["history"]["error"]))
        if not log_health["ok"]:  # alarms are not being recorded: the loudest thing on the bar
            self.topbar.set_mode(
                f"{tr(L, 'log_down')} · {log_health['unwritten']}", theme.STATUS["alarm"]
            )
            text = tr(
                L,
                "log_down_detail",
                path=log_health["path"],
                error=log_health["error"],
                n=log_health["unwritten"],
            )
            if self.status.text() != text:
                self.notify(text)
        elif shared is not None and not shared["ok"]:  # a seat cut off: the picture is old
            since = format_local(shared["since"], self.tz)[11:16] if shared["since"] else ""
            self.topbar.set_mode(
                tr(L, "stale", since=since, n=shared.get("queued", 0)), theme.STATUS["alarm"]
            )
        elif self.replay_at is not None:
            self.topbar.set_mode(tr(L, "replaying"), theme.STATUS["warning"])
        elif info.get("connected") is False:
            self.topbar.set_mode(tr(L, "feed_down"), theme.STATUS["alarm"])
        else:
            self.topbar.set_mode(tr(L, "live"), theme.STATUS["ok"])

    def start_tour(self, name: str | None = None, idle_s: float = 60.0) -> None:
        """Run a tour in this window (kiosk mode does this at start)."""
        from twin.shell.kiosk import Kiosk

        if self.kiosk is None:
            self.kiosk = Kiosk(self, name, idle_s)
        self.kiosk.start()

    def _guarded(self, fn: Callable[[], object]) -> None:
        """A panel's refresh that fails (a bug) is logged with its traceback and said once in
        the status line; the wall keeps running with the panel's last figures."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a wall that runs for weeks must not stop here
            key = f"{type(exc).__name__}: {exc}"
            if key not in self._failed:
                self._failed.add(key)
                log.exception("the %s panel failed (shown with its last figures)", self.view)
                self.notify(f"{tr(self.lang, self.view)}: {key}")

    def notify(self, message: str) -> None:
        """A one-line message in the status line (errors in amber), cleared after 15 s."""
        self.status.setText(message)
        self.status.setStyleSheet(f"color: {theme.STATUS['warning']};")
        QtCore.QTimer.singleShot(
            15000, self.status, lambda: self.status.text() == message and self.status.setText("")
        )

    # -- views -----------------------------------------------------------------------------
    def set_view(self, view: str) -> None:
        if view not in PANELS:
            return
        t0 = time.perf_counter()
        self.view = view
        self.viewport.set_view(view)
        panel = self.panels[view]
        self.stack.setCurrentWidget(panel)
        self._guarded(panel.activate)
        self.topbar.set_view(view)
        self.viewport.render()
        self.switch_ms.append((time.perf_counter() - t0) * 1000)
        self.view_changed.emit(view)

    def _linkage(self, raised: list[Any]) -> None:
        """Emergency linkage: a new fire or smoke alarm brings up the security view there."""
        fire = [e for e in raised if e.kind in FIRE_KINDS]
        if not fire or (self.kiosk is not None and self.kiosk.running):
            return
        e = fire[-1]
        if self.view != "security":
            self.set_view("security")
        self.fly_to_device(e.device_id)

    # -- fly-to, search, bookmarks ---------------------------------------------------------
    def fly_to_device(self, device_id: str) -> bool:
        dev = self.ctx.devices.get(device_id)
        if dev is None:
            return self._fly_to_household(device_id)
        shown = self.viewport.layers.visible_kinds()
        if dev.kind not in shown:
            self.set_view("overview")
        self.viewport.fly_to_point(dev.x, dev.y, dev.z, distance=110.0)
        self.viewport.layers.highlight(dev.x, dev.y, dev.z + 0.3, 9.0)
        if dev.kind == "camera":
            self.panels["security"].selected_camera = dev.id  # type: ignore[attr-defined]
        self.inspector.show_target("device", dev.id)
        return True

    def _fly_to_household(self, target: str) -> bool:
        """A care check or an overstay is about a household: fly to its building."""
        from twin.analysis.people import building_points
        from twin.state.peoplelog import load_register
        from twin.state.peoplewatch import household_target

        try:
            register = load_register(self.ctx.events)
        except InputError as exc:  # a seat cut off from the shared database
            self.notify(exc.message)
            return False
        buildings = {p.building for p in register if household_target(p.household) == target}
        points = building_points(self.scene, buildings)
        if not points:
            return False
        x, y, z = next(iter(points.values()))
        if self.view != "personnel":
            self.set_view("personnel")
        self.viewport.fly_to_point(x, y, z, distance=160.0)
        self.viewport.layers.highlight(x, y, z + 0.5, 14.0)
        return True

    def search(self, text: str) -> str | None:
        from twin.usecases.search import search_devices

        text = text.strip()
        if not text:
            return None
        hits = search_devices(self.scene, text, 1)
        hit = hits[0] if hits else None
        if hit is None:
            self.notify(f"{tr(self.lang, 'not_found')}: {text}")
            return None
        self.status.setText("")
        self.fly_to_device(hit.id)
        return hit.id

    def _bookmark_names(self) -> list[str]:
        return [v.name for v in self.scene.spec.views]

    def go_bookmark(self, name: str) -> None:
        if not name:
            self.viewport.fly_home()
            return
        for v in self.scene.spec.views:
            if v.name == name and name in self.scene.view_targets:
                x, y = self.scene.view_targets[name]
                self.viewport.fly_to_pose(CameraPose(x, y, 0.0, v.distance, v.heading, v.pitch))
                return

    def _ask_bookmark(self) -> None:
        name, ok = QtWidgets.QInputDialog.getText(
            self, tr(self.lang, "save_view"), tr(self.lang, "view_name")
        )
        if ok and name.strip():
            self.save_bookmark(name.strip())

    def save_bookmark(self, name: str) -> bool:
        """Save the current camera as a view in the scene file (comments kept)."""
        from twin.usecases.bookmarks import save_bookmark

        pose = pose_of(self.viewport.plotter)
        try:
            save_bookmark(self.scene, name, pose.x, pose.y, pose.distance, pose.heading, pose.pitch)
        except InputError as exc:
            self.notify(f"{tr(self.lang, 'action_failed')}: {exc.message}")
            return False
        self.topbar.set_bookmarks(self._bookmark_names())
        return True

    # -- picking ---------------------------------------------------------------------------
    def on_pick(self, kind: str, what: Any) -> None:
        if kind == "device":
            dev = self.ctx.devices.get(str(what))
            if dev is not None:
                self.viewport.layers.highlight(
                    dev.x, dev.y, dev.z + 0.3, max(6.0, 14 * self.viewport.mpp)
                )
                if dev.kind == "camera":
                    self.panels["security"].selected_camera = dev.id  # type: ignore[attr-defined]
                    self.panels["planning"].select_camera(dev.id)  # type: ignore[attr-defined]
                    if self.view == "security":
                        self.panels["security"].refresh()
            self.inspector.show_target("device", what)
        elif kind in ("building", "bim"):
            self.viewport.layers.clear_highlight()
            self.inspector.show_target(kind, what)
        elif kind == "ground" and self.view == "parking":
            x, y = what
            hit = self.panels["parking"].find_nearest_free(x, y)  # type: ignore[attr-defined]
            if hit is not None:
                dev, _d = hit
                self.viewport.layers.highlight(
                    dev.x, dev.y, dev.z + 0.3, max(4.0, 14 * self.viewport.mpp)
                )
        self.viewport.render()

    # -- time slider -----------------------------------------------------------------------
    def set_time(self, back_s: float) -> None:
        if back_s <= 0:
            self.go_live()
            return
        if self.live.history is None:
            self.status.setText(tr(self.lang, "history_none"))
            return
        from twin.usecases.session import replay_at

        at = float(self._live_clock()) - back_s
        self.replay_at = at
        hist = self.live.history
        self._replay_job = self.ctx.pool.submit(replay_at, self.scene, hist, at)
        self._update_top()

    def _poll_replay(self) -> None:
        job = self._replay_job
        if job is None or not job.done():
            return
        self._replay_job = None
        try:
            statuses, readings = job.result()
        except Exception:  # noqa: BLE001 - a failed replay leaves the picture as it was
            log.exception("replay failed")
            return
        self._apply_full(statuses, readings)

    def go_live(self) -> None:
        if self.replay_at is None:
            return
        self.replay_at = None
        self._replay_job = None
        p = self.live.pipeline
        with p.lock:
            statuses = {i: st.status for i, st in p.store.states.items()}
            readings = {i: dict(st.readings) for i, st in p.store.states.items() if st.readings}
        self.bridge.take()  # already in the snapshot
        self._apply_full(statuses, readings)
        if self.timebar.back_s > 0:
            self.timebar.go_live()
        self._update_top()

    def _apply_full(self, statuses: dict[str, str], readings: dict[str, dict[str, Any]]) -> None:
        self.ctx.statuses.clear()
        self.ctx.statuses.update(statuses)
        self.ctx.readings.clear()
        self.ctx.readings.update(readings)
        self.viewport.apply_statuses(
            {d.id: statuses.get(d.id, "unknown") for d in self.scene.devices}
        )
        self._panel_at = 0.0

    # -- language and size -----------------------------------------------------------------
    def set_language(self, lang: str) -> None:
        self.lang = lang
        self.ctx.lang = lang
        theme.apply(QtWidgets.QApplication.instance(), self.font_scale, lang)  # type: ignore[arg-type]
        self.topbar.retranslate(lang, self._bookmark_names())
        self.alarms.retranslate(lang)
        self.timebar.retranslate(lang)
        for p in self.panels.values():
            p.retranslate()
        self.inspector.refresh(full=True)
        self._panel_at = 0.0
        store.save_value("lang", lang)

    def toggle_language(self) -> None:
        self.set_language("en" if self.lang == "zh" else "zh")

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = max(0.6, min(scale, 4.0))
        theme.apply(QtWidgets.QApplication.instance(), self.font_scale, self.lang)  # type: ignore[arg-type]
        store.save_value("font_scale", self.font_scale)

    # -- screenshots and closing -----------------------------------------------------------
    def capture(self) -> QtGui.QImage:
        """The whole window as the operator sees it, the 3D view included."""
        self.viewport.render()
        img = self.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB888)
        self.viewport.plotter.enable_anti_aliasing("fxaa")
        try:
            frame = self.viewport.plotter.screenshot(None, return_img=True)
        finally:
            self.viewport.plotter.disable_anti_aliasing()
        if frame is not None:
            arr = np.ascontiguousarray(frame[:, :, :3])
            h, w = arr.shape[:2]
            qimg = QtGui.QImage(arr.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
            widget = self.viewport.plotter.interactor
            top_left = widget.mapTo(self, QtCore.QPoint(0, 0))
            dpr = img.devicePixelRatio() or 1.0
            target = QtCore.QRect(
                int(top_left.x() * dpr),
                int(top_left.y() * dpr),
                int(widget.width() * dpr),
                int(widget.height() * dpr),
            )
            p = QtGui.QPainter(img)
            p.drawImage(target, qimg)
            p.end()
        return img

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.timer.stop()
        if self.kiosk is not None:
            self.kiosk.stop()
        try:
            store.save_window(self)
        except Exception:  # noqa: BLE001 - never lose the close over settings
            log.exception("could not save the layout")
        self._closed = True
        self.bridge.detach()
        self.ctx.pool.shutdown(wait=False, cancel_futures=True)
        for p in self.panels.values():
            p.shutdown()
        try:
            self.live.close()
        finally:
            self.viewport.close_view()
        super().closeEvent(event)
