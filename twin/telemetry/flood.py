"""Per-device rate limiting that never drops a change.

A device sending faster than :data:`FLOOD_RATE` messages a second (bursts of
:data:`FLOOD_BURST`) is flooding. Only its *valid* messages spend its allowance (garbage on its
topic is rejected for its own reason and costs the valid ones nothing), and over the allowance
only a message that changes nothing - every reading equal to the value the twin holds, or older
than it - is dropped (counted as ``flood``). A message that changes a value may raise or clear
a condition, so it is always applied: rate limiting never costs an alarm or a clear.
"""

from __future__ import annotations

FLOOD_RATE, FLOOD_BURST = 50.0, 200.0
"""Per-device token bucket: 50 messages a second sustained, bursts of 200."""


class FloodGate:
    """Token buckets per device (one thread: the pipeline's worker)."""

    def __init__(self, rate: float = FLOOD_RATE, burst: float = FLOOD_BURST) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def over(self, device_id: str, now: float) -> bool:
        """Spend one token of ``device_id``; True when it had none left."""
        tokens, last = self._buckets.get(device_id, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[device_id] = (tokens, now)
            return True
        self._buckets[device_id] = (tokens - 1.0, now)
        return False
