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
    # the people keys of the tests' event logs go to the run's own folder, not ~/.config
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="twin-test-config-")
    if os.environ.get("TWIN_TEST_KEEP_DISPLAY") and os.environ.get("DISPLAY"):
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise pytest.UsageError(
            "Xvfb is not installed: run `make test` (it installs it) or apt-get install xvfb."
        )
    r, w = os.pipe()
    _xvfb = subprocess.Popen(
        [
            xvfb,
            "-displayfd",
            str(w),
            "-screen",
            "0",
            "1920x1080x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    with os.fdopen(r) as fh:
        display = fh.readline().strip()
    if not display:
        raise pytest.UsageError("Xvfb did not start.")
    os.environ["DISPLAY"] = f":{display}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tiers: a test that uses the broker fixture is `broker`, one that uses qtbot is `gui`
    (modules mark the rest themselves), so `make test-fast` can leave them out."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "broker" in names or "postgres" in names:
            item.add_marker(pytest.mark.broker)  # a server the suite starts
        if "qtbot" in names:
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL cluster of the run's own (initdb in a temporary folder, a free
    loopback port), stopped at the end of the run."""
    from tests.pgcluster import PgCluster

    cluster = PgCluster()
    yield cluster
    cluster.close()


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


def run_twin(
    *args: str, cwd: Path | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real `twin` command in a subprocess (``input``: its stdin)."""
    return subprocess.run(
        [sys.executable, "-m", "twin.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
        input=input,
    )


# -- a real MQTT broker -----------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A real mosquitto on a free loopback port, restartable on the same port."""

    def __init__(self, workdir: Path, extra_conf: str = "", port: int | None = None) -> None:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(exe).exists():
            raise pytest.UsageError("mosquitto is not installed: run `make test` (it installs it).")
        self.exe = exe
        self.port = port or free_port()
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"max_queued_messages 100000\n{extra_conf}\n"
            # as root mosquitto drops to the 'mosquitto' user, who cannot read the test's files
            + ("user root\n" if os.geteuid() == 0 else "")
        )
        self.log = workdir / f"mosquitto-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        import socket
        import time

        self.proc = subprocess.Popen(
            [self.exe, "-c", str(self.conf)], stdout=open(self.log, "ab"), stderr=subprocess.STDOUT
        )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-500:]}") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def publish(self, topic: str, payload: str | bytes, qos: int = 0) -> None:
        """From outside the project's tools: mosquitto_pub."""
        data = payload.encode() if isinstance(payload, str) else payload
        subprocess.run(
            [
                "mosquitto_pub",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-t",
                topic,
                "-q",
                str(qos),
                "-s",
            ],
            input=data,
            check=True,
            timeout=20,
        )


@pytest.fixture
def broker(tmp_path: Path):
    b = Broker(tmp_path)
    yield b
    b.kill()


# -- the shared demo window (tests/shellwin.py) ------------------------------------------------
@pytest.fixture(scope="session")
def demo_window(qapp, tmp_path_factory, request):
    """One demo window on the simulator for the tests that only look at it or leave it as they
    found it (the ``window`` fixture puts it back to the overview); built once, not per test."""
    from pytestqt.qtbot import QtBot

    from tests.shellwin import open_window

    tmp = tmp_path_factory.mktemp("demo-window")
    mp = pytest.MonkeyPatch()
    mp.setenv("TWIN_SETTINGS", str(tmp / "settings.ini"))
    mp.setenv("XDG_DATA_HOME", str(tmp / "data"))
    win = open_window(QtBot(request), tmp, own=False)
    yield win
    win.close()
    mp.undo()


@pytest.fixture
def window(demo_window, qtbot):
    """The shared demo window, back on the overview at the home camera with nothing selected and
    no tour running, before and after each test."""
    win = demo_window

    def reset():
        if win.kiosk is not None:
            win.kiosk.stop()
        win.inspector.clear()
        win.set_view("overview")
        win.resize(1600, 900)
        win.viewport.fly_home(seconds=0)
        qtbot.wait(50)

    reset()
    yield win
    reset()
