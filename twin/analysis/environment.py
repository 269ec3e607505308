"""Environment: air quality, noise and weather readings as a surface over the ground.

The quantities, their units and the limits of the Chinese national standards they are judged
by (:data:`QUANTITIES`), the live samples of one quantity (:func:`samples`), an inverse-distance
weighted grid that stays blank far from any sensor (:func:`interpolate`) and the band a value
falls in (:func:`band`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.scene.scene import Scene
from twin.scene.standards import LIMITS

SAMPLE_KINDS = ("env_monitor", "pole")
"""Device kinds that measure the environment (poles carry a weather station)."""
MIN_RADIUS_M = 150.0
"""The coverage radius of the interpolated surface is never smaller than this."""
_CHUNK_ELEMS = 2_000_000
"""Cells x samples evaluated at a time (about 16 MB of float64 per temporary)."""


@dataclass(frozen=True)
class Threshold:
    """A limit: ``side="high"`` means values at or above it are bad, ``"low"`` below it."""

    value: float
    label_en: str
    label_zh: str
    side: str = "high"


@dataclass(frozen=True)
class Quantity:
    """A measured quantity and how it is judged.

    ``thresholds`` (ascending, the high-side ones) grade the value: at or above the first is a
    warning, at or above the second an alarm (see :func:`band`). ``night_thresholds``, when
    given, replace them at night (noise). ``standard`` names where the limits come from, or says
    that there is no standard. ``good_low``: lower values are better (pollution, noise).
    """

    reading: str
    label_en: str
    label_zh: str
    unit: str
    vmin: float
    vmax: float
    thresholds: tuple[Threshold, ...]
    good_low: bool
    standard_en: str = ""
    standard_zh: str = ""
    night_thresholds: tuple[Threshold, ...] = ()

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def standard(self, lang: str) -> str:
        return self.standard_zh if lang == "zh" else self.standard_en


QUANTITIES: dict[str, Quantity] = {
    "pm25": Quantity(
        "pm25",
        "PM2.5",
        "PM2.5",
        "ug/m3",
        0.0,
        150.0,
        (
            Threshold(
                LIMITS["gb3095_pm25_grade1"],
                "grade I limit (24-h mean)",
                "一级浓度限值（24小时平均）",
            ),
            Threshold(
                LIMITS["gb3095_pm25_grade2"],
                "grade II limit (24-h mean)",
                "二级浓度限值（24小时平均）",
            ),
        ),
        True,
        "GB 3095-2012",
        "GB 3095-2012",
    ),
    "pm10": Quantity(
        "pm10",
        "PM10",
        "PM10",
        "ug/m3",
        0.0,
        250.0,
        (
            Threshold(
                LIMITS["gb3095_pm10_grade1"],
                "grade I limit (24-h mean)",
                "一级浓度限值（24小时平均）",
            ),
            Threshold(
                LIMITS["gb3095_pm10_grade2"],
                "grade II limit (24-h mean)",
                "二级浓度限值（24小时平均）",
            ),
        ),
        True,
        "GB 3095-2012",
        "GB 3095-2012",
    ),
    "noise_db": Quantity(
        "noise_db",
        "Noise",
        "噪声",
        "dB(A)",
        30.0,
        90.0,
        (
            Threshold(
                LIMITS["gb3096_class1_day"],
                "class 1 (residential) day limit",
                "1类（居住）昼间限值",
            ),
            Threshold(
                LIMITS["gb3096_class4a_day"],
                "class 4a (beside main roads) day limit",
                "4a类（交通干线两侧）昼间限值",
            ),
        ),
        True,
        "GB 3096-2008",
        "GB 3096-2008",
        night_thresholds=(
            Threshold(
                LIMITS["gb3096_class1_night"],
                "class 1 (residential) night limit",
                "1类（居住）夜间限值",
            ),
            Threshold(
                LIMITS["gb3096_class4a_night"],
                "class 4a (beside main roads) night limit",
                "4a类（交通干线两侧）夜间限值",
            ),
        ),
    ),
    "temp_c": Quantity(
        "temp_c",
        "Temperature",
        "气温",
        "degC",
        -20.0,
        45.0,
        (
            Threshold(0.0, "frost", "霜冻", side="low"),
            Threshold(35.0, "heat", "高温"),
            Threshold(40.0, "extreme heat", "酷热"),
        ),
        False,
        "no national limit; 35 / 40 degC are the levels of "
        "the weather service's heat warnings, 0 degC frost",
        "无国家限值；35 / 40 ℃ 为气象高温预警的温度，0 ℃ 为霜冻",
    ),
    "humidity_pct": Quantity(
        "humidity_pct",
        "Humidity",
        "湿度",
        "%",
        0.0,
        100.0,
        (),
        False,
        "no national limit for outdoor humidity (shown without grading)",
        "室外湿度无国家限值（不分级）",
    ),
}
"""The environment view's quantities, in menu order."""


def samples(
    scene: Scene,
    readings: dict[str, dict[str, Any]],
    reading: str,
    statuses: dict[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(N, 2)`` and values ``(N,)`` of ``reading`` from the environment monitors and
    poles that report it as a finite number; offline devices (per ``statuses``) are skipped."""
    xy: list[tuple[float, float]] = []
    vals: list[float] = []
    statuses = statuses or {}
    for d in scene.devices:
        if d.kind not in SAMPLE_KINDS or statuses.get(d.id) == "offline":
            continue
        v = (readings.get(d.id) or {}).get(reading)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            continue
        xy.append((d.x, d.y))
        vals.append(float(v))
    return np.array(xy, dtype=np.float64).reshape(-1, 2), np.array(vals, dtype=np.float64)


@dataclass
class Grid:
    """A raster over the ground: cell ``(j, i)`` covers ``x0 + i*cell .. x0 + (i+1)*cell`` and
    ``y0 + j*cell .. y0 + (j+1)*cell``; ``values`` is ``(ny, nx)``, NaN outside coverage."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    values: np.ndarray

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x of each column's and y of each row's cell centres."""
        return (
            self.x0 + (np.arange(self.nx) + 0.5) * self.cell,
            self.y0 + (np.arange(self.ny) + 0.5) * self.cell,
        )


def _chunks(n_queries: int, n_samples: int) -> range:
    step = max(1, _CHUNK_ELEMS // max(n_samples, 1))
    return range(0, n_queries, step)


def nearest_spacing(xy: np.ndarray) -> np.ndarray:
    """Distance from each sample to its nearest other sample (inf for a lone sample)."""
    n = len(xy)
    out = np.full(n, np.inf)
    if n < 2:
        return out
    for a in _chunks(n, n):
        b = min(a + max(1, _CHUNK_ELEMS // n), n)
        d2 = ((xy[a:b, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
        d2[np.arange(b - a), np.arange(a, b)] = np.inf
        out[a:b] = np.sqrt(d2.min(axis=1))
    return out


def default_radius(xy: np.ndarray) -> float:
    """Coverage radius: 3 x the median spacing between neighbouring samples, at least
    :data:`MIN_RADIUS_M`."""
    sp = nearest_spacing(xy)
    sp = sp[np.isfinite(sp)]
    return max(MIN_RADIUS_M, 3.0 * float(np.median(sp))) if len(sp) else MIN_RADIUS_M


def idw(
    xy: np.ndarray,
    values: np.ndarray,
    query: np.ndarray,
    power: float = 2.0,
    radius: float | None = None,
) -> np.ndarray:
    """Inverse-distance weighted values at ``query`` points ``(M, 2)``: exact at a sample, NaN
    farther than ``radius`` from every sample (no radius: everywhere defined). Evaluated in
    chunks, so memory stays bounded for any number of points."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    values = np.asarray(values, dtype=np.float64).ravel()
    query = np.asarray(query, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(query), np.nan)
    if not len(xy) or not len(query):
        return out
    step = max(1, _CHUNK_ELEMS // len(xy))
    for a in range(0, len(query), step):
        q = query[a : a + step]
        d2 = (q[:, None, 0] - xy[None, :, 0]) ** 2 + (q[:, None, 1] - xy[None, :, 1]) ** 2
        dmin2 = d2.min(axis=1)
        hit = d2 <= 1e-12  # on a sample: its value (mean if samples coincide)
        with np.errstate(divide="ignore"):
            w = np.where(
                hit.any(axis=1, keepdims=True),
                hit.astype(np.float64),
                1.0 / np.power(d2, power / 2.0),
            )
        res = (w @ values) / w.sum(axis=1) if len(xy) > 1 else np.full(len(q), values[0])
        if radius is not None:
            res[dmin2 > radius * radius] = np.nan
        out[a : a + step] = res
    return out


def interpolate(
    xy: np.ndarray,
    values: np.ndarray,
    bounds: tuple[float, float, float, float],
    cell: float | None = None,
    power: float = 2.0,
    max_cells: int = 40_000,
    radius: float | None = None,
) -> Grid | None:
    """An IDW grid of the samples over ``bounds`` ``(xmin, xmax, ymin, ymax)``.

    ``cell`` (metres) is enlarged when needed so that ``nx * ny <= max_cells``; by default the
    smallest such cell. Cells farther than ``radius`` from every sample are NaN (default
    :func:`default_radius`): the map invents nothing far from the sensors. No samples: None;
    one sample: its value everywhere within the radius."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    values = np.asarray(values, dtype=np.float64).ravel()
    if not len(xy):
        return None
    xmin, xmax, ymin, ymax = (float(b) for b in bounds)
    w, h = max(xmax - xmin, 1e-6), max(ymax - ymin, 1e-6)
    smallest = math.sqrt(w * h / max(max_cells, 1))
    cell = max(float(cell) if cell else 0.0, smallest, 1e-6)
    while math.ceil(w / cell) * math.ceil(h / cell) > max_cells:
        cell *= 1.01
    nx, ny = max(1, math.ceil(w / cell)), max(1, math.ceil(h / cell))
    if radius is None:
        radius = default_radius(xy)
    cx = xmin + (np.arange(nx) + 0.5) * cell
    cy = ymin + (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)
    vals = idw(xy, values, np.column_stack([gx.ravel(), gy.ravel()]), power, radius)
    return Grid(xmin, ymin, cell, nx, ny, vals.reshape(ny, nx))


def band(value: float, quantity: Quantity, night: bool = False) -> str:
    """``ok`` / ``warning`` / ``alarm`` of ``value``.

    High-side thresholds, ascending: at or above the first is a warning, at or above the
    second (or any later) an alarm - for PM2.5 / PM10 above grade I is a warning and above
    grade II an alarm; for noise above the class 1 limit a warning and above the class 4a limit
    an alarm (the night limits when ``night``). Temperature: below 0 degC (frost) or from 35 degC
    a warning, from 40 degC an alarm. Humidity has no limits: always ok. NaN: ok."""
    if value is None or not math.isfinite(value):
        return "ok"
    ths = quantity.night_thresholds if night and quantity.night_thresholds else quantity.thresholds
    high = sorted(t.value for t in ths if t.side == "high")
    passed = sum(value >= t for t in high)
    if passed >= 2:
        return "alarm"
    if passed == 1 or any(t.side == "low" and value < t.value for t in ths):
        return "warning"
    return "ok"
