"""The five situational views: what each puts on the scene and its panel of key figures and
charts. Slow work (interpolation, history queries) runs on a worker thread; the GUI applies
the result when it is ready."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.core.i18n import pick
from twin.render.status import STATUS_STYLE
from twin.render.style import rgb
from twin.scene.catalogue import CATALOGUE, UP_STATUSES, online_rate_ok
from twin.scene.entities import Device
from twin.scene.scene import Scene
from twin.shell import theme
from twin.shell.texts import tr
from twin.shell.widgets import BarChart, Card, ColourList, cards_grid, section
from twin.state.events import EventStore
from twin.state.history import HistoryStore

FIRE_KINDS = ("smoke_detector", "fire_alarm")
THEMES = ("security", "municipal", "property")
THEME_NAMES = {"security": ("Security & fire", "安防消防"), "municipal": ("Municipal", "市政"),
               "property": ("Property", "物业")}


@dataclass
class Context:
    """What every view reads: the scene, the live state as the GUI knows it, the stores."""

    scene: Scene
    viewport: Any
    events: EventStore
    history: HistoryStore | None
    tz: tzinfo | None
    lang: str
    now: Any
    """Callable returning the scene's current time (sim, replay or wall time)."""
    statuses: dict[str, str] = field(default_factory=dict)
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="twin-view"))

    @cached_property
    def devices(self) -> dict[str, Device]:
        """Device id -> device."""
        return {d.id: d for d in self.scene.devices}

    @cached_property
    def meter_buildings(self) -> dict[str, int]:
        """Meter id -> index of its building (computed once, on first use)."""
        from twin.analysis.energy import meter_buildings

        return meter_buildings(self.scene)

    def day_start(self, now: float) -> float:
        dt = datetime.fromtimestamp(now, self.tz) if self.tz else datetime.fromtimestamp(now).astimezone()
        return dt.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def month_start(self, now: float) -> float:
        dt = datetime.fromtimestamp(now, self.tz) if self.tz else datetime.fromtimestamp(now).astimezone()
        return dt.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def pct(n: float, d: float) -> str:
    return f"{100.0 * n / d:.0f} %" if d else "–"


def kind_name(kind: str, lang: str) -> str:
    return CATALOGUE[kind].display_name(lang) if kind in CATALOGUE else kind


class ViewPanel(QtWidgets.QScrollArea):
    """Base: a scrolling column of sections; subclasses fill it."""

    name = "overview"

    def __init__(self, ctx: Context) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        body = QtWidgets.QWidget()
        self.body = QtWidgets.QVBoxLayout(body)
        self.body.setContentsMargins(6, 6, 6, 6)
        self.body.setSpacing(8)
        self.setWidget(body)
        self._job: Future[Any] | None = None
        self._job_at = 0.0

    @property
    def lang(self) -> str:
        return self.ctx.lang

    def retranslate(self) -> None:
        """Texts in ``ctx.lang``."""

    def activate(self) -> None:
        """The view became current: put its layers on the scene."""

    def refresh(self) -> None:
        """Figures and layers from ``ctx`` (called about once a second)."""

    def run_job(self, fn: Any, every_s: float, force: bool = False) -> Any:
        """Run ``fn`` on the worker thread at most every ``every_s``; returns a finished
        result once (then None until the next one finishes)."""
        if self._job is not None and self._job.done():
            job, self._job = self._job, None
            try:
                return job.result()
            except Exception:  # noqa: BLE001 - a failed analysis leaves the last picture
                import logging

                logging.getLogger(__name__).exception("view analysis failed")
                return None
        if self._job is None and (force or time.monotonic() - self._job_at >= every_s):
            self._job_at = time.monotonic()
            self._job = self.ctx.pool.submit(fn)
        return None

    def wait_job(self, timeout: float = 10.0) -> None:
        """Tests and screenshots: let the running analysis finish."""
        if self._job is not None:
            self._job.result(timeout)


# -- overview ------------------------------------------------------------------------------
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
        self.c_online.set(pct(up, reporting), theme.STATUS["ok"] if online_rate_ok(up, reporting)
                          else theme.STATUS["warning"])
        n_open = len(ctx.events.events(open_only=True))
        self.c_open.set(str(n_open), theme.STATUS["alarm"] if n_open else theme.STATUS["ok"])
        self.c_devices.set(f"{len(devs):,}")
        # status by theme, stacked in the five colours
        per = {t: Counter() for t in THEMES}
        for d in devs:
            per[CATALOGUE[d.kind].group][ctx.statuses.get(d.id, "unknown")] += 1
        x = np.arange(len(THEMES))
        stacks = [(np.array([per[t].get(s, 0) for t in THEMES]), theme.STATUS[STATUS_STYLE[s]])
                  for s in ("online", "fault", "alarm", "offline", "unknown")]
        self.themes.set_bars(x, stacks, ticks=[(i, pick(L, *THEME_NAMES[t])) for i, t in enumerate(THEMES)])
        kinds = Counter(d.kind for d in devs)
        bad = Counter(d.kind for d in devs if ctx.statuses.get(d.id) in ("alarm", "fault", "offline"))
        alarm = {d.kind for d in devs if ctx.statuses.get(d.id) == "alarm"}
        rows = []
        for k, n in sorted(kinds.items(), key=lambda kv: (kv[0] not in alarm, -bad[kv[0]], -kv[1])):
            colour = theme.STATUS["alarm"] if k in alarm else theme.STATUS["warning"] if bad[k] else theme.STATUS["ok"]
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
            self.hours.set_bars(xs, [(sev[s], theme.SEVERITY[s]) for s in ("critical", "major", "minor", "info")],
                                ticks=[(0, "-24h"), (12, "-12h"), (23, pick(L, "now", "现在"))])


# -- security ------------------------------------------------------------------------------
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
        self.gates = ColourList(4)
        self.body.addWidget(self.gates)
        self.body.addStretch(1)
        self.selected_camera: str | None = None
        self.linkage: dict[str, Any] | None = None
        self._slow_at = 0.0
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
        alarming = [d for d in ctx.scene.devices if d.kind in FIRE_KINDS and ctx.statuses.get(d.id) == "alarm"]
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
        self.c_cam.set(pct(up, known), theme.STATUS["ok"] if online_rate_ok(up, known) else theme.STATUS["warning"])
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
        colours = np.array([rgb(theme.status_colour(st.get(c.id, "unknown"))) for c in shown],
                           dtype=np.uint8).reshape(-1, 3)
        if ctx.viewport is not None and ctx.viewport.layers.view == "security":
            ctx.viewport.layers.show_frusta(shown, colours)
        if link:
            dev = link["device"]
            self.link_where.setText(f"{kind_name(dev.kind, L)} {dev.name or dev.id}")
            self.link_where.setStyleSheet(f"color: {theme.STATUS['alarm']}; font-weight: 700;")
            self.cams.set_rows([(f"{c.name or c.id}  {d:.0f} m", theme.status_colour(st.get(c.id, "unknown")), c.id)
                                for c, d in link["cameras"]])
            rows = []
            for door, d in link["doors"]:
                is_open = bool(ctx.readings.get(door.id, {}).get("open"))
                rows.append((f"{door.name or door.id}  {d:.0f} m  "
                             f"{tr(L, 'door_open') if is_open else tr(L, 'door_closed')}",
                             theme.STATUS["alarm"] if is_open else theme.STATUS["ok"], door.id))
            self.doors.set_rows(rows)
        else:
            self.link_where.setText(tr(L, "linkage_none"))
            self.link_where.setStyleSheet(f"color: {theme.STATUS['ok']};")
            self.cams.set_rows([])
            self.doors.set_rows([])
        gates = [d for d in ctx.scene.devices if d.kind in ("gate", "barrier")]
        self.gates.set_rows([
            (f"{kind_name(g.kind, L)} {g.name or g.id}: {tr(L, 'entries')} "
             f"{ctx.readings.get(g.id, {}).get('entries', '–')} / {tr(L, 'exits')} "
             f"{ctx.readings.get(g.id, {}).get('exits', '–')}", theme.status_colour(st.get(g.id, "unknown")), g.id)
            for g in gates[:50]])
        if time.monotonic() - self._slow_at > 5:
            self._slow_at = time.monotonic()
            now = ctx.now()
            today = ctx.day_start(now)
            evs = ctx.events.events(since=today - 86400 * 6)
            sec = [e for e in evs if CATALOGUE.get(e.kind) is not None and CATALOGUE[e.kind].group == "security"]
            self.c_today.set(str(sum(1 for e in sec if e.raised_at >= today)))
            n_open = sum(1 for e in sec if e.status != "closed")
            self.c_open.set(str(n_open), theme.STATUS["alarm"] if n_open else theme.STATUS["ok"])
            waits = [e.acknowledged_at - e.raised_at for e in evs if e.acknowledged_at and e.raised_at >= today - 86400 * 6]
            self.c_mtta.set(_duration(float(np.mean(waits))) if waits else "–")


def _duration(s: float) -> str:
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


# -- parking -------------------------------------------------------------------------------
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
        self.legend.set_rows([(tr(L, s), theme.PARKING[s], s) for s in ("free", "occupied", "booked", "unknown")])
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
        ok = s.charger_ratio is not None and s.charger_ratio >= CATALOGUE["charger"].rule_params["ratio_min"]
        self.c_ratio.set(f"{100 * s.charger_ratio:.0f} %" if s.charger_ratio is not None else "–",
                         theme.STATUS["ok"] if ok else theme.STATUS["warning"])
        rows = []
        for lot in sorted(s.lots, key=lambda lt: -(lt.spaces or 0)):
            if not lot.spaces:
                continue
            colour = theme.STATUS["ok"] if lot.free > max(1, 0.1 * lot.spaces) else (
                theme.STATUS["warning"] if lot.free else theme.STATUS["alarm"])
            rows.append((f"{lot_label(lot)}  {tr(L, 'free')} {lot.free} / {lot.spaces}", colour, lot.index))
        self.lots.set_rows(rows)
        order = ("idle", "charging", "fault", "offline", "unknown")
        n = np.array([s.chargers_by_state.get(k, 0) for k in order])
        self.chargers.set_bars(np.arange(len(order)), [(np.where(np.arange(len(order)) == i, n, 0), theme.CHARGER[k])
                                                       for i, k in enumerate(order)],
                               ticks=[(i, tr(L, k)) for i, k in enumerate(order)])
        vp = ctx.viewport
        if vp is None or vp.layers.view != "parking":
            return
        spaces = ctx.scene.devices_of("parking_space")
        if spaces:
            cols = np.array([rgb(theme.PARKING[space_state(ctx.readings.get(d.id, {}), ctx.statuses.get(d.id, "unknown"))])
                             for d in spaces], dtype=np.uint8)
            vp.override_colours("parking_space", cols)
        chargers = ctx.scene.devices_of("charger")
        if chargers:
            cols = np.array([rgb(theme.CHARGER[charger_state(ctx.readings.get(d.id), ctx.statuses.get(d.id, "unknown"))])
                             for d in chargers], dtype=np.uint8)
            vp.override_colours("charger", cols)
        labelled = [lt for lt in s.lots if lt.spaces]
        vp.layers.show_labels(np.array([[lt.x, lt.y, 6.0] for lt in labelled]).reshape(-1, 3),
                              [f"{lot_label(lt)}  {lt.free}/{lt.spaces}" for lt in labelled], size_px=16)

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
def level_colour(value: float | None, warn: float, alarm: float) -> str:
    if value is None:
        return theme.STATUS["offline"]
    return theme.STATUS["alarm"] if value >= alarm else theme.STATUS["warning"] if value >= warn else theme.STATUS["ok"]


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
        self.legend = ColourList(4)
        self.body.addWidget(self.legend)
        self.t_water = section()
        self.body.addWidget(self.t_water)
        self.water = ColourList(4)
        self.body.addWidget(self.water)
        self.t_bins = section()
        self.body.addWidget(self.t_bins)
        self.bins = ColourList(4)
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
        self.legend.set_rows([(t, c, None) for t, c in legend_stops(QUANTITIES[self.quantity_name], L)])
        self.t_water.setText(tr(L, "water_levels"))
        self.t_bins.setText(tr(L, "bin_fill"))

    def activate(self) -> None:
        self.refresh(force=True)

    def _interpolate(self, name: str, readings: dict[str, dict[str, Any]], statuses: dict[str, str]) -> Any:
        from twin.analysis.environment import QUANTITIES, interpolate, samples

        q = QUANTITIES[name]
        xy, values = samples(self.ctx.scene, readings, q.reading, statuses)
        b = self.ctx.scene.bounds()
        return name, xy, values, interpolate(xy, values, (b[0], b[1], b[2], b[3]), max_cells=SURFACE_CELLS)

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
        self.water.set_rows([(f"{m.name or m.id}  {v:.0f} cm", level_colour(v, WATER_WARN_CM, WATER_ALARM_CM), m.id)
                             for m, v in sorted((p for p in water if p[1] is not None), key=lambda p: -p[1])[:8]])
        self.bins.set_rows([(f"{b.name or b.id}  {v:.0f} %", level_colour(v, BIN_WARN_PCT, BIN_ALARM_PCT), b.id)
                            for b, v in sorted((p for p in fill if p[1] is not None), key=lambda p: -p[1])[:8]])
        if vp is not None and vp.layers.view == "environment":
            if manholes:
                vp.override_colours("manhole", np.array(
                    [rgb(_level_or_status(ctx, m.id, v, WATER_WARN_CM, WATER_ALARM_CM)) for m, v in water], dtype=np.uint8))
            if bins:
                vp.override_colours("trash_bin", np.array(
                    [rgb(_level_or_status(ctx, b.id, v, BIN_WARN_PCT, BIN_ALARM_PCT)) for b, v in fill], dtype=np.uint8))


def _level_or_status(ctx: Context, device_id: str, value: float | None, warn: float, alarm: float) -> str:
    st = ctx.statuses.get(device_id, "unknown")
    if st in ("offline", "unknown", "alarm"):
        return theme.status_colour(st)
    return level_colour(value, warn, alarm)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


# -- energy --------------------------------------------------------------------------------
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
        self.legend = ColourList(3)
        self.body.addWidget(self.legend)
        self.t_top = section()
        self.body.addWidget(self.t_top)
        self.top = ColourList(5)
        self.body.addWidget(self.top)
        self.t_abn = section()
        self.body.addWidget(self.t_abn)
        self.abnormal = ColourList(3)
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
        per_meter = usage(ctx.history, meters, reading, start, now) if ctx.history is not None and meters else {}
        per_building = by_building(ctx.scene, per_meter, mb)
        kwh = per_meter if reading == "kwh" else (
            usage(ctx.history, meters, "kwh", start, now) if ctx.history is not None and meters else {})
        leaks = night_flow(ctx.history, meters, now, ctx.tz) if ctx.history is not None and meters else []
        return {"reading": reading, "period": period, "per_meter": per_meter, "per_building": per_building,
                "kwh_total": float(sum(kwh.values())), "leaks": leaks}

    def refresh(self, force: bool = False) -> None:
        reading, period, now = str(self.q.currentData()), str(self.period.currentData()), float(self.ctx.now())
        done = self.run_job(lambda: self._compute(reading, period, now), 30.0, force)
        if done is not None and done["reading"] == self.q.currentData() and done["period"] == self.period.currentData():
            self.result = done
            self._show(done)
        elif self.result is not None and self.ctx.viewport is not None and self.ctx.viewport.layers.view == "energy" \
                and not self.ctx.viewport.layers.buildings_coloured:
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
        names = {i: (b.name or b.id) for i, b in enumerate(ctx.scene.buildings)}
        self.top.set_rows([(f"{names.get(i, i)}  {v:,.1f} {unit}", None, i) for i, v in top(per_b, 5)])
        leaks = r["leaks"]
        if leaks:
            dm = ctx.devices
            self.abnormal.set_rows([(f"{dm[m].name if m in dm else m}: {tr(L, 'night_flow', rate=rate)}",
                                     theme.STATUS["warning"], m) for m, rate in leaks])
        else:
            self.abnormal.set_rows([(tr(L, "abnormal_none"), theme.STATUS["ok"], None)])
        vp = ctx.viewport
        if vp is not None and vp.layers.view == "energy":
            values = np.full(len(ctx.scene.buildings), np.nan)
            for i, v in per_b.items():
                if 0 <= i < len(values):
                    values[i] = v
            vp.layers.colour_buildings(values, vmax or None)


PANELS: dict[str, type[ViewPanel]] = {
    "overview": OverviewPanel, "security": SecurityPanel, "parking": ParkingPanel,
    "environment": EnvironmentPanel, "energy": EnergyPanel,
}
