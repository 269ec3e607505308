"""The ``[community]`` table of scene files: the community's boundary, closed or open, its road
classes and entrances, as the file gives them (``twin.ingest.community`` builds the
:class:`twin.scene.community.Community` from it). See the README, "Community"."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.core.errors import checked_number as _number
from twin.scene.community import ENTRANCE_USES
from twin.scene.entities import ROAD_CLASS


@dataclass
class EntranceSpec:
    """An entrance given by hand (a ``[[community.entrances]]`` table)."""

    name: str
    lon: float
    lat: float
    use: str = "both"
    """``vehicle``, ``pedestrian`` or ``both``."""
    heading: float | None = None
    """Degrees clockwise from north of travel into the community; None: found from the road
    crossing the boundary there, if any."""


@dataclass
class CommunitySpec:
    """The ``[community]`` table: the boundary (exactly one of ``boundary``, ``boundary_file``,
    ``boundary_osm``), closed or open, road classes, entrances. See the README, "Community"."""

    boundary: list[tuple[float, float]] | None = None
    """A lon / lat ring (WGS84)."""
    boundary_file: Path | None = None
    """A GIS file whose polygons, unioned, are the boundary."""
    boundary_crs: str | None = None
    """CRS of ``boundary_file`` when it declares none."""
    boundary_osm: str | None = None
    """An area of the scene's OSM sources: its name, ``way/N`` or ``relation/N``."""
    closed: bool = False
    main_roads: tuple[str, ...] | None = None
    """OSM highway classes; None: ``twin.scene.community.MAIN_ROADS_DEFAULT``."""
    important_roads: tuple[str, ...] | None = None
    """None: ``twin.scene.community.IMPORTANT_ROADS_DEFAULT``."""
    find_entrances: bool | None = None
    """Find entrances from OSM nodes and road crossings; None: only when none are given."""
    entrances: list[EntranceSpec] = field(default_factory=list)

    @property
    def finds_entrances(self) -> bool:
        """Whether entrances are found from the data (``find_entrances``, else when none are
        given)."""
        return not self.entrances if self.find_entrances is None else self.find_entrances


_COMMUNITY_KEYS = {
    "boundary",
    "boundary_file",
    "boundary_crs",
    "boundary_osm",
    "closed",
    "main_roads",
    "important_roads",
    "find_entrances",
    "entrances",
}
_ENTRANCE_KEYS = {"name", "lon", "lat", "use", "heading"}
_FORMS = 'boundary = [[lon, lat], ...], boundary_file = "FILE" or boundary_osm = "NAME"'


def community_from_dict(c: Any, where: str, rel: Any) -> CommunitySpec:
    """The ``[community]`` table ``c`` of scene file ``where`` (``rel``: a path of the file,
    resolved from it); InputError when wrong."""
    if not isinstance(c, dict):
        raise InputError(
            where, "'community' must be a [community] table.", 'See the README, "Community".'
        )
    extra = sorted(set(c) - _COMMUNITY_KEYS)
    if extra:
        raise InputError(
            where,
            f"[community] has unknown key(s) {', '.join(extra)}.",
            f"Use only {', '.join(sorted(_COMMUNITY_KEYS))}.",
        )
    forms = [k for k in ("boundary", "boundary_file", "boundary_osm") if c.get(k) is not None]
    if len(forms) != 1:
        raise InputError(
            where,
            "[community] has no boundary."
            if not forms
            else f"[community] has {len(forms)} boundaries ({', '.join(forms)}).",
            f"Give exactly one: {_FORMS}.",
        )
    spec = CommunitySpec()
    if "boundary" in forms:
        ring = c["boundary"]
        if not isinstance(ring, list):
            raise InputError(
                where,
                f"community.boundary is {ring!r}, not a list of [lon, lat] vertices.",
                "Write it as boundary = [[lon, lat], [lon, lat], [lon, lat], ...].",
            )
        verts: list[tuple[float, float]] = []
        for j, p in enumerate(ring):
            if not isinstance(p, list) or len(p) != 2:
                raise InputError(
                    where,
                    f"community.boundary vertex {j + 1} is {p!r}, not [lon, lat].",
                    "Write each vertex as [lon, lat] in degrees (WGS84).",
                )
            at = f"community.boundary vertex {j + 1}"
            verts.append(
                (
                    _number(p[0], f"{at}: lon", where, -180, 180),
                    _number(p[1], f"{at}: lat", where, -90, 90),
                )
            )
        if len(verts) > 1 and verts[0] == verts[-1]:
            verts.pop()
        if len(set(verts)) < 3:
            raise InputError(
                where,
                f"community.boundary has {len(set(verts))} distinct vertices.",
                "Give at least 3 [lon, lat] vertices.",
            )
        spec.boundary = verts
    elif "boundary_file" in forms:
        f = c["boundary_file"]
        if not isinstance(f, str) or not f.strip():
            raise InputError(
                where,
                f"community.boundary_file is {f!r}.",
                'Give a path, e.g. boundary_file = "boundary.geojson".',
            )
        spec.boundary_file = rel(f, "community.boundary_file")
    else:
        o = c["boundary_osm"]
        if not isinstance(o, str) or not o.strip():
            raise InputError(
                where,
                f"community.boundary_osm is {o!r}.",
                'Give an OSM area\'s name or id, e.g. boundary_osm = "way/123".',
            )
        spec.boundary_osm = o.strip()
    crs = c.get("boundary_crs")
    if crs is not None:
        if not isinstance(crs, str) or spec.boundary_file is None:
            raise InputError(
                where,
                "community.boundary_crs is only for a boundary_file, as a string.",
                'Drop it, or write boundary_crs = "EPSG:N" next to boundary_file.',
            )
        spec.boundary_crs = crs
    for key in ("closed", "find_entrances"):
        v = c.get(key)
        if v is not None and not isinstance(v, bool):
            raise InputError(
                where, f"community.{key} is {v!r}.", f"Write {key} = true or {key} = false."
            )
    spec.closed = bool(c.get("closed", False))
    spec.find_entrances = c.get("find_entrances")
    spec.main_roads = _road_classes(c, "main_roads", where)
    spec.important_roads = _road_classes(c, "important_roads", where)
    ents = c.get("entrances", [])
    if not isinstance(ents, list):
        raise InputError(
            where,
            "community.entrances must be [[community.entrances]] tables.",
            'See the README, "Community".',
        )
    for j, e in enumerate(ents):
        at = f"community entrance {j + 1}"
        if not isinstance(e, dict):
            raise InputError(
                where,
                f"{at} must be a [[community.entrances]] table.",
                'See the README, "Community".',
            )
        extra = sorted(set(e) - _ENTRANCE_KEYS)
        if extra:
            raise InputError(
                where,
                f"{at} has unknown key(s) {', '.join(extra)}.",
                f"Use only {', '.join(sorted(_ENTRANCE_KEYS))}.",
            )
        if e.get("lon") is None or e.get("lat") is None:
            raise InputError(where, f"{at} needs lon and lat.", "Add them, in degrees (WGS84).")
        name = e.get("name", f"entrance {j + 1}")
        if not isinstance(name, str) or not name.strip():
            raise InputError(
                where, f"{at}: name is {name!r}.", 'Give it a name, e.g. name = "North gate".'
            )
        use = e.get("use", "both")
        if use not in ENTRANCE_USES:
            raise InputError(
                where,
                f"{at} ({name}): use is {use!r}.",
                f"Use one of {', '.join(ENTRANCE_USES)}.",
            )
        heading = e.get("heading")
        spec.entrances.append(
            EntranceSpec(
                name.strip(),
                _number(e["lon"], f"{at}: lon", where, -180, 180),
                _number(e["lat"], f"{at}: lat", where, -90, 90),
                use,
                None if heading is None else _number(heading, f"{at}: heading", where) % 360.0,
            )
        )
    return spec


def _road_classes(c: dict[str, Any], key: str, where: str) -> tuple[str, ...] | None:
    v = c.get(key)
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InputError(
            where,
            f"community.{key} is {v!r}, not a list of OSM highway classes.",
            f'Write it like {key} = ["primary", "secondary", "residential"].',
        )
    for x in v:
        if x not in ROAD_CLASS:
            close = difflib.get_close_matches(x, list(ROAD_CLASS), n=3)
            raise InputError(
                where,
                f"community.{key}: {x!r} is not an OSM highway class of a road"
                + (f" (did you mean {', '.join(close)}?)." if close else "."),
                f"Use OSM highway=* values: {', '.join(ROAD_CLASS)}.",
            )
    return tuple(dict.fromkeys(v))


def community_to_dict(c: CommunitySpec, rel: Any) -> dict[str, Any]:
    """The ``[community]`` table of ``c`` (``rel``: a path as the scene file writes it)."""
    out: dict[str, Any] = {}
    if c.boundary is not None:
        out["boundary"] = [[lon, lat] for lon, lat in c.boundary]
    if c.boundary_file is not None:
        out["boundary_file"] = rel(c.boundary_file)
    if c.boundary_crs is not None:
        out["boundary_crs"] = c.boundary_crs
    if c.boundary_osm is not None:
        out["boundary_osm"] = c.boundary_osm
    out["closed"] = c.closed
    if c.main_roads is not None:
        out["main_roads"] = list(c.main_roads)
    if c.important_roads is not None:
        out["important_roads"] = list(c.important_roads)
    if c.find_entrances is not None:
        out["find_entrances"] = c.find_entrances
    if c.entrances:
        out["entrances"] = [
            {k: v for k, v in vars(e).items() if v is not None} for e in c.entrances
        ]
    return out
