"""Label declutter, the geometry alone: where each label's box lands on screen and which labels
to keep so that no two kept boxes overlap. Plain numpy (no VTK, no Qt), so it is tested and
timed on its own; :mod:`twin.render.labellayer` measures the texts and draws the kept ones.

Boxes are ``(x0, y0, x1, y1)`` in display pixels (VTK's convention: origin at the bottom left
of the render window, y up), half-open: the label covers pixel columns ``x0 .. x1 - 1`` and rows
``y0 .. y1 - 1``, so two boxes intersect when ``x0a < x1b and x0b < x1a`` (and the same in y).
"""

from __future__ import annotations

import numpy as np


def screen_boxes(anchors: np.ndarray, extents: np.ndarray) -> np.ndarray:
    """Boxes ``(N, 4)`` of labels whose anchors are at display points ``anchors`` ``(N, 2)``.

    ``extents`` ``(N, 4)`` are each text's ``(xmin, xmax, ymin, ymax)`` around its anchor as
    ``vtkTextRenderer.GetBoundingBox`` gives them (frame and background included; both ends
    are pixels the text covers). A text mapper puts its anchor on pixel ``floor(a - 0.5)``
    (measured on VTK 9 against rendered frames), so that is the box's origin."""
    a = np.floor(np.asarray(anchors, dtype=np.float64).reshape(-1, 2) - 0.5)
    e = np.asarray(extents, dtype=np.float64).reshape(-1, 4)
    return np.column_stack(
        [a[:, 0] + e[:, 0], a[:, 1] + e[:, 2], a[:, 0] + e[:, 1] + 1, a[:, 1] + e[:, 3] + 1]
    )


def overlaps(boxes: np.ndarray) -> np.ndarray:
    """``(N, N)`` bool: box i intersects box j (the diagonal too, for non-empty boxes)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = (b[:, k] for k in range(4))
    return (
        (x0[:, None] < x1[None, :])
        & (x0[None, :] < x1[:, None])
        & (y0[:, None] < y1[None, :])
        & (y0[None, :] < y1[:, None])
    )


def any_overlap(boxes: np.ndarray | list[tuple[float, float, float, float]]) -> bool:
    """Whether any two of ``boxes`` intersect."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(b) < 2:
        return False
    m = overlaps(b)
    np.fill_diagonal(m, False)
    return bool(m.any())


def declutter(
    boxes: np.ndarray, priority: np.ndarray | None = None, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the labels to draw, highest ``priority`` first (ties: the order given; no
    priority: the order given): greedily, each eligible label whose box intersects no box kept
    before it. ``eligible`` (bool per label, default all) leaves out labels whose anchor is off
    screen or behind the camera. About 0.1 ms for 100 labels."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = len(b)
    if not n:
        return np.zeros(0, dtype=np.int64)
    order = (
        np.arange(n)
        if priority is None
        else np.argsort(-np.asarray(priority, dtype=np.float64), kind="stable")
    )
    if eligible is not None:
        order = order[np.asarray(eligible, dtype=bool)[order]]
    hit = overlaps(b)
    blocked = np.zeros(n, dtype=bool)
    kept: list[int] = []
    for i in order.tolist():
        if blocked[i]:
            continue
        kept.append(i)
        blocked |= hit[i]
    return np.array(kept, dtype=np.int64)
