"""The top bar: community name, clock, air quality, devices online, open alarms, live or
replay, the view switcher, search, saved views, language and text size."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from twin.scene.views import VIEWS
from twin.shell import theme
from twin.shell.texts import tr


class Figure(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 6, 0)
        lay.setSpacing(0)
        self.value = QtWidgets.QLabel("–")
        self.value.setObjectName("topValue")
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("figureLabel")
        lay.addWidget(self.value)
        lay.addWidget(self.label)

    def set(self, value: str, colour: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {colour};" if colour else "")


class TopBar(QtWidgets.QFrame):
    view_chosen = QtCore.Signal(str)
    search = QtCore.Signal(str)
    bookmark = QtCore.Signal(str)
    save_bookmark = QtCore.Signal()
    language = QtCore.Signal()
    font_step = QtCore.Signal(float)
    fullscreen = QtCore.Signal()
    tour = QtCore.Signal()

    def __init__(self, name: str, lang: str) -> None:
        super().__init__()
        self.setObjectName("panel")
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 6)
        lay.setSpacing(4)  # seven view buttons and the live figures fit 1920 px in English
        self.name = QtWidgets.QLabel(name)
        self.name.setObjectName("title")
        lay.addWidget(self.name)
        self.clock, self.air, self.online, self.alarms = Figure(), Figure(), Figure(), Figure()
        for f in (self.clock, self.air, self.online, self.alarms):
            lay.addWidget(f)
        self.mode = QtWidgets.QLabel()
        self.mode.setObjectName("badge")
        lay.addWidget(self.mode)
        lay.addStretch(1)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        group = QtWidgets.QButtonGroup(self)
        group.setExclusive(True)
        for v in VIEWS:
            b = QtWidgets.QPushButton()
            b.setObjectName("viewButton")
            b.setCheckable(True)
            b.clicked.connect(lambda _c=False, v=v: self.view_chosen.emit(v))
            group.addButton(b)
            self.buttons[v] = b
            lay.addWidget(b)
        lay.addSpacing(6)
        self.search_box = QtWidgets.QLineEdit()
        self.search_box.setMinimumWidth(100)
        self.search_box.setMaximumWidth(260)
        self.search_box.returnPressed.connect(lambda: self.search.emit(self.search_box.text()))
        lay.addWidget(self.search_box)
        self.marks = QtWidgets.QToolButton()
        self.marks.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.marks_menu = QtWidgets.QMenu(self.marks)
        self.marks.setMenu(self.marks_menu)
        lay.addWidget(self.marks)
        self.lang_btn = QtWidgets.QToolButton()
        self.lang_btn.clicked.connect(self.language.emit)
        lay.addWidget(self.lang_btn)
        self.menu_btn = QtWidgets.QToolButton()
        self.menu_btn.setText("≡")
        self.menu_btn.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QtWidgets.QMenu(self.menu_btn)
        self.menu_btn.setMenu(self.menu)
        lay.addWidget(self.menu_btn)
        self.retranslate(lang, [])

    def retranslate(self, lang: str, bookmarks: list[str]) -> None:
        self.lang = lang
        for v, b in self.buttons.items():
            b.setText(tr(lang, v))
        self.search_box.setPlaceholderText(tr(lang, "search"))
        self.search_box.setToolTip(tr(lang, "search_tip"))
        self.marks.setText("★")  # seven view buttons and the figures fit 1920 px: a star here
        self.marks.setToolTip(tr(lang, "bookmarks"))
        self.lang_btn.setText(tr(lang, "language"))
        m = self.menu
        m.clear()
        m.addAction(tr(lang, "font_scale") + " +", lambda: self.font_step.emit(1.15))
        m.addAction(tr(lang, "font_scale") + " −", lambda: self.font_step.emit(1 / 1.15))
        m.addAction(tr(lang, "fullscreen"), self.fullscreen.emit)
        m.addAction(tr(lang, "tour"), self.tour.emit)
        self.clock.label.setText("")
        self.air.label.setText(tr(lang, "air") + " PM2.5")
        self.online.label.setText(tr(lang, "online"))
        self.alarms.label.setText(tr(lang, "open_alarms"))
        self.set_bookmarks(bookmarks)

    def set_bookmarks(self, names: list[str]) -> None:
        m = self.marks_menu
        m.clear()
        m.addAction(tr(self.lang, "home"), lambda: self.bookmark.emit(""))
        for n in names:
            m.addAction(n, lambda n=n: self.bookmark.emit(n))
        m.addSeparator()
        m.addAction(tr(self.lang, "save_view"), self.save_bookmark.emit)

    def set_view(self, view: str) -> None:
        b = self.buttons.get(view)
        if b is not None:
            b.setChecked(True)

    def set_mode(self, text: str, colour: str) -> None:
        self.mode.setText(text)
        self.mode.setStyleSheet(f"background: {colour}; color: {theme.BG};")
        self.mode.setMinimumWidth(self.mode.sizeHint().width())  # never clipped by the view buttons
