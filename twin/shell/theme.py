"""The dark wall-display theme: one palette (shared with the 3D scene), large type, a font
scale for walls of any size."""

from __future__ import annotations

from PySide6 import QtGui, QtWidgets

from twin.render import style
from twin.render.status import STATUS_STYLE

BG = style.BACKGROUND
PANEL = "#101d31"
PANEL_2 = "#16263f"
BORDER = "#24385a"
TEXT = style.TEXT
MUTED = "#9aa6b8"
ACCENT = "#4fc3f7"
STATUS = style.STATUS
"""ok / warning / alarm / offline / unknown: the same five colours as the scene."""
SEVERITY = {
    "critical": STATUS["alarm"],
    "major": "#ff7043",
    "minor": STATUS["warning"],
    "info": STATUS["unknown"],
}
PARKING = {
    "free": STATUS["ok"],
    "occupied": "#e74c8c",
    "booked": "#b388ff",
    "unknown": STATUS["offline"],
}
"""Space states: not statuses, so the occupied colour is a magenta, never the alarm red."""
CHARGER = {
    "idle": STATUS["ok"],
    "charging": "#4f8cff",
    "fault": STATUS["warning"],
    "offline": STATUS["offline"],
    "unknown": STATUS["unknown"],
}


def status_colour(status: str) -> str:
    return STATUS[STATUS_STYLE.get(status, "unknown")]


def base_point_size(scale: float) -> float:
    return 11.0 * max(0.6, min(scale, 4.0))


def apply(app: QtWidgets.QApplication, scale: float = 1.0, lang: str = "en") -> None:
    """Dark palette, fonts (a CJK font for Chinese) and the style sheet, at ``scale``."""
    app.setStyle("Fusion")
    pal = QtGui.QPalette()
    for role, colour in (
        (QtGui.QPalette.ColorRole.Window, BG),
        (QtGui.QPalette.ColorRole.Base, PANEL),
        (QtGui.QPalette.ColorRole.AlternateBase, PANEL_2),
        (QtGui.QPalette.ColorRole.Text, TEXT),
        (QtGui.QPalette.ColorRole.WindowText, TEXT),
        (QtGui.QPalette.ColorRole.Button, PANEL_2),
        (QtGui.QPalette.ColorRole.ButtonText, TEXT),
        (QtGui.QPalette.ColorRole.Highlight, "#1f5f8b"),
        (QtGui.QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QtGui.QPalette.ColorRole.ToolTipBase, PANEL_2),
        (QtGui.QPalette.ColorRole.ToolTipText, TEXT),
        (QtGui.QPalette.ColorRole.PlaceholderText, MUTED),
    ):
        pal.setColor(role, QtGui.QColor(colour))
    app.setPalette(pal)
    pt = base_point_size(scale)
    families = (
        ["Noto Sans CJK SC", "Noto Sans", "DejaVu Sans"]
        if lang == "zh"
        else ["Noto Sans", "DejaVu Sans", "Noto Sans CJK SC"]
    )
    font = QtGui.QFont()
    font.setFamilies(families)
    font.setPointSizeF(pt)
    app.setFont(font)
    app.setStyleSheet(style_sheet(pt))


def style_sheet(pt: float) -> str:
    big, huge, small = pt * 1.35, pt * 2.0, pt * 0.9
    return f"""
QWidget {{ background: {BG}; color: {TEXT}; }}
QFrame#panel, QWidget#panel {{ background: {PANEL}; border: 1px solid {BORDER}; \
border-radius: 6px; }}
QLabel {{ background: transparent; }}
QLabel#title {{ font-size: {big}pt; font-weight: 600; }}
QLabel#sectionTitle {{ font-size: {pt * 1.1}pt; font-weight: 600; color: {ACCENT}; }}
QLabel#figureValue {{ font-size: {huge}pt; font-weight: 700; }}
QLabel#figureLabel {{ color: {MUTED}; font-size: {small}pt; }}
QLabel#topValue {{ font-size: {big}pt; font-weight: 700; }}
QLabel#muted {{ color: {MUTED}; }}
QLabel#badge {{ border-radius: 4px; padding: 2px 8px; font-weight: 700; }}
QPushButton, QToolButton {{ background: {PANEL_2}; border: 1px solid {BORDER}; border-radius: 4px;
  padding: 6px 14px; }}
QPushButton:hover, QToolButton:hover {{ border-color: {ACCENT}; }}
QPushButton:checked, QToolButton:checked {{ background: #1f5f8b; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #5a6678; }}
QPushButton#viewButton {{ font-size: {pt * 1.2}pt; font-weight: 600; padding: 6px 5px; }}
QLineEdit, QComboBox {{ background: {PANEL_2}; border: 1px solid {BORDER}; border-radius: 4px; \
padding: 4px 8px; }}
QComboBox QAbstractItemView {{ background: {PANEL_2}; selection-background-color: #1f5f8b; }}
QTableWidget, QListWidget, QTreeWidget {{ background: {PANEL}; \
alternate-background-color: {PANEL_2};
  gridline-color: {BORDER}; border: none; }}
QListWidget::indicator, QCheckBox::indicator {{ width: 16px; height: 16px; \
border: 1px solid {MUTED}; border-radius: 3px; background: {PANEL_2}; }}
QListWidget::indicator:checked, QCheckBox::indicator:checked {{ background: {ACCENT}; \
border-color: {ACCENT}; }}
QHeaderView::section {{ background: {PANEL_2}; color: {MUTED}; border: none; padding: 4px 8px; }}
QSlider::groove:horizontal {{ height: 6px; background: {PANEL_2}; border-radius: 3px; }}
QSlider::handle:horizontal {{ width: 18px; margin: -7px 0; background: {ACCENT}; \
border-radius: 9px; }}
QScrollBar:vertical {{ background: {PANEL}; width: 12px; }}
QScrollBar::handle:vertical {{ background: {BORDER}; border-radius: 5px; }}
QToolTip {{ background: {PANEL_2}; color: {TEXT}; border: 1px solid {BORDER}; }}
QProgressBar {{ background: {PANEL_2}; border: 1px solid {BORDER}; border-radius: 4px; \
text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
"""
