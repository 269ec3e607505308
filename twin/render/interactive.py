"""An interactive 3D window of a scene (``twin view``, ``make run`` until the Qt shell lands),
optionally live: devices recoloured by status as the pipeline reports changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twin.core.i18n import default_lang
from twin.render.offscreen import compose
from twin.render.status import StatusColours, alert_point_size, legend_labels, show_alerts
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
        point = alert_point_size(size[1])

        def tick(step: Any) -> None:
            changed, when = poll()
            if changed:
                status.update(changed)
                colours.update(changed, vis)
                show_alerts(vis, status, point)
                legend = vis.labels.get("legend")
                if legend is not None:
                    for n, (text, _colour) in enumerate(legend_labels(scene, status, lang)):
                        legend.SetEntryString(n, text)  # type: ignore[attr-defined]
            sub = vis.labels.get("subtitle")
            if sub is not None:
                sub.SetInput(when)  # type: ignore[attr-defined]
            plotter.render()

        plotter.add_timer_event(max_steps=10**9, duration=LIVE_TICK_MS, callback=tick)
    plotter.show(title=f"{scene.name} - community twin", auto_close=True)
