"""The deployment-rule audit: the nine rules a planner checks (domain brief, section 5), each
passing or failing with its figures and the places that fail.

Every parameter is the catalogue's (``rule_params`` of the kind the rule is about); camera
rules read the community's coverage (``twin.analysis.camera_layout``). A rule that the data
cannot decide (no parking spaces, no indoor public areas in the BIM) says ``no data`` rather
than pass. Each rule is also judged on the real devices alone: an audit that passes only
thanks to devices ``--fill-devices`` invented says so (``needs_synthetic``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from twin.analysis.camera_layout import CameraLayout
from twin.analysis.coverage import optics_of
from twin.analysis.covered import LINE_STEP_M, blind_spots, cover_line, line_levels, runs
from twin.scene.catalogue import CATALOGUE
from twin.scene.community import Community, Entrance
from twin.scene.entities import Device
from twin.scene.scene import Scene
from twin.scene.standards import DORI_LEVELS

PUBLIC_SPACE_WORDS = (
    "corridor",
    "hall",
    "lobby",
    "stair",
    "foyer",
    "entrance",
    "public",
    "common",
    "lift",
    "elevator",
    "flur",
    "treppe",
    "diele",
    "eingang",
    "走廊",
    "楼梯",
    "大堂",
    "门厅",
    "电梯厅",
    "公共",
    "过道",
)
"""IfcSpace names or long names that make an indoor area public (the rest are homes)."""
FIRE_DOOR_WORDS = ("fire", "防火", "brandschutz", "ei30", "ei60", "ei90", "t30", "t60", "t90")
"""Words in an IfcDoor's name or type that make it a fire door."""
SPACING_TOLERANCE_M = 0.5
"""Spacings within this of a rule's bound count as meeting it (map positions are not exact)."""
"""How near an asset of the BIM its monitor must be to count as its own."""


@dataclass
class Place:
    """Where a rule fails: a device, a road stretch, an entrance, an area."""

    what: str
    id: str
    name: str
    x: float
    y: float
    note: str = ""
    length_m: float | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass
class RuleResult:
    """One rule's verdict: ``pass``, ``fail`` or ``no data``, its figures and failing places."""

    rule: int
    key: str
    title_en: str
    title_zh: str
    status: str
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    places: list[Place] = field(default_factory=list)
    needs_synthetic: bool = False
    """It passes only with devices that ``--fill-devices`` invented."""

    def title(self, lang: str) -> str:
        """The rule's title in ``lang``."""
        return self.title_zh if lang.startswith("zh") else self.title_en


@dataclass
class Audit:
    """The audit of one scene: its community, the rules' results and the coverage behind."""

    scene: str
    community: Community
    rules: list[RuleResult]
    layout: CameraLayout
    roads: list[Any] = field(default_factory=list)
    """Per important road segment inside the community: its LineCoverage."""
    entrances: list[dict[str, Any]] = field(default_factory=list)
    perimeter: Any = None
    blind: list[Any] = field(default_factory=list)
    """Blind spots inside the community (no camera detects a person), largest first."""

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if r.status == "fail"]


def _n(count: int, word: str, plural: str | None = None) -> str:
    """'1 gap', '3 gaps'."""
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _params(kind: str) -> dict[str, float]:
    return CATALOGUE[kind].rule_params


def _level(key: str) -> str:
    return DORI_LEVELS[int(_params("camera")[key])]


class CommunityData:
    """What the rules look at: the community's roads and devices inside it, local metres."""

    def __init__(self, scene: Scene, community: Community, devices: list[Device]) -> None:
        self.scene = scene
        self.community = community
        self.area = shapely.from_wkb(community.boundary_wkb)
        shapely.prepare(self.area)
        self.devices = devices
        self.main_lines, self.important_lines = [], []
        for s in scene.surfaces.get("road", []):
            if not s.shape_wkb:
                continue
            g = shapely.from_wkb(s.shape_wkb)
            if "LineString" not in g.geom_type:
                continue
            inside = shapely.intersection(g, self.area)
            if inside.is_empty or inside.length < 0.5:
                continue
            if community.is_main_road(s):
                self.main_lines.append((s, inside))
            if community.is_important_road(s):
                self.important_lines.append((s, inside))
        self.main = shapely.line_merge(shapely.union_all([g for _, g in self.main_lines]))

    def of_kind(self, kind: str, margin: float = 0.0) -> list[Device]:
        zone = self.area if margin <= 0 else self.area.buffer(margin)
        return [d for d in self.devices if d.kind == kind and shapely.contains_xy(zone, d.x, d.y)]


def audit_community(
    scene: Scene, community: Community, layout: CameraLayout | None = None, cell: float = 1.0
) -> Audit:
    """Run the nine rules on ``scene`` inside ``community`` (its camera coverage computed
    here unless ``layout`` is given)."""
    area = shapely.from_wkb(community.boundary_wkb)
    if layout is None:
        layout = CameraLayout.of(scene, area, cell=cell)
    everything = CommunityData(scene, community, scene.devices)
    real = CommunityData(scene, community, [d for d in scene.devices if not d.synthetic])
    real_layout = None
    if any(d.synthetic and d.kind == "camera" for d in scene.devices):
        real_layout = CameraLayout.of(
            scene,
            area,
            [optics_of(d) for d in scene.devices if d.kind == "camera" and not d.synthetic],
            cell=cell,
        )
    out = Audit(scene.name, community, [], layout)
    out.blind = blind_spots(layout.maps["all"], area)
    for rule in RULES:
        res = rule(everything, layout, out)
        if res.status == "pass" and any(d.synthetic for d in scene.devices):
            again = rule(real, real_layout or layout, Audit(scene.name, community, [], layout))
            res.needs_synthetic = again.status != "pass"
        out.rules.append(res)
    return out


# -- the rules ---------------------------------------------------------------------------------


def _positions_along(line: shapely.Geometry, devs: list[Device], reach: float) -> np.ndarray:
    """Distances along ``line`` of the devices within ``reach`` of it, sorted."""
    if not devs:
        return np.zeros(0)
    pts = shapely.points([(d.x, d.y) for d in devs])
    near = shapely.distance(line, pts) <= reach
    return np.sort(shapely.line_locate_point(line, pts[near]))


def rule_pole_spacing(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    p = _params("pole")
    lo = float(p["spacing_min_m"]) - SPACING_TOLERANCE_M
    hi = float(p["spacing_max_m"]) + SPACING_TOLERANCE_M
    res = RuleResult(
        1,
        "pole_spacing",
        "Smart poles 30-50 m apart on main roads",
        "主干道智慧杆间距 30-50 米",
        "no data",
        "no main roads in the community",
    )
    if data.main.is_empty:
        return res
    poles = data.of_kind("pole", margin=hi)
    gaps, close = [], []
    lines = list(getattr(data.main, "geoms", [data.main]))
    spacings: list[float] = []
    for line in lines:
        at = _positions_along(line, poles, reach=float(p["road_reach_m"]))
        ends = np.concatenate([[0.0], at, [line.length]])
        steps = np.diff(ends)
        for k, s in enumerate(steps):
            inner = 0 < k < len(steps) - 1
            if inner:
                spacings.append(float(s))
            limit = hi if inner else hi / 2  # a road's end is served by a pole within half
            if s > limit:
                mid = shapely.line_interpolate_point(line, ends[k] + s / 2)
                gaps.append(
                    Place(
                        "road stretch without a pole",
                        "",
                        "",
                        mid.x,
                        mid.y,
                        f"{s:.0f} m without a smart pole",
                        float(s),
                    )
                )
            elif inner and s < lo:
                mid = shapely.line_interpolate_point(line, ends[k] + s / 2)
                close.append(
                    Place(
                        "poles too close", "", "", mid.x, mid.y, f"poles {s:.0f} m apart", float(s)
                    )
                )
    sp = np.array(spacings)
    res.figures = {
        "main_road_m": round(float(data.main.length), 1),
        "poles": len(poles),
        "spacings": len(sp),
        "spacing_mean_m": round(float(sp.mean()), 1) if len(sp) else None,
        "spacing_min_m": round(float(sp.min()), 1) if len(sp) else None,
        "spacing_max_m": round(float(sp.max()), 1) if len(sp) else None,
        "within_rule_pct": round(100 * float(((sp >= lo) & (sp <= hi)).mean()), 1)
        if len(sp)
        else None,
        "stretches_over_max": len(gaps),
        "closer_than_min": len(close),
    }
    res.places = sorted(gaps, key=lambda g: -(g.length_m or 0)) + close
    res.status = "fail" if res.places else "pass"
    res.summary = (
        f"{len(poles)} poles on {data.main.length / 1000:.2f} km of main road; "
        f"{_n(len(gaps), 'stretch', 'stretches')} over {p['spacing_max_m']:g} m, "
        f"{_n(len(close), 'spacing')} under "
        f"{p['spacing_min_m']:g} m"
    )
    return res


def rule_bins(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    spacing = float(_params("trash_bin")["spacing_m"])
    reach = spacing / 2
    res = RuleResult(
        2,
        "bin_reach",
        "Every main road within 50 m of a trash bin",
        "主干道每处 50 米内有智能垃圾桶",
        "no data",
        "no main roads in the community",
    )
    if data.main.is_empty:
        return res
    bins = data.of_kind("trash_bin", margin=reach)
    pts = shapely.points([(d.x, d.y) for d in bins]) if bins else None
    longest, places = 0.0, []
    for line in getattr(data.main, "geoms", [data.main]):
        n = max(1, int(math.ceil(line.length / LINE_STEP_M)))
        at = (np.arange(n) + 0.5) * (line.length / n)
        samples = shapely.line_interpolate_point(line, at)
        if pts is None:
            far = np.ones(n, dtype=bool)
        else:
            tree = shapely.STRtree(pts)
            _, dist = tree.query_nearest(samples, return_distance=True, all_matches=False)
            far = dist > reach
        for a, b in runs(far):
            length = (b - a) * line.length / n
            longest = max(longest, length)
            mid = samples[(a + b - 1) // 2]
            places.append(
                Place(
                    "road stretch far from a bin",
                    "",
                    "",
                    mid.x,
                    mid.y,
                    f"{length:.0f} m over {reach:g} m from a bin",
                    length,
                )
            )
    res.figures = {"bins": len(bins), "stretches": len(places), "longest_m": round(longest, 1)}
    res.places = sorted(places, key=lambda p: -(p.length_m or 0))
    res.status = "fail" if places else "pass"
    res.summary = (
        f"{_n(len(bins), 'bin')}; {_n(len(places), 'main-road stretch', 'main-road stretches')} "
        f"farther than {reach:g} m from one" + (f", the longest {longest:.0f} m" if places else "")
    )
    return res


def rule_chargers(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    ratio = float(_params("charger")["ratio_min"])
    spaces, chargers = data.of_kind("parking_space"), data.of_kind("charger")
    res = RuleResult(
        3,
        "charger_ratio",
        "EV chargers for at least 50 % of parking spaces",
        "充电桩不少于车位的 50%",
        "no data",
        "no parking spaces in the community",
    )
    res.figures = {"spaces": len(spaces), "chargers": len(chargers)}
    if not spaces:
        return res
    have = len(chargers) / len(spaces)
    res.figures["ratio"] = round(have, 3)
    res.status = "pass" if have >= ratio else "fail"
    need = max(0, math.ceil(ratio * len(spaces)) - len(chargers))
    res.figures["missing"] = need
    res.summary = f"{len(chargers)} chargers for {len(spaces)} spaces ({100 * have:.0f} %)" + (
        f"; {need} more needed" if need else ""
    )
    return res


def entrance_verdict(e: Entrance, layout: CameraLayout) -> dict[str, Any]:
    p = _params("camera")
    need = int(p["entrance_level"])
    reach = float(p["entrance_reach_m"])
    front = float(p["front_view_deg"])
    verdict: dict[str, Any] = {"id": e.id, "name": e.name, "use": e.use, "x": e.x, "y": e.y}
    cams: dict[str, tuple[int, bool]] = {}
    jobs = ["entrance_people"] if e.use == "pedestrian" else ["entrance_vehicles"]
    if e.use == "both":
        jobs.append("entrance_people")
    for job in jobs:
        cmap = layout.maps[job]
        for ox in (-reach, 0.0, reach):
            for oy in (-reach, 0.0, reach):
                for cid, lv, _ppm in cmap.seen_by(e.x + ox, e.y + oy):
                    cam = layout.cameras[cid]
                    fronts = True
                    if job == "entrance_vehicles" and e.inward is not None:
                        # the camera stands ahead of an entering vehicle, looking back at it
                        to_cam = math.degrees(math.atan2(cam.x - e.x, cam.y - e.y))
                        fronts = abs((to_cam - e.inward + 180) % 360 - 180) <= front
                    best = cams.get(cid, (0, False))
                    cams[cid] = (max(best[0], lv), best[1] or fronts)
    verdict["cameras"] = sorted(
        ({"id": c, "level": DORI_LEVELS[lv], "fronts": f} for c, (lv, f) in cams.items()),
        key=lambda c: -DORI_LEVELS.index(c["level"]),
    )
    ok = [c for c, (lv, f) in cams.items() if lv >= need and (f or e.use == "pedestrian")]
    verdict["ok"] = bool(ok)
    verdict["direction_known"] = e.inward is not None
    return verdict


def rule_entrances(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    ents = data.community.entrances
    res = RuleResult(
        4,
        "entrance_ai",
        "Every entrance seen by an AI camera facing vehicles' fronts",
        "每个出入口有 AI 摄像头 (车辆正面)",
        "no data",
        "no entrances known",
    )
    if not ents:
        return res
    verdicts = [entrance_verdict(e, layout) for e in ents]
    out.entrances = verdicts
    bad = [v for v in verdicts if not v["ok"]]
    need = _level("entrance_level")
    for v in bad:
        seen = ", ".join(f"{c['id']} ({c['level']})" for c in v["cameras"][:3]) or "no AI camera"
        res.places.append(
            Place(
                "entrance",
                v["id"],
                v["name"],
                v["x"],
                v["y"],
                f"{v['use']}: {seen}; needs {need} from the front",
            )
        )
    res.figures = {"entrances": len(ents), "seen": len(ents) - len(bad), "not_seen": len(bad)}
    res.status = "fail" if bad else "pass"
    res.summary = f"{len(ents) - len(bad)} of {len(ents)} entrances seen by an AI camera at {need}"
    return res


def rule_roads(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    need = _level("road_level")
    gap_m = float(_params("camera")["gap_report_m"])
    res = RuleResult(
        5,
        "road_coverage",
        "Important roads continuously covered by HD cameras",
        "重要道路高清摄像头连续覆盖",
        "no data",
        "no important roads in the community",
    )
    if not data.important_lines:
        return res
    cmap = layout.maps["roads"]
    total = covered = 0.0
    gaps = []
    for s, line in data.important_lines:
        lc = cover_line(s.id, s.name, line, cmap, need)
        out.roads.append(lc)
        total += lc.length_m
        covered += lc.covered_m
        for g in lc.gaps:
            if g.length_m > gap_m:
                gaps.append(
                    Place(
                        "uncovered road stretch",
                        s.id,
                        s.name,
                        g.x,
                        g.y,
                        f"{g.length_m:.0f} m below {need}",
                        g.length_m,
                    )
                )
    pct = 100 * covered / total if total else 100.0
    res.figures = {
        "important_road_m": round(total, 1),
        "covered_m": round(covered, 1),
        "covered_pct": round(pct, 1),
        "gaps_over_m": gap_m,
        "gaps": len(gaps),
        "gap_m": round(sum(g.length_m or 0 for g in gaps), 1),
    }
    res.places = sorted(gaps, key=lambda g: -(g.length_m or 0))
    res.status = "fail" if gaps else "pass"
    res.summary = (
        f"{pct:.1f} % of {total / 1000:.2f} km covered at {need} or better; "
        f"{_n(len(gaps), 'gap')} over {gap_m:g} m"
    )
    return res


def rule_perimeter(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    com = data.community
    ring = shapely.boundary(data.area)
    gap_m = float(_params("camera")["gap_report_m"])
    if com.closed:
        res = RuleResult(
            6,
            "perimeter",
            "A closed community's perimeter fenced continuously",
            "封闭社区周界电子围栏连续",
            "fail",
            "",
        )
        p = _params("fence_segment")
        fences = [
            d
            for d in data.devices
            if d.kind == "fence_segment"
            and shapely.distance(ring, shapely.Point(d.x, d.y)) <= p["reach_m"]
        ]
        d, pts, _ = line_levels(ring, layout.maps["all"])
        guarded = np.zeros(len(d), dtype=bool)
        for f in fences:
            at = shapely.line_locate_point(ring, shapely.Point(f.x, f.y))
            guarded |= np.abs(d - at) <= p["zone_m"] / 2
            guarded |= np.abs(d - at + ring.length) <= p["zone_m"] / 2  # across the ring's start
            guarded |= np.abs(d - at - ring.length) <= p["zone_m"] / 2
        low = ~guarded
        what = "fence"
    else:
        res = RuleResult(
            6,
            "perimeter",
            "An open community's perimeter watched by perimeter cameras",
            "开放社区周界 AI 摄像头无遮挡",
            "fail",
            "",
        )
        need = int(_params("camera")["perimeter_level"])
        d, pts, lv = line_levels(ring, layout.maps["perimeter"])
        low = lv < need
        what = f"perimeter cameras at {DORI_LEVELS[need]}"
    step = ring.length / max(1, len(d))
    for a, b in runs(low):
        length = (b - a) * step
        if length > gap_m:
            mid = pts[(a + b - 1) // 2]
            res.places.append(
                Place(
                    "perimeter stretch",
                    "",
                    "",
                    float(mid[0]),
                    float(mid[1]),
                    f"{length:.0f} m without {what}",
                    length,
                )
            )
    share = 100 * (1 - low.mean()) if len(low) else 0.0
    res.figures = {
        "perimeter_m": round(ring.length, 1),
        "covered_pct": round(share, 1),
        "gaps": len(res.places),
        "closed": com.closed,
    }
    res.places.sort(key=lambda p: -(p.length_m or 0))
    res.status = "fail" if res.places else "pass"
    res.summary = f"{share:.1f} % of the {ring.length:.0f} m perimeter by {what}; " + (
        f"{_n(len(res.places), 'gap')} over {gap_m:g} m"
    )
    # per side of the boundary (between its vertices): the share guarded
    sides = []
    coords = shapely.get_coordinates(ring)
    at = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    for k in range(len(coords) - 1):
        on = (d >= at[k]) & (d < at[k + 1])
        if on.any():
            mid = (coords[k] + coords[k + 1]) / 2
            sides.append(
                {
                    "side": k + 1,
                    "length_m": round(float(at[k + 1] - at[k]), 1),
                    "covered_pct": round(100 * float(1 - low[on].mean()), 1),
                    "x": round(float(mid[0]), 2),
                    "y": round(float(mid[1]), 2),
                }
            )
    out.perimeter = {**res.figures, "sides": sides}
    return res


def _bim_asset_points(scene: Scene, test: Callable[[Any], bool]) -> list[tuple[Any, float, float]]:
    mesh = scene.meshes.get("bim")
    out = []
    if mesh is None or not len(mesh.faces):
        return out
    for i, el in enumerate(scene.bim_elements):
        if test(el):
            faces = mesh.faces[mesh.entity == i]
            if len(faces):
                c = mesh.points[faces.ravel()].mean(axis=0)
                out.append((el, float(c[0]), float(c[1])))
    return out


def rule_fire_and_lifts(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    res = RuleResult(
        7,
        "indoor_monitors",
        "Smoke detector per public area; monitor per hydrant, fire door and lift",
        "公共区域烟感; 消防栓、防火门、电梯各有监测",
        "no data",
        "",
    )
    scene = data.scene
    checked = 0
    smoke = [d for d in data.devices if d.kind == "smoke_detector"]
    for sp in scene.spaces:
        if not sp.footprint_wkb or not any(w in sp.name.lower() for w in PUBLIC_SPACE_WORDS):
            continue
        poly = shapely.from_wkb(sp.footprint_wkb)
        if not shapely.intersects(data.area, poly):
            continue
        checked += 1
        if not any(shapely.contains_xy(poly, d.x, d.y) for d in smoke):
            c = poly.representative_point()
            res.places.append(
                Place(
                    "public area without a smoke detector",
                    sp.global_id,
                    sp.name,
                    c.x,
                    c.y,
                    sp.storey,
                )
            )
    tests: dict[str, Callable[[Any], bool]] = {
        "hydrant": lambda el: el.ifc_class == "IfcFireSuppressionTerminal",
        "fire_door": lambda el: (
            el.ifc_class == "IfcDoor"
            and any(w in f"{el.name} {el.type_name}".lower() for w in FIRE_DOOR_WORDS)
        ),
        "lift": lambda el: el.ifc_class == "IfcTransportElement",
    }
    kind_of = {"hydrant": "hydrant", "fire_door": "fire_door", "lift": "lift"}
    counts = {"public_areas": checked}
    for asset, test in tests.items():
        monitors = [d for d in data.devices if d.kind == kind_of[asset]]
        found = _bim_asset_points(scene, test)
        found = [f for f in found if shapely.contains_xy(data.area, f[1], f[2])]
        counts[f"{asset}s"] = len(found)
        checked += len(found)
        for el, x, y in found:
            reach = float(_params(kind_of[asset])["asset_reach_m"])
            if not any(math.hypot(d.x - x, d.y - y) <= reach for d in monitors):
                res.places.append(
                    Place(
                        f"{asset.replace('_', ' ')} without a monitor",
                        el.global_id,
                        el.name,
                        x,
                        y,
                        el.storey,
                    )
                )
    osm_hydrants = len(data.of_kind("hydrant"))
    counts["hydrant_monitors"] = osm_hydrants
    res.figures = counts
    if checked == 0:
        res.summary = (
            "the data has no indoor public areas, BIM hydrants, fire doors or lifts to check"
            f" ({osm_hydrants} hydrant monitors on the map)"
        )
        return res
    res.status = "fail" if res.places else "pass"
    res.summary = f"{checked} checked, {len(res.places)} without their monitor"
    return res


def _main_entrances(com: Community) -> list[Entrance]:
    mains = [e for e in com.entrances if getattr(e, "main", False)]
    return mains or [e for e in com.entrances if e.use in ("vehicle", "both")]


def rule_displays_barriers(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    res = RuleResult(
        8,
        "entrance_equipment",
        "A display per main entrance; a barrier per vehicle entrance",
        "主出入口信息发布屏; 车辆出入口道闸",
        "no data",
        "no entrances known",
    )
    com = data.community
    if not com.entrances:
        return res
    pd, pb = _params("info_display"), _params("barrier")
    displays, barriers = (
        data.of_kind("info_display", pd["reach_m"]),
        data.of_kind("barrier", pb["reach_m"]),
    )
    mains = _main_entrances(com)
    vehicle = [e for e in com.entrances if e.use in ("vehicle", "both")]
    for group, devs, reach, what in (
        (mains, displays, pd["reach_m"], "main entrance without an information display"),
        (vehicle, barriers, pb["reach_m"], "vehicle entrance without a barrier"),
    ):
        for e in group:
            if not any(math.hypot(d.x - e.x, d.y - e.y) <= reach for d in devs):
                res.places.append(Place(what, e.id, e.name, e.x, e.y, f"none within {reach:g} m"))
    res.figures = {
        "main_entrances": len(mains),
        "vehicle_entrances": len(vehicle),
        "displays": len(displays),
        "barriers": len(barriers),
        "missing": len(res.places),
    }
    res.status = "fail" if res.places else "pass"
    res.summary = (
        f"{len(mains)} main and {len(vehicle)} vehicle entrances; {len(res.places)} lack "
        "their display or barrier"
    )
    return res


def rule_manholes(data: CommunityData, layout: CameraLayout, out: Audit) -> RuleResult:
    reach = float(_params("manhole")["road_reach_m"])
    res = RuleResult(
        9,
        "smart_manholes",
        "Every manhole cover on main roads is a smart one",
        "主干道井盖均为智能井盖",
        "no data",
        "no main roads in the community",
    )
    if data.main.is_empty:
        return res
    covers = [
        d
        for d in data.of_kind("manhole")
        if shapely.distance(data.main, shapely.Point(d.x, d.y)) <= reach
    ]
    plain = [d for d in covers if d.props.get("smart") is False]
    for d in plain:
        res.places.append(Place("manhole cover not smart", d.id, d.name, d.x, d.y, d.source))
    res.figures = {"covers_on_main_roads": len(covers), "not_smart": len(plain)}
    res.status = "fail" if plain else "pass"
    res.summary = f"{len(covers)} covers on main roads, {len(plain)} not smart"
    return res


RULES: tuple[Callable[[CommunityData, CameraLayout, Audit], RuleResult], ...] = (
    rule_pole_spacing,
    rule_bins,
    rule_chargers,
    rule_entrances,
    rule_roads,
    rule_perimeter,
    rule_fire_and_lifts,
    rule_displays_barriers,
    rule_manholes,
)
"""The nine rules of the domain brief, in its order."""
