"""The energy view's panel. Energy: consumption by building, night flow and carbon."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtWidgets

from twin.shell import theme
from twin.shell.panels.base import (
    Context,
    ViewPanel,
)
from twin.shell.texts import tr
from twin.shell.widgets import Card, ColourList, cards_grid, section

ENERGY = (("electricity", "kwh", "kWh"), ("water", "water_m3", "m³"), ("gas", "gas_m3", "m³"))


class EnergyPanel(ViewPanel):
    name = "energy"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        row = QtWidgets.QHBoxLayout()
        self.q = QtWidgets.QComboBox()
        for key, reading, _unit in ENERGY:
            self.q.addItem(key, reading)
        self.period = QtWidgets.QComboBox()
        self.period.addItem("today", "today")
        self.period.addItem("this_month", "month")
        self.q.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.period.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        row.addWidget(self.q, 1)
        row.addWidget(self.period, 1)
        self.body.addLayout(row)
        self.c_total, self.c_carbon = Card(), Card()
        self.body.addWidget(cards_grid([self.c_total, self.c_carbon]))
        self.t_legend = section()
        self.body.addWidget(self.t_legend)
        self.legend = ColourList(6)
        self.body.addWidget(self.legend)
        self.t_top = section()
        self.body.addWidget(self.t_top)
        self.top = ColourList(5)
        self.body.addWidget(self.top)
        self.t_abn = section()
        self.body.addWidget(self.t_abn)
        self.abnormal = ColourList(5)
        self.body.addWidget(self.abnormal)
        self.body.addStretch(1)
        self.result: dict[str, Any] | None = None
        self.retranslate()

    def retranslate(self) -> None:
        L = self.lang
        for i, (key, _r, _u) in enumerate(ENERGY):
            self.q.setItemText(i, tr(L, key))
        self.period.setItemText(0, tr(L, "today"))
        self.period.setItemText(1, tr(L, "this_month"))
        self.c_total.label.setText(tr(L, "total"))
        self.c_carbon.label.setText(tr(L, "carbon"))
        self.t_legend.setText(tr(L, "legend"))
        self.t_top.setText(tr(L, "top_consumers"))
        self.t_abn.setText(tr(L, "abnormal"))
        if self.result:
            self._show(self.result)

    def activate(self) -> None:
        self.refresh(force=True)

    def _compute(self, reading: str, period: str, now: float) -> dict[str, Any]:
        from twin.analysis.energy import by_building, night_flow, usage

        ctx = self.ctx
        meters = [m.id for m in ctx.scene.devices_of("meter")]
        mb = ctx.meter_buildings
        start = ctx.day_start(now) if period == "today" else ctx.month_start(now)
        per_meter = (
            usage(ctx.history, meters, reading, start, now)
            if ctx.history is not None and meters
            else {}
        )
        per_building = by_building(ctx.scene, per_meter, mb)
        kwh = (
            per_meter
            if reading == "kwh"
            else (
                usage(ctx.history, meters, "kwh", start, now)
                if ctx.history is not None and meters
                else {}
            )
        )
        leaks = (
            night_flow(ctx.history, meters, now, ctx.tz)
            if ctx.history is not None and meters
            else []
        )
        return {
            "reading": reading,
            "period": period,
            "per_meter": per_meter,
            "per_building": per_building,
            "kwh_total": float(sum(kwh.values())),
            "leaks": leaks,
        }

    def refresh(self, force: bool = False) -> None:
        reading, period, now = (
            str(self.q.currentData()),
            str(self.period.currentData()),
            float(self.ctx.now()),
        )
        done = self.run_job(lambda: self._compute(reading, period, now), 30.0, force)
        if (
            done is not None
            and done["reading"] == self.q.currentData()
            and done["period"] == self.period.currentData()
        ):
            self.result = done
            self._show(done)
        elif (
            self.result is not None
            and self.ctx.viewport is not None
            and self.ctx.viewport.layers.view == "energy"
            and not self.ctx.viewport.layers.buildings_coloured
        ):
            self._show(self.result)

    def _show(self, r: dict[str, Any]) -> None:
        from twin.analysis.energy import carbon_kg, top

        ctx, L = self.ctx, self.lang
        unit = next(u for _k, rd, u in ENERGY if rd == r["reading"])
        per_b: dict[int, float] = r["per_building"]
        total = float(sum(r["per_meter"].values()))
        if not ctx.scene.devices_of("meter"):
            self.c_total.set("–", label=tr(L, "no_meters"))
        else:
            self.c_total.set(f"{total:,.1f} {unit}", label=tr(L, "total"))
        self.c_carbon.set(f"{carbon_kg(r['kwh_total']):,.0f} kg")
        vmax = max(per_b.values()) if per_b else 0.0
        from twin.render.heatmap import energy_legend

        self.legend.set_rows([(t, c, None) for t, c in energy_legend(vmax, unit, L)])
        names = {i: (b.name or b.address or b.id) for i, b in enumerate(ctx.scene.buildings)}
        self.top.set_rows(
            [(f"{names.get(i, i)}  {v:,.1f} {unit}", None, i) for i, v in top(per_b, 5)]
        )
        leaks = r["leaks"]
        if leaks:
            dm = ctx.devices
            self.abnormal.set_rows(
                [
                    (
                        f"{(dm[m].where(L) or dm[m].name) if m in dm else m}: "
                        f"{tr(L, 'night_flow', rate=rate)}",
                        theme.STATUS["warning"],
                        m,
                    )
                    for m, rate in leaks
                ]
            )
        else:
            self.abnormal.set_rows([(tr(L, "abnormal_none"), theme.STATUS["ok"], None)])
        vp = ctx.viewport
        if vp is not None and vp.layers.view == "energy":
            values = np.full(len(ctx.scene.buildings), np.nan)
            for i, v in per_b.items():
                if 0 <= i < len(values):
                    values[i] = v
            vp.layers.colour_buildings(values, vmax or None)
