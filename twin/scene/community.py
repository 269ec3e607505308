"""The community's own geography: its boundary, whether it is closed (fenced) or open (watched
by perimeter cameras), which road classes are its main and important roads, and its entrances.

Plain data, built by ``twin.ingest.community`` from the scene file's ``[community]`` table (see
the README, "Community"); the boundary is kept as WKB in local metres, like building
footprints, so analysis can use shapely without the scene importing it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from twin.scene.entities import ROAD_CLASS, ROAD_CLASSES, Surface

_LINKS = ("motorway", "trunk", "primary", "secondary", "tertiary")

MAIN_ROADS_DEFAULT: frozenset[str] = frozenset(
    [
        *_LINKS,
        *(f"{c}_link" for c in _LINKS),
        "unclassified",
        "residential",
        "living_street",
    ]
)
"""OSM ``highway=*`` classes that are a community's main roads unless its ``[community]`` table
says otherwise: every road cars use to get through or around it, down to residential streets
and living streets (inside a residential community those are its main roads), and not service
roads (driveways, parking aisles), paths or footways."""

IMPORTANT_ROADS_DEFAULT: frozenset[str] = MAIN_ROADS_DEFAULT | {"service", "pedestrian"}
"""Classes of the important roads (the ones HD cameras must cover continuously) by default: the
main roads, plus service roads (the lanes to the buildings' doors and car parks, where a
residential community's vehicle traffic ends) and pedestrian streets and squares (where people
gather). Footways, paths, cycleways and steps are left out: an OSM extract has them along every
street and through every park, and coverage of them would swamp the figure that matters."""

ENTRANCE_USES = ("vehicle", "pedestrian", "both")
"""Who uses an entrance."""

ENTRANCE_MERGE_M = 15.0
"""Entrance candidates (gate nodes, road crossings, the scene file's entrances) this close to an
entrance already made join it: a gate, its carriageway and its sidewalks are one entrance."""

ENTRANCE_NODE_M = 10.0
"""An OSM entrance or gate node is a community entrance when it lies this close to the
boundary line."""

PEDESTRIAN_HIGHWAYS = frozenset(
    [
        "footway",
        "path",
        "pedestrian",
        "steps",
        "cycleway",
        "bridleway",
        "sidewalk",
        "crossing",
        "trail",
    ]
)
"""Road classes whose crossing of the boundary is a pedestrian entrance (cyclists included)."""

SHARED_HIGHWAYS = frozenset(["living_street"])
"""Road classes whose crossing is an entrance for both vehicles and pedestrians."""

STAND_IN_HIGHWAY = {"main": "primary", "minor": "residential", "path": "footway"}
"""The OSM class a road counts as when its data has no OSM ``highway=*`` (a GIS layer's
``road_class`` or ``kind`` column gives it only a road class)."""


def road_highway(road: Surface) -> str:
    """The OSM ``highway=*`` class a road counts as in main / important road classes: its own,
    or the stand-in of its road class (:data:`STAND_IN_HIGHWAY`) when its source had none."""
    hw = road.highway or ""
    if hw in ROAD_CLASS and hw not in ROAD_CLASSES:
        return hw
    return STAND_IN_HIGHWAY.get(road.road_class or "minor", "residential")


def entrance_use(highway: str) -> str:
    """``vehicle``, ``pedestrian`` or ``both``: who crosses the boundary on a road of this OSM
    class (:data:`PEDESTRIAN_HIGHWAYS`, :data:`SHARED_HIGHWAYS`, else cars)."""
    if highway in SHARED_HIGHWAYS:
        return "both"
    if highway in PEDESTRIAN_HIGHWAYS or (ROAD_CLASS.get(highway) == "path" and highway != "track"):
        return "pedestrian"
    return "vehicle"


def merged_use(uses: Iterable[str]) -> str:
    """The use of an entrance made of candidates with these uses: ``both`` when vehicles and
    pedestrians mix."""
    s = set(uses)
    if not s or "both" in s or {"vehicle", "pedestrian"} <= s:
        return "both"
    return s.pop()


@dataclass
class Entrance:
    """An entrance of the community: where people or vehicles cross its boundary."""

    id: str
    """Stable: ``entrance-1``.. for the scene file's, ``osm-n<ID>`` for OSM nodes, ``gate-<n>``
    for gate points of other GIS sources, ``crossing-<n>`` for road crossings (numbered along
    the boundary)."""
    name: str
    x: float
    """Local metres (the scene frame)."""
    y: float
    lon: float
    lat: float
    use: str
    """``vehicle``, ``pedestrian`` or ``both``."""
    inward: float | None
    """Heading, degrees clockwise from north (the scene frame's grid north, like device
    headings), of travel into the community here; None when unknown."""
    source: str
    """``scene file``, ``OSM node 123 (barrier=gate)``, ``GIS point 7 of gates.geojson
    (barrier=gate)``, ``road crossing (highway=residential, way 456)``."""
    merged: list[str] = field(default_factory=list)
    """Sources of the other candidates merged into this entrance (within
    :data:`ENTRANCE_MERGE_M`)."""

    @property
    def source_kind(self) -> str:
        """``scene file``, ``OSM node``, ``GIS point`` (a gate or entrance point of another
        GIS source) or ``road crossing``."""
        for k in ("OSM node", "GIS point", "road crossing"):
            if self.source.startswith(k):
                return k
        return "scene file"

    def as_dict(self) -> dict[str, Any]:
        """The entrance as JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "lon": round(self.lon, 9),
            "lat": round(self.lat, 9),
            "use": self.use,
            "inward": None if self.inward is None else round(self.inward, 1),
            "source": self.source,
            "merged": list(self.merged),
        }


@dataclass
class Community:
    """The community a scene is of: boundary, closed or open, road classes, entrances."""

    boundary_wkb: bytes
    """Polygon or MultiPolygon in local metres, as WKB."""
    closed: bool
    """Closed (fenced: the electronic fence guards the perimeter) or open (perimeter cameras)."""
    main_roads: frozenset[str]
    """OSM ``highway=*`` classes that are main roads."""
    important_roads: frozenset[str]
    entrances: list[Entrance]
    boundary_source: str
    """``scene file polygon``, ``boundary.geojson``, ``OSM area 'Name' (way 123)`` or
    ``scene extent (...)``."""
    area_m2: float
    perimeter_m: float
    declared: bool
    """False when the scene file has no ``[community]`` table (defaults used)."""
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """The boundary's box (xmin, ymin, xmax, ymax), local metres."""

    def is_main_road(self, road: Surface) -> bool:
        """Whether a road surface is one of the community's main roads."""
        return road.kind == "road" and road_highway(road) in self.main_roads

    def is_important_road(self, road: Surface) -> bool:
        """Whether a road surface is one of the community's important roads."""
        return road.kind == "road" and road_highway(road) in self.important_roads

    def road_role(self, road: Surface) -> str | None:
        """``main``, ``important`` (important but not main) or None for a road surface."""
        if self.is_main_road(road):
            return "main"
        if self.is_important_road(road):
            return "important"
        return None

    def entrances_of(self, use: str) -> list[Entrance]:
        """Entrances that ``use`` (``vehicle`` or ``pedestrian``) can pass: those of that use
        and those used by both."""
        return [e for e in self.entrances if e.use in (use, "both")]

    def summary(self) -> dict[str, Any]:
        """What ``twin info --json`` prints of the community."""
        return {
            "declared": self.declared,
            "boundary_source": self.boundary_source,
            "closed": self.closed,
            "area_m2": round(self.area_m2, 1),
            "perimeter_m": round(self.perimeter_m, 1),
            "main_roads": sorted(self.main_roads),
            "important_roads": sorted(self.important_roads),
            "entrance_counts": {
                "total": len(self.entrances),
                "by_use": {
                    u: n for u in ENTRANCE_USES if (n := sum(e.use == u for e in self.entrances))
                },
                "by_source": dict(sorted(Counter(e.source_kind for e in self.entrances).items())),
            },
            "entrances": [e.as_dict() for e in self.entrances],
        }
