"""IFC models in the scene: each placed (:mod:`twin.ingest.placement`), set aside when its own
georeference puts it far from the GIS data, not drawn when it comes out wider than any building,
replacing the GIS footprints it covers, with its elements, spaces and devices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from twin.core.errors import InputError
from twin.ingest import georef
from twin.ingest.crs import FrameTransform
from twin.ingest.devices import DeviceFeature
from twin.ingest.ifcmodel import IfcModelData
from twin.ingest.placement import Placement, beside, origin_lonlat, place
from twin.scene.entities import BimElement, Building, Mesh, Space, Warning
from twin.scene.scene import Scene
from twin.scene.scenefile import IfcSpec

__all__ = ["add_models", "origin_lonlat", "place"]

FAR_KM = 5.0
"""A model its own georeference puts farther than this from the GIS data is set aside."""
ABSURD_KM = 5.0
"""A model wider than this once placed is no building (units or Scale wrong): not drawn."""
REPLACE_SHARE = 0.5
"""A BIM building replaces a GIS footprint overlapping more than this share of its own."""
HOW_TO_PLACE = "place it by hand: --ifc PATH@LON,LAT[,ROT] or lon / lat / rotation in [[ifc]]"


def _placed_wkb(wkb: bytes, placement: Placement) -> shapely.Geometry:
    g = shapely.from_wkb(wkb)
    c = shapely.get_coordinates(g)
    if not len(c):
        return g
    x, y = placement.to_local(c[:, 0], c[:, 1])
    return shapely.make_valid(shapely.set_coordinates(g, np.column_stack([x, y])))


def _by(pl: Placement) -> str:
    return {"scene": "the scene file", "none": "nothing"}.get(pl.method, f"its {pl.source}")


def _absurd(data: IfcModelData, pl: Placement, extent_m: float) -> Warning:
    mc = data.map_conversion or {}
    if pl.method == "map_conversion":
        cause = (
            f"its units or its {pl.source} Scale are likely wrong (project "
            f"{mc.get('project_unit')}, map {mc.get('map_unit') or mc.get('project_unit')}, "
            f"Scale {pl.scale:g})"
        )
    else:
        cause = f"its length unit ({data.length_unit}) is likely wrong"
    fix = "fix the units / Scale in the design tool's IFC export"
    return Warning(
        data.file,
        "placement",
        f"placed by {_by(pl)}, the model is {extent_m / 1000:,.1f} km across, which no "
        f"building is: {cause}",
        f"not drawn and its devices not placed; {fix}"
        + ("" if pl.method == "scene" else f", or {HOW_TO_PLACE}"),
    )


def _nothing_else(skipped: list[tuple[IfcSpec, Placement, float]]) -> InputError:
    spec, pl, extent = skipped[0]
    fix = (
        "Check the length unit of the model in the design tool's IFC export."
        if pl.method == "scene"
        else "Check the length unit and the map conversion's Scale / MapUnit in the design tool's "
        "IFC export, or place it by hand: --ifc PATH@LON,LAT[,ROT] or lon / lat in [[ifc]]."
    )
    more = f" (and {len(skipped) - 1} more model(s) like it)" if len(skipped) > 1 else ""
    return InputError(
        spec.path,
        f"is {extent / 1000:,.1f} km across when placed by {_by(pl)}"
        f"{more}, which no building is (its units or Scale are likely wrong), "
        "and the scene has nothing else to show.",
        fix,
    )


def _summary(data: IfcModelData, pl: Placement, extent: float) -> dict[str, Any]:
    """The model's entry in ``Scene.bim_models`` (``twin info``)."""
    return {
        "file": data.file,
        "schema": data.schema,
        "placement": pl.method,
        "map_conversion_source": pl.source if pl.method == "map_conversion" else None,
        "lon": round(pl.lon, 9),
        "lat": round(pl.lat, 9),
        "rotation": None if pl.rotation is None else round(pl.rotation, 3),
        "elevation": pl.dz,
        "elements": len(data.elements),
        "classes": data.class_counts(),
        "spaces": len(data.spaces),
        "devices": len(data.devices),
        "unknown_devices": data.unknown_devices,
        "failed": [f["global_id"] for f in data.failed],
        "replaced": [],
        "set_aside": False,
        "skipped": False,
        "extent_m": round(extent, 2),
    }


def _devices_xy(data: IfcModelData, pl: Placement) -> list[tuple[np.ndarray, np.ndarray]]:
    return [pl.to_local(np.array([d["x"]]), np.array([d["y"]])) for d in data.devices]


def _near_gis(
    data: IfcModelData,
    pl: Placement,
    foot: shapely.Geometry,
    gis_area: shapely.Geometry | None,
    warnings: list[Warning],
) -> tuple[Placement, shapely.Geometry, bool]:
    """The placement, set aside beside the GIS data when the model's own georeference puts it
    far away; warns about a design tool's default location either way."""
    default = None
    if pl.method in ("site", "map_conversion"):
        default = georef.known_default(pl.lon, pl.lat)
    if gis_area is not None and not foot.is_empty and pl.method != "scene":
        d_km = shapely.distance(gis_area, foot) / 1000
        if d_km > FAR_KM:
            # Kept thousands of km away it would wreck the view (and float precision): set it
            # beside the GIS data, where it is seen and overlaps nothing, until placed by hand
            pl, foot = beside(pl, foot, gis_area)
            at = (
                f", at {default}: design tools put a model there when its site was never set"
                if default
                else "; design tools often leave a default site address there"
            )
            warnings.append(
                Warning(
                    data.file,
                    "placement",
                    f"its {pl.source} puts the model {d_km:,.0f} km from the GIS data{at}",
                    f"set aside beside the scene; {HOW_TO_PLACE}",
                )
            )
            return pl, foot, True
    if default:
        warnings.append(
            Warning(
                data.file,
                "placement",
                f"its {pl.source} is at {default}: design tools put a model there "
                "when its site was never set",
                f"placed there; {HOW_TO_PLACE}",
            )
        )
    return pl, foot, False


def add_models(
    scene: Scene,
    models: list[tuple[IfcModelData, IfcSpec]],
    ft: FrameTransform,
    warnings: list[Warning],
) -> list[dict[str, Any]]:
    """Place every model in ``scene``; returns the device records of all models.

    Raises :class:`InputError` when every model is too large to be a building and the scene
    has nothing else to show.
    """
    gis_area = _gis_extent(scene)
    alone = gis_area is None and not scene.buildings and not scene.spec.devices
    parts: list[tuple[np.ndarray, np.ndarray, int]] = []
    entities: list[np.ndarray] = []  # each face's index in scene.bim_elements
    colours: list[np.ndarray] = []
    device_feats: list[DeviceFeature] = []
    drop: set[int] = set()
    skipped: list[tuple[IfcSpec, Placement, float]] = []
    for mi, (data, spec) in enumerate(models):
        pl = place(data, spec, ft, warnings)
        extent = _extent(pl.points_xy, _devices_xy(data, pl))
        info = _summary(data, pl, extent)
        _file_warnings(data, warnings)
        if extent > ABSURD_KM * 1000:
            warnings.append(_absurd(data, pl, extent))
            skipped.append((spec, pl, extent))
            scene.bim_models.append({**info, "skipped": True})
            continue
        foot = _placed_wkb(data.footprint_wkb, pl) if data.footprint_wkb else shapely.Polygon()
        pl, foot, set_aside = _near_gis(data, pl, foot, gis_area, warnings)
        replaced: list[str] = []
        if not foot.is_empty and foot.area > 0 and not set_aside:
            replaced = _replace(scene, foot, drop)
        first = len(scene.bim_elements)
        for e in data.elements:
            scene.bim_elements.append(
                BimElement(
                    e["global_id"], e["ifc_class"], e["name"], e["storey"], e["type_name"], mi
                )
            )
        if len(data.faces) and pl.points_xy is not None:
            pts = np.column_stack([pl.points_xy, data.points[:, 2] + pl.dz])
            parts.append((pts, data.faces, 0))
            entities.append(data.face_element + first)
            colours.append(data.face_rgb)
        for s in data.spaces:
            scene.spaces.append(
                Space(
                    s["global_id"],
                    s["name"],
                    s["storey"],
                    mi,
                    shapely.to_wkb(_placed_wkb(s["footprint_wkb"], pl)),
                )
            )
        for d, (x, y) in zip(data.devices, _devices_xy(data, pl), strict=True):
            props = {
                "mount_height": 0.0,
                "heading": 0.0,
                "global_id": d["global_id"],
                "ifc_class": d["ifc_class"],
                "storey": d["storey"],
                "ifc_file": data.file,
                "predefined_type": d["predefined_type"],
            }
            device_feats.append(
                DeviceFeature(
                    "ifc",
                    f"ifc-{d['global_id']}",
                    d["kind"],
                    float(x[0]),
                    float(y[0]),
                    d["z"] + pl.dz,
                    props=props,
                    name=str(d["name"] or ""),
                    listed=True,
                )
            )
        zr = data.points[:, 2] if len(data.points) else np.zeros(1)
        height = round(float(zr.max() - min(zr.min(), 0.0)) + pl.dz, 2)
        scene.buildings.append(
            Building(
                f"ifc-{spec.path.stem}",
                data.file,
                height,
                "geometry",
                f"IFC {data.schema}",
                footprint_wkb=shapely.to_wkb(foot) if not foot.is_empty else b"",
            )
        )
        scene.bim_models.append({**info, "replaced": replaced, "set_aside": set_aside})
    if skipped and len(skipped) == len(models) and alone:
        raise _nothing_else(skipped)
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


def _extent(points_xy: np.ndarray | None, dev_xy: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The larger horizontal side of what a placed model covers, metres."""
    pts = [points_xy] if points_xy is not None and len(points_xy) else []
    if dev_xy:
        pts.append(np.array([[float(x[0]), float(y[0])] for x, y in dev_xy]))
    if not pts:
        return 0.0
    allp = np.concatenate(pts)
    return float(np.ptp(allp, axis=0).max())


def _replace(scene: Scene, foot: shapely.Geometry, drop: set[int]) -> list[str]:
    """Ids of the GIS buildings ``foot`` covers (added to ``drop``)."""
    replaced = []
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
    return replaced


def _file_warnings(data: IfcModelData, warnings: list[Warning]) -> None:
    for f in data.failed:
        warnings.append(
            Warning(
                data.file,
                f"{f['ifc_class']} {f['global_id']} {f['name']}".strip(),
                "failed to tessellate",
                "skipped (the rest of the model is kept)",
            )
        )
    for cls, n in data.unknown_devices.items():
        warnings.append(
            Warning(
                data.file,
                f"{n} {cls}",
                "device-like element with no catalogue kind",
                "counted, not placed",
            )
        )


def _gis_extent(scene: Scene) -> shapely.Geometry | None:
    pts = [m.points[:, :2] for k, m in scene.meshes.items() if k != "bim" and len(m.points)]
    if not pts:
        return None
    allp = np.concatenate(pts)
    return shapely.box(*allp.min(axis=0), *allp.max(axis=0))
