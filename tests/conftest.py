"""Shared fixtures. The suite starts its own virtual screen (Xvfb) for rendering, so it needs
no display and never touches the user's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELSINKI = ROOT / "assets" / "gis" / "Helsinki.osm.pbf"
DEMO = ROOT / "scenes" / "demo.toml"

_xvfb: subprocess.Popen[bytes] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Start Xvfb before any test imports VTK (a render window binds to DISPLAY once), and give
    the run its own cache directory (IFC tessellation), so tests neither use nor fill the
    user's ~/.cache/twin."""
    global _xvfb
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="twin-test-cache-")
    if os.environ.get("TWIN_TEST_KEEP_DISPLAY") and os.environ.get("DISPLAY"):
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise pytest.UsageError("Xvfb is not installed: run `make test` (it installs it) or apt-get install xvfb.")
    r, w = os.pipe()
    _xvfb = subprocess.Popen(
        [xvfb, "-displayfd", str(w), "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-noreset"],
        pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(w)
    with os.fdopen(r) as fh:
        display = fh.readline().strip()
    if not display:
        raise pytest.UsageError("Xvfb did not start.")
    os.environ["DISPLAY"] = f":{display}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _xvfb is not None:
        _xvfb.terminate()
        _xvfb.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_scene():
    """The bundled demo scene, built once."""
    from twin.ingest.build import build_scene
    from twin.scene.scenefile import load_scene_spec

    return build_scene(load_scene_spec(DEMO))


def run_twin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `twin` command in a subprocess."""
    return subprocess.run([sys.executable, "-m", "twin.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)
