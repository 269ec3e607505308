"""A seat of a command centre on the shared database (issue 16): a wall or an operator's desk
that shows the state the ingest service (``twin run --headless --db postgresql://...``) keeps,
and moves events along their lifecycle, without a feed of its own.

How changes reach the seat: PostgreSQL ``LISTEN / NOTIFY``. Every transaction that raises,
clears or moves an event, and every batch of latest state, notifies ``twin_changes`` with its
community's tag (``notify_tag``, delivered at commit); the seat then reads only what changed
since its cursor on the change sequence (``seq``, written under the community's change lock,
so a change committed late is never skipped). Why not the broker's retained topics: the
database is where the truth is committed (an event is raised once, by the database's unique
index); a retained topic would be a second copy that can disagree with it, and a seat would
need both connections.
Without any notification the link is checked every :data:`HEARTBEAT_S`.

A seat that loses the database keeps showing the last state, marked STALE (the health's
``shared`` part), answers from the last lists it read, and queues its operator's steps in
order with the time they were taken; when the database is back they are replayed: the database
decides conflicts (two desks acknowledging one event: one wins) and the loser is told.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.state.eventrecord import Event, iso_utc
from twin.state.events import EventStore, Lifecycle
from twin.state.pgevents import PgEventStore
from twin.state.pghistory import PgHistoryStore
from twin.state.pgschema import CHANNEL, notify_tag
from twin.state.store import StateStore
from twin.telemetry.pipeline import TickResult

log = logging.getLogger("twin.seat")

WAIT_S = 0.25
"""Longest wait for notifications before the seat reads what they announced."""
HEARTBEAT_S = 2.0
"""Without notifications, how often the link is checked."""
RETRY_S = 1.0
"""How often a lost database is tried again."""
LINK_TIMEOUT_S = 2.0
"""How long a seat waits for the database before it counts it lost (connect, pool)."""
LOST = (psycopg.OperationalError, psycopg.InterfaceError, OSError)
"""What a lost link looks like (a refusal of the database is an InputError instead)."""


class SeatEvents(Lifecycle):
    """The seat's event log: the shared one while it is reachable; while it is not, the last
    lists read, and the operator's steps queued (see the module)."""

    readonly = False

    def __init__(self, store: PgEventStore) -> None:
        self.store = store
        self.path = store.path
        self.community = store.community
        self.account = store.account
        self.role = store.role
        self.online = True
        self._lock = threading.Lock()
        self._lists: dict[tuple[bool, str | None], list[Event]] = {}
        self._known: dict[int, Event] = {}
        self.queued: list[tuple[int, str, tuple[str, ...], str, str, float, dict[str, Any]]] = []

    # -- reading -------------------------------------------------------------------------------
    def events(
        self,
        open_only: bool = False,
        device_id: str | None = None,
        limit: int | None = None,
        since: float | None = None,
    ) -> list[Event]:
        key = (open_only, device_id)
        if self.online:
            try:
                out = self.store.events(open_only, device_id, limit, since)
            except LOST:
                self.online = False
            else:
                with self._lock:
                    if since is None:
                        self._lists[key] = out
                    self._known.update((e.id, e) for e in out)
                return self._overlay(out)
        with self._lock:
            kept = list(self._lists.get(key) or self._lists.get((False, device_id)) or [])
        if open_only:
            kept = [e for e in kept if e.status != "closed"]
        if since is not None:
            kept = [e for e in kept if e.raised_at >= since]
        return self._overlay(kept[:limit] if limit is not None else kept)

    def get(self, event_id: int) -> Event:
        if self.online:
            try:
                e = self.store.get(event_id)
            except LOST:
                self.online = False
            else:
                self._known[e.id] = e
                return self._overlay([e])[0]
        known = self._known.get(event_id)
        if known is None:
            raise InputError(
                f"event {event_id}",
                "is not known to this seat while the shared database cannot be reached.",
            )
        return self._overlay([known])[0]

    def active_conditions(self) -> set[tuple[str, str]]:
        return self.store.active_conditions()

    def device_states(self) -> dict[str, dict[str, Any]]:
        return self.store.device_states()

    @contextmanager
    def _read(self) -> Iterator[Any]:  # the people tables (twin.state.peoplelog)
        with self._people(self.store._read) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._people(self.store._write) as conn:
            yield conn

    @contextmanager
    def _people(self, opener: Callable[[], Any]) -> Iterator[Any]:
        """The people tables while the link is up; an InputError at once while it is down (the
        caller keeps what it showed: nothing waits for a lost server on the GUI thread)."""
        down = InputError(
            "the shared database", "cannot be reached: the register and access records wait."
        )
        if not self.online:
            raise down
        try:
            with opener() as conn:
                yield conn
        except LOST:
            self.online = False
            raise down from None

    def remember(self, events: list[Event]) -> None:
        """Events the link read (the cache answers from them while the link is down)."""
        with self._lock:
            self._known.update((e.id, e) for e in events)
            for key, rows in self._lists.items():
                by_id = {e.id: e for e in events}
                self._lists[key] = [by_id.get(e.id, e) for e in rows]

    def _overlay(self, events: list[Event]) -> list[Event]:
        """Events as the operator's queued steps will make them (shown until replayed)."""
        with self._lock:
            queued = list(self.queued)
        if not queued:
            return events
        out = []
        for e in events:
            for event_id, status, _allowed, who, _note, at, extra in queued:
                if event_id == e.id:
                    e = dataclasses.replace(
                        e,
                        status=status,
                        **{f"{status}_at": at, f"{status}_by": f"{who} (queued)"},
                        **extra,
                    )
            out.append(e)
        return out

    # -- the operator's side -------------------------------------------------------------------
    def _transition(
        self,
        event_id: int,
        status: str,
        allowed: tuple[str, ...],
        operator: str,
        note: str,
        at: float | None,
        extra: dict[str, Any] | None = None,
    ) -> Event:
        at = time.time() if at is None else at
        if self.online and not self.queued:
            try:
                e = self.store._transition(event_id, status, allowed, operator, note, at, extra)
            except LOST:
                self.online = False
            else:
                self._known[e.id] = e
                return e
        current = self.get(event_id)  # as the queue will leave it
        EventStore._check_status(current, status, allowed)
        with self._lock:
            self.queued.append((event_id, status, allowed, operator, note, at, extra or {}))
        log.warning(
            "the shared database cannot be reached: %s of event %d queued (%d waiting)",
            status,
            event_id,
            len(self.queued),
        )
        return self._overlay([current])[0]

    def replay(self) -> tuple[int, list[str]]:
        """Send the queued steps in order; returns how many the database took and what it
        refused (each a sentence for the operator). Stops at a lost link (the rest stays)."""
        done, refused = 0, []
        while True:
            with self._lock:
                if not self.queued:
                    break
                item = self.queued[0]
            event_id, status, allowed, who, note, at, extra = item
            try:
                e = self.store._transition(event_id, status, allowed, who, note, at, extra)
            except InputError as exc:
                refused.append(f"{status} of event {event_id} by {who} not applied: {exc.message}")
            else:
                self._known[e.id] = e
                done += 1
            with self._lock:
                self.queued.pop(0)
        return done, refused

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> SeatEvents:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SeatHistory:
    """The seat's history: the shared one, answered at once with an InputError while the link
    is down (a panel keeps its last figures; nothing waits for a lost server on the GUI
    thread)."""

    def __init__(self, store: PgHistoryStore, events: SeatEvents) -> None:
        self.store, self._events = store, events
        self.path = store.path

    def _call(self, name: str, *args: Any, **kw: Any) -> Any:
        if not self._events.online:
            raise InputError("the shared database", "cannot be reached: the history waits.")
        try:
            return getattr(self.store, name)(*args, **kw)
        except LOST:
            self._events.online = False
            raise InputError(
                "the shared database", "cannot be reached: the history waits."
            ) from None

    def series(self, *args: Any, **kw: Any) -> Any:
        return self._call("series", *args, **kw)

    def messages(self, *args: Any, **kw: Any) -> Any:
        return list(self._call("messages", *args, **kw))

    def latest(self, *args: Any, **kw: Any) -> Any:
        return self._call("latest", *args, **kw)

    def meta(self, key: str) -> Any:
        return self._call("meta", key)

    def changed_since(self, seq: int) -> Any:
        return self.store.changed_since(seq)  # the link's own: it handles a lost server

    def close(self) -> None:
        self.store.close()


class SeatPipeline:
    """What the shell reads of a pipeline, for a seat: the devices' state as the shared
    database has it, its lock and listeners, the time and the health."""

    def __init__(self, scene: Scene, url: str) -> None:
        self.store = StateStore(scene.devices)
        self.lock = threading.RLock()
        self.listeners: list[Callable[[TickResult], None]] = []
        self.clock: Callable[[], float] = time.time
        self.people = None
        self.events_raised = 0
        self.url = url
        self.link: dict[str, Any] = {"ok": True, "error": None, "since": None, "queued": 0}

    def health(self) -> dict[str, Any]:
        return {
            "event_log": {
                "ok": True,
                "error": None,
                "since": None,
                "unwritten": 0,
                "dropped": 0,
                "path": self.url,
            },
            "history": {"ok": True, "error": None, "enabled": True, "dropped": 0},
            "shared": dict(self.link),
        }

    def stats(self) -> dict[str, Any]:
        return {}

    def unwritten_items(self) -> list[tuple[str, Any]]:
        return []


class SeatLink:
    """The seat's "feed": the LISTEN connection and the thread that reads what changed."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ev_seq = 0
        self._st_seq = 0
        self._seen: dict[int, Event] = {}
        self.connected_since: float | None = time.time()

    def clock(self) -> float:
        return time.time()

    def info(self) -> dict[str, Any]:
        link = self.seat.pipeline.link
        return {"feed": "shared", "url": self.seat.db, "connected": bool(link["ok"])}

    # -- reading what changed ------------------------------------------------------------------
    def load(self) -> None:
        """The whole state and the event cursor, once, before the window opens."""
        seat = self.seat
        states, self._st_seq = seat.history.changed_since(0)
        self._ev_seq = seat.events.store.change_seq()
        self._seen = {e.id: e for e in seat.events.store.events(open_only=True)}
        with seat.pipeline.lock:
            self._apply_states(states)

    def _apply_states(self, states: list[Any]) -> set[str]:
        changed = set()
        for s in states:
            st = self.seat.pipeline.store.states.get(s.device_id)
            if st is None:
                continue
            st.status = s.status
            st.readings = dict(s.readings)
            st.last_seen = s.last_seen
            changed.add(s.device_id)
        return changed

    def sync(self) -> TickResult:
        """Read the events and states changed since the cursors; tell the listeners."""
        seat = self.seat
        events, ev_seq = seat.events.store.changed_since(self._ev_seq)
        states, st_seq = seat.history.changed_since(self._st_seq)
        p = seat.pipeline
        with p.lock:
            changed = self._apply_states(states)
        seen = self._seen  # the link's own (the lists read by panels are not what it told)
        new = [e for e in events if e.id not in seen and e.status == "raised" and not e.cleared]
        notices = [text for e in events if (text := _told(seen.get(e.id), e, seat.events.account))]
        seen.update((e.id, e) for e in events)
        seat.events.remember(events)
        self._ev_seq, self._st_seq = ev_seq, st_seq
        result = TickResult(time.time(), changed, raised=new)
        result.cleared = [e for e in events if e not in new]
        result.notices = notices
        if events or changed:
            self._tell(result)
        return result

    def _tell(self, result: TickResult) -> None:
        for listener in self.seat.pipeline.listeners:
            try:
                listener(result)
            except Exception:  # a broken listener must not stop the seat
                log.exception("seat listener failed")

    # -- the thread ----------------------------------------------------------------------------
    def start(self, _pipeline: Any = None) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="twin-seat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None

    def _run(self) -> None:
        seat = self.seat
        tag = notify_tag(seat.events.community)
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    seat.db,
                    autocommit=True,
                    connect_timeout=int(LINK_TIMEOUT_S),
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=2,
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not seat.pipeline.link["ok"]:
                        self._back()
                    self.sync()
                    beat = time.monotonic()
                    while not self._stop.is_set():
                        dirty = False
                        for n in conn.notifies(timeout=WAIT_S):
                            if n.payload.rsplit(":", 1)[0] == tag:
                                dirty = True
                        if not dirty and time.monotonic() - beat < HEARTBEAT_S:
                            continue
                        if not dirty:
                            conn.execute("SELECT 1")
                        self.sync()
                        beat = time.monotonic()
            except LOST as exc:
                self._lost(exc)
                self._stop.wait(RETRY_S)
            except Exception:  # a bug: logged, and the seat tries again
                log.exception("the seat's link failed")
                self._stop.wait(RETRY_S)

    def _lost(self, exc: BaseException) -> None:
        link = self.seat.pipeline.link
        self.seat.events.online = False
        if link["ok"]:
            log.error("the shared database cannot be reached (%s): the seat shows STALE", exc)
            link.update(ok=False, since=time.time(), error=str(exc).strip().splitlines()[0][:200])
        link["queued"] = len(self.seat.events.queued)

    def _back(self) -> None:
        seat = self.seat
        done, refused = seat.events.replay()
        seat.events.online = True
        link = seat.pipeline.link
        was = link.get("since")
        link.update(ok=True, error=None, since=None, queued=len(seat.events.queued))
        log.warning(
            "the shared database is back (lost at %s): %d queued step(s) sent, %d refused",
            iso_utc(was),
            done,
            len(refused),
        )
        result = TickResult(time.time(), set())
        result.notices = refused
        if refused:
            self._tell(result)


def _told(before: Event | None, after: Event, me: str) -> str:
    """What an operator should read when someone else moved an event (or '' for nothing)."""
    if before is None or before.status == after.status or after.status == "raised":
        return ""
    who = getattr(after, f"{after.status}_by", None) or ""
    if not who or who == me:
        return ""
    to = f" to {after.dispatched_to}" if after.status == "dispatched" else ""
    return f"event {after.id} ({after.device_id}) {after.status}{to} by {who}"


@dataclass
class Seat:
    """A seat's session (what the shell uses of :class:`twin.telemetry.live.Live`)."""

    scene: Scene
    events: SeatEvents
    history: SeatHistory
    pipeline: SeatPipeline
    db: str
    feed: SeatLink = field(init=False)
    notes: list[str] = field(default_factory=list)
    unwritten: list[tuple[str, Any]] = field(default_factory=list)
    shared = True

    def __post_init__(self) -> None:
        self.feed = SeatLink(self)

    def start(self) -> None:
        self.feed.start()

    def close(self) -> None:
        self.feed.stop()
        for event_id, status, _a, who, _n, at, _x in self.events.queued:
            log.error(
                "not sent to the shared database (it could not be reached): %s of event %d by "
                "%s at %s",
                status,
                event_id,
                who,
                iso_utc(at),
            )
        self.history.close()
        self.events.close()

    def summary(self) -> dict[str, Any]:
        return {"db": self.db, "health": self.pipeline.health(), "queued": len(self.events.queued)}


def open_seat(scene: Scene, url: str) -> Seat:
    """A seat on the shared database at ``url`` for ``scene``'s community (not started)."""
    store = PgEventStore(url, scene.name, timeout=LINK_TIMEOUT_S)
    try:
        events = SeatEvents(store)
        history = SeatHistory(PgHistoryStore(url, scene.name, store.pool), events)
        seat = Seat(scene, events, history, SeatPipeline(scene, url), url)
        seat.feed.load()
    except BaseException:
        store.close()
        raise
    return seat
