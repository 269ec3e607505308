"""Energy: electricity, water and gas use per meter and per building, carbon, abnormal use.

Meters report cumulative counters (``kwh``, ``water_m3``, ``gas_m3``); use over a period is
the sum of the counter's rises in it, read from the reading history (5-minute buckets). A drop
(the meter was replaced or reset) is not counted as negative use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from twin.scene.scene import Scene
from twin.state.history import BUCKET_S, HistoryStore, Point

CARBON_KG_PER_KWH = 0.5703
"""kg CO2 per kWh of grid electricity: China's national grid average emission factor
published for 2022 (MEE / NBS, 2024)."""
METER_BUILDING_MAX_M = 30.0
"""A meter outside every footprint belongs to the nearest building within this distance."""
MAX_POINTS = 2000
"""At most this many history points per meter and query (finer when the period allows)."""


def carbon_kg(kwh: float) -> float:
    """kg CO2 of ``kwh`` of grid electricity."""
    return kwh * CARBON_KG_PER_KWH


def meter_buildings(scene: Scene) -> dict[str, int]:
    """Meter id -> index in ``scene.buildings``: the building whose footprint contains the meter,
    else the nearest footprint within :data:`METER_BUILDING_MAX_M`; meters near no building are
    left out."""
    meters = scene.devices_of("meter")
    idx = [i for i, b in enumerate(scene.buildings) if b.footprint_wkb]
    if not meters or not idx:
        return {}
    geoms = shapely.from_wkb([scene.buildings[i].footprint_wkb for i in idx])
    tree = shapely.STRtree(geoms)
    pts = shapely.points(np.array([[m.x, m.y] for m in meters], dtype=np.float64))
    out: dict[str, int] = {}
    inside = tree.query(pts, predicate="within")  # (meter, footprint) pairs: point within polygon
    for m, g in zip(inside[0].tolist(), inside[1].tolist(), strict=True):
        out.setdefault(meters[m].id, idx[g])
    rest = np.array([i for i, m in enumerate(meters) if m.id not in out], dtype=np.int64)
    if len(rest):
        near = tree.query_nearest(
            pts[rest], max_distance=METER_BUILDING_MAX_M, return_distance=False
        )
        for m, g in zip(near[0].tolist(), near[1].tolist(), strict=True):
            out.setdefault(meters[int(rest[m])].id, idx[g])
    return out


def counter_use(points: list[Point]) -> float:
    """Use shown by a cumulative counter's chart points: the first point's rise (last - min)
    plus every rise between consecutive points' last values; drops (resets) count as 0."""
    if not points:
        return 0.0
    last = np.array([p.last for p in points], dtype=np.float64)
    first = max(points[0].last - points[0].vmin, 0.0)
    rises = np.diff(last)
    return float(first + rises[rises > 0].sum())


def _points(start: float, end: float) -> int:
    return max(1, min(MAX_POINTS, math.ceil((end - start) / BUCKET_S)))


def usage(
    history: HistoryStore, meter_ids: Iterable[str], reading: str, start: float, end: float
) -> dict[str, float]:
    """Use of ``reading`` (a cumulative counter) by each meter over ``[start, end)``; meters
    without data in the period are left out. One history query per meter."""
    out: dict[str, float] = {}
    n = _points(start, end)
    for mid in meter_ids:
        pts = history.series(mid, reading, start, end, n)
        if pts:
            out[mid] = counter_use(pts)
    return out


def by_building(
    scene: Scene, per_meter: dict[str, float], meter_building: dict[str, int]
) -> dict[int, float]:
    """Sum meters' values per building index (meters without a building are left out)."""
    out: dict[int, float] = {}
    for mid, v in per_meter.items():
        b = meter_building.get(mid)
        if b is not None and 0 <= b < len(scene.buildings):
            out[b] = out.get(b, 0.0) + v
    return out


def per_building_array(scene: Scene, per_building: dict[int, float]) -> np.ndarray:
    """``(n_buildings,)`` float array of the values, NaN where a building has none (for
    colouring the buildings)."""
    arr = np.full(len(scene.buildings), np.nan)
    for b, v in per_building.items():
        arr[b] = v
    return arr


def top(values: dict, n: int = 5) -> list[tuple]:
    """The ``n`` largest ``(key, value)`` pairs, largest first (NaN values left out)."""
    items = [
        (k, v)
        for k, v in values.items()
        if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]
    return sorted(items, key=lambda kv: kv[1], reverse=True)[:n]


def _tz(tz: tzinfo | str | None) -> tzinfo | None:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _local(ts: float, tz: tzinfo | None) -> datetime:
    return (
        datetime.fromtimestamp(ts, tz)
        if tz is not None
        else datetime.fromtimestamp(ts).astimezone()
    )


def night_window(
    end: float, tz: tzinfo | str | None = None, start_hour: int = 1, end_hour: int = 5
) -> tuple[float, float]:
    """The last complete night window ``[start_hour, end_hour)`` (local time in ``tz``, None:
    this machine's) that ends at or before ``end``, as timestamps."""
    zone = _tz(tz)
    day = _local(end, zone).date()
    for back in range(3):
        d = day - timedelta(days=back)
        stop = datetime(d.year, d.month, d.day, end_hour, tzinfo=zone)
        if zone is None:
            stop = stop.astimezone()
        if stop.timestamp() <= end:
            begin = stop - timedelta(hours=(end_hour - start_hour) % 24 or 24)
            return begin.timestamp(), stop.timestamp()
    raise ValueError("no night window")  # pragma: no cover - three days always hold one


def night_flow(
    history: HistoryStore,
    meter_ids: Iterable[str],
    end: float,
    tz: tzinfo | str | None = None,
    *,
    reading: str = "water_m3",
    start_hour: int = 1,
    end_hour: int = 5,
    min_rate: float = 0.02,
) -> list[tuple[str, float]]:
    """Meters whose ``reading`` rose by at least ``min_rate`` in every hour of the last night
    window before ``end`` (water flowing all night: a leak), as ``(meter id, mean use per
    hour)``, largest first. An hour without data is not a flowing hour."""
    begin, stop = night_window(end, tz, start_hour, end_hour)
    hours = round((stop - begin) / 3600)
    out: list[tuple[str, float]] = []
    for mid in meter_ids:
        # the hour before the window gives the counter's value when the window starts
        pts = history.series(mid, reading, begin - 3600, stop, hours + 1)
        by_hour = {round((p.ts - begin) / 3600): p for p in pts}
        if any(h not in by_hour for h in range(hours)):
            continue
        before = by_hour.get(-1)
        prev = before.last if before is not None else by_hour[0].vmin
        rises = []
        for h in range(hours):
            p = by_hour[h]
            rises.append(max(p.last - prev, 0.0))
            prev = p.last
        if min(rises) >= min_rate:
            out.append((mid, sum(rises) / hours))
    return sorted(out, key=lambda kv: kv[1], reverse=True)


def abnormal_vs_usual(
    history: HistoryStore,
    meter_ids: Iterable[str],
    reading: str,
    end: float,
    tz: tzinfo | str | None = None,
    factor: float = 2.0,
    days: int = 7,
) -> list[tuple[str, float, float]]:
    """Meters whose use today (local midnight to ``end``) is more than ``factor`` x the median
    of their use over the same hours on each of the previous ``days`` days, as ``(meter id,
    today, usual)``, largest ratio first. Meters without earlier data, or whose usual use is 0,
    are skipped (nothing to compare with)."""
    zone = _tz(tz)
    now = _local(end, zone)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    span = end - midnight.timestamp()
    if span <= 0:
        return []
    out: list[tuple[str, float, float]] = []
    for mid in meter_ids:
        today = history.series(mid, reading, midnight.timestamp(), end, _points(0, span))
        if not today:
            continue
        earlier = []
        for k in range(1, days + 1):
            s = (midnight - timedelta(days=k)).timestamp()
            pts = history.series(mid, reading, s, s + span, _points(0, span))
            if pts:
                earlier.append(counter_use(pts))
        if not earlier:
            continue
        usual = float(np.median(earlier))
        use = counter_use(today)
        if usual > 0 and use > factor * usual:
            out.append((mid, use, usual))
    return sorted(out, key=lambda t: t[1] / t[2], reverse=True)
