"""The planning view's panel (read-only): the audit's nine rules as pass / fail / n.a. cards,
road coverage, entrances seen, blind spots, the places to act on (click one: the scene flies
there), the DORI legend and the layer switches. The audit runs once, on the panel's own worker
thread, when the view is first opened; the GUI only lays out its result."""

from __future__ import annotations

import logging
import math
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from twin.core.errors import InputError
from twin.render.planlayers import DORI_COLOURS, LAYERS
from twin.shell import theme
from twin.shell.panels.base import Context, ViewPanel
from twin.shell.texts import tr
from twin.shell.widgets import Card, ColourList, cards_grid, section

log = logging.getLogger(__name__)

RULE_COLOURS = {
    "pass": theme.STATUS["ok"],
    "fail": theme.STATUS["alarm"],
    "no data": theme.STATUS["offline"],
}
RULE_WORD = {"pass": "rule_pass", "fail": "rule_fail", "no data": "rule_na"}


def rule_figure(rule: Any, lang: str) -> str:
    """One short line of a rule's figures in ``lang`` (its status when the data cannot
    decide)."""
    if rule.status == "no data":
        return tr(lang, "fig_na")
    f = dict(rule.figures)
    if rule.rule == 7:
        f["checked"] = sum(int(f.get(k, 0)) for k in ("public_areas", "hydrants", "fire_doors"))
        f["checked"] += int(f.get("lifts", 0))
        f["missing"] = len(rule.places)
    try:
        return tr(lang, f"fig_{rule.rule}", **f)
    except (KeyError, ValueError, TypeError):
        return str(rule.summary)


class RuleCard(QtWidgets.QFrame):
    """One rule: its verdict as a coloured badge, its short title and one line of figures;
    a click lists its failing places."""

    clicked = QtCore.Signal(int)

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number
        self.setObjectName("panel")
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        lay = QtWidgets.QGridLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setHorizontalSpacing(6)
        lay.setVerticalSpacing(0)
        self.badge = QtWidgets.QLabel("–")
        self.badge.setObjectName("badge")
        self.badge.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.figure = QtWidgets.QLabel()
        self.figure.setObjectName("muted")
        self.figure.setWordWrap(True)
        lay.addWidget(self.badge, 0, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.title, 0, 1)
        lay.addWidget(self.figure, 1, 0, 1, 2)
        lay.setColumnStretch(1, 1)
        self.status = ""

    def set(self, status: str, word: str, title: str, figure: str, tip: str) -> None:
        self.status = status
        colour = RULE_COLOURS.get(status, theme.STATUS["offline"])
        self.badge.setText(word)
        self.badge.setStyleSheet(f"background: {colour}; color: {theme.BG};")
        self.title.setText(f"{self.number}. {title}")
        self.figure.setText(figure)
        self.setToolTip(tip)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.clicked.emit(self.number)
        super().mousePressEvent(event)


class PlanningPanel(ViewPanel):
    name = "planning"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # the audit takes seconds: its own thread, so the situational views' analyses on the
        # shared pool never wait behind it
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="twin-plan")
        self._plan: Future[Any] | None = None
        self.audit: Any = None
        self.overlay: Any = None
        self.error: str | None = None
        self.state = QtWidgets.QLabel()
        self.state.setWordWrap(True)
        self.state.setStyleSheet(f"color: {theme.STATUS['warning']}; font-weight: 600;")
        self.body.addWidget(self.state)
        self.c_roads, self.c_ents, self.c_rules, self.c_blind = Card(), Card(), Card(), Card()
        self.cards = [self.c_roads, self.c_ents, self.c_rules, self.c_blind]
        self.body.addWidget(cards_grid(self.cards, 4))
        self.t_legend = QtWidgets.QLabel()
        self.t_legend.setObjectName("muted")
        self.body.addWidget(self.t_legend)
        legend = QtWidgets.QWidget()
        lg = QtWidgets.QGridLayout(legend)
        lg.setContentsMargins(0, 0, 0, 0)
        lg.setHorizontalSpacing(6)
        lg.setVerticalSpacing(2)
        self.legend: list[QtWidgets.QLabel] = []
        for k, colour in enumerate(DORI_COLOURS):
            swatch = QtWidgets.QLabel()
            swatch.setFixedSize(16, 16)
            swatch.setStyleSheet(f"background: {colour}; border: 1px solid {theme.BORDER};")
            text = QtWidgets.QLabel()
            lg.addWidget(swatch, 0, 2 * k)
            lg.addWidget(text, 0, 2 * k + 1)
            self.legend.append(text)
        for c in range(len(DORI_COLOURS)):
            lg.setColumnStretch(2 * c + 1, 1)
        self.body.addWidget(legend)
        self.t_rules = section()
        self.body.addWidget(self.t_rules)
        self.rule_cards = [RuleCard(n) for n in range(1, 10)]
        for c in self.rule_cards:
            c.clicked.connect(self.show_rule_places)
        self.body.addWidget(cards_grid(self.rule_cards, 2))
        self.t_places = section()
        self.body.addWidget(self.t_places)
        self.which = QtWidgets.QComboBox()
        self.which.currentIndexChanged.connect(lambda _i: self._fill_places())
        self.body.addWidget(self.which)
        self.places = ColourList(7)
        self.places.itemClicked.connect(self._place_clicked)
        self.body.addWidget(self.places)
        self.t_layers = section()
        self.body.addWidget(self.t_layers)
        grid = QtWidgets.QWidget()
        g = QtWidgets.QGridLayout(grid)
        g.setContentsMargins(0, 0, 0, 0)
        self.toggles: dict[str, QtWidgets.QCheckBox] = {}
        for i, name in enumerate(LAYERS):
            box = QtWidgets.QCheckBox()
            box.setChecked(True)
            box.toggled.connect(lambda on, n=name: self.set_layer(n, on))
            self.toggles[name] = box
            g.addWidget(box, i // 3, i % 3)
        self.fp_mode = QtWidgets.QComboBox()
        self.fp_mode.addItem("", False)
        self.fp_mode.addItem("", True)
        self.fp_mode.currentIndexChanged.connect(lambda _i: self._footprints())
        self.fp_label = QtWidgets.QLabel()
        g.addWidget(self.fp_label, 2, 0)
        g.addWidget(self.fp_mode, 2, 1, 1, 2)
        self.body.addWidget(grid)
        self.fp_hint = QtWidgets.QLabel()
        self.fp_hint.setObjectName("muted")
        self.fp_hint.setWordWrap(True)
        self.body.addWidget(self.fp_hint)
        self.body.addStretch(1)
        self.selected_camera: str | None = None
        self.retranslate()

    # -- the audit, off the GUI thread -----------------------------------------------------
    def _compute(self) -> tuple[Any, Any]:
        from twin.usecases.planning import audit_scene, planning_overlay

        audit = audit_scene(self.ctx.scene)
        return audit, planning_overlay(audit)

    def start(self) -> None:
        """Start the audit (once) on the panel's worker thread."""
        if self.audit is None and self._plan is None and self.error is None:
            self._plan = self._pool.submit(self._compute)
            self._say()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def wait_job(self, timeout: float = 10.0) -> None:
        if self._plan is not None:
            try:
                self._plan.result(timeout)
            except Exception:  # noqa: BLE001 - reported by _poll
                pass

    def _poll(self) -> bool:
        """Take the finished audit (True when one was applied now)."""
        job = self._plan
        if job is None or not job.done():
            return False
        self._plan = None
        try:
            self.audit, self.overlay = job.result()
        except InputError as exc:
            self.error = tr(self.lang, "plan_no_community") if "community" in str(exc) else str(exc)
        except Exception as exc:  # noqa: BLE001 - the view says so; the wall keeps running
            log.exception("planning audit failed")
            self.error = tr(self.lang, "plan_failed", error=exc)
        self._apply()
        return True

    # -- Qt --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        L = self.lang
        self.c_roads.label.setText(tr(L, "road_coverage"))
        self.c_ents.label.setText(tr(L, "entrances_seen"))
        self.c_rules.label.setText(tr(L, "rules_passing"))
        self.c_blind.label.setText(tr(L, "blind_spots"))
        self.t_rules.setText(tr(L, "rules"))
        self.t_places.setText(tr(L, "places"))
        self.t_legend.setText(tr(L, "dori_legend"))
        for k, text in enumerate(self.legend):
            text.setText(tr(L, f"dori_{k}"))
            text.setToolTip(tr(L, f"dori_tip_{k}"))
        self.fp_label.setText(tr(L, "fp_show"))
        self.t_layers.setText(tr(L, "layers"))
        for name, box in self.toggles.items():
            box.setText(tr(L, f"lay_{name}"))
        self.fp_mode.setItemText(0, tr(L, "fp_selected"))
        self.fp_mode.setItemText(1, tr(L, "fp_all"))
        self._apply()

    def activate(self) -> None:
        self.start()
        self.refresh()

    def refresh(self) -> None:
        if self._poll() and self.ctx.viewport is not None:
            self.ctx.viewport.render()

    def _say(self) -> None:
        if self.error:
            self.state.setText(self.error)
            self.state.setVisible(True)
        elif self.audit is None:
            self.state.setText(tr(self.lang, "plan_computing"))
            self.state.setVisible(self._plan is not None)
        else:
            self.state.setVisible(False)

    def _apply(self) -> None:
        """Cards, rules, places and layers from the audit (if there is one yet)."""
        self._say()
        a, ov, L = self.audit, self.overlay, self.lang
        if a is None or ov is None:
            for c in (self.c_roads, self.c_ents, self.c_rules, self.c_blind):
                c.set("–", theme.MUTED)
            return
        by = {r.rule: r for r in a.rules}
        roads = by.get(5)
        ok, alarm = theme.STATUS["ok"], theme.STATUS["alarm"]
        if ov.road_pct is None:
            self.c_roads.set("–", theme.STATUS["offline"])
        else:
            self.c_roads.set(
                f"{ov.road_pct:.1f} %",
                ok if roads is not None and roads.status == "pass" else alarm,
            )
        n_ent = len(ov.entrances)
        self.c_ents.set(
            f"{ov.entrances_seen} / {n_ent}" if n_ent else "–",
            ok if ov.entrances_seen == n_ent and n_ent else alarm if n_ent else theme.MUTED,
        )
        passing = sum(1 for r in a.rules if r.status == "pass")
        failing = sum(1 for r in a.rules if r.status == "fail")
        self.c_rules.set(f"{passing} / {len(a.rules)}", alarm if failing else ok)
        self.c_blind.set(str(len(a.blind)), alarm if a.blind else ok)
        self.c_blind.label.setText(
            f"{tr(L, 'blind_spots')}\n{tr(L, 'blind_area', area=ov.blind_m2)}"
        )
        from twin.report.texts import rule_summary

        for card in self.rule_cards:
            r = by.get(card.number)
            if r is None:
                card.set("no data", tr(L, "rule_na"), tr(L, f"rule_{card.number}"), "", "")
                continue
            card.set(
                r.status,
                tr(L, RULE_WORD.get(r.status, "rule_na")),
                tr(L, f"rule_{r.rule}"),
                rule_figure(r, L),
                f"{r.title(L)}\n{rule_summary(r, L)}",
            )
        keep = self.which.currentData()
        self.which.blockSignals(True)
        self.which.clear()
        self.which.addItem(tr(L, "place_gaps", m=ov.gap_report_m, n=len(ov.gaps)), 5)
        for r in a.rules:
            if r.status == "fail" and r.places and r.rule != 5:
                self.which.addItem(
                    tr(
                        L,
                        "place_rule",
                        n=r.rule,
                        title=tr(L, f"rule_{r.rule}"),
                        count=len(r.places),
                    ),
                    r.rule,
                )
        i = self.which.findData(keep)
        self.which.setCurrentIndex(max(i, 0))
        self.which.blockSignals(False)
        self._fill_places()
        vp = self.ctx.viewport
        if vp is not None and vp.layers.plan.data is not ov:
            vp.layers.plan.set_overlay(ov)
            for name, box in self.toggles.items():
                vp.layers.plan.set_wanted(name, box.isChecked())
            self._footprints()
            if vp.layers.view == "planning":
                self.frame_community()

    def community_pose(self) -> Any:
        """A camera framing the community's boundary (None before the audit)."""
        from twin.scene.tour import CameraPose

        ov, vp = self.overlay, self.ctx.viewport
        if ov is None or not ov.boundary_rings:
            return None
        xy = np.concatenate(ov.boundary_rings)
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        w, h = vp._size() if vp is not None else (16, 9)
        pitch = 60.0
        # the box's depth on screen shrinks with the pitch; 30 deg view angle, a margin
        span = max((x1 - x0) * h / max(w, 1), (y1 - y0) * math.sin(math.radians(pitch)))
        dist = 1.3 * span / (2 * math.tan(math.radians(15.0)))
        return CameraPose((x0 + x1) / 2, (y0 + y1) / 2, 0.0, max(dist, 120.0), 0.0, pitch)

    def frame_community(self, seconds: float = 1.2) -> None:
        """Fly the scene onto the community (once the audit is in)."""
        pose = self.community_pose()
        if pose is not None and self.ctx.viewport is not None:
            self.ctx.viewport.fly_to_pose(pose, seconds)

    def place_rows(self, rule: int) -> list[tuple[str, float, float, float]]:
        """(text, x, y, length or 0) of the places listed for ``rule`` (5: the road gaps)."""
        L = self.lang
        if self.audit is None or self.overlay is None:
            return []
        if rule == 5:
            return [
                (f"{g.name or tr(L, 'unnamed_road')}  ·  {g.length_m:.0f} m", g.x, g.y, g.length_m)
                for g in self.overlay.gaps
            ]
        r = next((r for r in self.audit.rules if r.rule == rule), None)
        if r is None:
            return []
        out = []
        for p in sorted(r.places, key=lambda p: -(p.length_m or 0)):
            text = p.name or p.id
            if p.length_m:
                text += f"  ·  {p.length_m:.0f} m"
            out.append((text, p.x, p.y, float(p.length_m or 0)))
        return out

    def _fill_places(self) -> None:
        rule = self.which.currentData()
        rows = self.place_rows(int(rule)) if rule is not None else []
        alarm = theme.STATUS["alarm"]
        self.places.set_rows([(t, alarm, (x, y, n)) for t, x, y, n in rows])
        notes = {}
        if rule is not None and int(rule) != 5 and self.audit is not None:
            r = next((r for r in self.audit.rules if r.rule == int(rule)), None)
            if r is not None:
                ps = sorted(r.places, key=lambda p: -(p.length_m or 0))
                notes = {i: p.note for i, p in enumerate(ps)}
        for i in range(self.places.count()):
            self.places.item(i).setToolTip(notes.get(i, ""))

    def show_rule_places(self, rule: int) -> None:
        """List the failing places of ``rule`` (a rule card was clicked)."""
        i = self.which.findData(rule)
        if i >= 0:
            self.which.setCurrentIndex(i)

    def _place_clicked(self, item: QtWidgets.QListWidgetItem) -> None:
        data = item.data(QtCore.Qt.ItemDataRole.UserRole)
        if data:
            self.fly_to_place(*data)

    def fly_to_place(self, x: float, y: float, length: float = 0.0) -> None:
        """Fly the scene to a place (its point on the ground) and ring it."""
        vp = self.ctx.viewport
        if vp is None:
            return
        vp.fly_to_point(x, y, 0.0, distance=max(90.0, min(2.5 * length, 400.0)))
        vp.layers.highlight(x, y, 0.5, max(6.0, min(length / 2, 40.0)))

    # -- layers ----------------------------------------------------------------------------
    def set_layer(self, name: str, on: bool) -> None:
        vp = self.ctx.viewport
        if name == "footprints":
            self.fp_mode.setEnabled(on)
        if vp is not None:
            vp.layers.plan.set_wanted(name, on)
            vp.render()

    def select_camera(self, camera_id: str | None) -> None:
        """The camera whose footprint the "selected camera" mode outlines."""
        self.selected_camera = camera_id
        self._footprints()

    def _footprints(self) -> None:
        L = self.lang
        all_cams = bool(self.fp_mode.currentData())
        self.fp_hint.setText("" if all_cams or self.selected_camera else tr(L, "fp_hint"))
        self.fp_hint.setVisible(not all_cams and not self.selected_camera)
        vp = self.ctx.viewport
        if vp is not None:
            vp.layers.plan.select_camera(self.selected_camera, all_cams)
            vp.render()
