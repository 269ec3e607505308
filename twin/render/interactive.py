"""An interactive 3D window of a scene (``twin view``, ``make run`` until the Qt shell lands),
optionally live: devices recoloured by status as the pipeline reports changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from twin.core.i18n import default_lang, pick
from twin.render.offscreen import compose
from twin.render.status import LEGEND, STATUS_RGB, StatusColours
from twin.scene.scene import Scene

LIVE_TICK_MS = 250
"""How often the window takes the pipeline's changes (one restyle and one render per tick)."""


def show_scene(scene: Scene, lang: str | None = None, size: tuple[int, int] = (1600, 900),
               poll: Callable[[], tuple[dict[str, str], str]] | None = None) -> None:
    """Open the window; with ``poll`` (returns the statuses changed since the last call and the
    current time as text) devices show their live status, refreshed every 250 ms."""
    lang = lang or default_lang()
    live = poll is not None
    plotter, vis = compose(scene, "overview", size, lang, off_screen=False,
                           statuses={} if live else None, subtitle="" if live else None)
    plotter.enable_anti_aliasing("fxaa")
    if poll is not None:
        colours = StatusColours(scene)
        status: dict[str, str] = {}
        point = max(10.0, 18.0 * size[1] / 1080)

        def tick(step: Any) -> None:
            changed, when = poll()
            if changed:
                status.update(changed)
                colours.update(changed, vis)
                alert = [i for i, s in status.items() if s in ("alarm", "fault")]
                vis.set_alerts(alert, np.array([STATUS_RGB[status[i]] for i in alert]).reshape(-1, 3), point)
                legend = vis.labels.get("legend")
                if legend is not None:
                    tally = Counter(status.get(d.id, "unknown") for d in scene.devices)
                    for n, (_entry, zh, st) in enumerate(LEGEND):
                        legend.SetEntryString(n, f"{pick(lang, st, zh)}  {tally.get(st, 0)}")  # type: ignore[attr-defined]
            sub = vis.labels.get("subtitle")
            if sub is not None:  # a corner annotation (upper right = corner 3)
                sub.SetText(3, when)  # type: ignore[attr-defined]
            plotter.render()

        plotter.add_timer_event(max_steps=10**9, duration=LIVE_TICK_MS, callback=tick)
    plotter.show(title=f"{scene.name} - community twin", auto_close=True)
