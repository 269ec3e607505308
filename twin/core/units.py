"""Length units as data declare them: names, symbols, Chinese names, UCUM / EPSG codes."""

from __future__ import annotations

import re

US_SURVEY_FOOT = 1200.0 / 3937.0
FOOT = 0.3048

LENGTH_UNITS: dict[str, float] = {
    **dict.fromkeys(("m", "metre", "metres", "meter", "meters", "米", "公尺"), 1.0),
    **dict.fromkeys(
        ("cm", "centimetre", "centimetres", "centimeter", "centimeters", "厘米", "公分"), 0.01
    ),
    **dict.fromkeys(
        ("mm", "millimetre", "millimetres", "millimeter", "millimeters", "毫米"), 0.001
    ),
    **dict.fromkeys(("dm", "decimetre", "decimeter", "分米"), 0.1),
    **dict.fromkeys(("km", "kilometre", "kilometer", "千米", "公里"), 1000.0),
    **dict.fromkeys(("ft", "foot", "feet", "'", "英尺", "international foot", "[ft_i]"), FOOT),
    **dict.fromkeys(
        (
            "us-ft",
            "ftus",
            "us_ft",
            "us ft",
            "us survey foot",
            "us survey feet",
            "survey foot",
            "[ft_us]",
            "foot_us",
            "foot us",
            "us foot",
        ),
        US_SURVEY_FOOT,
    ),
    **dict.fromkeys(("in", "inch", "inches", "英寸"), 0.0254),
    **dict.fromkeys(("yd", "yard", "yards"), 0.9144),
}
"""Metres per unit."""

_EPSG_UNITS = {
    "9001": 1.0,
    "9002": FOOT,
    "9003": US_SURVEY_FOOT,
    "1025": 0.001,
    "1033": 0.01,
    "9036": 1000.0,
}


def length_unit(text: object) -> float | None:
    """Metres per unit of a unit as data writes it ("ft", "metre", "米", "#m",
    "urn:ogc:def:uom:EPSG::9002", "http://www.opengis.net/def/uom/UCUM/0/[ft_i]"); None when
    unknown."""
    if text is None:
        return None
    s = str(text).strip().lower().lstrip("#")
    if not s:
        return None
    if s in LENGTH_UNITS:
        return LENGTH_UNITS[s]
    m = re.search(r"epsg(?:::|/0/|:)(\d+)$", s)
    if m:
        return _EPSG_UNITS.get(m.group(1))
    tail = re.split(r"[:/]", s)[-1]
    return LENGTH_UNITS.get(tail)


def unit_label(metres_per_unit: float) -> str:
    """A short name for a unit given in metres ("m", "ft", "US ft", "mm", ...)."""
    for name, f in (
        ("m", 1.0),
        ("ft", FOOT),
        ("US ft", US_SURVEY_FOOT),
        ("mm", 0.001),
        ("cm", 0.01),
        ("km", 1000.0),
        ("in", 0.0254),
        ("yd", 0.9144),
        ("dm", 0.1),
    ):
        if abs(metres_per_unit - f) <= 1e-9 * max(f, 1.0):
            return name
    return f"{metres_per_unit:g} m"
