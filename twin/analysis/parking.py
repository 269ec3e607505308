"""Parking: each space's state, each car park's occupancy, chargers, the nearest free space.

Parking-space sensors are assigned to the car park (``Scene.surfaces["parking_lot"]``) whose
polygon contains them (within :data:`LOT_TOLERANCE_M`); chargers likewise, with a wider
tolerance because they stand at a car park's edge.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from twin.scene.entities import Device
from twin.scene.scene import Scene

SPACE_STATES = ("free", "occupied", "booked", "unknown")
CHARGER_STATES = ("idle", "charging", "fault", "offline", "unknown")
LOT_TOLERANCE_M = 3.0
"""A space sensor this close to a car park's polygon belongs to it (GPS and drawing error)."""
CHARGER_TOLERANCE_M = 10.0
"""Chargers stand at a car park's edge: a wider tolerance than the spaces'."""

_DOWN = ("offline", "unknown")


def space_state(readings: dict[str, Any] | None, status: str) -> str:
    """``free`` / ``occupied`` / ``booked`` / ``unknown`` of one parking space from its latest
    readings and status. Offline or unknown status, or no ``occupied`` reading: unknown; an
    occupied space counts as occupied even when it is also booked."""
    if status in _DOWN or not readings:
        return "unknown"
    occ = readings.get("occupied")
    if not isinstance(occ, bool | int | float):
        return "unknown"
    if occ:
        return "occupied"
    return "booked" if readings.get("booked") is True or readings.get("booked") == 1 else "free"


def charger_state(readings: dict[str, Any] | None, status: str) -> str:
    """``idle`` / ``charging`` / ``fault`` / ``offline`` / ``unknown`` of one charger: offline
    status (missed heartbeats) wins, a fault status means fault, else its ``state`` reading."""
    if status == "offline":
        return "offline"
    if status == "fault":
        return "fault"
    state = (readings or {}).get("state")
    return state if state in ("idle", "charging", "fault", "offline") else "unknown"


def _points_in_lots(scene: Scene, devices: list[Device], tolerance: float) -> np.ndarray:
    """Index of the car park each device stands in (within ``tolerance`` metres), -1 if none."""
    out = np.full(len(devices), -1, dtype=np.int64)
    lots = scene.surfaces.get("parking_lot", [])
    if not devices or not lots:
        return out
    geoms = np.array(
        [shapely.from_wkb(s.shape_wkb) if s.shape_wkb else None for s in lots], dtype=object
    )
    valid = np.nonzero([g is not None and not g.is_empty for g in geoms])[0]
    if not len(valid):
        return out
    tree = shapely.STRtree(geoms[valid])
    pts = shapely.points(np.array([[d.x, d.y] for d in devices], dtype=np.float64))
    # nearest polygon within the tolerance (distance 0 when inside); for a point inside two
    # overlapping lots the first in scene order wins
    pairs = tree.query_nearest(pts, max_distance=tolerance, return_distance=False, all_matches=True)
    if pairs.shape[1]:
        src, tgt = pairs[0], valid[pairs[1]]
        order = np.lexsort((tgt, src))
        src, tgt = src[order], tgt[order]
        first = np.ones(len(src), dtype=bool)
        first[1:] = src[1:] != src[:-1]
        out[src[first]] = tgt[first]
    return out


def lots_of_spaces(scene: Scene) -> np.ndarray:
    """For each device of ``scene.devices_of("parking_space")`` (in that order) the index into
    ``scene.surfaces["parking_lot"]`` of the car park it stands in (within
    :data:`LOT_TOLERANCE_M`), or -1. Compute once per scene and pass to :func:`summarise`."""
    return _points_in_lots(scene, scene.devices_of("parking_space"), LOT_TOLERANCE_M)


@dataclass
class LotSummary:
    """One car park. ``x``, ``y``: a point inside its polygon (for a label). ``spaces`` counts
    space sensors; ``capacity`` is what the map says it holds (None if it does not say)."""

    index: int
    name: str
    x: float
    y: float
    spaces: int
    free: int
    occupied: int
    booked: int
    unknown: int
    chargers: int
    capacity: int | None = None

    @property
    def occupancy_pct(self) -> float | None:
        known = self.free + self.occupied + self.booked
        return None if known == 0 else 100.0 * (self.occupied + self.booked) / known


@dataclass
class ParkingSummary:
    """The parking figures of the whole scene.

    * ``occupancy_pct``: (occupied + booked) / spaces with a known state, so that it and the
      free spaces add up to 100 %; None without any known space.
    * ``charger_ratio``: chargers / space sensors (the rule asks >= 0.5); None without spaces.
    * ``utilisation``: charging / chargers in service (idle or charging, i.e. not offline,
      faulty or unknown); None when none is in service.
    """

    lots: list[LotSummary]
    spaces: int
    free: int
    occupied: int
    booked: int
    unknown: int
    chargers: int
    chargers_by_state: dict[str, int] = field(default_factory=dict)
    charger_ratio: float | None = None
    utilisation: float | None = None
    occupancy_pct: float | None = None


def summarise(
    scene: Scene,
    readings: dict[str, dict[str, Any]],
    statuses: dict[str, str],
    lots: np.ndarray | None = None,
) -> ParkingSummary:
    """Parking figures from the latest ``readings`` and ``statuses`` (device id -> ...).
    ``lots``: :func:`lots_of_spaces` of the scene (computed when None). Car parks are listed
    when they have space sensors, or, without sensors, when the map gives their capacity."""
    spaces = scene.devices_of("parking_space")
    if lots is None:
        lots = lots_of_spaces(scene)
    states = [space_state(readings.get(d.id), statuses.get(d.id, "unknown")) for d in spaces]
    chargers = scene.devices_of("charger")
    cstates = [charger_state(readings.get(d.id), statuses.get(d.id, "unknown")) for d in chargers]
    charger_lots = _points_in_lots(scene, chargers, CHARGER_TOLERANCE_M)

    per_lot: dict[int, Counter[str]] = {}
    for lot, st in zip(lots.tolist(), states, strict=True):
        if lot >= 0:
            per_lot.setdefault(lot, Counter())[st] += 1
    chargers_per_lot = Counter(i for i in charger_lots.tolist() if i >= 0)
    out_lots: list[LotSummary] = []
    for i, s in enumerate(scene.surfaces.get("parking_lot", [])):
        c = per_lot.get(i)
        if c is None and s.capacity is None:
            continue
        c = c or Counter()
        geom = shapely.from_wkb(s.shape_wkb) if s.shape_wkb else None
        if geom is not None and not geom.is_empty:
            p = shapely.point_on_surface(geom)
            x, y = float(p.x), float(p.y)
        else:
            x = y = math.nan
        out_lots.append(
            LotSummary(
                i,
                s.name,
                x,
                y,
                sum(c.values()),
                c["free"],
                c["occupied"],
                c["booked"],
                c["unknown"],
                chargers_per_lot.get(i, 0),
                s.capacity,
            )
        )

    total = Counter(states)
    by_state = {k: 0 for k in CHARGER_STATES}
    by_state.update(Counter(cstates))
    in_service = by_state["idle"] + by_state["charging"]
    known = total["free"] + total["occupied"] + total["booked"]
    return ParkingSummary(
        lots=out_lots,
        spaces=len(spaces),
        free=total["free"],
        occupied=total["occupied"],
        booked=total["booked"],
        unknown=total["unknown"],
        chargers=len(chargers),
        chargers_by_state=by_state,
        charger_ratio=len(chargers) / len(spaces) if spaces else None,
        utilisation=by_state["charging"] / in_service if in_service else None,
        occupancy_pct=100.0 * (total["occupied"] + total["booked"]) / known if known else None,
    )


def nearest_free(
    scene: Scene, x: float, y: float, readings: dict[str, dict[str, Any]], statuses: dict[str, str]
) -> tuple[Device, float] | None:
    """The free parking space nearest to ``(x, y)`` (horizontal distance, metres), or None."""
    free = [
        d
        for d in scene.devices_of("parking_space")
        if space_state(readings.get(d.id), statuses.get(d.id, "unknown")) == "free"
    ]
    if not free:
        return None
    xy = np.array([[d.x, d.y] for d in free])
    dist = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    i = int(np.argmin(dist))
    return free[i], float(dist[i])
