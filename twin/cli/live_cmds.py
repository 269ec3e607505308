"""``twin run | events | event | state | history | simulate``: the live side from the command
line."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from typing import Any

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.scene.scene import Scene
from twin.state.access import AccessEvent
from twin.state.dburl import shared_url
from twin.state.events import iso_utc
from twin.state.history import HistoryStore, history_path
from twin.telemetry.feeds import MqttFeed, MqttPublisher
from twin.telemetry.live import (
    FEED_HELP,
    make_simulator,
    parse_time,
    scene_prefix,
    scene_tz,
)
from twin.telemetry.livestatus import read_status
from twin.telemetry.parse import ExternalEvent
from twin.usecases.events import (
    acknowledge_event,
    close_event,
    dispatch_event,
    find_event_log,
    open_event_log,
    open_history,
    operator_name,
    writer_running,
)
from twin.usecases.session import start_session

STATUS_ORDER = ("alarm", "fault", "offline", "unknown", "online")


def _scene(path: str) -> Scene:
    from twin.cli.common import build_scene_file

    scene: Scene = build_scene_file(path)
    return scene


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="twin: %(message)s", stream=sys.stderr)


def _sim_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=1, help="simulator seed (same seed, same stream)")
    p.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (replay too)"
    )
    p.add_argument(
        "--incidents-every",
        type=float,
        default=180.0,
        metavar="S",
        help="simulator: a scripted incident every S real seconds (0: none)",
    )
    p.add_argument(
        "--start", metavar="TIME", help="simulator: simulated start time, ISO 8601 (default: now)"
    )


# -- run ---------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    if not args.headless:
        raise InputError(
            "twin run",
            "is the headless ingest service: add --headless.",
            "For the window, use `twin view SCENE` (or `python app.py`).",
        )
    if args.duration is not None and not args.duration > 0:
        raise InputError("--duration", f"{args.duration} must be above 0 seconds.")
    _logging()
    scene = _scene(args.scene)
    if args.share:
        return _run_worker(args, scene)
    start = parse_time(args.start, scene_tz(scene), "--start") if args.start else None
    live = start_session(
        scene, args.feed, args.db, args.seed, args.speed, start, args.incidents_every or None
    )
    feed = live.feed
    assert feed is not None
    stop = {"now": False}

    def on_signal(signum: int, frame: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    live.start()
    t0 = time.monotonic()
    last_report, last_accepted = t0, 0
    try:
        while not stop["now"]:
            time.sleep(0.2)
            now = time.monotonic()
            if args.duration is not None and now - t0 >= args.duration:
                break
            if feed.done and live.pipeline.pending == 0:
                break
            if now - last_report >= 10.0:
                acc = live.pipeline.parser.stats.accepted
                logging.getLogger("twin").info(
                    "%.0f msg/s, statuses %s, %d events raised",
                    (acc - last_accepted) / (now - last_report),
                    live.pipeline.store.counts(),
                    live.pipeline.events_raised,
                )
                last_report, last_accepted = now, acc
    finally:
        live.close()
    summary = live.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        ing = summary["ingest"]
        print(
            f"Ran {time.monotonic() - t0:.1f} s on {feed.name}: {ing['accepted']} messages "
            f"accepted, {ing['rejected_total']} rejected {ing['rejected'] or ''}; "
            f"{summary['events_raised']} events raised; statuses {summary['statuses']}. Event log "
            f"{summary['db']}, history {summary['history'] or 'none'}."
        )
        for line in _health_lines(summary["health"]):
            print(line)
    if live.unwritten:
        print(
            f"twin: error: {len(live.unwritten)} raise(s) and clear(s) could not be written to the "
            f"event log {summary['db']} ({summary['health']['event_log']['error']}); each is in "
            "the log above ('not written to the event log'). Free the disk and start again.",
            file=sys.stderr,
        )
        return 3
    if isinstance(feed, MqttFeed) and not feed.ever_connected:
        print(
            f"twin: error: never connected to the broker: {feed.last_error or feed.settings.url}",
            file=sys.stderr,
        )
        return 3
    return 0


# -- events ------------------------------------------------------------------------------------
def _run_worker(args: argparse.Namespace, scene: Scene) -> int:
    """``twin run --headless --share``: one of several workers (twin.telemetry.workers)."""
    from twin.usecases.session import start_worker

    worker = start_worker(scene, args.feed, args.db, args.partitions)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    worker.start()
    t0 = time.monotonic()
    try:
        while not stop["now"]:
            time.sleep(0.2)
            if args.duration is not None and time.monotonic() - t0 >= args.duration:
                break
    finally:
        summary = worker.summary()
        worker.stop()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print(
            f"Worker {summary['worker']} ran {time.monotonic() - t0:.1f} s: {summary['received']} "
            f"messages received into the inbox, {summary['events_raised']} events raised, led "
            f"partitions {summary['partitions']}, took over {summary['sessions_taken_over']} "
            "worker session(s)."
        )
    if not worker.feed.ever_connected:
        print(
            f"twin: error: never connected to the broker: {worker.feed.last_error}", file=sys.stderr
        )
        return 3
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    with open_event_log(args.scene, args.db, readonly=True) as store:
        if args.export:
            n = store.export_csv(args.export)
            print(f"Wrote {args.export} ({n} events)")
            return 0
        events = store.events(open_only=args.open, device_id=args.device, limit=args.limit)
    if args.json:
        print(json.dumps([e.as_dict() for e in events], ensure_ascii=False, indent=1))
        return 0
    print(f"{'id':>6}  {'raised (UTC)':<26}{'severity':<10}{'status':<14}{'device':<26}type")
    for e in events:
        status = e.status + (" (cleared)" if e.cleared else "")
        print(
            f"{e.id:>6}  "
            f"{iso_utc(e.raised_at) or '':<26}{e.severity:<10}{status:<14}{e.device_id:<26}{e.type}"
        )
    print(f"{len(events)} event(s)", file=sys.stderr)
    return 0


def cmd_event(args: argparse.Namespace) -> int:
    with open_event_log(args.scene, args.db) as store:
        who = args.operator or operator_name(store)
        if args.action == "ack":
            e = acknowledge_event(store, args.id, who, args.note)
        elif args.action == "dispatch":
            e = dispatch_event(store, args.id, who, args.to, args.note)
        else:
            e = close_event(store, args.id, who, args.note)
    print(
        json.dumps(e.as_dict(), ensure_ascii=False, indent=1)
        if args.json
        else f"Event {e.id}: {e.status}"
    )
    return 0


# -- watch -------------------------------------------------------------------------------------
def cmd_watch(args: argparse.Namespace) -> int:
    """A headless seat: one line per change the shared database announces."""
    from twin.state.dburl import shared_url
    from twin.usecases.session import join_seat

    url = shared_url(args.db)
    if url is None:
        raise InputError(
            "--db",
            "twin watch follows the shared database: give postgresql://USER@HOST/DBNAME or "
            "TWIN_DB.",
        )
    if args.duration is not None and not args.duration > 0:
        raise InputError("--duration", f"{args.duration} must be above 0 seconds.")
    _logging()
    seat = join_seat(_scene(args.scene), url)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))

    def show(result: Any) -> None:
        line = {
            "at": time.time(),
            "events": [e.as_dict() for e in result.raised + result.cleared],
            "states": len(result.changed),
            "notices": result.notices,
        }
        if not args.json:
            for e in result.raised + result.cleared:
                by = getattr(e, f"{e.status}_by", None) if e.status != "raised" else None
                print(
                    f"event {e.id} {e.device_id} {e.type} {e.status}" + (f" by {by}" if by else "")
                )
            for n in result.notices:
                print(n)
        else:
            print(json.dumps(line, ensure_ascii=False, default=str))
        sys.stdout.flush()

    seat.pipeline.listeners.append(show)
    seat.start()
    print(
        json.dumps({"ready": True, "community": seat.events.community})
        if args.json
        else f"Watching {seat.events.community} on the shared database (Ctrl-C to stop)"
    )
    sys.stdout.flush()
    t0 = time.monotonic()
    try:
        while not stop["now"]:
            time.sleep(0.1)
            if args.duration is not None and time.monotonic() - t0 >= args.duration:
                break
    finally:
        seat.close()
    return 0


# -- state -------------------------------------------------------------------------------------
def cmd_state(args: argparse.Namespace) -> int:
    scene = _scene(args.scene)
    latest: dict[str, Any] = {}
    ingest = clock = feed = health = None
    live: dict[str, Any] | None
    if shared_url(args.db) is not None:  # the shared database: its history is the status
        hist = open_history(args.scene, args.db)
        try:
            live = writer_running(hist)
            latest = {s.device_id: s for s in hist.latest(None)}
            ingest, clock = hist.meta("ingest"), hist.meta("clock")
            feed, health = hist.meta("feed"), hist.meta("health")
        finally:
            hist.close()
        if not latest:
            raise InputError(
                "the shared database",
                f"has no state of {scene.name} yet.",
                "Start the ingest service: `twin run SCENE --headless --db URL`.",
            )
    else:
        db = find_event_log(args.scene, args.db)
        path = history_path(db)
        live = read_status(db)
        if not path.exists() and live is None:
            raise InputError(
                path,
                "no state recorded yet.",
                "Run `twin run SCENE --headless` with this --db first.",
            )
        if path.exists():
            try:
                hist = HistoryStore(path, readonly=True)
            except InputError:
                if live is None:
                    raise
                hist = None  # damaged: the running pipeline (without history) still tells
            if hist is not None:
                try:
                    latest = {s.device_id: s for s in hist.latest(None)}
                    ingest, clock = hist.meta("ingest"), hist.meta("clock")
                    feed, health = hist.meta("feed"), hist.meta("health")
                finally:
                    hist.close()
        if live is not None:  # a pipeline runs on this event log: its own word is the freshest
            ingest, clock = live.get("ingest"), live.get("clock")
            feed, health = live.get("feed"), live.get("health")
    devices = scene.devices
    if args.device:
        devices = [d for d in devices if d.id == args.device]
        if not devices:
            raise InputError(
                "--device",
                f"{args.device!r} is not a device of {scene.name}.",
                "List them with `twin devices SCENE`.",
            )

    def row(d: Any) -> dict[str, Any]:
        s = latest.get(d.id)
        return {
            "id": d.id,
            "kind": d.kind,
            "name": d.name,
            "status": s.status if s else "unknown",
            "last_seen": iso_utc(s.last_seen) if s and s.last_seen else None,
            "readings": s.readings if s else {},
        }

    rows = [row(d) for d in devices]
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    if (
        live is not None and not latest and not args.device
    ):  # no history to read: the pipeline's own counts
        counts = {k: int(live.get("statuses", {}).get(k, 0)) for k in STATUS_ORDER}
    out = {
        "scene": scene.name,
        "as_of": iso_utc(clock) if clock else None,
        "running": live is not None,
        "pid": live.get("pid") if live else None,
        "counts": counts,
        "ingest": ingest or {},
        "feed": feed or {},
        "health": health or {},
    }
    if args.device:
        out["device"] = rows[0]
    else:
        out["devices"] = rows
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{scene.name}, as of {out['as_of']}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(
        f"Pipeline: {'running (pid ' + str(out['pid']) + ')' if live else 'not running'}; feed "
        + (_feed_line(out["feed"]) if out["feed"] else "-")
    )
    for line in _health_lines(out["health"]):
        print(line)
    ing = out["ingest"]
    if ing:
        print(
            f"Ingest: {ing.get('accepted', 0)} accepted, {ing.get('rejected_total', 0)} rejected "
            f"{ing.get('rejected') or ''}"
        )
    shown = rows if args.device else [r for r in rows if r["status"] != "online"][:50]
    for r in shown:
        print(
            f"  {r['id']:<28}{r['kind']:<16}{r['status']:<9}{r['last_seen'] or '-':<26}"
            + json.dumps(r["readings"], ensure_ascii=False)
        )
    return 0


def _feed_line(feed: dict[str, Any]) -> str:
    if feed.get("feed") != "mqtt":
        return str(feed.get("feed", "-"))
    state = f"connected since {feed.get('since')}" if feed.get("connected") else "NOT CONNECTED"
    err = f"; last error: {feed['last_error']}" if feed.get("last_error") else ""
    return f"{feed.get('url')} {state}, {feed.get('reconnects', 0)} reconnect(s){err}"


def _health_lines(health: dict[str, Any]) -> list[str]:
    out = []
    ev, hist = health.get("event_log") or {}, health.get("history") or {}
    if ev and not ev.get("ok", True):
        out.append(
            f"EVENT LOG FAILING since {ev.get('since')}: {ev.get('error')}; "
            f"{ev.get('unwritten', 0)} raise(s) and clear(s) waiting in memory, "
            f"{ev.get('dropped', 0)} dropped"
        )
    if hist and not hist.get("ok", True):
        out.append(
            f"HISTORY FAILING: {hist.get('error')} ({hist.get('dropped', 0)} readings not recorded)"
        )
    return out


# -- history -----------------------------------------------------------------------------------
def cmd_history(args: argparse.Namespace) -> int:
    scene = _scene(args.scene)
    tz = scene_tz(scene)
    since = parse_time(args.since, tz, "--since") if args.since else None
    until = parse_time(args.until, tz, "--until") if args.until else None
    hist = open_history(args.scene, args.db)
    try:
        if args.export:
            n = hist.export_csv(
                args.export, {d.id: d.kind for d in scene.devices}, since, until, args.device
            )
            print(
                f"Wrote {args.export} ({n} messages); play it back with --feed replay:{args.export}"
            )
            return 0
        if not (args.device and args.reading):
            raise InputError(
                "twin history", "needs --export FILE, or --device ID with --reading NAME."
            )
        dev = scene.device(args.device)
        if dev is None:
            raise InputError("--device", f"{args.device!r} is not a device of {scene.name}.")
        names = [r.name for r in CATALOGUE[dev.kind].readings]
        if args.reading not in names:
            raise InputError(
                "--reading",
                f"{args.reading!r} is not a reading of a {dev.kind}.",
                f"Readings: {', '.join(names)}.",
            )
        end = until if until is not None else (hist.meta("clock") or time.time())
        start = since if since is not None else end - 86400.0
        points = hist.series(args.device, args.reading, start, end, args.points)
    finally:
        hist.close()
    data = [
        {
            "time": iso_utc(p.ts),
            "mean": round(p.mean, 4),
            "min": p.vmin,
            "max": p.vmax,
            "last": p.last,
            "n": p.n,
        }
        for p in points
    ]
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        for p in data:
            print(
                f"{p['time']}  {p['mean']:>12g}  (min "
                f"{p['min']:g}, max {p['max']:g}, {p['n']} values)"
            )
    return 0


# -- simulate ----------------------------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace) -> int:
    if args.rate is not None and not args.rate > 0:
        raise InputError("--rate", f"{args.rate} must be above 0 messages per second.")
    _logging()
    scene = _scene(args.scene)
    tz = scene_tz(scene)
    start = parse_time(args.start, tz, "--start") if args.start else None
    sim = make_simulator(scene, args.seed, args.speed, start, args.incidents_every or None)
    pub = MqttPublisher(args.mqtt)
    prefix = scene_prefix(scene)
    stamp = args.speed == 1.0  # simulated time runs ahead of the wall clock otherwise
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *a: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *a: stop.update(now=True))
    sent, extra_i, tick = 0, 0, 0.05
    wall0 = time.monotonic()
    last = sim.start
    topics = {d.id: f"{prefix}/{d.id}/telemetry" for d in sim.devices}

    def send(device_id: str, ts: float, readings: dict[str, Any]) -> None:
        body = dict(readings)
        if stamp:
            body["ts"] = int(ts * 1000)
        pub.publish(topics[device_id], json.dumps(body))

    def send_event(e: AccessEvent | ExternalEvent) -> None:
        # as an outside access platform or a device reports them: clear tokens, QoS 1
        if isinstance(e, AccessEvent):
            kind = {"in": "entry", "out": "exit"}.get(e.direction, "door")
            body: dict[str, Any] = {"type": kind, "method": e.method}
            body |= {"person": e.token} if e.token else {}
            body |= {"plate": e.plate} if e.plate else {}
        else:
            body = {"type": e.type, "severity": e.severity, "data": e.data}
        if e.source_id:
            body["id"] = e.source_id
        if stamp:
            body["ts"] = int(round(e.ts * 1000))
        pub.publish(f"{prefix}/{e.device_id}/event", json.dumps(body, ensure_ascii=False), qos=1)

    for m in sim.snapshot(sim.start):
        send(m.device_id, m.ts, m.readings)
        sent += 1
    try:
        while not stop["now"]:
            elapsed = time.monotonic() - wall0
            if args.duration is not None and elapsed >= args.duration:
                break
            now = sim.start + elapsed * sim.speed
            msgs = sim.messages(last, now)
            for m in msgs:
                send(m.device_id, m.ts, m.readings)
            sent += len(msgs)
            events = sim.events(last, now)
            for e in events:
                send_event(e)
            sent += len(events)
            if args.rate:  # top up to the requested rate with current readings of devices in turn
                want = int(args.rate * elapsed) - sent
                incs = sim.incidents_between(now - 1e-6, now)
                for _ in range(max(0, want)):
                    i = extra_i % len(sim.devices)
                    send(sim.devices[i].id, now, sim.values(i, now, incs))
                    extra_i += 1
                    sent += 1
            last = now
            time.sleep(tick)
    finally:
        pub.close()
    elapsed = time.monotonic() - wall0
    print(
        f"Published {sent} messages in {elapsed:.1f} s ({sent / max(elapsed, 1e-9):.0f}/s) to "
        f"{pub.settings.url} under {prefix}/"
    )
    return 0


# -- argument parsers --------------------------------------------------------------------------
def add_commands(sub: Any) -> None:
    s = sub.add_parser("run", help="run the live pipeline: feed -> state -> rules -> event log")
    s.add_argument("scene")
    s.add_argument(
        "--headless", action="store_true", help="no window (the only mode of `twin run` for now)"
    )
    s.add_argument("--feed", default="sim", help=FEED_HELP)
    s.add_argument(
        "--db",
        help="event log file (history goes beside it; default: ~/.local/share/twin/<scene>/, or "
        "TWIN_DB), or the shared database postgresql://USER@HOST[:PORT]/DBNAME",
    )
    s.add_argument(
        "--duration",
        type=float,
        metavar="S",
        help="stop after S seconds (default: until Ctrl-C, or the end of a replay)",
    )
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.add_argument(
        "--share",
        action="store_true",
        help="one of several workers: share the MQTT feed (MQTT 5 shared subscription) with the "
        "others on the same postgresql:// --db; each partition of devices is led by one of them",
    )
    s.add_argument(
        "--partitions",
        type=int,
        default=2,
        metavar="N",
        help="--share: partitions of the community's devices (default 2; the same for all workers)",
    )
    _sim_args(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("events", help="list the event log")
    s.add_argument("scene")
    s.add_argument("--db")
    s.add_argument("--json", action="store_true")
    s.add_argument("--open", action="store_true", help="only events not closed")
    s.add_argument("--device", help="only this device's events")
    s.add_argument("--limit", type=int)
    s.add_argument(
        "--export", metavar="FILE.csv", help="write all events as CSV (UTF-8, opens in Excel)"
    )
    s.set_defaults(func=cmd_events)

    s = sub.add_parser("event", help="acknowledge, dispatch or close an event")
    s.add_argument("scene")
    s.add_argument("id", type=int)
    s.add_argument("action", choices=("ack", "dispatch", "close"))
    s.add_argument(
        "--operator",
        help="who acts (default: the shared database's account, else the login name)",
    )
    s.add_argument("--to", help="dispatch: whom to")
    s.add_argument("--note", default="")
    s.add_argument("--db")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_event)

    s = sub.add_parser(
        "watch", help="a headless seat: print every change the shared database announces"
    )
    s.add_argument("scene")
    s.add_argument("--db", help="postgresql://USER@HOST[:PORT]/DBNAME (default: TWIN_DB)")
    s.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    s.add_argument("--json", action="store_true", help="one JSON object per line")
    s.set_defaults(func=cmd_watch)

    s = sub.add_parser("state", help="latest status and readings of devices, and ingest statistics")
    s.add_argument("scene")
    s.add_argument("--db")
    s.add_argument("--device")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_state)

    s = sub.add_parser(
        "history", help="a reading's history for charts, or export history for replay"
    )
    s.add_argument("scene")
    s.add_argument("--db")
    s.add_argument("--device")
    s.add_argument("--reading")
    s.add_argument("--since", metavar="TIME")
    s.add_argument("--until", metavar="TIME")
    s.add_argument("--points", type=int, default=288)
    s.add_argument("--export", metavar="FILE.csv")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_history)

    s = sub.add_parser("simulate", help="publish the simulator's stream to an MQTT broker")
    s.add_argument("scene")
    s.add_argument("--mqtt", required=True, metavar="URL", help="mqtt://HOST[:PORT] or mqtts://...")
    s.add_argument(
        "--rate", type=float, metavar="N", help="top up to N messages per second (load tests)"
    )
    s.add_argument("--duration", type=float, metavar="S")
    _sim_args(s)
    s.set_defaults(func=cmd_simulate)
