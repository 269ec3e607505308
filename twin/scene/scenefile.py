"""Scene files: TOML in ``scenes/`` describing sources, frame, clip, device layers and views.

Paths inside a scene file are relative to the file. See the README for the format.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from twin.core.errors import InputError


@dataclass
class SourceSpec:
    """A GIS source: OSM, GeoJSON, GeoPackage, Shapefile, CityJSON."""

    path: Path
    crs: str | None = None
    """CRS of the file when it declares none (or to override a wrong one)."""
    layer: str | None = None


@dataclass
class DeviceLayerSpec:
    """A device list: GeoJSON, GeoPackage, CSV or Excel."""

    path: Path
    crs: str | None = None
    """CRS of x / y columns (CSV / Excel); lon / lat columns are always WGS84."""
    sheet: str | None = None
    kind: str | None = None
    """Kind of every row when the list has no ``kind`` column."""


@dataclass
class IfcSpec:
    """An IFC model and, optionally, where to put it (which always wins over its own
    georeference)."""

    path: Path
    lon: float | None = None
    lat: float | None = None
    rotation: float = 0.0
    """Degrees clockwise from north that the model's +Y axis points."""
    elevation: float = 0.0
    """Metres the model's z = 0 is lifted above the ground."""

    @property
    def placed(self) -> bool:
        return self.lon is not None and self.lat is not None


@dataclass
class ClipSpec:
    bbox: tuple[float, float, float, float] | None = None
    """W, S, E, N in degrees (WGS84)."""
    polygon: list[tuple[float, float]] | None = None
    """Polygon vertices (lon, lat)."""
    polygon_file: Path | None = None
    """A GIS file whose polygons form the clip area."""

    @property
    def active(self) -> bool:
        return bool(self.bbox or self.polygon or self.polygon_file)


@dataclass
class ViewSpec:
    """A view bookmark: where the camera looks from."""

    name: str
    lon: float
    lat: float
    distance: float = 400.0
    heading: float = 0.0
    """Degrees clockwise from north, the direction the camera looks."""
    pitch: float = 45.0
    """Degrees below horizontal."""


@dataclass
class SceneSpec:
    name: str
    path: Path | None = None
    crs: str | None = None
    origin: tuple[float, float] | None = None
    sources: list[SourceSpec] = field(default_factory=list)
    devices: list[DeviceLayerSpec] = field(default_factory=list)
    ifc: list[IfcSpec] = field(default_factory=list)
    clip: ClipSpec = field(default_factory=ClipSpec)
    fill_devices: bool = False
    views: list[ViewSpec] = field(default_factory=list)
    timezone: str | None = None
    """IANA time zone of the community (day / night rules, the simulator's days); None: the
    machine's local time."""
    mqtt_prefix: str | None = None
    """Topic prefix of the live feed; None: ``twin/{name}``."""

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def _floats(value: Any, n: int, where: str, what: str) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        out = ()
    if len(out) != n:
        raise InputError(where, f"'{what}' must be {n} numbers, got {value!r}.")
    return out


def _valid_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def load_scene_spec(path: str | Path) -> SceneSpec:
    """Read a scene file; raises :class:`InputError` naming what is wrong."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such scene file.", "Check the path, or create one with `twin new-scene`.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a valid TOML scene file ({exc}).", "See the README's scene file format.") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror}).") from None
    return spec_from_dict(data, path)


def spec_from_dict(data: dict[str, Any], path: Path | None = None) -> SceneSpec:
    where = str(path) if path else "scene"
    base = path.parent if path else Path.cwd()

    def rel(p: Any, key: str) -> Path:
        if not isinstance(p, str) or not p:
            raise InputError(where, f"'{key}' needs a 'path' string.")
        q = Path(p).expanduser()
        return q if q.is_absolute() else (base / q)

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(where, "the scene has no 'name'.", 'Add a line such as name = "My community".')
    origin = data.get("origin")
    spec = SceneSpec(
        name=name.strip(),
        path=path,
        crs=data.get("crs") or None,
        origin=_floats(origin, 2, where, "origin") if origin is not None else None,  # type: ignore[arg-type]
        fill_devices=bool(data.get("fill_devices", False)),
    )
    tz = data.get("timezone")
    if tz is not None:
        if not isinstance(tz, str) or not _valid_zone(tz):
            raise InputError(where, f"timezone {tz!r} is not an IANA time zone name.",
                             'Write it like timezone = "Asia/Shanghai" or "Europe/Helsinki".')
        spec.timezone = tz
    mqtt = data.get("mqtt") or {}
    prefix = mqtt.get("prefix") if isinstance(mqtt, dict) else None
    if prefix is not None:
        if not isinstance(prefix, str) or not prefix.strip("/ ") or any(c in prefix for c in "+#"):
            raise InputError(where, f"mqtt.prefix {prefix!r} is not a usable topic prefix.",
                             'Use a topic path without wildcards, e.g. prefix = "estate/nanshan".')
        spec.mqtt_prefix = prefix.strip().strip("/")
    for i, s in enumerate(data.get("sources", [])):
        if not isinstance(s, dict):
            raise InputError(where, f"sources[{i}] must be a table with a 'path'.")
        spec.sources.append(SourceSpec(rel(s.get("path"), f"sources[{i}]"), s.get("crs"), s.get("layer")))
    for i, d in enumerate(data.get("devices", [])):
        if not isinstance(d, dict):
            raise InputError(where, f"devices[{i}] must be a table with a 'path'.")
        spec.devices.append(
            DeviceLayerSpec(rel(d.get("path"), f"devices[{i}]"), d.get("crs"), d.get("sheet"), d.get("kind"))
        )
    for i, m in enumerate(data.get("ifc", [])):
        if not isinstance(m, dict):
            raise InputError(where, f"ifc[{i}] must be a table with a 'path'.")
        try:
            lon = None if m.get("lon") is None else float(m["lon"])
            lat = None if m.get("lat") is None else float(m["lat"])
            ifc = IfcSpec(rel(m.get("path"), f"ifc[{i}]"), lon, lat, float(m.get("rotation", 0.0)),
                          float(m.get("elevation", 0.0)))
        except (TypeError, ValueError):
            raise InputError(where, f"ifc[{i}]: lon, lat, rotation and elevation must be numbers.") from None
        if (lon is None) != (lat is None) or (ifc.placed and not (-180 <= lon <= 180 and -90 <= lat <= 90)):  # type: ignore[operator]
            raise InputError(where, f"ifc[{i}] needs both lon and lat, in degrees.")
        spec.ifc.append(ifc)
    clip = data.get("clip") or {}
    if clip:
        bbox = clip.get("bbox")
        poly = clip.get("polygon")
        spec.clip = ClipSpec(
            bbox=_floats(bbox, 4, where, "clip.bbox") if bbox is not None else None,  # type: ignore[arg-type]
            polygon=[_floats(p, 2, where, "clip.polygon vertex") for p in poly] if isinstance(poly, list) else None,  # type: ignore[misc]
            polygon_file=rel(poly, "clip.polygon") if isinstance(poly, str) else None,
        )
    for i, v in enumerate(data.get("views", [])):
        try:
            spec.views.append(
                ViewSpec(str(v["name"]), float(v["lon"]), float(v["lat"]), float(v.get("distance", 400)),
                         float(v.get("heading", 0)), float(v.get("pitch", 45)))
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(where, f"views[{i}] needs name, lon, lat (and optional distance, heading, pitch).") from None
    return spec


def spec_to_dict(spec: SceneSpec, relative_to: Path) -> dict[str, Any]:
    def rel(p: Path) -> str:
        try:
            return Path(_relpath(p.resolve(), relative_to.resolve())).as_posix()
        except ValueError:
            return p.resolve().as_posix()

    out: dict[str, Any] = {"name": spec.name}
    if spec.crs:
        out["crs"] = spec.crs
    if spec.origin:
        out["origin"] = [round(spec.origin[0], 9), round(spec.origin[1], 9)]
    out["fill_devices"] = spec.fill_devices
    if spec.timezone:
        out["timezone"] = spec.timezone
    if spec.mqtt_prefix:
        out["mqtt"] = {"prefix": spec.mqtt_prefix}
    if spec.clip.active:
        clip: dict[str, Any] = {}
        if spec.clip.bbox:
            clip["bbox"] = list(spec.clip.bbox)
        if spec.clip.polygon:
            clip["polygon"] = [list(p) for p in spec.clip.polygon]
        if spec.clip.polygon_file:
            clip["polygon"] = rel(spec.clip.polygon_file)
        out["clip"] = clip
    out["sources"] = [
        {k: v for k, v in {"path": rel(s.path), "crs": s.crs, "layer": s.layer}.items() if v}
        for s in spec.sources
    ]
    if spec.devices:
        out["devices"] = [
            {k: v for k, v in {"path": rel(d.path), "crs": d.crs, "sheet": d.sheet, "kind": d.kind}.items() if v}
            for d in spec.devices
        ]
    if spec.ifc:
        out["ifc"] = [
            {"path": rel(m.path), **({"lon": m.lon, "lat": m.lat, "rotation": m.rotation, "elevation": m.elevation}
                                     if m.placed else {})}
            for m in spec.ifc
        ]
    if spec.views:
        out["views"] = [vars(v).copy() for v in spec.views]
    return out


def _relpath(p: Path, base: Path) -> str:
    return os.path.relpath(p, base)


def save_scene_spec(spec: SceneSpec, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Scene file of the community twin. Paths are relative to this file; see README.md.\n"
    path.write_text(header + tomli_w.dumps(spec_to_dict(spec, path.parent)), encoding="utf-8")
