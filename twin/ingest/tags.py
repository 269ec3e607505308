"""Rules that turn feature attributes (OSM-style tags) into scene entity kinds.

Shared by every GIS reader: OSM tags, attribute columns of GeoJSON / GeoPackage / Shapefile
layers (same key names, or an explicit ``kind`` column), and CityJSON object types.
"""

from __future__ import annotations

import math
import re
from typing import Any

from twin.scene.catalogue import resolve_kind
from twin.scene.entities import ROAD_CLASS, feature_kind, feature_kind_words

# Defaults, documented in the README ("Buildings and roads").
METRES_PER_LEVEL = 3.0
DEFAULT_BUILDING_HEIGHT = 9.0  # three storeys, when the data says nothing
MAX_BUILDING_HEIGHT = 830.0  # the tallest building on earth; more is a data error
MIN_BUILDING_HEIGHT = 2.0

DEFAULT_ROAD_WIDTH = {
    "motorway": 14.0,
    "trunk": 12.0,
    "primary": 10.0,
    "secondary": 9.0,
    "tertiary": 7.0,
    "motorway_link": 6.0,
    "trunk_link": 6.0,
    "primary_link": 6.0,
    "secondary_link": 6.0,
    "tertiary_link": 5.0,
    "residential": 6.0,
    "unclassified": 5.5,
    "living_street": 5.0,
    "road": 5.5,
    "busway": 7.0,
    "minor": 5.5,
    "service": 4.0,
    "pedestrian": 5.0,
    "track": 3.0,
    "cycleway": 2.0,
    "footway": 2.0,
    "sidewalk": 2.0,
    "crossing": 3.0,
    "path": 1.5,
    "trail": 1.5,
    "bridleway": 2.0,
    "steps": 2.0,
}
CLASS_DEFAULT_WIDTH = {"main": 9.0, "minor": 5.5, "path": 2.0}
LANE_WIDTH = 3.25  # metres per lane, when only lanes=* is known

GREEN = {
    "landuse": {
        "grass",
        "meadow",
        "forest",
        "village_green",
        "recreation_ground",
        "orchard",
        "allotments",
        "cemetery",
        "flowerbed",
        "plant_nursery",
        "greenfield",
    },
    "leisure": {
        "park",
        "garden",
        "playground",
        "pitch",
        "dog_park",
        "nature_reserve",
        "golf_course",
    },
    "natural": {"wood", "scrub", "grassland", "heath", "wetland"},
}
WATER = {
    "natural": {"water", "bay"},
    "waterway": {"riverbank", "dock", "canal"},
    "landuse": {"reservoir", "basin"},
    "leisure": {"swimming_pool", "fountain"},
    "amenity": {"fountain"},
}
NOT_SURFACE_PARKING = {"underground", "multi-storey", "rooftop", "garage_boxes", "carports"}

_NUM = re.compile(r"[-+]?\d+(?:[.,]\d+)?")


def parse_length(value: Any) -> float | None:
    """Metres from '12', '12.5 m', '12,5', "40'" (feet) or '3 ft'; None when unreadable."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    s = str(value).strip().lower()
    m = _NUM.search(s)
    if not m:
        return None
    v = float(m.group().replace(",", "."))
    if "ft" in s or "'" in s or "feet" in s:
        v *= 0.3048
    return v


def parse_number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    m = _NUM.search(str(value))
    return float(m.group().replace(",", ".")) if m else None


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"yes", "true", "1", "y"}


def underground(tags: dict[str, Any]) -> bool:
    """A way in a tunnel (or a building passage, a culvert)."""
    return truthy(tags.get("tunnel")) or tags.get("tunnel") in {"building_passage", "culvert"}


def kind_of(tags: dict[str, Any]) -> tuple[str, str | None] | None:
    """(entity kind, road class) a ``kind`` attribute names (``building``, ``道路``, ...), or
    None."""
    return feature_kind(tags.get("kind")) if tags.get("kind") not in (None, "") else None


def surface_kind(tags: dict[str, Any]) -> str | None:
    """green / water / parking_lot / ground for an area, or None."""
    k = kind_of(tags)
    if k is not None:
        return k[0] if k[0] in {"green", "water", "parking_lot", "ground"} else None
    for key, values in WATER.items():
        if tags.get(key) in values:
            return "water"
    if tags.get("water") and tags.get("natural") in (None, "water"):
        return "water"
    if tags.get("amenity") == "parking" and tags.get("parking") not in NOT_SURFACE_PARKING:
        return "parking_lot"
    for key, values in GREEN.items():
        if tags.get(key) in values:
            return "green"
    return None


def is_building(tags: dict[str, Any]) -> bool:
    k = kind_of(tags)
    if k is not None:
        return k[0] == "building"
    b = tags.get("building")
    return b not in (None, "", "no") or tags.get("building:part") not in (None, "", "no")


def is_building_part(tags: dict[str, Any]) -> bool:
    return tags.get("building:part") not in (None, "", "no")


def building_height(tags: dict[str, Any]) -> tuple[float | None, float, str, float | None]:
    """(height, min_height, source, levels) from tags; height None means 'use a default'."""
    levels = parse_number(tags.get("building:levels") or tags.get("levels"))
    roof_levels = parse_number(tags.get("roof:levels")) or 0.0
    min_h = parse_length(tags.get("min_height"))
    if min_h is None:
        min_level = parse_number(tags.get("building:min_level"))
        min_h = min_level * METRES_PER_LEVEL if min_level is not None else 0.0
    h = parse_length(tags.get("height") or tags.get("building:height"))
    if h is not None:
        return h, min_h, "height", levels
    if levels is not None:
        return (levels + roof_levels) * METRES_PER_LEVEL, min_h, "levels", levels
    return None, min_h, "default", None


def road_class(tags: dict[str, Any]) -> tuple[str, str] | None:
    """(class, highway) for a road line, or None when it is not a drawn road surface."""
    hw = tags.get("highway")
    if hw is None:
        raw = str(tags.get("road_class", tags.get("class", ""))).strip().lower()
        rc = raw if raw in CLASS_DEFAULT_WIDTH else (feature_kind(raw) or (None, None))[1]
        k = kind_of(tags)
        if (k is not None and k[0] == "road") or rc in CLASS_DEFAULT_WIDTH:
            cls = rc if rc in CLASS_DEFAULT_WIDTH else (k[1] if k is not None and k[1] else "minor")
            return cls, (raw or str(tags.get("kind") or "road"))
        return None
    hw = str(hw)
    if hw not in ROAD_CLASS:
        return None
    if underground(tags):
        return None  # not part of the surface scene
    if tags.get("area") == "yes":
        return None
    return ROAD_CLASS[hw], hw


PRIMARY_KEYS = (
    "building",
    "highway",
    "railway",
    "amenity",
    "shop",
    "leisure",
    "landuse",
    "natural",
    "tourism",
    "man_made",
    "barrier",
    "power",
    "public_transport",
    "boundary",
    "place",
    "office",
    "historic",
    "waterway",
    "aeroway",
    "emergency",
    "entrance",
    "craft",
    "sport",
    "route",
    "kind",
)


def main_tag(tags: dict[str, Any]) -> str:
    """The tag that says most about what a feature is (``amenity=bench``), for counts in
    warnings."""
    for k in PRIMARY_KEYS:
        v = tags.get(k)
        if v not in (None, ""):
            return f"{k}={v}" if len(str(v)) <= 24 else f"{k}=*"
    keys = sorted(
        k for k in tags if not k.startswith(("name", "source", "note", "fixme", "created_by"))
    )
    return f"{keys[0]}=*" if keys else "only names or notes"


def not_drawn_reason(tags: dict[str, Any], gtype: str) -> str:
    """Why a feature that matched no scene kind is not drawn, in the user's terms."""
    line = "LineString" in gtype
    point = "Point" in gtype
    raw = tags.get("kind")
    if raw not in (None, "") and kind_of(tags) is None and resolve_kind(str(raw)) is None:
        return (
            f"kind {str(raw)!r} is not understood (kinds: "
            f"{feature_kind_words()}, or a device kind such as 摄像头 / camera)"
        )
    if is_building(tags):
        if line:
            return "building outline is a line, not a closed ring"
        if point:
            return "a building mapped as a point (no outline to extrude)"
    k = kind_of(tags)
    if k is not None and point:
        return (
            f"{k[0]} given as a point "
            f"(it needs an outline{' or a centreline' if k[0] == 'road' else ''})"
        )
    hw = tags.get("highway")
    if hw is not None and line:
        if underground(tags):
            return "a road in a tunnel (underground, not part of the surface scene)"
        if str(hw) not in ROAD_CLASS:
            return f"highway={hw} is not a road surface"
    if hw is not None and not point and tags.get("area") == "yes":
        return "a road mapped as an area (area=yes)"
    if line and (surface_kind(tags) is not None):
        return "area outline is a line, not a closed ring"
    return "no kind the scene draws"


def road_width(tags: dict[str, Any], cls: str, highway: str) -> tuple[float, str]:
    """(width in metres, source) from width=*, lanes=*, else the highway class default."""
    w = parse_length(tags.get("width") or tags.get("est_width"))
    if w is not None and 0.5 <= w <= 100:
        return w, "width"
    lanes = parse_number(tags.get("lanes"))
    if lanes is not None and 1 <= lanes <= 16:
        return lanes * LANE_WIDTH, "lanes"
    return DEFAULT_ROAD_WIDTH.get(highway, CLASS_DEFAULT_WIDTH[cls]), "class"


_CARDINAL = {
    "N": 0,
    "NNE": 22.5,
    "NE": 45,
    "ENE": 67.5,
    "E": 90,
    "ESE": 112.5,
    "SE": 135,
    "SSE": 157.5,
    "S": 180,
    "SSW": 202.5,
    "SW": 225,
    "WSW": 247.5,
    "W": 270,
    "WNW": 292.5,
    "NW": 315,
    "NNW": 337.5,
}


def parse_direction(value: Any) -> float | None:
    """Degrees clockwise from north from '135', 'SE', or a range '90-180' (its middle)."""
    if value is None:
        return None
    s = str(value).strip().upper()
    if s in _CARDINAL:
        return float(_CARDINAL[s])
    nums = [float(x.replace(",", ".")) for x in _NUM.findall(s)]
    if not nums:
        return None
    if len(nums) == 2 and "-" in s[1:]:
        a, b = nums[0], abs(nums[1])
        return (a + ((b - a) % 360) / 2) % 360
    return nums[0] % 360


def devices_from_tags(tags: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, properties) of each OSM-tagged device on one feature (a lamp post may carry a
    camera too).

    highway=street_lamp -> pole, man_made=surveillance -> camera, manhole=* -> manhole,
    emergency=fire_hydrant -> hydrant, amenity=waste_basket -> trash_bin,
    amenity=charging_station -> charger.
    """
    out = []
    for rule in (_pole, _camera, _other):
        d = rule(tags)
        if d is not None:
            out.append(d)
    return out


def _pole(tags: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if tags.get("highway") == "street_lamp":
        return "pole", {"mount_height": parse_length(tags.get("height"))}
    return None


def _camera(tags: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if tags.get("man_made") == "surveillance":
        stype = str(tags.get("surveillance:type", "camera")).lower()
        if stype not in {"camera", "alpr", "anpr"}:
            return None  # guards and other non-camera surveillance are not devices
        ctype = str(tags.get("camera:type", "")).lower()
        zone = str(tags.get("surveillance:zone", "")).lower()
        direction = parse_direction(tags.get("camera:direction") or tags.get("direction"))
        if stype in {"alpr", "anpr"}:
            sub = "ai"
        elif zone == "perimeter":
            sub = "perimeter"
        elif ctype in {"panning", "dome"} and direction is None:
            sub = "panorama"
        else:
            sub = "hd"
        return "camera", {
            "subkind": sub,
            "heading": direction,
            "tilt": parse_number(tags.get("camera:angle")),
            "mount_height": parse_length(tags.get("height")),
            "camera_type": ctype or None,
            "mount": tags.get("camera:mount"),
        }
    return None


def _other(tags: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    if tags.get("manhole") not in (None, "", "no"):
        return "manhole", {"manhole": tags.get("manhole")}
    if tags.get("emergency") == "fire_hydrant":
        return "hydrant", {"fire_hydrant:type": tags.get("fire_hydrant:type")}
    if tags.get("amenity") == "waste_basket":
        return "trash_bin", {}
    if tags.get("amenity") == "charging_station":
        return "charger", {"capacity": parse_number(tags.get("capacity"))}
    return None


ENTRANCE_BARRIERS: dict[str, str | None] = {
    "gate": None,
    "lift_gate": "vehicle",
    "swing_gate": None,
    "sliding_gate": None,
    "turnstile": "pedestrian",
    "full-height_turnstile": "pedestrian",
    "entrance": None,
}
"""OSM ``barrier=*`` values of a node that is an entrance, and who uses it (None: the access
tags say, else the roads through it, else both)."""


def entrance_tag(tags: dict[str, Any]) -> tuple[str, str | None] | None:
    """(the tag, the use it implies or None) for a feature tagged as an entrance or gate:
    ``barrier`` = one of :data:`ENTRANCE_BARRIERS`, or ``entrance=*`` (a door: pedestrian, a
    garage entrance: vehicle); None for other features."""
    b = tags.get("barrier")
    e = tags.get("entrance")
    if b in ENTRANCE_BARRIERS:
        label, use = f"barrier={b}", ENTRANCE_BARRIERS[b]
    elif e not in (None, "", "no"):
        label, use = f"entrance={e}", "vehicle" if e == "garage" else "pedestrian"
    else:
        return None
    if use is None:
        no = {k for k in ("motor_vehicle", "vehicle", "motorcar", "foot") if tags.get(k) == "no"}
        if no & {"motor_vehicle", "vehicle", "motorcar"} and "foot" not in no:
            use = "pedestrian"
        elif "foot" in no and not no & {"motor_vehicle", "vehicle", "motorcar"}:
            use = "vehicle"
    return label, use
