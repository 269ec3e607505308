"""The personnel view's panel: entries and exits per entrance per hour, people in / out,
visitors, care checks, strangers at night; on the scene, entrances sized by flow and the
buildings with care checks due marked. Names and plates are masked unless a supervisor
shows them (for two minutes, written to the access log first)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.core.errors import InputError
from twin.scene.people import ENTRANCE_KINDS, UNMASK_ROLES, UNMASK_S
from twin.shell import theme
from twin.shell.panels.base import Context, ViewPanel, kind_name
from twin.shell.texts import tr
from twin.shell.widgets import BarChart, Card, ColourList, cards_grid, section

IN_COLOUR = "#29b6f6"
OUT_COLOUR = "#ab47bc"
"""Entries and exits in the chart: a blue and a violet, not status colours."""
DUE_SOON_S = 2 * 3600.0
"""A care check due within this is shown in the warning colour (and marked on the scene)."""


def _span(seconds: float, lang: str) -> str:
    h = abs(seconds) / 3600.0
    if h >= 48:
        return f"{h / 24:.0f} d" if lang != "zh" else f"{h / 24:.0f} 天"
    if h >= 1:
        return f"{h:.0f} h" if lang != "zh" else f"{h:.0f} 小时"
    return f"{abs(seconds) / 60:.0f} min" if lang != "zh" else f"{abs(seconds) / 60:.0f} 分钟"


class PersonnelPanel(ViewPanel):
    name = "personnel"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.c_in, self.c_out, self.c_res, self.c_vis, self.c_care, self.c_str = (
            Card() for _ in range(6)
        )
        self.body.addWidget(
            cards_grid([self.c_in, self.c_out, self.c_care, self.c_str, self.c_res, self.c_vis])
        )
        self.t_care = section()
        self.body.addWidget(self.t_care)
        self.care = ColourList(6, fit=True)
        self.care.itemClicked.connect(self._fly)
        self.body.addWidget(self.care)
        self.t_str = section()
        self.body.addWidget(self.t_str)
        self.strangers = ColourList(4, fit=True)
        self.strangers.itemClicked.connect(self._fly)
        self.body.addWidget(self.strangers)
        self.t_chart = section()
        self.body.addWidget(self.t_chart)
        self.chart = BarChart(130)
        self.chart.setMaximumHeight(160)
        self.body.addWidget(self.chart)
        self.t_flows = section()
        self.body.addWidget(self.t_flows)
        self.flows = ColourList(8, fit=True)
        self.flows.itemClicked.connect(self._fly)
        self.body.addWidget(self.flows)
        self.t_vis = section()
        self.body.addWidget(self.t_vis)
        self.visitors = ColourList(5, fit=True)
        self.body.addWidget(self.visitors)
        self.in_out = QtWidgets.QLabel()
        self.in_out.setWordWrap(True)
        self.body.addWidget(self.in_out)
        row = QtWidgets.QHBoxLayout()
        self.reason = QtWidgets.QLineEdit()
        self.btn_names = QtWidgets.QPushButton()
        self.btn_names.clicked.connect(self._toggle_names)
        row.addWidget(self.reason, 1)
        row.addWidget(self.btn_names)
        self.body.addLayout(row)
        self.names_note = QtWidgets.QLabel()
        self.names_note.setWordWrap(True)
        self.body.addWidget(self.names_note)
        self.body.addStretch(1)
        self.figures: Any = None
        self.key: Any = None
        """The key of a supervisor's unmasking while it lasts (names shown), else None."""
        self.key_until = 0.0
        self._points: dict[str, tuple[float, float, float]] | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._expire)
        self.retranslate()

    # -- texts ----------------------------------------------------------------------------
    def retranslate(self) -> None:
        L = self.lang
        for card, key in (
            (self.c_in, "entries_h"),
            (self.c_out, "exits_h"),
            (self.c_res, "residents_in"),
            (self.c_vis, "visitors_on_site"),
            (self.c_care, "care_overdue"),
            (self.c_str, "strangers_night"),
        ):
            card.label.setText(tr(L, key))
        self.t_chart.setText(tr(L, "passages_24h"))
        self.t_flows.setText(tr(L, "entrance_flows"))
        self.t_care.setText(tr(L, "care_checks"))
        self.t_vis.setText(tr(L, "visitors"))
        self.t_str.setText(tr(L, "strangers"))
        self.reason.setPlaceholderText(tr(L, "names_reason"))
        self._names_state()
        if self.figures is not None:
            self._apply(self.figures)

    def _names_state(self) -> None:
        L, role = self.lang, self.ctx.role
        allowed = role in UNMASK_ROLES
        self.btn_names.setText(tr(L, "hide_names" if self.key is not None else "show_names"))
        self.btn_names.setEnabled(allowed)
        self.reason.setEnabled(allowed and self.key is None)
        if self.key is not None:
            until = datetime.fromtimestamp(time.time() + self.key_until - time.monotonic())
            self.names_note.setText(
                tr(L, "names_shown_until", who=self.ctx.operator, until=until.strftime("%H:%M"))
            )
            self.names_note.setStyleSheet(f"color: {theme.STATUS['warning']}; font-weight: 700;")
        else:
            self.names_note.setText(tr(L, "names_supervisor_only", role=role))
            self.names_note.setStyleSheet(f"color: {theme.MUTED};")

    # -- names ----------------------------------------------------------------------------
    def _toggle_names(self) -> None:
        if self.key is not None:
            self.mask()
            return
        from twin.usecases.people import unmask_names

        reason = self.reason.text()
        if not reason.strip():
            self.names_note.setText(tr(self.lang, "names_need_reason"))
            self.names_note.setStyleSheet(f"color: {theme.STATUS['alarm']}; font-weight: 700;")
            return
        try:
            self.key = unmask_names(
                self.ctx.events,
                self.ctx.role,
                "personnel view: care checks, visitors, strangers",
                reason,
                float(self.ctx.now()),
                self.ctx.operator,
            )
        except InputError as exc:
            self.names_note.setText(exc.message)
            self.names_note.setStyleSheet(f"color: {theme.STATUS['alarm']}; font-weight: 700;")
            return
        self.key_until = time.monotonic() + UNMASK_S
        self._timer.start()
        self._names_state()
        if self.figures is not None:
            self._apply(self.figures)

    def mask(self) -> None:
        """Names masked again (the button, or :data:`UNMASK_S` after they were shown)."""
        self.key = None
        self._timer.stop()
        self.reason.clear()
        self._names_state()
        if self.figures is not None:
            self._apply(self.figures)

    def _expire(self) -> None:
        if self.key is not None and time.monotonic() >= self.key_until:
            self.mask()

    # -- figures --------------------------------------------------------------------------
    def entrances(self) -> list[Any]:
        return [d for d in self.ctx.scene.devices if d.kind in ENTRANCE_KINDS]

    def activate(self) -> None:
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        from twin.analysis.people import people_figures

        ctx = self.ctx
        ids = [d.id for d in self.entrances()]
        now = float(ctx.now())
        out = self.run_job(lambda: people_figures(ctx.events, now, ctx.tz, ids), 5.0, force)
        if out is not None:
            self.figures = out
            self._apply(out)

    def _building_points(self) -> dict[str, tuple[float, float, float]]:
        if self._points is None:
            from twin.analysis.people import building_points
            from twin.state.peoplelog import load_register

            try:
                register = load_register(self.ctx.events)
            except InputError:  # a seat cut off: no markers until the register can be read
                return {}
            names = {p.building for p in register if p.care}
            self._points = building_points(self.ctx.scene, names)
        return self._points

    def _apply(self, f: Any) -> None:
        from twin.usecases.people import shown

        L, key, ctx = self.lang, self.key, self.ctx
        ok, warn, alarm = theme.STATUS["ok"], theme.STATUS["warning"], theme.STATUS["alarm"]
        self.c_in.set(str(f.last_hour_in))
        self.c_out.set(str(f.last_hour_out))
        self.c_res.set(f"{f.residents_in}")
        self.c_vis.set(
            f"{len(f.visitors)}" + (f" ({f.overstaying} !)" if f.overstaying else ""),
            warn if f.overstaying else None,
        )
        self.c_care.set(str(f.care_overdue), alarm if f.care_overdue else ok)
        self.c_str.set(str(len(f.strangers)), warn if f.strangers else ok)
        x = np.arange(len(f.hours))
        ticks = [
            (i, datetime.fromtimestamp(h, ctx.tz).strftime("%H"))
            for i, h in enumerate(f.hours)
            if i % 4 == 3
        ]
        self.chart.set_bars(
            x, [(np.array(f.ins), IN_COLOUR), (np.array(f.outs), OUT_COLOUR)], 0.8, ticks
        )
        devices = ctx.devices
        rows = []
        for flow in sorted(f.entrances, key=lambda e: -(e.last_hour_in + e.last_hour_out)):
            d = devices.get(flow.device_id)
            where = (
                (d.where(L) or d.label(kind_name(d.kind, L), L))
                if d is not None
                else flow.device_id
            )
            text = tr(
                L,
                "entrance_row",
                where=where,
                h_in=flow.last_hour_in,
                h_out=flow.last_hour_out,
                d_in=flow.day_in,
                d_out=flow.day_out,
            )
            rows.append((text, IN_COLOUR, ("device", flow.device_id)))
        self.flows.set_rows(rows)
        points = self._building_points()
        now = f.now
        care_rows, marks, mark_colours = [], [], []
        for c in f.care:
            where = f"{c.building} {c.unit}".strip()
            names = ", ".join(shown(key, *n) for n in c.names)
            left = c.due_at - now
            if c.overdue:
                text = tr(
                    L,
                    "care_row_overdue",
                    hh=c.household,
                    where=where,
                    late=_span(-left, L),
                    names=names,
                )
                colour = alarm
            else:
                text = tr(
                    L, "care_row_ok", hh=c.household, where=where, left=_span(left, L), names=names
                )
                colour = warn if left < DUE_SOON_S else ok
            if c.event_status:
                text += f" · {tr(L, c.event_status)}"
            p = points.get(c.building)
            care_rows.append((text, colour, ("point", p) if p else None))
            if p is not None and colour != ok:
                marks.append(p)
                mark_colours.append(colour)
        self.care.set_rows(care_rows or [(tr(L, "none_now"), None, None)])
        vis_rows = []
        for v in f.visitors:
            until = datetime.fromtimestamp(v.until, ctx.tz).strftime("%H:%M")
            text = tr(
                L,
                "visitor_row",
                name=shown(key, *v.name),
                hh=v.household,
                where=v.building,
                until=until,
            )
            if v.overstaying:
                text += f" · {tr(L, 'visitor_over')}"
            vis_rows.append((text, warn if v.overstaying else ok, None))
        self.visitors.set_rows(vis_rows or [(tr(L, "none_now"), None, None)])
        str_rows = []
        for s in f.strangers:
            d = devices.get(s.device_id)
            where = d.label(kind_name(d.kind, L), L) if d is not None else s.device_id
            when = datetime.fromtimestamp(s.ts, ctx.tz).strftime("%H:%M")
            method = tr(L, "method_" + s.method) + (
                f" {shown(key, *s.plate)}" if s.plate[1] else ""
            )
            text = tr(L, "stranger_row", time=when, where=where, method=method, n=s.entries)
            str_rows.append((text, warn, ("device", s.device_id)))
        self.strangers.set_rows(str_rows or [(tr(L, "none_now"), None, None)])
        self.in_out.setText(
            tr(
                L,
                "in_out_est",
                n_in=f.residents_in,
                n_out=f.residents_out,
                unseen=f.residents_unseen,
                days=f"{ctx.scene.spec.people.retention_days:g}",
                reg=f.registered,
            )
        )
        vp = ctx.viewport
        if vp is None or vp.layers.view != "personnel":
            return
        flows = {e.device_id: e for e in f.entrances}
        ents = [d for d in self.entrances() if d.id in flows]
        per_h = np.array([flows[d.id].last_hour_in + flows[d.id].last_hour_out for d in ents])
        xy = np.array([[d.x, d.y] for d in ents]).reshape(-1, 2)
        vp.layers.people.set_entrances(xy, per_h)
        vp.layers.people.set_marks(np.array(marks).reshape(-1, 3), mark_colours)
        vp.layers.people.show()
        from twin.render.fonts import cjk_font

        vp.layers.show_labels(
            np.array([[d.x, d.y, d.z + 6.0] for d in ents]).reshape(-1, 3),
            [
                tr(
                    L,
                    "per_hour_in_out",
                    n_in=flows[d.id].last_hour_in,
                    n_out=flows[d.id].last_hour_out,
                )
                for d in ents
            ],
            size_px=16,
            font=cjk_font() if L == "zh" else None,
            priority=list(per_h),
        )

    def _fly(self, item: QtWidgets.QListWidgetItem) -> None:
        data = item.data(QtCore.Qt.ItemDataRole.UserRole)
        vp = self.ctx.viewport
        if not data or vp is None:
            return
        if data[0] == "device":
            d = self.ctx.devices.get(data[1])
            if d is not None:
                vp.fly_to_point(d.x, d.y, d.z, distance=110.0)
        elif data[0] == "point" and data[1]:
            x, y, z = data[1]
            vp.fly_to_point(x, y, z, distance=160.0)
