"""The planning view's panel: road coverage, entrances seen, rules passing and blind spots as
cards (the original layout's figures beside them on "compare"); undo / redo; the nine rules as
pass / fail / n.a. cards with the places to act on (click one: the scene flies there); the
selected camera's editor; suggestions; keep / discard / report; the layer switches.

The planning session (``twin.usecases.planning_session``) is made on the panel's own worker
thread when the view is first opened. Edits run on the GUI thread (a few milliseconds: only
the changed camera is recomputed) and redraw at once; the nine rules are re-run on a copy of
the layout on the worker, so the rule cards follow a drag a fraction of a second behind.
Suggestions and the report run on a second worker."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from twin.core.errors import InputError
from twin.render.planlayers import DORI_COLOURS, LAYERS
from twin.scene.catalogue import CAMERA_DEFAULTS
from twin.shell import theme
from twin.shell.panels.base import Context, ViewPanel
from twin.shell.panels.planning_edits import PlanEdits
from twin.shell.panels.planning_tools import CameraEditor, CompareTable, KeepBox, SuggestBox
from twin.shell.planedit import PlanMouse
from twin.shell.texts import tr
from twin.shell.widgets import Card, ColourList, cards_grid, section

log = logging.getLogger(__name__)

RULE_COLOURS = {
    "pass": theme.STATUS["ok"],
    "fail": theme.STATUS["alarm"],
    "no data": theme.STATUS["offline"],
}
RULES_REST_MS = 250
"""While dragging, the rules are re-run once the mouse has rested this long."""
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


class PlanningPanel(PlanEdits, ViewPanel):
    name = "planning"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # the session takes seconds to make: its own threads, so the situational views'
        # analyses on the shared pool never wait behind it; rules on one, suggestions and the
        # report on the other
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="twin-plan")
        self._side = ThreadPoolExecutor(1, thread_name_prefix="twin-plan-side")
        self._plan: Future[Any] | None = None
        self._rules_job: Future[Any] | None = None
        self._rules_stale = False
        self._side_job: tuple[str, Future[Any], Any] | None = None
        self.session: Any = None
        self.overlays: Any = None
        self.audit: Any = None
        """The last audit of the planned layout (rule cards, blind spots)."""
        self.audit0: Any = None
        """The audit of the layout as it was."""
        self.overlay: Any = None
        self.error: str | None = None
        self.ghosts: list[Any] = []
        self.ghost_goal = "roads"
        self.adding_sub: str | None = None
        self.selected_camera: str | None = None
        self._turning = False
        self._mount_on = ""
        self.state = QtWidgets.QLabel()
        self.state.setWordWrap(True)
        self.state.setStyleSheet(f"color: {theme.STATUS['warning']}; font-weight: 600;")
        self.body.addWidget(self.state)
        self.c_roads, self.c_ents, self.c_rules, self.c_blind = Card(), Card(), Card(), Card()
        self.cards = [self.c_roads, self.c_ents, self.c_rules, self.c_blind]
        self.body.addWidget(cards_grid(self.cards, 4))
        # the what-if bar
        bar = QtWidgets.QHBoxLayout()
        self.b_undo, self.b_redo = QtWidgets.QPushButton(), QtWidgets.QPushButton()
        self.b_compare, self.b_add = QtWidgets.QPushButton(), QtWidgets.QPushButton()
        self.b_compare.setCheckable(True)
        self.b_add.setCheckable(True)
        self.add_kind = QtWidgets.QComboBox()
        for sub in CAMERA_DEFAULTS:
            self.add_kind.addItem(sub, sub)
        for w in (self.b_undo, self.b_redo, self.b_compare, self.b_add, self.add_kind):
            bar.addWidget(w)
        self.b_undo.clicked.connect(self.undo)
        self.b_redo.clicked.connect(self.redo)
        self.b_compare.toggled.connect(lambda _on: self._compare())
        self.b_add.toggled.connect(self.set_adding)
        self.body.addLayout(bar)
        self.edits = QtWidgets.QLabel()
        self.edits.setObjectName("muted")
        self.edits.setWordWrap(True)
        self.body.addWidget(self.edits)
        self.compare = CompareTable()
        self.compare.setVisible(False)
        self.body.addWidget(self.compare)
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
        self.tabs = QtWidgets.QTabWidget()
        self.body.addWidget(self.tabs, 1)
        # rules and places
        rules = QtWidgets.QWidget()
        rl = QtWidgets.QVBoxLayout(rules)
        rl.setContentsMargins(0, 4, 0, 0)
        self.rule_cards = [RuleCard(n) for n in range(1, 10)]
        for c in self.rule_cards:
            c.clicked.connect(self.show_rule_places)
        rl.addWidget(cards_grid(self.rule_cards, 2))
        self.t_places = section()
        rl.addWidget(self.t_places)
        self.which = QtWidgets.QComboBox()
        self.which.currentIndexChanged.connect(lambda _i: self._fill_places())
        rl.addWidget(self.which)
        self.places = ColourList(7)
        self.places.itemClicked.connect(self._place_clicked)
        rl.addWidget(self.places)
        rl.addStretch(1)
        self.tabs.addTab(rules, "")
        # the selected camera
        cam = QtWidgets.QWidget()
        cl = QtWidgets.QVBoxLayout(cam)
        cl.setContentsMargins(0, 4, 0, 0)
        self.editor = CameraEditor()
        self.editor.edited.connect(self.edit_camera)
        self.editor.delete.connect(self.delete_camera)
        cl.addWidget(self.editor)
        self.drag_hint = QtWidgets.QLabel()
        self.drag_hint.setObjectName("muted")
        self.drag_hint.setWordWrap(True)
        cl.addWidget(self.drag_hint)
        cl.addStretch(1)
        self.tabs.addTab(cam, "")
        # suggestions
        self.suggest_box = SuggestBox()
        self.suggest_box.asked.connect(self.ask_suggestions)
        self.suggest_box.accept.connect(self.accept_suggestions)
        self.suggest_box.cleared.connect(lambda: self._set_ghosts([]))
        self.tabs.addTab(self.suggest_box, "")
        # keep
        self.keep_box = KeepBox()
        self.keep_box.keep.connect(self.keep)
        self.keep_box.discard.connect(self.discard)
        self.keep_box.report.connect(self.write_report)
        self.tabs.addTab(self.keep_box, "")
        # layers
        layers = QtWidgets.QWidget()
        g = QtWidgets.QGridLayout(layers)
        g.setContentsMargins(0, 4, 0, 0)
        self.toggles: dict[str, QtWidgets.QCheckBox] = {}
        for i, name in enumerate(LAYERS):
            box = QtWidgets.QCheckBox()
            box.setChecked(True)
            box.toggled.connect(lambda on, n=name: self.set_layer(n, on))
            self.toggles[name] = box
            g.addWidget(box, i // 2, i % 2)
        row = len(LAYERS) // 2 + 1
        self.fp_mode = QtWidgets.QComboBox()
        self.fp_mode.addItem("", False)
        self.fp_mode.addItem("", True)
        self.fp_mode.currentIndexChanged.connect(lambda _i: self._footprints())
        self.fp_label = QtWidgets.QLabel()
        g.addWidget(self.fp_label, row, 0)
        g.addWidget(self.fp_mode, row, 1)
        self.fp_hint = QtWidgets.QLabel()
        self.fp_hint.setObjectName("muted")
        self.fp_hint.setWordWrap(True)
        g.addWidget(self.fp_hint, row + 1, 0, 1, 2)
        g.setRowStretch(row + 2, 1)
        self.tabs.addTab(layers, "")
        # shortcuts: while the planning view is the one shown (its panel visible)
        for keys, fn in (
            ("Ctrl+Z", self.undo),
            ("Ctrl+Shift+Z", self.redo),
            ("Ctrl+Y", self.redo),
            ("Delete", self.delete_camera),
            ("Escape", lambda: self.b_add.setChecked(False)),
        ):
            sc = QtGui.QShortcut(QtGui.QKeySequence(keys), self)
            sc.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(fn)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self._rules_timer = QtCore.QTimer(self)
        self._rules_timer.setSingleShot(True)
        self._rules_timer.setInterval(RULES_REST_MS)
        self._rules_timer.timeout.connect(self._kick_rules)
        self.mouse = PlanMouse(ctx.viewport, self) if ctx.viewport is not None else None
        self.retranslate()

    # -- the session and its audits, off the GUI thread -----------------------------------
    def _make(self) -> tuple[Any, Any, Any, Any]:
        from twin.usecases.plan_overlay import PlanOverlays
        from twin.usecases.planning_session import PlanningSession

        session = PlanningSession(self.ctx.scene)
        audit = session.rules(session.snapshot())
        overlays = PlanOverlays(session)
        return session, overlays, audit, overlays.make(audit)

    def start(self) -> None:
        """Make the session (once) on the panel's worker thread."""
        if self.session is None and self._plan is None and self.error is None:
            self._plan = self._pool.submit(self._make)
            self._timer.start()
            self._say()

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._side.shutdown(wait=False, cancel_futures=True)

    def wait_job(self, timeout: float = 10.0) -> None:
        """Tests and screenshots: let the session, the rules and a side job finish, and take
        their results."""
        for job in (self._plan, self._rules_job, self._side_job and self._side_job[1]):
            if job is not None:
                try:
                    job.result(timeout)
                except Exception:  # noqa: BLE001 - reported by _poll
                    pass
        self._poll()
        if self._rules_job is not None:  # the rules went stale meanwhile: once more
            self.wait_job(timeout)

    def _poll(self) -> bool:
        """Take finished jobs (True when something was applied now)."""
        applied = False
        job = self._plan
        if job is not None and job.done():
            self._plan = None
            applied = True
            try:
                self.session, self.overlays, self.audit, self.overlay = job.result()
                self.audit0 = self.audit
            except InputError as exc:
                self.error = (
                    tr(self.lang, "plan_no_community") if "community" in str(exc) else str(exc)
                )
            except Exception as exc:  # noqa: BLE001 - the view says so; the wall keeps running
                log.exception("planning session failed")
                self.error = tr(self.lang, "plan_failed", error=exc)
            self._apply()
        job = self._rules_job
        if job is not None and job.done():
            self._rules_job = None
            applied = True
            try:
                self.audit = job.result()
            except Exception:  # noqa: BLE001 - the last rule cards stay
                log.exception("planning rules failed")
            if self._rules_stale:
                self._kick_rules()
            self._redraw(rules=True)
        if self._side_job is not None and self._side_job[1].done():
            applied = True
            self._side_done(*self._side_job)
        busy = self._plan or self._rules_job or self._side_job
        if not busy:
            self._timer.stop()
        return applied

    def _kick_rules(self) -> None:
        """Re-run the nine rules on a copy of the planned layout (once more after the running
        run when the layout changed meanwhile)."""
        if self.session is None:
            return
        if self._rules_job is not None:
            self._rules_stale = True
            return
        self._rules_stale = False
        self._rules_job = self._pool.submit(self.session.rules, self.session.snapshot())
        self._timer.start()

    # -- Qt --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        L = self.lang
        self.c_roads.label.setText(tr(L, "road_coverage"))
        self.c_ents.label.setText(tr(L, "entrances_seen"))
        self.c_rules.label.setText(tr(L, "rules_passing"))
        self.c_blind.label.setText(tr(L, "blind_spots"))
        self.t_places.setText(tr(L, "places"))
        self.t_legend.setText(tr(L, "dori_legend"))
        for k, text in enumerate(self.legend):
            text.setText(tr(L, f"dori_{k}"))
            text.setToolTip(tr(L, f"dori_tip_{k}"))
        self.fp_label.setText(tr(L, "fp_show"))
        for name, box in self.toggles.items():
            box.setText(tr(L, f"lay_{name}"))
        self.fp_mode.setItemText(0, tr(L, "fp_selected"))
        self.fp_mode.setItemText(1, tr(L, "fp_all"))
        for i, key in enumerate(("tab_rules", "tab_camera", "tab_suggest", "tab_keep")):
            self.tabs.setTabText(i, tr(L, key))
        self.tabs.setTabText(4, tr(L, "tab_layers"))
        self.b_undo.setText(tr(L, "undo"))
        self.b_redo.setText(tr(L, "redo"))
        self.b_compare.setText(tr(L, "compare"))
        self.b_add.setText(tr(L, "add_camera"))
        for i in range(self.add_kind.count()):
            self.add_kind.setItemText(i, tr(L, f"sub_{self.add_kind.itemData(i)}"))
        self.drag_hint.setText(tr(L, "plan_drag_hint"))
        self.editor.retranslate(L)
        self.suggest_box.retranslate(L)
        self.keep_box.retranslate(L)
        self._apply()
        if self.ghosts:  # their rows are worded in the language
            self._set_ghosts(self.ghosts)

    def activate(self) -> None:
        self.start()
        self.refresh()
        self._ghost_labels()

    def refresh(self) -> None:
        if self._poll() and self.ctx.viewport is not None:
            self.ctx.viewport.render()

    def _say(self, text: str | None = None) -> None:
        if text is not None:
            self.state.setText(text)
            self.state.setVisible(bool(text))
        elif self.error:
            self.state.setText(self.error)
            self.state.setVisible(True)
        elif self.session is None:
            self.state.setText(tr(self.lang, "plan_computing"))
            self.state.setVisible(self._plan is not None)
        else:
            self.state.setVisible(False)

    def _apply(self) -> None:
        """Everything from the session and the last audit (once there are)."""
        self._say()
        if self.session is None or self.overlay is None:
            for c in self.cards:
                c.set("–", theme.MUTED)
            for w in (self.b_undo, self.b_redo, self.b_compare, self.b_add, self.tabs):
                w.setEnabled(False)
            return
        for w in (self.b_compare, self.b_add, self.tabs):
            w.setEnabled(True)
        vp = self.ctx.viewport
        first = vp is not None and vp.layers.plan.data is None
        self._redraw(rules=True)
        if first:
            for name, box in self.toggles.items():
                vp.layers.plan.set_wanted(name, box.isChecked())
            if vp.layers.view == "planning":
                vp.layers.set_view("planning")
                self.frame_community()

    def _redraw(self, rules: bool = False, dragging: bool = False) -> None:
        """The overlay of the session as it is, on the scene and in the cards; with ``rules``
        the rule cards and places of the last audit too."""
        if self.session is None or self.overlays is None:
            return
        self.overlay = ov = self.overlays.make(self.audit, self.ghosts)
        vp = self.ctx.viewport
        if vp is not None:
            vp.layers.plan.selected = self.selected_camera
            vp.layers.plan.footprints_of_all = bool(self.fp_mode.currentData())
            vp.layers.set_plan(ov)
        self._quick_cards()
        if rules:
            self._rule_cards()
        if not dragging or self.which.currentData() == 5:
            self._fill_places() if not dragging else self._fill_gaps_throttled()
        self._edit_state()
        if self.b_compare.isChecked():
            self._compare()
        if not dragging:
            self._show_selected()
        if vp is not None:
            vp.render()

    def _quick_cards(self) -> None:
        ok, alarm = theme.STATUS["ok"], theme.STATUS["alarm"]
        ov, L = self.overlay, self.lang
        if ov.road_pct is None:
            self.c_roads.set("–", theme.STATUS["offline"])
        else:
            self.c_roads.set(f"{ov.road_pct:.1f} %", alarm if ov.gaps else ok)
        n_ent = len(ov.entrances)
        self.c_ents.set(
            f"{ov.entrances_seen} / {n_ent}" if n_ent else "–",
            ok if ov.entrances_seen == n_ent and n_ent else alarm if n_ent else theme.MUTED,
        )
        a = self.audit
        if a is not None:
            passing = sum(1 for r in a.rules if r.status == "pass")
            failing = sum(1 for r in a.rules if r.status == "fail")
            self.c_rules.set(f"{passing} / {len(a.rules)}", alarm if failing else ok)
            self.c_blind.set(str(len(a.blind)), alarm if a.blind else ok)
        self.c_blind.label.setText(
            f"{tr(L, 'blind_spots')}\n{tr(L, 'blind_area', area=ov.blind_m2)}"
        )
        stale = self._rules_job is not None
        self.c_rules.label.setText(tr(L, "rules_updating") if stale else tr(L, "rules_passing"))

    def _rule_cards(self) -> None:
        a, L = self.audit, self.lang
        if a is None:
            return
        by = {r.rule: r for r in a.rules}
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
        self.which.addItem(tr(L, "place_gaps", m=self.overlay.gap_report_m, n=0), 5)
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

    def community_pose(self) -> Any:
        """The camera framing the community: the wall's home view (None before it is framed)."""
        vp = self.ctx.viewport
        return vp.home if vp is not None and vp.ensure_framed() else None

    def frame_community(self, seconds: float = 1.2) -> None:
        """Fly the scene onto the community (once the session is in)."""
        pose = self.community_pose()
        if pose is not None and self.ctx.viewport is not None:
            self.ctx.viewport.fly_to_pose(pose, seconds)

    def place_rows(self, rule: int) -> list[tuple[str, float, float, float]]:
        """(text, x, y, length or 0) of the places listed for ``rule`` (5: the road gaps of
        the planned layout, as they are now)."""
        L = self.lang
        if self.overlay is None:
            return []
        if rule == 5:
            return [
                (f"{g.name or tr(L, 'unnamed_road')}  ·  {g.length_m:.0f} m", g.x, g.y, g.length_m)
                for g in self.overlay.gaps
            ]
        r = next((r for r in self.audit.rules if r.rule == rule), None) if self.audit else None
        if r is None:
            return []
        out = []
        for p in sorted(r.places, key=lambda p: -(p.length_m or 0)):
            text = p.name or p.id
            if p.length_m:
                text += f"  ·  {p.length_m:.0f} m"
            out.append((text, p.x, p.y, float(p.length_m or 0)))
        return out

    def _fill_gaps_throttled(self) -> None:
        """While dragging: the gap list at most five times a second."""
        now = time.monotonic()
        if now - getattr(self, "_gaps_at", 0.0) >= 0.2:
            self._gaps_at = now
            self._fill_places()

    def _fill_places(self) -> None:
        rule = self.which.currentData()
        rows = self.place_rows(int(rule)) if rule is not None else []
        alarm = theme.STATUS["alarm"]
        i5 = self.which.findData(5)
        if i5 >= 0 and self.overlay is not None:
            self.which.setItemText(
                i5,
                tr(self.lang, "place_gaps", m=self.overlay.gap_report_m, n=len(self.overlay.gaps)),
            )
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
        self.tabs.setCurrentIndex(0)
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
            if name == "suggestions":
                self._ghost_labels()
            vp.render()

    def _footprints(self) -> None:
        L = self.lang
        all_cams = bool(self.fp_mode.currentData())
        self.fp_hint.setText("" if all_cams or self.selected_camera else tr(L, "fp_hint"))
        self.fp_hint.setVisible(not all_cams and not self.selected_camera)
        vp = self.ctx.viewport
        if vp is not None:
            vp.layers.plan.select_camera(self.selected_camera, all_cams)
            vp.render()
