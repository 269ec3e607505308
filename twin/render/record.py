"""``twin record``: a tour rendered offscreen, frame by frame, into an H.264 MP4."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from twin.core.errors import InputError
from twin.core.i18n import default_lang
from twin.render.camera import apply_pose, overview_pose
from twin.render.caption import add_caption, view_caption
from twin.render.offscreen import compose
from twin.render.scenevis import SceneVisual
from twin.render.viewlayers import ViewLayers
from twin.scene.scene import Scene
from twin.scene.scenefile import TourSpec
from twin.scene.tour import Tour, resolve_tour

Progress = Callable[[str, float], None]


def open_writer(out: Path, fps: float, size: tuple[int, int]) -> Any:
    """An imageio FFMPEG writer for H.264 (yuv420p, plays everywhere)."""
    import imageio.v2 as iio

    if size[0] % 2 or size[1] % 2:
        raise InputError(
            f"size {size[0]}x{size[1]}",
            "must be even numbers for an H.264 video.",
            "Use e.g. 1280x720 or 1920x1080.",
        )
    return iio.get_writer(
        str(out),
        format="FFMPEG",
        mode="I",
        fps=fps,
        codec="libx264",
        quality=None,
        pixelformat="yuv420p",
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart"],
    )


def record_tour(
    scene: Scene,
    tour: Tour | TourSpec,
    out: str | Path,
    fps: float = 25.0,
    size: tuple[int, int] = (1280, 720),
    lang: str | None = None,
    statuses: dict[str, str] | None = None,
    on_view: Callable[[str, SceneVisual], None] | None = None,
    progress: Progress | None = None,
    seconds: float | None = None,
    subtitle: str | None = None,
    antialias: bool = True,
) -> dict[str, float]:
    """Render ``tour`` (resolved, or a spec resolved here against the overview framing at
    ``size``) for ``seconds`` (default one loop) at ``fps`` into the MP4 ``out``, devices
    coloured by ``statuses`` (device id -> status) when given, each stop showing its view's
    device kinds with the view's name as a caption.
    ``on_view(view, visual)`` is called for the first frame and whenever the view changes,
    once the view is applied;
    ``progress(stage, fraction)`` as frames are written. Returns frames, seconds, and render
    / total frames per second."""
    lang = lang or default_lang()
    out = Path(out)
    t0 = perf_counter()
    plotter, vis = compose(scene, "overview", size, lang, statuses=statuses, subtitle=subtitle)
    writer = None
    try:
        if isinstance(tour, TourSpec):
            tour = resolve_tour(tour, scene, overview_pose(plotter, scene, size))
        seconds = tour.duration if seconds is None else seconds
        n = max(1, round(seconds * fps))
        caption = add_caption(vis.overlay or plotter.renderer, size, lang)
        layers = ViewLayers(plotter, vis)
        if antialias:
            plotter.enable_anti_aliasing("fxaa")
        writer = open_writer(out, fps, size)
        plotter.show(
            auto_close=False
        )  # offscreen: the first render; plotter.render() works after it
        t_setup = perf_counter() - t0
        shown: str | None = None
        t_render = 0.0
        for k in range(n):
            pose, view, _ = tour.at(k / fps)
            if view != shown:
                shown = view
                caption.SetInput(view_caption(view, lang))
                layers.set_view(view)  # the view's device kinds, as the kiosk shows them
                if on_view is not None:
                    on_view(view, vis)
            t1 = perf_counter()
            vis.rescale_glyphs(apply_pose(plotter, pose, size))
            plotter.render()
            frame = np.asarray(plotter.image)[:, :, :3]
            t_render += perf_counter() - t1
            writer.append_data(frame)
            if progress is not None and (k % max(1, int(fps)) == 0 or k == n - 1):
                progress(f"frame {k + 1}/{n}", (k + 1) / n)
        writer.close()
        writer = None
    finally:
        if writer is not None:
            writer.close()
        plotter.close()
    total = perf_counter() - t0
    return {
        "frames": float(n),
        "seconds": n / fps,
        "setup": t_setup,
        "render_fps": n / max(t_render, 1e-9),
        "total_fps": n / max(total - t_setup, 1e-9),
        "elapsed": total,
    }
