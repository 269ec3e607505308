"""IFC (BIM) models: tessellated elements with their own colours, storeys, spaces, devices
inside, and the model's georeference. IFC2X3, IFC4 and IFC4X3 (ADD2) through ifcopenshell's
geometry iterator on every core.

What :func:`read_ifc_model` returns depends only on the file's content and the settings, so it
is cached on disk (``twin.ingest.ifccache``); placing the model in a scene happens afterwards.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import sys
import warnings as _pywarnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from twin.core.errors import InputError
from twin.ingest import georef, ifccache
from twin.ingest.ifcmodel import IfcModelData
from twin.ingest.sources import check_readable

SUPPORTED_SCHEMAS = {
    "IFC2X3": "IFC2X3",
    "IFC4": "IFC4",
    "IFC4X3": "IFC4X3",
    "IFC4X3_ADD2": "IFC4X3",
}
NOT_DRAWN = (
    "IfcOpeningElement",
    "IfcSpace",
    "IfcSite",
    "IfcVirtualElement",
    "IfcAnnotation",
    "IfcGrid",
    "IfcAlignment",
)
DEFAULT_RGB = (190, 190, 190)
SETTINGS_VERSION = "ifc-4"  # bump when what is extracted changes: old cache entries are then unused

Progress = Callable[[str, float], None]


def header_schema(path: Path) -> str:
    """The schema named in the file's header; InputError for what is not IFC or not supported."""
    with open(path, "rb") as fh:
        head = fh.read(8192).decode("latin-1", "replace")
    if "ISO-10303-21" not in head:
        raise InputError(
            path,
            "is not an IFC file (no ISO-10303-21 header).",
            "Export the model as IFC (.ifc, STEP physical file) from the design tool.",
        )
    m = re.search(r"FILE_SCHEMA\s*\(\s*\(\s*'([^']+)'", head)
    if not m:
        raise InputError(
            path, "has no FILE_SCHEMA in its header.", "Export the model again as IFC."
        )
    schema = m.group(1).strip().upper()
    if schema not in SUPPORTED_SCHEMAS:
        raise InputError(
            path,
            f"uses the IFC schema {schema}, which is not supported.",
            "Supported: IFC2X3, IFC4, IFC4X3_ADD2; export the model in one of them.",
        )
    return schema


def _check_complete(path: Path) -> None:
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4096))
        tail = fh.read().decode("latin-1", "replace")
    if "END-ISO-10303-21" not in tail:
        raise InputError(
            path,
            "is truncated (it does not end with END-ISO-10303-21;).",
            "Copy or export the file again.",
        )


def read_ifc_model(path: Path, progress: Progress | None = None) -> IfcModelData:
    """The model's elements, geometry, devices and georeference (cached on disk)."""
    check_readable(path)
    schema = header_schema(path)
    _check_complete(path)
    key = ifccache.key_for(path, SETTINGS_VERSION)
    cached = ifccache.load(key)
    if cached is not None:
        if progress:
            progress(f"{path.name} (cached)", 1.0)
        cached.file = path.name
        return cached
    with _native_stdout_silenced():
        data = _read(path, schema, progress)
    ifccache.save(key, data)
    return data


@contextlib.contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """ifcopenshell's C++ core prints debugging lines on file descriptor 1; they must not reach
    a user's stdout (``twin info --json`` is parsed by scripts)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _open(path: Path) -> Any:
    import ifcopenshell

    try:
        return ifcopenshell.open(str(path))
    except Exception as exc:  # ifcopenshell raises several types for damaged files
        raise InputError(
            path,
            "cannot be read as IFC "
            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}).",
            "Check that the file is complete; export it again.",
        ) from None


def _read(path: Path, schema: str, progress: Progress | None) -> IfcModelData:
    import ifcopenshell
    import ifcopenshell.geom
    import ifcopenshell.util.element as uel
    import ifcopenshell.util.unit as uu

    f = _open(path)
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    exclude = [e for t in NOT_DRAWN if t != "IfcSpace" for e in _by_type(f, t)]
    with_body = [
        p
        for p in f.by_type("IfcProduct")
        if p.Representation is not None and not any(p.is_a(t) for t in NOT_DRAWN)
    ]
    elements: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    pts, faces, face_el, face_rgb = [], [], [], []
    spaces: list[dict[str, Any]] = []
    n = 0
    shapes: dict[str, np.ndarray] = {}
    found: dict[str, tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]] = {}
    if with_body or f.by_type("IfcSpace"):
        it = ifcopenshell.geom.iterator(
            settings, f, max(1, multiprocessing.cpu_count()), exclude=exclude or None
        )
        ok = it.initialize()
        while ok:
            shape = it.get()
            el = f.by_id(shape.id)
            geo = shape.geometry
            v = np.asarray(geo.verts, dtype=np.float64).reshape(-1, 3)
            tri = np.asarray(geo.faces, dtype=np.int64).reshape(-1, 3)
            if el.is_a("IfcSpace"):
                if len(tri):
                    spaces.append(
                        {
                            "global_id": el.GlobalId,
                            "name": el.Name or el.LongName or "",
                            "storey": _storey(el),
                            "footprint_wkb": shapely.to_wkb(_outline(v, tri)),
                        }
                    )
            elif len(tri):
                mats = [
                    tuple(int(round(255 * c)) for c in m.diffuse.components) for m in geo.materials
                ]
                ids = np.asarray(geo.material_ids, dtype=np.int64)
                palette = np.array(mats + [DEFAULT_RGB], dtype=np.uint8)
                ids = np.where((ids >= 0) & (ids < len(mats)), ids, len(mats))
                t = uel.get_type(el)
                rgb = palette[ids] if len(ids) == len(tri) else np.tile(palette[-1], (len(tri), 1))
                found[el.GlobalId] = (
                    {
                        "global_id": el.GlobalId,
                        "ifc_class": el.is_a(),
                        "name": el.Name or "",
                        "storey": _storey(el),
                        "type_name": (t.Name or "") if t is not None else "",
                    },
                    v,
                    tri,
                    rgb,
                )
                shapes[el.GlobalId] = v
            if progress:
                progress(f"tessellating {path.name}", it.progress() / 100.0)
            ok = it.next()
    # the iterator works on several threads: order elements by GlobalId so that entity indices
    # (picking, selections) are the same on every build
    spaces.sort(key=lambda sp: sp["global_id"])
    for guid in sorted(found):
        meta, v, tri, rgb = found[guid]
        index[guid] = len(elements)
        elements.append(meta)
        pts.append(v)
        faces.append(tri + n)
        face_el.append(np.full(len(tri), len(elements) - 1, dtype=np.int64))
        face_rgb.append(rgb)
        n += len(v)
    failed = [
        {"global_id": p.GlobalId, "ifc_class": p.is_a(), "name": p.Name or ""}
        for p in with_body
        if p.GlobalId not in index and _has_body(p)
    ]
    points = np.concatenate(pts) if pts else np.zeros((0, 3))
    all_faces = np.concatenate(faces) if faces else np.zeros((0, 3), dtype=np.int64)
    data = IfcModelData(
        path.name,
        schema,
        elements,
        points,
        all_faces,
        np.concatenate(face_el) if face_el else np.zeros(0, dtype=np.int64),
        np.concatenate(face_rgb) if face_rgb else np.zeros((0, 3), dtype=np.uint8),
        spaces=spaces,
        failed=failed,
    )
    data.devices, data.unknown_devices = _devices(f, shapes)
    data.map_conversion = georef.read_map_conversion(f)
    data.site = georef.read_site(f)
    data.length_unit = georef.ifc_unit_name(uu.get_project_unit(f, "LENGTHUNIT")) or "metre"
    if len(all_faces):
        data.footprint_wkb = shapely.to_wkb(_hull_outline(found))
    return data


def _by_type(f: Any, t: str) -> list[Any]:
    try:
        return list(f.by_type(t))
    except RuntimeError:  # the class does not exist in this schema
        return []


def _has_body(p: Any) -> bool:
    rep = p.Representation
    return any(
        (r.RepresentationIdentifier or "").lower() in ("body", "")
        for r in (rep.Representations or [])
    )


def _storey(el: Any) -> str:
    import ifcopenshell.util.element as uel

    node = el
    for _ in range(8):
        c = uel.get_container(node) if not node.is_a("IfcSpatialStructureElement") else node
        if c is None:
            c = uel.get_aggregate(node)
            if c is None:
                return ""
        if c.is_a("IfcBuildingStorey"):
            return c.Name or c.LongName or ""
        if c.is_a("IfcSpace") or not c.is_a("IfcSpatialStructureElement"):
            node = uel.get_aggregate(c) or c  # a space, or an element of an assembly: go up
            if node is c:
                return c.Name or ""
            continue
        return c.Name or c.LongName or ""  # contained directly in the building or the site
    return ""


def _hull_outline(
    found: dict[str, tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]],
) -> shapely.Geometry:
    """The model's footprint as the union of its elements' 2D convex hulls: linear in the size
    of the model (a union of every triangle takes minutes on a large one) and close enough for
    deciding which GIS footprints a BIM building replaces."""
    points = np.empty(len(found), dtype=object)
    points[:] = [shapely.MultiPoint(v[:, :2]) for _, v, _, _ in found.values()]
    hulls = shapely.convex_hull(points)
    hulls = hulls[shapely.area(hulls) > 1e-4]
    if not len(hulls):
        return shapely.Polygon()
    return shapely.make_valid(shapely.union_all(hulls, grid_size=0.001))


def _outline(points: np.ndarray, faces: np.ndarray) -> shapely.Geometry:
    tri = points[faces][:, :, :2]
    polys = shapely.polygons(np.concatenate([tri, tri[:, :1]], axis=1))
    polys = polys[shapely.area(polys) > 1e-6]
    if not len(polys):
        return shapely.convex_hull(shapely.multipoints(points[:, :2]))
    return shapely.make_valid(shapely.union_all(polys, grid_size=0.001))


# -- devices --------------------------------------------------------------------------------------
GENERIC_2X3 = (
    "IfcFlowTerminal",
    "IfcDistributionControlElement",
    "IfcDistributionFlowElement",
    "IfcEnergyConversionDevice",
    "IfcFlowController",
    "IfcFlowMovingDevice",
    "IfcFlowStorageDevice",
    "IfcFlowTreatmentDevice",
    "IfcDistributionElement",
)
DEVICE_LIKE = (
    "IfcDistributionControlElement",
    "IfcSensor",
    "IfcAlarm",
    "IfcActuator",
    "IfcController",
    "IfcFlowInstrument",
    "IfcUnitaryControlElement",
    "IfcProtectiveDeviceTrippingUnit",
    "IfcAudioVisualAppliance",
    "IfcCommunicationsAppliance",
    "IfcFireSuppressionTerminal",
    "IfcTransportElement",
    "IfcLightFixture",
    "IfcLamp",
)
_CAMERA_WORDS = re.compile(r"camera|cctv|摄像|监控", re.IGNORECASE)
_SMOKE_WORDS = re.compile(r"smoke|烟感|烟雾", re.IGNORECASE)


def effective_class(el: Any) -> str:
    """IFC class, or for IFC2X3's generic classes the class its type object names."""
    import ifcopenshell.util.element as uel

    cls = el.is_a()
    if cls in GENERIC_2X3:
        t = uel.get_type(el)
        if t is not None and t.is_a().endswith("Type"):
            return t.is_a()[:-4]
    return cls


def device_kind(el: Any) -> tuple[str | None, str, str]:
    """(catalogue kind or None, effective class, predefined type) of an IFC element."""
    import ifcopenshell.util.element as uel

    cls = effective_class(el)
    pre = str(uel.get_predefined_type(el) or "").upper()
    text = " ".join(
        str(x or "")
        for x in (el.Name, getattr(el, "ObjectType", None), getattr(uel.get_type(el), "Name", None))
    )
    if cls == "IfcSensor":
        if pre in ("SMOKESENSOR", "GASSENSOR", "HEATSENSOR", "FIRESENSOR") or _SMOKE_WORDS.search(
            text
        ):
            return "smoke_detector", cls, pre
        if pre in ("TEMPERATURESENSOR", "HUMIDITYSENSOR", "CO2SENSOR"):
            return "env_monitor", cls, pre
        return None, cls, pre
    if cls == "IfcAlarm":
        return "fire_alarm", cls, pre
    if cls in ("IfcLightFixture", "IfcLamp"):
        return "light", cls, pre
    if cls == "IfcAudioVisualAppliance":
        if pre == "CAMERA" or _CAMERA_WORDS.search(text):
            return "camera", cls, pre
        if pre == "DISPLAY":
            return "info_display", cls, pre
        return None, cls, pre
    if cls == "IfcCommunicationsAppliance":
        return ("camera" if _CAMERA_WORDS.search(text) else None), cls, pre
    if cls == "IfcFireSuppressionTerminal":
        return ("hydrant" if pre in ("FIREHYDRANT", "HOSEREEL") else None), cls, pre
    if cls == "IfcTransportElement":
        return (
            ("lift" if pre in ("ELEVATOR", "LIFTINGGEAR") or "lift" in text.lower() else None),
            cls,
            pre,
        )
    if cls == "IfcDoor":
        import ifcopenshell.util.element as u2

        rating = str((u2.get_psets(el).get("Pset_DoorCommon") or {}).get("FireRating") or "")
        # a real rating has a duration (EI60, FD30, 1 HR, 90 min); design tools often leave a
        # placeholder such as "Fire Rating" or "None"
        return ("fire_door" if re.search(r"[1-9]", rating) else None), cls, pre
    return None, cls, pre


def _devices(f: Any, shapes: dict[str, np.ndarray]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    import ifcopenshell.util.placement as upl
    import ifcopenshell.util.unit as uu

    scale = uu.calculate_unit_scale(f)
    candidates = {
        e.id(): e
        for t in (
            "IfcDistributionElement",
            "IfcDoor",
            "IfcTransportElement",
            "IfcFlowTerminal",
            "IfcLightFixture",
            "IfcLamp",
        )
        for e in _by_type(f, t)
    }
    devices, unknown = [], Counter()
    for el in candidates.values():
        kind, cls, pre = device_kind(el)
        if kind is None:
            if any(el.is_a(t) for t in DEVICE_LIKE) or cls in DEVICE_LIKE:
                unknown[cls] += 1
            continue
        pos = None
        if el.ObjectPlacement is not None:
            with _pywarnings.catch_warnings():
                _pywarnings.simplefilter("ignore")
                m = upl.get_local_placement(el.ObjectPlacement)
            pos = np.asarray(m)[:3, 3] * scale
        elif el.GlobalId in shapes:
            pos = shapes[el.GlobalId].mean(axis=0)
        if pos is None or not np.all(np.isfinite(pos)):
            unknown[f"{cls} (no position)"] += 1
            continue
        devices.append(
            {
                "global_id": el.GlobalId,
                "kind": kind,
                "ifc_class": cls,
                "predefined_type": pre,
                "name": el.Name or "",
                "storey": _storey(el),
                "x": float(pos[0]),
                "y": float(pos[1]),
                "z": float(pos[2]),
            }
        )
    devices.sort(key=lambda d: d["global_id"])
    return devices, dict(sorted(unknown.items()))
