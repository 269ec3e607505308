"""The caption of a situational view in an offscreen frame (``twin render --view``, ``twin
record``): the view's title from the registry, bottom centre on a dark backing."""

from __future__ import annotations

from twin.render import style
from twin.render import vtkparts as vtk
from twin.render.fonts import cjk_font
from twin.scene.views import REGISTRY


def view_caption(view: str, lang: str) -> str:
    """The view's title in ``lang`` (the registry's one spelling); a name it does not know as is."""
    return REGISTRY[view].title(lang) if view in REGISTRY else view


def add_caption(renderer: vtk.vtkRenderer, size: tuple[int, int], lang: str) -> vtk.vtkTextActor:
    """A caption at the bottom centre (the situational view's name), on a dark backing."""
    actor = vtk.vtkTextActor()
    actor.SetInput(" ")
    actor.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
    actor.SetPosition(0.5, 0.03)
    tp = actor.GetTextProperty()
    tp.SetFontSize(max(10, int(34 * size[1] / 1080)))
    tp.SetBold(True)
    tp.SetColor(*[c / 255 for c in style.rgb(style.TEXT)])
    tp.SetJustificationToCentered()
    tp.SetVerticalJustificationToBottom()
    tp.SetBackgroundColor(*[c / 255 for c in style.rgb(style.BACKGROUND)])
    tp.SetBackgroundOpacity(0.7)
    font = cjk_font() if lang == "zh" else None
    if font:
        tp.SetFontFamily(4)  # VTK_FONT_FILE
        tp.SetFontFile(font)
    renderer.AddViewProp(actor)
    return actor
