"""Make the demo's residents / visitors register (invented people: see ATTRIBUTION.md).

    python assets/people/make_demo_register.py

writes ``demo_register.xlsx`` beside this script: 300 residents of 120 households in four
buildings of the demo community, six of them cared for (four with a door sensor), twelve
registered visitors. Headers are bilingual (English and Chinese), as the register reader
accepts either. Deterministic: the same file every run.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

FIRST = (
    "Aino Eero Helmi Ilkka Juha Kaisa Lauri Maria Niko Oona Pekka Riikka Sami Tiina Ville "
    "Anna Mikko Sanna Jari Leena Timo Elina Antti Hanna Olli Satu Kalle Noora Matti Laura"
).split()
LAST = (
    "Virtanen Korhonen Nieminen Makinen Hamalainen Laine Heikkinen Koskinen Jarvinen Lehtonen "
    "Lehtinen Saarinen Salminen Heinonen Niemi Heikkila Kinnunen Salonen Turunen Salo"
).split()
BUILDINGS = (  # buildings of the demo community (OSM addresses), with their units
    ("Mikonkatu 11", ("A", "B")),
    ("Kaisaniemenkatu 2a", ("A", "B", "C")),
    ("Kaivokatu 10", ("A",)),
    ("Elielinaukio 2", ("A", "B")),
)
DOOR_SENSORS = 4
"""The first four cared-for households opted in to a door sensor (device id door-<household>,
in assets/devices/demo_devices.csv)."""
HEADERS = {
    "category": "category 类别",
    "id": "id 人员编号",
    "name": "name 姓名",
    "plate": "plate 车牌",
    "household": "household 户号",
    "building": "building 楼栋",
    "unit": "unit 单元",
    "care": "care 关爱对象",
    "interval": "check interval h 检查间隔(小时)",
    "door": "door sensor 门磁",
    "valid_from": "valid from 有效期自",
    "valid_to": "valid to 有效期至",
}


def main() -> None:
    rnd = random.Random(15)
    rows = []
    households = []
    for b, units in BUILDINGS:
        for u in units:
            for k in range(1, 1 + 30 // len(units) + (4 if len(units) == 1 else 0)):
                code = f"{b.split()[0][:4].upper()}{b.split()[-1].upper()}"
                households.append((b, u, f"{code}-{u}{k:02d}"))
    households = households[:120]
    care_left = 6
    doors = DOOR_SENSORS
    n = 0
    for i, (b, u, hid) in enumerate(households):
        alone = care_left > 0 and i % 19 == 3
        size = 1 if alone else rnd.choice((1, 2, 2, 3, 3, 4))
        last = rnd.choice(LAST)
        for k in range(size):
            n += 1
            if n > 300:
                break
            car = k == 0 and rnd.random() < 0.45
            letters = "".join(rnd.choice(a) for a in ("ABCGKLMNR", "ABCEFHJKMNRT", "IKMRSTVXZ"))
            plate = f"{letters}-{rnd.randint(100, 999)}" if car else ""
            row = {
                "category": "resident",
                "id": f"C{400000 + n * 37:07d}",
                "name": f"{rnd.choice(FIRST)} {last}",
                "plate": plate,
                "household": hid,
                "building": b,
                "unit": u,
                "care": "yes" if alone else "",
                "interval": (12 if care_left == 2 else 24) if alone else "",
                "door": f"door-{hid.lower()}" if alone and doors > 0 else "",
                "valid_from": "",
                "valid_to": "",
            }
            rows.append(row)
        if alone:
            care_left -= 1
            doors -= 1
    for v in range(12):
        host = households[rnd.randrange(len(households))]
        long = v < 3  # caregivers and cleaners with a pass for the year
        rows.append(
            {
                "category": "visitor",
                "id": f"V{900000 + v * 11:07d}",
                "name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                "plate": "",
                "household": host[2],
                "building": host[0],
                "unit": host[1],
                "care": "",
                "interval": "",
                "door": "",
                "valid_from": "2026-01-01 00:00" if long else "",
                "valid_to": "2027-12-31 23:59" if long else "",
            }
        )
    df = pd.DataFrame(rows).rename(columns=HEADERS)
    out = Path(__file__).with_name("demo_register.xlsx")
    df.to_excel(out, index=False, sheet_name="register")
    print(f"{out}: {len(rows)} rows")


if __name__ == "__main__":
    main()
