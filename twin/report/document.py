"""The report as one self-contained HTML page (images as ``data:`` URIs, CSS inline, nothing
fetched), laid out for A4 paper so that WeasyPrint prints the same page (``twin.report.pdf``).
"""

from __future__ import annotations

from twin.report.maps import (
    CoverageStats,
)
from twin.report.markup import (
    esc,
)
from twin.report.model import ReportInput
from twin.report.sections import audit_table, cover, coverage, places
from twin.report.tables import entrances, roads, sources, suggestions
from twin.report.texts import (
    t,
)

CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-left { content: "%(foot)s"; font-size: 7.5pt; color: #6b7280; }
  @bottom-right { content: "%(page)s" counter(page) "%(of)s" counter(pages) "%(end)s";
    font-size: 7.5pt; color: #6b7280; } }
@page :first { @bottom-left { content: none; } }
html { font-family: %(fonts)s; font-size: 9.5pt; color: #1f2937; line-height: 1.4; }
body { margin: 0; }
@media screen { body { max-width: 190mm; margin: 0 auto; padding: 10mm; background: #fff; } }
h1 { font-size: 24pt; margin: 0 0 4mm; color: #0b1422; line-height: 1.2; }
h2 { font-size: 15pt; margin: 0 0 3mm; color: #0b1422; border-bottom: 0.6mm solid #2c7fb8;
  padding-bottom: 1.2mm; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; color: #0b1422; break-after: avoid; }
section { break-before: page; }
section.cover { break-before: auto; }
p { margin: 1.5mm 0; }
.small { font-size: 8pt; color: #4b5563; }
table { width: 100%%; border-collapse: collapse; table-layout: fixed; margin: 2mm 0; }
th, td { text-align: left; vertical-align: top; padding: 1.1mm 1.4mm; border-bottom: 0.25mm solid
  #d1d5db; overflow-wrap: anywhere; }
th { background: #eef2f7; font-weight: bold; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.num, th.num { text-align: right; }
td.more { color: #4b5563; font-style: italic; }
.st { display: inline-block; padding: 0.3mm 1.8mm; border-radius: 1mm; color: #fff;
  font-weight: bold; font-size: 8.5pt; }
.syn { font-size: 7.5pt; color: #92400e; margin-top: 0.8mm; }
.kicker { font-size: 12pt; color: #2c7fb8; letter-spacing: 0.3mm; margin-top: 30mm; }
.verdict { font-size: 16pt; font-weight: bold; margin: 6mm 0 1mm; }
.facts { margin-top: 8mm; }
.facts th { width: 32%%; background: none; font-size: 9.5pt; }
.facts.keys { margin-top: 1mm; }
section.flow { break-before: auto; margin-top: 8mm; }
h2 { break-after: avoid; }
.block { break-inside: avoid; }
figure { margin: 2mm 0 3mm; break-inside: avoid; }
figure img { display: block; margin: 0 auto; border: 0.25mm solid #9ca3af; }
figcaption { font-size: 8.5pt; color: #4b5563; margin-top: 1.2mm; }
.sw { display: inline-block; width: 4mm; height: 3mm; border: 0.25mm solid #6b7280;
  vertical-align: -0.4mm; margin-right: 1.5mm; }
.line { display: inline-block; width: 6mm; height: 0; vertical-align: 0.6mm;
  margin-right: 1.5mm; }
.dot { display: inline-block; width: 2.6mm; height: 2.6mm; border-radius: 50%%;
  vertical-align: -0.3mm; margin-right: 1.5mm; }
ul.legend { list-style: none; padding: 0; margin: 1mm 0; columns: 2; column-gap: 6mm; }
ul.kinds { columns: 4; font-size: 8.5pt; }
p.levels .lv { margin-right: 5mm; white-space: nowrap; }
ul.legend li { margin: 0.6mm 0; break-inside: avoid; }
ul.attribution li { margin: 0.8mm 0; }
.ok { color: #1a7f37; font-weight: bold; }
.bad { color: #c62828; font-weight: bold; }
"""

FONTS = {
    "zh": '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", sans-serif',
    "en": '"Noto Sans", "Noto Sans CJK SC", "DejaVu Sans", Helvetica, Arial, sans-serif',
}


def report_html(
    inp: ReportInput,
    view3d: tuple[bytes, tuple[int, int]] | None,
    topdown: tuple[bytes, tuple[int, int]],
    stats: CoverageStats,
    view3d_error: str | None = None,
) -> str:
    """The whole report as one HTML document; ``view3d`` is a JPEG and ``topdown`` a PNG,
    each with its size in pixels."""
    lang = inp.lang

    def css_str(s: str) -> str:
        return s.replace("\\", "\\\\").replace('"', '\\"')

    css = CSS % {
        "foot": css_str(f"{inp.scene.name} · {t('title', lang)}"),
        "page": css_str(t("page", lang)),
        "of": css_str(t("page_of", lang)),
        "end": css_str(t("page_end", lang)),
        "fonts": FONTS["zh" if lang == "zh" else "en"],
    }
    body = "".join(
        [
            cover(inp),
            audit_table(inp),
            places(inp),
            coverage(inp, view3d, view3d_error, topdown, stats),
            roads(inp),
            entrances(inp),
            suggestions(inp),
            sources(inp),
        ]
    )
    title = f"{inp.scene.name} · {t('title', lang)}"
    return (
        f'<!DOCTYPE html>\n<html lang="{t("html_lang", lang)}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{css}</style></head><body>{body}</body></html>\n"
    )
