"""IFC models in the scene: placement (scene placement > IfcMapConversion > IfcSite > none),
replacing the GIS footprints a model covers, and its elements, spaces and devices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from pyproj import Geod

from twin.core.errors import InputError
from twin.ingest.crs import FrameTransform, parse_crs
from twin.ingest.ifc import IfcModelData
from twin.scene.entities import BimElement, Building, Mesh, Space, Warning
from twin.scene.scene import Scene
from twin.scene.scenefile import IfcSpec

GEOD = Geod(ellps="WGS84")
FAR_KM = 5.0
REPLACE_SHARE = 0.5
"""A BIM building replaces a GIS footprint overlapping more than this share of its own."""

ToLocal = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Placement:
    method: str  # scene / map_conversion / site / none
    to_local: ToLocal  # model (x, y) metres -> scene local (x, y)
    dz: float
    lon: float
    lat: float
    rotation: float | None  # degrees clockwise from north of the model's +Y, where known


def _geodesic(lon0: float, lat0: float, rotation: float, ft: FrameTransform) -> ToLocal:
    """Model metres -> local: rotate by ``rotation`` clockwise, walk the geodesic from (lon0, lat0)."""
    r = math.radians(rotation)

    def to_local(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        e = x * math.cos(r) + y * math.sin(r)
        n = -x * math.sin(r) + y * math.cos(r)
        az = np.degrees(np.arctan2(e, n))
        dist = np.hypot(e, n)
        lon, lat, _ = GEOD.fwd(np.full(e.shape, lon0), np.full(e.shape, lat0), az, dist)
        return ft.to_local(lon, lat)

    return to_local


def origin_lonlat(data: IfcModelData, spec: IfcSpec) -> tuple[float, float] | None:
    """Where the model's origin is on earth by its placement priority, or None."""
    if spec.placed:
        return float(spec.lon), float(spec.lat)  # type: ignore[arg-type]
    if data.map_conversion:
        try:
            crs = parse_crs(data.map_conversion["crs"], data.file)
            from pyproj import Transformer

            a = np.asarray(data.map_conversion["affine"])
            lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(a[0, 2], a[1, 2])
            if math.isfinite(lon) and math.isfinite(lat):
                return float(lon), float(lat)
        except InputError:
            pass
    if data.site:
        return data.site["lon"], data.site["lat"]
    return None


def place(data: IfcModelData, spec: IfcSpec, ft: FrameTransform, warnings: list[Warning]) -> Placement:
    if spec.placed:
        return Placement("scene", _geodesic(spec.lon, spec.lat, spec.rotation, ft), spec.elevation,  # type: ignore[arg-type]
                         float(spec.lon), float(spec.lat), spec.rotation)  # type: ignore[arg-type]
    if data.map_conversion:
        try:
            crs = parse_crs(data.map_conversion["crs"], data.file)
            a = np.asarray(data.map_conversion["affine"], dtype=float)
            t = ft.from_crs(crs)
            ox, oy = ft.frame.origin_x, ft.frame.origin_y

            def to_local(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
                e = a[0, 0] * x + a[0, 1] * y + a[0, 2]
                n = a[1, 0] * x + a[1, 1] * y + a[1, 2]
                px, py = t.transform(e, n)
                return np.asarray(px) - ox, np.asarray(py) - oy

            lonlat = origin_lonlat(data, IfcSpec(spec.path)) or (ft.frame.origin_lon, ft.frame.origin_lat)
            rot = math.degrees(math.atan2(a[1, 0], a[0, 0]))  # x axis angle, anticlockwise from east
            return Placement("map_conversion", to_local, 0.0, lonlat[0], lonlat[1], -rot)
        except InputError as exc:
            warnings.append(Warning(data.file, "IfcMapConversion", f"target CRS unusable ({exc.problem})",
                                    "ignored"))
    if data.site:
        s = data.site
        return Placement("site", _geodesic(s["lon"], s["lat"], s["true_north"], ft), 0.0, s["lon"], s["lat"],
                         s["true_north"])
    warnings.append(Warning(data.file, "georeference", "the model has no IfcMapConversion and no IfcSite "
                            "latitude / longitude", "placed at the scene origin; place it with lon / lat in [[ifc]]"))

    def at_origin(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    return Placement("none", at_origin, 0.0, ft.frame.origin_lon, ft.frame.origin_lat, None)


def _set_aside(pl: Placement, foot: shapely.Geometry, gis_area: shapely.Geometry) -> tuple[Placement, shapely.Geometry]:
    """The same placement shifted to just east of the GIS data's extent."""
    fx0, fy0, fx1, fy1 = foot.bounds
    gx0, gy0, gx1, gy1 = gis_area.bounds
    dx = gx1 + 50.0 - fx0
    dy = (gy0 + gy1) / 2 - (fy0 + fy1) / 2
    inner = pl.to_local

    def shifted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lx, ly = inner(x, y)
        return lx + dx, ly + dy

    return (Placement(pl.method, shifted, pl.dz, pl.lon, pl.lat, pl.rotation),
            shapely.affinity.translate(foot, dx, dy))


def _placed_wkb(wkb: bytes, placement: Placement) -> shapely.Geometry:
    g = shapely.from_wkb(wkb)
    c = shapely.get_coordinates(g)
    if not len(c):
        return g
    x, y = placement.to_local(c[:, 0], c[:, 1])
    return shapely.make_valid(shapely.set_coordinates(g, np.column_stack([x, y])))


def add_models(scene: Scene, models: list[tuple[IfcModelData, IfcSpec]], ft: FrameTransform,
               warnings: list[Warning]) -> list[dict[str, Any]]:
    """Place every model in ``scene``; returns the device records of all models."""
    gis_area = _gis_extent(scene)
    parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    entities: list[np.ndarray] = []  # each face's index in scene.bim_elements
    colours: list[np.ndarray] = []
    device_feats: list[dict[str, Any]] = []
    drop: set[int] = set()
    for mi, (data, spec) in enumerate(models):
        pl = place(data, spec, ft, warnings)
        foot = _placed_wkb(data.footprint_wkb, pl) if data.footprint_wkb else shapely.Polygon()
        replaced: list[str] = []
        set_aside = False
        if gis_area is not None and not foot.is_empty and pl.method != "scene":
            d_km = shapely.distance(gis_area, foot) / 1000
            if d_km > FAR_KM:
                # Kept thousands of km away it would wreck the view (and float precision): set it
                # beside the GIS data, where it is seen and overlaps nothing, until placed by hand
                pl, foot = _set_aside(pl, foot, gis_area)
                set_aside = True
                where = "IfcMapConversion" if pl.method == "map_conversion" else "IfcSite"
                warnings.append(Warning(
                    data.file, "placement",
                    f"its {where} puts the model {d_km:,.0f} km from the GIS data; design tools often leave a "
                    "default site address there",
                    "set aside beside the scene; place it by hand: --ifc PATH@LON,LAT[,ROT] or lon / lat / "
                    "rotation in [[ifc]]"))
        if not foot.is_empty and foot.area > 0 and not set_aside:
            shapely.prepare(foot)
            for bi, b in enumerate(scene.buildings):
                if bi in drop or not b.footprint_wkb or b.source.startswith("IFC"):
                    continue
                g = shapely.from_wkb(b.footprint_wkb)
                if not shapely.intersects(foot, g):
                    continue
                if shapely.area(shapely.intersection(foot, g)) > REPLACE_SHARE * foot.area:
                    drop.add(bi)
                    replaced.append(b.id)
        first = len(scene.bim_elements)
        for e in data.elements:
            scene.bim_elements.append(BimElement(e["global_id"], e["ifc_class"], e["name"], e["storey"],
                                                 e["type_name"], mi))
        if len(data.faces):
            x, y = pl.to_local(data.points[:, 0], data.points[:, 1])
            pts = np.column_stack([x, y, data.points[:, 2] + pl.dz])
            parts.append((pts, data.faces, 0))
            entities.append(data.face_element + first)
            colours.append(data.face_rgb)
        for s in data.spaces:
            scene.spaces.append(Space(s["global_id"], s["name"], s["storey"], mi,
                                      shapely.to_wkb(_placed_wkb(s["footprint_wkb"], pl))))
        for d in data.devices:
            x, y = pl.to_local(np.array([d["x"]]), np.array([d["y"]]))
            device_feats.append({
                "source": "ifc", "fid": f"ifc-{d['global_id']}", "kind": d["kind"], "listed": True,
                "props": {"mount_height": 0.0, "heading": 0.0, "global_id": d["global_id"], "ifc_class": d["ifc_class"],
                          "storey": d["storey"], "ifc_file": data.file, "predefined_type": d["predefined_type"]},
                "tags": {"name": d["name"]}, "x": float(x[0]), "y": float(y[0]), "z": d["z"] + pl.dz,
            })
        zr = data.points[:, 2] if len(data.points) else np.zeros(1)
        scene.buildings.append(Building(
            f"ifc-{spec.path.stem}", data.file, round(float(zr.max() - min(zr.min(), 0.0)) + pl.dz, 2), "geometry",
            f"IFC {data.schema}", footprint_wkb=shapely.to_wkb(foot) if not foot.is_empty else b"",
        ))
        scene.bim_models.append({
            "file": data.file, "schema": data.schema, "placement": pl.method,
            "lon": round(pl.lon, 9), "lat": round(pl.lat, 9),
            "rotation": None if pl.rotation is None else round(pl.rotation, 3), "elevation": pl.dz,
            "elements": len(data.elements), "classes": data.class_counts(), "spaces": len(data.spaces),
            "devices": len(data.devices), "unknown_devices": data.unknown_devices,
            "failed": [f["global_id"] for f in data.failed], "replaced": replaced, "set_aside": set_aside,
        })
        for f in data.failed:
            warnings.append(Warning(data.file, f"{f['ifc_class']} {f['global_id']} {f['name']}".strip(),
                                    "failed to tessellate", "skipped (the rest of the model is kept)"))
        for cls, n in data.unknown_devices.items():
            warnings.append(Warning(data.file, f"{n} {cls}", "device-like element with no catalogue kind",
                                    "counted, not placed"))
    if drop:
        if "building" in scene.meshes:
            scene.meshes["building"] = scene.meshes["building"].without(drop, len(scene.buildings))
        scene.buildings = [b for i, b in enumerate(scene.buildings) if i not in drop]
    if parts:
        mesh = Mesh.merge(parts)
        mesh.entity = np.concatenate(entities)
        scene.meshes["bim"] = mesh
        scene.bim_colours = np.concatenate(colours).astype(np.uint8)
    return device_feats


def _gis_extent(scene: Scene) -> shapely.Geometry | None:
    pts = [m.points[:, :2] for k, m in scene.meshes.items() if k != "bim" and len(m.points)]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return shapely.box(*allp.min(axis=0), *allp.max(axis=0))
