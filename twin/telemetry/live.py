"""A scene's live session: event log, history, pipeline and feed, wired the same way for the
headless ``twin run``, ``twin render --feed`` and the desktop shell."""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from twin.core.errors import InputError
from twin.core.paths import default_db
from twin.scene.scene import Scene
from twin.state.events import EventStore
from twin.state.history import HistoryStore, history_path
from twin.state.rules import load_rules
from twin.telemetry.feeds import Feed, MqttFeed, ReplayFeed, SimFeed
from twin.telemetry.livestatus import remove_status, write_status
from twin.telemetry.parse import topic_prefix
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.simulator import INCIDENT_EVERY_S, Simulator

log = logging.getLogger("twin.live")

FEED_HELP = "sim, mqtt://HOST[:PORT], mqtts://HOST[:PORT][?ca=CA.pem] or replay:FILE.csv"


def scene_tz(scene: Scene) -> tzinfo | None:
    return ZoneInfo(scene.spec.timezone) if scene.spec.timezone else None


def local_hour_fn(tz: tzinfo | None) -> Callable[[float], int]:
    if tz is None:
        return lambda ts: time.localtime(ts).tm_hour
    return lambda ts: datetime.fromtimestamp(ts, tz).hour


def scene_prefix(scene: Scene) -> str:
    return scene.spec.mqtt_prefix or topic_prefix(scene.name)


def parse_time(value: str, tz: tzinfo | None, what: str = "--at") -> float:
    """Epoch seconds from ISO 8601 (no zone: the scene's) or a number of epoch seconds."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(what, f"{value!r} is not a time.",
                         "Use ISO 8601, e.g. 2026-11-21T19:30 (the scene's time zone) or 2026-11-21T17:30Z.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz) if tz is not None else dt.astimezone()
    return dt.timestamp()


def make_simulator(scene: Scene, seed: int = 1, speed: float = 1.0, start: float | None = None,
                   incident_every_s: float | None = INCIDENT_EVERY_S) -> Simulator:
    if not scene.devices:
        raise InputError(scene.name, "has no devices to simulate.", "Add a device list or --fill-devices.")
    if not speed > 0:
        raise InputError("--speed", f"{speed} must be above 0.")
    return Simulator(scene.devices, seed, scene.frame.origin_lat, scene.frame.origin_lon, scene_tz(scene),
                     time.time() if start is None else start, speed, incident_every_s)


def make_feed(spec: str, scene: Scene, seed: int = 1, speed: float = 1.0, start: float | None = None,
              incident_every_s: float | None = INCIDENT_EVERY_S) -> Feed:
    spec = spec.strip()
    if spec == "sim":
        return SimFeed(make_simulator(scene, seed, speed, start, incident_every_s))
    if spec.startswith(("mqtt://", "mqtts://")):
        return MqttFeed(spec, scene_prefix(scene))
    if spec.startswith("replay:"):
        return ReplayFeed(Path(spec[7:]).expanduser(), {d.id: d.kind for d in scene.devices}, speed)
    raise InputError("--feed", f"{spec!r} is not a feed.", f"Use {FEED_HELP}.")


@dataclass
class Live:
    scene: Scene
    events: EventStore
    history: HistoryStore | None
    pipeline: Pipeline
    feed: Feed | None
    db: Path
    unwritten: list[tuple[str, Any]] = field(default_factory=list)

    def start(self) -> None:
        # what exists now (the scene, its stores, the catalogue) lives as long as the session:
        # out of the cyclic collector's way, or every full collection walks it all again
        # (pauses of 100-350 ms measured at 20,000 messages / s)
        gc.collect()
        gc.freeze()
        if self.feed is not None:
            self.pipeline.feed_info = self.feed.info
            self.feed.start(self.pipeline)
        if str(self.db) != ":memory:":
            db = self.db
            self.pipeline.status_sink = lambda status: write_status(db, status)
        self.pipeline.start()

    def close(self) -> None:
        """Stop the feed and the pipeline; :attr:`unwritten` then holds the raises and clears the
        event log could not take (the caller reports them and exits non-zero)."""
        if self.feed is not None:
            self.feed.stop()
        self.pipeline.stop()
        self.unwritten = self.pipeline.unwritten_items()
        if self.unwritten:  # nothing is lost silently: the log line carries every one
            for op, item in self.unwritten:
                log.error("not written to the event log: %s %s", op, json.dumps(item, ensure_ascii=False,
                                                                              default=str))
        self.pipeline.status_sink = None
        remove_status(self.db)
        if self.history is not None:
            self.history.close()
        self.events.close()

    def summary(self) -> dict[str, Any]:
        return {"db": str(self.db), "history": str(history_path(self.db)) if self.history is not None else None,
                "statuses": self.pipeline.store.counts(), "events_raised": self.pipeline.events_raised,
                "ingest": self.pipeline.stats(), "feed": self.feed.info() if self.feed else {},
                "health": self.pipeline.health(), "unwritten": len(self.unwritten)}


def resolve_db(scene: Scene, db: str | Path | None) -> Path:
    return Path(db).expanduser() if db else default_db(scene.name)


def open_live(scene: Scene, db: str | Path | None, feed: Feed | None, keep_history: bool = True,
              clock: Callable[[], float] | None = None) -> Live:
    """Stores and pipeline for ``scene`` (``db`` ":memory:" for a throw-away session)."""
    path = Path(":memory:") if str(db) == ":memory:" else resolve_db(scene, db)
    events = EventStore(path)
    history = None
    history_error = None
    try:
        if keep_history and str(path) != ":memory:":
            try:
                history = HistoryStore(history_path(path))
            except InputError as exc:  # readings history is a convenience; alarms must run without it
                history_error = exc.message
                log.error("RUNNING WITHOUT HISTORY: %s Alarms and the event log work; charts, the time slider "
                          "and `twin state` have no new data until the history file is fixed.", exc.message)
        pipeline = Pipeline(scene.devices, events, load_rules(), scene_prefix(scene), history,
                            clock or (feed.clock if feed is not None else time.time), local_hour_fn(scene_tz(scene)))
        pipeline.history_error = history_error
    except BaseException:
        events.close()
        if history is not None:
            history.close()
        raise
    return Live(scene, events, history, pipeline, feed, path)


def statuses_at(scene: Scene, feed_spec: str, at: float | None = None, seed: int = 1,
                incident_every_s: float | None = INCIDENT_EVERY_S, listen_s: float = 5.0) -> tuple[dict[str, str], float]:
    """Every device's status at ``at`` (default now) for a still frame: the simulator or a
    replay fast-forwarded in memory (nothing written), or a broker listened to for ``listen_s``."""
    spec = feed_spec.strip()
    if spec.startswith(("mqtt://", "mqtts://")):
        if at is not None:
            raise InputError("--at", "cannot be used with a live broker feed.", "Drop --at, or use sim or replay:.")
        feed = MqttFeed(spec, scene_prefix(scene))
        live = open_live(scene, ":memory:", feed)
        live.start()
        time.sleep(listen_s)
        live.close()
        return {i: st.status for i, st in live.pipeline.store.states.items()}, time.time()
    if spec == "sim":
        at = time.time() if at is None else at
        warm = 3600.0  # the longest heartbeat: every device has reported by then
        sim = make_simulator(scene, seed, 1.0, at - warm, incident_every_s)
        live = open_live(scene, ":memory:", None, clock=lambda: at)
        p = live.pipeline
        p.submit(sim.snapshot(sim.start))
        t = sim.start
        while t < at:
            nxt = min(at, t + 60.0)
            p.submit(sim.messages(t, nxt))
            p.process(nxt)
            t = nxt
    elif spec.startswith("replay:"):
        replay = ReplayFeed(Path(spec[7:]).expanduser(), {d.id: d.kind for d in scene.devices})
        at = replay.t_end if at is None else at
        live = open_live(scene, ":memory:", None, clock=lambda: at)
        live.pipeline.submit(replay.take_until(at))
    else:
        raise InputError("--feed", f"{spec!r} is not a feed.", f"Use {FEED_HELP}.")
    live.pipeline.process(at)
    out = {i: st.status for i, st in live.pipeline.store.states.items()}
    live.events.close()
    return out, at


def format_local(ts: float, tz: tzinfo | None) -> str:
    dt = datetime.fromtimestamp(ts, tz) if tz is not None else datetime.fromtimestamp(ts).astimezone()
    return dt.strftime("%Y-%m-%d %H:%M ") + (dt.tzname() or "")


def state_at(scene: Scene, history: HistoryStore, at: float) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Every device's status and readings at ``at`` from the recorded history (the shell's time
    slider): the raw messages of the heartbeat window before ``at`` folded through a throw-away
    pipeline, so statuses (offline included) are what they were then. Nothing is written."""
    from twin.scene.catalogue import CATALOGUE
    from twin.state.store import MISSED_HEARTBEATS, Message

    longest = max((CATALOGUE[d.kind].heartbeat_s for d in scene.devices), default=60)
    live = open_live(scene, ":memory:", None, keep_history=False, clock=lambda: at)
    try:
        p = live.pipeline
        batch: list[Message] = []
        for device_id, ts, readings in history.messages(at - MISSED_HEARTBEATS * longest - 1, at):
            batch.append(Message(device_id, ts, readings))
            if len(batch) >= 50_000:
                p.submit(batch)
                p.process(ts)
                batch = []
        p.submit(batch)
        p.process(at)
        with p.lock:
            states = p.store.states
            return ({i: st.status for i, st in states.items()},
                    {i: dict(st.readings) for i, st in states.items() if st.readings})
    finally:
        live.events.close()


BACKFILL_H = 24.0
BACKFILL_STEP_S = 1200.0


def backfill(live: Live, hours: float = BACKFILL_H, step_s: float = BACKFILL_STEP_S,
             seed: int = 1, progress: Callable[[float], None] | None = None) -> int:
    """Give a new simulated session a past: the simulator's readings every ``step_s`` over the
    last ``hours`` (without demo incidents), through the pipeline into the history and the
    event log, so charts, the time slider and today's consumption mean something from the
    first minute. Only when the history is empty and the feed is the simulator; returns the
    number of messages written."""
    if live.history is None or not isinstance(live.feed, SimFeed) or live.history.meta("clock") is not None:
        return 0
    now = live.feed.sim.start
    sim = make_simulator(live.scene, seed, 1.0, now - hours * 3600, None)
    p = live.pipeline
    n, t = 0, now - hours * 3600
    steps = int(hours * 3600 // step_s)
    for k in range(steps):
        batch = sim.snapshot(t)
        p.submit(batch)
        p.process(t)
        n += len(batch)
        t += step_s
        if progress is not None:
            progress((k + 1) / steps)
    p.flush_history(t)
    return n
