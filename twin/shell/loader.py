"""Loading off the GUI thread: the scene (GIS, IFC and their caches) and the live session are
built on a worker thread while the progress screen stays responsive."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore, QtWidgets

from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.shell import theme
from twin.shell.texts import tr
from twin.telemetry.live import Live

log = logging.getLogger(__name__)


@dataclass
class LoadRequest:
    scene_path: str
    feed: str | None = "sim"
    """None on the shared database: a seat (``twin.telemetry.seat``)."""
    db: str | None = None
    seed: int = 1
    speed: float = 1.0
    incidents_every: float | None = 180.0
    backfill: bool = True
    """A new simulated session gets the last 24 hours of history (first run only)."""


@dataclass
class Loaded:
    scene: Scene
    live: Live
    """The session (a seat's on the shared database without a feed)."""


def load(req: LoadRequest, progress: Any = None) -> Loaded:
    """Build the scene and open its live session (not started). Raises InputError."""
    from twin.state.dburl import shared_url
    from twin.usecases.scene import open_scene
    from twin.usecases.session import join_seat, start_session

    scene = open_scene(req.scene_path, progress)
    if progress:
        progress("live", 0.97)
    url = shared_url(req.db)
    if req.feed is None and url is not None:
        return Loaded(scene, join_seat(scene, url))
    live = start_session(
        scene,
        req.feed or "sim",
        req.db,
        req.seed,
        req.speed,
        None,
        req.incidents_every,
        req.backfill,
        (lambda f: progress("history", 0.97 + 0.03 * f)) if progress else None,
    )
    return Loaded(scene, live)


class _Worker(QtCore.QObject):
    progress = QtCore.Signal(str, float)
    done = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, req: LoadRequest) -> None:
        super().__init__()
        self.req = req

    @QtCore.Slot()
    def run(self) -> None:
        try:
            self.done.emit(
                load(self.req, lambda stage, frac: self.progress.emit(stage, float(frac)))
            )
        except InputError as exc:
            self.failed.emit(exc.message)
        except Exception as exc:  # a bug: logged with its traceback, shown in one line
            log.exception("loading failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")


class LoadingScreen(QtWidgets.QWidget):
    """The scene's name, a progress bar and the stage; loads on a worker thread."""

    loaded = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, req: LoadRequest, name: str, lang: str) -> None:
        super().__init__()
        self.setWindowTitle(name)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addStretch(2)
        title = QtWidgets.QLabel(tr(lang, "loading", name=name))
        title.setObjectName("title")
        title.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.bar = QtWidgets.QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setFixedWidth(640)
        self.stage = QtWidgets.QLabel("")
        self.stage.setObjectName("muted")
        self.stage.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        row = QtWidgets.QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.bar)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.stage)
        lay.addStretch(3)
        self.setStyleSheet(f"background: {theme.BG};")
        self._thread = QtCore.QThread(self)
        self._worker = _Worker(req)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)

    def start(self) -> None:
        self._thread.start()

    def _on_progress(self, stage: str, frac: float) -> None:
        self.bar.setValue(int(frac * 100))
        self.stage.setText(stage)

    def _finish(self) -> None:
        self._thread.quit()
        self._thread.wait(5000)

    def _on_done(self, result: Loaded) -> None:
        self._finish()
        self.loaded.emit(result)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.failed.emit(message)
