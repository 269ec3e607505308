"""The report's first sections: the cover, the audit table, the failing places and the
coverage pages (the 3D view, the areas by DORI level, the top-down map and its legend)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from twin.report.maps import (
    BLIND,
    BOUNDARY,
    BUILDING,
    CAMERA,
    GAP,
    LEVEL_COLOURS,
    OUTSIDE,
    SUGGESTED,
    CoverageStats,
)
from twin.report.markup import (
    STATUS_COLOURS,
    data_uri,
    esc,
    fmt_area,
    fmt_length,
    fmt_pct,
    fmt_where,
    image_width_mm,
    is_osm,
    status_badge,
    table,
)
from twin.report.model import ReportInput
from twin.report.texts import (
    boundary_source,
    level,
    place_name,
    place_note,
    place_what,
    rule_summary,
    t,
    use,
)
from twin.scene.catalogue import CATALOGUE
from twin.scene.standards import DORI_LEVELS, DORI_PPM, TARGET_HEIGHT_PEOPLE_M
from twin.scene.views import REGISTRY

PLACES_PER_RULE = 6
"""Failing places listed per rule (the rest are in coverage.gpkg)."""


def cover(inp: ReportInput) -> str:
    """The cover: the community, its facts, the verdict, the key figures, the contents."""
    lang, audit, scene = inp.lang, inp.audit, inp.scene
    com = audit.community
    failed = len(audit.failed)
    counts = {s: sum(r.status == s for r in audit.rules) for s in ("pass", "fail", "no data")}
    verdict = (
        t("verdict_fail", lang, n=failed, m=len(audit.rules)) if failed else t("verdict_pass", lang)
    )
    colour = STATUS_COLOURS["fail" if failed else "pass"]
    tally = t("verdict_counts", lang, p=counts["pass"], f=counts["fail"], d=counts["no data"])
    by_use: dict[str, int] = defaultdict(int)
    for e in com.entrances:
        by_use[e.use] += 1
    uses = ", ".join(f"{use(u, lang)} {n}" for u, n in by_use.items())
    cams = list(audit.layout.cameras.values())
    synthetic = sum(c.synthetic for c in cams)
    tz = inp.generated.strftime("%Z %z")
    tzname = inp.scene.spec.timezone or ""
    when = inp.generated.strftime("%Y-%m-%d %H:%M") + f" ({tzname + ', ' if tzname else ''}{tz})"
    facts = [
        (t("community", lang), scene.name),
        (t("boundary_source", lang), boundary_source(com.boundary_source, lang)),
        (t("area", lang), fmt_area(com.area_m2, lang)),
        (t("perimeter", lang), fmt_length(com.perimeter_m, lang)),
        (t("kind", lang), t("closed" if com.closed else "open", lang)),
        (
            t("entrances_n", lang),
            t("entrances_by_use", lang, n=len(com.entrances), uses=uses)
            if com.entrances
            else t("none", lang),
        ),
        (
            t("cameras_n", lang),
            t("cameras_detail", lang, n=len(cams), synthetic=synthetic)
            if synthetic
            else t("cameras_real", lang, n=len(cams)),
        ),
        (t("grid", lang), t("grid_value", lang, cell=inp.cell)),
        (t("scene_file", lang), scene.spec.path.name if scene.spec.path else "-"),
        (t("report_time", lang), when),
        (t("twin_version", lang), f"community-twin {inp.version}"),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    keys = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in key_figures(inp))
    note = "" if com.declared else f'<p class="small">{esc(t("not_declared", lang))}</p>'
    sections = ("s_audit", "s_places", "s_map", "s_roads", "s_entrances", "s_suggest", "s_sources")
    toc = "".join(f"<li>{esc(t(s, lang))}</li>" for s in sections)
    return (
        '<section class="cover">'
        f'<div class="kicker">{esc(t("title", lang))}</div>'
        f"<h1>{esc(scene.name)}</h1>"
        f'<div class="verdict" style="color:{colour}">{esc(verdict)}</div>'
        f"<p>{esc(tally)}</p>"
        f'<table class="facts"><colgroup><col style="width:32%"><col style="width:68%"></colgroup>'
        f"{rows}</table>{note}"
        f"<h3>{esc(t('key_figures', lang))}</h3>"
        f'<table class="facts keys"><colgroup><col style="width:32%"><col style="width:68%">'
        f"</colgroup>{keys}</table>"
        f'<h3>{esc(t("contents", lang))}</h3><ul style="list-style:none;padding:0">{toc}</ul>'
        "</section>"
    )


def key_figures(inp: ReportInput) -> list[tuple[str, str]]:
    """The cover's key figures: road, entrance and perimeter coverage, blind spots, the
    suggestions' gain; (label, value) pairs."""
    lang = inp.lang
    pc = CATALOGUE["camera"].rule_params
    rules = {r.key: r for r in inp.audit.rules}
    out = []
    roads = rules.get("road_coverage")
    if roads is not None and roads.figures:
        f = roads.figures
        out.append(
            (
                t("key_roads", lang, level=level(DORI_LEVELS[int(pc["road_level"])], lang)),
                t(
                    "key_roads_value",
                    lang,
                    pct=f"{f['covered_pct']:.1f} %",
                    total=fmt_length(f["important_road_m"], lang),
                ),
            )
        )
    ents = rules.get("entrance_ai")
    if ents is not None and ents.figures:
        f = ents.figures
        out.append(
            (
                t("key_entrances", lang),
                t("key_entrances_value", lang, seen=f["seen"], n=f["entrances"]),
            )
        )
    per = rules.get("perimeter")
    if per is not None and per.figures:
        f = per.figures
        out.append(
            (
                t("key_perimeter", lang),
                t(
                    "key_perimeter_value",
                    lang,
                    pct=f"{f['covered_pct']:.1f} %",
                    total=fmt_length(f["perimeter_m"], lang),
                    by=t("by_fence" if f["closed"] else "by_cameras", lang),
                ),
            )
        )
    total = sum(b.area_m2 for b in inp.blind_spots)
    out.append(
        (
            t("key_blind", lang),
            t(
                "key_blind_value",
                lang,
                n=len(inp.blind_spots),
                a=inp.min_blind_m2,
                total=fmt_area(total, lang),
            ),
        )
    )
    if inp.suggestions:
        out.append(
            (
                t("key_suggest", lang),
                t(
                    "key_suggest_value",
                    lang,
                    n=len(inp.suggestions),
                    gain=fmt_length(inp.suggestions[-1].cumulative, lang),
                ),
            )
        )
    return out


def audit_table(inp: ReportInput) -> str:
    """Section 1: the nine rules with their results and figures, and the notes on them."""
    lang = inp.lang
    rows = []
    for r in inp.audit.rules:
        result = status_badge(r.status, lang)
        if r.needs_synthetic:
            result += f'<div class="syn">† {esc(t("synthetic", lang))}</div>'
        rows.append([str(r.rule), esc(r.title(lang)), result, esc(rule_summary(r, lang))])
    rules = table(
        [
            (t("col_no", lang), "8%", "num"),
            (t("col_rule", lang), "30%", ""),
            (t("col_result", lang), "16%", ""),
            (t("col_summary", lang), "46%", ""),
        ],
        rows,
    )
    notes = []
    if any(r.needs_synthetic for r in inp.audit.rules):
        notes.append(f"† {t('synthetic_note', lang)}")
    if any(r.status == "no data" for r in inp.audit.rules):
        notes.append(t("nodata_note", lang))
    pc = CATALOGUE["camera"].rule_params
    pp = CATALOGUE["pole"].rule_params

    def lv(key: str) -> str:
        return level(DORI_LEVELS[int(pc[key])], lang)

    notes.append(
        t(
            "rules_params",
            lang,
            lo=pp["spacing_min_m"],
            hi=pp["spacing_max_m"],
            bin=CATALOGUE["trash_bin"].rule_params["spacing_m"],
            ratio=100 * CATALOGUE["charger"].rule_params["ratio_min"],
            ent=lv("entrance_level"),
            front=pc["front_view_deg"],
            road=lv("road_level"),
            gap=pc["gap_report_m"],
            per=lv("perimeter_level"),
        )
    )
    body = "".join(f'<p class="small">{esc(n)}</p>' for n in notes)
    return f'<section id="audit"><h2>{esc(t("s_audit", lang))}</h2>{rules}{body}</section>'


def first_places(places: list[Any], n: int) -> list[Any]:
    """The first ``n`` places of a rule, shared among their kinds (a rule failing two ways,
    e.g. displays and barriers, shows some of each), each kind in its own order."""
    kinds: dict[str, list[Any]] = {}
    for p in places:
        kinds.setdefault(p.what, []).append(p)
    chosen: list[Any] = []
    while len(chosen) < min(n, len(places)):
        for group in kinds.values():
            if group and len(chosen) < n:
                chosen.append(group.pop(0))
    order = {id(p): i for i, p in enumerate(places)}
    return sorted(chosen, key=lambda p: (list(kinds).index(p.what), order[id(p)]))


def places(inp: ReportInput) -> str:
    """Section 2: the first places of each failing rule, the rest counted."""
    lang = inp.lang
    parts = [f'<section id="places"><h2>{esc(t("s_places", lang))}</h2>']
    failed = inp.audit.failed
    if not failed:
        parts.append(f"<p>{esc(t('no_fail', lang))}</p>")
    else:
        parts.append(f'<p class="small">{esc(t("places_intro", lang))}</p>')
    for r in failed:
        parts.append(
            f'<div class="block"><h3>{esc(t("rule_n", lang, n=r.rule))} {esc(r.title(lang))} — '
            f"{esc(t('places_count', lang, n=len(r.places)))}</h3>"
        )
        rows = []
        for p in first_places(r.places, PLACES_PER_RULE):
            name = esc(place_name(p.name, lang))
            label = name + (f'<br><span class="small">{esc(p.id)}</span>' if p.id else "")
            if not name:
                label = esc(p.id)
            rows.append(
                [
                    esc(place_what(p.what, lang)),
                    label or "–",
                    esc(fmt_where(p.lat, p.lon)),
                    esc(place_note(p.note, lang)),
                ]
            )
        extra = len(r.places) - PLACES_PER_RULE
        more = t("more", lang, n=extra, layer="audit_failures") if extra > 0 else None
        parts.append(
            table(
                [
                    (t("col_what", lang), "24%", ""),
                    (t("col_name", lang), "26%", ""),
                    (t("col_where", lang), "21%", ""),
                    (t("col_note", lang), "29%", ""),
                ],
                rows,
                more,
            )
            + "</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def coverage(
    inp: ReportInput,
    view3d: tuple[bytes, tuple[int, int]] | None,
    view3d_error: str | None,
    topdown: tuple[bytes, tuple[int, int]],
    stats: CoverageStats,
) -> str:
    """Two pages: the 3D view, the method and the areas by DORI level; then the top-down map
    with its legend."""
    lang = inp.lang
    osm = (
        " " + t("osm_line", lang) + "."
        if any(is_osm(x.path) for x in inp.scene.spec.sources)
        else ""
    )
    parts = [f'<section id="coverage"><h2>{esc(t("s_map", lang))}</h2>']
    if view3d is not None:
        data, size = view3d
        w = image_width_mm(size, 180, 125)
        present = {d.kind for d in inp.scene.devices}
        shown = REGISTRY["security"].kinds or frozenset(present)
        kinds = "".join(
            f'<li><span class="dot" style="background:{spec.colour}"></span>'
            f"{esc(spec.display_name(lang))}</li>"
            for kind, spec in CATALOGUE.items()
            if kind in present and kind in shown
        )
        parts.append(
            f'<figure><img src="{data_uri(data, "image/jpeg")}" style="width:{w:.0f}mm" alt="3D">'
            f"<figcaption>{esc(t('view3d', lang))}{esc(osm)}</figcaption></figure>"
            f'<ul class="legend kinds">{kinds}</ul>'
        )
    else:
        parts.append(f'<p class="small">{esc(t("view3d_missing", lang, why=view3d_error))}</p>')
    parts.append(f'<p class="small">{esc(t("method", lang))}</p>')
    parts.append(f"<h3>{esc(t('by_level', lang))}</h3>")
    rows = []
    open_m2 = stats.open_m2 or 1.0
    for k, name in enumerate(DORI_LEVELS):
        sw = f'<span class="sw" style="background:{LEVEL_COLOURS[k]}"></span>'
        label = level(name, lang) if k else t("lg_none", lang)
        best = stats.best_m2.get(name, 0.0)
        at_least = stats.at_least_m2.get(name)
        rows.append(
            [
                sw + esc(label),
                f"{DORI_PPM[name]:g}" if k else "–",
                f"{esc(fmt_area(best, lang))} ({fmt_pct(best / open_m2)})",
                f"{esc(fmt_area(at_least, lang))} ({fmt_pct(at_least / open_m2)})"
                if at_least is not None
                else "–",
            ]
        )
    parts.append(
        table(
            [
                (t("col_level", lang), "28%", ""),
                (t("col_ppm", lang), "14%", "num"),
                (t("col_best_area", lang), "29%", "num"),
                (t("col_at_least", lang), "29%", "num"),
            ],
            rows,
        )
    )
    parts.append(
        f'<p class="small">{esc(t("open_ground", lang, area=fmt_area(stats.open_m2, lang)))}</p>'
    )
    if inp.blind_spots:
        total = sum(b.area_m2 for b in inp.blind_spots)
        blind = t(
            "blind_summary",
            lang,
            n=len(inp.blind_spots),
            a=inp.min_blind_m2,
            total=fmt_area(total, lang),
            largest=fmt_area(inp.blind_spots[0].area_m2, lang),
        )
        parts.append(f"<p>{esc(blind)}</p>")
    data, size = topdown
    w = image_width_mm(size, 180, 175)
    parts.append(
        f'<figure style="break-before:page"><img src="{data_uri(data, "image/png")}" '
        f'style="width:{w:.0f}mm" alt="map">'
        f"<figcaption>{esc(t('map_caption', lang, h=TARGET_HEIGHT_PEOPLE_M, cell=inp.cell))}"
        f"{esc(osm)}</figcaption></figure>"
    )
    gap_m = float(CATALOGUE["camera"].rule_params["gap_report_m"])
    road_level = level(DORI_LEVELS[int(CATALOGUE["camera"].rule_params["road_level"])], lang)
    levels = "".join(
        f'<span class="lv"><span class="sw" style="background:{LEVEL_COLOURS[k]}"></span>'
        + esc(level(name, lang) if k else t("lg_none", lang))
        + "</span>"
        for k, name in enumerate(DORI_LEVELS)
    )
    items = [
        f'<span class="sw" style="background:{BUILDING}"></span>{esc(t("lg_building", lang))}',
        f'<span class="sw" style="background:{OUTSIDE}"></span>{esc(t("lg_outside", lang))}',
        f'<span class="sw" style="background:#fff;border:0.5mm solid {BLIND}"></span>'
        f"{esc(t('lg_blind', lang, a=inp.min_blind_m2))}",
        f'<span class="line" style="border-top:1mm solid {GAP}"></span>'
        f"{esc(t('lg_gap', lang, level=road_level, gap=gap_m))}",
        f'<span class="line" style="border-top:0.7mm solid {BOUNDARY}"></span>'
        f"{esc(t('lg_boundary', lang))}",
        f'<span class="dot" style="background:{CAMERA};width:1.8mm;height:1.8mm"></span>'
        f"{esc(t('lg_camera', lang))}",
    ]
    if inp.suggestions:
        items.append(
            f'<span class="dot" style="background:{SUGGESTED}"></span>'
            f"{esc(t('lg_suggested', lang))}"
        )
    parts.append(
        f'<h3>{esc(t("legend", lang))}</h3><p class="levels">{esc(t("col_level", lang))}: '
        f'{levels}</p><ul class="legend">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    )
    parts.append("</section>")
    return "".join(parts)
