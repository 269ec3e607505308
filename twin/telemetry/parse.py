"""Turning raw feed messages into checked readings, and counting what is rejected and why.

Topic contract: ``{prefix}/{device id}/telemetry`` carries a JSON object of readings with an
optional ``ts`` (epoch milliseconds, or ISO 8601); ``{prefix}/{device id}/event`` carries a
JSON object with ``type`` and optional ``severity``, ``ts``, ``id``, ``data``. Anything else is
rejected with a reason, counted, and logged (escaped) at most once per reason per minute; the
valid readings of a partly bad message are kept.

Device clocks: a stamp up to :data:`SKEW_S` ahead of arrival is taken as is (network and NTP
jitter); one further ahead, up to :data:`FUTURE_S`, is a device clock running fast and is
replaced by the arrival time (counted as ``ts_skew``), so a fast clock can never make later
real readings look older and be ignored; beyond that the stamp is garbage (``ts_future``).
Rate limiting is not done here: it needs the device's state (see ``twin.telemetry.flood``).
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

from twin.core.safetext import clean, clean_json, escaped
from twin.scene.catalogue import CATALOGUE
from twin.scene.people import METHODS, mask_name, mask_plate
from twin.state.access import AccessEvent
from twin.state.eventschema import SEVERITIES
from twin.state.readings import check_readings
from twin.state.store import Message

log = logging.getLogger("twin.telemetry")

MAX_PAYLOAD = 64 * 1024
SKEW_S = 2.0
"""Stamps this far ahead of arrival are jitter, taken as they are."""
FUTURE_S = 86400.0
"""Stamps up to a day ahead are a fast device clock (replaced by the arrival time, counted as
``ts_skew``); further ahead they are refused as ``ts_future`` (milli- / microsecond mix-ups)."""
PAST_S = 7 * 86400.0
"""Timestamps more than a week old are refused (replays use the replay feed)."""
MAX_TYPE = 128
"""Longest event type or id accepted (longer ones are ``bad_event``, never cut)."""
ACCESS_TYPES = {"entry": "in", "exit": "out", "access": None, "door": "seen"}
"""Event types that are access events (a passage at a gate or barrier, a door opening), with
the direction each implies (``access`` says it in ``direction``)."""
DIRECTION_WORDS = {"in": "in", "entry": "in", "enter": "in", "out": "out", "exit": "out"}

REASONS = (
    "bad_topic",
    "unknown_device",
    "too_large",
    "not_json",
    "too_deep",
    "not_object",
    "bad_timestamp",
    "ts_future",
    "ts_past",
    "flood",
    "no_valid_reading",
    "bad_event",
    "duplicate",
)
ADJUSTMENTS = ("ts_skew",)
"""Accepted messages that were changed on the way in, counted by what was changed."""


PERSONAL_NAMES = frozenset({"name", "person_name", "full_name", "姓名", "名字"})
PERSONAL_PLATES = frozenset(
    {"plate", "plate_no", "plate_number", "licence_plate", "车牌", "车牌号"}
)
PERSONAL_DROPPED = frozenset(
    {
        "face",
        "face_url",
        "face_image",
        "image",
        "image_url",
        "photo",
        "snapshot",
        "picture",
        "id_card",
        "id_number",
        "phone",
        "mobile",
        "person",
        "token",
        "card",
        "card_no",
        "人脸",
        "照片",
        "抓拍",
        "身份证",
        "身份证号",
        "电话",
        "手机",
        "卡号",
    }
)
"""Keys of a device event's ``data`` that carry personal data (an AI platform's match, a
barrier's read): names and plates are kept masked, faces, images, identity numbers, phone
numbers and tokens are not kept at all (the twin shows events and counts, not people)."""


def minimise(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its personal fields masked or removed (see :data:`PERSONAL_NAMES`)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = k.strip().lower()
        if key in PERSONAL_DROPPED:
            out[k] = "(removed: personal data)"
        elif key in PERSONAL_NAMES and isinstance(v, str):
            out[k] = mask_name(v)
        elif key in PERSONAL_PLATES and isinstance(v, str):
            out[k] = mask_plate(v)
        elif isinstance(v, dict):
            out[k] = minimise(v)
        else:
            out[k] = v
    return out


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
    source_id: str | None = None
    """The sender's own id of the event (``id`` in the payload): stored once per id."""


@dataclass
class IngestStats:
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    readings_rejected: Counter[str] = field(default_factory=Counter)
    adjusted: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "rejected": dict(sorted(self.rejected.items())),
            "rejected_total": sum(self.rejected.values()),
            "readings_rejected": dict(sorted(self.readings_rejected.items())),
            "adjusted": dict(sorted(self.adjusted.items())),
        }


class Parser:
    """Thread-safe: feed threads call :meth:`parse`; the pipeline reads :attr:`stats`."""

    def __init__(
        self, kinds: dict[str, str], prefix: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.kinds = kinds  # device id -> kind
        self.prefix = prefix.rstrip("/")
        self.clock = clock
        self.stats = IngestStats()
        self._lock = threading.Lock()
        self._logged: dict[str, float] = {}

    def parse(
        self, topic: str, payload: bytes | str
    ) -> Message | ExternalEvent | AccessEvent | None:
        now = self.clock()
        with self._lock:
            return self._parse(topic, payload, now)

    def _reject(self, reason: str, detail: str | bytes, now: float) -> None:
        self.stats.rejected[reason] += 1
        if now - self._logged.get(reason, float("-inf")) >= 60.0:
            self._logged[reason] = now
            log.warning(
                "rejected %s: %s (further %s rejections are counted, logged once a minute)",
                reason,
                escaped(detail),
                reason,
            )

    def _parse(
        self, topic: str, payload: bytes | str, now: float
    ) -> Message | ExternalEvent | AccessEvent | None:
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
        try:
            obj = json.loads(payload)
        except RecursionError:  # [[[[...]]]] nested beyond Python's limit, valid JSON or not
            self._reject("too_deep", f"{device_id}: nested deeper than the parser's limit", now)
            return None
        except (ValueError, UnicodeDecodeError):
            self._reject("not_json", f"{device_id}: {payload[:60]!r}", now)
            return None
        if not isinstance(obj, dict):
            self._reject("not_object", f"{device_id}: {type(obj).__name__}", now)
            return None
        ts = self._timestamp(obj.pop("ts", None), now, device_id)
        if ts is None:
            return None
        if channel == "event":
            if obj.get("type") in ACCESS_TYPES:
                return self._access(device_id, ts, obj, now)
            return self._event(device_id, ts, obj, now)
        clean_readings, bad = check_readings(CATALOGUE[kind], obj)
        for _name, why in bad:
            self.stats.readings_rejected[why] += 1
        if not clean_readings:  # {} or only a ts carries nothing to apply
            self._reject("no_valid_reading", f"{device_id}: {bad[:3] or 'no readings'}", now)
            return None
        self.stats.accepted += 1
        return Message(device_id, ts, clean_readings)

    def _event(
        self, device_id: str, ts: float, obj: dict[str, Any], now: float
    ) -> ExternalEvent | None:
        etype, sev = obj.get("type"), obj.get("severity", "major")
        data, sid = obj.get("data", {}), obj.get("id")
        etype = clean(etype).strip() if isinstance(etype, str) else ""
        if isinstance(sid, int) and not isinstance(sid, bool):
            sid = str(sid)
        sid = clean(sid).strip() if isinstance(sid, str) else sid
        why = (
            "type is missing or empty"
            if not etype
            else f"type is longer than {MAX_TYPE} characters"
            if len(etype) > MAX_TYPE
            else f"severity {sev!r} is not one of {', '.join(SEVERITIES)}"
            if sev not in SEVERITIES
            else "data is not an object"
            if not isinstance(data, dict)
            else f"id must be text or a whole number of at most {MAX_TYPE} characters"
            if sid is not None and (not isinstance(sid, str) or not sid or len(sid) > MAX_TYPE)
            else ""
        )
        if why:
            self._reject("bad_event", f"{device_id}: {why}", now)
            return None
        self.stats.accepted += 1
        return ExternalEvent(device_id, ts, etype, sev, minimise(clean_json(data)), sid)

    def _access(
        self, device_id: str, ts: float, obj: dict[str, Any], now: float
    ) -> AccessEvent | None:
        """``{"type": "entry" | "exit" | "door" | "access", "direction": "in" | "out",
        "method": "face" | "card" | "qr" | "plate" | ..., "person": token, "plate": plate,
        "id": ...}``: a passage. The token and the plate never reach a log line."""
        direction = ACCESS_TYPES[obj["type"]]
        if direction is None:
            raw = obj.get("direction")
            direction = DIRECTION_WORDS.get(raw.strip().lower()) if isinstance(raw, str) else None
        method = obj.get("method", "door" if direction == "seen" else "other")
        fields = {k: obj.get(k) for k in ("person", "plate", "id")}
        for k, v in fields.items():
            if isinstance(v, int) and not isinstance(v, bool):
                fields[k] = str(v)
        why = (
            "direction must be in or out"
            if direction is None
            else f"method must be one of {', '.join(METHODS)}"
            if method not in METHODS
            else next(
                (
                    f"{k} must be text or a whole number of at most {MAX_TYPE} characters"
                    for k, v in fields.items()
                    if v is not None
                    and (not isinstance(v, str) or not v.strip() or len(v) > MAX_TYPE)
                ),
                "",
            )
        )
        if why:
            self._reject("bad_event", f"{device_id}: access event: {why}", now)
            return None
        self.stats.accepted += 1
        return AccessEvent(
            device_id,
            ts,
            direction,
            method,
            clean(fields["person"] or "").strip(),
            clean(fields["plate"] or "").strip(),
            clean(fields["id"]).strip() if fields["id"] else None,
        )

    def _timestamp(self, raw: Any, now: float, device_id: str) -> float | None:
        if raw is None:
            return now
        ts: float | None = None
        if (
            isinstance(raw, int | float)
            and not isinstance(raw, bool)
            and abs(raw) < 1e15
            and math.isfinite(raw)
        ):
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
        if ts > now + SKEW_S:  # a fast device clock: order by arrival
            self.stats.adjusted["ts_skew"] += 1
            return now
        return ts
