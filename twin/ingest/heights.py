"""Building heights in the units the data uses: declared by a column (``height_ft``,
``高度(米)``, GML's ``measuredHeight_uom``), set for a source in the scene file
(``height_unit = "ft"``), or the linear unit of a projected CRS in feet; and a check that a
source's heights are plausible as a whole.

Heights are converted to metres when a layer is read, so everything after works in metres.
A value that carries its own unit (``"40 ft"``, ``"12 m"``) keeps it.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

from pyproj import CRS

from twin.core.errors import InputError
from twin.core.units import LENGTH_UNITS, length_unit, unit_label
from twin.ingest.crs import crs_label, linear_unit_metres
from twin.scene.entities import Warning

HEIGHT_KEYS = ("height", "min_height", "building:height", "roof:height")
_BASES = {
    "height": "height",
    "min_height": "min_height",
    "bldg_height": "height",
    "building_height": "height",
    "measuredheight": "height",
    "heightroof": "height",
    "roof_height": "height",
    "hgt": "height",
    "高度": "height",
    "建筑高度": "height",
    "楼高": "height",
    "minheight": "min_height",
}
_SUFFIX = re.compile(
    r"^(?P<base>.+?)[\s_\-]*[(（\[]?\s*(?P<unit>ft|feet|foot|us[_-]?ft|m|metres?|meters?|cm|mm|"
    r"米|英尺|厘米|毫米)\s*[)）\]]?$",
    re.IGNORECASE,
)
_UOM = re.compile(r"^(?P<base>.+?)[_:\.](?:uom|unit|units)$", re.IGNORECASE)
_HAS_LETTERS = re.compile(r"[a-zA-Z'\"\u4e00-\u9fff]")

MEDIAN_HIGH_M = 60.0
"""A source whose buildings have a median height above this is implausible for ordinary
buildings."""
MEDIAN_LOW_M = 2.0
PLAUSIBLE_M = (2.5, 100.0)
"""A median building height in this range is plausible once converted from the unit suspected."""
MIN_FOR_CHECK = 5


def parse_height_unit(text: object, where: str) -> float | None:
    """Metres per unit of a scene file's ``height_unit`` (None when not given)."""
    if text is None or text == "":
        return None
    f = length_unit(text)
    if f is None:
        raise InputError(
            where,
            f"height_unit {text!r} is not a length unit.",
            'Use "m", "ft", "us-ft", "cm" or "mm" (or 米, 英尺, 厘米, 毫米).',
        )
    return f


def convert_heights(
    tags: list[dict[str, Any]],
    keys: dict[str, str],
    crs: CRS,
    height_unit: str | None,
    where: str,
    warnings: list[Warning],
) -> None:
    """Rewrite the height attributes of ``tags`` (one dict per feature) in metres; ``keys`` maps
    each column of the layer to its key in the tags."""
    declared: dict[
        str, tuple[str, float]
    ] = {}  # tag key of a unit-named column -> (height key, m per unit)
    uom_of: dict[str, str] = {}  # height key -> tag key of its unit column
    by_lower = {c.lower(): c for c in keys}
    for col, key in keys.items():
        m = _UOM.match(col)
        if m and m.group("base").lower() in by_lower:
            uom_of[keys[by_lower[m.group("base").lower()]]] = key
            continue
        m = _SUFFIX.match(col.strip())
        if (
            m
            and m.group("base").lower() in _BASES
            and (f := length_unit(m.group("unit"))) is not None
        ):
            declared[key] = (_BASES[m.group("base").lower()], f)
    setting = parse_height_unit(height_unit, where)
    crs_unit = linear_unit_metres(crs)
    assumed = setting if setting is not None else (crs_unit if abs(crs_unit - 1.0) > 1e-9 else None)
    used_assumed = False
    for t in tags:
        done = set()
        for dkey, (hkey, f) in declared.items():
            if dkey in t:
                t[hkey] = _metres(t.pop(dkey), f)
                done.add(hkey)
        for hkey in HEIGHT_KEYS:
            if hkey not in t or hkey in done or not _bare(t[hkey]):
                continue
            ucol = uom_of.get(hkey)
            if ucol is not None and (f := length_unit(t.get(ucol))) is not None:
                t[hkey] = _metres(t[hkey], f)
            elif assumed is not None:
                t[hkey] = _metres(t[hkey], assumed)
                used_assumed = True
    if declared:
        cols = ", ".join(f"{c} ({unit_label(f)})" for c, (_, f) in declared.items())
        warnings.append(
            Warning(
                where,
                "heights",
                f"column units declared by their names: {cols}",
                "converted to metres",
            )
        )
    if used_assumed:
        if setting is not None:
            why = f"in {unit_label(setting)} (height_unit of its [[sources]])"
        else:
            why = (
                f"in {unit_label(crs_unit)}, the linear unit of its CRS {crs_label(crs)}; "
                f'if they are metres, set height_unit = "m" in its [[sources]]'
            )
        warnings.append(
            Warning(where, "heights", f"bare height numbers read {why}", "converted to metres")
        )


def _bare(v: Any) -> bool:
    """A number without a unit of its own."""
    if isinstance(v, bool):
        return False
    return isinstance(v, int | float) or not _HAS_LETTERS.search(str(v))


def _metres(v: Any, f: float) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v) * f
    s = str(v).strip().replace(",", ".")
    try:
        return float(s) * f
    except ValueError:
        return v  # with a unit of its own, or unreadable: the tag rules deal with it


def check_plausible(heights: dict[str, list[float]]) -> list[Warning]:
    """One warning per source whose attribute heights are implausible as a whole, naming the
    likely cause and the fix."""
    out = []
    for source, hs in heights.items():
        if len(hs) < MIN_FOR_CHECK:
            continue
        med = statistics.median(hs)
        fix = 'set height_unit = "{}" in its [[sources]] (twin new-scene: --height-unit {})'
        if med > MEDIAN_HIGH_M:
            for unit, name in (
                ("ft", "feet"),
                ("cm", "centimetres"),
                ("mm", "millimetres"),
                ("dm", "decimetres"),
            ):
                f = LENGTH_UNITS[unit]
                if PLAUSIBLE_M[0] <= med * f <= PLAUSIBLE_M[1]:
                    cause = (
                        f"they look like {name} (the median would be {med * f:.0f} m); "
                        f"{fix.format(unit, unit)}"
                    )
                    break
            else:
                cause = "check the height column and its unit"
            out.append(
                Warning(
                    source,
                    "heights",
                    f"the median building height is {med:.0f} m, implausible for "
                    f"ordinary buildings: {cause}",
                    "kept as read",
                )
            )
        elif med < MEDIAN_LOW_M:
            out.append(
                Warning(
                    source,
                    "heights",
                    f"the median building height is {med:.1f} m: the height column "
                    "may hold storeys (name it floors or 层数) or another unit; "
                    + fix.format("m", "m").replace('"m"', "the unit"),
                    "kept as read",
                )
            )
    return out
