"""The planning view's mouse on the scene: press on a planned camera and drag it (it snaps to
poles and facades), drag the selected camera's heading handle to turn it, click to add a
camera while adding. Everything else (orbit, zoom, picking) is the viewport's as in every view.

The filter sits on the 3D widget's Qt events, before VTK sees them: a press it takes never
starts an orbit. It only finds what is under the mouse and says so to its planner (the
planning panel), which edits the session and redraws."""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np
from PySide6 import QtCore

from twin.shell.viewport import PICK_PX, SceneView

DRAG_START_PX = 3
"""A press moves this far before it is a drag (a click only selects)."""


class Planner(Protocol):
    """What the mouse asks of the planning panel."""

    def editing(self) -> bool: ...
    def adding(self) -> bool: ...
    def camera_points(self) -> tuple[list[str], np.ndarray]: ...
    def handle_point(self) -> np.ndarray | None: ...
    def select_camera(self, camera_id: str | None) -> None: ...
    def add_at(self, x: float, y: float) -> None: ...
    def begin_drag(self, camera_id: str, turning: bool) -> None: ...
    def drag_to(self, x: float, y: float) -> None: ...
    def end_drag(self) -> None: ...


class PlanMouse(QtCore.QObject):
    """The event filter of the planning view's edits on one viewport."""

    def __init__(self, viewport: SceneView, planner: Planner) -> None:
        super().__init__(viewport)
        self.vp = viewport
        self.planner = planner
        self.press: tuple[float, float] | None = None
        self.target: tuple[str, bool] | None = None
        """(camera id, turning) under the press."""
        self.dragging = False
        self.moves_ms: list[float] = []
        """Mouse event to updated frame, per drag move (the benchmark reads it)."""
        viewport.plotter.interactor.installEventFilter(self)

    def _display(self, event: Any) -> tuple[float, float]:
        p = event.position()
        return self.vp.display_of(float(p.x()), float(p.y()))

    def hit(self, dx: float, dy: float) -> tuple[str, bool] | None:
        """The selected camera's handle (turning) or the planned camera under a display point."""
        handle = self.planner.handle_point()
        ids, xyz = self.planner.camera_points()
        if handle is not None:
            hx, hy = self.vp.screen_points(handle[None, :])[0]
            if np.hypot(hx - dx, hy - dy) <= PICK_PX:
                sel = getattr(self.planner, "selected_camera", None)
                if sel is not None:
                    return sel, True
        if not ids:
            return None
        px = self.vp.screen_points(xyz)
        d = np.hypot(px[:, 0] - dx, px[:, 1] - dy)
        i = int(np.argmin(d))
        return (ids[i], False) if d[i] <= PICK_PX else None

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        t = event.type()
        E = QtCore.QEvent.Type
        if t not in (E.MouseButtonPress, E.MouseMove, E.MouseButtonRelease):
            return False
        if not self.planner.editing():
            self.press = self.target = None
            self.dragging = False
            return False
        left = QtCore.Qt.MouseButton.LeftButton
        if t == E.MouseButtonPress:
            if event.button() != left:
                return False
            dx, dy = self._display(event)
            if self.planner.adding():
                g = self.vp.ground_at(dx, dy)
                if g is not None:
                    self.planner.add_at(*g)
                return True
            hit = self.hit(dx, dy)
            if hit is None:
                return False  # the viewport's: orbit, or a click that picks
            self.press, self.target, self.dragging = (dx, dy), hit, False
            if not hit[1]:
                self.planner.select_camera(hit[0])
            return True
        if self.target is None:
            return False
        if t == E.MouseMove:
            t0 = time.perf_counter()
            dx, dy = self._display(event)
            if not self.dragging:
                if self.press is None or (
                    abs(dx - self.press[0]) + abs(dy - self.press[1]) < DRAG_START_PX
                ):
                    return True
                self.dragging = True
                self.planner.begin_drag(*self.target)
            g = self.vp.ground_at(dx, dy)
            if g is not None:
                self.planner.drag_to(*g)
                self.moves_ms.append((time.perf_counter() - t0) * 1000)
                del self.moves_ms[:-500]
            return True
        # release
        if self.dragging:
            self.planner.end_drag()
        self.press = self.target = None
        self.dragging = False
        return True
