"""Turning raw feed messages into checked readings, and counting what is rejected and why.

Topic contract: ``{prefix}/{device id}/telemetry`` carries a JSON object of readings with an
optional ``ts`` (epoch milliseconds, or ISO 8601); ``{prefix}/{device id}/event`` carries a
JSON object with ``type`` and optional ``severity``, ``ts``, ``data``. Anything else is
rejected with a reason, counted, and logged at most once per reason per minute; the valid
readings of a partly bad message are kept.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twin.scene.catalogue import CATALOGUE
from twin.state.readings import check_readings
from twin.state.store import Message

log = logging.getLogger("twin.telemetry")

MAX_PAYLOAD = 64 * 1024
FUTURE_S = 300.0
"""Timestamps more than 5 minutes ahead are refused (clock skew beyond that is a bug)."""
PAST_S = 7 * 86400.0
"""Timestamps more than a week old are refused (replays use the replay feed)."""
FLOOD_RATE, FLOOD_BURST = 50.0, 200.0
"""Per-device token bucket: 50 messages a second sustained, bursts of 200."""
SEVERITIES = ("critical", "major", "minor", "info")

REASONS = ("bad_topic", "unknown_device", "too_large", "not_json", "not_object", "bad_timestamp",
           "ts_future", "ts_past", "flood", "no_valid_reading", "bad_event")


def topic_prefix(scene_name: str) -> str:
    """``twin/{scene name}`` with the characters MQTT reserves replaced."""
    return "twin/" + re.sub(r"[/+#\s]+", "-", scene_name.strip()).strip("-")


@dataclass(frozen=True)
class ExternalEvent:
    """An event a device or another platform reports itself (``.../event``)."""

    device_id: str
    ts: float
    type: str
    severity: str
    data: dict[str, Any]


@dataclass
class IngestStats:
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    readings_rejected: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": dict(sorted(self.rejected.items())),
                "rejected_total": sum(self.rejected.values()),
                "readings_rejected": dict(sorted(self.readings_rejected.items()))}


class Parser:
    """Thread-safe: feed threads call :meth:`parse`; the pipeline reads :attr:`stats`."""

    def __init__(self, kinds: dict[str, str], prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.kinds = kinds  # device id -> kind
        self.prefix = prefix.rstrip("/")
        self.clock = clock
        self.stats = IngestStats()
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self._logged: dict[str, float] = {}

    def parse(self, topic: str, payload: bytes | str) -> Message | ExternalEvent | None:
        now = self.clock()
        with self._lock:
            return self._parse(topic, payload, now)

    def _reject(self, reason: str, detail: str, now: float) -> None:
        self.stats.rejected[reason] += 1
        if now - self._logged.get(reason, float("-inf")) >= 60.0:
            self._logged[reason] = now
            log.warning("rejected %s: %s (further %s rejections are counted, logged once a minute)",
                        reason, detail[:200], reason)

    def _parse(self, topic: str, payload: bytes | str, now: float) -> Message | ExternalEvent | None:
        head, _, rest = topic.partition(self.prefix + "/")
        device_id, _, channel = rest.rpartition("/")
        if head or not device_id or "/" in device_id or channel not in ("telemetry", "event"):
            self._reject("bad_topic", topic, now)
            return None
        kind = self.kinds.get(device_id)
        if kind is None:
            self._reject("unknown_device", device_id, now)
            return None
        if len(payload) > MAX_PAYLOAD:
            self._reject("too_large", f"{device_id}: {len(payload)} bytes", now)
            return None
        if not self._take_token(device_id, now):
            self._reject("flood", device_id, now)
            return None
        try:
            obj = json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[...]]]] bombs
            self._reject("not_json", f"{device_id}: {payload[:60]!r}", now)
            return None
        if not isinstance(obj, dict):
            self._reject("not_object", f"{device_id}: {type(obj).__name__}", now)
            return None
        ts = self._timestamp(obj.pop("ts", None), now, device_id)
        if ts is None:
            return None
        if channel == "event":
            etype, sev = obj.get("type"), obj.get("severity", "major")
            data = obj.get("data", {})
            if not isinstance(etype, str) or not etype.strip() or sev not in SEVERITIES or not isinstance(data, dict):
                self._reject("bad_event", f"{device_id}: {str(obj)[:80]}", now)
                return None
            self.stats.accepted += 1
            return ExternalEvent(device_id, ts, etype.strip()[:64], sev, data)
        clean, bad = check_readings(CATALOGUE[kind], obj)
        for _name, why in bad:
            self.stats.readings_rejected[why] += 1
        if bad and not clean:
            self._reject("no_valid_reading", f"{device_id}: {bad[:3]}", now)
            return None
        self.stats.accepted += 1
        return Message(device_id, ts, clean)

    def _timestamp(self, raw: Any, now: float, device_id: str) -> float | None:
        if raw is None:
            return now
        ts: float | None = None
        if isinstance(raw, int | float) and not isinstance(raw, bool) and abs(raw) < 1e15 and math.isfinite(raw):
            ts = raw / 1000.0
        elif isinstance(raw, str):
            try:
                dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                ts = dt.timestamp()
            except (ValueError, OverflowError, OSError):
                ts = None
        if ts is None:
            self._reject("bad_timestamp", f"{device_id}: {str(raw)[:40]}", now)
            return None
        if ts > now + FUTURE_S:
            self._reject("ts_future", f"{device_id}: {raw}", now)
            return None
        if ts < now - PAST_S:
            self._reject("ts_past", f"{device_id}: {raw}", now)
            return None
        return ts

    def _take_token(self, device_id: str, now: float) -> bool:
        tokens, last = self._buckets.get(device_id, (FLOOD_BURST, now))
        tokens = min(FLOOD_BURST, tokens + (now - last) * FLOOD_RATE)
        if tokens < 1.0:
            self._buckets[device_id] = (tokens, now)
            return False
        self._buckets[device_id] = (tokens - 1.0, now)
        return True
