"""The alarm list along the bottom: open events newest first in severity colours, a chime for
new major alarms, and the operator's actions (acknowledge, dispatch, close) written to the same
event log the headless pipeline and ``twin event`` use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from PySide6 import QtCore, QtGui, QtWidgets

from twin.core.errors import InputError
from twin.scene.catalogue import CATALOGUE
from twin.scene.scene import Scene
from twin.shell import theme
from twin.shell.sound import Chime
from twin.shell.texts import tr
from twin.state.events import Event, EventStore
from twin.state.peoplewatch import HOUSEHOLD_KIND, MESSAGES
from twin.telemetry.live import format_local
from twin.usecases.events import acknowledge_event, close_event, dispatch_event, operator_name

COLUMNS = ("col_time", "col_severity", "col_device", "col_what", "col_status")
LOUD = ("critical", "major")
MAX_ROWS = 500


def household_label(e: Event, lang: str) -> str:
    """A household's event names the household and where it lives (no person's name)."""
    d = e.data or {}
    hh = str(d.get("household") or e.device_id.partition(":")[2])
    where = " ".join(str(d.get(k) or "") for k in ("building", "unit")).strip()
    return f"{tr(lang, 'household')} {hh}" + (f" · {where}" if where else "")


class AlarmPanel(QtWidgets.QFrame):
    """``fly_to`` gets a device id (double click, or the Fly to button)."""

    fly_to = QtCore.Signal(str)
    changed = QtCore.Signal()
    error = QtCore.Signal(str)
    """A one-line message for the operator (shown in the status line, never a modal box: the
    wall keeps running)."""

    def __init__(
        self,
        scene: Scene,
        events: EventStore,
        lang: str,
        tz: tzinfo | None,
        operator: str | None = None,
        bell: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("panel")
        self.scene, self.events, self.lang, self.tz = scene, events, lang, tz
        self.operator = operator or operator_name()
        self.chime = Chime()
        self._bell = bell
        self._devices = {d.id: d for d in scene.devices}
        from twin.state.rules import load_rules

        # the rules' own wording in the wall's language (the log keeps the English one)
        self._messages = {r.id: (r.message_en, r.message_zh) for r in load_rules()} | MESSAGES
        self._kinds = {d.id: d.kind for d in scene.devices}
        self.rows: list[Event] = []
        self.last_error = ""
        self.show_closed = False
        self.actions_allowed = True
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        head = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel()
        self.title.setObjectName("sectionTitle")
        head.addWidget(self.title)
        head.addStretch(1)
        self.btn_fly = QtWidgets.QPushButton()
        self.btn_ack = QtWidgets.QPushButton()
        self.btn_dispatch = QtWidgets.QPushButton()
        self.btn_close = QtWidgets.QPushButton()
        self.btn_closed = QtWidgets.QPushButton()
        self.btn_closed.setCheckable(True)
        self.btn_sound = QtWidgets.QPushButton()
        self.btn_sound.setCheckable(True)
        self.btn_sound.setChecked(True)
        for b in (
            self.btn_fly,
            self.btn_ack,
            self.btn_dispatch,
            self.btn_close,
            self.btn_closed,
            self.btn_sound,
        ):
            head.addWidget(b)
        lay.addLayout(head)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(3, QtWidgets.QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._fly_row(r))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.btn_fly.clicked.connect(lambda: self._fly_row(self._current_row()))
        self.btn_ack.clicked.connect(self._ack_selected)
        self.btn_dispatch.clicked.connect(self._dispatch_selected)
        self.btn_close.clicked.connect(self._close_selected)
        self.btn_closed.toggled.connect(self._toggle_closed)
        self.btn_sound.toggled.connect(self.set_sound)
        self.retranslate(lang)
        self.reload()

    # -- texts -----------------------------------------------------------------------------
    def retranslate(self, lang: str) -> None:
        self.lang = lang
        self.btn_fly.setText(tr(lang, "fly_to"))
        self.btn_ack.setText(tr(lang, "ack"))
        self.btn_dispatch.setText(tr(lang, "dispatch"))
        self.btn_close.setText(tr(lang, "close"))
        self.btn_closed.setText(tr(lang, "show_closed"))
        self.btn_sound.setText(
            tr(lang, "sound")
            + (
                ": " + ("on" if lang != "zh" else "开")
                if self.chime.enabled
                else ": " + ("off" if lang != "zh" else "关")
            )
        )
        self.table.setHorizontalHeaderLabels([tr(lang, c) for c in COLUMNS])
        self._fill()

    def set_sound(self, on: bool) -> None:
        self.chime.enabled = bool(on)
        if self.btn_sound.isChecked() != bool(on):
            self.btn_sound.setChecked(bool(on))
        self.retranslate(self.lang)

    # -- data ------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the event log (open events, or all when showing closed ones)."""
        try:
            self.rows = self.events.events(open_only=not self.show_closed, limit=MAX_ROWS)
        except InputError:
            return
        self._fill()
        self.changed.emit()

    def on_new(self, raised: list[Event]) -> None:
        """New events from the pipeline: reload, chime for major ones."""
        if any(e.severity in LOUD for e in raised):
            self.chime.play(self._bell)
        self.reload()

    def allow_actions(self, allowed: bool) -> None:
        """Show or hide acknowledge, dispatch and close (a viewer's wall only watches)."""
        for b in (self.btn_ack, self.btn_dispatch, self.btn_close):
            b.setVisible(allowed)
        self.actions_allowed = allowed

    def open_count(self) -> int:
        return sum(1 for e in self.rows if e.status != "closed")

    def _fill(self) -> None:
        selected = set(self.selected_ids())
        t = self.table
        t.setUpdatesEnabled(False)
        t.setRowCount(len(self.rows))
        bold = QtGui.QFont()
        bold.setBold(True)
        for r, e in enumerate(self.rows):
            sev_colour = QtGui.QColor(theme.SEVERITY.get(e.severity, theme.MUTED))
            when = format_local(e.raised_at, self.tz)[5:]  # month-day time zone
            kind = CATALOGUE[e.kind].display_name(self.lang) if e.kind in CATALOGUE else e.kind
            dev = self._devices.get(e.device_id)
            device = (
                dev.label(kind, self.lang)
                if dev is not None
                else household_label(e, self.lang)
                if e.kind == HOUSEHOLD_KIND
                else f"{kind} {e.device_id}"
            )
            status = tr(self.lang, e.status)
            if e.cleared and e.status != "closed":
                status += " · " + tr(self.lang, "cleared")
            if e.status == "dispatched" and e.dispatched_to:
                status += f" → {e.dispatched_to}"
            who = getattr(e, f"{e.status}_by", None) if e.status != "raised" else None
            if who:  # several desks: who did it
                status += f" · {who}"
            words = self._messages.get(e.rule_id) or self._messages.get(e.type)
            what = (words[1] if self.lang == "zh" else words[0]) if words else ""
            cells = (when, tr(self.lang, e.severity), device, what or e.message or e.type, status)
            for c, text in enumerate(cells):
                item = t.item(r, c)
                if item is None:
                    item = QtWidgets.QTableWidgetItem()
                    t.setItem(r, c, item)
                item.setText(text)
                item.setToolTip(e.device_id if c == 2 else "")  # the id: a detail
                item.setData(QtCore.Qt.ItemDataRole.UserRole, e.id)
                item.setFont(bold if e.status == "raised" else QtGui.QFont())
                if c == 1:
                    item.setBackground(sev_colour)
                    item.setForeground(QtGui.QColor("#0b1422"))
                elif e.status == "closed":
                    item.setForeground(QtGui.QColor(theme.MUTED))
                else:
                    item.setForeground(QtGui.QColor(theme.TEXT))
        t.clearSelection()
        for r, e in enumerate(self.rows):
            if e.id in selected:
                t.selectRow(r)
        t.setUpdatesEnabled(True)
        n = self.open_count()
        self.title.setText(f"{tr(self.lang, 'alarms')}  {n}")
        self._update_buttons()

    # -- selection and actions -------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.rows[r].id for r in rows if r < len(self.rows)]

    def select_event(self, event_id: int) -> bool:
        for r, e in enumerate(self.rows):
            if e.id == event_id:
                self.table.selectRow(r)
                return True
        return False

    def _current_row(self) -> int:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return rows[0] if rows else -1

    def _fly_row(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.fly_to.emit(self.rows[row].device_id)

    def _update_buttons(self) -> None:
        sel = [e for e in self.rows if e.id in set(self.selected_ids())]
        self.btn_fly.setEnabled(len(sel) == 1)
        self.btn_ack.setEnabled(any(e.status == "raised" for e in sel))
        self.btn_dispatch.setEnabled(len(sel) == 1 and sel[0].status in ("raised", "acknowledged"))
        self.btn_close.setEnabled(bool(sel) and all(e.status != "closed" for e in sel))

    def _toggle_closed(self, on: bool) -> None:
        self.show_closed = on
        self.reload()

    def _do(self, fn: Callable[[], object]) -> bool:
        try:
            fn()
        except InputError as exc:
            self.last_error = f"{tr(self.lang, 'action_failed')}: {exc.message}"
            self.error.emit(self.last_error)
            return False
        return True

    def acknowledge(self, ids: list[int], note: str = "") -> None:
        for i in ids:
            self._do(lambda i=i: acknowledge_event(self.events, i, self.operator, note))  # type: ignore[misc]
        self.reload()

    def dispatch(self, event_id: int, to: str, note: str = "") -> bool:
        ok = self._do(lambda: dispatch_event(self.events, event_id, self.operator, to, note))
        self.reload()
        return ok

    def close_events(self, ids: list[int], note: str) -> None:
        for i in ids:
            self._do(lambda i=i: close_event(self.events, i, self.operator, note))  # type: ignore[misc]
        self.reload()

    def _ack_selected(self) -> None:
        self.acknowledge(
            [e.id for e in self.rows if e.id in set(self.selected_ids()) and e.status == "raised"]
        )

    def _dispatch_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        to, ok = QtWidgets.QInputDialog.getText(
            self, tr(self.lang, "dispatch"), tr(self.lang, "dispatch_to")
        )
        if not ok or not to.strip():
            return
        note, ok = QtWidgets.QInputDialog.getText(
            self, tr(self.lang, "dispatch"), tr(self.lang, "note")
        )
        if ok:
            self.dispatch(ids[0], to.strip(), note)

    def _close_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        note, ok = QtWidgets.QInputDialog.getText(
            self, tr(self.lang, "close"), tr(self.lang, "close_note")
        )
        if ok:
            self.close_events(ids, note)
