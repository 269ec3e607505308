"""The Qt application: progress screen while loading, then the main window on the chosen
screen (windowed, full screen or kiosk), settings restored; scripted screenshots."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from twin.core.errors import InputError
from twin.core.i18n import default_lang
from twin.scene.views import VIEWS
from twin.shell import settings as store
from twin.shell import theme
from twin.shell.loader import Loaded, LoadingScreen, LoadRequest
from twin.shell.texts import tr


def auto_font_scale(screen: QtGui.QScreen | None) -> float:
    """Text size for the screen: 1 at 1080 logical pixels high, more on big walls whose DPI
    setting leaves Qt's own scaling at 1."""
    if screen is None:
        return 1.0
    h = screen.geometry().height()
    return max(0.8, min(h / 1080.0, 4.0))


def _place(widget: QtWidgets.QWidget, screen_index: int | None, full: bool) -> None:
    screens = QtGui.QGuiApplication.screens()
    if screen_index is not None and screens:
        screen = screens[max(0, min(screen_index, len(screens) - 1))]
        geo = screen.availableGeometry()
        widget.move(geo.topLeft())
        if widget.windowHandle() is not None:
            widget.windowHandle().setScreen(screen)
        if not full:
            widget.resize(min(geo.width(), 1920), min(geo.height(), 1080))
    if full:
        widget.showFullScreen()
    else:
        widget.show()


def _sign_in(db: str | None, lang: str) -> bool:
    """The shared database's sign-in: when it asks for a password this process does not have
    (PGPASSWORD, ~/.pgpass), the operator types it; the database checks it (three tries)."""
    from twin.usecases.accounts import password_needed, sign_in, sign_in_target

    try:
        if not password_needed(db):
            return True
    except InputError as exc:
        print(f"twin: error: {exc.message}", file=sys.stderr)
        return False
    account, where = sign_in_target(db)
    refused = ""
    for _ in range(3):
        label = tr(lang, "sign_in_password", account=account, where=where)
        password, ok = QtWidgets.QInputDialog.getText(
            None,
            tr(lang, "sign_in"),
            f"{refused}\n\n{label}" if refused else label,
            QtWidgets.QLineEdit.EchoMode.Password,
        )
        if not ok:
            return False
        try:
            sign_in(db, password)
            return True
        except InputError as exc:
            print(f"twin: {exc.message}", file=sys.stderr)
            refused = tr(lang, "sign_in_refused")
    print("twin: error: not signed in.", file=sys.stderr)
    return False


def run(args: argparse.Namespace) -> int:
    from twin.usecases.scene import read_scene

    try:
        spec = read_scene(args.scene)
        if args.kiosk or args.tour:
            from twin.scene.tour import find_tour

            find_tour(spec, args.tour)
    except InputError as exc:
        print(f"twin: error: {exc.message}", file=sys.stderr)
        return 2
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Community twin")
    app.setOrganizationName(store.ORG)
    lang = args.lang or store.value("lang", None, str) or default_lang()
    if lang not in ("zh", "en"):
        lang = default_lang()
    screen_index = args.screen if args.screen is not None else store.value("screen", None, int)
    screens = QtGui.QGuiApplication.screens()
    screen = screens[max(0, min(screen_index or 0, len(screens) - 1))] if screens else None
    scale = args.font_scale or store.value("font_scale", None, float) or auto_font_scale(screen)
    theme.apply(app, scale, lang)
    full = bool(
        args.fullscreen
        or args.kiosk
        or (args.screen is None and store.value("fullscreen", False, bool))
    )
    if not _sign_in(args.db, lang):
        return 2
    view = args.view or store.value("view", "overview", str)
    req = LoadRequest(
        args.scene, args.feed, args.db, args.seed, args.speed, args.incidents_every or None
    )
    loading = LoadingScreen(req, spec.name, lang)
    loading.resize(1280, 720)
    _place(loading, screen_index, full)
    state: dict[str, Any] = {"code": 0, "window": None}

    def failed(message: str) -> None:
        print(f"twin: error: {message}", file=sys.stderr)
        state["code"] = 2
        app.quit()

    def loaded(result: Loaded) -> None:
        from twin.shell.window import MainWindow

        win = MainWindow(
            result, lang, view if view in VIEWS else "overview", scale, getattr(args, "role", None)
        )
        state["window"] = win
        avail = (loading.screen() or QtGui.QGuiApplication.primaryScreen()).availableGeometry()
        win.resize(min(avail.width(), 1920), min(avail.height(), 1080))
        store.restore_window(win)
        if args.kiosk:
            win.setWindowFlag(QtCore.Qt.WindowType.FramelessWindowHint, True)
        _place(win, screen_index, full)
        loading.close()
        win.start()
        if args.kiosk:
            win.start_tour(args.tour, args.idle)
        if args.screenshot or args.exit_after:
            QtCore.QTimer.singleShot(int((args.exit_after or 8.0) * 1000), lambda: finish(win))

    def finish(win: Any) -> None:
        if args.screenshot:
            for p in win.panels.values():
                try:
                    p.wait_job(10.0)
                except Exception:  # noqa: BLE001 - the screenshot shows what there is
                    pass
            win._panel_at = 0.0
            win.tick()
            out = Path(args.screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            if not win.capture().save(str(out)):
                print(f"{out}: could not be written.", file=sys.stderr)
                state["code"] = 2
        win.close()
        app.quit()

    loading.loaded.connect(loaded)
    loading.failed.connect(failed)
    loading.start()
    # Ctrl-C and SIGTERM close the window properly (events and history flushed): Python runs
    # signal handlers only between bytecodes, so a timer lets it in every half second
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    wake = QtCore.QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(500)
    app.exec()
    win = state["window"]
    if win is not None and win.isVisible():
        win.close()
    return int(state["code"])
