"""The time slider: the last 24 hours of history replayed onto the scene, in 5-minute steps;
the right end is live."""

from __future__ import annotations

from datetime import tzinfo

from PySide6 import QtCore, QtWidgets

from twin.shell import theme
from twin.shell.texts import tr
from twin.telemetry.live import format_local

STEPS = 288
"""5-minute steps in 24 hours; the last one is "live"."""
STEP_S = 300.0


class TimeBar(QtWidgets.QFrame):
    """``moved`` gets seconds before now (0: live)."""

    moved = QtCore.Signal(float)

    def __init__(self, lang: str, tz: tzinfo | None) -> None:
        super().__init__()
        self.lang, self.tz = lang, tz
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 2)
        self.live_btn = QtWidgets.QPushButton()
        self.live_btn.clicked.connect(self.go_live)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.slider.setValue(STEPS)
        self.slider.setPageStep(12)
        self.slider.sliderReleased.connect(self._emit)
        self.slider.valueChanged.connect(self._value_changed)
        self.label = QtWidgets.QLabel()
        self.label.setMinimumWidth(260)
        lay.addWidget(self.live_btn)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.now = 0.0
        self.retranslate(lang)

    def retranslate(self, lang: str) -> None:
        self.lang = lang
        self.live_btn.setText("● " + tr(lang, "time_live"))
        self._label()

    @property
    def back_s(self) -> float:
        return (STEPS - self.slider.value()) * STEP_S

    def set_now(self, now: float) -> None:
        self.now = now
        self._label()

    def _label(self) -> None:
        if self.back_s <= 0:
            self.label.setText(tr(self.lang, "time_live"))
            self.label.setStyleSheet(f"color: {theme.STATUS['ok']}; font-weight: 700;")
        else:
            when = format_local(self.now - self.back_s, self.tz)
            self.label.setText(tr(self.lang, "time_back", when=when))
            self.label.setStyleSheet(f"color: {theme.STATUS['warning']}; font-weight: 700;")

    def _value_changed(self, _v: int) -> None:
        self._label()
        if not self.slider.isSliderDown():  # keyboard, wheel, or set by code
            self._emit()

    def _emit(self) -> None:
        self.moved.emit(self.back_s)

    def go_live(self) -> None:
        self.slider.setValue(STEPS)

    def set_back(self, seconds: float) -> None:
        self.slider.setValue(max(0, STEPS - int(round(seconds / STEP_S))))
