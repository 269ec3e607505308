"""The residents / visitors register: CSV or Excel, English or Chinese headers (like device
lists; ``assets/templates/register_template.xlsx``).

Columns: category (resident / visitor; 住户 / 访客), id (the identifier the access platform
reports: card number, face id; 人员编号 / 卡号), name (姓名, optional), plate (车牌, optional),
household (户号; a visitor's host household), building (楼栋), unit (单元), care (关爱对象: yes
/ no), check interval in hours (检查间隔, default 24), door sensor (门磁: the device id of the
household's door sensor, when it opted in), valid from / valid to (有效期自 / 有效期至, a
visitor's validity, local time of the scene). A row that cannot be used is skipped with a
warning naming the row and why; the rest is kept.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from twin.core.errors import InputError
from twin.ingest.devicelist import column_key as header_key
from twin.ingest.devicelist import read_table
from twin.ingest.sources import check_readable
from twin.scene.entities import Warning
from twin.scene.people import CARE_INTERVAL_H, Person

COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("category", "type", "role", "类别", "类型", "人员类型", "身份"),
    "token": (
        "id",
        "person_id",
        "person",
        "token",
        "card",
        "card_no",
        "card_number",
        "face_id",
        "人员编号",
        "编号",
        "卡号",
        "门禁卡号",
        "人脸编号",
        "证件号",
    ),
    "name": ("name", "full_name", "姓名", "名字"),
    "plate": ("plate", "car_plate", "licence_plate", "license_plate", "车牌", "车牌号"),
    "household": ("household", "room", "flat", "apartment", "户号", "房号", "住户", "被访户"),
    "host": ("host", "host_household", "visiting", "被访户号", "受访户"),
    "building": ("building", "block", "楼栋", "楼号", "楼宇"),
    "unit": ("unit", "entrance", "单元"),
    "care": ("care", "needs_care", "cared_for", "关爱", "关爱对象", "独居老人", "重点关爱"),
    "interval": (
        "interval",
        "interval_h",
        "check_interval",
        "check_interval_h",
        "检查间隔",
        "探访间隔",
        "间隔",
    ),
    "door_sensor": ("door_sensor", "door", "门磁", "门磁编号"),
    "valid_from": ("valid_from", "from", "start", "有效期自", "开始时间", "有效期开始"),
    "valid_to": ("valid_to", "to", "until", "end", "有效期至", "结束时间", "有效期结束"),
}
_LOOKUP = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
RESIDENT_WORDS = {"resident", "owner", "tenant", "住户", "居民", "业主", "租户", "户主"}
VISITOR_WORDS = {"visitor", "guest", "访客", "来访", "来访人员"}


def column_key(header: Any) -> str | None:
    """The field a header means: 'Check interval (h)', '检查间隔（小时）' -> 'interval'."""
    return header_key(header, _LOOKUP)


@dataclass
class RegisterRows:
    """The usable rows of a register and what was skipped."""

    source: str
    people: list[Person]
    warnings: list[Warning] = field(default_factory=list)
    read: int = 0


def read_register(
    path: str | Path, tz: tzinfo | None = None, sheet: str | None = None
) -> RegisterRows:
    """Read a residents / visitors register.

    Raises
    ------
    InputError
        When the file cannot be read, has no identifier column, or no usable row.
    """
    path = Path(path)
    check_readable(path)
    df = read_table(path, sheet)
    where = path.name
    cols: dict[str, Any] = {}
    for c in df.columns:
        key = column_key(c)
        if key is not None and key not in cols:
            cols[key] = c
    if "token" not in cols:
        raise InputError(
            path,
            f"has no identifier column (headers: {', '.join(map(str, df.columns[:12]))}).",
            "Add an 'id' (人员编号 / 卡号) column with the number the access platform reports; "
            "see assets/templates/register_template.xlsx.",
        )
    if "household" not in cols and "host" not in cols:
        raise InputError(
            path,
            "has no household column.",
            "Add a 'household' (户号) column: the resident's household, a visitor's host.",
        )
    people: list[Person] = []
    warnings: list[Warning] = []
    seen: set[str] = set()
    for i, rec in enumerate(df.to_dict("records")):
        row = i + 2  # the header is row 1
        get = {k: _cell(rec.get(c)) for k, c in cols.items()}
        try:
            person = _person(get, row, tz)
        except ValueError as exc:
            warnings.append(Warning(where, f"row {row}", str(exc), "skipped", 1))
            continue
        key = re.sub(r"\s+", "", person.token).upper()
        if key in seen:
            warnings.append(
                Warning(where, f"row {row}", f"id {person.token!r} appears twice", "skipped", 1)
            )
            continue
        seen.add(key)
        people.append(person)
    if not people:
        raise InputError(
            path, "has no usable row.", "; ".join(f"{w.feature}: {w.reason}" for w in warnings[:3])
        )
    return RegisterRows(where, people, warnings, len(df))


def _cell(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime | pd.Timestamp):
        return v.isoformat()
    return str(v).strip()


def _person(get: dict[str, str], row: int, tz: tzinfo | None) -> Person:
    token = get.get("token", "")
    if not token:
        raise ValueError("no id (the identifier the access platform reports)")
    raw = get.get("category", "").strip().lower()
    category = (
        "visitor"
        if raw in VISITOR_WORDS
        else "resident"
        if raw in RESIDENT_WORDS or not raw
        else None
    )
    if category is None:
        raise ValueError(f"category {raw!r} is neither resident (住户) nor visitor (访客)")
    household = get.get("household", "") or get.get("host", "")
    if category == "visitor":
        household = get.get("host", "") or household
    if not household:
        raise ValueError("no household (a visitor needs the household they visit)")
    care = _yes(get.get("care", ""))
    interval = CARE_INTERVAL_H
    if get.get("interval"):
        try:
            interval = float(get["interval"].replace(",", "."))
        except ValueError:
            raise ValueError(
                f"check interval {get['interval']!r} is not a number of hours"
            ) from None
        if not 0.5 <= interval <= 24 * 14:
            raise ValueError(f"check interval {interval:g} h is outside 0.5 h - 14 days")
    valid_from = _time(get.get("valid_from", ""), tz, "valid from")
    valid_to = _time(get.get("valid_to", ""), tz, "valid to")
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise ValueError("valid to is not after valid from")
    return Person(
        category=category,
        token=token,
        household=household,
        building=get.get("building", ""),
        unit=get.get("unit", ""),
        name=get.get("name", ""),
        plate=get.get("plate", ""),
        care=care and category == "resident",
        interval_h=interval,
        door_sensor=get.get("door_sensor", ""),
        valid_from=valid_from,
        valid_to=valid_to,
        row=row,
    )


def _yes(v: str) -> bool:
    return v.strip().lower() in ("1", "yes", "y", "true", "t", "是", "需要", "✓", "x")


def _time(v: str, tz: tzinfo | None, what: str) -> float | None:
    if not v:
        return None
    try:
        dt = datetime.fromisoformat(v.replace("/", "-").replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {v!r} is not a date and time (2026-12-01 18:00)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz) if tz is not None else dt.astimezone()
    return dt.timestamp()
