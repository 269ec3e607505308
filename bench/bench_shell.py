"""Desktop-shell benchmarks (the Qt wall display), each beside a naive baseline in the same run:

1. the GUI thread under a 5,000 messages / s feed: stalls of a 5 ms timer (how long the GUI
   thread was blocked) and the window's frame (tick) time, while a background thread submits
   valid telemetry for random devices of the demo; baseline: every batch restyled device by
   device on the GUI thread and rendered at once (a signal per batch);
2. switching views (overview, security, parking, environment, energy) with a render; baseline:
   rebuilding the whole 3D scene for the view (``compose`` + a screenshot);
3. process start to the first frame of the main window, in a fresh interpreter, with a warm
   cache; baseline: the same with the cache empty (the first start);
4. the planning view's drag: a real mouse drag of a camera across the scene, each mouse move
   to its updated frame (the camera moved, its coverage, the ground's DORI colours, the road
   gaps and the quick figures recomputed, the frame rendered); baseline: the same move with
   the audit re-run and the overlay made afresh;
5. an orbit of the overview with the mouse at 5,000 msg/s: each move posted as the window
   system would, to the end of the frame that shows it; beside the same drag with no feed.

A real 1920x1080 window on the X display (``make bench`` starts Xvfb when there is none).
Nothing of the user's is touched: data, cache and settings live in a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TMP = Path(tempfile.mkdtemp(prefix="twin-bench-shell-"))
ENV = {
    "XDG_DATA_HOME": str(TMP / "data"),
    "XDG_CACHE_HOME": str(TMP / "cache"),
    "TWIN_SETTINGS": str(TMP / "settings.ini"),
}
os.environ.update(ENV)  # before anything of the twin runs: its paths are read at call time

from twin.core.paths import DEMO_SCENE  # noqa: E402

SIZE = (1920, 1080)
RATE = 5_000.0
LOAD_S = 20.0
NAIVE_S = 12.0
IDLE_S = 4.0
VIEWS = ("overview", "security", "parking", "environment", "energy")
ROUNDS = 5
SUMMARY: list[tuple[str, str, str, str, str]] = []  # figure, target, measured, naive, ratio


def pct(values, q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


# -- 3. start to first frame (fresh interpreters) --------------------------------------------
DRIVER = textwrap.dedent("""
    import json, sys, time
    t0 = float(sys.argv[1])
    sys.path.insert(0, sys.argv[2])
    from PySide6 import QtWidgets
    from twin.shell import theme
    from twin.shell.loader import LoadRequest, load
    from twin.shell.window import MainWindow
    t_import = time.time()
    app = QtWidgets.QApplication(sys.argv[:1])
    theme.apply(app, 1.0, "en")
    loaded = load(LoadRequest(sys.argv[3], "sim", sys.argv[4], 1, 1.0, None, False))
    t_load = time.time()
    win = MainWindow(loaded, "en", "overview")
    win.resize(1920, 1080)
    win.move(0, 0)
    win.show()
    t_win = time.time()
    win.start()  # starts the feed and renders the first frame (when the view has its size)
    deadline = time.monotonic() + 60
    while not win.viewport.frame_ms and time.monotonic() < deadline:
        app.processEvents()
        win.viewport.render()
    app.processEvents()  # the frame's paint
    t_frame = time.time()
    print(json.dumps({"total": t_frame - t0, "imports": t_import - t0, "load": t_load - t_import,
                      "window": t_win - t_load, "frame": t_frame - t_win,
                      "framed": bool(win.viewport.frame_ms),
                      "timings": loaded.scene.timings}), flush=True)
    win.close()
""")


def start_once(driver: Path, db: Path) -> dict:
    env = dict(os.environ, **ENV, QT_QPA_PLATFORM="xcb")
    t0 = time.time()
    r = subprocess.run(
        [sys.executable, str(driver), repr(t0), str(ROOT), str(DEMO_SCENE), str(db)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        raise RuntimeError(f"start driver failed ({r.returncode}):\n{r.stderr[-3000:]}")
    out = json.loads(lines[-1])
    if not out["framed"]:
        raise RuntimeError("the window produced no frame within 60 s")
    return out


def bench_start() -> None:
    driver = TMP / "start_driver.py"
    driver.write_text(DRIVER)
    db = TMP / "start" / "events.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    cold = start_once(driver, db)  # empty XDG_CACHE_HOME: the first start ever
    warm = start_once(driver, db)  # the same cache: every later start
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()  # what the toolkits alone cost this machine: Qt, VTK through pyvista
    subprocess.run(
        [sys.executable, "-c", "import twin, PySide6.QtWidgets, pyvista.plotting"], check=True
    )
    toolkits = time.perf_counter() - t0

    def parts(r: dict) -> str:
        return (
            f"imports {r['imports']:.1f}, load {r['load']:.1f}, window {r['window']:.1f}, "
            f"first frame {r['frame']:.1f} s"
        )

    print("3. process start -> first frame of the main window (fresh interpreter, 1920x1080)")
    print(f"  warm cache        {warm['total']:6.2f} s   ({parts(warm)})   (target <= 5 s)")
    print(
        f"  floors: a bare interpreter start {bare:5.2f} s; importing Qt and pyvista's plotting "
        f"alone {toolkits:5.2f} s"
    )
    print(
        f"  naive: cold cache {cold['total']:6.2f} s   ({parts(cold)})   ratio "
        f"{cold['total'] / warm['total']:4.1f}x"
    )
    SUMMARY.append(
        (
            "start -> first frame, warm cache",
            "<= 5 s",
            f"{warm['total']:.2f} s",
            f"{cold['total']:.2f} s (cold cache)",
            f"{cold['total'] / warm['total']:.1f}x",
        )
    )


# -- the window --------------------------------------------------------------------------------
def run_for(app, seconds: float) -> None:
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


class StallMeter:
    """A 5 ms timer on the GUI thread; the gap between consecutive timeouts, less 5 ms, is how
    long the GUI thread could not run it."""

    def __init__(self, period_ms: int = 5) -> None:
        from PySide6 import QtCore

        self.period = period_ms
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(period_ms)
        self.timer.timeout.connect(self._tick)
        self.stamps: list[float] = []

    def _tick(self) -> None:
        self.stamps.append(time.perf_counter())

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> np.ndarray:
        self.timer.stop()
        return np.maximum(np.diff(np.array(self.stamps)) * 1000 - self.period, 0.0)


def open_window():
    from PySide6 import QtWidgets

    from twin.shell import theme
    from twin.shell.loader import LoadRequest, load
    from twin.shell.window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    theme.apply(app, 1.0, "en")
    loaded = load(
        LoadRequest(
            str(DEMO_SCENE), "sim", str(TMP / "live" / "events.sqlite"), 1, 1.0, None, False
        )
    )
    win = MainWindow(loaded, "en", "overview")
    win.resize(*SIZE)
    win.move(0, 0)
    win.show()
    for _ in range(50):
        app.processEvents()
        if win.viewport.ensure_framed():
            break
        time.sleep(0.02)
    win.start()
    run_for(app, 1.0)
    return app, win


# -- 2. view switches --------------------------------------------------------------------------
def bench_views(app, win) -> None:
    from twin.render.offscreen import compose

    times: dict[str, list[float]] = {v: [] for v in VIEWS}
    own: dict[str, list[float]] = {v: [] for v in VIEWS}
    for v in VIEWS:  # one untimed pass: first activations fill panels' caches
        win.set_view(v)
        app.processEvents()
    for _ in range(ROUNDS):
        for v in VIEWS:
            t = time.perf_counter()
            win.set_view(v)  # restyles, swaps the panel and renders (set_view calls render itself)
            app.processEvents()  # until the new frame is painted
            times[v].append((time.perf_counter() - t) * 1000)
            own[v].append(win.switch_ms[-1])
            run_for(app, 0.05)
    naive: list[float] = []
    for _v in VIEWS:  # a rebuilt scene has no per-view state to keep: one compose per switch
        t = time.perf_counter()
        plotter, _vis = compose(win.scene, "overview", (1600, 900), "en")
        plotter.screenshot(None, return_img=True)
        plotter.close()
        naive.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    win.set_view("overview")
    app.processEvents()
    every = [x for v in VIEWS for x in times[v]]
    med, worst, nmed = statistics.median(every), max(every), statistics.median(naive)
    print(
        "\n2. view switch: set_view (it renders) + events until "
        f"painted, {ROUNDS} rounds, window {SIZE[0]}x{SIZE[1]}"
    )
    print(
        f"  {'view':<12} {'median':>8} {'max':>8}   "
        "set_view alone (window's switch_ms): median, max"
    )
    for v in VIEWS:
        print(
            f"  {v:<12} {statistics.median(times[v]):6.0f} ms {max(times[v]):6.0f} ms   "
            f"{statistics.median(own[v]):6.0f} ms {max(own[v]):6.0f} ms"
        )
    every_own = [x for v in VIEWS for x in own[v]]
    print(
        f"  all views    {med:6.0f} ms {worst:6.0f} ms   {statistics.median(every_own):6.0f} ms "
        f"{max(every_own):6.0f} ms   (target <= 300 ms)"
    )
    print(
        "  naive, rebuild the scene per switch (compose 1600x900 + screenshot): median "
        f"{nmed:6.0f} ms, max {max(naive):6.0f} ms   ratio {nmed / med:5.1f}x"
    )
    SUMMARY.append(
        (
            "view switch (median / max)",
            "<= 300 ms",
            f"{med:.0f} / {worst:.0f} ms",
            f"{nmed:.0f} / {max(naive):.0f} ms (rebuild)",
            f"{nmed / med:.1f}x",
        )
    )


# -- 1. the GUI thread under load --------------------------------------------------------------
def payload_bodies(
    win, variants: int = 8, alarm_manholes: int = 5
) -> list[tuple[str, list[bytes]]]:
    """Per device: its topic and ``variants`` JSON bodies (realistic readings from the simulator,
    moved within the catalogue's ranges so every message changes state), each open at the end
    for its ``ts``. A few manholes' lids open and close (alarms raised and cleared)."""
    from twin.scene.catalogue import CATALOGUE
    from twin.telemetry.live import scene_prefix

    sim = win.live.feed.sim
    prefix = scene_prefix(win.scene)
    now = time.time()
    out = []
    manholes = 0
    for i, d in enumerate(sim.devices):
        base = sim.values(i, now)
        spec = {r.name: r for r in CATALOGUE[d.kind].readings}
        toggles = d.kind == "manhole" and manholes < alarm_manholes
        manholes += toggles
        bodies = []
        for j in range(variants):
            body = {}
            for name, v in base.items():
                r = spec.get(name)
                if isinstance(v, bool):
                    body[name] = (j == 0) if (toggles and name == "lid_open") else v
                elif isinstance(v, int):
                    body[name] = v + j
                elif isinstance(v, float):
                    x = v * (1 + 0.01 * (j - variants // 2)) + 0.01 * j
                    if r is not None:
                        x = min(
                            max(x, r.low if r.low is not None else x),
                            r.high if r.high is not None else x,
                        )
                    body[name] = round(x, 3)
                else:
                    body[name] = v
            bodies.append(json.dumps(body)[:-1].encode() + b', "ts": ')
        out.append((f"{prefix}/{d.id}/telemetry", bodies))
    return out


class Injector(threading.Thread):
    """``rate`` messages / s for random devices, through ``submit_raw``, in 10 ms slices."""

    def __init__(self, pipeline, bodies, rate: float, seconds: float) -> None:
        super().__init__(name="bench-injector", daemon=True)
        self.p, self.bodies, self.rate, self.seconds = pipeline, bodies, rate, seconds
        self.sent = 0
        self.max_pending = 0
        self.took = 0.0

    def run(self) -> None:
        rng = np.random.default_rng(3)
        submit, bodies, n = self.p.submit_raw, self.bodies, len(self.bodies)
        slice_s = 0.01
        k = 0
        t0 = time.perf_counter()
        while True:
            el = time.perf_counter() - t0
            if el >= self.seconds:
                break
            due = int(el * self.rate) - self.sent
            if due > 0:
                ts = b"%d}" % int(time.time() * 1000)
                for i in rng.integers(0, n, due).tolist():
                    topic, variants = bodies[i]
                    submit(topic, variants[k % len(variants)] + ts)
                    k += 1
                self.sent += due
            self.max_pending = max(self.max_pending, self.p.pending)
            nxt = t0 + (int(el / slice_s) + 1) * slice_s
            time.sleep(max(0.0, nxt - time.perf_counter()))
        self.took = time.perf_counter() - t0


def stall_line(label: str, gaps: np.ndarray) -> str:
    return (
        f"  {label:<34} stall max {gaps.max():6.0f} ms   p99 {pct(gaps, 99):5.0f} ms   p50 "
        f"{pct(gaps, 50):4.1f} ms   >100 ms: "
        f"{int((gaps > 100).sum()):3d}   ({len(gaps):,} timer ticks)"
    )


def count_parsed(p) -> list[int]:
    """Messages the simulator hands over already parsed (counted apart from ours)."""
    box = [0]
    orig = p.submit

    def submit(items):
        box[0] += len(items)
        orig(items)

    p.submit = submit
    return box


def wait_drained(p, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while p.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.15)  # the batch in flight


def bench_load(app, win) -> None:
    from PySide6 import QtCore

    p = win.live.pipeline
    sim_msgs = count_parsed(p)
    bodies = payload_bodies(win)
    meter = StallMeter()

    # reference: the window with only the simulator behind it
    win.tick_ms.clear()
    meter.start()
    run_for(app, IDLE_S)
    idle = meter.stop()
    idle_tick = list(win.tick_ms)

    # the shell: bridge + one tick every 250 ms
    s0, sim0, ev0 = p.stats(), sim_msgs[0], p.events_raised
    win.tick_ms.clear()
    win.viewport.frame_ms.clear()
    renders = [0]  # full VTK renders of the viewport (the frames and any paint Qt asks for)
    rw = win.viewport.plotter.render_window
    obs = rw.AddObserver("StartEvent", lambda *_: renders.__setitem__(0, renders[0] + 1))
    inj = Injector(p, bodies, RATE, LOAD_S)
    meter.start()
    inj.start()
    while inj.is_alive():
        run_for(app, 0.25)
    gaps = meter.stop()
    rw.RemoveObserver(obs)
    ticks = list(win.tick_ms)
    frames = list(win.viewport.frame_ms)
    wait_drained(p)
    s1, sim1 = p.stats(), sim_msgs[0]
    ours = s1["accepted"] - s0["accepted"] - (sim1 - sim0)
    rejected = s1["rejected_total"] - s0["rejected_total"]
    bad_readings = sum(s1["readings_rejected"].values()) - sum(s0["readings_rejected"].values())
    events = p.events_raised - ev0
    assert rejected == 0 and ours >= inj.sent * 0.999, (inj.sent, ours, s1)

    # naive: no bridge, no frame timer; each batch goes to the GUI thread as a signal and is
    # restyled device by device, then rendered
    class Naive(QtCore.QObject):
        batch = QtCore.Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.handle_ms: list[float] = []
            self.batch.connect(self.on_batch)

        def listener(self, r) -> None:  # the pipeline's worker thread
            if r.changed:
                with p.lock:
                    statuses = {d: p.store.states[d].status for d in r.changed}
                self.batch.emit(statuses)

        def on_batch(self, statuses: dict) -> None:  # the GUI thread
            t = time.perf_counter()
            vp = win.viewport
            for d, s in statuses.items():
                vp.colours.update({d: s}, vp.vis)  # one set_device_colours per device
            vp.render()
            self.handle_ms.append((time.perf_counter() - t) * 1000)

    win.timer.stop()
    win.bridge.detach()
    naive = Naive()
    p.listeners.append(naive.listener)
    run_for(app, 0.5)
    n0 = p.stats()["accepted"]
    inj2 = Injector(p, bodies, RATE, NAIVE_S)
    meter.start()
    inj2.start()
    while inj2.is_alive():
        run_for(app, 0.25)
    naive_gaps = meter.stop()
    p.listeners.remove(naive.listener)
    behind = len(naive.handle_ms)
    run_for(app, 0.2)
    wait_drained(p)
    naive_applied = p.stats()["accepted"] - n0

    print(
        f"\n1. GUI thread while the feed delivers {RATE:,.0f} messages / s "
        f"({len(bodies):,} devices, random, {LOAD_S:.0f} s; naive {NAIVE_S:.0f} s)"
    )
    print(stall_line("idle (simulator only), reference", idle))
    print(stall_line("shell: bridge + 250 ms frame", gaps) + "   (target max <= 100 ms)")
    print(stall_line("naive: restyle per device + render", naive_gaps))
    print(
        f"  ratio naive / shell: max {naive_gaps.max() / max(gaps.max(), 1e-9):5.1f}x   "
        f"p99 {pct(naive_gaps, 99) / max(pct(gaps, 99), 1e-9):5.1f}x"
    )
    print(
        f"  shell tick (changes applied; the 3D frame is a turn of its own) {len(ticks)} ticks: "
        f"max {max(ticks):5.0f} ms   p99 "
        f"{pct(ticks, 99):5.0f} ms   p50 {pct(ticks, 50):4.0f} ms   (idle: max "
        f"{max(idle_tick or [0]):.0f} ms, p50 {pct(idle_tick, 50):.0f} ms); render alone p50 "
        f"{pct(frames, 50):.0f} ms, max {max(frames):.0f} ms"
    )
    print(
        f"  full VTK renders of the viewport: {renders[0]} for {len(ticks)} ticks "
        f"({renders[0] / max(len(ticks), 1):.1f} per tick: one a tick but the panels' turn "
        "each second; a paint Qt asks for just after a frame draws nothing again)"
    )
    print(
        f"  naive batch handler {behind} batches: max {max(naive.handle_ms):5.0f} ms   "
        f"p99 {pct(naive.handle_ms, 99):5.0f} ms   p50 {pct(naive.handle_ms, 50):4.0f} ms"
    )
    print(
        f"  pipeline applied {ours / inj.took:7,.0f} msg/s of ours (+ "
        f"{(sim1 - sim0) / inj.took:.0f}/s from the simulator); sent {inj.sent:,}, accepted "
        f"{ours:,}, rejected {rejected}, single readings dropped {bad_readings}; queue peak "
        f"{inj.max_pending:,}; alarms raised {events}"
    )
    print(
        f"  naive run: pipeline applied {naive_applied / inj2.took:7,.0f} "
        f"msg/s; queue peak {inj2.max_pending:,}"
    )
    SUMMARY.append(
        (
            f"GUI stall at {RATE:,.0f} msg/s (max / p99)",
            "max <= 100 ms",
            f"{gaps.max():.0f} / {pct(gaps, 99):.0f} ms",
            f"{naive_gaps.max():.0f} / {pct(naive_gaps, 99):.0f} ms (per device)",
            f"{naive_gaps.max() / max(gaps.max(), 1e-9):.1f}x",
        )
    )
    SUMMARY.append(
        (
            "tick under load (max / p99)",
            "-",
            f"{max(ticks):.0f} / {pct(ticks, 99):.0f} ms",
            f"{max(naive.handle_ms):.0f} / {pct(naive.handle_ms, 99):.0f} ms (per batch)",
            f"{max(naive.handle_ms) / max(ticks):.1f}x",
        )
    )
    SUMMARY.append(
        (
            "pipeline applied",
            f"{RATE:,.0f} msg/s",
            f"{ours / inj.took:,.0f} msg/s",
            f"{naive_applied / inj2.took:,.0f} msg/s",
            "-",
        )
    )


# -- 4. the planning view's drag ---------------------------------------------------------------
def bench_drag(app, win, moves: int = 40) -> None:
    from PySide6 import QtCore, QtGui

    from twin.scene.tour import CameraPose
    from twin.usecases.plan_overlay import PlanOverlays

    panel = win.panels["planning"]
    win.set_view("planning")
    t = time.perf_counter()
    while panel.session is None and time.perf_counter() - t < 120:
        run_for(app, 0.1)
    panel.wait_job(60)
    s, vp = panel.session, win.viewport
    gap = s.gaps()[0]
    cam = min(s.layout.cameras.values(), key=lambda c: np.hypot(c.x - gap.x, c.y - gap.y))
    vp.fly_to_pose(CameraPose(cam.x, cam.y, 0.0, 300.0, 0.0, 60.0), seconds=0)
    run_for(app, 0.3)
    w = vp.plotter.interactor
    h = vp.plotter.renderer.GetSize()[1]

    def qt_of(x: float, y: float, z: float) -> QtCore.QPointF:
        px = vp.screen_points(np.array([[x, y, z]]))[0]
        return QtCore.QPointF(float(px[0]), float(h - 1 - px[1]))

    def send(kind, pos, buttons) -> None:
        ev = QtGui.QMouseEvent(
            kind,
            pos,
            w.mapToGlobal(pos),
            QtCore.Qt.MouseButton.LeftButton,
            buttons,
            QtCore.Qt.KeyboardModifier.NoModifier,
        )
        app.sendEvent(w, ev)

    left = QtCore.Qt.MouseButton.LeftButton
    none = QtCore.Qt.MouseButton.NoButton
    E = QtCore.QEvent.Type
    p0 = qt_of(cam.x, cam.y, cam.z)
    send(E.MouseButtonPress, p0, left)
    ms = []
    for k in range(1, moves + 1):
        a = 2 * np.pi * k / moves  # a circle of 60 px round where it stood
        p = QtCore.QPointF(p0.x() + 60 * np.cos(a), p0.y() + 60 * np.sin(a))
        t = time.perf_counter()
        send(E.MouseMove, p, left)  # the filter moves it, recomputes and renders, synchronously
        ms.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    send(E.MouseButtonRelease, p, none)
    app.processEvents()
    steps = len(s.undo_stack)
    naive = []
    for k in range(6):  # one move, then the audit and the overlay from scratch
        t = time.perf_counter()
        s.change(cam.id, x=cam.x + k, y=cam.y)
        audit = s.rules()
        ov = PlanOverlays(s).make(audit)
        vp.layers.set_plan(ov)
        vp.render()
        naive.append((time.perf_counter() - t) * 1000)
    s.discard()
    panel._edited()
    med, p95, worst = statistics.median(ms), pct(ms, 95), max(ms)
    nmed = statistics.median(naive)
    print(
        f"\n4. planning view: a real mouse drag of {cam.id} ({moves} moves, one step: "
        f"{steps}), mouse move to updated frame, window {SIZE[0]}x{SIZE[1]}"
    )
    print(f"  median {med:6.1f} ms   p95 {p95:6.1f} ms   max {worst:6.1f} ms   (target <= 100 ms)")
    print(f"  the frame alone (render): median {statistics.median(vp.frame_ms[-moves:]):6.1f} ms")
    print(
        f"  naive, re-run the audit and remake the overlay per move: median {nmed:6.0f} ms   "
        f"ratio {nmed / med:5.1f}x"
    )
    SUMMARY.append(
        (
            "planning drag, move to frame (med / max)",
            "<= 100 ms",
            f"{med:.0f} / {worst:.0f} ms",
            f"{nmed:.0f} ms (audit + overlay per move)",
            f"{nmed / med:.1f}x",
        )
    )
    win.set_view("overview")
    app.processEvents()


def bench_orbit(app, win, moves: int = 60, every_ms: int = 40) -> None:
    """An operator orbits the overview with the mouse while 5,000 msg/s come in: each mouse move
    is posted to the 3D view as the window system would (queued behind whatever the GUI thread
    is doing) every ``every_ms``, and its latency runs to the end of the frame that shows it;
    beside the same drag with no feed (the machine's own floor for it)."""
    from PySide6 import QtCore, QtGui

    vp = win.viewport
    w = vp.plotter.interactor
    rw = vp.plotter.render_window
    E, left = QtCore.QEvent.Type, QtCore.Qt.MouseButton.LeftButton

    def event(kind, pos, buttons):
        return QtGui.QMouseEvent(
            kind, pos, w.mapToGlobal(pos), left, buttons, QtCore.Qt.KeyboardModifier.NoModifier
        )

    def drag() -> list[float]:
        vp.fly_home(seconds=0)
        run_for(app, 0.3)
        c = QtCore.QPointF(w.width() / 2, w.height() / 2)
        posted: list[float] = []
        done: list[float] = []
        obs = rw.AddObserver("EndEvent", lambda *_: done.append(time.perf_counter()))
        app.sendEvent(w, event(E.MouseButtonPress, c, left))
        for k in range(1, moves + 1):
            p = QtCore.QPointF(c.x() + 3 * k, c.y() + (k % 7))
            posted.append(time.perf_counter())
            app.postEvent(w, event(E.MouseMove, p, left))
            run_for(app, every_ms / 1000)
        run_for(app, 0.3)
        app.sendEvent(w, event(E.MouseButtonRelease, c, QtCore.Qt.MouseButton.NoButton))
        rw.RemoveObserver(obs)
        out = []
        for t in posted:  # the first frame that ended after the move was posted shows it
            later = [d for d in done if d >= t]
            if later:
                out.append((later[0] - t) * 1000)
        return out

    floor = drag()
    p = win.live.pipeline
    inj = Injector(p, payload_bodies(win), RATE, moves * every_ms / 1000 + 2.0)
    inj.start()
    run_for(app, 1.0)
    loaded = drag()
    inj.join()
    wait_drained(p)
    vp.fly_home(seconds=0)
    print(
        f"\n5. overview: a mouse drag orbiting the camera, {moves} moves {every_ms} ms apart, "
        "move posted -> the frame that shows it"
    )
    print(
        f"  at 5,000 msg/s  median {statistics.median(loaded):5.0f} ms   p95 "
        f"{pct(loaded, 95):5.0f} ms   max {max(loaded):5.0f} ms   (target <= 100 ms)"
    )
    print(
        f"  floor, no feed  median {statistics.median(floor):5.0f} ms   p95 "
        f"{pct(floor, 95):5.0f} ms   max {max(floor):5.0f} ms"
    )
    SUMMARY.append(
        (
            "orbit drag, move to frame (med / max)",
            "<= 100 ms",
            f"{statistics.median(loaded):.0f} / {max(loaded):.0f} ms",
            f"{statistics.median(floor):.0f} / {max(floor):.0f} ms (no feed)",
            "-",
        )
    )


def main() -> None:
    t_all = time.perf_counter()
    print(
        f"Shell benchmark: {DEMO_SCENE.name}, window {SIZE[0]}x{SIZE[1]} on "
        f"{os.environ.get('QT_QPA_PLATFORM', 'xcb')} (DISPLAY {os.environ.get('DISPLAY', '?')}), "
        "software OpenGL\n"
    )
    if os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb" or not os.environ.get("DISPLAY"):
        sys.exit(
            "bench_shell.py needs an X display (make bench "
            "runs it under xvfb-run) and QT_QPA_PLATFORM=xcb"
        )
    bench_start()
    app, win = open_window()
    try:
        bench_views(app, win)
        bench_load(app, win)
        bench_orbit(app, win)
        bench_drag(app, win)
    finally:
        win.close()
        app.processEvents()
    print(f"\n{'figure':<38} {'target':<14} {'measured':<16} {'naive baseline':<32} ratio")
    for row in SUMMARY:
        print(f"{row[0]:<38} {row[1]:<14} {row[2]:<16} {row[3]:<32} {row[4]}")
    print(f"\n(bench_shell.py took {time.perf_counter() - t_all:.0f} s)")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
