"""The real demo window for the tests that drive the shell (under the suite's Xvfb), and what
they read from its frames."""

from __future__ import annotations

import numpy as np
from PySide6 import QtWidgets

from tests.conftest import DEMO
from twin.render import style
from twin.shell import theme
from twin.shell.loader import LoadRequest, load
from twin.shell.window import MainWindow


def open_window(
    qtbot,
    tmp_path,
    feed="sim",
    scene=DEMO,
    backfill=False,
    lang="en",
    view="overview",
    own=True,
    db=None,
):
    qapp = QtWidgets.QApplication.instance()
    theme.apply(qapp, 1.0, lang)
    loaded = load(
        LoadRequest(str(scene), feed, db or str(tmp_path / "ev.sqlite"), 1, 1.0, None, backfill)
    )
    win = MainWindow(loaded, lang, view)
    if own:
        qtbot.addWidget(win)
    win.resize(1600, 900)
    win.show()
    win.start()
    qtbot.waitUntil(
        lambda: win.viewport.home is not None and bool(win.viewport.frame_ms), timeout=20000
    )
    return win


def open_seat_window(qtbot, scene, url, lang="en", view="overview"):
    """The real window as a seat of the shared database at ``url`` (no feed of its own)."""
    return open_window(qtbot, None, None, scene, lang=lang, view=view, db=url)


def pixel_at(win, xyz):
    """RGB of the viewport's frame at a world point."""
    img = win.viewport.plotter.screenshot(None, return_img=True)
    x, y = win.viewport.screen_of(xyz)
    h = img.shape[0]
    return img[h - 1 - y, x, :3].astype(int), img


def near(colour, hex_colour, tol=40):
    return int(np.abs(np.asarray(colour) - np.array(style.rgb(hex_colour))).max()) <= tol
