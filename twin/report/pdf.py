"""The report's HTML printed to PDF by WeasyPrint (Pango lays out the text, so Chinese comes
out in the installed Noto CJK fonts and stays selectable text)."""

from __future__ import annotations

import logging
from pathlib import Path


def write_pdf(html: str, path: Path) -> int:
    """Print ``html`` to ``path``; returns the number of pages. The HTML is self-contained
    (its images are ``data:`` URIs), so nothing is fetched."""
    import weasyprint

    # WeasyPrint and fontTools log what they ignore or subset; the report's CSS is its own
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    doc = weasyprint.HTML(string=html).render()
    doc.write_pdf(str(path))
    return len(doc.pages)
