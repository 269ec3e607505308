"""Entity kinds of a scene: buildings, ground surfaces, devices, and merged meshes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SURFACE_KINDS = ("road", "green", "water", "parking_lot", "ground")
"""Kinds of ground surface, drawn flat just above the ground."""

ROAD_CLASSES = ("main", "minor", "path")

ROAD_CLASS: dict[str, str] = {
    **dict.fromkeys(
        [
            "motorway",
            "trunk",
            "primary",
            "secondary",
            "tertiary",
            "motorway_link",
            "trunk_link",
            "primary_link",
            "secondary_link",
            "tertiary_link",
        ],
        "main",
    ),
    **dict.fromkeys(
        ["residential", "unclassified", "service", "living_street", "road", "busway", "minor"],
        "minor",
    ),
    **dict.fromkeys(
        [
            "footway",
            "path",
            "cycleway",
            "pedestrian",
            "steps",
            "track",
            "bridleway",
            "trail",
            "sidewalk",
            "crossing",
        ],
        "path",
    ),
}
"""OSM highway=* -> road class. Other highway values (platform, construction, proposed,
elevator, corridor, bus_stop, ...) are not road surfaces. Kept with the models (not in
``twin.ingest.tags``, which applies it) so scene files can check the road classes they name."""

_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "building": (
        "building",
        "buildings",
        "bldg",
        "house",
        "houses",
        "footprint",
        "footprints",
        "建筑",
        "建筑物",
        "房屋",
        "房屋建筑",
        "楼",
        "楼房",
        "楼栋",
        "楼宇",
        "住宅",
        "住宅楼",
        "建筑轮廓",
        "建筑面",
    ),
    "road": (
        "road",
        "roads",
        "street",
        "streets",
        "highway",
        "carriageway",
        "道路",
        "路",
        "街道",
        "马路",
        "路网",
        "道路面",
        "道路中心线",
    ),
    "road:main": (
        "main road",
        "main_road",
        "arterial",
        "primary road",
        "主干道",
        "主干路",
        "快速路",
        "干道",
        "次干道",
        "次干路",
        "城市道路",
    ),
    "road:minor": (
        "minor road",
        "minor_road",
        "residential road",
        "service road",
        "支路",
        "小区道路",
        "内部道路",
        "巷",
        "胡同",
        "街巷",
    ),
    "road:path": (
        "path",
        "footway",
        "footpath",
        "sidewalk",
        "cycleway",
        "pedestrian",
        "人行道",
        "步行道",
        "步道",
        "自行车道",
        "绿道",
        "小路",
        "游步道",
    ),
    "green": (
        "green",
        "greens",
        "green space",
        "green_space",
        "greenspace",
        "park",
        "grass",
        "lawn",
        "vegetation",
        "garden",
        "绿地",
        "绿化",
        "绿化带",
        "公园",
        "草地",
        "草坪",
        "林地",
        "花园",
        "公共绿地",
    ),
    "water": (
        "water",
        "waterbody",
        "water body",
        "water_body",
        "river",
        "lake",
        "pond",
        "水系",
        "水体",
        "河流",
        "湖泊",
        "水面",
        "河",
        "湖",
        "池塘",
        "水域",
    ),
    "parking_lot": (
        "parking_lot",
        "parking lot",
        "parking",
        "car park",
        "carpark",
        "car_park",
        "parking area",
        "停车场",
        "停车区",
        "地面停车场",
    ),
    "ground": (
        "ground",
        "square",
        "plaza",
        "open space",
        "paved",
        "广场",
        "空地",
        "场地",
        "硬地",
        "铺装",
        "硬质铺装",
    ),
}
_KIND_OF: dict[str, tuple[str, str | None]] = {}
for _kind, _words in _KIND_WORDS.items():
    _base, _, _cls = _kind.partition(":")
    for _w in _words:
        _KIND_OF[_w] = (_base, _cls or None)


def feature_kind(word: object) -> tuple[str, str | None] | None:
    """(entity kind, road class or None) a GIS layer means by a kind value such as ``building``,
    ``道路``, ``主干道`` or ``停车场``; None when the word is not an entity kind (it may still be a
    device kind: see ``twin.scene.catalogue.resolve_kind``)."""
    if word is None:
        return None
    w = str(word).strip().lower()
    return _KIND_OF.get(w) or _KIND_OF.get(w.replace("_", " ")) or _KIND_OF.get(w.rstrip("s"))


_NAME_HINTS = (
    ("building", ("building", "bldg", "house", "footprint", "建筑", "楼", "房屋", "住宅")),
    ("road", ("road", "street", "highway", "道路", "路网", "街道")),
    ("green", ("green", "park", "vegetation", "绿地", "绿化", "公园")),
    ("water", ("water", "river", "lake", "水系", "水体", "水域", "河流", "湖")),
    ("parking_lot", ("parking", "停车")),
)
"""Parts of a file or layer name that say what kind its features are (``buildings.shp``,
``道路中心线.shp``): fewer than the kind words, as a name holds other words too."""


def kind_in_name(name: str) -> str | None:
    """The entity kind a file or layer name gives its untagged features, or None."""
    n = name.lower()
    for kind, keys in _NAME_HINTS:
        if any(k in n for k in keys):
            return kind
    return None


def feature_kind_words() -> str:
    """The entity kinds and a few of their words, for messages."""
    return (
        "building (建筑), road (道路), green (绿地), water (水系), parking_lot (停车场), "
        "ground (广场)"
    )


@dataclass
class Mesh:
    """Triangles of many entities of one kind, merged.

    ``entity[i]`` is the index (in the scene's list for that kind) of the entity that
    triangle ``i`` belongs to, for picking and for colouring per entity.
    """

    points: np.ndarray  # (N, 3) float64, local metres
    faces: np.ndarray  # (M, 3) int64
    entity: np.ndarray  # (M,) int64

    @classmethod
    def empty(cls) -> Mesh:
        """A mesh with no points and no faces."""
        return cls(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64))

    @classmethod
    def merge(cls, parts: list[tuple[np.ndarray, np.ndarray, int]]) -> Mesh:
        """Merge ``(points, faces, entity_index)`` parts into one mesh."""
        if not parts:
            return cls.empty()
        offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
        points = np.concatenate([p[0] for p in parts]).astype(np.float64, copy=False)
        faces = np.concatenate([p[1] + off for p, off in zip(parts, offsets, strict=True)])
        entity = np.concatenate([np.full(len(p[1]), p[2], dtype=np.int64) for p in parts])
        return cls(points, faces.astype(np.int64, copy=False), entity)

    @property
    def n_faces(self) -> int:
        """Number of triangles."""
        return len(self.faces)

    def without(self, drop: set[int], n_entities: int) -> Mesh:
        """This mesh without the faces of entities ``drop``, the others renumbered in order."""
        if not drop:
            return self
        keep_entity = np.ones(n_entities, dtype=bool)
        keep_entity[list(drop)] = False
        renumber = np.cumsum(keep_entity) - 1
        keep = keep_entity[self.entity]
        return Mesh(self.points, self.faces[keep], renumber[self.entity[keep]])


@dataclass
class Building:
    """A building: footprint, height and where it came from (GIS, CityJSON or IFC)."""

    id: str
    name: str
    height: float
    """Top of the building above ground, metres."""
    height_source: str
    """Where ``height`` came from: ``height``, ``levels``, ``geometry`` or ``default``."""
    source: str
    min_height: float = 0.0
    levels: float | None = None
    footprint_wkb: bytes = b""
    """Footprint polygon(s) in local metres, as WKB."""
    cityobject_type: str | None = None
    address: str = ""
    """Street and number as the data gives them (OSM ``addr:street`` + ``addr:housenumber``)."""


@dataclass
class Surface:
    """A ground surface (road, green, water, parking lot...) drawn flat on the terrain."""

    id: str
    kind: str  # one of SURFACE_KINDS
    name: str
    source: str
    road_class: str | None = None  # main / minor / path, roads only
    highway: str | None = None  # the source's road type (OSM highway=*), roads only
    width: float | None = None  # metres, roads only
    width_source: str | None = None  # width / lanes / class, roads only
    capacity: int | None = None  # parking lots: spaces the data says it has (capacity=*)
    shape_wkb: bytes = b""
    """The surface polygon, or for roads the centreline, in local metres, as WKB."""


@dataclass
class BimElement:
    """A drawn element of an IFC model (IfcWall, IfcDoor, ...)."""

    global_id: str
    ifc_class: str
    name: str
    storey: str
    type_name: str
    model: int
    """Index of its model in ``Scene.bim_models``."""


@dataclass
class Space:
    """An IfcSpace: not drawn, kept for the audit rules and the views (indoor areas)."""

    global_id: str
    name: str
    storey: str
    model: int
    footprint_wkb: bytes = b""


@dataclass(frozen=True)
class Place:
    """Where a device is, in the data's own names (``twin.ingest.places``)."""

    car_park: str = ""
    building: str = ""
    address: str = ""
    road: str = ""
    near: str = ""
    """The nearest other road meeting ``road``."""
    by: bool = False
    """Next to the building, not in it."""
    storey: str = ""
    """The IFC storey of a device inside a BIM model."""

    def text(self, lang: str = "en") -> str:
        """One short line: "Kaivokatu 8", "Mannerheimintie near Kaivokatu", "car park Kamppi"."""
        zh = lang == "zh"
        if self.car_park:
            return f"{self.car_park}停车场" if zh else f"car park {self.car_park}"
        if self.building or self.address:
            what = self.building or self.address
            if self.building and self.address:
                what = f"{self.building}, {self.address}"
            if self.storey:
                what = f"{what}, {self.storey}"
            if self.by:
                return f"{what}旁" if zh else f"by {what}"
            return what
        if self.road:
            if self.near:
                return f"{self.road}（近 {self.near}）" if zh else f"{self.road} near {self.near}"
            return self.road
        return ""


@dataclass
class Device:
    """A device placed in the scene: its kind, position in local metres and lon / lat, mounting."""

    id: str
    kind: str
    name: str
    x: float
    y: float
    z: float
    """Elevation of the device's foot in the scene, metres: 0 on the ground (no terrain data),
    the placement height for devices inside IFC buildings."""
    lon: float
    lat: float
    mount_height: float
    heading: float = 0.0
    """Degrees clockwise from north."""
    fov: float | None = None
    tilt: float | None = None
    """Degrees below horizontal (cameras)."""
    subkind: str | None = None
    synthetic: bool = False
    source: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    place: Place | None = None
    """Where it is in words (None: the data names no place near it)."""

    def where(self, lang: str = "en") -> str:
        """Its place in words, or "" when the data names none."""
        return self.place.text(lang) if self.place is not None else ""

    def label(self, kind_name: str, lang: str = "en") -> str:
        """What an operator reads: its kind and place ("Smart trash bin · Kaivokatu near
        Mannerheimintie"), or its kind and name or id when no place is known."""
        where = self.where(lang)
        if where:
            return f"{kind_name} · {where}"
        return f"{kind_name} {self.name or self.id}"

    def as_dict(self) -> dict[str, Any]:
        """The device as JSON-ready values (``twin devices --json``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "z": round(self.z, 3),
            "lon": round(self.lon, 9),
            "lat": round(self.lat, 9),
            "mount_height": round(self.mount_height, 2),
            "heading": round(self.heading, 1),
            "synthetic": self.synthetic,
            "source": self.source,
        }
        if self.subkind is not None:
            d["subkind"] = self.subkind
        if self.fov is not None:
            d["fov"] = self.fov
        if self.tilt is not None:
            d["tilt"] = self.tilt
        if self.place is not None:
            d["place"] = self.place.text("en")
        return d


@dataclass
class Warning:  # noqa: A001 - a scene warning, shadowing the builtin only in this module
    """Something about the data that a user should know: a feature skipped, repaired, clamped or
    ignored while building the scene, or a note about a whole file.

    ``not_drawn`` is how many features read from ``source`` this warning says are not in the
    scene (0 when the feature is drawn after all, repaired or clamped, or when the warning is
    about the file): for every source, features read = drawn + the sum of ``not_drawn``.
    ``features`` lists them when one warning stands for several.
    """

    source: str
    feature: str
    reason: str
    action: str  # skipped / repaired / clamped / placed / ignored / replaced / read ...
    not_drawn: int = 0
    features: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The warning as JSON-ready values (``twin info --json``)."""
        d: dict[str, Any] = {
            "source": self.source,
            "feature": self.feature,
            "reason": self.reason,
            "action": self.action,
            "not_drawn": self.not_drawn,
        }
        if self.features:
            d["features"] = self.features
        return d

    def __str__(self) -> str:
        return f"{self.source}: {self.feature}: {self.reason} ({self.action})"
