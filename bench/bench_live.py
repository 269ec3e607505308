"""Live-state benchmarks (issue 4, section 6), each beside a naive baseline in the same run:

1. ingest through parse -> state -> rules, in process (the pipeline's batches vs one message
   at a time), with the final state checked against the last value sent;
2. the same through a real mosquitto on loopback, fed by a separate publisher process, on the
   real path of `twin run` (event log and history written): what is applied while 20,000
   messages / s are sent, and publish-to-state latency p50 / p99 at 20,000 and 5,000 / s;
3. restyling 10,000 devices after a batch of changes (one array write per kind vs one per
   device).

Run: ``make bench`` (it runs bench_scene.py too).
"""

from __future__ import annotations

import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_scene import with_more_devices  # noqa: E402
from twin.core.paths import DEMO_SCENE  # noqa: E402
from twin.ingest.build import build_scene  # noqa: E402
from twin.scene.scenefile import load_scene_spec  # noqa: E402
from twin.state.events import EventStore  # noqa: E402
from twin.state.rules import load_rules  # noqa: E402
from twin.telemetry.feeds import MqttFeed  # noqa: E402
from twin.telemetry.pipeline import Pipeline, TickResult  # noqa: E402
from twin.telemetry.simulator import Simulator  # noqa: E402

TMP = Path(tempfile.mkdtemp(prefix="twin-bench-"))
PREFIX = "twin/bench"


def devices_and_templates(scene):
    sim = Simulator(
        scene.devices, seed=1, lat=60.17, lon=24.94, start=time.time(), incident_every_s=None
    )
    t = time.time()
    return [(d.id, sim.values(i, t)) for i, d in enumerate(sim.devices)]


def pipeline_for(scene, name: str) -> Pipeline:
    return Pipeline(scene.devices, EventStore(TMP / f"{name}.sqlite"), load_rules(), PREFIX)


def raw_stream(templates, n: int) -> tuple[list[tuple[str, bytes]], dict[str, dict]]:
    out, last = [], {}
    now_ms = int(time.time() * 1000)
    for k in range(n):
        device_id, readings = templates[k % len(templates)]
        body = {
            key: (
                round(v * (1 - (k // len(templates) % 7) * 0.01), 3) if isinstance(v, float) else v
            )
            for key, v in readings.items()
        }  # values move (within their ranges): every message changes state
        last[device_id] = body
        out.append((f"{PREFIX}/{device_id}/telemetry", json.dumps(dict(body, ts=now_ms)).encode()))
    return out, last


# -- 1. in process ------------------------------------------------------------------------------
def bench_ingest(scene, templates, vis, colours) -> None:
    n = 200_000
    stream, last = raw_stream(templates, n)

    def batched(p: Pipeline, batch: int = 1000) -> float:  # 1,000 = 50 ms of 20,000 messages / s
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            for topic, payload in stream[i : i + batch]:
                p.submit_raw(topic, payload)
            p.process()
        return time.perf_counter() - t0

    p = pipeline_for(scene, "ingest")
    dt = batched(p)
    # the same with the renderer restyled after every batch (what the shell does per tick)
    pr = pipeline_for(scene, "ingest-restyle")
    pr.listeners.append(
        lambda r: colours.update({d: pr.store.states[d].status for d in r.changed}, vis)
    )
    dt_restyle = batched(pr)
    wrong = sum(1 for d, body in last.items() if p.store.get(d).readings != body)
    assert p.parser.stats.accepted == n, p.stats()
    # naive: the same path one message at a time (apply, rules and event writes per message)
    q = pipeline_for(scene, "naive")
    m = 20_000
    t1 = time.perf_counter()
    now = time.time()
    for topic, payload in stream[:m]:
        msg = q.parser.parse(topic, payload)
        changed = q.store.apply([msg], now)
        found = q.engine.evaluate(changed, now)
        q.store.apply_changes(found, now)
        for c in found:
            if c.raised:
                q.events.raise_event(
                    c.device_id, c.kind, c.rule.id, c.rule.id, c.rule.severity, at=c.at
                )
            else:
                q.events.clear_condition(c.device_id, c.rule.id, c.at)
    naive_rate = m / (time.perf_counter() - t1)
    # naive with the restyle per message (how a viewer that touches one object per update works)
    r = pipeline_for(scene, "naive-restyle")
    t1 = time.perf_counter()
    for topic, payload in stream[:m]:
        msg = r.parser.parse(topic, payload)
        changed = r.store.apply([msg], now)
        changed |= r.store.apply_changes(r.engine.evaluate(changed, now), now)
        for d in changed:
            colours.update({d: r.store.states[d].status}, vis)
    naive_restyle = m / (time.perf_counter() - t1)
    rate_restyle = n / dt_restyle
    rate = n / dt
    print(
        f"ingest parse->state->rules  {rate:9,.0f} msg/s   naive per message {naive_rate:9,.0f} "
        f"msg/s   {rate / naive_rate:4.1f}x   (target >= 20,000 msg/s)"
    )
    print(
        f"  with the restyle      {rate_restyle:9,.0f} msg/s   naive, apply + restyle per message "
        f"{naive_restyle:9,.0f} msg/s   {rate_restyle / naive_restyle:4.1f}x"
    )
    print(
        f"  {n:,} messages, {len(last):,} devices; final state equal to the last value sent: "
        f"{len(last) - wrong:,}/{len(last):,}"
    )


# -- 2. through mosquitto -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker() -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = TMP / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\nmax_inflight_messages 0\nqueue_qos0_messages true\n"
        + (
            "user root\n"
            if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0
            else ""
        )
    )
    proc = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def publish(port: int, templates, rate: float, seconds: float, prefix: str = PREFIX) -> dict:
    dev_file, last_file = TMP / "devices.json", TMP / "last.json"
    dev_file.write_text(json.dumps(templates))
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "publish_load.py"),
            str(port),
            prefix,
            str(dev_file),
            str(rate),
            str(seconds),
            str(last_file),
        ],
        check=True,
    )
    return json.loads(last_file.read_text())


class Naive:
    """The baseline 3D-viewer way: every message applied, evaluated and restyled on arrival."""

    def __init__(self, scene, vis, colours) -> None:
        self.p = pipeline_for(scene, "naive-mqtt")
        self.vis, self.colours = vis, colours
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def submit_raw(self, topic: str, payload: bytes) -> None:
        with self.lock:
            m = self.p.parser.parse(topic, payload)
            if m is None:
                return
            now = time.time()
            changed = self.p.store.apply([m], now)
            changed |= self.p.store.apply_changes(self.p.engine.evaluate(changed, now), now)
            for d in changed:
                self.colours.update({d: self.p.store.get(d).status}, self.vis)
            self.latencies.append(time.time() - m.ts)


def bench_mqtt(scene, templates, vis, colours) -> None:
    """The real path of `twin run`: open_live with its event log and history (the writer thread
    on), a separate publisher process at a fixed rate. Applied = accepted by the time the
    publisher has finished (what kept up), backlog = sent minus that; latency over every
    message, publish to applied."""
    from twin.telemetry.live import open_live, scene_prefix

    broker, port = start_broker()
    prefix = scene_prefix(scene)
    try:
        for label, rate, seconds in (
            ("sustained", 20_000.0, 15.0),
            ("sustained", 25_000.0, 15.0),
            ("latency", 5_000.0, 10.0),
        ):
            feed = MqttFeed(f"mqtt://127.0.0.1:{port}", prefix)
            live = open_live(scene, TMP / f"mqtt-{label}-{rate:.0f}.sqlite", feed)
            p = live.pipeline
            lat: list[float] = []

            def listener(r: TickResult, lat=lat, p=p) -> None:
                wall = time.time()
                lat.extend(wall - m.ts for m in r.messages)
                if r.changed:
                    with p.lock:
                        colours.update({d: p.store.states[d].status for d in r.changed}, vis)

            p.listeners.append(listener)
            live.start()
            feed.wait_connected(10)
            time.sleep(0.5)
            t0 = time.monotonic()
            sent = publish(port, templates, rate, seconds, prefix)
            kept_up = p.parser.stats.accepted
            while p.parser.stats.accepted < sent["sent"] and time.monotonic() - t0 < seconds + 60:
                time.sleep(0.05)
            live.close()
            got = p.parser.stats.accepted
            wrong = sum(1 for d, body in sent["last"].items() if p.store.get(d).readings != body)
            lat_ms = np.array(lat) * 1000
            if label == "sustained":
                print(
                    f"through mosquitto, history on  {kept_up / sent['seconds']:9,.0f} msg/s "
                    f"applied while {sent['sent'] / sent['seconds']:,.0f}/s were sent (backlog at "
                    f"the end {sent['sent'] - kept_up:,}; {got:,} of {sent['sent']:,} in all; "
                    "final state equal to the last sent: "
                    f"{len(sent['last']) - wrong:,}/{len(sent['last']):,})"
                )
                print(
                    f"  latency at that rate: p50 {np.percentile(lat_ms, 50):5.0f} ms   "
                    f"p99 {np.percentile(lat_ms, 99):5.0f} ms   max {lat_ms.max():5.0f} ms"
                )
            else:
                print(
                    f"publish-to-state latency at {rate:,.0f}/s   p50 "
                    f"{np.percentile(lat_ms, 50):5.0f} ms   "
                    f"p99 {np.percentile(lat_ms, 99):5.0f} ms   (target p99 <= 250 ms)"
                )
        # naive at the same rates: it keeps up at 5,000 / s, not at 25,000 / s
        for rate in (5_000.0, 20_000.0):
            naive = Naive(scene, vis, colours)
            client = MqttFeed(f"mqtt://127.0.0.1:{port}", PREFIX)
            client.start(naive)  # type: ignore[arg-type]
            client.wait_connected(10)
            time.sleep(0.5)
            t0 = time.monotonic()
            sent = publish(port, templates, rate, 10.0)
            while len(naive.latencies) < sent["sent"] and time.monotonic() - t0 < 60:
                time.sleep(0.05)
            took = time.monotonic() - t0
            client.stop()
            lat_ms = np.array(naive.latencies) * 1000
            print(
                f"  naive at {rate:6,.0f}/s, apply + restyle per message: "
                f"{len(lat_ms) / took:7,.0f} msg/s, "
                f"p50 {np.percentile(lat_ms, 50):6.0f} ms   p99 {np.percentile(lat_ms, 99):6.0f} ms"
            )
    finally:
        broker.kill()


# -- operator commands -------------------------------------------------------------------------
def bench_cli(scene, templates, vis, colours) -> None:
    """`twin event ID ack` as an operator runs it (a new process), beside the naive way of
    building the scene first to find the event log."""
    db = TMP / "cli.sqlite"
    with EventStore(db) as ev:
        ids = [
            ev.raise_event(f"d{i}", "manhole", "lid_open", "lid_open", "critical").id
            for i in range(10)
        ]
    naive_code = (
        "import sys; from twin.cli.common import build_scene_file; from twin.state.events import "
        f"EventStore; build_scene_file({str(DEMO_SCENE)!r}); "
        f"EventStore({str(db)!r}).acknowledge(int(sys.argv[1]), 'op')"
    )
    fast, naive = [], []
    for k, event_id in enumerate(ids[:6]):
        t0 = time.perf_counter()
        if k % 2 == 0:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "twin.cli.main",
                    "event",
                    str(DEMO_SCENE),
                    str(event_id),
                    "ack",
                    "--operator",
                    "op",
                    "--db",
                    str(db),
                ],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            fast.append(time.perf_counter() - t0)
        else:
            subprocess.run(
                [sys.executable, "-c", naive_code, str(event_id)],
                check=True,
                capture_output=True,
                cwd=ROOT,
            )
            naive.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    floor = time.perf_counter() - t0
    print(
        f"`twin event ID ack`           {statistics.median(fast) * 1000:6.0f} ms   "
        f"naive (build the scene first) {statistics.median(naive) * 1000:6.0f} ms   "
        f"{statistics.median(naive) / statistics.median(fast):4.1f}x   "
        f"(target <= 500 ms; a bare interpreter start: {floor * 1000:.0f} ms)"
    )


# -- 3. restyle -------------------------------------------------------------------------------
def bench_restyle(scene, vis, colours) -> None:
    ids = [d.id for d in scene.devices]
    rng = np.random.default_rng(1)
    statuses = ("online", "alarm", "fault", "offline")
    batches = [
        {ids[i]: statuses[int(rng.integers(4))] for i in rng.choice(len(ids), 2000, replace=False)}
        for _ in range(20)
    ]
    fast = []
    for b in batches:
        t = time.perf_counter()
        colours.update(b, vis)
        fast.append(time.perf_counter() - t)
    slow = []
    for b in batches[:5]:
        t = time.perf_counter()
        for d, s in b.items():  # one array write per device
            colours.update({d: s}, vis)
        slow.append(time.perf_counter() - t)
    everyone = {i: "online" for i in ids}
    t = time.perf_counter()
    colours.update(everyone, vis)
    all_ms = (time.perf_counter() - t) * 1000
    f, s = statistics.median(fast) * 1000, statistics.median(slow) * 1000
    print(
        f"restyle {len(ids):,} devices, 2,000 changed: {f:6.2f} ms/tick   naive per device "
        f"{s:8.1f} ms   {s / f:5.0f}x   (target <= 5 ms); all {len(ids):,} changed: {all_ms:.2f} ms"
    )


def main() -> None:
    from twin.render.offscreen import compose
    from twin.render.status import StatusColours

    scene = with_more_devices(build_scene(load_scene_spec(DEMO_SCENE)), 6)
    print(f"Live benchmark: {len(scene.devices):,} devices (the demo's, six times), this machine\n")
    templates = devices_and_templates(scene)
    plotter, vis = compose(scene, "overview", (1280, 720), "en")
    colours = StatusColours(scene)
    only = sys.argv[1:]  # e.g. `bench_live.py mqtt`: one part only
    for name, part in (
        ("ingest", bench_ingest),
        ("restyle", None),
        ("cli", bench_cli),
        ("mqtt", bench_mqtt),
    ):
        if only and name not in only:
            continue
        if part is None:
            bench_restyle(scene, vis, colours)
        else:
            part(scene, templates, vis, colours)
    plotter.close()
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
