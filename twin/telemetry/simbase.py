"""What the simulators share (:mod:`twin.telemetry.simulator` for readings,
:mod:`twin.telemetry.simpeople` for people at the gates): stateless hashing, the reference
epoch and the demo incidents' period."""

from __future__ import annotations

_MASK = (1 << 64) - 1
REFERENCE_EPOCH = 1704067200.0
"""2024-01-01 UTC: counters (energy, water, passages) count from here."""
REFERENCE_DAY = int(REFERENCE_EPOCH // 86400)
INCIDENT_EVERY_S = 180.0
"""Demo mode: an incident every 3 minutes of wall time."""


def mix64(*values: int) -> int:
    """A uniform 64-bit integer from integers (splitmix64 finaliser; fast and stateless)."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x ^= x >> 31
        x = x * 0x94D049BB133111EB & _MASK
        x ^= x >> 29
    return x


def mix(*values: int) -> float:
    """A uniform number in [0, 1) from integers (:func:`mix64` scaled)."""
    return mix64(*values) / 2.0**64
