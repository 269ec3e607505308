"""paho's MQTT client, reading its socket in chunks.

paho reads each packet with three or four small ``recv()`` calls after a ``select()`` of its
own and matches every message against per-topic callbacks with a closure that makes a
reference cycle per message. At 20,000 messages a second that is some 80,000 system calls a
second on the network thread and most of the cyclic collector's work; measured on the 2-core
machine, the network thread fell behind and the backlog stayed in the broker (21 us of paho
per message; 9 us with this client). This client serves those small reads from one 64 KiB
``recv()``, handles every packet already buffered before it selects again (at most
:data:`READ_PACKETS` per wake-up, then what is buffered, so keepalives and acknowledgements
are never starved), and calls ``on_message`` directly when no per-topic callback is
registered. Everything paho does with a packet is otherwise unchanged.

It overrides private methods of paho-mqtt 2.x (``_sock_recv``, ``loop_read``,
``_handle_on_message``, ``_sock_close``); ``pyproject.toml`` pins the versions it was checked
against, and the broker tests (reconnects, TLS, QoS 1 acknowledgement) run through it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from twin.core.errors import InputError

RECONNECT_MIN_S, RECONNECT_MAX_S = 1, 16
"""Reconnect backoff: 1 s, doubling up to 16 s, for ever."""

READ_CHUNK = 64 * 1024
READ_PACKETS = 2000


@functools.cache
def chunked_client_class() -> type:
    import paho.mqtt.client as mqtt

    class ChunkedClient(mqtt.Client):  # type: ignore[misc]
        _rbuf = b""
        _rpos = 0
        _refill = True
        _filtered = False

        def _sock_recv(self, bufsize: int) -> bytes:
            buf, pos = self._rbuf, self._rpos
            if pos >= len(buf):
                if not self._refill:
                    raise BlockingIOError  # paho keeps the partial packet and selects again
                buf, pos = super()._sock_recv(READ_CHUNK), 0
                if not buf:
                    return buf  # the broker closed the connection
            out = buf[pos : pos + bufsize]
            self._rbuf, self._rpos = buf, pos + len(out)
            return out

        def loop_read(self, max_packets: int = 1) -> Any:
            if self._sock is None:
                return mqtt.MQTT_ERR_NO_CONN
            try:
                for i in range(READ_PACKETS + READ_CHUNK):  # a packet is at least 2 bytes
                    if i == READ_PACKETS:
                        self._refill = False  # finish what is buffered, then select
                    if self._sock is None:
                        return mqtt.MQTT_ERR_NO_CONN
                    rc = self._packet_read()
                    if rc > 0:
                        return self._loop_rc_handle(rc)
                    if rc == mqtt.MQTT_ERR_AGAIN:
                        break
            finally:
                self._refill = True
            return mqtt.MQTT_ERR_SUCCESS

        def message_callback_add(self, sub: str, callback: Any) -> None:
            self._filtered = True
            super().message_callback_add(sub, callback)

        def _handle_on_message(self, message: Any) -> None:
            if self._filtered:
                return super()._handle_on_message(message)
            on_message = self.on_message
            if on_message:
                with self._in_callback_mutex:
                    try:
                        on_message(self, self._userdata, message)
                    except Exception as err:
                        self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                        if not self.suppress_exceptions:
                            raise
            return None

        def _sock_close(self) -> None:
            self._rbuf, self._rpos = b"", 0  # bytes of a lost connection are not the next one's
            super()._sock_close()

    return ChunkedClient


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

    def check_tls(self) -> None:
        """Refuse a CA file that cannot be used, before any process is started with it."""
        if not self.tls:
            return
        import ssl

        try:
            ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
        except (ssl.SSLError, OSError) as exc:
            raise InputError(self.ca or "TLS", f"cannot be used as a CA file ({exc}).") from None

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
