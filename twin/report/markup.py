"""What the report's sections share: escaping, numbers in both languages, tables, result
badges, images as ``data:`` URIs."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from twin.report.texts import (
    t,
)

STATUS_COLOURS = {"pass": "#1a7f37", "fail": "#c62828", "no data": "#6b7280"}
"""Result colours on white paper."""


def esc(value: Any) -> str:
    """Text (or a number) safe inside HTML, quotes included."""
    return html.escape(str(value), quote=True)


def data_uri(data: bytes, mime: str) -> str:
    """``data:`` URI of an image."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def fmt_length(m: float, lang: str) -> str:
    """A length in metres, or kilometres from 1 km on, in ``lang``."""
    if m >= 1000:
        return f"{m / 1000:.2f} " + ("公里" if lang == "zh" else "km")
    return f"{m:,.0f} " + ("米" if lang == "zh" else "m")


def fmt_area(m2: float, lang: str) -> str:
    """An area in square metres, or hectares from 1 ha on, in ``lang``."""
    if m2 >= 10_000:
        return f"{m2 / 1e4:.2f} " + ("公顷" if lang == "zh" else "ha")
    return f"{m2:,.0f} " + ("平方米" if lang == "zh" else "m²")


def fmt_pct(share: float) -> str:
    """A share (0-1) as a percentage with one decimal."""
    return f"{100 * share:.1f} %"


def fmt_where(lat: float | None, lon: float | None) -> str:
    """``lat, lon`` to six decimals (about 0.1 m), empty when unknown."""
    return "" if lat is None or lon is None else f"{lat:.6f}, {lon:.6f}"


def table(
    headers: list[tuple[str, str, str]], rows: list[list[str]], more: str | None = None
) -> str:
    """``headers``: (text, width, class) per column; ``rows``: cells as HTML."""
    cols = "".join(f'<col style="width:{w}">' for _, w, _ in headers)
    head = "".join(f'<th class="{c}">{esc(h)}</th>' for h, _, c in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{headers[i][2]}">{cell}</td>' for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    if more:
        body += f'<tr><td class="more" colspan="{len(headers)}">{esc(more)}</td></tr>'
    return (
        f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def status_badge(status: str, lang: str) -> str:
    """A rule's result (pass, fail, no data) as a coloured badge."""
    return (
        f'<span class="st" style="background:{STATUS_COLOURS.get(status, "#6b7280")}">'
        f"{esc(t(status, lang))}</span>"
    )


# -- sections ------------------------------------------------------------------------------------


def image_width_mm(size: tuple[int, int], max_w: float, max_h: float) -> float:
    """The printed width of an image of ``size`` pixels that fits ``max_w`` x ``max_h`` mm."""
    w, h = size
    return min(max_w, max_h * w / max(h, 1))


def is_osm(path: Path) -> bool:
    """Whether a GIS source is OpenStreetMap data (as the rendered frames decide)."""
    return path.name.lower().endswith((".pbf", ".osm", ".osm.xml", ".osm.bz2", ".osm.gz"))
