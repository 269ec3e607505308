"""A scene's live session: starting it, giving a new simulated one a past, and the state at a
moment (now from a feed, or back in time from the recorded history)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.state.history import HistoryStore
from twin.telemetry.feeds import MqttFeed, ReplayFeed, SimFeed
from twin.telemetry.live import Live, make_feed, make_simulator, open_live, parse_feed, scene_prefix
from twin.telemetry.simulator import INCIDENT_EVERY_S


def start_session(
    scene: Scene,
    feed: str,
    db: str | Path | None,
    seed: int = 1,
    speed: float = 1.0,
    start: float | None = None,
    incidents_every_s: float | None = INCIDENT_EVERY_S,
    backfill: bool = False,
    progress: Callable[[float], None] | None = None,
) -> Live:
    """The event log, history, pipeline and feed of ``scene`` (not started: call
    ``Live.start()``); a new simulated session gets the last 24 hours when ``backfill``.

    A register that cannot be read does not stop the session (alarms must run): the register
    stored before stays in use and :attr:`Live.notes` says what is wrong."""
    from twin.usecases.people import read_scene_register, start_people

    notes = []
    try:
        rows = read_scene_register(scene.spec)
    except InputError as exc:
        rows = None
        notes.append(f"register not read, the one stored before stays in use: {exc}")
    people = rows.people if rows is not None else None
    live = open_live(
        scene, db, make_feed(feed, scene, seed, speed, start, incidents_every_s, people)
    )
    live.notes += notes
    try:
        start_people(live, rows, live.pipeline.clock())
    except BaseException:
        live.close()
        raise
    if backfill:
        try:
            backfill_history(live, seed=seed, progress=progress)
        except BaseException:
            live.close()
            raise
    return live


def start_worker(scene: Scene, feed: str, db: str | Path | None, partitions: int = 2) -> Any:
    """One of several ingest workers of the scene's community (``twin run --share``): the MQTT
    feed shared with the others (MQTT 5 shared subscription), the shared database's inbox,
    partitions led in turn, dead workers taken over (not started).

    Raises
    ------
    InputError
        Without a ``postgresql://`` database or an MQTT feed, or for a bad partition count.
    """
    from twin.state.dburl import shared_url
    from twin.telemetry.live import parse_feed
    from twin.telemetry.workers import Worker
    from twin.usecases.people import PEOPLE_KINDS, read_scene_register, start_people

    url = shared_url(db)
    kind, where = parse_feed(feed)
    if url is None or kind != "mqtt":
        raise InputError(
            "--share",
            "shares an MQTT feed among workers through the shared database.",
            "Give --feed mqtt://HOST[:PORT] and --db postgresql://USER@HOST/DBNAME.",
        )
    if not 1 <= partitions <= 64:
        raise InputError("--partitions", f"{partitions} is outside 1-64.", "Use e.g. 2 or 4.")
    try:
        rows = read_scene_register(scene.spec)
    except InputError as exc:
        rows = None
        import logging

        logging.getLogger("twin.workers").error(
            "register not read, the one stored before stays in use: %s", exc.message
        )
    return Worker(
        scene,
        url,
        where,
        partitions,
        frozenset(PEOPLE_KINDS),
        lambda live: start_people(live, rows, live.pipeline.clock()),
    )


def join_seat(scene: Scene, url: str) -> Any:
    """A seat on the shared database (a wall or a desk of a command centre): the state, events
    and history the ingest service keeps, without a feed of its own (not started)."""
    from twin.telemetry.seat import open_seat

    return open_seat(scene, url)


def statuses_at(
    scene: Scene,
    feed_spec: str,
    at: float | None = None,
    seed: int = 1,
    incident_every_s: float | None = INCIDENT_EVERY_S,
    listen_s: float = 5.0,
) -> tuple[dict[str, str], float]:
    """Every device's status at ``at`` (default now) for a still frame: the simulator or a
    replay fast-forwarded in memory (nothing written), or a broker listened to for ``listen_s``."""
    kind, where = parse_feed(feed_spec)
    if kind == "mqtt":
        if at is not None:
            raise InputError(
                "--at",
                "cannot be used with a live broker feed.",
                "Drop --at, or use sim or replay:.",
            )
        feed = MqttFeed(where, scene_prefix(scene))
        live = open_live(scene, ":memory:", feed)
        live.start()
        time.sleep(listen_s)
        live.close()
        return {i: st.status for i, st in live.pipeline.store.states.items()}, time.time()
    if kind == "sim":
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
    else:
        replay = ReplayFeed(Path(where), {d.id: d.kind for d in scene.devices})
        at = replay.t_end if at is None else at
        live = open_live(scene, ":memory:", None, clock=lambda: at)
        live.pipeline.submit(replay.take_until(at))
    live.pipeline.process(at)
    out = {i: st.status for i, st in live.pipeline.store.states.items()}
    live.events.close()
    return out, at


def replay_at(
    scene: Scene, history: HistoryStore, at: float
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
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
            return (
                {i: st.status for i, st in states.items()},
                {i: dict(st.readings) for i, st in states.items() if st.readings},
            )
    finally:
        live.events.close()


BACKFILL_H = 24.0
BACKFILL_STEP_S = 1200.0


def backfill_history(
    live: Live,
    hours: float = BACKFILL_H,
    step_s: float = BACKFILL_STEP_S,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
) -> int:
    """Give a new simulated session a past: the simulator's readings every ``step_s`` over the
    last ``hours`` (without demo incidents), through the pipeline into the history and the
    event log, so charts, the time slider and today's consumption mean something from the
    first minute; with them the session simulator's access events (its people, its scripted
    unseen cared-for resident and strangers at night), from as far back as the cared-for
    residents' last passages. Only when the history is empty and the feed is the simulator;
    returns the number of messages and access events written."""
    if (
        live.history is None
        or not isinstance(live.feed, SimFeed)
        or live.history.meta("clock") is not None
    ):
        return 0
    now = live.feed.sim.start
    sim = make_simulator(live.scene, seed, 1.0, now - hours * 3600, None)
    own = live.feed.sim  # the session's own: its register and its scripted incidents
    p = live.pipeline
    n, t = 0, now - hours * 3600
    steps = int(hours * 3600 // step_s)
    seen = t - own.access.lookback_s
    for k in range(steps):
        batch = sim.snapshot(t)
        p.submit(batch)
        upto = now if k == steps - 1 else t + step_s  # the feed goes on from ``now``
        passed = own.events(seen, upto)
        p.submit(passed)
        seen = upto
        p.process(t)
        n += len(batch) + len(passed)
        t += step_s
        if progress is not None:
            progress((k + 1) / steps)
    p.flush_history(t)
    if p.writer is not None:
        p.writer.drain()  # the past is readable (time slider, charts) before the session starts
    return n
