"""The MQTT receiver: paho's network loop in a process of its own.

At 20,000 messages a second paho's packet decoding took about a third of the ingest's
interpreter lock, beside the parsing, the rules and the history writer (``py-spy --gil`` on the
2-core machine), and it shares that lock with the shell's frame. The feed therefore runs paho
in a child process (``python -m twin.telemetry.receiver FD``) joined to it by a socket pair:

* the child hands over what it received every :data:`FLUSH_S` (or every :data:`MAX_BATCH`
  messages) as one pickled list: ``(topic, payload)`` for QoS 0, ``(topic, payload, mid, qos,
  dup, generation)`` for QoS 1, and ``(None, status)`` for a connect, a loss or a failure, in
  the order they happened;
* the parent sends back the acknowledgements of QoS 1 messages once they are durable, in
  batches; the child sends each on the connection that delivered its message (a generation
  counts the child's connects), never on a later one, where the broker redelivers instead;
* the child ignores SIGINT and SIGTERM and exits as soon as its parent is gone (its socket
  closes), without a DISCONNECT: the broker sees the connection drop as it would have seen the
  parent's (a shared-subscription worker's session is then taken over). A child that dies is
  replaced by another after :data:`RESPAWN_S`; a persistent session's unacknowledged messages
  come again to it.

The parent logs what the child reports: the child writes nothing but a crash to stderr.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from twin.telemetry.mqttclient import RECONNECT_MAX_S, MqttSettings

log = logging.getLogger("twin.feeds")

FLUSH_S = 0.005
"""How often the child hands over what it received (and how long an acknowledgement waits)."""
MAX_BATCH = 5000
RESPAWN_S = 1.0

Item = tuple[Any, ...]


# -- the child ---------------------------------------------------------------------------------
def diagnose(settings: MqttSettings) -> str:
    """Why a connection attempt failed, found by trying the socket (and TLS) ourselves: paho
    only says that it failed."""
    import ssl

    where = f"the broker {settings.url}"
    retry = f"; retrying every {RECONNECT_MAX_S} s at most"
    try:
        sock = socket.create_connection((settings.host, settings.port), timeout=5.0)
    except OSError as exc:
        return f"cannot reach {where} ({exc.strerror or exc}){retry}"
    with sock:
        if not settings.tls:
            return f"cannot connect to {where} (the port answers, MQTT did not){retry}"
        try:
            ctx = ssl.create_default_context(cafile=str(settings.ca) if settings.ca else None)
            with ctx.wrap_socket(sock, server_hostname=settings.host):
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


def _serve(conn: Connection) -> None:
    """The child: receive with paho, hand over in batches, acknowledge what the parent says."""
    cfg: dict[str, Any] = conn.recv()
    settings: MqttSettings = cfg["settings"]
    topics: list[tuple[str, int]] = cfg["topics"]
    adopt, v5 = cfg["adopt"], cfg["v5"]
    out: deque[Item] = deque()
    state = {"generation": cfg["epoch"] << 32, "connected": False}
    try:
        c = settings.client(cfg["client_id"], manual_ack=True, v5=v5)
    except Exception as exc:  # a CA file paho cannot use: the parent reports it
        conn.send([(None, {"fatal": f"cannot set up the MQTT client: {exc}"})])
        return

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            out.append((None, {"error": "refused", "reason": str(reason)}))
            return
        if adopt:  # leave the share: the broker queues nothing more for this session
            client.unsubscribe([t for t, _q in topics])
        else:
            client.subscribe(topics)
        state["generation"] += 1
        state["connected"] = True
        out.append((None, {"connected": True}))

    def on_disconnect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        state["connected"] = False
        out.append((None, {"connected": False, "reason": str(reason)}))

    def on_connect_fail(client: Any, userdata: Any) -> None:
        out.append((None, {"error": diagnose(settings)}))

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        if msg.qos:
            out.append(
                (msg.topic, msg.payload, msg.mid, msg.qos, bool(msg.dup), state["generation"])
            )
        else:
            out.append((msg.topic, msg.payload))

    c.on_connect, c.on_disconnect = on_connect, on_disconnect
    c.on_connect_fail, c.on_message = on_connect_fail, on_message
    extra: dict[str, Any] = {}
    if v5:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = cfg["session_expiry_s"]
        extra = {"clean_start": False, "properties": props}
    try:
        c.connect_async(settings.host, settings.port, keepalive=30, **extra)
    except (OSError, ValueError) as exc:
        conn.send([(None, {"fatal": f"cannot be used ({exc})"})])
        return
    c.loop_start()

    def hand_over() -> None:
        n = min(len(out), MAX_BATCH)
        if n:
            conn.send([out.popleft() for _ in range(n)])

    last = time.monotonic()
    while True:
        if conn.poll(FLUSH_S):
            cmd, arg = conn.recv()
            if cmd == "ack":
                for generation, mid, qos in arg:
                    if generation == state["generation"] and state["connected"]:
                        c.ack(mid, qos)
            elif cmd == "stop":
                if v5 and arg:  # have the broker drop the persistent session
                    from paho.mqtt.packettypes import PacketTypes
                    from paho.mqtt.properties import Properties

                    props = Properties(PacketTypes.DISCONNECT)
                    props.SessionExpiryInterval = 0
                    c.disconnect(properties=props)
                else:
                    c.disconnect()
                c.loop_stop()
                while out:
                    hand_over()
                conn.send([(None, {"stopped": True})])
                return
        if out and (len(out) >= MAX_BATCH or time.monotonic() - last >= FLUSH_S):
            hand_over()
            last = time.monotonic()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the child stops
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    conn = Connection(int(sys.argv[1]))
    try:
        _serve(conn)
    except (EOFError, OSError):  # the parent is gone: so is this connection, without a word
        pass
    os._exit(0)


# -- the parent --------------------------------------------------------------------------------
class Receiver:
    """A receiver child and the threads that talk to it.

    ``on_message(topic, payload, ack, dup)`` is called on the receiving thread for every
    message (``ack`` is None for QoS 0); ``on_status(dict)`` for the child's reports:
    ``connected`` (True / False, with ``reason``), ``error`` (a sentence, or ``refused`` with
    ``reason``), ``fatal`` (the child cannot work: it is not started again), ``exited`` (it
    died; another is started)."""

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        topics: list[tuple[str, int]],
        on_message: Callable[..., None],
        on_status: Callable[[dict[str, Any]], None],
        v5: bool = False,
        adopt: bool = False,
        session_expiry_s: int = 0,
    ) -> None:
        self.cfg: dict[str, Any] = {
            "settings": settings,
            "client_id": client_id,
            "topics": topics,
            "v5": v5,
            "adopt": adopt,
            "session_expiry_s": session_expiry_s,
        }
        self.on_message, self.on_status = on_message, on_status
        self.epoch = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._acks: deque[tuple[int, int, int, int]] = deque()
        self._ack_ready = threading.Event()
        self._stopping = False
        self._stopped = threading.Event()
        self._send_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._spawn()
        for target, name in ((self._receive, "receive"), (self._send_acks, "acks")):
            t = threading.Thread(target=target, name=f"twin-mqtt-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        self.epoch += 1
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "twin.telemetry.receiver", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        conn = Connection(ours.detach())
        conn.send(dict(self.cfg, epoch=self.epoch))
        self._conn = conn

    def ack(self, epoch: int, generation: int, mid: int, qos: int) -> None:
        """Acknowledge a QoS 1 message (any thread); sent with the next batch of them."""
        self._acks.append((epoch, generation, mid, qos))
        self._ack_ready.set()

    def _send_acks(self) -> None:
        while not self._stopped.is_set():
            self._ack_ready.wait(0.5)
            self._ack_ready.clear()
            if self._stopped.wait(FLUSH_S) or not self._acks:
                continue
            n = len(self._acks)
            taken = [self._acks.popleft() for _ in range(n)]
            now = [(g, mid, qos) for epoch, g, mid, qos in taken if epoch == self.epoch]
            if now:
                self._send(("ack", now))

    def _send(self, cmd: tuple[str, Any]) -> None:
        with self._send_lock:
            conn = self._conn
            if conn is None:
                return
            try:
                conn.send(cmd)
            except OSError:  # the child is gone; the receiving thread replaces it
                pass

    def _receive(self) -> None:
        on_message, on_status = self.on_message, self.on_status
        while True:
            conn, epoch = self._conn, self.epoch
            assert conn is not None
            ack = functools.partial(self.ack, epoch)
            try:
                while True:
                    for item in conn.recv():
                        if len(item) == 2:
                            topic, payload = item
                            if topic is None:
                                if payload.get("stopped"):
                                    raise EOFError
                                on_status(payload)
                                if "fatal" in payload:
                                    self._stopped.set()
                                    return
                            else:
                                on_message(topic, payload, None, False)
                        else:
                            topic, payload, mid, qos, dup, generation = item
                            on_message(
                                topic, payload, functools.partial(ack, generation, mid, qos), dup
                            )
            except (EOFError, OSError):
                pass
            if self._stopping:
                self._stopped.set()
                return
            code = self.proc.wait() if self.proc is not None else None
            on_status({"connected": False, "exited": code})
            time.sleep(RESPAWN_S)
            if self._stopping:
                self._stopped.set()
                return
            with self._send_lock:
                conn.close()
                self._spawn()

    def stop(self, end_session: bool = False, timeout: float = 5.0) -> None:
        """Have the child disconnect (``end_session``: and the broker drop its persistent
        session), wait for what it still hands over, and end it."""
        self._stopping = True
        self._send(("stop", end_session))
        self._stopped.wait(timeout)
        self._stopped.set()
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._conn is not None:
            self._conn.close()
        for t in self._threads:
            t.join(timeout)


if __name__ == "__main__":
    main()
