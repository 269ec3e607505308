"""`make run`'s window: app.py opens the demo in an interactive 3D window and keeps it open."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import ROOT


def test_app_opens_the_demo_window_and_stays_up():
    env = dict(os.environ)  # DISPLAY is the suite's Xvfb
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        window = ""
        while time.time() < deadline and proc.poll() is None:
            r = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True, env=env)
            if "community twin" in r.stdout:
                window = r.stdout
                break
            time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert "Helsinki centre (demo) - community twin" in window
        time.sleep(2)
        assert proc.poll() is None  # still up: an interactive window, not a one-shot render
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_app_reports_a_bad_scene_with_exit_code_2(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), str(tmp_path / "missing.toml")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "missing.toml" in r.stderr and "Traceback" not in r.stderr
