"""What every view's panel shares: the context it reads (scene, live state, stores) and the
panel base class. Each view's panel is its own module beside this one; slow work
(interpolation, history queries) runs on a worker thread and the GUI applies the result."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

from PySide6 import QtWidgets

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import Device
from twin.scene.scene import Scene
from twin.state.events import EventStore
from twin.state.history import HistoryStore

FIRE_KINDS = ("smoke_detector", "fire_alarm")
THEMES = ("security", "municipal", "property")
THEME_NAMES = {
    "security": ("Security & fire", "安防消防"),
    "municipal": ("Municipal", "市政"),
    "property": ("Property", "物业"),
}


@dataclass
class Context:
    """What every view reads: the scene, the live state as the GUI knows it, the stores."""

    scene: Scene
    viewport: Any
    events: EventStore
    history: HistoryStore | None
    tz: tzinfo | None
    lang: str
    now: Any
    """Callable returning the scene's current time (sim, replay or wall time)."""
    statuses: dict[str, str] = field(default_factory=dict)
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)
    role: str = "operator"
    """The signed-in role (viewer, operator, supervisor): who may see names."""
    operator: str = ""
    """Who is signed in (written with every action and unmasking)."""
    pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="twin-view")
    )

    @cached_property
    def devices(self) -> dict[str, Device]:
        """Device id -> device."""
        return {d.id: d for d in self.scene.devices}

    @cached_property
    def meter_buildings(self) -> dict[str, int]:
        """Meter id -> index of its building (computed once, on first use)."""
        from twin.analysis.energy import meter_buildings

        return meter_buildings(self.scene)

    def day_start(self, now: float) -> float:
        dt = (
            datetime.fromtimestamp(now, self.tz)
            if self.tz
            else datetime.fromtimestamp(now).astimezone()
        )
        return dt.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def month_start(self, now: float) -> float:
        dt = (
            datetime.fromtimestamp(now, self.tz)
            if self.tz
            else datetime.fromtimestamp(now).astimezone()
        )
        return dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def pct(n: float, d: float) -> str:
    return f"{100.0 * n / d:.0f} %" if d else "–"


def kind_name(kind: str, lang: str) -> str:
    return CATALOGUE[kind].display_name(lang) if kind in CATALOGUE else kind


class ViewPanel(QtWidgets.QScrollArea):
    """Base: a scrolling column of sections; subclasses fill it."""

    name = "overview"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        body = QtWidgets.QWidget()
        self.body = QtWidgets.QVBoxLayout(body)
        self.body.setContentsMargins(6, 6, 6, 6)
        self.body.setSpacing(8)
        self.setWidget(body)
        self._job: Future[Any] | None = None
        self._job_at = 0.0

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def retranslate(self) -> None:
        """Texts in ``ctx.lang``."""

    def activate(self) -> None:
        """The view became current: put its layers on the scene."""

    def refresh(self) -> None:
        """Figures and layers from ``ctx`` (called about once a second)."""

    def run_job(self, fn: Any, every_s: float, force: bool = False) -> Any:
        """Run ``fn`` on the worker thread at most every ``every_s``; returns a finished
        result once (then None until the next one finishes)."""
        if self._job is not None and self._job.done():
            job, self._job = self._job, None
            try:
                return job.result()
            except InputError:  # its data cannot be read now (a seat cut off): the last picture
                return None
            except Exception:  # noqa: BLE001 - a failed analysis leaves the last picture
                import logging

                logging.getLogger(__name__).exception("view analysis failed")
                return None
        if self._job is None and (force or time.monotonic() - self._job_at >= every_s):
            self._job_at = time.monotonic()
            self._job = self.ctx.pool.submit(fn)
        return None

    def shutdown(self) -> None:
        """The window closes: stop the panel's own workers (if it has any)."""

    def wait_job(self, timeout: float = 10.0) -> None:
        """Tests and screenshots: let the running analysis finish."""
        if self._job is not None:
            self._job.result(timeout)


# -- overview ------------------------------------------------------------------------------
