"""Checking device readings against the catalogue: names, types and physical ranges.

A reading that is not in the device kind's catalogue entry, has the wrong type or an impossible
value (negative PM2.5, fill 300 %) is rejected with a reason; the valid readings of the same
message are kept.

Types are strict, because a lenient reading invents alarms: ``bool`` takes JSON ``true`` /
``false`` only (``1``, ``0``, ``1.0``, ``"true"`` are ``wrong_type``); ``enum`` one of its
choices as a string; ``int`` a whole number (``3`` or ``3.0``: JSON has one number type), not a
boolean; ``float`` any finite number, not a boolean.
"""

from __future__ import annotations

import math
from typing import Any

from twin.scene.catalogue import DeviceKind, Reading

_NUMBER = (int, float)  # isinstance with a tuple: no ``int | float`` union built per call
# Reasons a message or a reading is rejected (counted per reason by the pipeline).
UNKNOWN_READING = "unknown_reading"
WRONG_TYPE = "wrong_type"
OUT_OF_RANGE = "out_of_range"


def check_value(spec: Reading, value: Any) -> tuple[Any, str | None]:
    """``(clean value, None)`` or ``(None, reason)`` for one reading."""
    if spec.type == "bool":
        return (value, None) if isinstance(value, bool) else (None, WRONG_TYPE)
    if spec.type == "enum":
        if isinstance(value, str) and value in spec.choices:
            return value, None
        return None, (WRONG_TYPE if not isinstance(value, str) else OUT_OF_RANGE)
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        return None, WRONG_TYPE
    try:
        v = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return None, OUT_OF_RANGE
    if not math.isfinite(v):
        return None, OUT_OF_RANGE
    if spec.type == "int":
        if v != int(v):
            return None, WRONG_TYPE
        v = int(v)
    if (spec.low is not None and v < spec.low) or (spec.high is not None and v > spec.high):
        return None, OUT_OF_RANGE
    return v, None


_SPECS: dict[str, tuple[DeviceKind, dict[str, Reading]]] = {}
"""Kind -> (the kind, its readings by name): built once per kind, not once per message."""


def _specs(kind: DeviceKind) -> dict[str, Reading]:
    hit = _SPECS.get(kind.kind)
    if hit is None or hit[0] is not kind:
        hit = _SPECS[kind.kind] = (kind, {r.name: r for r in kind.readings})
    return hit[1]


def check_readings(
    kind: DeviceKind, payload: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The valid readings of ``payload`` and ``(name, reason)`` for each rejected one."""
    specs = _specs(kind)
    clean: dict[str, Any] = {}
    rejected: list[tuple[str, str]] = []
    for name, value in payload.items():
        spec = specs.get(name)
        if spec is None:
            rejected.append((name, UNKNOWN_READING))
            continue
        v, why = check_value(spec, value)
        if why is None:
            clean[name] = v
        else:
            rejected.append((name, why))
    return clean, rejected
