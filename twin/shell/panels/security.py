"""The security view's panel. Security: cameras, the perimeter, fire and the emergency linkage of
an alarm."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.render.style import rgb
from twin.scene.catalogue import CATALOGUE, UP_STATUSES, online_rate_ok
from twin.scene.entities import Device
from twin.scene.people import ENTRANCE_KINDS
from twin.shell import theme
from twin.shell.panels.base import (
    FIRE_KINDS,
    Context,
    ViewPanel,
    kind_name,
    pct,
)
from twin.shell.texts import tr
from twin.shell.widgets import Card, ColourList, cards_grid, section


class SecurityPanel(ViewPanel):
    name = "security"
    linkage_changed = QtCore.Signal(object)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.c_cam, self.c_today, self.c_open, self.c_mtta = Card(), Card(), Card(), Card()
        self.body.addWidget(cards_grid([self.c_cam, self.c_today, self.c_open, self.c_mtta]))
        row = QtWidgets.QHBoxLayout()
        self.t_frusta = QtWidgets.QLabel()
        self.b_all = QtWidgets.QPushButton()
        self.b_all.setCheckable(True)
        self.b_all.toggled.connect(lambda _on: self.refresh())
        row.addWidget(self.t_frusta)
        row.addStretch(1)
        row.addWidget(self.b_all)
        self.body.addLayout(row)
        self.t_link = section()
        self.body.addWidget(self.t_link)
        self.link_where = QtWidgets.QLabel()
        self.link_where.setWordWrap(True)
        self.body.addWidget(self.link_where)
        self.t_cams = QtWidgets.QLabel()
        self.t_cams.setObjectName("muted")
        self.body.addWidget(self.t_cams)
        self.cams = ColourList(3)
        self.body.addWidget(self.cams)
        self.t_doors = QtWidgets.QLabel()
        self.t_doors.setObjectName("muted")
        self.body.addWidget(self.t_doors)
        self.doors = ColourList(3)
        self.body.addWidget(self.doors)
        self.t_gates = section()
        self.body.addWidget(self.t_gates)
        self.gates = ColourList(12, fit=True)
        self.body.addWidget(self.gates)
        self.body.addStretch(1)
        self.selected_camera: str | None = None
        self.linkage: dict[str, Any] | None = None
        self._slow_at = 0.0
        self._rates: dict[str, tuple[int, int]] = {}
        """Entrance -> (entries, exits) in the last hour (from the slow refresh)."""
        self.retranslate()

    def retranslate(self) -> None:
        L = self.lang
        self.c_cam.label.setText(tr(L, "camera_online"))
        self.c_today.label.setText(tr(L, "alarms_today"))
        self.c_open.label.setText(tr(L, "open_events"))
        self.c_mtta.label.setText(tr(L, "mtta"))
        self.t_frusta.setText(tr(L, "frusta") + ":")
        self.b_all.setText(tr(L, "frusta_all") if self.b_all.isChecked() else tr(L, "frusta_alarm"))
        self.t_link.setText(tr(L, "linkage"))
        self.t_cams.setText(tr(L, "nearest_cameras"))
        self.t_doors.setText(tr(L, "fire_doors"))
        self.t_gates.setText(tr(L, "gates"))
        self._slow_at = 0.0

    def activate(self) -> None:
        self.refresh()

    def fire_alarm(self) -> Device | None:
        """The newest open fire or smoke alarm's device (emergency linkage target)."""
        ctx = self.ctx
        alarming = [
            d
            for d in ctx.scene.devices
            if d.kind in FIRE_KINDS and ctx.statuses.get(d.id) == "alarm"
        ]
        if not alarming:
            return None
        newest: dict[str, float] = {}
        for e in ctx.events.events(open_only=True, limit=2000):
            if e.kind in FIRE_KINDS:
                newest.setdefault(e.device_id, e.raised_at)
        return max(alarming, key=lambda d: newest.get(d.id, 0.0))

    def compute_linkage(self) -> dict[str, Any] | None:
        from twin.analysis.linkage import fire_doors_near, nearest_devices

        dev = self.fire_alarm()
        if dev is None:
            return None
        offline = {i for i, s in self.ctx.statuses.items() if s == "offline"}
        cams = nearest_devices(self.ctx.scene, dev.x, dev.y, "camera", 3, offline)
        doors = fire_doors_near(self.ctx.scene, dev.x, dev.y)
        return {"device": dev, "cameras": cams, "doors": doors}

    def refresh(self) -> None:
        ctx, L = self.ctx, self.lang
        self.b_all.setText(tr(L, "frusta_all") if self.b_all.isChecked() else tr(L, "frusta_alarm"))
        cams = ctx.scene.devices_of("camera")
        st = ctx.statuses
        up = sum(1 for c in cams if st.get(c.id) in UP_STATUSES)
        known = sum(1 for c in cams if st.get(c.id, "unknown") != "unknown")
        self.c_cam.set(
            pct(up, known),
            theme.STATUS["ok"] if online_rate_ok(up, known) else theme.STATUS["warning"],
        )
        self.linkage = self.compute_linkage()
        link = self.linkage
        shown: list[Device] = []
        if self.b_all.isChecked():
            shown = cams
        else:
            ids = {c.id for c in cams if st.get(c.id) == "alarm"}
            if self.selected_camera:
                ids.add(self.selected_camera)
            if link:
                ids |= {c.id for c, _ in link["cameras"]}
            shown = [c for c in cams if c.id in ids]
        colours = np.array(
            [rgb(theme.status_colour(st.get(c.id, "unknown"))) for c in shown], dtype=np.uint8
        ).reshape(-1, 3)
        if ctx.viewport is not None and ctx.viewport.layers.view == "security":
            ctx.viewport.layers.show_frusta(shown, colours)
        if link:
            dev = link["device"]
            self.link_where.setText(dev.label(kind_name(dev.kind, L), L))
            self.link_where.setStyleSheet(f"color: {theme.STATUS['alarm']}; font-weight: 700;")
            self.cams.set_rows(
                [
                    (
                        f"{c.where(L) or c.name or c.id}  {d:.0f} m",
                        theme.status_colour(st.get(c.id, "unknown")),
                        c.id,
                    )
                    for c, d in link["cameras"]
                ]
            )
            rows = []
            for door, d in link["doors"]:
                is_open = bool(ctx.readings.get(door.id, {}).get("open"))
                rows.append(
                    (
                        f"{door.where(L) or door.name or door.id}  {d:.0f} m  "
                        f"{tr(L, 'door_open') if is_open else tr(L, 'door_closed')}",
                        theme.STATUS["alarm"] if is_open else theme.STATUS["ok"],
                        door.id,
                    )
                )
            self.doors.set_rows(rows)
        else:
            self.link_where.setText(tr(L, "linkage_none"))
            self.link_where.setStyleSheet(f"color: {theme.STATUS['ok']};")
            self.cams.set_rows([])
            self.doors.set_rows([])
        for w in (self.t_cams, self.cams, self.t_doors, self.doors):
            w.setVisible(bool(link))  # no empty boxes while nothing burns
        gates = [d for d in ctx.scene.devices if d.kind in ENTRANCE_KINDS]
        rates = self._rates
        self.gates.set_rows(
            [
                (
                    f"{g.label(kind_name(g.kind, L), L)}\n    "
                    + (
                        tr(L, "per_hour_in_out", n_in=rates[g.id][0], n_out=rates[g.id][1])
                        if g.id in rates
                        else tr(L, "no_data")
                    ),
                    theme.status_colour(st.get(g.id, "unknown")),
                    g.id,
                )
                for g in gates[:50]
            ]
        )
        if time.monotonic() - self._slow_at > 5:
            self._slow_at = time.monotonic()
            now = ctx.now()
            from twin.analysis.people import entries_per_hour

            self._rates = entries_per_hour(ctx.events, ctx.history, [g.id for g in gates], now)
            today = ctx.day_start(now)
            evs = ctx.events.events(since=today - 86400 * 6)
            sec = [
                e
                for e in evs
                if CATALOGUE.get(e.kind) is not None and CATALOGUE[e.kind].group == "security"
            ]
            self.c_today.set(str(sum(1 for e in sec if e.raised_at >= today)))
            n_open = sum(1 for e in sec if e.status != "closed")
            self.c_open.set(str(n_open), theme.STATUS["alarm"] if n_open else theme.STATUS["ok"])
            waits = [
                e.acknowledged_at - e.raised_at
                for e in evs
                if e.acknowledged_at and e.raised_at >= today - 86400 * 6
            ]
            self.c_mtta.set(_duration(float(np.mean(waits))) if waits else "–")


def _duration(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


# -- parking -------------------------------------------------------------------------------
