"""The planning view's what-if widgets: the selected camera's editor, the suggestions box, the
keep / discard / report box and the original-vs-edited table. They only show values and say
what the planner asked for (signals); the planning panel does it on the session."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from twin.scene.catalogue import CAMERA_DEFAULTS, MAX_MOUNT_HEIGHT, MEGAPIXEL_RESOLUTIONS
from twin.shell import theme
from twin.shell.texts import tr

GOALS = ("roads", "entrances", "perimeter")
BUDGETS = ("both", "poles", "facades")


def _spin(lo: float, hi: float, step: float, decimals: int = 1) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)  # one change when typed in, not one per digit
    return box


def _size(text: Any) -> tuple[int, int] | None:
    if not text:
        return None
    w, h = str(text).split("x")
    return int(w), int(h)


def _muted(text: str = "") -> QtWidgets.QLabel:
    lab = QtWidgets.QLabel(text)
    lab.setObjectName("muted")
    lab.setWordWrap(True)
    return lab


class CameraEditor(QtWidgets.QWidget):
    """The selected camera's sub-kind, heading, tilt, field of view, mount height and
    resolution; each edit is one ``edited`` signal (field, value) and one undoable step."""

    edited = QtCore.Signal(str, object)
    delete = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        form = QtWidgets.QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        self.subkind = QtWidgets.QComboBox()
        for sub in CAMERA_DEFAULTS:
            self.subkind.addItem(sub, sub)
        self.heading = _spin(0.0, 359.9, 5.0)
        self.heading.setWrapping(True)
        self.tilt = _spin(-90.0, 90.0, 1.0)
        self.fov = _spin(1.0, 360.0, 5.0)
        self.height = _spin(0.0, MAX_MOUNT_HEIGHT, 0.5, 2)
        self.resolution = QtWidgets.QComboBox()
        for name, (w, h) in MEGAPIXEL_RESOLUTIONS.items():
            self.resolution.addItem(f"{name.upper()}  {w}×{h}", f"{w}x{h}")
        self.labels: dict[str, QtWidgets.QLabel] = {}
        for key, widget in (
            ("subkind", self.subkind),
            ("heading", self.heading),
            ("tilt", self.tilt),
            ("fov", self.fov),
            ("mount_h", self.height),
            ("resolution", self.resolution),
        ):
            label = QtWidgets.QLabel()
            self.labels[key] = label
            form.addRow(label, widget)
        lay.addLayout(form)
        self.delete_button = QtWidgets.QPushButton()
        self.delete_button.clicked.connect(self.delete.emit)
        lay.addWidget(self.delete_button)
        self.subkind.currentIndexChanged.connect(
            lambda _i: self._emit("subkind", self.subkind.currentData())
        )
        self.heading.valueChanged.connect(lambda v: self._emit("heading", float(v)))
        self.tilt.valueChanged.connect(lambda v: self._emit("tilt", float(v)))
        self.fov.valueChanged.connect(lambda v: self._emit("hfov", float(v)))
        self.height.valueChanged.connect(lambda v: self._emit("height", float(v)))
        self.resolution.currentIndexChanged.connect(
            lambda _i: self._emit("resolution", _size(self.resolution.currentData()))
        )
        self._filling = False
        self.lang = "en"
        self.show_camera(None)

    def _emit(self, name: str, value: Any) -> None:
        if not self._filling and value is not None:
            self.edited.emit(name, value)

    def retranslate(self, lang: str) -> None:
        self.lang = lang
        for key, label in self.labels.items():
            label.setText(tr(lang, key))
        for i in range(self.subkind.count()):
            self.subkind.setItemText(i, tr(lang, f"sub_{self.subkind.itemData(i)}"))
        self.delete_button.setText(tr(lang, "delete_camera"))

    def show_camera(self, cam: Any, height: float = 0.0, on: str = "") -> None:
        """Fill in ``cam`` (a CameraOptics; None: nothing selected)."""
        self._filling = True
        try:
            for w in (self.subkind, self.heading, self.tilt, self.fov, self.height):
                w.setEnabled(cam is not None)
            self.resolution.setEnabled(cam is not None)
            self.delete_button.setEnabled(cam is not None)
            if cam is None:
                self.title.setText(tr(self.lang, "no_camera_selected"))
                return
            sub = tr(self.lang, f"sub_{cam.subkind}")
            self.title.setText(tr(self.lang, "cam_title", id=cam.id, sub=sub, on=on))
            self.subkind.setCurrentIndex(max(self.subkind.findData(cam.subkind), 0))
            self.heading.setValue(cam.heading)
            self.tilt.setValue(cam.tilt)
            self.fov.setValue(cam.hfov)
            self.height.setValue(height)
            res = f"{cam.width_px}x{cam.height_px}"
            i = self.resolution.findData(res)
            if i < 0:  # a resolution of its own (from its device list)
                self.resolution.addItem(f"{cam.width_px}×{cam.height_px}", res)
                i = self.resolution.count() - 1
            self.resolution.setCurrentIndex(i)
        finally:
            self._filling = False


class SuggestBox(QtWidgets.QWidget):
    """Ask for N more cameras for a goal; the suggestions listed with their gain, to accept
    one, some (checked) or all."""

    asked = QtCore.Signal(int, str, str)
    accept = QtCore.Signal(list)
    """Ranks (1 first) to accept."""
    cleared = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QtWidgets.QFormLayout()
        self.n = QtWidgets.QSpinBox()
        self.n.setRange(1, 30)
        self.n.setValue(3)
        self.goal = QtWidgets.QComboBox()
        for g in GOALS:
            self.goal.addItem(g, g)
        self.budget = QtWidgets.QComboBox()
        for b in BUDGETS:
            self.budget.addItem(b, b)
        self.l_n, self.l_goal, self.l_from = (
            QtWidgets.QLabel(),
            QtWidgets.QLabel(),
            QtWidgets.QLabel(),
        )
        form.addRow(self.l_n, self.n)
        form.addRow(self.l_goal, self.goal)
        form.addRow(self.l_from, self.budget)
        lay.addLayout(form)
        self.go = QtWidgets.QPushButton()
        self.go.clicked.connect(
            lambda: self.asked.emit(
                int(self.n.value()), self.goal.currentData(), self.budget.currentData()
            )
        )
        lay.addWidget(self.go)
        self.state = _muted()
        lay.addWidget(self.state)
        self.list = QtWidgets.QListWidget()
        self.list.setMinimumHeight(150)
        lay.addWidget(self.list)
        row = QtWidgets.QHBoxLayout()
        self.b_checked, self.b_all, self.b_clear = (QtWidgets.QPushButton() for _ in range(3))
        self.b_checked.clicked.connect(lambda: self.accept.emit(self.checked()))
        self.b_all.clicked.connect(
            lambda: self.accept.emit(
                [self.list.item(i).data(256) for i in range(self.list.count())]
            )
        )
        self.b_clear.clicked.connect(self.cleared.emit)
        for b in (self.b_checked, self.b_all, self.b_clear):
            row.addWidget(b)
        lay.addLayout(row)
        self.lang = "en"
        self.set_rows([])

    def retranslate(self, lang: str) -> None:
        self.lang = lang
        self.l_n.setText(tr(lang, "suggest_n"))
        self.l_goal.setText(tr(lang, "suggest_goal"))
        self.l_from.setText(tr(lang, "suggest_from"))
        for i, g in enumerate(GOALS):
            self.goal.setItemText(i, tr(lang, f"goal_{g}"))
        for i, b in enumerate(BUDGETS):
            self.budget.setItemText(i, tr(lang, f"from_{b}"))
        self.go.setText(tr(lang, "suggest"))
        self.b_checked.setText(tr(lang, "accept_checked"))
        self.b_all.setText(tr(lang, "accept_all"))
        self.b_clear.setText(tr(lang, "clear_suggestions"))

    def checked(self) -> list[int]:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == QtCore.Qt.CheckState.Checked:
                out.append(int(item.data(256)))
        return out

    def set_rows(self, rows: list[tuple[int, str]]) -> None:
        """(rank, text) per suggestion still to accept."""
        self.list.clear()
        for rank, text in rows:
            item = QtWidgets.QListWidgetItem(text)
            item.setData(256, rank)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Unchecked)
            self.list.addItem(item)
        for b in (self.b_checked, self.b_all, self.b_clear):
            b.setEnabled(bool(rows))

    def busy(self, on: bool, text: str = "") -> None:
        self.go.setEnabled(not on)
        self.state.setText(text)


class KeepBox(QtWidgets.QWidget):
    """Keep the edited layout as a scene variant, discard the edits, or write the report."""

    keep = QtCore.Signal(str)
    discard = QtCore.Signal()
    report = QtCore.Signal(str)

    def __init__(self) -> None:
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.l_name = QtWidgets.QLabel()
        self.name = QtWidgets.QLineEdit("plan-a")
        lay.addWidget(self.l_name)
        lay.addWidget(self.name)
        self.b_keep, self.b_report, self.b_discard = (QtWidgets.QPushButton() for _ in range(3))
        self.b_keep.clicked.connect(lambda: self.keep.emit(self.name.text()))
        self.b_report.clicked.connect(lambda: self.report.emit(self.name.text()))
        self.b_discard.clicked.connect(self.discard.emit)
        for b in (self.b_keep, self.b_report, self.b_discard):
            lay.addWidget(b)
        self.result = _muted()
        self.result.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result)

    def retranslate(self, lang: str) -> None:
        self.l_name.setText(tr(lang, "variant_name"))
        self.b_keep.setText(tr(lang, "keep"))
        self.b_report.setText(tr(lang, "write_report"))
        self.b_discard.setText(tr(lang, "discard"))

    def say(self, text: str, colour: str | None = None) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(f"color: {colour};" if colour else "")


class CompareTable(QtWidgets.QFrame):
    """The original layout's figures beside the edited one's, each change coloured (better:
    the ok colour, worse: the alarm colour)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("panel")
        self.grid = QtWidgets.QGridLayout(self)
        self.grid.setContentsMargins(8, 4, 8, 4)
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(2)
        self.cells: list[list[QtWidgets.QLabel]] = []

    def set_rows(self, header: tuple[str, str, str], rows: list[tuple[str, str, str, int]]) -> None:
        """``rows``: (figure, original, edited, +1 better / -1 worse / 0 same)."""
        want = len(rows) + 1
        while len(self.cells) < want:
            r = len(self.cells)
            row = [QtWidgets.QLabel() for _ in range(3)]
            for c, lab in enumerate(row):
                if c:
                    lab.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
                self.grid.addWidget(lab, r, c)
            self.cells.append(row)
        for r, row in enumerate(self.cells):
            for lab in row:
                lab.setVisible(r < want)
        for c, text in enumerate(header):
            self.cells[0][c].setText(text)
            self.cells[0][c].setObjectName("muted")
        for r, (name, a, b, better) in enumerate(rows, start=1):
            self.cells[r][0].setText(name)
            self.cells[r][1].setText(a)
            self.cells[r][2].setText(b)
            colour = (
                theme.STATUS["ok"] if better > 0 else theme.STATUS["alarm"] if better < 0 else ""
            )
            self.cells[r][2].setStyleSheet(
                f"color: {colour}; font-weight: 600;" if colour else "font-weight: 600;"
            )
