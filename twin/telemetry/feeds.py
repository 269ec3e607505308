"""Feeds: where live messages come from. ``sim`` (built-in simulator), ``mqtt://`` or
``mqtts://`` (a broker, through paho-mqtt), ``replay:FILE`` (a history export).

A feed runs on its own thread and only hands messages to the pipeline's queue; each has a
``clock`` (wall time for MQTT, simulated or replayed time otherwise) that the pipeline uses as
"now" for offline detection, day / night rules and event times.
"""

from __future__ import annotations

import csv
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.state.access import AccessEvent
from twin.state.readings import check_readings
from twin.state.store import Message
from twin.telemetry.mqttclient import MqttSettings
from twin.telemetry.parse import ExternalEvent
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.receiver import Receiver
from twin.telemetry.simulator import Simulator

log = logging.getLogger("twin.feeds")


class Feed(Protocol):
    name: str

    def clock(self) -> float: ...
    def start(self, pipeline: Pipeline) -> None: ...
    def stop(self) -> None: ...
    @property
    def done(self) -> bool: ...
    def info(self) -> dict[str, Any]: ...


# -- feeds with their own clock (simulator, replay) -------------------------------------------
class _PacedFeed:
    """A feed whose time runs from ``t0`` at ``speed`` times the wall clock, submitting every
    ``tick_s`` whatever :meth:`_due` returns for the time reached."""

    name = ""

    def __init__(self, t0: float, speed: float, tick_s: float = 0.1) -> None:
        self.t0, self.speed, self.tick_s = t0, speed, tick_s
        self._wall0 = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _now(self) -> float:
        return self.t0 + (time.monotonic() - self._wall0) * self.speed

    def clock(self) -> float:
        return self._now()

    def _due(self, now: float) -> Sequence[Message | ExternalEvent | AccessEvent]:
        raise NotImplementedError

    def start(self, pipeline: Pipeline) -> None:
        self._wall0 = time.monotonic()

        def run() -> None:
            while not self.done and not self._stop.wait(self.tick_s):
                pipeline.submit(self._due(self._now()))

        self._thread = threading.Thread(target=run, name=f"twin-{self.name}-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    @property
    def done(self) -> bool:
        return False


class SimFeed(_PacedFeed):
    """The simulator in real time (times ``speed``). Every device reports once at the start so
    the scene is fully coloured at once (hourly devices would otherwise stay unknown); the
    people's access events and the incidents' device events come with the readings."""

    name = "sim"

    def __init__(self, sim: Simulator, tick_s: float = 0.1) -> None:
        super().__init__(sim.start, sim.speed, tick_s)
        self.sim = sim
        self._last = sim.start

    def start(self, pipeline: Pipeline) -> None:
        pipeline.submit(self.sim.snapshot(self.sim.start))
        self._last = self.sim.start
        super().start(pipeline)

    def _due(self, now: float) -> list[Message | ExternalEvent | AccessEvent]:
        out: list[Message | ExternalEvent | AccessEvent] = list(self.sim.messages(self._last, now))
        out += self.sim.events(self._last, now)
        self._last = now
        return out

    def info(self) -> dict[str, Any]:
        return {
            "feed": "sim",
            "seed": self.sim.seed,
            "speed": self.sim.speed,
            "incident_every_s": self.sim.period / self.sim.speed if self.sim.speed else 0,
        }


# -- MQTT --------------------------------------------------------------------------------------
SESSION_EXPIRY_S = 600
"""How long the broker keeps a shared-subscription worker's session after it is gone (another
worker takes it over within seconds; this only bounds a broker's memory)."""


class MqttFeed:
    """Subscribes to ``{prefix}/+/telemetry`` (QoS 0) and ``{prefix}/+/event`` (QoS 1) through
    the receiver process (``twin.telemetry.receiver``: paho off this process's interpreter
    lock); reconnects with backoff and subscribes again after every reconnect. An absent broker
    at start is retried the same way. QoS 1 messages are acknowledged by the pipeline once
    durable (paho's manual acknowledgement), on the connection that delivered them: after a
    reconnect the broker sends an unacknowledged message again (flagged as a duplicate), and
    that copy is acknowledged instead."""

    name = "mqtt"

    def __init__(
        self,
        url: str,
        prefix: str,
        share: str | None = None,
        client_id: str | None = None,
        adopt: bool = False,
    ) -> None:
        self.settings = MqttSettings(url)
        self.prefix = prefix
        self.share = share
        """MQTT 5 shared subscription group (several ingest workers, ``twin.telemetry.workers``):
        the session persists :data:`SESSION_EXPIRY_S` so another worker can take it over."""
        self.own_id = client_id
        self.adopt = adopt
        """Take over the persistent session ``client_id`` of a dead worker: no new subscription
        (the share is left at once), only what the broker kept for it."""
        self.last_message = time.monotonic()
        self.connected = False
        self.connects = 0
        self.since: float | None = None
        self.last_error = ""
        self.last_error_at: float | None = None
        self._stopping = False
        self.receiver: Receiver | None = None

    def clock(self) -> float:
        return time.time()

    def start(self, pipeline: Pipeline) -> None:
        self.settings.check_tls()
        topics = [(f"{self.prefix}/+/telemetry", 0), (f"{self.prefix}/+/event", 1)]
        if self.share is not None:  # QoS 1 publications stay QoS 1: kept for a dead worker
            topics = [(f"$share/{self.share}/{t}", 1) for t, _q in topics]
        submit = pipeline.submit_raw

        def on_message(topic: str, payload: bytes, ack: Any, dup: bool) -> None:
            self.last_message = time.monotonic()
            submit(topic, payload, ack, dup)

        self.receiver = Receiver(
            self.settings,
            self.own_id or f"twin-{os.getpid()}-{int(time.time()) % 100000}",
            topics,
            on_message,
            functools.partial(self._status, topics),
            v5=self.share is not None or self.adopt,
            adopt=self.adopt,
            session_expiry_s=SESSION_EXPIRY_S,
        )
        self.receiver.start()

    def _status(self, topics: list[tuple[str, int]], s: dict[str, Any]) -> None:
        """What the receiver process reports, on its receiving thread."""
        url = self.settings.url
        if s.get("connected"):
            self.connects += 1
            self.connected = True
            self.last_message = time.monotonic()
            self.since = time.time()
            log.info(
                "connected to %s, %s %s%s",
                url,
                "took over the session of" if self.adopt else "subscribed to",
                self.own_id if self.adopt else " and ".join(t for t, _q in topics),
                f" (reconnect {self.connects - 1})" if self.connects > 1 else "",
            )
        elif "exited" in s:
            self.connected = False
            if not self._stopping:
                self._note(
                    f"the MQTT receiver process ended (exit code {s['exited']}); starting another"
                )
        elif "connected" in s:
            if self.connected and not self._stopping:
                self._note(f"lost the broker {url} ({s.get('reason')}); reconnecting")
            self.connected = False
        elif s.get("error") == "refused":
            self._note(
                f"broker {url} refused the connection: {s.get('reason')} (check "
                "TWIN_MQTT_USERNAME / TWIN_MQTT_PASSWORD and the broker's ACL)"
            )
        elif "error" in s:
            self._note(str(s["error"]))
        elif "fatal" in s:
            self._note(f"broker {url}: {s['fatal']}")

    def _note(self, text: str) -> None:
        if text != self.last_error:
            log.warning(text)
        self.last_error = text
        self.last_error_at = time.time()

    def wait_connected(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not self.connected and time.monotonic() < end:
            time.sleep(0.05)
        return self.connected

    def stop(self, end_session: bool = False) -> None:
        """Disconnect; ``end_session``: and have the broker drop the persistent session (a
        shared-subscription worker stopping for good, or an adopted session drained)."""
        self._stopping = True
        if self.receiver is not None:
            self.receiver.stop(end_session and (self.share is not None or self.adopt))
        self.connected = False

    @property
    def done(self) -> bool:
        return False

    @property
    def ever_connected(self) -> bool:
        return self.connects > 0

    def info(self) -> dict[str, Any]:
        from twin.state.eventrecord import iso_utc

        return {
            "feed": "mqtt",
            "url": self.settings.url,
            "prefix": self.prefix,
            "connected": self.connected,
            "since": iso_utc(self.since) if self.connected else None,
            "connects": self.connects,
            "reconnects": max(0, self.connects - 1),
            "last_error": self.last_error,
            "last_error_at": iso_utc(self.last_error_at),
        }


class MqttPublisher:
    """Publishing to a broker (``twin simulate``): connects once, waits for the connection."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.settings = MqttSettings(url)
        self.client = self.settings.client(f"twin-sim-{os.getpid()}")
        self._up = threading.Event()
        self.client.on_connect = lambda c, u, f, reason, p: (
            None if reason.is_failure else self._up.set()
        )
        try:
            self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        except (OSError, ValueError) as exc:
            raise InputError(f"broker {self.settings.url}", f"cannot be used ({exc}).") from None
        self.client.loop_start()
        if not self._up.wait(timeout):
            self.client.loop_stop()
            raise InputError(
                f"broker {self.settings.url}",
                f"did not accept a connection within {timeout:g} s.",
                "Check that the broker runs, the port, TLS and TWIN_MQTT_USERNAME / PASSWORD.",
            )

    def publish(self, topic: str, payload: bytes | str, qos: int = 0) -> None:
        self.client.publish(topic, payload, qos=qos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# -- replay ------------------------------------------------------------------------------------
def read_history_csv(path: Path, kinds: dict[str, str]) -> tuple[list[Message], dict[str, int]]:
    """Messages of a history export (``twin history --export``), in time order, checked like
    live ones; returns them and the count of rows skipped by reason."""
    from datetime import datetime

    if not path.is_file():
        raise InputError(
            path, "no such replay file.", "Export one with `twin history SCENE --export FILE.csv`."
        )
    skipped: dict[str, int] = {}
    out: list[Message] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"time", "device_id", "readings"} <= set(
                reader.fieldnames
            ):
                raise InputError(
                    path,
                    f"is not a history export (columns {reader.fieldnames}).",
                    "It needs the columns time, device_id, "
                    "readings (as `twin history --export` writes).",
                )
            for row in reader:
                device_id = (row.get("device_id") or "").strip()
                kind = kinds.get(device_id)
                if kind is None:
                    skipped["unknown_device"] = skipped.get("unknown_device", 0) + 1
                    continue
                try:
                    ts = datetime.fromisoformat(
                        (row.get("time") or "").replace("Z", "+00:00")
                    ).timestamp()
                    readings = json.loads(row.get("readings") or "")
                except (ValueError, TypeError):
                    skipped["bad_row"] = skipped.get("bad_row", 0) + 1
                    continue
                if not isinstance(readings, dict):
                    skipped["bad_row"] = skipped.get("bad_row", 0) + 1
                    continue
                clean, bad = check_readings(CATALOGUE[kind], readings)
                if bad and not clean:
                    skipped["no_valid_reading"] = skipped.get("no_valid_reading", 0) + 1
                    continue
                out.append(Message(device_id, ts, clean))
    except UnicodeDecodeError:
        raise InputError(
            path, "is not UTF-8 text.", "Give the CSV written by `twin history --export`."
        ) from None
    except csv.Error as exc:
        raise InputError(path, f"is not a readable CSV ({exc}).") from None
    out.sort(key=lambda m: m.ts)
    if not out:
        raise InputError(
            path,
            "has no rows for this scene's devices.",
            f"Skipped: {skipped or 'none'}; export from a run of the same scene.",
        )
    return out, skipped


class ReplayFeed(_PacedFeed):
    """Plays a history export at ``speed`` times real time; its clock is the recorded time."""

    name = "replay"

    def __init__(
        self, path: Path, kinds: dict[str, str], speed: float = 1.0, tick_s: float = 0.1
    ) -> None:
        self.path = path
        self.messages, self.skipped = read_history_csv(path, kinds)
        super().__init__(self.messages[0].ts, speed, tick_s)
        self.t_end = self.messages[-1].ts
        self._i = 0

    def clock(self) -> float:
        return min(self._now(), self.t_end)

    def _due(self, now: float) -> list[Message]:
        return self.take_until(now)

    def take_until(self, t: float) -> list[Message]:
        j = self._i
        while j < len(self.messages) and self.messages[j].ts <= t:
            j += 1
        out, self._i = self.messages[self._i : j], j
        return out

    @property
    def done(self) -> bool:
        return self._i >= len(self.messages)

    def info(self) -> dict[str, Any]:
        return {
            "feed": "replay",
            "file": str(self.path),
            "speed": self.speed,
            "messages": len(self.messages),
            "skipped": self.skipped,
        }
