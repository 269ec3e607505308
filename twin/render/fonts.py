"""Fonts for Chinese text in VTK (its built-in fonts have no CJK glyphs)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


@cache
def cjk_font() -> str | None:
    """Path of an installed CJK font (fonts-noto-cjk), or None."""
    for c in _CANDIDATES:
        if Path(c).exists():
            return c
    for p in Path("/usr/share/fonts").rglob("*CJK*"):
        if p.suffix.lower() in (".ttc", ".otf", ".ttf"):
            return str(p)
    return None
