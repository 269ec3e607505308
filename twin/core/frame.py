"""The scene's local metric frame, as plain data.

Coordinates in the scene are east, north, up in metres from an origin, so that float32 on the
GPU keeps centimetre precision. The frame records its projected CRS and the origin in that CRS
and in lon / lat; the conversions themselves live in ``twin.ingest.crs`` (they need PROJ).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalFrame:
    """East-north-up frame: local = projected(crs) - (origin_x, origin_y)."""

    crs: str
    """Projected CRS of the frame, as ``EPSG:N`` (or a PROJ string when it has no code)."""
    origin_lon: float
    origin_lat: float
    origin_x: float
    """Origin easting in ``crs``, metres."""
    origin_y: float
    """Origin northing in ``crs``, metres."""
