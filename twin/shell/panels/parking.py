"""The parking view's panel. Parking: lots, occupancy, chargers and the nearest free space."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtWidgets

from twin.render.style import rgb
from twin.scene.catalogue import CATALOGUE
from twin.scene.entities import Device
from twin.shell import theme
from twin.shell.panels.base import (
    Context,
    ViewPanel,
    kind_name,
)
from twin.shell.texts import tr
from twin.shell.widgets import BarChart, Card, ColourList, cards_grid, section


class ParkingPanel(ViewPanel):
    name = "parking"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.c_occ, self.c_free, self.c_util, self.c_ratio = Card(), Card(), Card(), Card()
        self.body.addWidget(cards_grid([self.c_occ, self.c_free, self.c_util, self.c_ratio]))
        self.hint = QtWidgets.QLabel()
        self.hint.setWordWrap(True)
        self.body.addWidget(self.hint)
        self.t_lots = section()
        self.body.addWidget(self.t_lots)
        self.lots = ColourList(7)
        self.body.addWidget(self.lots)
        self.t_chargers = section()
        self.body.addWidget(self.t_chargers)
        self.chargers = BarChart(120)
        self.chargers.setMaximumHeight(150)
        self.body.addWidget(self.chargers)
        self.legend = ColourList(4)
        self.body.addWidget(self.legend)
        self.body.addStretch(1)
        self._lots_index: np.ndarray | None = None
        self.summary: Any = None
        self.nearest: tuple[Device, float] | None = None
        self.retranslate()

    def retranslate(self) -> None:
        L = self.lang
        self.c_occ.label.setText(tr(L, "occupancy"))
        self.c_free.label.setText(tr(L, "free_spaces"))
        self.c_util.label.setText(tr(L, "charger_util"))
        self.c_ratio.label.setText(f"{tr(L, 'charger_ratio')} ({tr(L, 'charger_ratio_rule')})")
        self.t_lots.setText(tr(L, "lots"))
        self.t_chargers.setText(kind_name("charger", L))
        self.legend.set_rows(
            [(tr(L, s), theme.PARKING[s], s) for s in ("free", "occupied", "booked", "unknown")]
        )
        self._show_nearest()

    def lots_index(self) -> np.ndarray:
        if self._lots_index is None:
            from twin.analysis.parking import lots_of_spaces

            self._lots_index = lots_of_spaces(self.ctx.scene)
        return self._lots_index

    def activate(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        from twin.analysis.parking import charger_state, space_state, summarise

        ctx, L = self.ctx, self.lang
        s = summarise(ctx.scene, ctx.readings, ctx.statuses, self.lots_index())
        self.summary = s
        self.c_occ.set(f"{s.occupancy_pct:.0f} %" if s.occupancy_pct is not None else "–")
        self.c_free.set(f"{s.free}", theme.STATUS["ok"] if s.free else theme.STATUS["alarm"])
        self.c_util.set(f"{100 * s.utilisation:.0f} %" if s.utilisation is not None else "–")
        ok = (
            s.charger_ratio is not None
            and s.charger_ratio >= CATALOGUE["charger"].rule_params["ratio_min"]
        )
        self.c_ratio.set(
            f"{100 * s.charger_ratio:.0f} %" if s.charger_ratio is not None else "–",
            theme.STATUS["ok"] if ok else theme.STATUS["warning"],
        )
        rows = []
        for lot in sorted(s.lots, key=lambda lt: -(lt.spaces or 0)):
            if not lot.spaces:
                continue
            colour = (
                theme.STATUS["ok"]
                if lot.free > max(1, 0.1 * lot.spaces)
                else (theme.STATUS["warning"] if lot.free else theme.STATUS["alarm"])
            )
            rows.append(
                (f"{lot_label(lot)}  {tr(L, 'free')} {lot.free} / {lot.spaces}", colour, lot.index)
            )
        self.lots.set_rows(rows)
        order = ("idle", "charging", "fault", "offline", "unknown")
        n = np.array([s.chargers_by_state.get(k, 0) for k in order])
        self.chargers.set_bars(
            np.arange(len(order)),
            [
                (np.where(np.arange(len(order)) == i, n, 0), theme.CHARGER[k])
                for i, k in enumerate(order)
            ],
            ticks=[(i, tr(L, k)) for i, k in enumerate(order)],
        )
        vp = ctx.viewport
        if vp is None or vp.layers.view != "parking":
            return
        spaces = ctx.scene.devices_of("parking_space")
        if spaces:
            cols = np.array(
                [
                    rgb(
                        theme.PARKING[
                            space_state(
                                ctx.readings.get(d.id, {}), ctx.statuses.get(d.id, "unknown")
                            )
                        ]
                    )
                    for d in spaces
                ],
                dtype=np.uint8,
            )
            vp.override_colours("parking_space", cols)
        chargers = ctx.scene.devices_of("charger")
        if chargers:
            cols = np.array(
                [
                    rgb(
                        theme.CHARGER[
                            charger_state(ctx.readings.get(d.id), ctx.statuses.get(d.id, "unknown"))
                        ]
                    )
                    for d in chargers
                ],
                dtype=np.uint8,
            )
            vp.override_colours("charger", cols)
        labelled = [lt for lt in s.lots if lt.spaces]
        vp.layers.show_labels(
            np.array([[lt.x, lt.y, 6.0] for lt in labelled]).reshape(-1, 3),
            [f"{lot_label(lt)}  {lt.free}/{lt.spaces}" for lt in labelled],
            size_px=16,
            priority=[lt.spaces for lt in labelled],  # where labels collide, the larger car park
        )

    def find_nearest_free(self, x: float, y: float) -> tuple[Device, float] | None:
        from twin.analysis.parking import nearest_free

        self.nearest = nearest_free(self.ctx.scene, x, y, self.ctx.readings, self.ctx.statuses)
        self._show_nearest()
        return self.nearest

    def _show_nearest(self) -> None:
        L = self.lang
        if self.nearest is None:
            self.hint.setText(tr(L, "nearest_free"))
            self.hint.setStyleSheet("")
        else:
            dev, dist = self.nearest
            self.hint.setText(tr(L, "nearest_free_at", name=dev.name or dev.id, dist=dist))
            self.hint.setStyleSheet(f"color: {theme.STATUS['ok']}; font-weight: 700;")


def lot_label(lot: Any) -> str:
    """A car park's short name on the map and in the list: its own, else P and its number."""
    return lot.name if lot.name else f"P{lot.index + 1}"


# -- environment ---------------------------------------------------------------------------
