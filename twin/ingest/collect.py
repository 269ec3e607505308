"""Classified features become the scene's entities: building footprints extruded (CityJSON
solids as they are), ground surfaces and road ribbons flattened into one merged mesh per kind,
devices gathered as typed features for ``twin.ingest.devices``; every feature is linked in the
ledger to what it became, or skipped there with the reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import trimesh
from pyproj import CRS
from pyproj.exceptions import ProjError
from shapely import STRtree

from twin.core.errors import InputError
from twin.ingest.cityjson import CityModel, building_height
from twin.ingest.crs import FrameTransform
from twin.ingest.devicelist import DeviceRows
from twin.ingest.devices import DeviceFeature
from twin.ingest.heights import check_plausible
from twin.ingest.ledger import FeatureLedger
from twin.ingest.meshing import extrude, flat
from twin.ingest.sources import Layer
from twin.ingest.tags import (
    DEFAULT_BUILDING_HEIGHT,
    MAX_BUILDING_HEIGHT,
    METRES_PER_LEVEL,
    devices_from_tags,
    entrance_tag,
    is_building,
    is_building_part,
    kind_of,
    main_tag,
    not_drawn_reason,
    parse_number,
    road_class,
    road_width,
    surface_kind,
)
from twin.ingest.tags import (
    building_height as tag_height,
)
from twin.scene.catalogue import (
    resolve_kind,
)
from twin.scene.entities import Building, Mesh, Surface, Warning
from twin.scene.scene import Scene

SURFACE_Z = {"ground": 0.02, "water": 0.04, "green": 0.06, "parking_lot": 0.08}
ROAD_Z = {"path": 0.10, "minor": 0.13, "main": 0.16}
MESH_TOLERANCE_M = 0.2
"""Drawn meshes are simplified by this much (invisible at wall distances, about a third fewer
triangles: software GL is triangle-bound); footprints and centrelines keep full precision."""
OUTSIDE_MARGIN_M = 500.0
"""Devices from device lists farther than this outside the GIS data are not in the scene."""


def to_local(gdf: gpd.GeoDataFrame, crs: CRS, ft: FrameTransform) -> gpd.GeoDataFrame:
    """``gdf`` in local metres; a ``finite`` column says which features survived the
    reprojection (PROJ gives inf outside a CRS's area of use)."""
    try:
        g = gdf.set_crs(crs, allow_override=True).to_crs(ft.crs)
    except ProjError as exc:
        raise InputError(crs.name, f"cannot be reprojected to the scene frame ({exc}).") from None
    ox, oy = ft.frame.origin_x, ft.frame.origin_y
    g["geometry"] = shapely.transform(g.geometry.values, lambda c: c - np.array([ox, oy]))
    with np.errstate(invalid="ignore"):
        g["finite"] = (
            np.isfinite(shapely.bounds(g.geometry.values)).all(axis=1)
            | g.geometry.isna().to_numpy()
        )
    return g


@dataclass
class EntranceNode:
    """A point feature tagged as an entrance or gate, as the collector saw it (local metres)."""

    source: str
    fid: str
    label: str
    """The tag that makes it one (``barrier=gate``, ``entrance=main``)."""
    name: str
    x: float
    y: float
    use: str | None
    """``vehicle`` / ``pedestrian`` when its tags say; None when they do not."""


@dataclass(eq=False)
class Footprint:
    """A building (or building part) outline from a GIS layer, waiting for its height and parts.
    Compared by identity: a part that is also a building is the same record in both lists."""

    source: str
    fid: str
    tags: dict[str, Any]
    geom: shapely.Geometry  # polygonal, local metres
    ref: int  # its feature in the ledger
    z: float | None  # height of a 3D footprint, metres; None for flat ones


@dataclass
class CitySolid:
    """A CityJSON building: its solid in local metres, outward-facing, and its ledger feature."""

    building: Building
    points: np.ndarray
    faces: np.ndarray
    ref: int


class Collector:
    """Turns classified features into entities and merged meshes; every feature ends up linked to
    its entities in the ledger, or skipped there with the reason."""

    def __init__(
        self,
        scene: Scene,
        ft: FrameTransform,
        area: shapely.Geometry | None,
        warnings: list[Warning],
        ledger: FeatureLedger,
    ) -> None:
        self.scene, self.ft, self.area, self.warnings, self.ledger = (
            scene,
            ft,
            area,
            warnings,
            ledger,
        )
        if area is not None:
            shapely.prepare(area)
        self.outlines: list[Footprint] = []
        self.parts: list[Footprint] = []
        self.city: list[CitySolid] = []
        self.surface_geoms: dict[str, list[tuple[Surface, shapely.Geometry]]] = {
            k: [] for k in scene.surfaces
        }
        self.device_feats: list[DeviceFeature] = []
        self.road_lines: list[tuple[shapely.LineString, float, str]] = []
        self.entrance_nodes: list[EntranceNode] = []
        """Points tagged as entrances or gates (wherever they are: the community's entrances
        are chosen from them), besides whatever else they are drawn as."""
        self.attr_heights: dict[str, list[float]] = {}
        self._z_to_m = 1.0

    # -- features ------------------------------------------------------------------------
    def add_layer(self, layer: Layer) -> None:
        g = to_local(layer.frame, layer.crs, self.ft)
        self._z_to_m = layer.z_to_m
        notes = g["note"] if "note" in g else [None] * len(g)
        not_kinds: Counter[str] = Counter()
        for fid, tags, geom, finite, note in zip(
            g["fid"], g["tags"], g.geometry.values, g["finite"], notes, strict=True
        ):
            ref = self.ledger.feature(layer.name, str(fid))
            if note:
                self.ledger.note(ref, note)
            if geom is None or geom.is_empty:
                self.ledger.skip(ref, "has no geometry")
                continue
            if not finite:
                self.ledger.skip(
                    ref,
                    "its coordinates cannot be reprojected into the scene frame (outside its CRS's "
                    "area of use?)",
                )
                continue
            if geom.geom_type == "Point" and (et := entrance_tag(tags)) is not None:
                self.entrance_nodes.append(
                    EntranceNode(
                        layer.name,
                        str(fid),
                        et[0],
                        str(tags.get("name") or ""),
                        float(geom.x),
                        float(geom.y),
                        et[1],
                    )
                )
            if layer.hint and not _any_known(tags):
                raw = tags.get("kind")
                if raw in (None, ""):
                    tags = {**tags, "kind": layer.hint}
                elif kind_of(tags) is None and resolve_kind(str(raw)) is None:
                    not_kinds[str(raw)] += (
                        1  # a value such as 商业 in a buildings layer: the layer's kind holds
                    )
                    tags = {**tags, "kind": layer.hint}
            if not self._add_feature(layer.name, str(fid), tags, geom, ref):
                self.ledger.skip(
                    ref,
                    not_drawn_reason(tags, geom.geom_type),
                    "ignored",
                    group=True,
                    detail=main_tag(tags),
                )
        if not_kinds:
            values = ", ".join(f"{v!r} {n}" for v, n in not_kinds.most_common(8))
            self.warnings.append(
                Warning(
                    layer.name,
                    "kind",
                    f"values that are not kinds ({values}): read as "
                    f"{layer.hint}, the kind its name says",
                    "read",
                )
            )

    def _inside(self, geom: shapely.Geometry) -> bool:
        if self.area is None:
            return True
        return bool(shapely.intersects(self.area, geom))

    def _outside(self, ref: int) -> bool:
        self.ledger.skip(ref, "outside the clip area", "ignored", group=True)
        return True

    def _add_feature(
        self, source: str, fid: str, tags: dict[str, Any], geom: shapely.Geometry, ref: int
    ) -> bool:
        """Classify one feature; False when it is of no kind the scene draws."""
        gtype = geom.geom_type
        # Devices are points (or areas, at their centre); a line tagged manhole=* is a pipe. A kind
        # word that names an entity (parking -> parking lot) wins over a device of the same name.
        devs = [] if "LineString" in gtype else devices_from_tags(tags)
        word = str(tags.get("kind", ""))
        if (
            not devs
            and "LineString" not in gtype
            and kind_of(tags) is None
            and (k := resolve_kind(word)) is not None
        ):
            devs = [(k, {})]
        if devs:
            p = geom if gtype == "Point" else geom.representative_point()
            if not self._inside(p):
                return self._outside(ref)
            for n, (kind, props) in enumerate(devs):
                self.device_feats.append(
                    DeviceFeature(
                        source,
                        fid,
                        kind,
                        p.x,
                        p.y,
                        props=props,
                        ref=ref,
                        name=str(tags.get("name") or ""),
                        suffix=f"-{kind}" if n else "",
                    )
                )
            return True
        if gtype in ("Polygon", "MultiPolygon", "GeometryCollection"):
            if not (
                is_building(tags) or surface_kind(tags) or (kind_of(tags) or ("",))[0] == "road"
            ):
                return False
            poly = _polygonal(geom)
            if poly is None:
                area = shapely.area(geom)
                self.ledger.skip(
                    ref,
                    f"its outline has no area ({area:.2g} m²)"
                    if area < 0.01
                    else "has no polygon to draw",
                )
                return True
            if is_building(tags):
                if self.area is not None and not shapely.contains_xy(
                    self.area, *poly.representative_point().coords[0]
                ):
                    return self._outside(ref)
                rec = Footprint(source, fid, tags, poly, ref, _z_range(geom, self._z_to_m))
                (self.parts if is_building_part(tags) else self.outlines).append(rec)
                if is_building_part(tags) and tags.get("building") not in (None, "", "no"):
                    self.outlines.append(rec)
                return True
            k = kind_of(tags)
            rc = road_class(tags) if k is not None and k[0] == "road" else None
            kind = "road" if rc else surface_kind(tags)
            if kind is None:
                return False
            if self.area is not None:
                poly = _polygonal(shapely.intersection(poly, self.area))
                if poly is None:
                    return self._outside(ref)
            cap = parse_number(tags.get("capacity")) if kind == "parking_lot" else None
            surf = Surface(
                fid,
                kind,
                str(tags.get("name") or ""),
                source,
                road_class=rc[0] if rc else None,
                highway=rc[1] if rc else None,
                capacity=int(cap) if cap is not None and 0 <= cap < 100000 else None,
            )
            self.ledger.link(surf, ref)
            self.surface_geoms[kind].append((surf, poly))
            return True
        if gtype in ("LineString", "MultiLineString"):
            rc = road_class(tags)
            if rc is None:
                return False
            line = geom if self.area is None else shapely.intersection(geom, self.area)
            if line.is_empty or line.length <= 0:
                return self._outside(ref)
            width, wsrc = road_width(tags, *rc)
            surf = Surface(
                fid,
                "road",
                str(tags.get("name") or ""),
                source,
                rc[0],
                rc[1],
                round(width, 2),
                wsrc,
                shape_wkb=shapely.to_wkb(line),
            )
            self.ledger.link(surf, ref)
            self.surface_geoms["road"].append((surf, line))
            return True
        return False

    def add_city_model(self, m: CityModel) -> None:
        if not m.buildings:
            return
        t = self.ft.from_crs(m.crs)
        ox, oy = self.ft.frame.origin_x, self.ft.frame.origin_y
        for cb in m.buildings:
            ref = self.ledger.feature(m.name, cb.id)
            x, y = t.transform(cb.points[:, 0], cb.points[:, 1])
            if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
                self.ledger.skip(ref, "its coordinates cannot be reprojected into the scene frame")
                continue
            z0 = float(cb.points[:, 2].min())
            pts = np.column_stack(
                [np.asarray(x) - ox, np.asarray(y) - oy, (cb.points[:, 2] - z0) * m.z_to_m]
            )
            pts, faces = _outward(pts, cb.faces)
            fc = shapely.get_coordinates(cb.footprint)
            fx, fy = t.transform(fc[:, 0], fc[:, 1])
            foot = shapely.set_coordinates(
                cb.footprint, np.column_stack([np.asarray(fx) - ox, np.asarray(fy) - oy])
            )
            if self.area is not None and not shapely.contains_xy(
                self.area, *foot.representative_point().coords[0]
            ):
                self._outside(ref)
                continue
            h = building_height(cb) * m.z_to_m
            name = cb.name or str(cb.attributes.get("name", "") or "")
            bld = Building(
                cb.id,
                name,
                h,
                "geometry",
                f"CityJSON LoD{cb.lod}",
                footprint_wkb=shapely.to_wkb(foot),
                cityobject_type=cb.type,
            )
            self.city.append(CitySolid(bld, pts, faces, ref))

    def replaced(self, before: list[Building]) -> None:
        """Features whose buildings a BIM model replaced are in the ledger as replaced."""
        after = {id(b) for b in self.scene.buildings}
        by_id = {r: m["file"] for m in self.scene.bim_models for r in m["replaced"]}
        for b in before:
            if id(b) not in after:
                for ref in self.ledger.refs_of(b):
                    self.ledger.skip(
                        ref,
                        f"replaced by the BIM model {by_id.get(b.id, '')}".strip(),
                        "replaced",
                        group=True,
                    )

    # -- buildings -----------------------------------------------------------------------
    def _height(self, rec: Footprint) -> tuple[float, float, str, float | None]:
        h, min_h, src, levels = tag_height(rec.tags)
        where = rec.source
        if h is None and rec.z is not None and rec.z > 2.0:
            h, src = rec.z, "geometry"
        if h is None:
            # a part that starts high (building:min_level) and says nothing more is one level tall
            h, src = max(DEFAULT_BUILDING_HEIGHT, min_h + METRES_PER_LEVEL), "default"
        if h > MAX_BUILDING_HEIGHT:
            self.warnings.append(
                Warning(
                    where,
                    rec.fid,
                    f"height {h:g} m is absurd",
                    f"clamped to {MAX_BUILDING_HEIGHT:g} m",
                )
            )
            h = MAX_BUILDING_HEIGHT
        if h <= 0:
            self.warnings.append(
                Warning(
                    where,
                    rec.fid,
                    f"height {h:g} m is not positive",
                    f"set to the default {DEFAULT_BUILDING_HEIGHT:g} m",
                )
            )
            h, src = DEFAULT_BUILDING_HEIGHT, "default"
        if min_h < 0 or min_h >= h:
            if min_h != 0:
                self.warnings.append(
                    Warning(
                        where,
                        rec.fid,
                        f"min_height {min_h:g} m is not below the top {h:g} m",
                        "set to 0",
                    )
                )
            min_h = 0.0
        return h, min_h, src, levels

    def finish_buildings(self) -> None:
        scene = self.scene
        parts_by_outline: dict[int, list[Footprint]] = {}
        orphan_parts = []
        if self.parts and self.outlines:
            tree = STRtree([o.geom for o in self.outlines])
            for p in self.parts:
                if p in self.outlines:
                    continue
                hits = tree.query(p.geom.representative_point(), predicate="within")
                if len(hits):
                    parts_by_outline.setdefault(int(hits[0]), []).append(p)
                else:
                    orphan_parts.append(p)
        else:
            orphan_parts = [p for p in self.parts if p not in self.outlines]
        mesh_parts: list[tuple[np.ndarray, np.ndarray, int]] = []
        for i, rec in enumerate([*self.outlines, *orphan_parts]):
            parts = parts_by_outline.get(i) if i < len(self.outlines) else None
            h, min_h, src, levels = self._height(rec)
            if src == "height":
                self.attr_heights.setdefault(rec.source, []).append(h)
            idx = len(scene.buildings)
            if parts:
                tops = []
                for p in parts:
                    ph, pmin, psrc, _ = self._height(p)
                    pts, faces = extrude(_simplified(p.geom), pmin, ph)
                    if len(faces):
                        mesh_parts.append((pts, faces, idx))
                    tops.append((ph, psrc))
                top = max(tops)
                if top[0] > h or src == "default":
                    h, src = top
            else:
                pts, faces = extrude(_simplified(rec.geom), min_h, h)
                if not len(faces):
                    self.ledger.skip(rec.ref, "its footprint has no area to extrude")
                    continue
                mesh_parts.append((pts, faces, idx))
            t = rec.tags
            bld = Building(
                rec.fid,
                str(t.get("name") or ""),
                round(h, 2),
                src,
                rec.source,
                round(min_h, 2),
                levels,
                shapely.to_wkb(rec.geom),
                address=address_of(t),
            )
            scene.buildings.append(bld)
            for r in [rec, *(parts or [])]:
                self.ledger.link(bld, r.ref)
        for solid in self.city:
            mesh_parts.append((solid.points, solid.faces, len(scene.buildings)))
            scene.buildings.append(solid.building)
            self.ledger.link(solid.building, solid.ref)
        scene.meshes["building"] = Mesh.merge(mesh_parts)
        self.warnings.extend(check_plausible(self.attr_heights))

    # -- surfaces ------------------------------------------------------------------------
    def finish_surfaces(self) -> None:
        scene = self.scene
        roads = self.surface_geoms["road"]
        is_line = [g.geom_type in ("LineString", "MultiLineString") for _, g in roads]
        lines = [sg for sg, il in zip(roads, is_line, strict=True) if il]
        road_polys = [sg for sg, il in zip(roads, is_line, strict=True) if not il]
        if lines:
            widths = np.array([s.width for s, _ in lines], dtype=float)
            bufs = shapely.buffer(
                np.array([g for _, g in lines], dtype=object), widths / 2, quad_segs=1
            )
            for (s, g), poly in zip(lines, bufs, strict=True):
                self.road_lines.append((g, float(s.width or 0), s.road_class or "minor"))
                road_polys.append((s, poly))
        for kind in scene.surfaces:
            items = road_polys if kind == "road" else self.surface_geoms[kind]
            parts: list[tuple[np.ndarray, np.ndarray, int]] = []
            for surf, poly in items:
                z = ROAD_Z[surf.road_class or "minor"] if kind == "road" else SURFACE_Z[kind]
                pts, faces = flat(_simplified(poly), z)
                if not len(faces):
                    for ref in self.ledger.refs_of(surf):
                        self.ledger.skip(
                            ref,
                            "too small to draw (no area left after simplifying by "
                            f"{MESH_TOLERANCE_M:g} m)",
                        )
                    continue
                if not surf.shape_wkb:
                    surf.shape_wkb = shapely.to_wkb(poly)
                parts.append((pts, faces, len(scene.surfaces[kind])))
                scene.surfaces[kind].append(surf)
            if parts:
                scene.meshes[kind] = Mesh.merge(parts)

    # -- devices -------------------------------------------------------------------------
    def add_device_rows(self, rows: DeviceRows) -> None:
        g = to_local(rows.frame, rows.crs, self.ft)
        data_area = self._data_area()
        for row, geom in zip(g.to_dict("records"), g.geometry.values, strict=True):
            ref = self.ledger.feature(rows.source, f"{row['row']} (id {row['fid']})")
            if geom is None or not row["finite"]:
                self.ledger.skip(ref, "its position cannot be reprojected into the scene frame")
                continue
            inside = self.area is None or shapely.contains_xy(self.area, geom.x, geom.y)
            if inside and data_area is not None:
                d = shapely.distance(data_area, geom)
                inside = d <= OUTSIDE_MARGIN_M
                why = f"{d / 1000:.1f} km outside the scene's data" if not inside else ""
            else:
                why = "outside the clip area"
            if not inside:
                self.ledger.skip(ref, why)
                continue
            props: dict[str, Any] = {
                "subkind": row.get("subkind"),
                "mount_height": row.get("height"),
                "heading": row.get("heading"),
                "fov": row.get("fov"),
                "tilt": row.get("tilt"),
            }
            if isinstance(row.get("smart"), bool | np.bool_):  # an asset not (yet) smart
                props["smart"] = bool(row["smart"])
            for optic in ("resolution", "lens"):  # cameras: a device list's own optics
                if row.get(optic):
                    props[optic] = row[optic]
            if row.get("use"):
                props["use"] = row["use"]  # meters: residential / commercial / public load curves
            self.device_feats.append(
                DeviceFeature(
                    rows.source,
                    str(row["fid"]),
                    row["kind"],
                    geom.x,
                    geom.y,
                    props=props,
                    name=str(row.get("name") or ""),
                    listed=True,
                    ref=ref,
                )
            )

    def replace_kinds(self, lists: list[tuple[list[str], str]]) -> None:
        """A device list that holds all devices of some kinds (``replaces``) leaves out those
        kinds from every other source; when several lists replace a kind, the last one in the
        scene file holds it (a plan kept from a plan's scene file); each left out is in the
        ledger as replaced."""
        owner: dict[str, str] = {}
        for kinds, source in lists:
            for kind in kinds:
                owner[kind] = source
        if not owner:
            return
        keep = []
        for f in self.device_feats:
            source = owner.get(f.kind)
            if source is not None and f.source != source:
                if f.ref is not None:
                    self.ledger.skip(
                        f.ref,
                        f"replaced by the {f.kind} layout of {source}",
                        "replaced",
                        group=True,
                    )
                continue
            keep.append(f)
        self.device_feats = keep

    def _data_area(self) -> shapely.Geometry | None:
        pts = [m.points[:, :2] for m in self.scene.meshes.values() if len(m.points)]
        if not pts:
            return None
        allp = np.concatenate(pts)
        return shapely.box(*allp.min(axis=0), *allp.max(axis=0))


def _simplified(geom: shapely.Geometry) -> shapely.Geometry:
    g = shapely.simplify(geom, MESH_TOLERANCE_M, preserve_topology=True)
    return g if not g.is_empty else geom


def _outward(points: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Consistent, outward winding (files often get it wrong; the renderer culls back faces)."""
    mesh = trimesh.Trimesh(points, faces, process=True)
    trimesh.repair.fix_normals(mesh)
    return np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64)


def address_of(tags: dict[str, Any]) -> str:
    """Street and house number from OSM-style tags (``addr:street``, ``addr:housenumber``;
    ``addr:place`` where there is no street), "" when the data gives none."""
    street = str(tags.get("addr:street") or tags.get("addr:place") or "").strip()
    number = str(tags.get("addr:housenumber") or "").strip()
    return f"{street} {number}".strip() if street else ""


def _any_known(tags: dict[str, Any]) -> bool:
    return bool(
        is_building(tags) or surface_kind(tags) or road_class(tags) or devices_from_tags(tags)
    )


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom if geom.area > 0.01 else None
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polys:
        return None
    u = shapely.union_all(polys)
    return u if u.area > 0.01 else None


def _z_range(geom: shapely.Geometry, z_to_m: float = 1.0) -> float | None:
    """Height of a 3D footprint in metres (``z_to_m``: metres per unit of z)."""
    if not shapely.has_z(geom):
        return None
    z = shapely.get_coordinates(geom, include_z=True)[:, 2]
    z = z[np.isfinite(z)]
    return float(z.max() - z.min()) * z_to_m if len(z) else None
