"""Exhibition mode: the scene file's tour (camera keyframes, eased flights) cycling through
the views; any input takes over, and after ``idle_s`` seconds without input the tour resumes
where it left off (flying back to its path first)."""

from __future__ import annotations

import time
from typing import Any

from PySide6 import QtCore, QtWidgets

from twin.render.camera import pose_of
from twin.scene.tour import Tour, find_tour, interpolate, resolve_tour
from twin.shell.texts import tr

FRAME_MS = 40
"""Camera steps of the tour (25 per second; software GL renders what it can)."""
REJOIN_S = 2.5
"""Seconds of the flight back onto the tour after a takeover."""
INPUT_EVENTS = {
    QtCore.QEvent.Type.MouseButtonPress,
    QtCore.QEvent.Type.MouseMove,
    QtCore.QEvent.Type.Wheel,
    QtCore.QEvent.Type.KeyPress,
    QtCore.QEvent.Type.TouchBegin,
    QtCore.QEvent.Type.TabletPress,
}


class Kiosk(QtCore.QObject):
    """Drives ``win``'s camera and view along a tour; watches the whole app for input."""

    taken_over = QtCore.Signal()
    resumed = QtCore.Signal()

    def __init__(self, win: Any, tour_name: str | None = None, idle_s: float = 60.0) -> None:
        super().__init__(win)
        self.win = win
        self.spec = find_tour(win.scene.spec, tour_name)
        self.idle_s = idle_s
        self.tour: Tour | None = None
        self.running = False
        self.t = 0.0
        self._last = 0.0
        self._last_input = 0.0
        self._rejoin: tuple[Any, float] | None = None
        self._mouse_pos: QtCore.QPointF | None = None
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._frame)
        self.idle = QtCore.QTimer(self)
        self.idle.setInterval(1000)
        self.idle.timeout.connect(self._check_idle)

    def _resolve(self) -> Tour | None:
        vp = self.win.viewport
        if not vp.ensure_framed() or vp.home is None:
            return None
        return resolve_tour(self.spec, self.win.scene, vp.home)

    def start(self) -> None:
        """Full screen without chrome, the tour from its start."""
        self.win.timebar.hide()
        self.win.statusBar().showMessage(tr(self.win.lang, "kiosk_hint"))
        QtWidgets.QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]
        self.running = True
        self._last = time.monotonic()
        self._last_input = 0.0
        self.timer.start()
        self.idle.start()

    def stop(self) -> None:
        self.timer.stop()
        self.idle.stop()
        self.running = False
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _frame(self) -> None:
        if not self.running:
            return
        if self.tour is None:
            self.tour = self._resolve()
            if self.tour is None:
                return
        now = time.monotonic()
        dt, self._last = now - self._last, now
        vp = self.win.viewport
        if self._rejoin is not None:
            start_pose, t0 = self._rejoin
            u = (now - t0) / REJOIN_S
            target, view, _ = self.tour.at(self.t)
            if view != self.win.view:
                self.win.set_view(view)
            vp.set_pose(interpolate(start_pose, target, u))
            if u >= 1.0:
                self._rejoin = None
            vp.render()
            return
        self.t += dt
        pose, view, _i = self.tour.at(self.t)
        if view != self.win.view:
            self.win.set_view(view)
        vp.set_pose(pose)
        vp.rescale_if_needed()
        vp.render()

    # -- takeover ----------------------------------------------------------------------------
    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt's name
        et = event.type()
        if et in INPUT_EVENTS:
            if et == QtCore.QEvent.Type.MouseMove:
                pos = event.globalPosition() if hasattr(event, "globalPosition") else None  # type: ignore[attr-defined]
                if (
                    pos is not None
                    and self._mouse_pos is not None
                    and (pos - self._mouse_pos).manhattanLength() < 3
                ):
                    return False
                self._mouse_pos = pos
            self.take_over()
        return False

    def take_over(self) -> None:
        self._last_input = time.monotonic()
        if self.running and self.timer.isActive():
            self.timer.stop()
            self._rejoin = None
            self.win.statusBar().clearMessage()
            self.taken_over.emit()

    def _check_idle(self) -> None:
        if not self.running or self.timer.isActive():
            return
        if time.monotonic() - self._last_input >= self.idle_s:
            self.resume()

    def resume(self) -> None:
        """Back onto the tour: a short flight from where the operator left the camera."""
        self._rejoin = (pose_of(self.win.viewport.plotter), time.monotonic())
        self._last = time.monotonic()
        self.win.statusBar().showMessage(tr(self.win.lang, "kiosk_hint"))
        self.timer.start()
        self.resumed.emit()

    @property
    def paused(self) -> bool:
        return self.running and not self.timer.isActive()
