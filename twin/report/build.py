"""Make a report's files: the 3D view (offscreen, through ``twin.render``), the top-down
coverage map, the HTML page and its PDF."""

from __future__ import annotations

import io
from pathlib import Path
from time import perf_counter
from typing import Any

from PIL import Image

from twin.core.errors import InputError
from twin.report.document import report_html
from twin.report.maps import coverage_map, coverage_stats
from twin.report.model import ReportInput
from twin.report.pdf import write_pdf
from twin.report.texts import t

VIEW_SIZE = (1800, 1100)
"""Pixels of the 3D view."""
VIEW_MARGIN = 0.03
"""The 3D view frames the community's bounds grown by this share of their size."""


def view3d(inp: ReportInput) -> tuple[bytes, tuple[int, int]]:
    """The community in 3D (the security view, framed on its boundary, the boundary drawn)
    as JPEG bytes and its size."""
    from twin.render.offscreen import render_area

    xs = [x for r in inp.boundary for x, _ in r]
    ys = [y for r in inp.boundary for _, y in r]
    dx, dy = (max(xs) - min(xs)) * VIEW_MARGIN, (max(ys) - min(ys)) * VIEW_MARGIN
    area = (min(xs) - dx, min(ys) - dy, max(xs) + dx, max(ys) + dy)
    img = render_area(inp.scene, area, VIEW_SIZE, view="security", outline=inp.boundary)
    buf = io.BytesIO()
    Image.fromarray(img, "RGB").save(buf, "JPEG", quality=88, optimize=True)
    return buf.getvalue(), (img.shape[1], img.shape[0])


def make_report(inp: ReportInput, out_dir: Path) -> dict[str, Any]:
    """Write ``report.html`` and ``report.pdf`` into ``out_dir``; returns their paths, the
    number of pages and stage timings (seconds)."""
    timings: dict[str, float] = {}
    t0 = perf_counter()
    view = view3d(inp) if inp.boundary else None
    t1 = perf_counter()
    timings["view3d"] = t1 - t0
    topdown = coverage_map(inp)
    stats = coverage_stats(inp)
    t2 = perf_counter()
    timings["map"] = t2 - t1
    why = None if view is not None else t("no_boundary", inp.lang)
    html = report_html(inp, view, topdown, stats, why)
    html_path, pdf_path = out_dir / "report.html", out_dir / "report.pdf"
    try:
        html_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(html_path, f"cannot be written ({exc.strerror}).") from None
    t3 = perf_counter()
    timings["html"] = t3 - t2
    try:
        pages = write_pdf(html, pdf_path)
    except OSError as exc:
        raise InputError(pdf_path, f"cannot be written ({exc.strerror}).") from None
    timings["pdf"] = perf_counter() - t3
    return {"html": str(html_path), "pdf": str(pdf_path), "pages": pages, "timings": timings}
