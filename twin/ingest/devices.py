"""Devices found in the data (OSM tags, device lists, IFC elements, the fill) become the
scene's :class:`~twin.scene.entities.Device` entities: ids made and checked, sub-kind defaults
of the catalogue, absurd mount heights clamped and impossible camera angles reset (each with a
warning), cameras without a heading turned to face the nearest road."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from twin.core.errors import InputError
from twin.ingest.crs import FrameTransform
from twin.ingest.ledger import FeatureLedger
from twin.ingest.tags import parse_number
from twin.scene.catalogue import (
    CAMERA_DEFAULTS,
    CAMERA_SENSOR_WIDTH_MM,
    CATALOGUE,
    MAX_MOUNT_HEIGHT,
    MEGAPIXEL_RESOLUTIONS,
)
from twin.scene.entities import Device, Warning
from twin.scene.scene import Scene

FORBIDDEN_ID_CHARS = set("/+#")
"""Ids become MQTT topic levels."""

RoadLines = list[tuple[shapely.LineString, float, str]]
"""Road centrelines in local metres with their width and class."""


@dataclass
class DeviceFeature:
    """A device found in the data, before it becomes a :class:`Device`."""

    source: str
    fid: str
    """The feature's id in its source (``node/123`` for OSM, the list's id column, ...)."""
    kind: str
    x: float
    y: float
    z: float = 0.0
    props: dict[str, Any] = field(default_factory=dict)
    """subkind, mount_height, heading, fov, tilt (None or NaN: the kind's default) and extras."""
    name: str = ""
    listed: bool = False
    """From a device list, an IFC model or the fill: ``fid`` is the device's id as it is."""
    synthetic: bool = False
    suffix: str = ""
    """Appended to the id of a second device from one feature (a lamp post with a camera)."""
    ref: int | None = None
    """The feature's entry in the ledger."""
    id: str = ""


def osm_id(fid: str) -> str:
    """``node/123`` -> ``osm-n123``; other ids as they are."""
    kind, _, num = fid.partition("/")
    if num:
        return f"osm-{kind[0]}{num}"
    return fid


def assign_ids(feats: list[DeviceFeature]) -> None:
    """Give every feature its device id; InputError for ids that cannot be MQTT topic levels
    and for ids used twice (naming the sources)."""
    ids: set[str] = set()
    dups: set[str] = set()
    for f in feats:
        f.id = f.fid if f.listed else osm_id(f.fid) + f.suffix
        if f.listed and FORBIDDEN_ID_CHARS & set(f.id):
            raise InputError(
                f.source,
                f"device id {f.id!r} contains '/', '+' or '#'.",
                "Ids become MQTT topic levels; use letters, digits, '-', '_' or '.'.",
            )
        if f.id in ids:
            dups.add(f.id)
        ids.add(f.id)
    if dups:
        raise InputError(
            ", ".join(sorted({f.source for f in feats if f.id in dups})),
            f"duplicate device ids: {', '.join(sorted(dups)[:20])}.",
            "Every device needs its own id across all device layers.",
        )


def place_devices(
    feats: list[DeviceFeature],
    scene: Scene,
    ft: FrameTransform,
    roads: RoadLines,
    warnings: list[Warning],
    ledger: FeatureLedger | None = None,
) -> None:
    """Append the features' devices to the scene (ids assigned, lon / lat computed once for
    all), linking each to its feature in the ledger."""
    assign_ids(feats)
    if not feats:
        return
    lon, lat = ft.to_lonlat(np.array([f.x for f in feats]), np.array([f.y for f in feats]))
    road_tree = STRtree([ln for ln, _, _ in roads]) if roads else None
    for f, lo, la in zip(feats, lon, lat, strict=True):
        dev = make_device(f, float(lo), float(la), road_tree, roads, warnings)
        scene.devices.append(dev)
        if ledger is not None and f.ref is not None:
            ledger.link(dev, f.ref)


def make_device(
    f: DeviceFeature,
    lon: float,
    lat: float,
    road_tree: STRtree | None,
    roads: RoadLines,
    warnings: list[Warning],
) -> Device:
    """The device of one feature, with the catalogue's defaults for what the data leaves out."""
    kind = f.kind
    # a blank cell (None, or NaN from pandas) means the kind's default
    props = {
        k: v
        for k, v in f.props.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    }
    spec = CATALOGUE[kind]
    sub = props.pop("subkind", None)
    if kind == "camera":
        if sub not in CAMERA_DEFAULTS:
            if sub is not None:
                warnings.append(
                    Warning(f.source, f.id, f"unknown camera sub-kind {sub!r}", "set to hd")
                )
            sub = "hd"
        defaults = CAMERA_DEFAULTS[sub]
    else:
        sub, defaults = None, {"mount_height": spec.mount_height}
    mh = props.pop("mount_height", None)
    mh = defaults["mount_height"] if mh is None else float(mh)
    if mh > MAX_MOUNT_HEIGHT or mh < 0:
        clamped = min(max(mh, 0.0), MAX_MOUNT_HEIGHT)
        warnings.append(
            Warning(f.source, f.id, f"mount height {mh:g} m is absurd", f"clamped to {clamped:g} m")
        )
        mh = clamped
    heading = props.pop("heading", None)
    fov = props.pop("fov", None)
    tilt = props.pop("tilt", None)
    if kind == "camera":
        if heading is None and sub != "panorama" and road_tree is not None:
            heading = face_nearest_road(f.x, f.y, road_tree, roads)
            props["heading_source"] = "nearest_road"
        if fov is not None and not (0 < fov <= 360):
            warnings.append(
                Warning(
                    f.source,
                    f.id,
                    f"field of view {fov:g} deg is impossible",
                    f"set to {defaults['fov']:g}",
                )
            )
            fov = None
        if tilt is not None and not (-90 <= tilt <= 90):
            warnings.append(
                Warning(
                    f.source,
                    f.id,
                    f"tilt {tilt:g} deg is impossible",
                    f"set to {defaults['tilt']:g}",
                )
            )
            tilt = None
        fov = _optics(f, props, fov, warnings)
        fov = defaults["fov"] if fov is None else fov
        tilt = defaults["tilt"] if tilt is None else tilt
    return Device(
        f.id,
        kind,
        f.name,
        round(float(f.x), 4),
        round(float(f.y), 4),
        round(float(f.z), 4),
        lon,
        lat,
        mh,
        float(heading or 0.0) % 360.0,
        fov,
        tilt,
        sub,
        f.synthetic,
        f.source,
        props,
    )


_MEGAPIXELS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:mp|m|megapixels?|百万像素)\s*$", re.I)
_WAN = re.compile(r"^\s*(\d+)\s*万(?:像素)?\s*$")  # 400万像素: four million pixels
_WXH = re.compile(r"^\s*(\d{3,5})\s*[x×*]\s*(\d{3,5})\s*$", re.I)


def parse_resolution(text: str) -> tuple[int, int] | None:
    """A camera resolution: ``1920x1080`` (also × or *), ``4MP``, ``4 megapixels`` or
    ``400万像素`` -> (width, height) pixels; None when it is none of these."""
    m = _WXH.match(text)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = _MEGAPIXELS.match(text)
    mp = float(m.group(1)) if m else None
    m = _WAN.match(text)
    if m:
        mp = int(m.group(1)) / 100
    if mp is None:
        return None
    key = f"{mp:g}mp"
    if key in MEGAPIXEL_RESOLUTIONS:
        return MEGAPIXEL_RESOLUTIONS[key]
    w = round(math.sqrt(mp * 1e6 * 16 / 9))  # an uncommon size: 16:9 of that many pixels
    return w, round(w * 9 / 16)


def _optics(f: DeviceFeature, props: dict[str, Any], fov: float | None, warnings: list) -> Any:
    """A device list's ``resolution`` (kept as ``resolution_px``) and ``lens`` (mm, giving the
    field of view when the list gives none); bad values are told and the defaults used."""
    res = props.pop("resolution", None)
    if res is not None:
        wh = parse_resolution(str(res))
        if wh is None or not (320 <= wh[0] <= 16384 and 240 <= wh[1] <= 16384):
            warnings.append(
                Warning(
                    f.source,
                    f.id,
                    f"resolution {res!r} is not WIDTHxHEIGHT or megapixels (4MP)",
                    "the sub-kind's default resolution used",
                )
            )
        else:
            props["resolution_px"] = [wh[0], wh[1]]
    lens = props.pop("lens", None)
    if lens is not None:
        mm = parse_number(str(lens).lower().replace("mm", "").strip())
        if mm is None or not 0.5 <= mm <= 500:
            warnings.append(
                Warning(
                    f.source,
                    f.id,
                    f"lens {lens!r} is not a focal length in mm",
                    "the field of view is the sub-kind's default",
                )
            )
        else:
            props["lens_mm"] = mm
            if fov is None:
                fov = math.degrees(2 * math.atan(CAMERA_SENSOR_WIDTH_MM / (2 * mm)))
                props["fov_source"] = "lens"
    return fov


def face_nearest_road(x: float, y: float, tree: STRtree, lines: RoadLines) -> float:
    """The heading (degrees clockwise from north) from ``(x, y)`` to the nearest road."""
    p = shapely.Point(x, y)
    i = int(tree.nearest(p))
    q = shapely.line_interpolate_point(lines[i][0], shapely.line_locate_point(lines[i][0], p))
    dx, dy = q.x - x, q.y - y
    if math.hypot(dx, dy) < 0.5:
        return 0.0
    return math.degrees(math.atan2(dx, dy)) % 360.0
