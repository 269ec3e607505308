"""Scene text labels that never overlap: one ``vtkLabeledDataMapper`` actor on a renderer (the
device overlay, so labels sit above buildings) and a declutter run at the start of every render
whose camera or viewport differs from the last one. It projects the anchors, places each
label's box (measured once per text with VTK's own text renderer, frame and backing included)
and keeps, by priority, the labels whose boxes meet none kept before (:mod:`twin.render.labels`);
the mapper's input then holds only those."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk

from twin.render import style
from twin.render import vtkparts as vtk
from twin.render.labels import declutter, screen_boxes

BACKING = "#0e1a2e"
FRAME = "#3a5278"


def text_prop(tp: vtk.vtkTextProperty, size: int, colour: str, font: str | None) -> None:
    """Size, colour, bold and font file (``None``: VTK's Arial) of a text property."""
    tp.SetFontSize(size)
    tp.SetColor(*[c / 255 for c in style.rgb(colour)])
    tp.SetBold(True)
    if font:
        tp.SetFontFamily(4)  # VTK_FONT_FILE
        tp.SetFontFile(font)
    else:
        tp.SetFontFamilyToArial()


class LabelLayer:
    """Labels anchored at world points in ``renderer``, decluttered whenever the view moves."""

    def __init__(self, renderer: vtk.vtkRenderer) -> None:
        self.renderer = renderer
        self.actor: vtk.vtkActor2D | None = None
        self._xyz = np.zeros((0, 3))
        self._xyzw = np.zeros((0, 4))
        self._texts: list[str] = []
        self._priority: np.ndarray | None = None
        self._extents = np.zeros((0, 4))
        self._measured: dict[str, tuple[int, int, int, int]] = {}
        """Extent of each text measured with the text property and DPI of ``_measured_for``."""
        self._measured_for: tuple[Any, ...] | None = None
        self._extents_for: tuple[Any, ...] | None = None
        self._version = 0
        self._key: tuple[Any, ...] | None = None
        self._kept = np.zeros(0, dtype=np.int64)
        self._boxes = np.zeros((0, 4))
        self.last_cost_s = 0.0
        """Seconds the last declutter took (projection, boxes, selection, new input)."""
        # the mapper's input, rewritten in place (a new poly each time costs the mapper a new
        # pipeline connection: three times the whole declutter)
        self._poly = vtk.vtkPolyData()
        self._poly.SetPoints(vtk.vtkPoints())
        self._strings = vtk.vtkStringArray()
        self._strings.SetName("labels")
        self._poly.GetPointData().AddArray(self._strings)
        self._in_input: list[str] = []
        """The texts in the mapper's input (empty: a label left out)."""

    # -- the public face -------------------------------------------------------------------
    def show(
        self,
        xyz: np.ndarray,
        texts: Sequence[str],
        size_px: int = 18,
        font: str | None = None,
        priority: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        """Draw ``texts`` at world points ``xyz``; where boxes would overlap, the label of
        higher ``priority`` (default: the earlier one) is drawn and the other left out."""
        pts = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        if len(pts) != len(texts):
            raise ValueError(f"{len(pts)} anchors for {len(texts)} labels")
        if priority is not None and len(priority) != len(texts):
            raise ValueError(f"{len(priority)} priorities for {len(texts)} labels")
        if self.actor is None:
            self._make_actor()
        assert self.actor is not None
        text_prop(self._tprop(), size_px, style.TEXT, font)
        self._xyz = pts
        self._xyzw = np.column_stack([pts, np.ones(len(pts))])
        self._texts = [str(t) for t in texts]
        self._priority = None if priority is None else np.asarray(priority, dtype=np.float64)
        self._version += 1
        self._key = None
        self._kept = np.zeros(0, dtype=np.int64)
        self._boxes = np.zeros((0, 4))
        self._reset_input()
        self.actor.SetVisibility(True)

    def hide(self) -> None:
        if self.actor is not None:
            self.actor.SetVisibility(False)

    @property
    def visible(self) -> bool:
        return self.actor is not None and bool(self.actor.GetVisibility()) and bool(self._texts)

    def boxes(self) -> list[tuple[float, float, float, float]]:
        """Boxes ``(x0, y0, x1, y1)`` of the labels the last render drew, in display pixels
        (origin bottom left, half-open: see :mod:`twin.render.labels`); empty when hidden."""
        if not self.visible:
            return []
        return [(float(a), float(b), float(c), float(d)) for a, b, c, d in self._boxes]

    def kept(self) -> list[int]:
        """Indices (into the texts given) of the labels the last render drew, by priority."""
        return self._kept.tolist() if self.visible else []

    def update(self) -> bool:
        """Declutter for the current camera and viewport unless they are those of the last
        run; ``True`` when it ran. Called at the start of every render of the renderer."""
        if not self.visible:
            return False
        t0 = time.perf_counter()
        ren = self.renderer
        win = ren.GetRenderWindow()
        dpi = win.GetDPI() if win is not None else 72
        w, h = ren.GetSize()
        ox, oy = ren.GetOrigin()
        m = ren.GetActiveCamera().GetCompositeProjectionTransformMatrix(
            ren.GetTiledAspectRatio(), -1, 1
        )
        d = m.GetData()
        # rows x, y and w place the anchors; the z row follows the clipping range, which the
        # main renderer resets on its own: it must not count as a move
        key = (self._version, dpi, w, h, ox, oy, d[0:8], d[12:16])
        if key == self._key:
            return False
        self._key = key
        self._measure(dpi)
        hx, hy, hw = np.array(d).reshape(4, 4)[(0, 1, 3), :] @ self._xyzw.T
        front = hw > 1e-9
        hw = np.where(front, hw, 1.0)
        ax = (hx / hw + 1.0) * (0.5 * w) + ox
        ay = (hy / hw + 1.0) * (0.5 * h) + oy
        inside = front & (ax >= ox) & (ax < ox + w) & (ay >= oy) & (ay < oy + h)
        boxes = screen_boxes(np.column_stack([ax, ay]), self._extents)
        kept = declutter(boxes, self._priority, inside)
        self._set_input(kept)
        self._kept = kept
        self._boxes = boxes[kept]
        self.last_cost_s = time.perf_counter() - t0
        return True

    # -- inside ----------------------------------------------------------------------------
    def _tprop(self) -> vtk.vtkTextProperty:
        assert self.actor is not None
        return self.actor.GetMapper().GetLabelTextProperty()

    def _make_actor(self) -> None:
        mapper = vtk.vtkLabeledDataMapper()
        mapper.SetLabelModeToLabelFieldData()
        mapper.SetFieldDataName("labels")
        tp = mapper.GetLabelTextProperty()
        tp.SetBackgroundColor(*[c / 255 for c in style.rgb(BACKING)])
        tp.SetBackgroundOpacity(0.85)
        tp.SetJustificationToCentered()
        tp.SetFrame(True)
        tp.SetFrameColor(*[c / 255 for c in style.rgb(FRAME)])
        mapper.SetInputData(self._poly)
        actor = vtk.vtkActor2D()
        actor.SetMapper(mapper)
        self.renderer.AddViewProp(actor)
        self.renderer.AddObserver("StartEvent", self._on_render_started)
        self.actor = actor

    def _on_render_started(self, _obj: Any, _event: str) -> None:
        self.update()

    def _measure(self, dpi: int) -> None:
        """Each text's extent around its anchor, as the text mapper will draw it."""
        if (self._version, dpi) == self._extents_for:
            return  # the text property changes only in show(), which bumps the version
        tp = self._tprop()
        prop = (dpi, tp.GetFontSize(), tp.GetFontFamily(), tp.GetFontFile(), tp.GetBold())
        if prop != self._measured_for or len(self._measured) > 4096:
            self._measured = {}
            self._measured_for = prop
        tr = vtk.vtkTextRenderer.GetInstance()
        out = []
        for t in self._texts:
            e = self._measured.get(t)
            if e is None:
                bb = [0, 0, 0, 0]
                if not tr.GetBoundingBox(tp, t, bb, dpi):
                    bb = [0, -1, 0, -1]  # nothing drawn: an empty box
                e = self._measured[t] = (bb[0], bb[1], bb[2], bb[3])
            out.append(e)
        self._extents = np.array(out, dtype=np.float64).reshape(-1, 4)
        self._extents_for = (self._version, dpi)

    def _reset_input(self) -> None:
        """The mapper's input after :meth:`show`: every label at its anchor; the texts stay as
        they are until the next render's declutter writes those that differ."""
        n = len(self._texts)
        self._poly.GetPoints().SetData(numpy_to_vtk(np.ascontiguousarray(self._xyz), deep=True))
        if len(self._in_input) != n:
            self._strings.SetNumberOfValues(n)
            for i in range(n):
                self._strings.SetValue(i, "")
            self._in_input = [""] * n
        self._strings.Modified()
        self._poly.Modified()

    def _set_input(self, kept: np.ndarray) -> None:
        """Give the kept labels their texts and the others an empty one (drawn as nothing).
        Only the texts that differ are written, so the mapper renders only their textures
        again (a new input each time re-rendered every label's text: about 10 ms a frame for
        70 labels in an orbit on software GL)."""
        want = [""] * len(self._texts)
        for i in kept.tolist():
            want[i] = self._texts[i]
        changed = [i for i, (a, b) in enumerate(zip(want, self._in_input, strict=True)) if a != b]
        if not changed:
            return
        for i in changed:
            self._strings.SetValue(i, want[i])
        self._in_input = want
        self._strings.Modified()
        self._poly.Modified()
