"""An interactive 3D window of a scene (``twin view``, ``make run`` until the Qt shell lands)."""

from __future__ import annotations

from twin.render.offscreen import compose
from twin.scene.scene import Scene


def show_scene(scene: Scene, lang: str | None = None, size: tuple[int, int] = (1600, 900)) -> None:
    plotter, _ = compose(scene, "overview", size, lang, off_screen=False)
    plotter.enable_anti_aliasing("fxaa")
    plotter.show(title=f"{scene.name} - community twin", auto_close=True)
