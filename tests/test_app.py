"""`make run`'s window: app.py opens the demo in the Qt wall display and keeps it open."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def test_app_opens_the_demo_window_and_stays_up(tmp_path):
    """`make run`: the demo in a window with the built-in simulator driving live states."""
    env = dict(os.environ)  # DISPLAY is the suite's Xvfb
    db = tmp_path / "ev.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "app.py"),
            "--lang",
            "en",
            "--db",
            str(db),
            "--incidents-every",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        window = ""
        while time.time() < deadline and proc.poll() is None:
            r = subprocess.run(
                ["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env
            )
            if "community twin" in r.stdout:
                window = r.stdout
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert "Helsinki centre (demo) — community twin" in window
        time.sleep(2)
        assert proc.poll() is None  # still up: an interactive window, not a one-shot render
        # the simulator runs behind the window: every device reported, an incident raised
        from twin.state.events import EventStore
        from twin.state.history import HistoryStore, history_path

        deadline = time.time() + 30
        n_events = 0
        while time.time() < deadline and n_events == 0:
            time.sleep(1)
            with EventStore(db) as ev:
                n_events = len(ev.events())
        assert n_events >= 1
        hist = HistoryStore(history_path(db))
        try:
            assert len(hist.latest()) > 1700
        finally:
            hist.close()
        assert proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_app_reports_a_bad_scene_with_exit_code_2(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), str(tmp_path / "missing.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "missing.toml" in r.stderr and "Traceback" not in r.stderr


def test_twin_view_is_the_wall_display():
    """`twin view` opens the same program as app.py (one entry point): its bad input is the
    shell's one-line error, before any window."""
    from tests.conftest import run_twin

    r = run_twin("view", "no-such-scene.toml")
    assert r.returncode == 2 and "no such scene file" in r.stderr and "Traceback" not in r.stderr
    r = run_twin("view", str(ROOT / "scenes" / "demo.toml"), "--feed", "carrier-pigeon")
    assert r.returncode == 2 and "is not a feed" in r.stderr
