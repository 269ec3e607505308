"""The overview view's panel. Overview: the whole community's state and alarms at a glance."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from twin.core.i18n import pick
from twin.render.status import STATUS_STYLE
from twin.scene.catalogue import CATALOGUE, UP_STATUSES, online_rate_ok
from twin.shell import theme
from twin.shell.panels.base import (
    THEME_NAMES,
    THEMES,
    Context,
    ViewPanel,
    kind_name,
    pct,
)
from twin.shell.texts import tr
from twin.shell.widgets import BarChart, Card, ColourList, cards_grid, section


class OverviewPanel(ViewPanel):
    name = "overview"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.c_online, self.c_open, self.c_today, self.c_devices = Card(), Card(), Card(), Card()
        self.body.addWidget(cards_grid([self.c_online, self.c_open, self.c_today, self.c_devices]))
        self.t_theme = section()
        self.body.addWidget(self.t_theme)
        self.themes = BarChart(170)
        self.themes.setMaximumHeight(220)
        self.body.addWidget(self.themes)
        self.t_hours = section()
        self.body.addWidget(self.t_hours)
        self.hours = BarChart(150)
        self.hours.setMaximumHeight(180)
        self.body.addWidget(self.hours)
        self.kinds = ColourList(8)
        self.body.addWidget(self.kinds)
        self.body.addStretch(1)
        self._hours_at = 0.0
        self.retranslate()

    def retranslate(self) -> None:
        L = self.lang
        self.c_online.label.setText(tr(L, "devices_online"))
        self.c_open.label.setText(tr(L, "open_events"))
        self.c_today.label.setText(tr(L, "alarms_today"))
        self.c_devices.label.setText(pick(L, "Devices", "设备总数"))
        self.t_theme.setText(tr(L, "by_theme"))
        self.t_hours.setText(tr(L, "alarms_24h"))
        self._hours_at = 0.0

    def refresh(self) -> None:
        ctx, L = self.ctx, self.lang
        devs = ctx.scene.devices
        tally = Counter(ctx.statuses.get(d.id, "unknown") for d in devs)
        reporting = len(devs) - tally.get("unknown", 0)
        up = sum(tally.get(s, 0) for s in UP_STATUSES)
        self.c_online.set(
            pct(up, reporting),
            theme.STATUS["ok"] if online_rate_ok(up, reporting) else theme.STATUS["warning"],
        )
        n_open = len(ctx.events.events(open_only=True))
        self.c_open.set(str(n_open), theme.STATUS["alarm"] if n_open else theme.STATUS["ok"])
        self.c_devices.set(f"{len(devs):,}")
        # status by theme, stacked in the five colours
        per = {t: Counter() for t in THEMES}
        for d in devs:
            per[CATALOGUE[d.kind].group][ctx.statuses.get(d.id, "unknown")] += 1
        x = np.arange(len(THEMES))
        stacks = [
            (np.array([per[t].get(s, 0) for t in THEMES]), theme.STATUS[STATUS_STYLE[s]])
            for s in ("online", "fault", "alarm", "offline", "unknown")
        ]
        self.themes.set_bars(
            x, stacks, ticks=[(i, pick(L, *THEME_NAMES[t])) for i, t in enumerate(THEMES)]
        )
        kinds = Counter(d.kind for d in devs)
        bad = Counter(
            d.kind for d in devs if ctx.statuses.get(d.id) in ("alarm", "fault", "offline")
        )
        alarm = {d.kind for d in devs if ctx.statuses.get(d.id) == "alarm"}
        rows = []
        for k, n in sorted(kinds.items(), key=lambda kv: (kv[0] not in alarm, -bad[kv[0]], -kv[1])):
            colour = (
                theme.STATUS["alarm"]
                if k in alarm
                else theme.STATUS["warning"]
                if bad[k]
                else theme.STATUS["ok"]
            )
            rows.append((f"{kind_name(k, L)}  {n - bad[k]}/{n}", colour, k))
        self.kinds.set_rows(rows)
        if time.monotonic() - self._hours_at > 10:
            self._hours_at = time.monotonic()
            now = ctx.now()
            today = ctx.day_start(now)
            evs = ctx.events.events(since=min(today, now - 86400))
            self.c_today.set(str(sum(1 for e in evs if e.raised_at >= today)))
            counts = np.zeros(24)
            sev = {s: np.zeros(24) for s in ("critical", "major", "minor", "info")}
            for e in evs:
                h = int((now - e.raised_at) // 3600)
                if 0 <= h < 24:
                    sev.get(e.severity, sev["info"])[23 - h] += 1
                    counts[23 - h] += 1
            xs = np.arange(24)
            self.hours.set_bars(
                xs,
                [(sev[s], theme.SEVERITY[s]) for s in ("critical", "major", "minor", "info")],
                ticks=[(0, "-24h"), (12, "-12h"), (23, pick(L, "now", "现在"))],
            )


# -- security ------------------------------------------------------------------------------
