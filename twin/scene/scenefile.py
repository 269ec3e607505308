"""Scene files: TOML in ``scenes/`` describing sources, frame, clip, device layers and views.

Paths inside a scene file are relative to the file. See the README for the format.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from twin.core.errors import InputError
from twin.core.errors import checked_number as _number
from twin.scene.catalogue import CATALOGUE
from twin.scene.communityfile import CommunitySpec, community_from_dict, community_to_dict
from twin.scene.people import RETENTION_DAYS
from twin.scene.views import VIEWS


@dataclass
class SourceSpec:
    """A GIS source: OSM, GeoJSON, GeoPackage, Shapefile, CityJSON."""

    path: Path
    crs: str | None = None
    """CRS of the file when it declares none (or to override a wrong one)."""
    layer: str | None = None
    height_unit: str | None = None
    """Unit of bare height numbers (``m``, ``ft``, ``us-ft``, ``cm``, ``mm``) when the data does
    not declare one."""


@dataclass
class DeviceLayerSpec:
    """A device list: GeoJSON, GeoPackage, CSV or Excel."""

    path: Path
    crs: str | None = None
    """CRS of x / y columns (CSV / Excel); lon / lat columns are always WGS84."""
    sheet: str | None = None
    kind: str | None = None
    """Kind of every row when the list has no ``kind`` column."""
    replaces: list[str] = field(default_factory=list)
    """Device kinds this list holds all of: devices of these kinds from every other source are
    left out (a planner's edited camera layout, ``replaces = ["camera"]``)."""


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
        """Whether the model is placed by hand (lon / lat given)."""
        return self.lon is not None and self.lat is not None


@dataclass
class ClipSpec:
    """The area a scene is clipped to: a lon / lat box or a polygon file."""

    bbox: tuple[float, float, float, float] | None = None
    """W, S, E, N in degrees (WGS84)."""
    polygon: list[tuple[float, float]] | None = None
    """Polygon vertices (lon, lat)."""
    polygon_file: Path | None = None
    """A GIS file whose polygons form the clip area."""

    @property
    def active(self) -> bool:
        """Whether any clip is set."""
        return bool(self.bbox or self.polygon or self.polygon_file)


@dataclass
class BookmarkSpec:
    """A camera bookmark (a `[[views]]` table of the scene file): where the camera looks from.
    Not a situational view: those are `twin.scene.views`."""

    name: str
    lon: float
    lat: float
    distance: float = 400.0
    heading: float = 0.0
    """Degrees clockwise from north, the direction the camera looks."""
    pitch: float = 45.0
    """Degrees below horizontal."""


@dataclass
class KeyframeSpec:
    """One stop of a tour: the situational ``view`` shown and where the camera is.

    The camera is a ``bookmark`` (a ``[[views]]`` name), or ``lon`` / ``lat`` with optional
    ``distance`` / ``heading`` / ``pitch`` (like a bookmark), or neither: the whole scene framed
    (overview framing). ``distance`` / ``heading`` / ``pitch`` given with a bookmark or with
    overview framing override theirs. ``hold`` / ``travel`` (seconds) default to the tour's;
    ``travel`` is the flight that arrives at this keyframe. Unset fields are None."""

    view: str = "overview"
    bookmark: str | None = None
    lon: float | None = None
    lat: float | None = None
    distance: float | None = None
    heading: float | None = None
    pitch: float | None = None
    hold: float | None = None
    travel: float | None = None


@dataclass
class TourSpec:
    """A camera tour (kiosk mode, ``twin record``): keyframes visited in order, then looping."""

    name: str
    hold: float = 8.0
    """Default seconds each keyframe is held."""
    travel: float = 4.0
    """Default seconds of camera flight between keyframes."""
    keyframes: list[KeyframeSpec] = field(default_factory=list)

    def hold_of(self, k: KeyframeSpec) -> float:
        """Seconds the tour holds keyframe ``k`` (its own or the tour's)."""
        return self.hold if k.hold is None else k.hold

    def travel_of(self, k: KeyframeSpec) -> float:
        """Seconds the tour takes to reach keyframe ``k`` (its own or the tour's)."""
        return self.travel if k.travel is None else k.travel


@dataclass
class PeopleSpec:
    """The ``[people]`` table: the residents / visitors register and the retention of access
    events."""

    register: Path | None = None
    sheet: str | None = None
    retention_days: float = RETENTION_DAYS


@dataclass
class SceneSpec:
    """A scene file's contents: name, frame, sources, devices, IFC models, clip, views, tours,
    community."""

    name: str
    path: Path | None = None
    crs: str | None = None
    origin: tuple[float, float] | None = None
    sources: list[SourceSpec] = field(default_factory=list)
    devices: list[DeviceLayerSpec] = field(default_factory=list)
    ifc: list[IfcSpec] = field(default_factory=list)
    clip: ClipSpec = field(default_factory=ClipSpec)
    fill_devices: bool = False
    views: list[BookmarkSpec] = field(default_factory=list)
    timezone: str | None = None
    """IANA time zone of the community (day / night rules, the simulator's days); None: the
    machine's local time."""
    mqtt_prefix: str | None = None
    """Topic prefix of the live feed; None: ``twin/{name}``."""
    tours: list[TourSpec] = field(default_factory=list)
    """Camera tours of the file (``[[tours]]``); see :func:`twin.scene.tour.tour_specs` for the
    default tour every scene has."""
    community: CommunitySpec | None = None
    """The ``[community]`` table; None: the defaults (the scene's extent, open, no entrances)."""
    people: PeopleSpec = field(default_factory=PeopleSpec)

    @property
    def base_dir(self) -> Path:
        """The folder relative paths of the scene file are resolved from."""
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
        raise InputError(
            path, "no such scene file.", "Check the path, or create one with `twin new-scene`."
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            path, f"not a valid TOML scene file ({exc}).", "See the README's scene file format."
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror}).") from None
    return spec_from_dict(data, path)


def spec_from_dict(data: dict[str, Any], path: Path | None = None) -> SceneSpec:
    """A SceneSpec from parsed TOML (``path``: the file, for relative paths and messages);
    InputError when wrong."""
    where = str(path) if path else "scene"
    base = path.parent if path else Path.cwd()

    def rel(p: Any, key: str) -> Path:
        if not isinstance(p, str) or not p:
            raise InputError(where, f"'{key}' needs a 'path' string.")
        q = Path(p).expanduser()
        return q if q.is_absolute() else (base / q)

    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            where, "the scene has no 'name'.", 'Add a line such as name = "My community".'
        )
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
            raise InputError(
                where,
                f"timezone {tz!r} is not an IANA time zone name.",
                'Write it like timezone = "Asia/Shanghai" or "Europe/Helsinki".',
            )
        spec.timezone = tz
    mqtt = data.get("mqtt") or {}
    prefix = mqtt.get("prefix") if isinstance(mqtt, dict) else None
    if prefix is not None:
        if not isinstance(prefix, str) or not prefix.strip("/ ") or any(c in prefix for c in "+#"):
            raise InputError(
                where,
                f"mqtt.prefix {prefix!r} is not a usable topic prefix.",
                'Use a topic path without wildcards, e.g. prefix = "estate/nanshan".',
            )
        spec.mqtt_prefix = prefix.strip().strip("/")
    spec.people = _people(data.get("people"), where, rel)
    for i, s in enumerate(data.get("sources", [])):
        if not isinstance(s, dict):
            raise InputError(where, f"sources[{i}] must be a table with a 'path'.")
        hu = s.get("height_unit")
        if hu is not None and not isinstance(hu, str):
            raise InputError(where, f'sources[{i}].height_unit must be a unit name such as "ft".')
        spec.sources.append(
            SourceSpec(rel(s.get("path"), f"sources[{i}]"), s.get("crs"), s.get("layer"), hu)
        )
    for i, d in enumerate(data.get("devices", [])):
        if not isinstance(d, dict):
            raise InputError(where, f"devices[{i}] must be a table with a 'path'.")
        replaces = d.get("replaces", [])
        if not isinstance(replaces, list) or not all(
            isinstance(k, str) and k in CATALOGUE for k in replaces
        ):
            raise InputError(
                where,
                f"devices[{i}].replaces is {replaces!r}, not a list of device kinds.",
                f'Write e.g. replaces = ["camera"] (kinds: {", ".join(CATALOGUE)}).',
            )
        spec.devices.append(
            DeviceLayerSpec(
                rel(d.get("path"), f"devices[{i}]"),
                d.get("crs"),
                d.get("sheet"),
                d.get("kind"),
                list(replaces),
            )
        )
    for i, m in enumerate(data.get("ifc", [])):
        if not isinstance(m, dict):
            raise InputError(where, f"ifc[{i}] must be a table with a 'path'.")
        try:
            lon = None if m.get("lon") is None else float(m["lon"])
            lat = None if m.get("lat") is None else float(m["lat"])
            ifc = IfcSpec(
                rel(m.get("path"), f"ifc[{i}]"),
                lon,
                lat,
                float(m.get("rotation", 0.0)),
                float(m.get("elevation", 0.0)),
            )
        except (TypeError, ValueError):
            raise InputError(
                where, f"ifc[{i}]: lon, lat, rotation and elevation must be numbers."
            ) from None
        if (lon is None) != (lat is None) or (
            ifc.placed and not (-180 <= lon <= 180 and -90 <= lat <= 90)  # type: ignore[operator]
        ):
            raise InputError(where, f"ifc[{i}] needs both lon and lat, in degrees.")
        spec.ifc.append(ifc)
    clip = data.get("clip") or {}
    if clip:
        bbox = clip.get("bbox")
        poly = clip.get("polygon")
        spec.clip = ClipSpec(
            bbox=_floats(bbox, 4, where, "clip.bbox") if bbox is not None else None,  # type: ignore[arg-type]
            polygon=[_floats(p, 2, where, "clip.polygon vertex") for p in poly]  # type: ignore[misc]
            if isinstance(poly, list)
            else None,
            polygon_file=rel(poly, "clip.polygon") if isinstance(poly, str) else None,
        )
    for i, v in enumerate(data.get("views", [])):
        try:
            spec.views.append(
                BookmarkSpec(
                    str(v["name"]),
                    float(v["lon"]),
                    float(v["lat"]),
                    float(v.get("distance", 400)),
                    float(v.get("heading", 0)),
                    float(v.get("pitch", 45)),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(
                where, f"views[{i}] needs name, lon, lat (and optional distance, heading, pitch)."
            ) from None
    tours = data.get("tours", [])
    if not isinstance(tours, list):
        raise InputError(
            where, "'tours' must be [[tours]] tables.", "See the README's scene file format."
        )
    names = {v.name for v in spec.views}
    for i, t in enumerate(tours):
        tour = _tour_from_dict(t, i, names, where)
        if any(o.name == tour.name for o in spec.tours):
            raise InputError(
                where, f"two tours are named {tour.name!r}.", "Give every [[tours]] its own name."
            )
        spec.tours.append(tour)
    if "community" in data:
        spec.community = community_from_dict(data["community"], where, rel)
    return spec


_TOUR_KEYS = {"name", "hold", "travel", "keyframes"}
_KEYFRAME_KEYS = {
    "view",
    "bookmark",
    "lon",
    "lat",
    "distance",
    "heading",
    "pitch",
    "hold",
    "travel",
}


def _tour_from_dict(t: Any, i: int, bookmarks: set[str], where: str) -> TourSpec:
    if not isinstance(t, dict):
        raise InputError(
            where, f"tours[{i}] must be a [[tours]] table.", "See the README's scene file format."
        )
    name = t.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            where, f"tours[{i}] has no 'name'.", 'Add a line such as name = "exhibition".'
        )
    label = f"tour {name.strip()!r}"
    extra = sorted(set(t) - _TOUR_KEYS)
    if extra:
        raise InputError(
            where,
            f"{label} has unknown key(s) {', '.join(extra)}.",
            f"Use only {', '.join(sorted(_TOUR_KEYS))}.",
        )
    tour = TourSpec(
        name.strip(),
        _number(t.get("hold", 8.0), f"{label}: hold", where, 0),
        _number(t.get("travel", 4.0), f"{label}: travel", where, 0),
    )
    frames = t.get("keyframes")
    if not isinstance(frames, list) or not frames:
        raise InputError(
            where, f"{label} has no keyframes.", "Add [[tours.keyframes]] tables after it."
        )
    for j, k in enumerate(frames):
        at = f"{label}, keyframe {j + 1}"
        if not isinstance(k, dict):
            raise InputError(
                where,
                f"{at} must be a [[tours.keyframes]] table.",
                "See the README's scene file format.",
            )
        extra = sorted(set(k) - _KEYFRAME_KEYS)
        if extra:
            raise InputError(
                where,
                f"{at} has unknown key(s) {', '.join(extra)}.",
                f"Use only {', '.join(sorted(_KEYFRAME_KEYS))}.",
            )
        view = k.get("view", "overview")
        if view not in VIEWS:
            raise InputError(
                where, f"{at}: unknown view {view!r}.", f"Use one of {', '.join(VIEWS)}."
            )
        bookmark = k.get("bookmark")
        if bookmark is not None and (not isinstance(bookmark, str) or bookmark not in bookmarks):
            have = ", ".join(sorted(bookmarks)) or "none"
            raise InputError(
                where,
                f"{at}: unknown bookmark {bookmark!r}.",
                f"Use a [[views]] name (bookmarks: {have}), or give lon and lat.",
            )
        if (k.get("lon") is None) != (k.get("lat") is None):
            raise InputError(
                where, f"{at} needs both lon and lat.", "Add the missing one, or use a bookmark."
            )
        if bookmark is not None and k.get("lon") is not None:
            raise InputError(where, f"{at} has both a bookmark and lon / lat.", "Drop one of them.")

        def opt(
            key: str,
            lo: float | None = None,
            hi: float | None = None,
            lo_open: bool = False,
            k: dict[str, Any] = k,
            at: str = at,
        ) -> float | None:
            v = k.get(key)
            return None if v is None else _number(v, f"{at}: {key}", where, lo, hi, lo_open)

        tour.keyframes.append(
            KeyframeSpec(
                view=view,
                bookmark=bookmark,
                lon=opt("lon", -180, 180),
                lat=opt("lat", -90, 90),
                distance=opt("distance", 0, None, True),
                heading=opt("heading"),
                pitch=opt("pitch", 0, 90, True),
                hold=opt("hold", 0),
                travel=opt("travel", 0),
            )
        )
    if sum(tour.hold_of(k) + tour.travel_of(k) for k in tour.keyframes) <= 0:
        raise InputError(where, f"{label} lasts 0 seconds.", "Give it a hold above 0.")
    return tour


def tour_to_dict(tour: TourSpec) -> dict[str, Any]:
    """The ``[[tours]]`` table of ``tour`` (unset keyframe fields left out)."""
    return {
        "name": tour.name,
        "hold": tour.hold,
        "travel": tour.travel,
        "keyframes": [{k: v for k, v in vars(f).items() if v is not None} for f in tour.keyframes],
    }


def _people(t: Any, where: str, rel: Callable[[Any, str], Path]) -> PeopleSpec:
    if t is None:
        return PeopleSpec()
    if not isinstance(t, dict):
        raise InputError(where, "[people] must be a table.", 'Write [people] register = "..."')
    extra = sorted(set(t) - {"register", "sheet", "retention_days"})
    if extra:
        raise InputError(
            where,
            f"[people] has unknown key(s) {', '.join(extra)}.",
            "Use only register, sheet, retention_days.",
        )
    days = _number(t.get("retention_days", RETENTION_DAYS), "people.retention_days", where, 1)
    if days > 3660:
        raise InputError(where, f"people.retention_days {days:g} is more than ten years.")
    sheet = t.get("sheet")
    return PeopleSpec(
        rel(t["register"], "people.register") if "register" in t else None,
        str(sheet) if sheet is not None else None,
        days,
    )


def spec_to_dict(spec: SceneSpec, relative_to: Path) -> dict[str, Any]:
    """The TOML tables of ``spec``, paths relative to ``relative_to``."""

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
    people: dict[str, Any] = {}
    if spec.people.register is not None:
        people["register"] = rel(spec.people.register)
    if spec.people.sheet is not None:
        people["sheet"] = spec.people.sheet
    if spec.people.retention_days != RETENTION_DAYS:
        people["retention_days"] = spec.people.retention_days
    if people:
        out["people"] = people
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
        {
            k: v
            for k, v in {
                "path": rel(s.path),
                "crs": s.crs,
                "layer": s.layer,
                "height_unit": s.height_unit,
            }.items()
            if v
        }
        for s in spec.sources
    ]
    if spec.devices:
        out["devices"] = [
            {
                k: v
                for k, v in {
                    "path": rel(d.path),
                    "crs": d.crs,
                    "sheet": d.sheet,
                    "kind": d.kind,
                    "replaces": d.replaces,
                }.items()
                if v
            }
            for d in spec.devices
        ]
    if spec.ifc:
        out["ifc"] = [
            {
                "path": rel(m.path),
                **(
                    {"lon": m.lon, "lat": m.lat, "rotation": m.rotation, "elevation": m.elevation}
                    if m.placed
                    else {}
                ),
            }
            for m in spec.ifc
        ]
    if spec.views:
        out["views"] = [vars(v).copy() for v in spec.views]
    if spec.tours:
        out["tours"] = [tour_to_dict(t) for t in spec.tours]
    if spec.community is not None:
        out["community"] = community_to_dict(spec.community, rel)
    return out


def _relpath(p: Path, base: Path) -> str:
    return os.path.relpath(p, base)


def save_scene_spec(spec: SceneSpec, path: str | Path) -> None:
    """Write ``spec`` as a scene file at ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Scene file of the community twin. Paths are relative to this file; see README.md.\n"
    path.write_text(header + tomli_w.dumps(spec_to_dict(spec, path.parent)), encoding="utf-8")


# -- bookmarks, edited in place -----------------------------------------------------------------
def _view_table(view: BookmarkSpec) -> str:
    return tomli_w.dumps(
        {
            "views": [
                {
                    "name": view.name,
                    "lon": round(view.lon, 7),
                    "lat": round(view.lat, 7),
                    "distance": round(view.distance, 1),
                    "heading": round(view.heading % 360.0, 1),
                    "pitch": round(view.pitch, 1),
                }
            ]
        }
    )


def _write_text(path: Path, text: str) -> None:
    """Replace ``path``'s text atomically (a crash leaves the old file or the new one)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(
            path, f"cannot be written ({exc.strerror}).", "Check the file's permissions."
        ) from None


def _check_text(path: Path, text: str) -> SceneSpec:
    try:
        return spec_from_dict(tomllib.loads(text), path)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            path,
            f"would not be valid TOML after the edit ({exc}).",
            "Check the file by hand (see the README's scene file format).",
        ) from None


def append_view(path: str | Path, view: BookmarkSpec) -> SceneSpec:
    """Save a bookmark: append a ``[[views]]`` table to the scene file's text, so the user's
    comments and layout stay as they are. Refuses a name already used (or ``overview``);
    the edited file is re-parsed before it is written. Returns the new spec.

    When the file cannot take an appended table (its views written as an inline array), the
    file is rewritten from the parsed spec instead, and its comments are lost."""
    path = Path(path)
    spec = load_scene_spec(path)
    name = view.name.strip()
    if not name or name == "overview" or any(c in name for c in '\n\r"'):
        raise InputError(
            f"bookmark {view.name!r}",
            "is not a usable name.",
            "Give it a short name such as \"north-gate\" (not 'overview').",
        )
    if any(v.name == name for v in spec.views):
        raise InputError(
            f"bookmark {name!r}",
            f"already exists in {path}.",
            "Use another name, or remove it first.",
        )
    if not (
        -180 <= view.lon <= 180
        and -90 <= view.lat <= 90
        and view.distance > 0
        and 0 < view.pitch <= 90
    ):
        raise InputError(
            f"bookmark {name!r}",
            "has a camera out of range.",
            "Check lon / lat (degrees), distance (> 0 m) and pitch (0-90 degrees).",
        )
    view = BookmarkSpec(name, view.lon, view.lat, view.distance, view.heading, view.pitch)
    text = path.read_text(encoding="utf-8")
    new = text + ("" if text.endswith("\n") or not text else "\n") + "\n" + _view_table(view)
    try:
        again = _check_text(path, new)
    except InputError:
        again = None
    if again is None or not any(v.name == name for v in again.views):
        spec.views.append(view)
        save_scene_spec(spec, path)
        return load_scene_spec(path)
    _write_text(path, new)
    return again


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")


def remove_view(path: str | Path, name: str) -> SceneSpec:
    """Delete bookmark ``name`` from the scene file by cutting its ``[[views]]`` table out of
    the text (comments elsewhere stay). Refuses a bookmark a tour uses. When the bookmark is
    not a ``[[views]]`` table of its own (an inline array), the file is rewritten from the
    parsed spec instead, and its comments are lost. Returns the new spec."""
    path = Path(path)
    spec = load_scene_spec(path)
    if not any(v.name == name for v in spec.views):
        have = ", ".join(v.name for v in spec.views) or "none"
        raise InputError(
            f"bookmark {name!r}", f"is not in {path}.", f"Check the name (bookmarks: {have})."
        )
    users = [t.name for t in spec.tours if any(k.bookmark == name for k in t.keyframes)]
    if users:
        raise InputError(
            f"bookmark {name!r}",
            f"is used by tour(s) {', '.join(users)}.",
            "Drop those keyframes from the scene file first.",
        )
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    heads = [i for i, ln in enumerate(lines) if _HEADER.match(ln)]
    for n, start in enumerate(heads):
        if _HEADER.match(lines[start]).group(1).strip() != "views":  # type: ignore[union-attr]
            continue
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        try:
            table = tomllib.loads("".join(lines[start + 1 : end]))
        except tomllib.TOMLDecodeError:
            continue
        if table.get("name") != name:
            continue
        # comment lines right above the next header belong to that table: keep them
        cut = end
        while cut > start + 1 and lines[cut - 1].lstrip().startswith("#"):
            cut -= 1
        kept = lines[:start] + lines[cut:]
        while (
            start > 0
            and start < len(kept)
            and not kept[start - 1].strip()
            and not kept[start].strip()
        ):
            del kept[start]  # no double blank line where the table was
        new = "".join(kept)
        again = _check_text(path, new)
        if any(v.name == name for v in again.views) or len(again.views) != len(spec.views) - 1:
            break
        _write_text(path, new)
        return again
    spec.views = [v for v in spec.views if v.name != name]
    save_scene_spec(spec, path)
    return load_scene_spec(path)
