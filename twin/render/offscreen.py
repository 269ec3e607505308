"""Offscreen frames of a scene for the CLI (``twin render``) and tests."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter

import numpy as np
import pyvista as pv

from twin.core.errors import InputError
from twin.core.i18n import default_lang, pick
from twin.render import style
from twin.render import vtkparts as vtk
from twin.render.caption import add_caption, view_caption
from twin.render.fonts import cjk_font
from twin.render.scenevis import SceneVisual, frame_bookmark, frame_bounds, frame_overview
from twin.render.status import StatusColours, alert_point_size, legend_labels, show_alerts
from twin.render.viewlayers import ViewLayers
from twin.scene.catalogue import CATALOGUE
from twin.scene.scene import Scene
from twin.scene.views import REGISTRY, VIEWS


def make_plotter(size: tuple[int, int], off_screen: bool = True) -> pv.Plotter:
    plotter = pv.Plotter(off_screen=off_screen, window_size=list(size), lighting="none")
    configure(plotter)
    return plotter


def configure(plotter: pv.Plotter) -> None:
    """The twin's lights and background on a plotter (offscreen, interactive or in Qt)."""
    # two fixed scene lights instead of pyvista's five-light kit (per-fragment lighting is the
    # costliest part of a software frame); shading stays put while the camera orbits
    for direction, intensity in style.LIGHTS:
        plotter.add_light(
            pv.Light(
                position=direction,
                focal_point=(0, 0, 0),
                light_type="scene light",
                intensity=intensity,
            )
        )
    plotter.set_background(style.BACKGROUND)
    plotter.render_window.SetMultiSamples(0)  # software GL: FXAA for stills, none while moving


def resolve_view(scene: Scene, name: str, camera: str | None = None) -> tuple[str, str | None]:
    """``twin render --view NAME [--camera BOOKMARK]``: (situational view, camera bookmark).

    ``NAME`` is a view of the registry (overview, security, ...) or, as before views had a
    registry, a camera bookmark of the scene (then the overview's layers, from the bookmark)."""
    bookmarks = [v.name for v in scene.spec.views]
    if camera is not None and camera not in bookmarks:
        raise InputError(
            f"--camera {camera!r}",
            "is not a camera bookmark of this scene.",
            f"Bookmarks: {', '.join(bookmarks) or 'none (add [[views]] to the scene file)'}.",
        )
    if name in REGISTRY:
        return name, camera
    if name in bookmarks and camera is None:
        return "overview", name
    raise InputError(
        f"view {name!r}",
        "is neither a situational view nor a camera bookmark of this scene.",
        f"Views: {', '.join(VIEWS)}; bookmarks: {', '.join(bookmarks) or 'none'}.",
    )


def setup_view(
    plotter: pv.Plotter, scene: Scene, camera: str | None, size: tuple[int, int]
) -> float:
    """Point the camera at the overview (``camera`` None) or a bookmark; metres per pixel."""
    for v in scene.spec.views:
        if camera is not None and v.name == camera:
            x, y = scene.view_targets[v.name]
            return frame_bookmark(plotter, x, y, v.distance, v.heading, v.pitch, size)
    return frame_overview(plotter, scene, size)


def add_overlays(
    plotter: pv.Plotter,
    scene: Scene,
    lang: str,
    size: tuple[int, int],
    top: vtk.vtkRenderer | None = None,
    statuses: dict[str, str] | None = None,
    subtitle: str | None = None,
    kinds: set[str] | frozenset[str] | None = None,
) -> dict[str, vtk.vtkProp]:
    """Title, legend (kind, colour, count; or status, colour, count when ``statuses`` is
    given), subtitle and attribution; in the ``top`` layer when given, so that device markers
    never cover them; the legend counts devices of
    ``kinds`` only when given. Returns the title,
    subtitle and legend actors (live views update them)."""
    named: dict[str, vtk.vtkProp] = {}
    font = cjk_font() if lang == "zh" else None
    scale = size[1] / 1080
    backing = [c / 255 for c in style.rgb(style.BACKGROUND)]
    made = []
    title = plotter.add_text(
        scene.name,
        position="upper_left",
        font_size=max(10, int(22 * scale)),
        color=style.TEXT,
        font_file=font,
    )
    title.GetTextProperty().SetBold(True)
    made.append(title)
    if subtitle is not None:
        # a text actor, not a corner annotation: it gets the dark backing like the title, and
        # live views change its text with SetInput
        sub = vtk.vtkTextActor()
        sub.SetInput(subtitle or " ")
        sub.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        sub.SetPosition(0.995, 0.985)
        tp = sub.GetTextProperty()
        tp.SetFontSize(max(10, int(30 * scale)))
        tp.SetColor(*[c / 255 for c in style.rgb(style.TEXT)])
        tp.SetJustificationToRight()
        tp.SetVerticalJustificationToTop()
        if font:
            tp.SetFontFamily(4)  # VTK_FONT_FILE
            tp.SetFontFile(font)
        plotter.renderer.AddViewProp(sub)
        made.append(sub)
    labels = []
    if statuses is not None:  # live: a legend of the five status colours with their counts
        labels = legend_labels(scene, statuses, lang, kinds)
    else:
        counts = scene.counts()
        for kind, spec in CATALOGUE.items():
            if counts.get(kind) and (kinds is None or kind in kinds):
                labels.append((f"{spec.display_name(lang)}  {counts[kind]}", spec.colour))
    if labels:
        legend = plotter.add_legend(
            labels,
            bcolor="#0e1a2e",
            border=False,
            size=(0.17, 0.032 * len(labels)),
            loc="lower left",
            face="rectangle",
            font_family="arial",
        )
        tp = legend.GetEntryTextProperty()
        tp.SetColor(*[c / 255 for c in style.rgb(style.TEXT)])
        if font:
            tp.SetFontFamily(4)  # VTK_FONT_FILE
            tp.SetFontFile(font)
        made.append(legend)
        named["legend"] = legend
    if any(s.path.name.lower().endswith((".pbf", ".osm", ".osm.xml")) for s in scene.spec.sources):
        foot = pick(
            lang,
            "Map data (c) OpenStreetMap contributors, ODbL 1.0",
            "地图数据 (c) OpenStreetMap 贡献者, ODbL 1.0",
        )
        made.append(
            plotter.add_text(
                foot,
                position="lower_right",
                font_size=max(7, int(9 * scale)),
                color="#9aa6b8",
                font_file=font,
            )
        )
    for actor in made:
        if isinstance(actor, vtk.vtkTextActor):
            actor.GetTextProperty().SetBackgroundColor(*backing)
            actor.GetTextProperty().SetBackgroundOpacity(0.7)
        if top is not None:
            plotter.renderer.RemoveViewProp(actor)
            top.AddViewProp(actor)
    named["title"] = title
    if subtitle is not None:
        named["subtitle"] = made[1]
    return named


def compose(
    scene: Scene,
    view: str = "overview",
    size: tuple[int, int] = (1920, 1080),
    lang: str | None = None,
    off_screen: bool = True,
    statuses: dict[str, str] | None = None,
    subtitle: str | None = None,
    camera: str | None = None,
) -> tuple[pv.Plotter, SceneVisual]:
    """A plotter with the whole scene in it, showing ``view`` (a situational view of the
    registry: its device kinds and its title as a caption; or a camera bookmark) from the
    overview or the ``camera`` bookmark, with title and legend."""
    lang = lang or default_lang()
    view, camera = resolve_view(scene, view, camera)
    plotter = make_plotter(size, off_screen)
    vis = populate(plotter, scene, camera, size, statuses)
    kinds = None
    if view != "overview":
        layers = ViewLayers(plotter, vis)
        layers.set_view(view)
        kinds = layers.visible_kinds()
    vis.labels = add_overlays(plotter, scene, lang, size, vis.overlay, statuses, subtitle, kinds)
    if view != "overview":
        add_caption(vis.overlay or plotter.renderer, size, lang).SetInput(view_caption(view, lang))
    return plotter, vis


def populate(
    plotter: pv.Plotter,
    scene: Scene,
    camera: str | None,
    size: tuple[int, int],
    statuses: dict[str, str] | None = None,
) -> SceneVisual:
    """The scene's visuals and device markers in ``plotter``, framed for the overview or the
    ``camera`` bookmark, devices coloured by ``statuses`` when given."""
    vis = SceneVisual(scene)
    vis.add_to(plotter)
    vis.add_markers(plotter, point_size=marker_point_size(size[1]))
    vis.rescale_glyphs(setup_view(plotter, scene, camera, size))
    plotter.renderer.ResetCameraClippingRange()
    if statuses is not None:
        StatusColours(scene).update(
            {d.id: statuses.get(d.id, "unknown") for d in scene.devices}, vis
        )
        show_alerts(vis, statuses, alert_point_size(size[1]))
    return vis


def marker_point_size(height_px: int) -> float:
    return max(4.0, 7.0 * height_px / 1080)


def render_scene(
    scene: Scene,
    out: str | Path,
    view: str = "overview",
    size: tuple[int, int] = (1920, 1080),
    lang: str | None = None,
    statuses: dict[str, str] | None = None,
    subtitle: str | None = None,
    camera: str | None = None,
) -> dict[str, float]:
    """Write one frame of ``scene`` in ``view`` from ``camera`` (see :func:`compose`) to ``out``
    (PNG), devices coloured by ``statuses`` when given (device id -> status); returns stage
    timings in seconds."""
    t0 = perf_counter()
    plotter, _ = compose(
        scene, view, size, lang, statuses=statuses, subtitle=subtitle, camera=camera
    )
    try:
        plotter.enable_anti_aliasing("fxaa")
        t1 = perf_counter()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        plotter.screenshot(str(out))
        t2 = perf_counter()
    finally:
        plotter.close()
    return {"setup": t1 - t0, "first_frame": t2 - t1}


def render_area(
    scene: Scene,
    area: tuple[float, float, float, float],
    size: tuple[int, int] = (1600, 1000),
    view: str = "overview",
    outline: list[list[tuple[float, float]]] | None = None,
    pitch: float = 50.0,
    heading: float = 0.0,
    fill: float = 0.96,
) -> np.ndarray:
    """One frame of ``scene`` showing the device kinds of ``view``, framed obliquely on
    ``area`` (xmin, ymin, xmax, ymax; local metres), with ``outline`` (rings of (x, y), e.g. a
    community's boundary) drawn above everything; no title, legend or caption (a document
    around the frame says what it shows, and the data's attribution). Returns the RGB image
    (height, width, 3)."""
    xmin, ymin, xmax, ymax = area
    plotter = make_plotter(size)
    try:
        vis = populate(plotter, scene, None, size)
        if view != "overview":
            ViewLayers(plotter, vis).set_view(resolve_view(scene, view)[0])
        zmax = 5.0
        for kind in ("building", "bim"):
            mesh = scene.meshes.get(kind)
            if mesh is not None and len(mesh.points):
                p = mesh.points
                inside = (
                    (p[:, 0] >= xmin) & (p[:, 0] <= xmax) & (p[:, 1] >= ymin) & (p[:, 1] <= ymax)
                )
                if inside.any():
                    zmax = max(zmax, float(np.percentile(p[inside, 2], 99)))
        box = (xmin, xmax, ymin, ymax, 0.0, zmax)
        vis.rescale_glyphs(frame_bounds(plotter, box, size, pitch, heading, fill))
        if outline:
            _add_outline(plotter, vis, outline, max(2.0, 3.0 * size[1] / 1000))
        plotter.renderer.ResetCameraClippingRange()
        plotter.enable_anti_aliasing("fxaa")
        img = plotter.screenshot(return_img=True)
    finally:
        plotter.close()
    return np.asarray(img)[:, :, :3]


def _add_outline(
    plotter: pv.Plotter, vis: SceneVisual, rings: list[list[tuple[float, float]]], width: float
) -> None:
    pts, lines = [], []
    for ring in rings:
        if len(ring) < 2:
            continue
        start = sum(len(r) for r in pts)
        pts.append(np.array([[x, y, 1.0] for x, y in ring], dtype=np.float64))
        lines.append([len(ring), *range(start, start + len(ring))])
    if not pts:
        return
    poly = pv.PolyData(np.concatenate(pts), lines=np.concatenate(lines))
    mapper = vtk.vtkPolyDataMapper()
    mapper.SetInputData(poly)
    actor = vtk.vtkActor()
    actor.SetMapper(mapper)
    prop = actor.GetProperty()
    prop.SetColor(*[c / 255 for c in style.rgb(style.BOUNDARY)])
    prop.SetLineWidth(width)
    prop.LightingOff()
    (vis.overlay or plotter.renderer).AddActor(actor)
