"""``twin audit``, ``twin suggest``, ``twin report``: the planners' commands on a scene's
community."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from twin.cli.common import build_scene_file

STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "no data": "n/a "}


def add_commands(sub: Any) -> None:
    s = sub.add_parser(
        "audit", help="check the deployment rules on a scene's community (coverage, spacing...)"
    )
    s.add_argument("scene")
    s.add_argument("--json", action="store_true", help="everything as JSON on stdout")
    s.add_argument("--gpkg", metavar="OUT.gpkg", help="also write the findings as a GeoPackage")
    s.add_argument("--strict", action="store_true", help="exit 1 when a rule fails")
    s.add_argument("--cell", type=float, default=1.0, metavar="M", help="coverage grid cell (m)")
    s.add_argument("--places", type=int, default=5, metavar="N", help="failing places per rule")
    s.add_argument("--lang", choices=("zh", "en"), help="default: from the locale")
    s.set_defaults(func=cmd_audit)

    s = sub.add_parser("suggest", help="where the next cameras go for the most coverage gain")
    s.add_argument("scene")
    s.add_argument("--cameras", type=int, required=True, metavar="N")
    s.add_argument("--budget-from", default="both", choices=("poles", "facades", "both"))
    s.add_argument("--goal", default="roads", choices=("roads", "entrances", "perimeter", "all"))
    s.add_argument(
        "--out", metavar="FILE", help="write them as a device list (.csv/.xlsx/.geojson)"
    )
    s.add_argument("--cell", type=float, default=1.0, metavar="M", help="coverage grid cell (m)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_suggest)

    s = sub.add_parser(
        "report",
        help="the planners' report: HTML and PDF, coverage.gpkg and the suggested cameras",
    )
    s.add_argument("scene")
    s.add_argument("--out", required=True, metavar="DIR", help="directory for the files")
    s.add_argument("--lang", choices=("zh", "en"), help="report language (default: the locale)")
    s.add_argument(
        "--cameras", type=int, default=5, metavar="N", help="suggest N new cameras (0: none)"
    )
    s.add_argument("--cell", type=float, default=1.0, metavar="M", help="coverage grid cell (m)")
    s.set_defaults(func=cmd_report)


def cmd_audit(args: argparse.Namespace) -> int:
    from twin.usecases.planning import audit_scene, check_cell, write_audit_gpkg

    check_cell(args.cell)
    scene = build_scene_file(args.scene)
    result = audit_scene(scene, args.cell)
    layers = write_audit_gpkg(scene, result, args.gpkg) if args.gpkg else []
    if args.json:
        json.dump(audit_json(result), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        from twin.core.i18n import default_lang

        print_audit(result, args.places, args.lang or default_lang())
        if layers:
            print(
                f"Wrote {args.gpkg} ({len(layers)} layers: {', '.join(layers[::2])}, "
                "each also as _wgs84)"
            )
    return 1 if args.strict and result.failed else 0


def audit_json(result: Any) -> dict[str, Any]:
    com = result.community
    return {
        "scene": result.scene,
        "community": com.summary(),
        "rules": [
            {
                "rule": r.rule,
                "key": r.key,
                "title": r.title_en,
                "title_zh": r.title_zh,
                "status": r.status,
                "summary": r.summary,
                "needs_synthetic": r.needs_synthetic,
                "figures": r.figures,
                "places": [vars(p) for p in r.places],
            }
            for r in result.rules
        ],
        "roads": [
            {
                "id": lc.id,
                "name": lc.name,
                "length_m": round(lc.length_m, 1),
                "covered_m": round(lc.covered_m, 1),
                "at_least_m": {k: round(v, 1) for k, v in lc.at_least.items()},
                "gaps": [
                    {
                        "start_m": round(g.start_m, 1),
                        "length_m": round(g.length_m, 1),
                        "x": round(g.x, 2),
                        "y": round(g.y, 2),
                    }
                    for g in lc.gaps
                ],
            }
            for lc in result.roads
        ],
        "entrances": result.entrances,
        "perimeter": result.perimeter,
        "blind_spots": [
            {"area_m2": round(b.area_m2, 1), "x": round(b.x, 2), "y": round(b.y, 2)}
            for b in result.blind
        ],
        "failed": [r.key for r in result.failed],
    }


_WORDS = {
    "en": {
        "mark": STATUS_MARK,
        "closed": "closed (fenced)",
        "open": "open (perimeter cameras)",
        "head": "{scene}: community {source}, {ha:.1f} ha, {kind}, {n} entrances",
        "undeclared": "  (no [community] table in the scene file: the scene's extent and default "
        "road classes are used)",
        "synthetic": "  (passes only with devices --fill-devices invented)",
        "place": "        {what}{label} at {where}: {note}",
        "more": "        ... and {n} more (--places N, --json, --gpkg)",
        "blind": "Blind spots: {n} area(s) of {area:,.0f} m2 where no camera detects a person "
        "(largest {big:,.0f} m2; --gpkg draws them)",
        "fail": "{n} of {total} rules fail.",
        "pass": "Every rule passes.",
    },
    "zh": {
        "mark": {"pass": "通过  ", "fail": "未通过", "no data": "无数据"},
        "closed": "封闭 (电子围栏)",
        "open": "开放 (周界摄像头)",
        "head": "{scene}: 社区边界 {source}, {ha:.1f} 公顷, {kind}, 出入口 {n} 个",
        "undeclared": "  (场景文件没有 [community] 表: 使用场景范围和默认道路等级)",
        "synthetic": "  (仅因 --fill-devices 补全的虚拟设备而通过)",
        "place": "        {what}{label} ({where}): {note}",
        "more": "        ... 另有 {n} 处 (--places N, --json, --gpkg)",
        "blind": "盲区: {n} 处, 共 {area:,.0f} 平方米无摄像头可发现行人 (最大 {big:,.0f} 平方米; "
        "--gpkg 可绘出)",
        "fail": "{total} 条规则中 {n} 条未通过。",
        "pass": "全部规则通过。",
    },
}
"""The audit's framing words per language; the rules' own wording is the report's
(``twin.report.texts``), so the terminal and the report say the same."""


def print_audit(result: Any, places: int, lang: str) -> None:
    from twin.report import texts as tx

    w = _WORDS["zh" if lang == "zh" else "en"]
    com = result.community
    print(
        w["head"].format(
            scene=result.scene,
            source=tx.boundary_source(com.boundary_source, lang),
            ha=com.area_m2 / 1e4,
            kind=w["closed"] if com.closed else w["open"],
            n=len(com.entrances),
        )
    )
    if not com.declared:
        print(w["undeclared"])
    for r in result.rules:
        note = w["synthetic"] if r.needs_synthetic else ""
        print(f"{w['mark'][r.status]}  {r.rule}. {r.title(lang)}: {tx.rule_summary(r, lang)}{note}")
        for p in r.places[:places]:
            where = f"{p.lat:.6f}, {p.lon:.6f}" if p.lat is not None else f"{p.x:.1f}, {p.y:.1f}"
            label = " ".join(x for x in (p.id, tx.place_name(p.name, lang)) if x)
            print(
                w["place"].format(
                    what=tx.place_what(p.what, lang),
                    label=f" {label}" if label else "",
                    where=where,
                    note=tx.place_note(p.note, lang),
                )
            )
        if len(r.places) > places:
            print(w["more"].format(n=len(r.places) - places))
    if result.blind:
        area = sum(b.area_m2 for b in result.blind)
        print(w["blind"].format(n=len(result.blind), area=area, big=result.blind[0].area_m2))
    n = len(result.failed)
    print(w["fail"].format(n=n, total=len(result.rules)) if n else w["pass"])


def cmd_suggest(args: argparse.Namespace) -> int:
    from twin.usecases.planning import check_cell, suggest_cameras, write_suggestions

    check_cell(args.cell)
    scene = build_scene_file(args.scene)
    found, targets = suggest_cameras(scene, args.cameras, args.budget_from, args.goal, args.cell)
    if args.out:
        write_suggestions(scene, found, args.out)
    unit = "m" if args.goal != "entrances" else "entrances"
    if args.json:
        doc = [
            {
                "rank": s.rank,
                "camera": s.camera.id,
                "subkind": s.camera.subkind,
                "x": round(s.camera.x, 2),
                "y": round(s.camera.y, 2),
                "height": round(s.camera.z, 2),
                "heading": s.camera.heading,
                "gain": round(s.gain, 2),
                "cumulative": round(s.cumulative, 2),
            }
            for s in found
        ]
        json.dump(
            {"goal": args.goal, "target_total": round(targets.total, 1), "suggestions": doc},
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return 0
    print(f"{len(found)} cameras for --goal {args.goal} ({targets.total:.0f} {unit} to cover):")
    for s in found:
        c = s.camera
        print(
            f"  {s.rank:>2}. {c.id:<34} heading {c.heading:5.1f}  +{s.gain:7.1f} {unit}"
            f"  (total {s.cumulative:.1f})"
        )
    if args.out:
        print(f"Wrote {args.out}: add it to the scene as a [[devices]] table to keep them.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``twin report``: the options checked first, then the scene built and the files written."""
    from twin.core.errors import InputError
    from twin.usecases.planning import (
        REPORT_CAMERAS_MAX,
        check_cell,
        check_report_dir,
        write_report,
    )

    # bad options fail before the scene is built
    check_cell(args.cell)
    if not 0 <= args.cameras <= REPORT_CAMERAS_MAX:
        raise InputError(
            "--cameras",
            f"{args.cameras} is outside 0-{REPORT_CAMERAS_MAX}.",
            "Use e.g. --cameras 5 (0: no suggestions).",
        )
    check_report_dir(args.out)
    scene = build_scene_file(args.scene)
    done = write_report(scene, args.out, args.lang, args.cameras, args.cell)
    names = ", ".join(Path(p).name for p in done["files"].values())
    failed = len(done["failed"])
    print(
        f"Wrote {done['dir']}: {names} ({done['pages']} PDF pages, {done['lang']}; "
        f"{failed} rule{'s' if failed != 1 else ''} failing) in {done['timings']['total']:.1f} s"
    )
    return 0
