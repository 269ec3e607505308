"""What the shell remembers between runs (QSettings): window geometry and screen, panel layout,
the view, language, text size and the alarm sound. ``TWIN_SETTINGS`` names an INI file to use
instead of the user's (tests, several walls on one machine)."""

from __future__ import annotations

import os
from typing import Any

from PySide6 import QtCore, QtWidgets

ORG, APP = "community-twin", "twin-shell"


def settings() -> QtCore.QSettings:
    path = os.environ.get("TWIN_SETTINGS")
    if path:
        return QtCore.QSettings(path, QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(ORG, APP)


def value(key: str, default: Any = None, kind: type | None = None) -> Any:
    s = settings()
    if not s.contains(key):
        return default
    v = s.value(key)
    if kind is None:
        return v
    try:
        if kind is bool:
            return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
        return kind(v)
    except (TypeError, ValueError):
        return default


def save_value(key: str, v: Any) -> None:
    s = settings()
    s.setValue(key, v)
    s.sync()


def save_window(win: Any) -> None:
    s = settings()
    s.setValue("geometry", win.saveGeometry())
    s.setValue("window_state", win.saveState())
    for name in ("outer", "middle", "right"):
        s.setValue(f"splitter/{name}", getattr(win, name).saveState())
    s.setValue("view", win.view)
    s.setValue("lang", win.lang)
    s.setValue("font_scale", win.font_scale)
    s.setValue("sound", win.alarms.chime.enabled)
    screen = win.screen()
    screens = QtWidgets.QApplication.screens()
    if screen in screens:
        s.setValue("screen", screens.index(screen))
    s.setValue("fullscreen", win.isFullScreen())
    s.sync()


def restore_window(win: Any) -> None:
    s = settings()
    geo = s.value("geometry")
    if isinstance(geo, QtCore.QByteArray) and not geo.isEmpty():
        win.restoreGeometry(geo)
    for name in ("outer", "middle", "right"):
        st = s.value(f"splitter/{name}")
        if isinstance(st, QtCore.QByteArray) and not st.isEmpty():
            getattr(win, name).restoreState(st)
    if s.contains("sound"):
        win.alarms.set_sound(value("sound", True, bool))
