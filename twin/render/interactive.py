"""An interactive 3D window of a scene (``twin view``, ``make run`` until the Qt shell lands)."""

from __future__ import annotations

from twin.core.i18n import default_lang
from twin.render.offscreen import add_overlays, make_plotter
from twin.render.scenevis import SceneVisual, frame_overview
from twin.scene.scene import Scene


def show_scene(scene: Scene, lang: str | None = None, size: tuple[int, int] = (1600, 900)) -> None:
    lang = lang or default_lang()
    plotter = make_plotter(size, off_screen=False)
    vis = SceneVisual(scene)
    vis.add_to(plotter)
    vis.add_markers(plotter, point_size=7.0)
    mpp = frame_overview(plotter, scene, size)
    vis.rescale_glyphs(mpp)
    add_overlays(plotter, scene, lang, size)
    plotter.enable_anti_aliasing("fxaa")
    plotter.show(title=f"{scene.name} - community twin", auto_close=True)
