"""The shared database (issue 16, §4), each figure beside its baseline in the same run, on a
PostgreSQL cluster of the bench's own (initdb in a temporary folder, as the tests make it) and
a mosquitto on loopback:

1. ingest with history through mosquitto into PostgreSQL (COPY batches) at 20,000 msg/s,
   beside the same into the embedded SQLite files, and beside PostgreSQL with one INSERT per
   reading (the naive writer);
2. event raise to every seat: three seats (``twin watch`` processes, LISTEN / NOTIFY and the
   change sequence), p50 / p99 from the ingest's commit to each seat's receipt, beside a seat
   that polls the community's open events every second;
3. ten communities of 2,000 devices each in one database: what one community's wall asks of
   the database (a seat's start, a change read, a day's chart, the open events) beside the
   same with that community alone in a database.

Run: ``make bench`` (with the others) or ``.venv/bin/python bench/bench_shared.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_live import TMP, devices_and_templates, publish, start_broker  # noqa: E402
from bench.bench_scene import with_more_devices  # noqa: E402
from tests.pgcluster import PgCluster  # noqa: E402
from twin.core.paths import DEMO_SCENE  # noqa: E402
from twin.ingest.build import build_scene  # noqa: E402
from twin.scene.scenefile import load_scene_spec  # noqa: E402
from twin.state.history import dumps_readings  # noqa: E402
from twin.state.pghistory import PgHistoryStore  # noqa: E402
from twin.telemetry.feeds import MqttFeed  # noqa: E402
from twin.telemetry.live import open_live, scene_prefix  # noqa: E402
from twin.telemetry.pipeline import TickResult  # noqa: E402


class InsertPerReading(PgHistoryStore):
    """The naive writer: one INSERT statement per reading (same transaction per batch)."""

    def write(self, rows, latest, meta=None):  # type: ignore[no-untyped-def]
        with self.pool.connection() as conn, conn.transaction():
            for device_id, ts, readings in rows:
                conn.execute(
                    "INSERT INTO history_raw VALUES (%s, %s, %s, %s)",
                    (self.community, device_id, ts, readings),
                )
        super().write([], latest, meta)


def _rows(url: str, community: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return int(
            conn.execute(
                "SELECT count(*) FROM history_raw WHERE community = %s", (community,)
            ).fetchone()[0]
        )


def _cpu_s(pids) -> float:
    """CPU seconds (user + system) of live processes, from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _server_pids(cluster: PgCluster, broker) -> dict[str, list[int]]:
    """mosquitto, and PostgreSQL's postmaster with every backend it runs now."""
    master = int((cluster.data / "postmaster.pid").read_text().split()[0])
    pg = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pg.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return {"mosquitto": [broker.pid], "PostgreSQL": pg}


def bench_ingest(scene, templates, url: str, port: int, cluster: PgCluster, broker) -> None:
    seconds = 15.0
    prefix = scene_prefix(scene)
    for label, rate in (
        ("PostgreSQL, COPY batches", 20_000.0),
        ("PostgreSQL, COPY batches", 25_000.0),
        ("SQLite files", 20_000.0),
        ("PostgreSQL, INSERT per reading", 20_000.0),
    ):
        feed = MqttFeed(f"mqtt://127.0.0.1:{port}", prefix)
        if label.startswith("SQLite"):
            live = open_live(scene, TMP / "shared-sqlite.sqlite", feed)
        else:
            live = open_live(scene, url, feed)
            if "INSERT" in label:  # the same pipeline, the naive history writer
                live.pipeline.writer.store = InsertPerReading(url, scene.name, live.events.pool)
        p = live.pipeline
        live.start()
        feed.wait_connected(10)
        time.sleep(0.5)
        before = _rows(url, scene.name) if not label.startswith("SQLite") else 0
        base = p.parser.stats.accepted  # a session resumes the counts of the one before
        servers = _server_pids(cluster, broker)
        receiver = [feed.receiver.proc.pid]
        t0, cpu0 = time.monotonic(), time.process_time()
        others0 = {k: _cpu_s(v) for k, v in servers.items()}
        rx0, pub0 = _cpu_s(receiver), resource.getrusage(resource.RUSAGE_CHILDREN)
        sent = publish(port, templates, rate, seconds, prefix)
        kept_up = p.parser.stats.accepted - base
        cpu = time.process_time() - cpu0  # the twin's threads, while the publisher ran
        pub1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        rx = _cpu_s(receiver) - rx0
        others = {k: _cpu_s(v) - others0[k] for k, v in servers.items()}
        others["the publisher"] = pub1.ru_utime + pub1.ru_stime - pub0.ru_utime - pub0.ru_stime
        _wait_applied(p, base + sent["sent"], t0 + seconds + 60)
        live.close()  # the pipeline hands its last rows over and the writer commits them
        took = time.monotonic() - t0
        written = (
            _rows(url, scene.name) - before
            if not label.startswith("SQLite")
            else p.parser.stats.accepted - base - p.writer.dropped
        )
        print(
            f"  {label:<32} at {rate / 1000:.0f}k/s {kept_up / sent['seconds']:8,.0f} msg/s "
            "applied while "
            f"{sent['sent'] / sent['seconds']:,.0f}/s were sent; history: {written:,} of "
            f"{sent['sent']:,} rows written, all in {took:5.1f} s "
            f"({written / took:8,.0f} rows/s), dropped {p.writer.dropped:,}; the twin's CPU "
            f"{cpu * 1e6 / max(kept_up, 1):.0f} us per message ({cpu / sent['seconds']:.0%} of a "
            f"core) and its MQTT receiver's {rx * 1e6 / max(kept_up, 1):.0f} us "
            f"({rx / sent['seconds']:.0%})"
        )
        busy = cpu + rx + sum(others.values())
        print(
            "    meanwhile, of a core: "
            + ", ".join(f"{k} {v / sent['seconds']:.0%}" for k, v in others.items())
            + f"; all of them {busy / sent['seconds']:.0%} of the {os.cpu_count()} cores' "
            f"{os.cpu_count():.0%}"
        )


def _wait_applied(p, accepted: int, deadline: float) -> None:
    while p.parser.stats.accepted < accepted and time.monotonic() < deadline:
        time.sleep(0.05)


def bench_backlog(scene, templates, url: str, port: int, rate: float = 40_000.0) -> None:
    """The ingest's own ceiling, without a publisher on the same two cores: the ingest is away,
    the broker keeps what comes for its persistent session, and the ingest drains it through
    mosquitto into PostgreSQL when it comes back (as after a restart)."""
    prefix, seconds = scene_prefix(scene), 10.0
    feed_url = f"mqtt://127.0.0.1:{port}?client_id=bench-backlog"
    live = open_live(scene, url, MqttFeed(feed_url, prefix))
    live.start()
    live.feed.wait_connected(10)  # the session and its subscriptions exist at the broker
    time.sleep(0.5)
    live.close()
    sent = publish(port, templates, rate, seconds, prefix)
    before = _rows(url, scene.name)
    live = open_live(scene, url, MqttFeed(feed_url, prefix))
    p = live.pipeline
    base = p.parser.stats.accepted
    t0, cpu0 = time.monotonic(), time.process_time()
    live.start()
    receiver = [live.feed.receiver.proc.pid]
    _wait_applied(p, base + sent["sent"], t0 + 120)
    applied_in = time.monotonic() - t0
    cpu, rx = time.process_time() - cpu0, _cpu_s(receiver)
    live.close()
    took = time.monotonic() - t0
    applied = p.parser.stats.accepted - base
    written = _rows(url, scene.name) - before
    print(
        f"  PostgreSQL, COPY batches, drained {applied:,} of {sent['sent']:,} messages kept by "
        f"the broker in {applied_in:4.1f} s: {applied / applied_in:8,.0f} msg/s; history: "
        f"{written:,} rows written, all in {took:4.1f} s ({written / took:8,.0f} rows/s); the "
        f"twin's CPU {cpu * 1e6 / max(applied, 1):.0f} us per message and its MQTT receiver's "
        f"{rx * 1e6 / max(applied, 1):.0f} us (the publisher alone sent "
        f"{sent['sent'] / sent['seconds']:,.0f}/s)"
    )


def bench_writer(url: str) -> None:
    """The history writer alone: a second of 20,000 readings per transaction, by COPY and by
    one INSERT per reading."""
    rows = [
        (f"dev-{i % 2000}", 1.8e9 + i * 0.00005, dumps_readings({"v": i * 0.5, "ok": True}))
        for i in range(20_000)
    ]
    out = {}
    for label, cls in (("COPY", PgHistoryStore), ("INSERT per reading", InsertPerReading)):
        store = cls(url, f"writer-{label}")
        t0 = time.perf_counter()
        for _ in range(5):
            store.write(rows, [], None)
        out[label] = 5 * len(rows) / (time.perf_counter() - t0)
        store.close()
    print(
        f"  history writer alone, 20,000 readings a transaction: COPY {out['COPY']:9,.0f} rows/s"
        f"   one INSERT per reading {out['INSERT per reading']:8,.0f} rows/s   "
        f"{out['COPY'] / out['INSERT per reading']:4.1f}x"
    )


def bench_seats(scene, url: str, port: int) -> None:
    """Three ``twin watch`` seats; an ingest service raising lid alarms published from outside."""
    import paho.mqtt.client as mqtt

    feed = MqttFeed(f"mqtt://127.0.0.1:{port}", scene_prefix(scene))
    live = open_live(scene, url, feed)
    committed: dict[int, float] = {}

    def on_batch(r: TickResult) -> None:
        t = time.time()
        for e in r.raised + r.cleared:
            committed.setdefault(e.id, t)

    live.pipeline.listeners.append(on_batch)
    live.start()
    feed.wait_connected(10)
    seats = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twin.cli.main",
                "watch",
                str(DEMO_SCENE),
                "--db",
                url,
                "--json",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(3)
    ]
    seen: list[dict[int, float]] = [{} for _ in seats]
    ready = [threading.Event() for _ in seats]

    def read(i: int) -> None:
        for line in seats[i].stdout:  # type: ignore[union-attr]
            d = json.loads(line)
            if d.get("ready"):
                ready[i].set()
            for e in d.get("events", []):
                seen[i].setdefault(e["id"], time.time())

    for i in range(len(seats)):
        threading.Thread(target=read, args=(i,), daemon=True).start()
    polled: dict[int, float] = {}
    stop = threading.Event()

    def poll() -> None:  # the naive seat: the open events, every second
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.wait(1.0):
                for (eid,) in conn.execute(
                    "SELECT id FROM events WHERE community = %s AND status <> 'closed'",
                    (scene.name,),
                ):
                    polled.setdefault(int(eid), time.time())

    threading.Thread(target=poll, daemon=True).start()
    for r in ready:  # every seat has built its scene and listens (a late one would count its
        r.wait(120)  # start-up as latency)
    time.sleep(0.5)
    manholes = [d.id for d in scene.devices if d.kind == "manhole"][:40]
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-field")
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    prefix = scene_prefix(scene)
    for rnd in range(6):
        for dev in manholes:
            payload = {"lid_open": rnd % 2 == 0, "tilt_deg": 0.0, "ts": int(time.time() * 1000)}
            pub.publish(f"{prefix}/{dev}/telemetry", json.dumps(payload), qos=1)
            time.sleep(0.02)
        time.sleep(1.0)
    time.sleep(3.0)
    pub.loop_stop()
    stop.set()
    for s in seats:
        s.terminate()
    live.close()
    lat = [(s[eid] - t) * 1000 for s in seen for eid, t in committed.items() if eid in s]
    naive = [(polled[eid] - t) * 1000 for eid, t in committed.items() if eid in polled]
    missed = sum(1 for s in seen for eid in committed if eid not in s)
    print(
        f"  raise to every seat (3 seats, {len(committed)} events raised or cleared): p50 "
        f"{np.percentile(lat, 50):4.0f} ms   p99 {np.percentile(lat, 99):4.0f} ms   max "
        f"{max(lat):4.0f} ms; not seen {missed} (target p99 <= 1,000 ms)"
    )
    print(
        f"  naive seat polling the open events every 1 s: p50 {np.percentile(naive, 50):4.0f} ms"
        f"   p99 {np.percentile(naive, 99):4.0f} ms  (and it sees neither changes nor clears)"
    )


def bench_communities(cluster: PgCluster, templates) -> None:
    """Ten communities of 2,000 devices in one database vs one alone: what a wall asks."""
    from twin.state.history import LatestState
    from twin.state.pgevents import PgEventStore
    from twin.usecases.session import join_seat

    base = build_scene(load_scene_spec(DEMO_SCENE))
    big = with_more_devices(base, max(1, -(-2000 // len(base.devices))))
    devices = big.devices[:2000]
    now = time.time()

    def fill(url: str, names: list[str]) -> None:
        for name in names:
            hist = PgHistoryStore(url, name)
            ev = PgEventStore(url, name)
            rows = []
            for k in range(12):  # an hour of history, every 5 minutes, every device
                t = now - 3600 + k * 300
                rows += [(d.id, t, dumps_readings({"v": float(k), "ok": True})) for d in devices]
            hist.write(
                rows,
                [
                    LatestState(d.id, d.kind, "online", now, {"v": 11.0}, {"v": now})
                    for d in devices
                ],
                {"clock": now},
            )
            item = {"kind": "manhole", "rule_id": "lid_open", "type": "lid_open"}
            ev.write_batch(
                [
                    ("raise", item | {"device_id": d.id, "severity": "critical", "at": now})
                    for d in devices[:200]
                ]
            )
            hist.close()
            ev.close()

    names = [f"Community {i:02d}" for i in range(10)]
    shared = cluster.database("twin_district")
    alone = cluster.database("twin_alone")
    fill(shared, names)
    fill(alone, names[:1])
    scene = dataclasses.replace(big, name=names[0], devices=devices)
    results = {}
    for label, url in (("alone", alone), ("10 communities", shared)):
        t0 = time.perf_counter()
        seat = join_seat(scene, url)
        start = time.perf_counter() - t0
        seat.history.series(devices[-1].id, "v", now - 86400, now)  # warm: plans, caches
        seat.events.events(open_only=True, limit=500)
        t0 = time.perf_counter()
        for _ in range(20):
            seat.feed.sync()
        sync = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        for d in devices[:20]:
            seat.history.series(d.id, "v", now - 86400, now)
        series = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        for _ in range(10):
            seat.events.events(open_only=True, limit=500)
        events = (time.perf_counter() - t0) / 10
        seat.close()
        results[label] = (start, sync, series, events)
    (a, b) = results["10 communities"], results["alone"]
    print(
        f"  a seat of one community's wall, 10 x 2,000 devices in the database vs alone: start "
        f"{a[0] * 1000:5.0f} ms vs {b[0] * 1000:5.0f} ms; a change read {a[1] * 1000:4.1f} vs "
        f"{b[1] * 1000:4.1f} ms; a day's chart {a[2] * 1000:4.1f} vs {b[2] * 1000:4.1f} ms; "
        f"the open events {a[3] * 1000:4.1f} vs {b[3] * 1000:4.1f} ms"
    )


def main() -> None:
    os.environ.setdefault("TWIN_PEOPLE_KEY", str(TMP / "people.key"))
    scene = build_scene(load_scene_spec(DEMO_SCENE))
    templates = devices_and_templates(with_more_devices(scene, 6))
    cluster = PgCluster()
    broker, port = start_broker()
    try:
        url = cluster.database("twin_bench")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor = time.perf_counter() - t0
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(
            f"Shared database benchmark: PostgreSQL {version} on this machine, "
            f"{os.cpu_count()} cores (a bare interpreter start: {floor * 1000:.0f} ms)\n"
        )
        print("Ingest with history through mosquitto at 20,000 msg/s (demo's devices x 6):")
        big = with_more_devices(scene, 6)
        bench_writer(url)
        bench_ingest(big, templates, url, port, cluster, broker)
        bench_backlog(big, templates, url, port)
        print("\nEvents to the seats:")
        bench_seats(scene, cluster.database("twin_seats"), port)
        print("\nA district in one database:")
        bench_communities(cluster, templates)
    finally:
        broker.kill()
        cluster.close()


if __name__ == "__main__":
    main()
