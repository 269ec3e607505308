"""Build a Scene from a scene file: read every source, choose the frame and the clip, then
hand the features to ``twin.ingest.collect`` (entities and meshes), ``twin.ingest.bim`` (IFC
models), ``twin.ingest.devices`` and ``twin.ingest.fill``, and account for every feature.

``build_scene`` is what the use case ``open_scene`` calls for the CLI and the shell.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError

from twin.core.errors import InputError
from twin.ingest import bim, fill
from twin.ingest.archives import unpacked
from twin.ingest.cityjson import CityModel, read_cityjson
from twin.ingest.collect import Collector, to_local
from twin.ingest.community import build_community
from twin.ingest.crs import WGS84, FrameTransform, frame_crs
from twin.ingest.devicelist import DeviceRows, read_device_list
from twin.ingest.devices import place_devices
from twin.ingest.ifc import read_ifc_model
from twin.ingest.ifcmodel import IfcModelData
from twin.ingest.ledger import FeatureLedger
from twin.ingest.osm import read_osm
from twin.ingest.places import locate_devices
from twin.ingest.sources import Layer, check_readable, detect_format, read_vector
from twin.scene.entities import Warning
from twin.scene.scene import Scene
from twin.scene.scenefile import IfcSpec, SceneSpec

Progress = Callable[[str, float], None]


class _Builder:
    def __init__(self, spec: SceneSpec, progress: Progress | None) -> None:
        self.spec = spec
        self.where = str(spec.path) if spec.path else spec.name
        self.progress = progress or (lambda stage, f: None)
        self.warnings: list[Warning] = []
        self.timings: dict[str, float] = {}
        self.ifc_models: list[tuple[IfcModelData, IfcSpec]] = []
        self.ledger = FeatureLedger()
        self._t = perf_counter()

    def lap(self, stage: str) -> None:
        now = perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - self._t
        self._t = now

    # -- reading -------------------------------------------------------------------------
    def read(self) -> tuple[list[Layer], list[CityModel], list[DeviceRows]]:
        if not self.spec.sources and not self.spec.devices and not self.spec.ifc:
            raise InputError(
                self.where, "has no sources.", "Add [[sources]] with a GIS file (see README)."
            )
        layers: list[Layer] = []
        models: list[CityModel] = []
        n = len(self.spec.sources) + len(self.spec.devices)
        for i, src in enumerate(self.spec.sources):
            self.progress(f"reading {src.path.name}", i / max(n, 1))
            check_readable(src.path)
            with unpacked(src.path, self.warnings) as files:
                for f in files:
                    fmt = detect_format(f.path)
                    if fmt == "osm":
                        if src.crs and CRS.from_user_input(src.crs) != WGS84:
                            self.warnings.append(
                                Warning(
                                    f.name,
                                    "crs",
                                    "OpenStreetMap data is always WGS84; "
                                    "the declared CRS was not used",
                                    "ignored",
                                )
                            )
                        layers.append(read_osm(f.path, f.name))
                    elif fmt == "cityjson":
                        models.append(read_cityjson(f.path, src.crs, f.name))
                    else:
                        layers.extend(
                            read_vector(f.path, src.crs, src.layer, f.name, src.height_unit)
                        )
        for m in self.spec.ifc:
            self.ifc_models.append(
                (read_ifc_model(m.path, lambda stage, f: self.progress(stage, 0.05 + 0.3 * f)), m)
            )
        rows = []
        for j, d in enumerate(self.spec.devices):
            self.progress(f"reading {d.path.name}", (len(self.spec.sources) + j) / max(n, 1))
            rows.append(read_device_list(d.path, d.crs, d.sheet, d.kind))
        for item in [*layers, *models, *rows]:
            self.warnings.extend(item.warnings)
            if isinstance(item, CityModel):
                self.ledger.source(item.name, item.read, item.warnings)
                if item.surfaces is not None:
                    layers.append(item.surfaces)
            else:
                self.ledger.source(
                    item.name if isinstance(item, Layer) else item.source, item.read, item.warnings
                )
        self.lap("read")
        return layers, models, rows

    # -- frame ---------------------------------------------------------------------------
    def frame(
        self, layers: list[Layer], models: list[CityModel], rows: list[DeviceRows]
    ) -> FrameTransform:
        if self.spec.origin:
            lon, lat = self.spec.origin
        elif self.spec.clip.bbox:
            w, s, e, n = self.spec.clip.bbox
            lon, lat = (w + e) / 2, (s + n) / 2
        else:
            boxes = []
            for layer in layers:
                if len(layer.frame) and not layer.frame.geometry.isna().all():
                    boxes.append(_lonlat_bounds(layer.frame.total_bounds, layer.crs))
            for m in models:
                if m.buildings:
                    pts = np.concatenate([b.points[:, :2] for b in m.buildings])
                    boxes.append(_lonlat_bounds(np.r_[pts.min(axis=0), pts.max(axis=0)], m.crs))
            unplaced: list[Warning] = []  # why IFC models have no place of their own
            if not boxes:
                for data, m in self.ifc_models:
                    o = bim.origin_lonlat(data, m, unplaced)
                    if o is not None:
                        # models on both sides of the antimeridian: longitudes near the first one's
                        lo = (
                            o[0]
                            if not boxes
                            else boxes[0][0] + (o[0] - boxes[0][0] + 180) % 360 - 180
                        )
                        boxes.append((lo, o[1], lo, o[1]))
            if not boxes:
                for r in rows:
                    boxes.append(_lonlat_bounds(r.frame.total_bounds, r.crs))
            if not boxes:
                why = "; ".join(f"{w.source}: {w.reason}" for w in unplaced)
                raise InputError(
                    self.where,
                    "has nothing that says where on earth it is: there is no GIS data "
                    "and no IFC model has a usable georeference" + (f" ({why})." if why else "."),
                    "Place a model by hand: --ifc PATH@LON,LAT[,ROT] or lon / lat in [[ifc]].",
                )
            b = np.array(boxes)
            lon, lat = (b[:, 0].min() + b[:, 2].max()) / 2, (b[:, 1].min() + b[:, 3].max()) / 2
            lon = (lon + 180) % 360 - 180 if lon > 180 or lon < -180 else lon
        if not (-180 <= lon <= 180 and -85 <= lat <= 85):
            raise InputError(
                self.where,
                f"the data's centre ({lon:.4f}, {lat:.4f}) is not a place on earth.",
                "Check the sources' CRS.",
            )
        crs = frame_crs(self.spec.crs, lon, lat, self.where)
        ft = FrameTransform.create(crs, lon, lat)
        self.lap("frame")
        return ft

    def clip_area(self, ft: FrameTransform) -> shapely.Geometry | None:
        clip = self.spec.clip
        if not clip.active:
            return None
        area = None
        if clip.bbox:
            w, s, e, n = clip.bbox
            if not (w < e and s < n):
                raise InputError(
                    self.where, f"clip bbox {clip.bbox} must be W,S,E,N with W < E and S < N."
                )
            area = shapely.segmentize(shapely.box(w, s, e, n), 0.0005)
        elif clip.polygon:
            area = shapely.Polygon(clip.polygon)
        if area is not None:
            c = shapely.get_coordinates(area)
            x, y = ft.to_local(c[:, 0], c[:, 1])
            area = shapely.set_coordinates(area, np.column_stack([x, y]))
        elif clip.polygon_file:
            polys = []
            for layer in read_vector(clip.polygon_file):
                polys.extend(to_local(layer.frame, layer.crs, ft).geometry.values)
            area = shapely.union_all(
                [p for p in polys if p is not None and p.geom_type in ("Polygon", "MultiPolygon")]
            )
        if area is None or area.is_empty or not area.is_valid:
            raise InputError(
                self.where,
                "the clip polygon is empty or invalid.",
                "Give at least 3 distinct vertices.",
            )
        return area


def _lonlat_bounds(bounds: np.ndarray, crs: CRS) -> tuple[float, float, float, float]:
    from pyproj import Transformer

    if crs.is_geographic and crs.equals(WGS84, ignore_axis_order=True):
        return tuple(float(v) for v in bounds)  # type: ignore[return-value]
    try:
        t = Transformer.from_crs(crs, WGS84, always_xy=True)
        return tuple(float(v) for v in t.transform_bounds(*bounds, densify_pts=11))  # type: ignore[return-value]
    except ProjError as exc:
        raise InputError(
            crs.name, f"coordinates cannot be converted to lon / lat ({exc})."
        ) from None


def build_scene(spec: SceneSpec, progress: Progress | None = None) -> Scene:
    """Build the scene a scene file describes; raises :class:`InputError` for bad input."""
    b = _Builder(spec, progress)
    layers, models, rows = b.read()
    ft = b.frame(layers, models, rows)
    area = b.clip_area(ft)
    scene = Scene(spec.name, ft.frame, spec)
    col = Collector(scene, ft, area, b.warnings, b.ledger)
    b.progress("classifying", 0.4)
    for layer in layers:
        col.add_layer(layer)
    for m in models:
        col.add_city_model(m)
    b.lap("classify")
    b.progress("buildings", 0.5)
    col.finish_buildings()
    b.lap("buildings")
    b.progress("roads and surfaces", 0.6)
    col.finish_surfaces()
    b.lap("surfaces")
    if b.ifc_models:
        b.progress("placing BIM models", 0.7)
        before = list(scene.buildings)
        col.device_feats += bim.add_models(scene, b.ifc_models, ft, b.warnings)
        col.replaced(before)
        b.lap("bim")
    b.progress("devices", 0.8)
    for r in rows:
        col.add_device_rows(r)
    col.replace_kinds([(d.replaces, r.source) for d, r in zip(spec.devices, rows, strict=True)])
    place_devices(col.device_feats, scene, ft, col.road_lines, b.warnings, b.ledger)
    b.lap("devices")
    if spec.fill_devices:
        fill.fill_devices(
            scene, col.surface_geoms["parking_lot"], col.road_lines, col.area, ft, b.warnings
        )
    b.lap("fill")
    locate_devices(scene)
    b.lap("places")
    if (
        not scene.buildings
        and not any(scene.surfaces.values())
        and not scene.devices
        and not scene.bim_elements
    ):
        b.warnings.extend(b.ledger.finish([]))
        why = "inside the clip area" if spec.clip.active else "of a kind the scene draws"
        first = next((w for w in b.warnings if w.not_drawn), None)
        raise InputError(
            b.where,
            f"has nothing to show: no feature of its sources is {why}"
            + (f" (for example {first.source}: {first.feature}: {first.reason})" if first else "")
            + ".",
            "Check the clip box (W,S,E,N in degrees) and "
            "the sources (twin info lists what was read).",
        )
    entities = [
        *scene.buildings,
        *(s for kind in scene.surfaces.values() for s in kind),
        *scene.devices,
    ]
    b.warnings.extend(b.ledger.finish(entities))
    scene.features = b.ledger.counts()
    b.lap("account")
    b.progress("community", 0.9)
    scene.community = build_community(scene, ft, layers, col.area, col.entrance_nodes, b.warnings)
    b.lap("community")
    for v in spec.views:
        x, y = ft.to_local(v.lon, v.lat)
        scene.view_targets[v.name] = (float(x), float(y))
    for t in spec.tours:
        for i, k in enumerate(t.keyframes):
            if k.lon is not None and k.lat is not None:
                x, y = ft.to_local(k.lon, k.lat)
                scene.tour_targets[(t.name, i)] = (float(x), float(y))
    scene.warnings = b.warnings
    scene.timings = b.timings
    scene.timings["total"] = sum(b.timings.values())
    b.progress("ready", 1.0)
    return scene
