"""Writes assets/templates/devices_template.{xlsx,csv}: the device-list template operators fill
in (run: .venv/bin/python tools/make_template.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from twin.scene.catalogue import CAMERA_DEFAULTS, CATALOGUE

OUT = Path(__file__).resolve().parents[1] / "assets" / "templates"
HEADERS = [
    ("id", "编号", "unique device id; letters, digits, - _ . (no / + #)"),
    ("kind", "类型", "a kind name from the 'kinds' sheet (English or Chinese)"),
    ("name", "名称", "display name"),
    ("lon", "经度", "longitude in degrees (WGS84, or the geographic CRS in 'crs')"),
    ("lat", "纬度", "latitude in degrees"),
    ("x", "X坐标", "easting in metres, instead of lon / lat, in the CRS of 'crs'"),
    ("y", "Y坐标", "northing in metres"),
    (
        "crs",
        "坐标系",
        "CRS of x / y, e.g. EPSG:4547 (CGCS2000 3-degree GK, CM 114E); GCJ-02 is refused",
    ),
    ("height", "安装高度", "mount height above ground, metres (default per kind)"),
    ("heading", "朝向", "degrees clockwise from north (cameras: where they look)"),
    ("fov", "视场角", "camera horizontal field of view, degrees"),
    ("tilt", "俯仰角", "camera tilt below horizontal, degrees"),
    ("subkind", "子类型", "camera: " + " / ".join(CAMERA_DEFAULTS)),
    (
        "use",
        "用途",
        "meter: the building's use, residential / commercial / public (simulated load curve)",
    ),
]
ROWS = [
    [
        "cam-gate-01",
        "camera",
        "North gate AI camera",
        24.94105,
        60.17095,
        None,
        None,
        None,
        4.5,
        180,
        60,
        20,
        "ai",
        None,
    ],
    [
        "pole-001",
        "智慧杆",
        "Pole 1",
        24.94160,
        60.17120,
        None,
        None,
        None,
        8,
        None,
        None,
        None,
        None,
        None,
    ],
    [
        "bin-001",
        "trash_bin",
        "Bin 1",
        None,
        None,
        385950.0,
        6672310.0,
        "EPSG:32635",
        None,
        None,
        None,
        None,
        None,
        None,
    ],
    [
        "meter-b1",
        "meter",
        "Block 1 meter",
        24.94200,
        60.17150,
        None,
        None,
        None,
        1.2,
        None,
        None,
        None,
        None,
        "residential",
    ],
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "devices"
    ws.append([f"{en} ({zh})" for en, zh, _ in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
    for row in ROWS:
        ws.append(row)
    for i, (en, _, _) in enumerate(HEADERS):
        ws.column_dimensions[ws.cell(1, i + 1).column_letter].width = max(12, len(en) + 8)
    help_ws = wb.create_sheet("help")
    help_ws.append(["column", "列", "meaning"])
    for h in HEADERS:
        help_ws.append(list(h))
    kinds = wb.create_sheet("kinds")
    kinds.append(["kind", "名称", "name", "mount height (m)", "deployment rule"])
    for k in CATALOGUE.values():
        kinds.append([k.kind, k.name_zh, k.name_en, k.mount_height, k.rule])
    wb.save(OUT / "devices_template.xlsx")
    with open(OUT / "devices_template.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([en for en, _, _ in HEADERS])
        for row in ROWS:
            w.writerow(["" if v is None else v for v in row])
    print(f"wrote {OUT}/devices_template.xlsx and .csv")


if __name__ == "__main__":
    main()
