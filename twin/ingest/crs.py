"""Coordinate reference systems: parsing what users declare, choosing the scene frame, and
converting between the local frame and lon / lat.

GCJ-02 and BD-09 (Chinese web-map datums) are refused: PROJ does not implement them, and
mixing them with WGS84 silently shifts everything by hundreds of metres.
"""

from __future__ import annotations

import math
import re

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from twin.core.errors import InputError
from twin.core.frame import LocalFrame

WGS84 = CRS.from_epsg(4326)

_OBFUSCATED = re.compile(
    r"gcj[\s_-]*0?2|bd[\s_-]*0?9|mars\s*coord|火星|baidu|国测局", re.IGNORECASE
)
GCJ_MESSAGE = (
    "declares GCJ-02 / BD-09 coordinates. These are the deliberately offset datums of Chinese "
    "web maps (Amap, Tencent, Baidu); PROJ does not implement them and mixing them with WGS84 "
    "shifts positions by 100-700 m. Export the data in WGS84 (EPSG:4326) or CGCS2000 "
    "(EPSG:4490 or its Gauss-Kruger zones EPSG:4513-4554) instead."
)


def is_obfuscated(text: str) -> bool:
    return bool(_OBFUSCATED.search(text or ""))


def parse_crs(text: object, where: str) -> CRS:
    """A CRS from what a user or a file declares ("EPSG:4547", "4490", WKT, PROJ)."""
    if isinstance(text, CRS):
        return text
    s = str(text).strip()
    if is_obfuscated(s):
        raise InputError(where, GCJ_MESSAGE)
    if re.fullmatch(r"\d{4,6}", s):
        s = f"EPSG:{s}"
    try:
        crs = CRS.from_user_input(s)
    except CRSError:
        raise InputError(
            where,
            f"unknown CRS {s!r}.",
            "Use a code PROJ knows, such as EPSG:4326, EPSG:4490 or EPSG:4547.",
        ) from None
    if is_obfuscated(crs.name or ""):
        raise InputError(where, GCJ_MESSAGE)
    return crs


def crs_label(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=90)
    return f"EPSG:{code}" if code else crs.to_string()


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone CRS containing (lon, lat)."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def cgcs2000_gk_crs(lon: float) -> CRS:
    """CGCS2000 3-degree Gauss-Kruger zone (central-meridian variant, EPSG:4534-4554)."""
    cm = int(round(lon / 3.0)) * 3
    cm = min(max(cm, 75), 135)
    return CRS.from_epsg(4534 + (cm - 75) // 3)


def frame_crs(declared: str | None, lon: float, lat: float, where: str) -> CRS:
    """The projected CRS of the scene frame.

    By default the UTM zone of the data's centre. A geographic CRS is not a metric frame, so a
    declared CGCS2000 (EPSG:4490) becomes its Gauss-Kruger zone and any other geographic CRS
    becomes the UTM zone.
    """
    if not declared:
        return utm_crs(lon, lat)
    crs = parse_crs(declared, where)
    if crs.is_projected:
        return crs
    if crs.is_geographic:
        if crs.to_epsg() == 4490 or "2000" in (crs.datum.name if crs.datum else ""):
            return cgcs2000_gk_crs(lon)
        return utm_crs(lon, lat)
    raise InputError(
        where, f"CRS {crs_label(crs)} is neither projected nor geographic.", "Use a projected CRS."
    )


def z_unit_metres(crs: CRS) -> float:
    """Metres per unit of z: the vertical CRS's unit, else the horizontal one of a projected CRS
    (New York's EPSG:2263 is in US survey feet, heights too), else 1."""
    parts = list(crs.sub_crs_list) if crs.is_compound else [crs]
    vertical = [a for c in parts for a in c.axis_info if a.direction in ("up", "down")]
    horizontal = [a for c in parts if c.is_projected for a in c.axis_info]
    for axis in vertical or horizontal:
        f = axis.unit_conversion_factor
        if f and math.isfinite(f):
            return float(f)
    return 1.0


def linear_unit_metres(crs: CRS) -> float:
    """Metres per unit of a projected CRS's easting / northing (1 for geographic CRSs)."""
    base = crs.sub_crs_list[0] if crs.is_compound else crs
    if not base.is_projected:
        return 1.0
    for axis in base.axis_info:
        f = axis.unit_conversion_factor
        if f and math.isfinite(f):
            return float(f)
    return 1.0


class FrameTransform:
    """Converts between the local frame (east, north in metres) and lon / lat (WGS84)."""

    def __init__(self, frame: LocalFrame) -> None:
        self.frame = frame
        self.crs = CRS.from_user_input(frame.crs)
        self._fwd = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self._inv = Transformer.from_crs(self.crs, WGS84, always_xy=True)

    @classmethod
    def create(cls, crs: CRS, lon: float, lat: float) -> FrameTransform:
        x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon, lat)
        return cls(LocalFrame(crs_label(crs), float(lon), float(lat), float(x), float(y)))

    def to_local(
        self, lon: np.ndarray | float, lat: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x) - self.frame.origin_x, np.asarray(y) - self.frame.origin_y

    def to_lonlat(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self._inv.transform(
            np.asarray(x, dtype=float) + self.frame.origin_x,
            np.asarray(y, dtype=float) + self.frame.origin_y,
        )
        return np.asarray(lon), np.asarray(lat)

    def from_crs(self, crs: CRS) -> Transformer:
        """A transformer from ``crs`` to the frame's projected CRS."""
        return Transformer.from_crs(crs, self.crs, always_xy=True)
