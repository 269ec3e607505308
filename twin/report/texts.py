"""Every text of the planners' report, in English and Chinese, in one dict (:data:`TEXTS`).

The audit (``twin.analysis.audit``) words its summaries and the notes of failing places in
English; the Chinese report words them again from the rules' figures (:func:`rule_summary`)
and translates the notes by pattern (:func:`place_note`), keeping the audit's own wording
whenever a figure it needs is missing.
"""

from __future__ import annotations

import math
import re
from typing import Any

from twin.scene.catalogue import CATALOGUE
from twin.scene.standards import DORI_LEVELS

LANGS = ("en", "zh")

TEXTS: dict[str, dict[str, str]] = {
    # -- the document ----------------------------------------------------------------------
    "html_lang": {"en": "en", "zh": "zh-Hans"},
    "title": {
        "en": "Camera coverage and deployment audit",
        "zh": "摄像头覆盖与设备部署规范审查报告",
    },
    "page": {"en": "Page ", "zh": "第 "},
    "page_of": {"en": " of ", "zh": " 页 / 共 "},
    "page_end": {"en": "", "zh": " 页"},
    "more": {
        "en": "… and {n} more (all of them in coverage.gpkg, layer {layer})",
        "zh": "… 另有 {n} 处 (全部见 coverage.gpkg 的 {layer} 图层)",
    },
    "more_rows": {"en": "… and {n} more", "zh": "… 另有 {n} 项"},
    "none": {"en": "none", "zh": "无"},
    "unnamed": {"en": "unnamed", "zh": "未命名"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    # -- cover -----------------------------------------------------------------------------
    "community": {"en": "Community", "zh": "社区"},
    "boundary_source": {"en": "Boundary from", "zh": "边界来源"},
    "area": {"en": "Area", "zh": "面积"},
    "perimeter": {"en": "Perimeter", "zh": "周界长度"},
    "kind": {"en": "Type", "zh": "类型"},
    "closed": {"en": "closed (fenced: electronic fence)", "zh": "封闭式 (电子围栏)"},
    "open": {"en": "open (watched by perimeter cameras)", "zh": "开放式 (周界摄像头)"},
    "entrances_n": {"en": "Entrances", "zh": "出入口"},
    "entrances_by_use": {"en": "{n} ({uses})", "zh": "{n} 个 ({uses})"},
    "cameras_n": {"en": "Cameras counted", "zh": "计入的摄像头"},
    "cameras_real": {
        "en": "{n} (in the community or looking into it)",
        "zh": "{n} 台 (位于社区内或朝向社区)",
    },
    "key_figures": {"en": "Key figures", "zh": "主要指标"},
    "key_roads": {
        "en": "Important roads at {level} or better",
        "zh": "重要道路达到{level}级及以上",
    },
    "key_roads_value": {"en": "{pct} of {total}", "zh": "{total} 中的 {pct}"},
    "key_entrances": {"en": "Entrances seen by an AI camera", "zh": "有 AI 摄像头看护的出入口"},
    "key_entrances_value": {"en": "{seen} of {n}", "zh": "{n} 个中的 {seen} 个"},
    "key_perimeter": {"en": "Perimeter covered", "zh": "周界覆盖"},
    "key_perimeter_value": {"en": "{pct} of {total} ({by})", "zh": "{total} 中的 {pct} ({by})"},
    "by_fence": {"en": "electronic fence", "zh": "电子围栏"},
    "by_cameras": {"en": "perimeter cameras", "zh": "周界摄像头"},
    "key_blind": {"en": "Blind spots", "zh": "盲区"},
    "key_blind_value": {
        "en": "{n} areas of {a:g} m² or more, {total} in all",
        "zh": "{n} 处 (每处不小于 {a:g} 平方米), 共 {total}",
    },
    "key_suggest": {"en": "Suggested cameras", "zh": "建议新增摄像头"},
    "key_suggest_value": {
        "en": "{n}, adding {gain} of covered important road",
        "zh": "{n} 台, 新增重要道路覆盖 {gain}",
    },
    "cameras_detail": {
        "en": "{n} (in the community or looking into it; {synthetic} invented by --fill-devices)",
        "zh": "{n} 台 (位于社区内或朝向社区; 其中 {synthetic} 台由 --fill-devices 补全)",
    },
    "report_time": {"en": "Report made", "zh": "报告时间"},
    "twin_version": {"en": "Software", "zh": "软件"},
    "scene_file": {"en": "Scene file", "zh": "场景文件"},
    "grid": {"en": "Coverage grid", "zh": "覆盖计算网格"},
    "grid_value": {"en": "{cell:g} m cells", "zh": "{cell:g} 米网格"},
    "not_declared": {
        "en": "The scene file has no [community] table: the scene's extent and the default road "
        "classes were used.",
        "zh": "场景文件没有 [community] 表: 使用了场景范围和默认的道路等级。",
    },
    "verdict_fail": {"en": "{n} of {m} rules fail", "zh": "{m} 条规则中 {n} 条未通过"},
    "verdict_pass": {"en": "Every rule passes", "zh": "全部规则通过"},
    "verdict_counts": {
        "en": "{p} pass · {f} fail · {d} cannot be decided from the data",
        "zh": "通过 {p} 条 · 未通过 {f} 条 · 数据不足 {d} 条",
    },
    "contents": {"en": "Contents", "zh": "目录"},
    # -- sections --------------------------------------------------------------------------
    "s_audit": {"en": "1. Deployment rules", "zh": "1. 部署规范审查"},
    "s_places": {"en": "2. Where the rules fail", "zh": "2. 不合规位置"},
    "s_map": {"en": "3. Camera coverage", "zh": "3. 摄像头覆盖"},
    "s_roads": {"en": "4. Coverage of the important roads", "zh": "4. 重要道路覆盖"},
    "s_entrances": {"en": "5. Entrances", "zh": "5. 出入口"},
    "s_suggest": {"en": "6. Suggested new cameras", "zh": "6. 建议新增摄像头"},
    "s_sources": {"en": "7. Data sources and attribution", "zh": "7. 数据来源与版权声明"},
    # -- the audit table -------------------------------------------------------------------
    "col_no": {"en": "No.", "zh": "序号"},
    "col_rule": {"en": "Rule", "zh": "规则"},
    "col_result": {"en": "Result", "zh": "结果"},
    "col_summary": {"en": "Figures", "zh": "指标"},
    "pass": {"en": "PASS", "zh": "通过"},
    "fail": {"en": "FAIL", "zh": "未通过"},
    "no data": {"en": "n.a.", "zh": "无数据"},
    "synthetic": {
        "en": "passes only with invented devices",
        "zh": "仅因补全的虚拟设备而通过",
    },
    "synthetic_note": {
        "en": '"Passes only with invented devices": the rule passes with the devices '
        "--fill-devices added to the scene and fails on the real inventory alone.",
        "zh": "“仅因补全的虚拟设备而通过”: 该规则在加入 --fill-devices 补全的设备后通过, "
        "仅凭真实设备清单则不通过。",
    },
    "nodata_note": {
        "en": '"n.a.": the data cannot decide the rule (nothing of what it checks is in the '
        "scene); it is not a pass.",
        "zh": "“无数据”: 场景数据中没有该规则检查的对象, 无法判定; 不等于通过。",
    },
    "rules_params": {
        "en": "The rules' parameters are the device catalogue's: smart poles {lo:g}-{hi:g} m "
        "apart; a bin every {bin:g} m; chargers for {ratio:.0f} % of spaces; entrances at "
        "{ent} level from the front (within ±{front:g}°); important roads at {road} level, "
        "gaps over {gap:g} m listed; an open perimeter at {per} level.",
        "zh": "规则参数来自设备目录: 智慧杆间距 {lo:g}-{hi:g} 米; 每 {bin:g} 米一个垃圾桶; "
        "充电桩不少于车位的 {ratio:.0f}%; 出入口需从正面 (±{front:g}°) 达到{ent}级; "
        "重要道路需达到{road}级, 列出超过 {gap:g} 米的缺口; 开放社区周界需达到{per}级。",
    },
    # -- places ----------------------------------------------------------------------------
    "places_intro": {
        "en": "The first places of each failing rule, the largest first; every place is in "
        "coverage.gpkg (layer audit_failures).",
        "zh": "每条未通过规则列出前几处不合规位置 (按规模从大到小); 全部位置见 coverage.gpkg "
        "(audit_failures 图层)。",
    },
    "rule_n": {"en": "Rule {n}.", "zh": "规则 {n}:"},
    "places_count": {"en": "{n} places", "zh": "共 {n} 处"},
    "col_what": {"en": "What", "zh": "问题"},
    "col_name": {"en": "Name / id", "zh": "名称 / 编号"},
    "col_where": {"en": "Lat, lon", "zh": "纬度, 经度"},
    "col_note": {"en": "Note", "zh": "说明"},
    "no_fail": {"en": "No rule fails.", "zh": "没有未通过的规则。"},
    # -- coverage map ----------------------------------------------------------------------
    "view3d": {
        "en": "The community in 3D (security view: cameras and safety devices); the green line "
        "is its boundary.",
        "zh": "社区三维视图 (安防视图: 摄像头与安全设备); 绿色线为社区边界。",
    },
    "no_boundary": {"en": "the community has no boundary", "zh": "社区没有边界"},
    "view3d_missing": {
        "en": "The 3D view could not be rendered here ({why}).",
        "zh": "此处无法渲染三维视图 ({why})。",
    },
    "map_caption": {
        "en": "Coverage from above: the best DORI level any camera reaches for a person (face at "
        "{h:g} m), on a {cell:g} m grid; buildings block the view; north (the scene CRS's grid "
        "north) is up.",
        "zh": "俯视覆盖图: 任一摄像头对行人 (面部高度 {h:g} 米) 达到的最高 DORI 等级, "
        "{cell:g} 米网格; 建筑物遮挡视线; 上方为场景坐标系的北方。",
    },
    "legend": {"en": "Legend", "zh": "图例"},
    "by_level": {"en": "Open ground by DORI level", "zh": "室外地面按 DORI 等级"},
    "lg_none": {"en": "not covered", "zh": "未覆盖"},
    "lg_building": {"en": "building", "zh": "建筑物"},
    "lg_outside": {"en": "outside the community", "zh": "社区范围外"},
    "lg_blind": {
        "en": "blind spot (≥ {a:g} m² nobody sees)",
        "zh": "盲区 (≥ {a:g} 平方米无摄像头覆盖)",
    },
    "lg_gap": {
        "en": "important road below {level} (gap over {gap:g} m)",
        "zh": "重要道路未达{level}级 (缺口超过 {gap:g} 米)",
    },
    "lg_boundary": {"en": "community boundary", "zh": "社区边界"},
    "lg_camera": {"en": "existing camera", "zh": "现有摄像头"},
    "lg_suggested": {"en": "suggested camera (rank)", "zh": "建议新增摄像头 (序号)"},
    "col_level": {"en": "DORI level", "zh": "DORI 等级"},
    "col_ppm": {"en": "pixels / m", "zh": "像素 / 米"},
    "col_best_area": {"en": "best level here", "zh": "最高等级为此级"},
    "col_at_least": {"en": "at this level or better", "zh": "达到此级及以上"},
    "open_ground": {
        "en": "Shares of the community's open ground ({area} outside buildings).",
        "zh": "占社区室外地面 (建筑物以外 {area}) 的比例。",
    },
    "blind_summary": {
        "en": "{n} blind spots of {a:g} m² or more, {total} in all; the largest {largest}.",
        "zh": "面积不小于 {a:g} 平方米的盲区 {n} 处, 共 {total}; 最大一处 {largest}。",
    },
    "method": {
        "en": "DORI (EN 62676-4): detection 25, observation 62.5, recognition 125 and "
        "identification 250 pixels per metre at the target. Each camera's footprint follows "
        "its mount, heading, tilt, field of view and resolution; buildings (GIS extrusions and "
        "BIM shells) occlude it, nothing else does (no trees are invented).",
        "zh": "DORI (EN 62676-4): 目标处像素密度 探测 25、观察 62.5、识别 125、辨认 250 像素/米。"
        "每台摄像头的覆盖范围由安装位置、朝向、俯角、视场角和分辨率决定; 仅建筑物 "
        "(GIS 拉伸体与 BIM 外壳) 遮挡视线, 不臆造树木等遮挡。",
    },
    # -- roads -----------------------------------------------------------------------------
    "roads_intro": {
        "en": "{total} of important roads in the community; {pct} covered at {level} level or "
        "better by HD cameras (faces at {h:g} m). Segments are grouped by street name, the "
        "longest uncovered first.",
        "zh": "社区内重要道路共 {total}; 高清摄像头在{level}级及以上覆盖 {pct} "
        "(面部高度 {h:g} 米)。路段按街道名称合并, 未覆盖长度大的在前。",
    },
    "col_road": {"en": "Road", "zh": "道路"},
    "col_segments": {"en": "Segments", "zh": "路段数"},
    "col_length": {"en": "Length", "zh": "长度"},
    "col_covered": {"en": "Covered", "zh": "覆盖率"},
    "col_gaps": {"en": "Gaps > {gap:g} m", "zh": "缺口 > {gap:g} 米"},
    "col_longest": {"en": "Longest gap", "zh": "最长缺口"},
    "no_roads": {"en": "No important roads in the community.", "zh": "社区内没有重要道路。"},
    "unnamed_road": {"en": "unnamed {cls}", "zh": "未命名{cls}"},
    # -- entrances -------------------------------------------------------------------------
    "entrances_intro": {
        "en": "Rule 4 asks for an AI camera at {level} level that sees vehicles' fronts (within "
        "±{front:g}° of the direction of travel; pedestrian entrances: faces). Other cameras "
        "that see the entrance are listed for what they are worth.",
        "zh": "规则 4 要求有 AI 摄像头达到{level}级并能看到车辆正面 "
        "(与行驶方向夹角 ±{front:g}° 以内; 行人出入口看人脸)。"
        "其他能看到出入口的摄像头一并列出, 供参考。",
    },
    "col_id": {"en": "Id", "zh": "编号"},
    "col_use": {"en": "Use", "zh": "通行"},
    "col_entrance": {"en": "Name", "zh": "名称"},
    "col_ai": {"en": "AI cameras (level)", "zh": "AI 摄像头 (等级)"},
    "col_other": {"en": "Other cameras (level)", "zh": "其他摄像头 (等级)"},
    "col_verdict": {"en": "Verdict", "zh": "结论"},
    "seen_ok": {"en": "seen", "zh": "合规"},
    "seen_not": {"en": "not seen", "zh": "不合规"},
    "not_front": {"en": "not from the front", "zh": "非正面"},
    "no_entrances": {"en": "No entrances known.", "zh": "没有已知的出入口。"},
    "use_vehicle": {"en": "vehicle", "zh": "车行"},
    "use_pedestrian": {"en": "on foot", "zh": "人行"},
    "use_both": {"en": "both", "zh": "人车"},
    # -- suggestions -----------------------------------------------------------------------
    "suggest_intro": {
        "en": "{n} HD cameras chosen greedily (within 1 - 1/e of the best choice) from "
        "candidate poses on existing smart poles and building facades, for the most important-road "
        "length newly brought to {level} level. Together they add {gain}: about {before} → "
        "{after} of the important roads. suggestions.csv holds them as a device list: add it to "
        "the scene file as a [[devices]] table to keep them.",
        "zh": "从现有智慧杆和建筑立面的候选位置中贪心选出 {n} 台高清摄像头 "
        "(不低于最优解的 1 - 1/e), 使新增达到{level}级的重要道路长度最大。合计新增 {gain}: "
        "重要道路覆盖率约 {before} → {after}。suggestions.csv 为对应的设备清单, "
        "作为 [[devices]] 表加入场景文件即可保留。",
    },
    "col_rank": {"en": "Rank", "zh": "序号"},
    "col_mount": {"en": "Mount", "zh": "安装位置"},
    "col_height": {"en": "Height", "zh": "高度"},
    "col_heading": {"en": "Heading", "zh": "朝向"},
    "col_gain": {"en": "Gain", "zh": "新增覆盖"},
    "col_cumulative": {"en": "Cumulative", "zh": "累计"},
    "mount_pole": {"en": "smart pole {id}", "zh": "智慧杆 {id}"},
    "mount_facade": {"en": "building facade", "zh": "建筑立面"},
    "invented_pole": {
        "en": "(invented by --fill-devices: check the pole exists)",
        "zh": "(由 --fill-devices 补全: 请核实该杆是否存在)",
    },
    "no_suggest": {
        "en": "No suggestions were asked for (--cameras 0).",
        "zh": "未要求给出建议 (--cameras 0)。",
    },
    "suggest_failed": {"en": "No suggestions: {why}", "zh": "无法给出建议: {why}"},
    # -- sources ---------------------------------------------------------------------------
    "col_source_kind": {"en": "Kind", "zh": "类型"},
    "col_file": {"en": "File", "zh": "文件"},
    "col_credit": {"en": "Source and licence", "zh": "来源与许可"},
    "src_gis": {"en": "GIS", "zh": "GIS"},
    "src_devices": {"en": "device list", "zh": "设备清单"},
    "src_ifc": {"en": "IFC model", "zh": "IFC 模型"},
    "credit_unknown": {
        "en": "not a bundled file: its provider's terms apply",
        "zh": "非内置文件: 以其提供方的条款为准",
    },
    "attribution": {"en": "Attribution", "zh": "版权声明"},
    "osm_line": {
        "en": "Map data (c) OpenStreetMap contributors, ODbL 1.0",
        "zh": "地图数据 (c) OpenStreetMap 贡献者, ODbL 1.0",
    },
    "made_by": {
        "en": "Made with community-twin {version} (open source, MIT): twin report {scene}.",
        "zh": "由 community-twin {version} (开源, MIT 许可) 生成: twin report {scene}。",
    },
    "synthetic_devices": {
        "en": "{n} devices of the scene were invented by --fill-devices (see rule table).",
        "zh": "场景中有 {n} 台设备由 --fill-devices 补全 (见规则表)。",
    },
}

LEVELS: dict[str, dict[str, str]] = {
    "none": {"en": "none", "zh": "无"},
    "detection": {"en": "detection", "zh": "探测"},
    "observation": {"en": "observation", "zh": "观察"},
    "recognition": {"en": "recognition", "zh": "识别"},
    "identification": {"en": "identification", "zh": "辨认"},
}
"""DORI level names (EN 62676-4)."""

PLACES: dict[str, str] = {
    "road stretch without a pole": "无智慧杆路段",
    "poles too close": "智慧杆间距过小",
    "road stretch far from a bin": "远离垃圾桶的路段",
    "entrance": "出入口",
    "uncovered road stretch": "未覆盖路段",
    "perimeter stretch": "周界缺口",
    "public area without a smoke detector": "无烟感的公共区域",
    "hydrant without a monitor": "无监测的消防栓",
    "fire door without a monitor": "无监测的防火门",
    "lift without a monitor": "无监测的电梯",
    "main entrance without an information display": "无信息发布屏的主出入口",
    "vehicle entrance without a barrier": "无道闸的车辆出入口",
    "manhole cover not smart": "非智能井盖",
}
"""The audit's kinds of failing place, in Chinese."""

HIGHWAYS_ZH: dict[str, str] = {
    "steps": "台阶",
    "cycleway": "自行车道",
    "footway": "人行道",
    "path": "小路",
    "pedestrian": "步行街",
    "service": "服务道路",
    "residential": "居住区道路",
    "living_street": "生活街道",
    "primary": "主干路",
    "secondary": "次干路",
    "tertiary": "支路",
    "unclassified": "未分级道路",
    "track": "小径",
}
"""OSM ``highway=*`` classes of unnamed roads and entrances, in Chinese."""

_NOTES_ZH: tuple[tuple[str, str], ...] = (
    (r"^(\d+) m without a smart pole$", r"\1 米无智慧杆"),
    (r"^poles (\d+) m apart$", r"杆距 \1 米"),
    (r"^(\d+) m over (\d+) m from a bin$", r"\1 米距垃圾桶超过 \2 米"),
    (r"^(\d+) m below (\w+)$", "{0} 米未达{1}级"),
    (r"^(\d+) m without perimeter cameras at (\w+)$", "{0} 米无周界摄像头 ({1})"),
    (r"^(\d+) m without fence$", r"\1 米无电子围栏"),
    (r"^none within (\d+) m$", r"\1 米范围内没有"),
    (r"^(\w+): (.*); needs (\w+) from the front$", "{0}: {1}; 需正面达到{2}级"),
)


def t(key: str, lang: str, **values: Any) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    text = TEXTS[key]["zh" if lang == "zh" else "en"]
    return text.format(**values) if values else text


def level(name: str, lang: str) -> str:
    """A DORI level's name in ``lang``."""
    return LEVELS.get(name, {}).get("zh" if lang == "zh" else "en", name)


def use(name: str, lang: str) -> str:
    """Who uses an entrance (vehicle, pedestrian, both) in ``lang``."""
    key = f"use_{name}"
    return t(key, lang) if key in TEXTS else name


def place_what(what: str, lang: str) -> str:
    """The kind of a failing place in ``lang``."""
    return PLACES.get(what, what) if lang == "zh" else what


NAMES_ZH: dict[str, str] = {"entrance": "入口", "main entrance": "主入口", "gate": "大门"}
"""Names the ingest gives entrances that have none of their own, in Chinese."""


def place_name(name: str, lang: str) -> str:
    """A name the data gives (``unnamed steps`` for a nameless OSM way, ``main entrance`` for
    an OSM entrance node without a name) in ``lang``."""
    if lang == "zh" and name in NAMES_ZH:
        return NAMES_ZH[name]
    if lang == "zh" and name.startswith("unnamed "):
        cls = name[len("unnamed ") :]
        return f"未命名{HIGHWAYS_ZH.get(cls, cls)}"
    return name


def place_note(note: str, lang: str) -> str:
    """The audit's note on a failing place, in ``lang`` (unknown wording is kept)."""
    if lang != "zh":
        return note
    for pattern, repl in _NOTES_ZH:
        m = re.match(pattern, note)
        if not m:
            continue
        if "{" not in repl:
            return m.expand(repl)
        parts = [_zh_word(g) for g in m.groups()]
        return repl.format(*parts)
    return note


def _zh_word(word: str) -> str:
    if word in LEVELS:
        return LEVELS[word]["zh"]
    if word in ("vehicle", "pedestrian", "both"):
        return TEXTS[f"use_{word}"]["zh"]
    if word == "no AI camera":
        return "无 AI 摄像头"
    # "cam-1 (observation), cam-2 (detection)": the levels in brackets
    return re.sub(
        r"\((\w+)\)", lambda m: f"({LEVELS.get(m.group(1), {}).get('zh', m.group(1))})", word
    )


def _whole(x: float) -> int:
    """``x`` rounded half up (a figure kept to 0.1 m, 166.5, reads 167 as the audit says)."""
    return math.floor(x + 0.5)


def _p(kind: str, key: str) -> float:
    return float(CATALOGUE[kind].rule_params[key])


def rule_summary(rule: Any, lang: str) -> str:
    """One line of a rule's result in ``lang``: the audit's own in English, worded again from
    its figures in Chinese."""
    if lang != "zh":
        return str(rule.summary)
    try:
        return _zh_summary(rule)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return str(rule.summary)


def _zh_summary(r: Any) -> str:
    f = r.figures
    if r.status == "no data" and not f:
        return {
            1: "社区内没有主干道",
            2: "社区内没有主干道",
            4: "没有已知的出入口",
            5: "社区内没有重要道路",
            8: "没有已知的出入口",
            9: "社区内没有主干道",
        }.get(r.rule, str(r.summary))
    cam_level = {
        k: LEVELS[DORI_LEVELS[int(_p("camera", k))]]["zh"]
        for k in ("road_level", "entrance_level", "perimeter_level")
    }
    if r.rule == 1:
        return (
            f"主干道 {f['main_road_m'] / 1000:.2f} 公里, 智慧杆 {f['poles']} 根; "
            f"间距超过 {_p('pole', 'spacing_max_m'):g} 米 {f['stretches_over_max']} 处, "
            f"小于 {_p('pole', 'spacing_min_m'):g} 米 {f['closer_than_min']} 处"
        )
    if r.rule == 2:
        reach = _p("trash_bin", "spacing_m") / 2
        text = (
            f"智能垃圾桶 {f['bins']} 个; 距垃圾桶超过 {reach:g} 米的主干道路段 {f['stretches']} 处"
        )
        return text + (f", 最长 {_whole(f['longest_m'])} 米" if f["stretches"] else "")
    if r.rule == 3:
        if not f.get("spaces"):
            return "社区内没有车位数据"
        text = f"充电桩 {f['chargers']} 个 / 车位 {f['spaces']} 个 ({100 * f['ratio']:.0f}%)"
        return text + (f"; 还需 {f['missing']} 个" if f.get("missing") else "")
    if r.rule == 4:
        return (
            f"{f['entrances']} 个出入口中 {f['seen']} 个有 AI 摄像头达到"
            f"{cam_level['entrance_level']}级"
        )
    if r.rule == 5:
        return (
            f"重要道路 {f['important_road_m'] / 1000:.2f} 公里中 {f['covered_pct']:.1f}% 达到"
            f"{cam_level['road_level']}级或更高; 超过 {f['gaps_over_m']:g} 米的缺口 {f['gaps']} 处"
        )
    if r.rule == 6:
        by = "电子围栏" if f["closed"] else f"周界摄像头 ({cam_level['perimeter_level']}级)"
        return (
            f"周界 {f['perimeter_m']:.0f} 米中 {f['covered_pct']:.1f}% 由{by}覆盖; "
            f"超过 {_p('camera', 'gap_report_m'):g} 米的缺口 {f['gaps']} 处"
        )
    if r.rule == 7:
        if r.status == "no data":
            return (
                "数据中没有可检查的室内公共区域、BIM 消防栓、防火门或电梯 "
                f"(地图上有消防栓监测 {f['hydrant_monitors']} 个)"
            )
        checked = f["public_areas"] + f["hydrants"] + f["fire_doors"] + f["lifts"]
        return f"检查 {checked} 处, {len(r.places)} 处缺少对应的监测设备"
    if r.rule == 8:
        return (
            f"主出入口 {f['main_entrances']} 个, 车辆出入口 {f['vehicle_entrances']} 个; "
            f"{f['missing']} 处缺少信息发布屏或道闸"
        )
    if r.rule == 9:
        return f"主干道井盖 {f['covers_on_main_roads']} 个, 非智能 {f['not_smart']} 个"
    return str(r.summary)


_SOURCES_ZH: tuple[tuple[str, str], ...] = (
    (r"^scene file polygon$", "场景文件中的多边形"),
    (r"^OSM area '(.*)' \((\w+) (\d+)\)$", r"OSM 区域 '\1' (\2 \3)"),
    (r"^scene extent(.*)$", r"场景范围\1"),
)


def boundary_source(source: str, lang: str) -> str:
    """Where a community's boundary came from (``scene file polygon``, a file name, ``OSM area
    'Name' (way 123)``, ``scene extent (...)``) in ``lang``."""
    if lang == "zh":
        for pattern, repl in _SOURCES_ZH:
            if re.match(pattern, source):
                return re.sub(pattern, repl, source)
    return source
