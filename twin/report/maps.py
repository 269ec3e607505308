"""The report's top-down coverage map, drawn with Pillow from the coverage grid: one colour per
DORI level (a sequential palette legible on white paper), buildings grey, blind spots outlined
in red, important-road gaps in orange, the boundary, existing and suggested cameras, a scale
bar and a north arrow (the local frame's grid north)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from twin.render.fonts import cjk_font
from twin.report.model import ReportInput, Ring
from twin.scene.catalogue import CATALOGUE
from twin.scene.standards import DORI_LEVELS

LEVEL_COLOURS = ("#ffffff", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
"""Per DORI level (none, detection, observation, recognition, identification): white, then
ColorBrewer's YlGnBu, light to dark."""
BUILDING = "#9a9a9a"
BUILDING_OUTSIDE = "#d2d2d2"
OUTSIDE = "#eeeeee"
BLIND = "#e31a1c"
GAP = "#ff8c00"
BOUNDARY = "#111111"
CAMERA = "#333333"
SUGGESTED = "#c51b7d"

MAP_PX = 2400
"""The longer side of the map image, pixels."""


@dataclass
class CoverageStats:
    """Shares of the community's open ground (inside, outside buildings) by DORI level."""

    cell_m2: float
    open_m2: float
    best_m2: dict[str, float] = field(default_factory=dict)
    """Level -> area where it is the best level reached (``none``: nobody sees it)."""
    at_least_m2: dict[str, float] = field(default_factory=dict)
    """Level -> area reached at that level or better."""


def coverage_stats(inp: ReportInput) -> CoverageStats:
    """The areas of the legend's table, from the ``all`` map."""
    cmap = inp.audit.layout.maps["all"]
    open_ = inp.inside & cmap.outdoor
    a = cmap.grid.cell**2
    best = cmap.best[open_]
    out = CoverageStats(a, float(open_.sum()) * a)
    for k, name in enumerate(DORI_LEVELS):
        out.best_m2[name] = float((best == k).sum()) * a
        if k:
            out.at_least_m2[name] = float((best >= k).sum()) * a
    return out


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _font(size: int, bold: bool = False) -> Any:
    path = cjk_font()
    if path and bold:
        path = path.replace("Regular", "Bold")
    for p in (path, "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"):
        if p:
            try:
                return ImageFont.truetype(p, size)
            except OSError:
                continue
    return ImageFont.load_default(size)


def nice_length(target: float) -> float:
    """The 1, 2 or 5 times a power of ten nearest below ``target`` (metres of a scale bar)."""
    if target <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(target))
    return max(m * k for m in (1, 2, 5) if m * k <= target)


def coverage_map(inp: ReportInput) -> tuple[bytes, tuple[int, int]]:
    """The map as PNG bytes and its size in pixels."""
    audit = inp.audit
    cmap = audit.layout.maps["all"]
    g = cmap.grid
    idx = np.where(cmap.outdoor, cmap.best.astype(np.uint8), 5)
    idx = np.where(inp.inside, idx, np.where(cmap.outdoor, 6, 7))
    palette = np.array(
        [_rgb(c) for c in (*LEVEL_COLOURS, BUILDING, OUTSIDE, BUILDING_OUTSIDE)], dtype=np.uint8
    )
    rgb = palette[idx.reshape(g.ny, g.nx)[::-1]]  # row 0 is the north edge
    scale = MAP_PX / max(g.nx, g.ny)
    if scale >= 1:
        k = int(scale)
        rgb = np.repeat(np.repeat(rgb, k, axis=0), k, axis=1)
        img = Image.fromarray(rgb, "RGB")
    else:
        img = Image.fromarray(rgb, "RGB")
        img = img.resize(
            (max(1, round(g.nx * scale)), max(1, round(g.ny * scale))), Image.Resampling.NEAREST
        )
    w, h = img.size
    ppm = w / (g.nx * g.cell)

    def px(x: float, y: float) -> tuple[float, float]:
        return (x - g.x0) * ppm, h - (y - g.y0) * ppm

    draw = ImageDraw.Draw(img)
    lw = max(2, round(w / 900))

    def ring(r: Ring, colour: str, width: int) -> None:
        if len(r) >= 2:
            draw.line([px(x, y) for x, y in r], fill=colour, width=width, joint="curve")

    for spot in inp.blind_spots:
        for r in spot.rings:
            ring(r, BLIND, lw)
    gap_m = float(CATALOGUE["camera"].rule_params["gap_report_m"])
    for lc in audit.roads:
        for gap in lc.gaps:
            if gap.length_m > gap_m and gap.line is not None:
                for part in _lines(gap.line.__geo_interface__):
                    ring(part, GAP, round(lw * 1.6))
    for r in inp.boundary:
        ring(r, BOUNDARY, round(lw * 1.5))
    dot = max(3.0, lw * 1.8)
    for cam in audit.layout.cameras.values():
        x, y = px(cam.x, cam.y)
        if 0 <= x <= w and 0 <= y <= h:
            draw.ellipse((x - dot, y - dot, x + dot, y + dot), fill=CAMERA, outline="white")
    rad = max(12, round(w / 95))
    font = _font(round(rad * 1.15), bold=True)
    for s in inp.suggestions:
        x, y = px(s.camera.x, s.camera.y)
        hd = math.radians(s.camera.heading)
        tip = (x + 2.4 * rad * math.sin(hd), y - 2.4 * rad * math.cos(hd))
        draw.line([(x, y), tip], fill=SUGGESTED, width=round(lw * 2))
        draw.ellipse(
            (x - rad, y - rad, x + rad, y + rad), fill=SUGGESTED, outline="white", width=lw
        )
        draw.text((x, y), str(s.rank), fill="white", font=font, anchor="mm")
    # the scale bar and the north arrow in a band under the map, where they hide nothing
    fs = max(14, round(w / 70))
    band = round(fs * 3.2)
    page = Image.new("RGB", (w, h + band), "white")
    page.paste(img, (0, 0))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, w - 1, h - 1), outline="#888888", width=1)
    _scale_bar(draw, h, band, ppm, w, fs)
    _north_arrow(draw, w, h, band, fs)
    buf = io.BytesIO()
    page.save(buf, "PNG", optimize=False, compress_level=6)
    return buf.getvalue(), page.size


def _lines(geo: dict[str, Any]) -> list[Ring]:
    if geo["type"] == "LineString":
        return [[(float(c[0]), float(c[1])) for c in geo["coordinates"]]]
    if geo["type"] == "MultiLineString":
        return [[(float(c[0]), float(c[1])) for c in part] for part in geo["coordinates"]]
    if geo["type"] == "GeometryCollection":
        return [r for sub in geo["geometries"] for r in _lines(sub)]
    return []


def _scale_bar(draw: ImageDraw.ImageDraw, top: int, band: int, ppm: float, w: int, fs: int) -> None:
    length = nice_length(w / ppm / 5)
    bar = length * ppm
    font = _font(fs)
    x0 = fs
    bh = max(6, round(fs * 0.45))
    y1 = top + band - round(fs * 0.9)
    for i in range(4):
        a, b = x0 + bar * i / 4, x0 + bar * (i + 1) / 4
        draw.rectangle(
            (a, y1 - bh, b, y1), fill="black" if i % 2 == 0 else "white", outline="black"
        )
    label = f"{length:g} m"
    draw.text((x0, y1 - bh - fs * 0.3), "0", fill="black", font=font, anchor="mb")
    draw.text((x0 + bar, y1 - bh - fs * 0.3), label, fill="black", font=font, anchor="mb")


def _north_arrow(draw: ImageDraw.ImageDraw, w: int, top: int, band: int, fs: int) -> None:
    font = _font(round(fs * 1.2), bold=True)
    s = band - round(fs * 0.8)
    cx = w - fs - s * 0.35
    y0, y1 = top + fs * 0.4, top + fs * 0.4 + s
    mid = y1 - s * 0.25
    draw.polygon([(cx, y0), (cx - s * 0.35, y1), (cx, mid)], fill="black")
    draw.polygon([(cx, y0), (cx + s * 0.35, y1), (cx, mid)], fill="white", outline="black")
    draw.text((cx - s * 0.35 - fs * 0.4, (y0 + y1) / 2), "N", fill="black", font=font, anchor="rm")
