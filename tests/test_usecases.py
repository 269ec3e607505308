"""The use cases the CLI and the shell share, with real objects: a real scene file, a real
event log, a real session."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import DEMO
from twin.core.errors import InputError
from twin.scene.scenefile import load_scene_spec
from twin.state.events import EventStore
from twin.usecases.bookmarks import save_bookmark
from twin.usecases.events import acknowledge_event, close_event, dispatch_event, find_event_log
from twin.usecases.search import search_devices
from twin.usecases.session import replay_at, start_session


def test_event_lifecycle_and_where_the_log_is(tmp_path: Path) -> None:
    db = tmp_path / "ev.sqlite"
    with pytest.raises(InputError, match="no event log here yet"):
        find_event_log(DEMO, db)
    with EventStore(db) as ev:
        e = ev.raise_event("d1", "manhole", "lid_open", "lid_open", "critical")
        assert find_event_log(DEMO, db) == db
        assert acknowledge_event(ev, e.id, "王").status == "acknowledged"
        with pytest.raises(InputError, match="whom it is dispatched to"):
            dispatch_event(ev, e.id, "王", " ")
        assert dispatch_event(ev, e.id, "王", "保安 3 队").dispatched_to == "保安 3 队"
        assert close_event(ev, e.id, "李", "lid put back").closed_note == "lid put back"
        with pytest.raises(InputError, match="is closed"):
            acknowledge_event(ev, e.id, "王")


def test_search_devices_best_match_first(demo_scene) -> None:
    cam = demo_scene.devices_of("camera")[0]
    assert search_devices(demo_scene, cam.id)[0].id == cam.id
    assert search_devices(demo_scene, cam.id.upper())[0].id == cam.id
    some = search_devices(demo_scene, "osm-n", 5)
    assert len(some) == 5 and all("osm-n" in d.id for d in some)
    assert (
        search_devices(demo_scene, "  ") == [] and search_devices(demo_scene, "no-such-thing") == []
    )


def test_save_bookmark_writes_the_scene_file_and_the_scene(demo_scene, tmp_path: Path) -> None:
    import copy

    scene_file = tmp_path / "demo.toml"
    text = DEMO.read_text(encoding="utf-8")
    scene_file.write_text(text, encoding="utf-8")
    scene = copy.copy(demo_scene)
    scene.spec = copy.deepcopy(demo_scene.spec)
    scene.spec.path = scene_file
    scene.view_targets = dict(demo_scene.view_targets)
    spec = save_bookmark(scene, "north gate", 120.0, -40.0, 300.0, 45.0, 35.0)
    again = load_scene_spec(scene_file)
    saved = next(v for v in again.views if v.name == "north gate")
    assert (saved.lon, saved.lat) == (spec.lon, spec.lat) and saved.distance == 300.0
    assert scene.view_targets["north gate"] == (120.0, -40.0)
    assert scene_file.read_text(encoding="utf-8").startswith(text.split("\n")[0])  # comments kept
    with pytest.raises(InputError):
        scene.spec.path = None
        save_bookmark(scene, "x", 0, 0, 100, 0, 30)


def test_session_and_replay_at(demo_scene, tmp_path: Path) -> None:
    """A simulated session with its past filled in; the state back in time comes from it."""
    live = start_session(demo_scene, "sim", tmp_path / "ev.sqlite", backfill=True)
    try:
        assert live.history is not None and live.history.meta("clock") is not None
        statuses, readings = replay_at(demo_scene, live.history, time.time() - 3600)
        assert len(statuses) == len(demo_scene.devices)
        assert sum(s == "online" for s in statuses.values()) > 0.9 * len(statuses)
        assert readings
    finally:
        live.close()
