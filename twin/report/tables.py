"""The report's tables after the maps: the important roads, the entrances, the suggested
cameras, and the data sources with their attribution."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from twin.core.paths import ASSETS_DIR
from twin.report.markup import (
    esc,
    fmt_length,
    fmt_pct,
    fmt_where,
    is_osm,
    table,
)
from twin.report.model import ReportInput
from twin.report.texts import (
    HIGHWAYS_ZH,
    level,
    place_name,
    t,
    use,
)
from twin.scene.catalogue import CATALOGUE
from twin.scene.community import road_highway
from twin.scene.standards import DORI_LEVELS, TARGET_HEIGHT_PEOPLE_M

ROADS_MAX = 30

ENTRANCES_MAX = 40

CAMERAS_PER_CELL = 3
"""Camera ids listed in one cell of the entrances' table."""


def road_rows(inp: ReportInput) -> list[dict[str, Any]]:
    """The important roads grouped by name (unnamed ones by road class), the longest uncovered
    first: name, segments, length, covered metres, gaps over the reported length, longest."""
    lang = inp.lang
    gap_m = float(CATALOGUE["camera"].rule_params["gap_report_m"])
    surfaces = {s.id: s for s in inp.scene.surfaces.get("road", [])}
    groups: dict[str, dict[str, Any]] = {}
    for lc in inp.audit.roads:
        name = lc.name
        if not name:
            s = surfaces.get(lc.id)
            cls = road_highway(s) if s is not None else "road"
            if lang == "zh":
                cls = HIGHWAYS_ZH.get(cls, cls)
            name = t("unnamed_road", lang, cls=cls)
        g = groups.setdefault(
            name,
            {
                "name": name,
                "segments": 0,
                "length_m": 0.0,
                "covered_m": 0.0,
                "gaps": 0,
                "longest_m": 0.0,
            },
        )
        g["segments"] += 1
        g["length_m"] += lc.length_m
        g["covered_m"] += lc.covered_m
        long_gaps = [x.length_m for x in lc.gaps if x.length_m > gap_m]
        g["gaps"] += len(long_gaps)
        g["longest_m"] = max([g["longest_m"], *long_gaps])
    return sorted(groups.values(), key=lambda g: -(g["length_m"] - g["covered_m"]))


def roads(inp: ReportInput) -> str:
    """Section 4: coverage per important road (grouped by name), the rest counted."""
    lang = inp.lang
    parts = [f'<section id="roads"><h2>{esc(t("s_roads", lang))}</h2>']
    rows = road_rows(inp)
    if not rows:
        parts.append(f"<p>{esc(t('no_roads', lang))}</p></section>")
        return "".join(parts)
    pc = CATALOGUE["camera"].rule_params
    total = sum(r["length_m"] for r in rows)
    covered = sum(r["covered_m"] for r in rows)
    parts.append(
        "<p>"
        + esc(
            t(
                "roads_intro",
                lang,
                total=fmt_length(total, lang),
                pct=fmt_pct(covered / total if total else 1.0),
                level=level(DORI_LEVELS[int(pc["road_level"])], lang),
                h=TARGET_HEIGHT_PEOPLE_M,
            )
        )
        + "</p>"
    )
    body = [
        [
            esc(r["name"]),
            str(r["segments"]),
            esc(fmt_length(r["length_m"], lang)),
            fmt_pct(r["covered_m"] / r["length_m"] if r["length_m"] else 1.0),
            str(r["gaps"]),
            esc(fmt_length(r["longest_m"], lang)) if r["gaps"] else "–",
        ]
        for r in rows[:ROADS_MAX]
    ]
    extra = len(rows) - ROADS_MAX
    parts.append(
        table(
            [
                (t("col_road", lang), "34%", ""),
                (t("col_segments", lang), "11%", "num"),
                (t("col_length", lang), "14%", "num"),
                (t("col_covered", lang), "13%", "num"),
                (t("col_gaps", lang, gap=pc["gap_report_m"]), "13%", "num"),
                (t("col_longest", lang), "15%", "num"),
            ],
            body,
            t("more", lang, n=extra, layer="uncovered_roads") if extra > 0 else None,
        )
    )
    parts.append("</section>")
    return "".join(parts)


def _cams(cams: list[tuple[str, str, bool | None]], lang: str) -> str:
    if not cams:
        return esc(t("none", lang))
    out = []
    for cid, lv, fronts in cams[:CAMERAS_PER_CELL]:
        text = f"{cid} ({level(lv, lang)}"
        text += f", {t('not_front', lang)})" if fronts is False else ")"
        out.append(esc(text))
    if len(cams) > CAMERAS_PER_CELL:
        out.append(esc(t("more_rows", lang, n=len(cams) - CAMERAS_PER_CELL)))
    return "<br>".join(out)


def entrances(inp: ReportInput) -> str:
    """Section 5: each entrance, the AI and other cameras that see it and its verdict."""
    lang = inp.lang
    pc = CATALOGUE["camera"].rule_params
    parts = [f'<section id="entrances"><h2>{esc(t("s_entrances", lang))}</h2>']
    verdicts = inp.audit.entrances
    if not verdicts:
        parts.append(f"<p>{esc(t('no_entrances', lang))}</p></section>")
        return "".join(parts)
    parts.append(
        '<p class="small">'
        + esc(
            t(
                "entrances_intro",
                lang,
                level=level(DORI_LEVELS[int(pc["entrance_level"])], lang),
                front=pc["front_view_deg"],
            )
        )
        + "</p>"
    )
    everything = inp.audit.layout.maps["all"]
    rows = []
    for v in verdicts[:ENTRANCES_MAX]:
        ai = [
            (c["id"], c["level"], c["fronts"] if v["use"] != "pedestrian" else None)
            for c in v["cameras"]
        ]
        ai_ids = {c[0] for c in ai}
        other = [
            (cid, DORI_LEVELS[lv], None)
            for cid, lv, _ in everything.seen_by(v["x"], v["y"])
            if cid not in ai_ids
        ]
        verdict = (
            f'<span class="ok">{esc(t("seen_ok", lang))}</span>'
            if v["ok"]
            else f'<span class="bad">{esc(t("seen_not", lang))}</span>'
        )
        rows.append(
            [
                esc(v["id"]),
                esc(place_name(v["name"], lang)) or "–",
                esc(use(v["use"], lang)),
                _cams(ai, lang),
                _cams(other, lang),
                verdict,
            ]
        )
    extra = len(verdicts) - ENTRANCES_MAX
    parts.append(
        table(
            [
                (t("col_id", lang), "18%", ""),
                (t("col_entrance", lang), "18%", ""),
                (t("col_use", lang), "10%", ""),
                (t("col_ai", lang), "17%", ""),
                (t("col_other", lang), "26%", ""),
                (t("col_verdict", lang), "11%", ""),
            ],
            rows,
            t("more", lang, n=extra, layer="entrances") if extra > 0 else None,
        )
    )
    parts.append("</section>")
    return "".join(parts)


def mount_of(camera_id: str, lang: str) -> str:
    """Where a suggested camera goes, from its candidate id (``cand-pole-<device>-h090``,
    ``cand-facade-<n>-h135``)."""
    m = re.match(r"^cand-pole-(.+)-h[\d.]+$", camera_id)
    if m:
        return t("mount_pole", lang, id=m.group(1))
    if camera_id.startswith("cand-facade-"):
        return t("mount_facade", lang)
    return camera_id


def _on_invented_pole(camera_id: str, invented: set[str]) -> bool:
    m = re.match(r"^cand-pole-(.+)-h[\d.]+$", camera_id)
    return bool(m) and m.group(1) in invented


def suggestions(inp: ReportInput) -> str:
    """Section 6: the suggested cameras with where they go and what each adds."""
    lang = inp.lang
    parts = [f'<section id="suggestions"><h2>{esc(t("s_suggest", lang))}</h2>']
    if not inp.suggestions:
        note = inp.suggest_note or t("no_suggest", lang)
        parts.append(f"<p>{esc(note)}</p></section>")
        return "".join(parts)
    pc = CATALOGUE["camera"].rule_params
    roads = next((r for r in inp.audit.rules if r.key == "road_coverage"), None)
    total = covered = 0.0
    if roads is not None and roads.figures:
        total, covered = roads.figures["important_road_m"], roads.figures["covered_m"]
    gain = inp.suggestions[-1].cumulative
    before = fmt_pct(covered / total) if total else "–"
    after = fmt_pct(min(1.0, (covered + gain) / total)) if total else "–"
    parts.append(
        "<p>"
        + esc(
            t(
                "suggest_intro",
                lang,
                n=len(inp.suggestions),
                level=level(DORI_LEVELS[int(pc["road_level"])], lang),
                gain=fmt_length(gain, lang),
                before=before,
                after=after,
            )
        )
        + "</p>"
    )
    unit = "米" if lang == "zh" else "m"
    invented = {d.id for d in inp.scene.devices if d.synthetic}
    rows = []
    for s, (lon, lat) in zip(inp.suggestions, inp.suggestion_lonlat, strict=True):
        c = s.camera
        rows.append(
            [
                str(s.rank),
                esc(fmt_where(lat, lon)),
                esc(mount_of(c.id, lang))
                + (
                    f'<br><span class="small">{esc(t("invented_pole", lang))}</span>'
                    if _on_invented_pole(c.id, invented)
                    else ""
                ),
                f"{c.z:.1f} {unit}",
                f"{c.heading:.0f}°",
                f"{s.gain:.1f} {unit}",
                f"{s.cumulative:.1f} {unit}",
            ]
        )
    parts.append(
        table(
            [
                (t("col_rank", lang), "8%", "num"),
                (t("col_where", lang), "22%", ""),
                (t("col_mount", lang), "26%", ""),
                (t("col_height", lang), "10%", "num"),
                (t("col_heading", lang), "10%", "num"),
                (t("col_gain", lang), "12%", "num"),
                (t("col_cumulative", lang), "12%", "num"),
            ],
            rows,
        )
    )
    parts.append("</section>")
    return "".join(parts)


def bundled_credits(path: Path) -> tuple[str | None, list[str]]:
    """What assets/ATTRIBUTION.md says of a bundled file: its source and licence (None when it
    is not a bundled file) and the attribution lines that name it."""
    try:
        rel = path.resolve().relative_to(ASSETS_DIR.resolve()).as_posix()
    except ValueError:
        return None, []
    try:
        text = (ASSETS_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    except OSError:
        return None, []
    credit = None
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] == rel:
            credit = f"{cells[1]} ({cells[2]})"
    # "- `devices/x.csv`: what it is," and its indented continuation lines
    for m in re.finditer(r"^- `([^`]+)`: (.*(?:\n  +\S.*)*)", text, flags=re.MULTILINE):
        if m.group(1) == rel:
            credit = " ".join(m.group(2).split())
    stem = Path(rel).name.split(".")[0].lower()
    lines = [
        m.group(1)
        for m in re.finditer(r'^- "(.+)"\s*$', text, flags=re.MULTILINE)
        if stem and stem in m.group(1).lower()
    ]
    return credit, lines


def sources(inp: ReportInput) -> str:
    """Section 7: the scene's files with their source and licence, and the attribution
    lines the data asks for."""
    lang = inp.lang
    spec = inp.scene.spec
    base = spec.path.parent if spec.path else None
    rows, lines = [], []
    items = (
        [("src_gis", s.path) for s in spec.sources]
        + [("src_devices", d.path) for d in spec.devices]
        + [("src_ifc", i.path) for i in spec.ifc]
    )
    for kind, path in items:
        shown = str(path)
        if base is not None:
            try:
                shown = Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()
            except ValueError:  # another drive
                shown = Path(path).name
        credit, named = bundled_credits(Path(path))
        lines += [x for x in named if x not in lines]
        rows.append([esc(t(kind, lang)), esc(shown), esc(credit or t("credit_unknown", lang))])
    if any(is_osm(s.path) for s in spec.sources):
        lines.insert(0, t("osm_line", lang))
    parts = [f'<section id="sources" class="flow"><h2>{esc(t("s_sources", lang))}</h2>']
    parts.append(
        table(
            [
                (t("col_source_kind", lang), "14%", ""),
                (t("col_file", lang), "32%", ""),
                (t("col_credit", lang), "54%", ""),
            ],
            rows,
        )
    )
    if lines:
        parts.append(
            f'<h3>{esc(t("attribution", lang))}</h3><ul class="attribution">'
            + "".join(f"<li>{esc(x)}</li>" for x in lines)
            + "</ul>"
        )
    synthetic = sum(d.synthetic for d in inp.scene.devices)
    if synthetic:
        parts.append(f'<p class="small">{esc(t("synthetic_devices", lang, n=synthetic))}</p>')
    scene_arg = spec.path.name if spec.path else inp.scene.name
    parts.append(
        f'<p class="small">{esc(t("made_by", lang, version=inp.version, scene=scene_arg))}</p>'
    )
    parts.append("</section>")
    return "".join(parts)
