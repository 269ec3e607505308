"""What a planner does with a scene: audit its deployment rules, and write the findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.analysis.audit import Audit, audit_community
from twin.core.errors import InputError
from twin.scene.scene import Scene


def check_cell(cell: float) -> float:
    """The coverage grid's cell size, checked (before a scene is built for nothing)."""
    if not 0.25 <= cell <= 10:
        raise InputError("--cell", f"{cell:g} m is outside 0.25-10 m.", "Use e.g. 1.")
    return cell


def audit_scene(scene: Scene, cell: float = 1.0, layout: Any = None) -> Audit:
    """The nine deployment rules checked on ``scene``'s community, coverage on a grid of
    ``cell`` metres (or ``layout``'s, a planning session's); every failing place also gets its
    lon / lat."""
    check_cell(cell)
    if scene.community is None:
        raise InputError(scene.name, "has no community to audit.", "Add a [community] table.")
    result = audit_community(scene, scene.community, layout=layout, cell=cell)
    _locate(scene, [p for r in result.rules for p in r.places])
    return result


def _locate(scene: Scene, places: list[Any]) -> None:
    from twin.ingest.crs import FrameTransform

    if not places:
        return
    lon, lat = FrameTransform(scene.frame).to_lonlat([p.x for p in places], [p.y for p in places])
    for p, lo, la in zip(places, lon, lat, strict=True):
        p.lon, p.lat = round(float(lo), 7), round(float(la), 7)


GOALS = ("roads", "entrances", "perimeter", "all")
ENTRANCE_WEIGHT_M = 25.0
"""With ``--goal all``, an entrance brought to its level counts as this many metres of road."""


def suggest_cameras(
    scene: Scene,
    n: int,
    budget_from: str = "both",
    goal: str = "roads",
    cell: float = 1.0,
    layout: Any = None,
) -> tuple[list[Any], Any]:
    """``n`` new cameras for the most gain towards ``goal`` (greedy over candidate poses on
    poles and / or facades) added to ``layout`` (default: the scene's cameras; a planning
    session passes its edited one); returns the suggestions and the targets they were chosen
    for.

    - ``roads``: HD cameras, important road length brought to the road level;
    - ``entrances``: AI cameras, entrances brought to the entrance level (vehicles' fronts at
      1.0 m; the direction of travel is checked by the audit, not by the choice);
    - ``perimeter``: perimeter cameras along the boundary of an open community;
    - ``all``: HD cameras for roads, the perimeter and the entrances together (an entrance
      weighs :data:`ENTRANCE_WEIGHT_M` metres)."""
    from twin.analysis.audit import CommunityData
    from twin.analysis.camera_layout import CameraLayout
    from twin.analysis.placement import BUDGETS, candidate_poses, suggest, targets_along, targets_at
    from twin.scene.catalogue import CATALOGUE
    from twin.scene.standards import TARGET_HEIGHT_PEOPLE_M, TARGET_HEIGHT_VEHICLES_M

    if not 1 <= n <= 500:
        raise InputError("--cameras", f"{n} is outside 1-500.", "Ask for e.g. --cameras 10.")
    if goal not in GOALS:
        raise InputError("--goal", f"{goal!r} is not a goal.", f"Use one of {', '.join(GOALS)}.")
    if budget_from not in BUDGETS:
        raise InputError("--budget-from", f"{budget_from!r}.", f"Use one of {', '.join(BUDGETS)}.")
    if scene.community is None:
        raise InputError(scene.name, "has no community.", "Add a [community] table.")
    import shapely

    com = scene.community
    area = shapely.from_wkb(com.boundary_wkb)
    data = CommunityData(scene, com, scene.devices)
    p = CATALOGUE["camera"].rule_params
    if layout is None:
        layout = CameraLayout.of(scene, area, cell=cell)
    ring = shapely.boundary(area)
    roads = targets_along(
        [g for _, g in data.important_lines], int(p["road_level"]), TARGET_HEIGHT_PEOPLE_M
    )
    if goal == "roads":
        base, sub, targets = layout.maps["roads"], "hd", roads
    elif goal == "entrances":
        targets = targets_at(
            [(e.x, e.y) for e in com.entrances], int(p["entrance_level"]), TARGET_HEIGHT_VEHICLES_M
        )
        base, sub = layout.maps["entrance_vehicles"], "ai"
    elif goal == "perimeter":
        targets = targets_along([ring], int(p["perimeter_level"]), TARGET_HEIGHT_PEOPLE_M)
        base, sub = layout.maps["perimeter"], "perimeter"
    else:
        targets = roads + targets_along([ring], int(p["road_level"]), TARGET_HEIGHT_PEOPLE_M)
        if com.entrances:
            targets = targets + targets_at(
                [(e.x, e.y) for e in com.entrances],
                int(p["road_level"]),
                TARGET_HEIGHT_PEOPLE_M,
                ENTRANCE_WEIGHT_M,
            )
        base, sub = layout.maps["roads"], "hd"
    if not len(targets):
        raise InputError(
            scene.name,
            f"has nothing to cover for --goal {goal}.",
            "Check the community's roads, entrances and boundary (twin info).",
        )
    candidates = candidate_poses(scene, area, budget_from, sub)
    if not candidates:
        raise InputError(
            scene.name, f"offers no place for a camera ({budget_from}).", "Try --budget-from both."
        )
    return suggest(base, candidates, targets, n), targets


def write_suggestions(scene: Scene, suggestions: list[Any], path: str | Path) -> int:
    """The suggested cameras as a device list the scene can include (``.csv``, ``.xlsx``,
    ``.geojson``): id, kind, sub-kind, lon / lat, mount height, heading, tilt, field of view,
    resolution, and the gain of each; returns the rows written."""
    import pandas as pd

    from twin.ingest.crs import FrameTransform

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".xlsx", ".geojson", ".json"):
        raise InputError(path, "is not .csv, .xlsx or .geojson.", "Name it e.g. new_cameras.csv.")
    cams = [s.camera for s in suggestions]
    lon, lat = FrameTransform(scene.frame).to_lonlat([c.x for c in cams], [c.y for c in cams])
    rows = [
        {
            "id": f"new-camera-{s.rank:02d}",
            "kind": "camera",
            "subkind": s.camera.subkind,
            "name": f"suggested #{s.rank} ({s.camera.id})",
            "lon": round(float(lo), 8),
            "lat": round(float(la), 8),
            "height": round(s.camera.z, 2),
            "heading": round(s.camera.heading, 1),
            "tilt": round(s.camera.tilt, 1),
            "fov": round(s.camera.hfov, 1),
            "resolution": f"{s.camera.width_px}x{s.camera.height_px}",
            "gain_m": round(s.gain, 1),
            "cumulative_m": round(s.cumulative, 1),
        }
        for s, lo, la in zip(suggestions, lon, lat, strict=True)
    ]
    df = pd.DataFrame(rows)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if ext == ".csv":
            df.to_csv(path, index=False, encoding="utf-8-sig")
        elif ext == ".xlsx":
            df.to_excel(path, index=False)
        else:
            import geopandas as gpd

            gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)
            path.unlink(missing_ok=True)
            gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    except OSError as exc:
        raise InputError(path, f"cannot be written ({exc.strerror}).") from None
    return len(rows)


def write_audit_gpkg(scene: Scene, audit: Audit, path: str | Path) -> list[str]:
    """The audit's layers in a GeoPackage QGIS opens; returns the layer names."""
    from twin.analysis.coverage_gpkg import write_coverage_gpkg

    return write_coverage_gpkg(scene, audit, Path(path))


REPORT_CAMERAS_MAX = 500
"""``twin report --cameras``: at most this many suggestions."""


def check_report_dir(out_dir: str | Path) -> Path:
    """The directory a report goes to, made if need be; an InputError when it cannot be
    written (a file of that name, no permission, a read-only disk)."""
    import tempfile

    path = Path(out_dir)
    fix = "Use a directory you can write to, e.g. --out report/."
    if path.exists() and not path.is_dir():
        raise InputError(path, "is a file, not a directory.", fix)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise InputError(path, f"cannot be written ({exc.strerror or exc}).", fix) from None
    return path


def write_report(
    scene: Scene,
    out_dir: str | Path,
    lang: str | None = None,
    cameras: int = 5,
    cell: float = 1.0,
) -> dict[str, Any]:
    """The planners' report on ``scene``'s community in ``out_dir``: ``report.html`` (self-
    contained), ``report.pdf`` (the same page printed), ``coverage.gpkg`` (the audit's layers)
    and, with ``cameras`` > 0, ``suggestions.csv`` (that many new cameras for the important
    roads). ``lang`` is ``zh`` or ``en`` (default: from the locale). Returns the files written,
    the PDF's pages, the failing rules and stage timings (seconds)."""
    from datetime import datetime
    from importlib.metadata import PackageNotFoundError, version
    from time import perf_counter
    from zoneinfo import ZoneInfo

    import shapely

    from twin.analysis.covered import MIN_BLIND_SPOT_M2
    from twin.core.i18n import LANGS, default_lang
    from twin.ingest.crs import FrameTransform
    from twin.report.build import make_report
    from twin.report.model import BlindArea, ReportInput

    lang = lang or default_lang()
    if lang not in LANGS:
        raise InputError("--lang", f"{lang!r} is not a report language.", "Use zh or en.")
    if not 0 <= cameras <= REPORT_CAMERAS_MAX:
        raise InputError(
            "--cameras",
            f"{cameras} is outside 0-{REPORT_CAMERAS_MAX}.",
            "Use e.g. --cameras 5 (0: no suggestions).",
        )
    out = check_report_dir(out_dir)
    timings: dict[str, float] = {}
    t0 = perf_counter()
    audit = audit_scene(scene, cell)
    t1 = perf_counter()
    timings["audit"] = t1 - t0
    found: list[Any] = []
    note = None
    if cameras:
        try:
            found, _ = suggest_cameras(scene, cameras, cell=cell)
        except InputError as exc:  # nothing to cover, nowhere to mount: said in the report
            note = exc.message
    t2 = perf_counter()
    timings["suggest"] = t2 - t1
    files = {"coverage.gpkg": str(out / "coverage.gpkg")}
    write_audit_gpkg(scene, audit, out / "coverage.gpkg")
    csv = out / "suggestions.csv"
    if found:
        write_suggestions(scene, found, csv)
        files["suggestions.csv"] = str(csv)
    else:
        csv.unlink(missing_ok=True)  # an earlier run's would no longer match this report
    timings["gpkg_csv"] = perf_counter() - t2
    area = shapely.from_wkb(audit.community.boundary_wkb)
    rings = []
    for poly in shapely.get_parts(area):
        if poly.geom_type == "Polygon":
            for r in [poly.exterior, *poly.interiors]:
                rings.append([(float(x), float(y)) for x, y in r.coords])
    cmap = audit.layout.maps["all"]
    gx, gy = cmap.grid.centres()
    inside = shapely.contains_xy(area, gx, gy)
    spots = [
        BlindArea(
            [[(float(x), float(y)) for x, y in r.coords] for r in [p.exterior, *p.interiors]],
            float(b.area_m2),
        )
        for b in audit.blind
        for p in shapely.get_parts(b.polygon)
    ]
    lonlat: list[tuple[float, float]] = []
    if found:
        cams = [s.camera for s in found]
        lon, lat = FrameTransform(scene.frame).to_lonlat([c.x for c in cams], [c.y for c in cams])
        lonlat = [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    tz = ZoneInfo(scene.spec.timezone) if scene.spec.timezone else None
    try:
        twin_version = version("community-twin")
    except PackageNotFoundError:
        twin_version = "unknown"
    inp = ReportInput(
        scene=scene,
        audit=audit,
        lang=lang,
        cell=cell,
        generated=datetime.now(tz) if tz else datetime.now().astimezone(),
        version=twin_version,
        boundary=rings,
        inside=inside,
        blind_spots=spots,
        min_blind_m2=MIN_BLIND_SPOT_M2,
        suggestions=found,
        suggestion_lonlat=lonlat,
        suggest_note=note,
    )
    made = make_report(inp, out)
    timings.update(made["timings"])
    timings["total"] = perf_counter() - t0
    return {
        "dir": str(out),
        "files": {"report.html": made["html"], "report.pdf": made["pdf"], **files},
        "pages": made["pages"],
        "lang": lang,
        "failed": [r.key for r in audit.failed],
        "suggestions": len(found),
        "timings": timings,
    }
