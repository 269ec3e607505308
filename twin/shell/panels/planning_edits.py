"""The planning view's what-if actions, as the planning panel's: what the mouse on the scene
asks (``twin.shell.planedit``: select, add, drag, turn), the editor's changes, undo / redo,
the original-vs-edited table, suggestions and their acceptance, keep / discard / report. Each
edit is one step of the session (``twin.usecases.planning_session``) and is redrawn at once;
the rules follow on the panel's worker (``_kick_rules``)."""

from __future__ import annotations

import logging
import math
from concurrent.futures import Future
from typing import Any

import numpy as np

from twin.core.errors import InputError
from twin.shell import theme
from twin.shell.texts import tr

log = logging.getLogger(__name__)


class PlanEdits:
    """The what-if half of :class:`twin.shell.panels.planning.PlanningPanel` (a mixin: its
    widgets and session are the panel's)."""

    ctx: Any
    lang: str
    session: Any

    # -- what-if: the mouse's planner (twin.shell.planedit) ----------------------------------
    def editing(self) -> bool:
        vp = self.ctx.viewport
        return self.session is not None and vp is not None and vp.layers.view == "planning"

    def adding(self) -> bool:
        return self.adding_sub is not None

    def camera_points(self) -> tuple[list[str], np.ndarray]:
        ov = self.overlay
        return (ov.camera_ids, ov.camera_xyz) if ov is not None else ([], np.zeros((0, 3)))

    def handle_point(self) -> np.ndarray | None:
        vp = self.ctx.viewport
        if vp is None or vp.layers.plan.selected_index() is None:
            return None
        return vp.layers.plan.handle_point()

    def select_camera(self, camera_id: str | None, show_editor: bool = True) -> None:
        """The camera the editor, the handle and the "selected camera" footprint are for
        (``show_editor``: and bring the Camera tab forward)."""
        if self.session is not None and camera_id not in self.session.layout.cameras:
            camera_id = None
        self.selected_camera = camera_id
        self._mount_on = ""
        self._footprints()
        self._show_selected()
        if camera_id is not None and show_editor:
            self.tabs.setCurrentIndex(1)

    def _show_selected(self) -> None:
        s, cid = self.session, self.selected_camera
        if s is None or cid is None or cid not in s.layout.cameras:
            self.editor.show_camera(None)
            return
        cam = s.camera(cid)
        if not self._mount_on:
            m = s.mounts.at(cam.x, cam.y, cam.subkind, s.mount_height(cid))
            near = m.on == "pole" and abs(m.x - cam.x) + abs(m.y - cam.y) < 0.01
            self._mount_on = (
                tr(self.lang, "on_pole", ref=m.ref)
                if near
                else tr(self.lang, "on_facade")
                if m.on == "facade" and abs(m.x - cam.x) + abs(m.y - cam.y) < 0.01
                else tr(self.lang, "on_ground")
            )
        self.editor.show_camera(cam, s.mount_height(cid), self._mount_on)

    def set_adding(self, on: bool) -> None:
        """Clicks on the scene add a camera of the chosen sub-kind (until unchecked)."""
        self.adding_sub = self.add_kind.currentData() if on else None
        self._say(tr(self.lang, "adding_hint") if on else "")
        if self.b_add.isChecked() != on:
            self.b_add.setChecked(on)

    def add_at(self, x: float, y: float) -> None:
        if self.session is None or self.adding_sub is None:
            return
        try:
            cam = self.session.add(x, y, subkind=self.adding_sub)
        except InputError as exc:
            self._say(tr(self.lang, "edit_refused", error=exc.message))
            return
        self.b_add.setChecked(False)
        self.selected_camera = cam.id
        self._mount_on = ""
        self.tabs.setCurrentIndex(1)
        self._edited()

    def begin_drag(self, camera_id: str, turning: bool) -> None:
        self.selected_camera = camera_id
        self._turning = turning
        self.session.begin_drag(camera_id)

    def drag_to(self, x: float, y: float) -> None:
        s = self.session
        if self._turning:
            cam = s.camera(self.selected_camera)
            s.drag_heading(math.degrees(math.atan2(x - cam.x, y - cam.y)))
        else:
            m = s.drag_to(x, y)
            self._mount_on = (
                tr(self.lang, "on_pole", ref=m.ref)
                if m.on == "pole"
                else tr(self.lang, f"on_{m.on}")
            )
        self._redraw(dragging=True)
        # the rules when the mouse rests a moment, not on every move: their thread would
        # share the two cores with the frame being drawn
        self._rules_timer.start()

    def end_drag(self) -> None:
        self._rules_timer.stop()
        if self.session is not None:
            self.session.end_drag()
        self._edited()

    # -- what-if: the panel's actions --------------------------------------------------------
    def _edited(self) -> None:
        """After a step: redraw now; the rules follow on the worker."""
        self._redraw()
        self._kick_rules()
        self._ghost_labels()

    def _edit_state(self) -> None:
        s = self.session
        self.b_undo.setEnabled(bool(s and s.undo_stack))
        self.b_redo.setEnabled(bool(s and s.redo_stack))
        n = len(s.undo_stack) if s else 0
        self.edits.setText(tr(self.lang, "edits", n=n) if n else tr(self.lang, "no_edits"))

    def edit_camera(self, name: str, value: Any) -> None:
        """The editor changed one figure of the selected camera: one step."""
        s, cid = self.session, self.selected_camera
        if s is None or cid is None:
            return
        fields = {"width_px": value[0], "height_px": value[1]} if name == "resolution" else {}
        fields = fields or {name: value}
        try:
            s.change(cid, f"{name} {cid}", **fields)
        except InputError as exc:
            self._say(tr(self.lang, "edit_refused", error=exc.message))
            self._show_selected()
            return
        self._say("")
        self._edited()

    def delete_camera(self) -> None:
        s, cid = self.session, self.selected_camera
        if not self.editing() or cid is None or cid not in s.layout.cameras:
            return
        s.remove(cid)
        self.select_camera(None)
        self._edited()

    def undo(self) -> None:
        if self.editing() and self.session.undo() is not None:
            self._mount_on = ""
            self.select_camera(self.selected_camera, show_editor=False)
            self._edited()

    def redo(self) -> None:
        if self.editing() and self.session.redo() is not None:
            self._mount_on = ""
            self.select_camera(self.selected_camera, show_editor=False)
            self._edited()

    def _compare(self) -> None:
        """The original layout's figures beside the edited one's (when "compare" is on)."""
        on = self.b_compare.isChecked() and self.session is not None
        self.compare.setVisible(on)
        if not on:
            return
        L = self.lang
        a, b = self.session.compare()

        def sign(x: float, y: float, more_is_better: bool = True) -> int:
            d = (y - x) if more_is_better else (x - y)
            return 0 if abs(d) < 1e-9 else 1 if d > 0 else -1

        def passing(audit: Any) -> int:
            return sum(1 for r in audit.rules if r.status == "pass") if audit else 0

        rows = [
            (
                tr(L, "cmp_roads"),
                f"{a.covered_pct:.1f} %",
                f"{b.covered_pct:.1f} %",
                sign(a.covered_pct, b.covered_pct),
            ),
            (
                tr(L, "cmp_gaps", m=self.session.gap_report_m),
                str(a.gaps),
                str(b.gaps),
                sign(a.gaps, b.gaps, False),
            ),
            (
                tr(L, "cmp_entrances"),
                f"{a.entrances_seen} / {a.entrances}",
                f"{b.entrances_seen} / {b.entrances}",
                sign(a.entrances_seen, b.entrances_seen),
            ),
        ]
        if a.perimeter_pct is not None and b.perimeter_pct is not None:
            rows.append(
                (
                    tr(L, "cmp_perimeter"),
                    f"{a.perimeter_pct:.1f} %",
                    f"{b.perimeter_pct:.1f} %",
                    sign(a.perimeter_pct, b.perimeter_pct),
                )
            )
        rows += [
            (
                tr(L, "cmp_blind"),
                f"{a.blind_m2:,.0f} m²",
                f"{b.blind_m2:,.0f} m²",
                sign(a.blind_m2, b.blind_m2, False),
            ),
            (
                tr(L, "cmp_rules"),
                f"{passing(self.audit0)} / 9",
                f"{passing(self.audit)} / 9",
                sign(passing(self.audit0), passing(self.audit)),
            ),
            (tr(L, "cmp_cameras"), str(a.cameras), str(b.cameras), 0),
        ]
        self.compare.set_rows(
            (tr(L, "cmp_figure"), tr(L, "cmp_original"), tr(L, "cmp_edited")), rows
        )

    # suggestions
    def ask_suggestions(self, n: int, goal: str, budget: str) -> None:
        if self.session is None or self._side_job is not None:
            return
        snap = self.session.snapshot()
        job = self._side.submit(self.session.suggest, n, goal, budget, snap)
        self._side_job = ("suggest", job, goal)
        self.suggest_box.busy(True, tr(self.lang, "suggesting"))
        self._timer.start()

    def _side_done(self, kind: str, job: Future[Any], extra: Any) -> None:
        self._side_job = None
        L = self.lang
        try:
            result = job.result()
        except InputError as exc:
            if kind == "suggest":
                self.suggest_box.busy(False, tr(L, "suggest_failed", error=exc.message))
            else:
                self.keep_box.say(tr(L, "keep_failed", error=exc.message), theme.STATUS["alarm"])
            return
        except Exception as exc:  # noqa: BLE001 - said in the panel; the wall keeps running
            log.exception("planning %s failed", kind)
            text = tr(L, "suggest_failed" if kind == "suggest" else "keep_failed", error=exc)
            if kind == "suggest":
                self.suggest_box.busy(False, text)
            else:
                self.keep_box.say(text, theme.STATUS["alarm"])
            return
        if kind == "suggest":
            self.ghost_goal = extra
            self.suggest_box.busy(False, "" if result else tr(L, "no_suggestion"))
            self._set_ghosts(result)
        else:
            self.keep_box.say(tr(L, "report_done", path=result["files"]["report.pdf"]))

    def _set_ghosts(self, ghosts: list[Any]) -> None:
        self.ghosts = list(ghosts)
        L = self.lang
        unit = tr(L, f"unit_{self.ghost_goal}")
        self.suggest_box.set_rows(
            [
                (
                    g.rank,
                    tr(
                        L,
                        "ghost_row",
                        rank=g.rank,
                        gain=g.gain,
                        unit=unit,
                        sub=tr(L, f"sub_{g.camera.subkind}"),
                        heading=g.camera.heading,
                    ),
                )
                for g in self.ghosts
            ]
        )
        self._redraw()
        self._ghost_labels()

    def _ghost_labels(self) -> None:
        vp = self.ctx.viewport
        if vp is None or vp.layers.view != "planning":
            return
        if not self.ghosts or not self.toggles["suggestions"].isChecked():
            vp.layers.hide_labels()
            return
        xyz = np.array([[g.camera.x, g.camera.y, g.camera.z + 4.0] for g in self.ghosts])
        vp.layers.show_labels(
            xyz,
            [f"{g.rank}  +{g.gain:.0f}" for g in self.ghosts],
            16,
            priority=[-g.rank for g in self.ghosts],  # where labels collide, the better rank
        )

    def accept_suggestions(self, ranks: list[int]) -> None:
        """Add the suggested cameras of ``ranks``: one step each."""
        if self.session is None:
            return
        take = [g for g in self.ghosts if g.rank in set(ranks)]
        for g in take:
            self.session.accept(g)
        self.ghosts = [g for g in self.ghosts if g not in take]
        self._set_ghosts(self.ghosts)
        self._kick_rules()

    # keep, discard, report
    def keep(self, name: str) -> None:
        if self.session is None:
            return
        try:
            csv_path, variant = self.session.save(name)
        except InputError as exc:
            self.keep_box.say(
                tr(self.lang, "keep_failed", error=exc.message), theme.STATUS["alarm"]
            )
            return
        self.keep_box.say(tr(self.lang, "kept", scene=str(variant), csv=csv_path.name))

    def discard(self) -> None:
        if self.session is None:
            return
        n = self.session.discard()
        self.select_camera(self.selected_camera, show_editor=False)
        self._edited()
        self.keep_box.say(tr(self.lang, "discarded", n=n))

    def write_report(self, name: str) -> None:
        """The planners' report of the edited layout, beside the scene, on the side worker."""
        from twin.usecases.planning import write_report

        if self.session is None or self._side_job is not None:
            return
        try:
            out = self.session.variant_paths(name)[2]
        except InputError as exc:
            self.keep_box.say(
                tr(self.lang, "keep_failed", error=exc.message), theme.STATUS["alarm"]
            )
            return
        scene = self.session.edited_scene(self.session.snapshot())
        job = self._side.submit(write_report, scene, out, self.lang, 5, self.session.cell)
        self._side_job = ("report", job, out)
        self.keep_box.say(tr(self.lang, "writing_report"))
        self._timer.start()
