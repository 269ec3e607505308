"""Where each device is, in the words an operator uses: the car park it stands in, the building
it is in (its name or address), or the road it stands on and the nearest road crossing it,
computed once when the scene is built, from the data's own names (OSM names and addresses,
CityJSON attributes, IFC models' names). The id stays the detail.

A device gets the first of these that the data can give:

1. a parking space, charger or barrier inside (or within ``CAR_PARK_M`` of) a named car park;
2. inside a building (or within ``BUILDING_M`` of its wall) that has a name or an address,
   with its IFC storey for a device of a BIM model;
3. within ``ROAD_M`` of a named road: that road, and the nearest other named road that meets
   it within ``JUNCTION_M`` of the device ("Kaivokatu near Mannerheimintie");
4. within ``NEAR_BUILDING_M`` of a named building: "by" it;
5. nothing (the device is named by its id).
"""

from __future__ import annotations

import numpy as np
import shapely

from twin.scene.entities import Place
from twin.scene.scene import Scene

CAR_PARK_M = 5.0
BUILDING_M = 2.0
ROAD_M = 40.0
JUNCTION_M = 150.0
NEAR_BUILDING_M = 40.0
PARKING_KINDS = ("parking_space", "charger", "barrier", "parking_sensor")


def locate_devices(scene: Scene) -> int:
    """Set ``place`` on every device of ``scene`` the data can place; how many were placed."""
    devs = scene.devices
    if not devs:
        return 0
    pts = shapely.points(np.array([[d.x, d.y] for d in devs], dtype=float))
    places: list[Place | None] = [None] * len(devs)
    # 1. named car parks, for the parking kinds
    lots = [
        (s.name, shapely.from_wkb(s.shape_wkb))
        for s in scene.surfaces.get("parking_lot", [])
        if s.name and s.shape_wkb
    ]
    if lots:
        tree = shapely.STRtree([g for _, g in lots])
        want = np.array([d.kind in PARKING_KINDS for d in devs])
        di, li = tree.query_nearest(pts[want], max_distance=CAR_PARK_M)
        idx = np.flatnonzero(want)
        for i, j in zip(idx[di], li, strict=True):
            if places[i] is None:
                places[i] = Place(car_park=lots[j][0])
    # 2. and 4. buildings with a name or an address
    named = [
        (b.name or "", b.address or "", shapely.from_wkb(b.footprint_wkb))
        for b in scene.buildings
        if (b.name or b.address) and b.footprint_wkb
    ]
    near_b: dict[int, int] = {}
    if named:
        tree = shapely.STRtree([g for *_, g in named])
        di, bi = tree.query_nearest(pts, max_distance=NEAR_BUILDING_M, return_distance=False)
        for i, j in zip(di, bi, strict=True):
            near_b.setdefault(int(i), int(j))
        inside_i, inside_b = tree.query(pts, predicate="dwithin", distance=BUILDING_M)
        for i, j in zip(inside_i, inside_b, strict=True):
            if places[i] is None:
                name, addr, _ = named[j]
                storey = str(devs[i].props.get("storey") or "")
                places[i] = Place(building=name, address=addr, storey=storey)
    # 3. named roads and their junctions
    roads = []
    for s in scene.surfaces.get("road", []):
        if s.name and s.shape_wkb:
            g = shapely.from_wkb(s.shape_wkb)
            if "LineString" in g.geom_type:
                roads.append((s.name, g))
    if roads:
        tree = shapely.STRtree([g for _, g in roads])
        crossings: dict[int, list[tuple[str, shapely.Geometry]]] = {}
        di, ri = tree.query_nearest(pts, max_distance=ROAD_M)
        for i, j in zip(di, ri, strict=True):
            if places[i] is not None:
                continue
            j = int(j)
            if j not in crossings:
                crossings[j] = _crossings(j, roads, tree)
            places[i] = Place(road=roads[j][0], near=_nearest(crossings[j], pts[i]))
    for i, j in near_b.items():
        if places[i] is None:
            name, addr, _ = named[j]
            places[i] = Place(building=name, address=addr, by=True)
    n = 0
    for d, p in zip(devs, places, strict=True):
        if p is not None:
            d.place = p
            n += 1
    return n


def _crossings(
    j: int, roads: list[tuple[str, shapely.Geometry]], tree: shapely.STRtree
) -> list[tuple[str, shapely.Geometry]]:
    """Where the other named roads meet road ``j``."""
    name, line = roads[j]
    out = []
    for k in tree.query(line, predicate="intersects"):
        other, g = roads[int(k)]
        if other != name:
            out.append((other, shapely.intersection(line, g)))
    return out


def _nearest(crossings: list[tuple[str, shapely.Geometry]], at: shapely.Geometry) -> str:
    """The road of the nearest crossing within ``JUNCTION_M`` of ``at`` ("" when none)."""
    best, best_d = "", JUNCTION_M
    for other, where in crossings:
        d = float(shapely.distance(at, where))
        if d < best_d:
            best, best_d = other, d
    return best
