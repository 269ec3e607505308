"""Small building blocks of the panels: figure cards, section titles, coloured lists, charts
(pyqtgraph, drawn live, not images) in the wall theme."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from twin.shell import theme

pg.setConfigOptions(antialias=True, background=theme.PANEL, foreground=theme.MUTED)


def _key(*parts: object) -> tuple[object, ...]:
    """What a chart was last given, comparable: arrays by their bytes."""
    return tuple(
        (p.dtype.str, p.shape, p.tobytes()) if isinstance(p, np.ndarray) else repr(p) for p in parts
    )


class Card(QtWidgets.QFrame):
    """A key figure: big value, small label."""

    def __init__(self, label: str = "") -> None:
        super().__init__()
        self.setObjectName("panel")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(0)
        self.value = QtWidgets.QLabel("–")
        self.value.setObjectName("figureValue")
        self.label = QtWidgets.QLabel(label)
        self.label.setObjectName("figureLabel")
        self.label.setWordWrap(True)
        lay.addWidget(self.value)
        lay.addWidget(self.label)

    def set(self, value: str, colour: str | None = None, label: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {colour};" if colour else "")
        if label is not None:
            self.label.setText(label)


def cards_grid(cards: Sequence[Card], columns: int = 2) -> QtWidgets.QWidget:
    w = QtWidgets.QWidget()
    g = QtWidgets.QGridLayout(w)
    g.setContentsMargins(0, 0, 0, 0)
    g.setSpacing(8)
    for i, c in enumerate(cards):
        g.addWidget(c, i // columns, i % columns)
    return w


def section(text: str = "") -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setObjectName("sectionTitle")
    return lab


class ColourList(QtWidgets.QListWidget):
    """Rows of text, each with a colour swatch (statuses, thresholds, top lists)."""

    def __init__(self, rows: int = 6, fit: bool = True) -> None:
        super().__init__()
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self._rows = rows
        self._fit = fit
        """Shrink to the rows shown (at most ``rows``), so a short list leaves its room to the
        next section instead of blank lines."""
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        # a long row wraps onto a second line rather than being cut or scrolled sideways
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(True)
        self.setResizeMode(QtWidgets.QListView.ResizeMode.Adjust)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt's name
        h = self.fontMetrics().height() + 10
        return QtCore.QSize(200, h * self._rows + 6)

    def set_rows(self, rows: Sequence[tuple[str, str | None, object]]) -> None:
        """(text, colour or None, user data) per row; the same rows again change nothing (no
        relayout, no repaint: a panel refreshes every second)."""
        key = [(text, colour, repr(data)) for text, colour, data in rows]
        if key == getattr(self, "_shown", None):
            return
        self._shown = key
        self.setUpdatesEnabled(False)
        while self.count() > len(rows):
            self.takeItem(self.count() - 1)
        for i, (text, colour, data) in enumerate(rows):
            item = self.item(i)
            if item is None:
                item = QtWidgets.QListWidgetItem()
                self.addItem(item)
            item.setText(text)
            item.setData(QtCore.Qt.ItemDataRole.UserRole, data)
            if colour:
                pm = QtGui.QPixmap(14, 14)
                pm.fill(QtGui.QColor(colour))
                item.setIcon(QtGui.QIcon(pm))
            else:
                item.setIcon(QtGui.QIcon())
        if self._fit:
            shown = range(min(self.count(), self._rows))
            h = sum(max(self.sizeHintForRow(i), 1) for i in shown) + 2 * self.frameWidth() + 4
            self.setFixedHeight(max(h, self.fontMetrics().height() + 10))
        self.setUpdatesEnabled(True)


class BarChart(pg.PlotWidget):
    """Vertical bars over x positions (hours, categories), optionally stacked by colour."""

    def __init__(self, height: int = 160) -> None:
        super().__init__()
        self.setMinimumHeight(height)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.15)
        self._items: list[pg.GraphicsObject] = []

    def set_bars(
        self,
        x: np.ndarray,
        stacks: Sequence[tuple[np.ndarray, str]],
        width: float = 0.8,
        ticks: Sequence[tuple[float, str]] | None = None,
    ) -> None:
        key = _key(x, *(a for s in stacks for a in s), width, ticks)
        if key == getattr(self, "_shown", None):  # unchanged: no new items, no repaint
            return
        self._shown = key
        for it in self._items:
            self.removeItem(it)
        self._items = []
        base = np.zeros(len(x))
        for heights, colour in stacks:
            heights = np.asarray(heights, dtype=float)
            bar = pg.BarGraphItem(
                x=x, height=heights, y0=base, width=width, brush=colour, pen=pg.mkPen(None)
            )
            self.addItem(bar)
            self._items.append(bar)
            base = base + heights
        if ticks is not None:
            self.getAxis("bottom").setTicks([list(ticks)])
        top = float(base.max()) if len(base) else 1.0
        self.setYRange(0, max(top * 1.1, 1.0), padding=0)


class LineChart(pg.PlotWidget):
    """A time series with its min-max band (history charts), x in hours before now."""

    def __init__(self, height: int = 170) -> None:
        super().__init__()
        self.setMinimumHeight(height)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.showGrid(x=True, y=True, alpha=0.15)
        self._band: pg.FillBetweenItem | None = None
        self.curve = self.plot([], [], pen=pg.mkPen(theme.ACCENT, width=2))
        self.lo = self.plot([], [], pen=pg.mkPen(None))
        self.hi = self.plot([], [], pen=pg.mkPen(None))
        self.limit_lines: list[pg.InfiniteLine] = []

    def set_series(
        self,
        x: np.ndarray,
        y: np.ndarray,
        lo: np.ndarray | None = None,
        hi: np.ndarray | None = None,
        limits: Sequence[tuple[float, str]] = (),
    ) -> None:
        key = _key(x, y, lo, hi, limits)
        if key == getattr(self, "_shown", None):  # unchanged: no new items, no repaint
            return
        self._shown = key
        self.curve.setData(x, y)
        if self._band is not None:
            self.removeItem(self._band)
            self._band = None
        if lo is not None and hi is not None and len(x):
            self.lo.setData(x, lo)
            self.hi.setData(x, hi)
            self._band = pg.FillBetweenItem(self.lo, self.hi, brush=pg.mkBrush(79, 195, 247, 60))
            self.addItem(self._band)
        for line in self.limit_lines:
            self.removeItem(line)
        self.limit_lines = []
        for value, colour in limits:
            line = pg.InfiniteLine(
                pos=value, angle=0, pen=pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
            )
            self.addItem(line)
            self.limit_lines.append(line)
