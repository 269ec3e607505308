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
from twin.scene.entities import Device
from twin.scene.people import Person
from twin.scene.scene import Scene
from twin.state.dburl import db_spec, shared_url
from twin.state.events import EventStore
from twin.state.history import HistoryStore, history_path
from twin.state.rules import load_rules
from twin.telemetry.feeds import Feed, MqttFeed, ReplayFeed, SimFeed
from twin.telemetry.livestatus import remove_status, write_status
from twin.telemetry.parse import topic_prefix
from twin.telemetry.pipeline import Pipeline
from twin.telemetry.simulator import INCIDENT_EVERY_S, Simulator

log = logging.getLogger("twin.live")

SHARED_FLUSH_S = 0.25
"""How often the latest state reaches the shared database (seats follow it)."""
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
        raise InputError(
            what,
            f"{value!r} is not a time.",
            "Use ISO 8601, e.g. 2026-11-21T19:30 (the scene's time zone) or 2026-11-21T17:30Z.",
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz) if tz is not None else dt.astimezone()
    return dt.timestamp()


def make_simulator(
    scene: Scene,
    seed: int = 1,
    speed: float = 1.0,
    start: float | None = None,
    incident_every_s: float | None = INCIDENT_EVERY_S,
    people: list[Person] | None = None,
) -> Simulator:
    """The scene's simulator; ``people`` (the register in clear) pass its gates, barriers and
    door sensors (without it, only deliveries, passers-by and the scripted incidents' people)."""
    if not scene.devices:
        raise InputError(
            scene.name, "has no devices to simulate.", "Add a device list or --fill-devices."
        )
    if not speed > 0:
        raise InputError("--speed", f"{speed} must be above 0.")
    return Simulator(
        scene.devices,
        seed,
        scene.frame.origin_lat,
        scene.frame.origin_lon,
        scene_tz(scene),
        time.time() if start is None else start,
        speed,
        incident_every_s,
        people,
    )


def parse_feed(spec: str) -> tuple[str, str]:
    """What a ``--feed`` value names: ``("sim", "")``, ``("mqtt", URL)`` or ``("replay", FILE)``.
    Raises InputError for anything else and for a replay file that does not exist."""
    spec = spec.strip()
    if spec == "sim":
        return "sim", ""
    if spec.startswith(("mqtt://", "mqtts://")):
        return "mqtt", spec
    if spec.startswith("replay:"):
        path = Path(spec[7:]).expanduser()
        if not path.is_file():
            raise InputError(
                path,
                "no such replay file.",
                "Export one with `twin history SCENE --export FILE.csv`.",
            )
        return "replay", str(path)
    raise InputError("--feed", f"{spec!r} is not a feed.", f"Use {FEED_HELP}.")


def make_feed(
    spec: str,
    scene: Scene,
    seed: int = 1,
    speed: float = 1.0,
    start: float | None = None,
    incident_every_s: float | None = INCIDENT_EVERY_S,
    people: list[Person] | None = None,
) -> Feed:
    kind, where = parse_feed(spec)
    if kind == "sim":
        return SimFeed(make_simulator(scene, seed, speed, start, incident_every_s, people))
    if kind == "mqtt":
        return MqttFeed(where, scene_prefix(scene))
    return ReplayFeed(Path(where), {d.id: d.kind for d in scene.devices}, speed)


@dataclass
class Live:
    scene: Scene
    events: EventStore
    history: HistoryStore | None
    pipeline: Pipeline
    feed: Feed | None
    db: Path | str
    """The event log's file, or the shared database's URL."""
    unwritten: list[tuple[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the user should know about the session (a register that could not be read)."""

    @property
    def shared(self) -> bool:
        """On the shared PostgreSQL database (the history's meta is then the live status)."""
        return isinstance(self.db, str)

    def start(self) -> None:
        # what exists now (the scene, its stores, the catalogue) lives as long as the session:
        # out of the cyclic collector's way, or every full collection walks it all again
        # (pauses of 100-350 ms measured at 20,000 messages / s)
        gc.collect()
        gc.freeze()
        if self.feed is not None:
            self.pipeline.feed_info = self.feed.info
            self.feed.start(self.pipeline)
        if self.shared:
            self.pipeline.flush_s = SHARED_FLUSH_S
        elif str(self.db) != ":memory:":
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
                log.error(
                    "not written to the event log: %s %s",
                    op,
                    json.dumps(item, ensure_ascii=False, default=str),
                )
        self.pipeline.status_sink = None
        if not self.shared:
            remove_status(self.db)
        if self.history is not None:
            self.history.close()
        self.events.close()

    def summary(self) -> dict[str, Any]:
        return {
            "db": str(self.db),
            "history": (
                None
                if self.history is None
                else "the shared database"
                if self.shared
                else str(history_path(self.db))
            ),
            "statuses": self.pipeline.store.counts(),
            "events_raised": self.pipeline.events_raised,
            "ingest": self.pipeline.stats(),
            "feed": self.feed.info() if self.feed else {},
            "health": self.pipeline.health(),
            "unwritten": len(self.unwritten),
        }


def resolve_db(scene: Scene, db: str | Path | None) -> Path:
    return Path(db).expanduser() if db else default_db(scene.name)


def open_live(
    scene: Scene,
    db: str | Path | None,
    feed: Feed | None,
    keep_history: bool = True,
    clock: Callable[[], float] | None = None,
    devices: list[Device] | None = None,
) -> Live:
    """Stores and pipeline for ``scene`` (``db`` ":memory:" for a throw-away session, or the
    shared database's ``postgresql://`` URL: the community is the scene's name); ``devices``:
    the pipeline's, when it serves only some of the scene's (a partition's leader)."""
    url = shared_url(db) if str(db) != ":memory:" else None
    path: Path | str
    history: Any = None
    history_error = None
    if url is not None:
        from twin.state.pgevents import PgEventStore
        from twin.state.pghistory import PgHistoryStore

        path = url
        events: Any = PgEventStore(url, scene.name)
        if keep_history:
            history = PgHistoryStore(url, scene.name, events.pool)
    else:
        path = Path(":memory:") if str(db) == ":memory:" else resolve_db(scene, db_spec(db))
        events = EventStore(path)
    try:
        if keep_history and url is None and str(path) != ":memory:":
            try:
                history = HistoryStore(history_path(path))
            except (
                InputError
            ) as exc:  # readings history is a convenience; alarms must run without it
                history_error = exc.message
                log.error(
                    "RUNNING WITHOUT HISTORY: %s Alarms and the event log work; charts, the time "
                    "slider and `twin state` have no new data until the history file is fixed.",
                    exc.message,
                )
        pipeline = Pipeline(
            scene.devices if devices is None else devices,
            events,
            load_rules(),
            scene_prefix(scene),
            history,
            clock or (feed.clock if feed is not None else time.time),
            local_hour_fn(scene_tz(scene)),
        )
        pipeline.history_error = history_error
    except BaseException:
        events.close()
        if history is not None:
            history.close()
        raise
    return Live(scene, events, history, pipeline, feed, path)


def format_local(ts: float, tz: tzinfo | None) -> str:
    dt = (
        datetime.fromtimestamp(ts, tz)
        if tz is not None
        else datetime.fromtimestamp(ts).astimezone()
    )
    return dt.strftime("%Y-%m-%d %H:%M ") + (dt.tzname() or "")
