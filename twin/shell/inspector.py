"""The inspector: what a clicked device, building or IFC element is, its live readings, a
24-hour chart from history and its events."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.analysis.environment import QUANTITIES
from twin.scene.catalogue import CATALOGUE
from twin.shell import theme
from twin.shell.panels.base import Context, kind_name
from twin.shell.texts import tr
from twin.shell.widgets import ColourList, LineChart, section
from twin.telemetry.live import format_local


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "✔" if v else "–"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


class Inspector(QtWidgets.QFrame):
    closed = QtCore.Signal()

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("panel")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        head = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel()
        self.title.setObjectName("title")
        self.title.setWordWrap(True)
        self.badge = QtWidgets.QLabel()
        self.badge.setObjectName("badge")
        self.btn_close = QtWidgets.QToolButton()
        self.btn_close.setText("✕")
        self.btn_close.clicked.connect(self.clear)
        head.addWidget(self.title, 1)
        head.addWidget(self.badge)
        head.addWidget(self.btn_close)
        lay.addLayout(head)
        self.facts = QtWidgets.QTableWidget(0, 2)
        self.facts.horizontalHeader().setVisible(False)
        self.facts.verticalHeader().setVisible(False)
        self.facts.horizontalHeader().setStretchLastSection(True)
        self.facts.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.facts.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        lay.addWidget(self.facts, 2)
        row = QtWidgets.QHBoxLayout()
        self.t_chart = QtWidgets.QLabel()
        self.t_chart.setObjectName("sectionTitle")
        self.reading = QtWidgets.QComboBox()
        self.reading.currentIndexChanged.connect(lambda _i: self._chart())
        row.addWidget(self.t_chart)
        row.addWidget(self.reading, 1)
        lay.addLayout(row)
        self.chart = LineChart(150)
        lay.addWidget(self.chart, 2)
        self.t_events = section()
        lay.addWidget(self.t_events)
        self.events = ColourList(4)
        lay.addWidget(self.events, 1)
        self.target: tuple[str, Any] | None = None
        self.hide()

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def clear(self) -> None:
        self.target = None
        self.hide()
        self.closed.emit()

    def show_target(self, kind: str, what: Any) -> None:
        self.target = (kind, what)
        self.refresh(full=True)
        self.show()

    def _set_facts(self, rows: list[tuple[str, str, str | None]]) -> None:
        t = self.facts
        t.setRowCount(len(rows))
        for r, (k, v, colour) in enumerate(rows):
            for c, text in enumerate((k, v)):
                item = t.item(r, c)
                if item is None:
                    item = QtWidgets.QTableWidgetItem()
                    t.setItem(r, c, item)
                item.setText(text)
                if c == 0:
                    item.setForeground(QtWidgets.QApplication.palette().placeholderText())
                elif colour:
                    from PySide6.QtGui import QColor

                    item.setForeground(QColor(colour))
        t.resizeColumnToContents(0)

    def refresh(self, full: bool = False) -> None:
        if self.target is None:
            return
        kind, what = self.target
        if kind == "device":
            self._device(str(what), full)
        elif kind == "building":
            self._building(int(what))
        elif kind == "bim":
            self._bim(int(what))

    def _device(self, device_id: str, full: bool) -> None:
        ctx, L = self.ctx, self.lang
        dev = ctx.devices.get(device_id)
        if dev is None:
            return
        status = ctx.statuses.get(device_id, "unknown")
        self.title.setText(dev.label(kind_name(dev.kind, L), L))
        colour = theme.status_colour(status)
        self.badge.setText(
            tr(L, status)
            if status in ("offline", "unknown")
            else {
                "online": "OK",
                "fault": tr(L, "fault"),
                "alarm": "告警" if L == "zh" else "ALARM",
            }.get(status, status)
        )
        self.badge.setStyleSheet(f"background: {colour}; color: #0b1422;")
        st = ctx.readings.get(device_id, {})
        rows: list[tuple[str, str, str | None]] = [
            ("ID", dev.id, None),
            (
                tr(L, "kind"),
                kind_name(dev.kind, L) + (f" ({dev.subkind})" if dev.subkind else ""),
                None,
            ),
            (tr(L, "status"), status, colour),
            (tr(L, "place"), dev.where(L) or "–", None),
            (tr(L, "position"), f"{dev.lat:.6f}, {dev.lon:.6f}  z {dev.z:.1f} m", None),
        ]
        spec = CATALOGUE.get(dev.kind)
        units = {r.name: r.unit for r in spec.readings} if spec else {}
        for name, value in st.items():
            rows.append((name, f"{_fmt(value)} {units.get(name, '')}".strip(), None))
        self._set_facts(rows)
        if full:
            self.t_chart.setText(tr(L, "last_24h"))
            self.reading.blockSignals(True)
            self.reading.clear()
            if spec:
                for r in spec.readings:
                    if r.type in ("float", "int", "bool"):
                        self.reading.addItem(f"{r.name} ({r.unit})" if r.unit else r.name, r.name)
            self.reading.blockSignals(False)
            self.reading.setVisible(self.reading.count() > 0)
            self.chart.setVisible(self.reading.count() > 0)
            self._chart()
            self.t_events.setText(tr(L, "events"))
            evs = ctx.events.events(device_id=device_id, limit=30)
            self.events.set_rows(
                [
                    (
                        f"{format_local(e.raised_at, ctx.tz)[5:16]}  {e.message or e.type}  "
                        f"[{tr(L, e.status)}]",
                        theme.SEVERITY.get(e.severity),
                        e.id,
                    )
                    for e in evs
                ]
            )
            self.t_events.setVisible(True)
            self.events.setVisible(True)

    def _chart(self) -> None:
        ctx = self.ctx
        if self.target is None or self.target[0] != "device" or ctx.history is None:
            self.chart.set_series(np.zeros(0), np.zeros(0))
            return
        name = self.reading.currentData()
        if not name:
            return
        now = float(ctx.now())
        pts = ctx.history.series(str(self.target[1]), str(name), now - 86400, now, 144)
        x = np.array([(p.ts - now) / 3600 for p in pts])
        # the standard's limits of an environment reading as dashed lines (warning, then alarm)
        q = QUANTITIES.get(str(name))
        marks = (theme.STATUS["warning"], theme.STATUS["alarm"])
        limits = [(t.value, marks[min(i, 1)]) for i, t in enumerate(q.thresholds)] if q else []
        self.chart.set_series(
            x,
            np.array([p.mean for p in pts]),
            np.array([p.vmin for p in pts]),
            np.array([p.vmax for p in pts]),
            limits,
        )
        self.chart.setXRange(-24, 0, padding=0.01)

    def _building(self, index: int) -> None:
        ctx, L = self.ctx, self.lang
        if not 0 <= index < len(ctx.scene.buildings):
            return
        b = ctx.scene.buildings[index]
        self.title.setText(b.name or b.id)
        self.badge.setText(tr(L, "building"))
        self.badge.setStyleSheet(f"background: {theme.ACCENT}; color: #0b1422;")
        rows: list[tuple[str, str, str | None]] = [
            ("ID", b.id, None),
            (tr(L, "height"), f"{b.height:.1f} m ({b.height_source})", None),
            (tr(L, "source"), b.source, None),
        ]
        if b.levels:
            rows.append((tr(L, "levels"), f"{b.levels:g}", None))
        meters = self._meters_of(index)
        if meters:
            rows.append((tr(L, "meters"), ", ".join(m.name or m.id for m in meters), None))
            for m in meters:
                for k, v in ctx.readings.get(m.id, {}).items():
                    rows.append((f"{m.name or m.id} {k}", _fmt(v), None))
        self._set_facts(rows)
        self._no_chart()

    def _meters_of(self, index: int) -> list[Any]:
        dm = self.ctx.devices
        return [dm[m] for m, b in self.ctx.meter_buildings.items() if b == index and m in dm]

    def _bim(self, index: int) -> None:
        ctx, L = self.ctx, self.lang
        if not 0 <= index < len(ctx.scene.bim_elements):
            return
        e = ctx.scene.bim_elements[index]
        model = ctx.scene.bim_models[e.model] if e.model < len(ctx.scene.bim_models) else {}
        self.title.setText(e.name or e.ifc_class)
        self.badge.setText("IFC")
        self.badge.setStyleSheet(f"background: {theme.ACCENT}; color: #0b1422;")
        storeys = Counter(
            x.storey for x in ctx.scene.bim_elements if x.model == e.model and x.storey
        )
        rows: list[tuple[str, str, str | None]] = [
            (tr(L, "ifc_class"), e.ifc_class, None),
            (tr(L, "global_id"), e.global_id, None),
            (tr(L, "storey"), e.storey or "–", None),
            ("Type", e.type_name or "–", None),
            ("IFC", f"{model.get('file', '')} ({model.get('schema', '')})", None),
            (tr(L, "levels"), ", ".join(f"{s} ({n})" for s, n in storeys.items()) or "–", None),
        ]
        self._set_facts(rows)
        self._no_chart()

    def _no_chart(self) -> None:
        self.t_chart.setText("")
        self.reading.setVisible(False)
        self.chart.setVisible(False)
        self.t_events.setVisible(False)
        self.events.setVisible(False)
