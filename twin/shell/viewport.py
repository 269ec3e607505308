"""The 3D viewport: the scene in a pyvistaqt widget, devices restyled from live statuses,
themed layers per view, smooth camera flights, and picking of devices and buildings."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets
from pyvistaqt import QtInteractor

from twin.render import vtkparts as vtk
from twin.render.camera import apply_pose, pose_of
from twin.render.offscreen import configure, marker_point_size
from twin.render.scenevis import SceneVisual, _project, frame_community
from twin.render.status import StatusColours, alert_point_size, show_alerts
from twin.render.viewlayers import ViewLayers
from twin.scene.catalogue import CATALOGUE
from twin.scene.scene import Scene
from twin.scene.tour import CameraPose, interpolate

FLIGHT_S = 1.2
"""Seconds of a fly-to (eased in and out)."""
FRESH_S = 0.1
"""A paint Qt asks for within this long of a frame, at the same size, does not render again."""
PICK_PX = 16
"""How near (pixels) a click must be to a device's marker to pick it."""


class SceneView(QtWidgets.QFrame):
    """The scene, live. ``picked`` gets ("device", id), ("building", index), ("bim", index) or
    ("ground", (x, y)) for a click (not a drag)."""

    picked = QtCore.Signal(str, object)

    def __init__(self, scene: Scene, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.plotter = QtInteractor(self, auto_update=False, lighting="none")
        lay.addWidget(self.plotter.interactor)
        configure(self.plotter)
        # no FXAA in the live view: it costs ~55 ms a frame on software GL (the benchmark's
        # "frame with FXAA"), which would hold the GUI thread past 100 ms; screenshots use it
        self.vis = SceneVisual(scene)
        self.vis.add_to(self.plotter)
        self.vis.add_markers(self.plotter, point_size=marker_point_size(1080))
        self.mpp = 1.0
        self.home: CameraPose | None = None
        """The whole scene, framed once the widget has its size."""
        self.layers = ViewLayers(self.plotter, self.vis)
        self.colours = StatusColours(scene)
        self.statuses: dict[str, str] = {}
        self._alerts: dict[str, str] = {}
        self._pins_stale = True
        self.overrides: set[str] = set()
        """Kinds whose colours the current view sets (not their status)."""
        devs = scene.devices
        self._dev_ids = np.array([d.id for d in devs], dtype=object)
        self._dev_kind = np.array([d.kind for d in devs], dtype=object)
        lift = np.array([max(CATALOGUE[d.kind].mount_height, 1.0) + 1.5 for d in devs])
        self._dev_xyz = (
            (
                np.column_stack([[d.x for d in devs], [d.y for d in devs], [d.z for d in devs]])
                + np.column_stack([np.zeros(len(devs)), np.zeros(len(devs)), lift])
            )
            if devs
            else np.zeros((0, 3))
        )
        self._flight: tuple[CameraPose, CameraPose, float, float] | None = None
        self._flight_timer = QtCore.QTimer(self)
        self._flight_timer.setInterval(33)
        self._flight_timer.timeout.connect(self._fly_step)
        self._press: tuple[int, int] | None = None
        self._picker = vtk.vtkCellPicker()
        self._picker.SetTolerance(0.0005)
        iren = self.plotter.iren
        iren.add_observer("LeftButtonPressEvent", self._on_press)
        iren.add_observer("LeftButtonReleaseEvent", self._on_release)
        iren.add_observer("EndInteractionEvent", lambda *_: self._after_move())
        iren.add_observer("MouseWheelForwardEvent", lambda *_: self._after_move())
        iren.add_observer("MouseWheelBackwardEvent", lambda *_: self._after_move())
        self.frame_ms: list[float] = []
        self._fresh: tuple[float, tuple[int, int]] = (0.0, (0, 0))
        """When :meth:`render` drew the last frame, and at what size."""
        widget = self.plotter.interactor
        paint = widget.paintEvent

        def on_paint(ev: Any) -> None:  # Qt asks the widget to paint (an expose, a resize...)
            at, size = self._fresh
            if time.perf_counter() - at > FRESH_S or tuple(self.plotter.window_size) != size:
                paint(ev)  # renders: the frame on screen may be stale or of another size

        widget.paintEvent = on_paint

    # -- sizes and rendering ---------------------------------------------------------------
    def _size(self) -> tuple[int, int]:
        w, h = self.plotter.window_size
        return max(int(w), 320), max(int(h), 240)

    def ensure_framed(self) -> bool:
        """Frame the community the first time the view has a size (framing needs it)."""
        if self.home is not None:
            return True
        w, h = self.plotter.renderer.GetSize()
        if w < 50 or h < 50:
            return False
        # the wall's home: the community operators watch (the whole data when none declared)
        self.mpp = frame_community(self.plotter, self.scene, (w, h))
        self.vis.rescale_glyphs(self.mpp)
        self.home = pose_of(self.plotter)
        return True

    def render(self) -> None:  # type: ignore[override]
        if self.plotter.render_window is None or not self.ensure_framed():
            return  # closed (a frame asked for just before the window closed), or not shown
        t0 = time.perf_counter()
        self.plotter.renderer.ResetCameraClippingRange()
        # the render window draws into its native window directly, once. Not plotter.render()
        # (it renders, then the widget's paint renders the same frame again) and not the
        # widget's repaint() (it paints and flushes every widget with an update pending in
        # the same call: 30-60 ms more of the GUI thread on software GL, measured); a paint
        # Qt asks for just after this frame, at its size, is the same frame and is skipped
        self.plotter.render_window.Render()
        self._fresh = (time.perf_counter(), tuple(self.plotter.window_size))
        self.frame_ms.append((time.perf_counter() - t0) * 1000)
        del self.frame_ms[:-200]

    def metres_per_pixel(self) -> float:
        cam = self.plotter.camera
        d = float(np.linalg.norm(np.array(cam.GetFocalPoint()) - np.array(cam.GetPosition())))
        return 2 * d * math.tan(math.radians(cam.GetViewAngle() / 2)) / max(self._size()[1], 1)

    def rescale_if_needed(self) -> None:
        """Glyph scale and detail follow the zoom when it changed by a fifth or more."""
        if not hasattr(self, "_scaled_mpp") or abs(self.mpp / self._scaled_mpp - 1) > 0.2:
            self._scaled_mpp = self.mpp
            self.vis.rescale_glyphs(self.mpp)

    def _after_move(self) -> None:
        self.mpp = self.metres_per_pixel()
        self.rescale_if_needed()
        self.layers.plan.set_scale(self.mpp)

    # -- statuses --------------------------------------------------------------------------
    def apply_statuses(self, changed: dict[str, str]) -> None:
        """Restyle the changed devices (their kinds' arrays, once each) and the alert pins."""
        if not changed:
            return
        self.statuses.update(changed)
        kinds = self.colours.update(changed, None)
        for kind in kinds - self.overrides:
            self.vis.set_device_colours(kind, self.colours.arrays[kind])
        alerts = self._alerts
        before = len(alerts)
        touched = False
        for i, s in changed.items():
            if s in ("alarm", "fault"):
                touched = touched or alerts.get(i) != s
                alerts[i] = s
            elif alerts.pop(i, None) is not None:
                touched = True
        if touched or len(alerts) != before or self._pins_stale:
            self._show_pins()

    def _show_pins(self) -> None:
        shown = self.layers.visible_kinds()
        visible = {
            i: s
            for i, s in self._alerts.items()
            if (k := self._kind_of(i)) is not None and k in shown
        }
        show_alerts(self.vis, visible, alert_point_size(1080))
        self._pins_stale = False

    def _kind_of(self, device_id: str) -> str | None:
        loc = self.colours.where.get(device_id)
        return loc[0] if loc else None

    def override_colours(self, kind: str, rgb: np.ndarray) -> None:
        self.overrides.add(kind)
        self.vis.set_device_colours(kind, rgb)

    def clear_overrides(self) -> None:
        for kind in self.overrides:
            if kind in self.colours.arrays:
                self.vis.set_device_colours(kind, self.colours.arrays[kind])
        self.overrides = set()

    def set_view(self, view: str) -> None:
        self.clear_overrides()
        self.layers.set_view(view)
        self._show_pins()

    # -- camera ----------------------------------------------------------------------------
    def set_pose(self, pose: CameraPose) -> None:
        """Put the camera at ``pose`` now (the kiosk tour drives it frame by frame)."""
        self.mpp = apply_pose(self.plotter, pose, self._size())

    def fly_to_pose(self, target: CameraPose, seconds: float = FLIGHT_S) -> None:
        start = pose_of(self.plotter)
        if seconds <= 0:
            self.stop_flight()  # a flight under way would carry the camera off again
            self.set_pose(target)
            self._after_move()
            self.render()
            return
        self._flight = (start, target, time.monotonic(), seconds)
        self._flight_timer.start()

    def fly_to_point(
        self, x: float, y: float, z: float = 0.0, distance: float = 120.0, seconds: float = FLIGHT_S
    ) -> None:
        cur = pose_of(self.plotter)
        self.fly_to_pose(CameraPose(x, y, z, distance, cur.heading, max(cur.pitch, 35.0)), seconds)

    def fly_home(self, seconds: float = FLIGHT_S) -> None:
        if self.ensure_framed() and self.home is not None:
            self.fly_to_pose(self.home, seconds)

    @property
    def flying(self) -> bool:
        return self._flight is not None

    def _fly_step(self) -> None:
        if self._flight is None:
            self._flight_timer.stop()
            return
        a, b, t0, dur = self._flight
        u = (time.monotonic() - t0) / dur
        self.set_pose(interpolate(a, b, u))
        if u >= 1.0:
            self._flight = None
            self._flight_timer.stop()
            self._after_move()
        else:
            self.rescale_if_needed()
        self.render()

    def stop_flight(self) -> None:
        self._flight = None
        self._flight_timer.stop()

    # -- picking ---------------------------------------------------------------------------
    def _on_press(self, *_: Any) -> None:
        self._press = tuple(self.plotter.iren.get_event_position())  # type: ignore[assignment]

    def _on_release(self, *_: Any) -> None:
        pos = tuple(self.plotter.iren.get_event_position())
        press, self._press = self._press, None
        if press is None or abs(pos[0] - press[0]) + abs(pos[1] - press[1]) > 4:
            self._after_move()
            return
        kind, what = self.pick(int(pos[0]), int(pos[1]))
        if kind:
            self.picked.emit(kind, what)

    def device_at(self, px: int, py: int, radius: float = PICK_PX) -> str | None:
        """The visible device whose marker is nearest the display point (VTK pixels, origin
        bottom left), within ``radius`` pixels."""
        if not len(self._dev_xyz):
            return None
        shown = self.layers.visible_kinds()
        mask = (
            np.array([k in shown for k in self._dev_kind])
            if len(shown) < len(self.layers.kinds)
            else np.ones(len(self._dev_kind), dtype=bool)
        )
        if not mask.any():
            return None
        w, h = self.plotter.renderer.GetSize()
        ndc = _project(self.plotter, self._dev_xyz[mask])
        px_all = np.column_stack([(ndc[:, 0] + 1) / 2 * w, (ndc[:, 1] + 1) / 2 * h])
        d = np.hypot(px_all[:, 0] - px, px_all[:, 1] - py)
        i = int(np.argmin(d))
        return str(self._dev_ids[mask][i]) if d[i] <= radius else None

    def pick(self, px: int, py: int) -> tuple[str, Any]:
        dev = self.device_at(px, py)
        if dev is not None:
            return "device", dev
        ren = self.plotter.renderer
        if self._picker.Pick(px, py, 0, ren):
            actor = self._picker.GetActor()
            cell = self._picker.GetCellId()
            for name in ("building", "bim", "bim_far"):
                a = self.vis.actors.get(name)
                if a is not None and actor is a and cell >= 0:
                    data = actor.GetMapper().GetInput()
                    ent = data.GetCellData().GetArray("entity")
                    if ent is not None:
                        idx = int(ent.GetValue(cell))
                        if name == "bim_far":  # its cells are a subset: map back through the shell
                            name = "bim"
                        return name, idx
            p = self._picker.GetPickPosition()
            return "ground", (float(p[0]), float(p[1]))
        # nothing under the cursor: the ground plane z = 0 along the view ray
        g = self.ground_at(px, py)
        return ("ground", g) if g is not None else ("", None)

    def ground_at(self, px: float, py: float, z: float = 0.0) -> tuple[float, float] | None:
        """Where the view ray through a display point (VTK pixels, origin bottom left) meets
        the plane at height ``z`` (None: the ray runs parallel to it, or away from it)."""
        ren = self.plotter.renderer
        ren.SetDisplayPoint(px, py, 0.0)
        ren.DisplayToWorld()
        near = np.array(ren.GetWorldPoint()[:3]) / (ren.GetWorldPoint()[3] or 1.0)
        ren.SetDisplayPoint(px, py, 1.0)
        ren.DisplayToWorld()
        far = np.array(ren.GetWorldPoint()[:3]) / (ren.GetWorldPoint()[3] or 1.0)
        if abs(far[2] - near[2]) <= 1e-9:
            return None
        t = (z - near[2]) / (far[2] - near[2])
        if t < 0:
            return None
        g = near + (far - near) * t
        return float(g[0]), float(g[1])

    def display_of(self, qt_x: float, qt_y: float) -> tuple[float, float]:
        """VTK display pixels (origin bottom left) of a point of the widget in Qt's logical
        pixels (origin top left)."""
        dpr = self.plotter.interactor.devicePixelRatioF()
        h = self.plotter.renderer.GetSize()[1]
        return qt_x * dpr, h - 1 - qt_y * dpr

    def screen_points(self, xyz: np.ndarray) -> np.ndarray:
        """Display pixels ``(n, 2)`` (VTK: origin bottom left) of world points ``(n, 3)``."""
        w, h = self.plotter.renderer.GetSize()
        ndc = _project(self.plotter, np.asarray(xyz, dtype=float).reshape(-1, 3))
        return np.column_stack([(ndc[:, 0] + 1) / 2 * w, (ndc[:, 1] + 1) / 2 * h])

    def screen_of(self, xyz: tuple[float, float, float]) -> tuple[int, int]:
        """Display pixel (VTK: origin bottom left) of a world point."""
        w, h = self.plotter.renderer.GetSize()
        ndc = _project(self.plotter, np.array([xyz], dtype=float))[0]
        return int((ndc[0] + 1) / 2 * w), int((ndc[1] + 1) / 2 * h)

    def device_point(self, device_id: str) -> tuple[float, float, float] | None:
        idx = np.nonzero(self._dev_ids == device_id)[0]
        if not len(idx):
            return None
        return tuple(float(v) for v in self._dev_xyz[idx[0]])  # type: ignore[return-value]

    def close_view(self) -> None:
        self._flight_timer.stop()
        self.plotter.close()
