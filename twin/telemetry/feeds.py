"""Feeds: where live messages come from. ``sim`` (built-in simulator), ``mqtt://`` or
``mqtts://`` (a broker, through paho-mqtt), ``replay:FILE`` (a history export).

A feed runs on its own thread and only hands messages to the pipeline's queue; each has a
``clock`` (wall time for MQTT, simulated or replayed time otherwise) that the pipeline uses as
"now" for offline detection, day / night rules and event times.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.state.access import AccessEvent
from twin.state.readings import check_readings
from twin.state.store import Message
from twin.telemetry.mqttclient import chunked_client_class
from twin.telemetry.parse import ExternalEvent
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.simulator import Simulator

log = logging.getLogger("twin.feeds")

RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 16
"""Reconnect backoff: 1 s, doubling up to 16 s, for ever."""


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
class MqttSettings:
    """``mqtt://host[:port]`` or ``mqtts://host[:port][?ca=FILE]``; credentials from
    ``TWIN_MQTT_USERNAME`` / ``TWIN_MQTT_PASSWORD``; ``TWIN_MQTT_CA`` for the CA file;
    ``TWIN_MQTT_CLIENT_ID`` (or ``?client_id=``) for a persistent session."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        fix = "Write it as mqtt://HOST[:PORT] or mqtts://HOST[:PORT][?ca=CA.pem]."
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise InputError(f"broker URL {url!r}", "is not an mqtt:// or mqtts:// URL.", fix)
        try:
            port = parts.port
        except ValueError:
            raise InputError(f"broker URL {url!r}", "has an invalid port.", fix) from None
        self.url = (
            f"{parts.scheme}://{parts.hostname}:"
            f"{port or (8883 if parts.scheme == 'mqtts' else 1883)}"
        )
        self.host = parts.hostname
        self.tls = parts.scheme == "mqtts"
        self.port = port or (8883 if self.tls else 1883)
        q = parse_qs(parts.query)
        self.username = os.environ.get("TWIN_MQTT_USERNAME") or (
            unquote(parts.username) if parts.username else None
        )
        self.password = os.environ.get("TWIN_MQTT_PASSWORD") or (
            unquote(parts.password) if parts.password else None
        )
        self.client_id = (q.get("client_id") or [os.environ.get("TWIN_MQTT_CLIENT_ID", "")])[0]
        ca = (q.get("ca") or [os.environ.get("TWIN_MQTT_CA", "")])[0]
        self.ca = Path(ca).expanduser() if ca else None
        if self.ca is not None and not self.ca.is_file():
            raise InputError(
                self.ca,
                "CA certificate file not found.",
                "Give the broker's CA file (PEM) with ?ca= or TWIN_MQTT_CA.",
            )
        if self.ca is not None and not self.tls:
            raise InputError(
                f"broker URL {url!r}",
                "gives a CA file but is not mqtts://.",
                "Use mqtts:// for TLS.",
            )

    def client(self, client_id: str = "", manual_ack: bool = False, v5: bool = False) -> Any:
        """A paho client of these settings (MQTT 3.1.1, or 5 for shared subscriptions)."""
        import paho.mqtt.client as mqtt

        cid = self.client_id or client_id
        if v5:
            c = chunked_client_class()(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=client_id or cid,
                protocol=mqtt.MQTTv5,
                manual_ack=manual_ack,
            )
        else:
            c = chunked_client_class()(
                mqtt.CallbackAPIVersion.VERSION2,
                client_id=cid,
                clean_session=not self.client_id,
                protocol=mqtt.MQTTv311,
                manual_ack=manual_ack,
            )
        if self.username:
            c.username_pw_set(self.username, self.password)
        if self.tls:
            import ssl

            try:
                c.tls_set(ca_certs=str(self.ca) if self.ca else None, cert_reqs=ssl.CERT_REQUIRED)
            except (ssl.SSLError, OSError) as exc:
                raise InputError(
                    self.ca or "TLS", f"cannot be used as a CA file ({exc})."
                ) from None
        c.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        c.max_inflight_messages_set(200)
        return c


SESSION_EXPIRY_S = 600
"""How long the broker keeps a shared-subscription worker's session after it is gone (another
worker takes it over within seconds; this only bounds a broker's memory)."""


class MqttFeed:
    """Subscribes to ``{prefix}/+/telemetry`` (QoS 0) and ``{prefix}/+/event`` (QoS 1); reconnects
    with backoff and subscribes again after every reconnect. An absent broker at start is
    retried the same way. QoS 1 messages are acknowledged by the pipeline once durable (paho's
    manual acknowledgement), on the connection that delivered them: after a reconnect the
    broker sends an unacknowledged message again (flagged as a duplicate), and that copy is
    acknowledged instead."""

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
        self._client: Any = None

    def clock(self) -> float:
        return time.time()

    def start(self, pipeline: Pipeline) -> None:
        v5 = self.share is not None or self.adopt
        c = self.settings.client(
            self.own_id or f"twin-{os.getpid()}-{int(time.time()) % 100000}",
            manual_ack=True,
            v5=v5,
        )
        submit = pipeline.submit_raw
        topics = [(f"{self.prefix}/+/telemetry", 0), (f"{self.prefix}/+/event", 1)]
        if self.share is not None:  # QoS 1 publications stay QoS 1: kept for a dead worker
            topics = [(f"$share/{self.share}/{t}", 1) for t, _q in topics]

        def on_connect(
            client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
        ) -> None:
            if reason.is_failure:
                self._note(
                    f"broker {self.settings.url} refused the connection: {reason} (check "
                    "TWIN_MQTT_USERNAME / TWIN_MQTT_PASSWORD and the broker's ACL)"
                )
                return
            if self.adopt:  # leave the share: the broker queues nothing more for this session
                client.unsubscribe([t for t, _q in topics])
            else:
                client.subscribe(topics)
            self.connects += 1
            self.connected = True
            self.last_message = time.monotonic()
            self.since = time.time()
            log.info(
                "connected to %s, %s %s%s",
                self.settings.url,
                "took over the session of" if self.adopt else "subscribed to",
                self.own_id if self.adopt else " and ".join(t for t, _q in topics),
                f" (reconnect {self.connects - 1})" if self.connects > 1 else "",
            )

        def on_disconnect(
            client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
        ) -> None:
            if self.connected and not self._stopping:
                self._note(f"lost the broker {self.settings.url} ({reason}); reconnecting")
            self.connected = False

        def on_connect_fail(client: Any, userdata: Any) -> None:
            self._note(self._diagnose())

        def on_message(client: Any, userdata: Any, msg: Any) -> None:
            self.last_message = time.monotonic()
            if msg.qos:
                generation, mid, qos = self.connects, msg.mid, msg.qos

                def ack() -> None:
                    if self.connects == generation and self.connected:
                        client.ack(mid, qos)

                submit(msg.topic, msg.payload, ack, bool(msg.dup))
            else:
                submit(msg.topic, msg.payload)

        c.on_connect = on_connect
        c.on_disconnect = on_disconnect
        c.on_connect_fail = on_connect_fail
        c.on_message = on_message
        extra: dict[str, Any] = {}
        if v5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            extra = {"clean_start": False, "properties": props}
        try:
            c.connect_async(self.settings.host, self.settings.port, keepalive=30, **extra)
        except (OSError, ValueError) as exc:
            raise InputError(f"broker {self.settings.url}", f"cannot be used ({exc}).") from None
        c.loop_start()
        self._client = c

    def _diagnose(self) -> str:
        """Why a connection attempt failed, found by trying the socket (and TLS) ourselves:
        paho only says that it failed."""
        import socket
        import ssl

        where = f"the broker {self.settings.url}"
        retry = f"; retrying every {RECONNECT_MAX_S} s at most"
        try:
            sock = socket.create_connection((self.settings.host, self.settings.port), timeout=5.0)
        except OSError as exc:
            return f"cannot reach {where} ({exc.strerror or exc}){retry}"
        with sock:
            if not self.settings.tls:
                return f"cannot connect to {where} (the port answers, MQTT did not){retry}"
            try:
                ctx = ssl.create_default_context(
                    cafile=str(self.settings.ca) if self.settings.ca else None
                )
                with ctx.wrap_socket(sock, server_hostname=self.settings.host):
                    pass
            except ssl.SSLCertVerificationError as exc:
                return (
                    f"TLS handshake with {where} failed: the certificate is not trusted "
                    f"({exc.verify_message}); give its CA with ?ca= or TWIN_MQTT_CA{retry}"
                )
            except (ssl.SSLError, OSError) as exc:
                return (
                    f"TLS handshake with {where} failed ({getattr(exc, 'reason', None) or exc}): "
                    "the port may not speak TLS; "
                    f"use mqtt:// for a plain broker or the broker's TLS port{retry}"
                )
        return f"cannot connect to {where} (TLS works, MQTT did not){retry}"

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
        if self._client is not None:
            if (self.share is not None or self.adopt) and end_session:
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.properties import Properties

                props = Properties(PacketTypes.DISCONNECT)
                props.SessionExpiryInterval = 0
                self._client.disconnect(properties=props)
            else:
                self._client.disconnect()
            self._client.loop_stop()

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
