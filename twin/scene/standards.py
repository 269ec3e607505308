"""The standards' limits the twin grades and alarms by, defined once: the rules
(``twin/state/rules.toml``, as ``limit = "<name>"``) and the environment view's grading
(``twin.analysis.environment``) both read them from here."""

from __future__ import annotations

import math

LIMITS: dict[str, float] = {
    # GB 3095-2012 ambient air quality, 24-hour means, ug/m3
    "gb3095_pm25_grade1": 35.0,
    "gb3095_pm25_grade2": 75.0,
    "gb3095_pm10_grade1": 50.0,
    "gb3095_pm10_grade2": 150.0,
    # GB 3096-2008 environmental noise, dB(A); day is 06:00-22:00
    "gb3096_class1_day": 55.0,
    "gb3096_class1_night": 45.0,
    "gb3096_class4a_day": 70.0,
    "gb3096_class4a_night": 55.0,
}
"""Limit name -> value (units as the reading's in the catalogue)."""

DORI_PPM: dict[str, float] = {
    # EN 62676-4 / IEC 62676-4: pixels per metre at the target
    "detection": 25.0,
    "observation": 62.5,
    "recognition": 125.0,
    "identification": 250.0,
}
"""DORI level -> the pixel density it needs at the target, in ascending order."""

DORI_LEVELS: tuple[str, ...] = ("none", *DORI_PPM)
"""Coverage levels by index: 0 none, 1 detection ... 4 identification."""

TARGET_HEIGHT_PEOPLE_M = 1.6
"""Height of a person's face above the ground (the coverage of roads, paths and perimeters)."""
TARGET_HEIGHT_VEHICLES_M = 1.0
"""Height of a vehicle's front and plate (the coverage of vehicle entrances)."""


def dori_distance(width_px: float, hfov_deg: float, ppm: float) -> float:
    """The distance at which a camera ``width_px`` wide with a horizontal field of view of
    ``hfov_deg`` reaches ``ppm`` pixels per metre: D = W / (PPM x 2 tan(HFOV / 2)).

    A 1920-pixel camera with a 68 deg lens detects (25 px/m) to 56.9 m and identifies (250)
    to 5.7 m. A panorama (180 deg or more) spreads its pixels over the arc: D = W / (PPM x
    HFOV in radians)."""
    if hfov_deg >= 180.0:
        return width_px / (ppm * math.radians(hfov_deg))
    return width_px / (ppm * 2.0 * math.tan(math.radians(hfov_deg) / 2.0))
