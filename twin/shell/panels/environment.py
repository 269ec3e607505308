"""The environment view's panel. Environment: air and noise against the standards, the surface,
bins, manholes."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtWidgets

from twin.core.i18n import pick
from twin.render.style import rgb
from twin.shell import theme
from twin.shell.panels.base import (
    Context,
    ViewPanel,
)
from twin.shell.texts import tr
from twin.shell.widgets import Card, ColourList, cards_grid, section


def level_colour(value: float | None, warn: float, alarm: float) -> str:
    if value is None:
        return theme.STATUS["offline"]
    return (
        theme.STATUS["alarm"]
        if value >= alarm
        else theme.STATUS["warning"]
        if value >= warn
        else theme.STATUS["ok"]
    )


WATER_WARN_CM, WATER_ALARM_CM = 20.0, 50.0
SURFACE_CELLS = 12_000
"""Cells of the environment surface: fine enough for a community (about 15 m cells over 1.7 km),
light enough to draw translucent in a software-GL frame."""
BIN_WARN_PCT, BIN_ALARM_PCT = 80.0, 95.0


class EnvironmentPanel(ViewPanel):
    name = "environment"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        from twin.analysis.environment import QUANTITIES

        row = QtWidgets.QHBoxLayout()
        self.t_q = QtWidgets.QLabel()
        self.combo = QtWidgets.QComboBox()
        for q in QUANTITIES:
            self.combo.addItem(q, q)
        self.combo.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        row.addWidget(self.t_q)
        row.addWidget(self.combo, 1)
        self.body.addLayout(row)
        self.c_mean, self.c_max, self.c_n = Card(), Card(), Card()
        self.body.addWidget(cards_grid([self.c_mean, self.c_max, self.c_n], 3))
        self.t_legend = section()
        self.body.addWidget(self.t_legend)
        self.legend = ColourList(5)
        self.body.addWidget(self.legend)
        self.t_water = section()
        self.body.addWidget(self.t_water)
        self.water = ColourList(5)
        self.body.addWidget(self.water)
        self.t_bins = section()
        self.body.addWidget(self.t_bins)
        self.bins = ColourList(5)
        self.body.addWidget(self.bins)
        self.body.addStretch(1)
        self.grid: Any = None
        self.retranslate()

    @property
    def quantity_name(self) -> str:
        return str(self.combo.currentData())

    def set_quantity(self, name: str) -> None:
        i = self.combo.findData(name)
        if i >= 0:
            self.combo.setCurrentIndex(i)

    def retranslate(self) -> None:
        from twin.analysis.environment import QUANTITIES
        from twin.render.heatmap import legend_stops

        L = self.lang
        self.t_q.setText(tr(L, "quantity"))
        for i in range(self.combo.count()):
            q = QUANTITIES[self.combo.itemData(i)]
            self.combo.setItemText(i, f"{pick(L, q.label_en, q.label_zh)} ({q.unit})")
        self.c_mean.label.setText(tr(L, "mean"))
        self.c_max.label.setText(tr(L, "max"))
        self.c_n.label.setText(tr(L, "samples"))
        self.t_legend.setText(tr(L, "legend"))
        self.legend.set_rows(
            [(t, c, None) for t, c in legend_stops(QUANTITIES[self.quantity_name], L)]
        )
        self.t_water.setText(tr(L, "water_levels"))
        self.t_bins.setText(tr(L, "bin_fill"))

    def activate(self) -> None:
        self.refresh(force=True)

    def _interpolate(
        self, name: str, readings: dict[str, dict[str, Any]], statuses: dict[str, str]
    ) -> Any:
        from twin.analysis.environment import QUANTITIES, interpolate, samples

        q = QUANTITIES[name]
        xy, values = samples(self.ctx.scene, readings, q.reading, statuses)
        b = self.ctx.scene.bounds()
        return (
            name,
            xy,
            values,
            interpolate(xy, values, (b[0], b[1], b[2], b[3]), max_cells=SURFACE_CELLS),
        )

    def refresh(self, force: bool = False) -> None:
        from twin.analysis.environment import QUANTITIES, band
        from twin.render.heatmap import legend_stops

        ctx, L = self.ctx, self.lang
        q = QUANTITIES[self.quantity_name]
        if force:
            self.legend.set_rows([(t, c, None) for t, c in legend_stops(q, L)])
        name = self.quantity_name
        readings, statuses = dict(ctx.readings), dict(ctx.statuses)
        done = self.run_job(lambda: self._interpolate(name, readings, statuses), 10.0, force)
        if done is not None and done[0] == self.quantity_name:
            _, xy, values, self.grid = done
            if len(values):
                mean, vmax = float(np.mean(values)), float(np.max(values))
                self.c_mean.set(f"{mean:.0f}", theme.STATUS[band(mean, q)])
                self.c_max.set(f"{vmax:.0f}", theme.STATUS[band(vmax, q)])
            else:
                self.c_mean.set("–")
                self.c_max.set("–")
            self.c_n.set(str(len(values)))
            if ctx.viewport is not None and ctx.viewport.layers.view == "environment":
                ctx.viewport.layers.show_surface(self.grid, q)
        manholes = ctx.scene.devices_of("manhole")
        bins = ctx.scene.devices_of("trash_bin")
        vp = ctx.viewport
        water = [(m, _num(ctx.readings.get(m.id, {}).get("water_level_cm"))) for m in manholes]
        fill = [(b, _num(ctx.readings.get(b.id, {}).get("fill_pct"))) for b in bins]
        self.water.set_rows(
            [
                (
                    f"{m.where(L) or m.name or m.id}  {v:.0f} cm",
                    level_colour(v, WATER_WARN_CM, WATER_ALARM_CM),
                    m.id,
                )
                for m, v in sorted((p for p in water if p[1] is not None), key=lambda p: -p[1])[:8]
            ]
        )
        self.bins.set_rows(
            [
                (
                    f"{b.where(L) or b.name or b.id}  {v:.0f} %",
                    level_colour(v, BIN_WARN_PCT, BIN_ALARM_PCT),
                    b.id,
                )
                for b, v in sorted((p for p in fill if p[1] is not None), key=lambda p: -p[1])[:8]
            ]
        )
        if vp is not None and vp.layers.view == "environment":
            if manholes:
                vp.override_colours(
                    "manhole",
                    np.array(
                        [
                            rgb(_level_or_status(ctx, m.id, v, WATER_WARN_CM, WATER_ALARM_CM))
                            for m, v in water
                        ],
                        dtype=np.uint8,
                    ),
                )
            if bins:
                vp.override_colours(
                    "trash_bin",
                    np.array(
                        [
                            rgb(_level_or_status(ctx, b.id, v, BIN_WARN_PCT, BIN_ALARM_PCT))
                            for b, v in fill
                        ],
                        dtype=np.uint8,
                    ),
                )


def _level_or_status(
    ctx: Context, device_id: str, value: float | None, warn: float, alarm: float
) -> str:
    st = ctx.statuses.get(device_id, "unknown")
    if st in ("offline", "unknown", "alarm"):
        return theme.status_colour(st)
    return level_colour(value, warn, alarm)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


# -- energy --------------------------------------------------------------------------------
