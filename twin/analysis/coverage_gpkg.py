"""The audit and the coverage behind it as a GeoPackage for QGIS: cameras, footprints by DORI
level, blind spots, uncovered road stretches, entrances, the places that fail a rule and the
boundary; each layer in the scene's CRS and again in WGS84 (``<layer>_wgs84``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from twin.analysis.audit import Audit
from twin.analysis.camera_layout import jobs_of
from twin.analysis.covered import blind_spots, cells_to_polygons
from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.scene.standards import DORI_LEVELS


def write_coverage_gpkg(scene: Scene, audit: Audit, path: Path) -> list[str]:
    """Write the layers to ``path`` (replaced); returns their names."""
    ox, oy = scene.frame.origin_x, scene.frame.origin_y
    area = shapely.from_wkb(audit.community.boundary_wkb)
    layout = audit.layout
    layers: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
    cams = layout.cameras.values()
    layers["cameras"] = (
        [shapely.Point(c.x, c.y) for c in cams],
        [
            {
                "id": c.id,
                "subkind": c.subkind,
                "height_m": round(c.z, 2),
                "heading": round(c.heading, 1),
                "tilt": round(c.tilt, 1),
                "hfov": round(c.hfov, 1),
                "resolution": f"{c.width_px}x{c.height_px}",
                "jobs": " ".join(jobs_of(c)),
                "synthetic": c.synthetic,
            }
            for c in cams
        ],
    )
    cmap = layout.maps["all"]
    geoms, rows = [], []
    for k, level in enumerate(DORI_LEVELS[1:], start=1):
        poly = cells_to_polygons(cmap.best >= k, cmap.grid)
        if poly is not None:
            geoms.append(shapely.intersection(poly, area))
            rows.append({"level": level, "rank": k, "area_m2": round(float(geoms[-1].area), 1)})
    layers["footprints"] = (geoms, rows)
    spots = blind_spots(cmap, area)
    layers["blind_spots"] = (
        [s.polygon for s in spots],
        [{"area_m2": round(s.area_m2, 1)} for s in spots],
    )
    geoms, rows = [], []
    for lc in audit.roads:
        for g in lc.gaps:
            if g.line is not None and not g.line.is_empty:
                geoms.append(g.line)
                rows.append(
                    {
                        "road_id": lc.id,
                        "road": lc.name,
                        "length_m": round(g.length_m, 1),
                        "best_level": DORI_LEVELS[g.best],
                        "required": lc.required,
                    }
                )
    layers["uncovered_roads"] = (geoms, rows)
    ents = audit.entrances or [
        {"id": e.id, "name": e.name, "use": e.use, "x": e.x, "y": e.y, "ok": None, "cameras": []}
        for e in audit.community.entrances
    ]
    layers["entrances"] = (
        [shapely.Point(e["x"], e["y"]) for e in ents],
        [
            {
                "id": e["id"],
                "name": e["name"],
                "use": e["use"],
                "seen": e.get("ok"),
                "cameras": " ".join(f"{c['id']}:{c['level']}" for c in e.get("cameras", [])),
            }
            for e in ents
        ],
    )
    fails = [(r, p) for r in audit.rules for p in r.places]
    layers["audit_failures"] = (
        [shapely.Point(p.x, p.y) for _, p in fails],
        [
            {
                "rule": r.rule,
                "key": r.key,
                "what": p.what,
                "id": p.id,
                "name": p.name,
                "note": p.note,
                "length_m": p.length_m,
            }
            for r, p in fails
        ],
    )
    layers["boundary"] = ([area], [{"closed": audit.community.closed}])
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot be written ({exc.strerror}).") from None
    names = []
    for name, (geoms, rows) in layers.items():
        shifted = [shapely.transform(g, lambda c: c + np.array([ox, oy])) for g in geoms]
        gdf = gpd.GeoDataFrame(rows, geometry=shifted, crs=scene.frame.crs)
        if gdf.empty:
            gdf = gpd.GeoDataFrame({"none": []}, geometry=[], crs=scene.frame.crs)
        for layer, frame in ((name, gdf), (f"{name}_wgs84", gdf.to_crs(4326))):
            try:
                frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
            except Exception as exc:  # noqa: BLE001 - a full disk or a locked file, told plainly
                raise InputError(path, f"cannot be written ({exc}).") from None
            names.append(layer)
    return names
