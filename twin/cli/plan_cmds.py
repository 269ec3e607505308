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
    from twin.usecases.planning import audit_scene, write_audit_gpkg

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


def print_audit(result: Any, places: int, lang: str) -> None:
    if lang == "zh":
        _print_audit_zh(result, places)
        return
    com = result.community
    kind = "closed (fenced)" if com.closed else "open (perimeter cameras)"
    print(
        f"{result.scene}: community {com.boundary_source}, {com.area_m2 / 1e4:.1f} ha, {kind}, "
        f"{len(com.entrances)} entrances"
    )
    if not com.declared:
        print(
            "  (no [community] table in the scene file: the scene's extent and default road "
            "classes are used)"
        )
    for r in result.rules:
        note = "  (passes only with devices --fill-devices invented)" if r.needs_synthetic else ""
        print(f"{STATUS_MARK[r.status]}  {r.rule}. {r.title(lang)}: {r.summary}{note}")
        for p in r.places[:places]:
            where = f"{p.lat:.6f}, {p.lon:.6f}" if p.lat is not None else f"{p.x:.1f}, {p.y:.1f}"
            label = " ".join(x for x in (p.id, p.name) if x)
            print(f"        {p.what}{' ' + label if label else ''} at {where}: {p.note}")
        if len(r.places) > places:
            print(f"        ... and {len(r.places) - places} more (--places N, --json, --gpkg)")
    if result.blind:
        area = sum(b.area_m2 for b in result.blind)
        print(
            f"Blind spots: {len(result.blind)} area{'s' if len(result.blind) != 1 else ''} of "
            f"{area:,.0f} m2 where no camera detects a person (largest "
            f"{result.blind[0].area_m2:,.0f} m2; --gpkg draws them)"
        )
    n = len(result.failed)
    print(f"{n} of {len(result.rules)} rules fail." if n else "Every rule passes.")


def _print_audit_zh(result: Any, places: int) -> None:
    """The audit in Chinese, worded as the report words it (``twin.report.texts``)."""
    from twin.report import texts as tx

    mark = {"pass": "通过  ", "fail": "未通过", "no data": "无数据"}
    com = result.community
    kind = "封闭 (电子围栏)" if com.closed else "开放 (周界摄像头)"
    print(
        f"{result.scene}: 社区边界 {tx.boundary_source(com.boundary_source, 'zh')}, "
        f"{com.area_m2 / 1e4:.1f} 公顷, {kind}, 出入口 {len(com.entrances)} 个"
    )
    if not com.declared:
        print("  (场景文件没有 [community] 表: 使用场景范围和默认道路等级)")
    for r in result.rules:
        note = "  (仅因 --fill-devices 补全的虚拟设备而通过)" if r.needs_synthetic else ""
        print(f"{mark[r.status]}  {r.rule}. {r.title('zh')}: {tx.rule_summary(r, 'zh')}{note}")
        for p in r.places[:places]:
            where = f"{p.lat:.6f}, {p.lon:.6f}" if p.lat is not None else f"{p.x:.1f}, {p.y:.1f}"
            label = " ".join(x for x in (p.id, tx.place_name(p.name, "zh")) if x)
            print(
                f"        {tx.place_what(p.what, 'zh')}{' ' + label if label else ''} "
                f"({where}): {tx.place_note(p.note, 'zh')}"
            )
        if len(r.places) > places:
            print(f"        ... 另有 {len(r.places) - places} 处 (--places N, --json, --gpkg)")
    if result.blind:
        area = sum(b.area_m2 for b in result.blind)
        print(
            f"盲区: {len(result.blind)} 处, 共 {area:,.0f} 平方米无摄像头可发现行人 "
            f"(最大 {result.blind[0].area_m2:,.0f} 平方米; --gpkg 可绘出)"
        )
    n = len(result.failed)
    print(f"{len(result.rules)} 条规则中 {n} 条未通过。" if n else "全部规则通过。")


def cmd_suggest(args: argparse.Namespace) -> int:
    from twin.usecases.planning import suggest_cameras, write_suggestions

    if not 0.25 <= args.cell <= 10:
        from twin.core.errors import InputError

        raise InputError("--cell", f"{args.cell:g} m is outside 0.25-10 m.", "Use e.g. 1.")
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
    from twin.usecases.planning import REPORT_CAMERAS_MAX, check_report_dir, write_report

    # bad options fail before the scene is built
    if not 0.25 <= args.cell <= 10:
        raise InputError("--cell", f"{args.cell:g} m is outside 0.25-10 m.", "Use e.g. 1.")
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
