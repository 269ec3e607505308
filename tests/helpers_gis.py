"""Small helpers for tests that write real GIS files and run the real CLI."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from pyproj import CRS, Geod, Transformer

from twin.ingest.crs import utm_crs

GEOD = Geod(ellps="WGS84")


# -- CLI ----------------------------------------------------------------------------------------
def run_twin(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m twin.cli.main ARGS`` in a subprocess (no tty, so no progress bar)."""
    return subprocess.run(
        [sys.executable, "-m", "twin.cli.main", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def run_twin_all(*argvs: list[str | Path]) -> list[subprocess.CompletedProcess[str]]:
    """Several ``twin`` commands at once (independent ones: they run concurrently)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "twin.cli.main", *map(str, a)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        for a in argvs
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


ACTION = re.compile(
    r"\b(Check|Use|Add|Declare|Export|Save|Fill|Give|State|See|Supported|upgrade|Every|must|Kinds:|e\.g\.|Run|"
    r"Drop|Write|Update|Move|List|Only)",
    re.IGNORECASE,
)
"""Words of a message that tells the user what to do."""


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit code 2, stderr one line 'twin: error: ...' naming ``names``, saying what to do."""
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {err}"
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("twin: error:"), err
    for n in names:
        assert n in lines[0], f"{n!r} not named in: {err}"
    assert ACTION.search(lines[0]), f"does not say what to do: {err}"
    return lines[0]


def info_json(scene: Path) -> dict[str, Any]:
    proc = run_twin("info", scene, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# -- places -------------------------------------------------------------------------------------
def metres_to_lonlat(lon0: float, lat0: float, dx: float, dy: float) -> tuple[float, float]:
    """The lon / lat ``dx`` m east and ``dy`` m north of (lon0, lat0), via its UTM zone."""
    crs = utm_crs(lon0, lat0)
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    inv = Transformer.from_crs(crs, 4326, always_xy=True)
    x0, y0 = fwd.transform(lon0, lat0)
    lon, lat = inv.transform(x0 + dx, y0 + dy)
    return float(lon), float(lat)


def rect_lonlat(
    lon0: float, lat0: float, x: float, y: float, w: float, h: float
) -> list[list[float]]:
    """A closed lon / lat ring of the rectangle [x, x + w] x [y, y + h] metres from (lon0, lat0)."""
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]
    return [list(metres_to_lonlat(lon0, lat0, cx, cy)) for cx, cy in corners]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def project(src: int | str | CRS, dst: int | str | CRS, x: float, y: float) -> tuple[float, float]:
    px, py = Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
    return float(px), float(py)


# -- GeoJSON ------------------------------------------------------------------------------------
def feature(geometry_type: str, coordinates: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


# -- CityJSON -----------------------------------------------------------------------------------
RD_TRANSLATE = (85000.0, 446000.0, 0.0)
MM_SCALE = (0.001, 0.001, 0.001)
BOX = {"x": 85100.0, "y": 446100.0, "w": 10.0, "d": 20.0, "h": 12.0}
"""The LoD1 box building (real coordinates, EPSG:28992)."""
HOUSE = {"x": 85150.0, "y": 446100.0, "w": 8.0, "d": 10.0, "base": 2.0, "eave": 6.0, "ridge": 9.0}
"""The LoD2 gabled house (a BuildingPart): ground at z = 2, ridge 9 m above it."""


class _Vertices:
    def __init__(
        self, scale: tuple[float, float, float], translate: tuple[float, float, float]
    ) -> None:
        self.scale, self.translate = scale, translate
        self.items: list[list[int]] = []
        self.index: dict[tuple[int, int, int], int] = {}

    def __call__(self, x: float, y: float, z: float) -> int:
        q = tuple(
            int(round((c - t) / s))
            for c, t, s in zip((x, y, z), self.translate, self.scale, strict=True)
        )
        if q not in self.index:
            self.index[q] = len(self.items)  # type: ignore[index]
            self.items.append(list(q))
        return self.index[q]  # type: ignore[index]


def _flat_rect(
    v: _Vertices, x: float, y: float, w: float, d: float, z: float = 0.0
) -> list[list[int]]:
    """One counter-clockwise (normal up) surface."""
    return [[v(x, y, z), v(x + w, y, z), v(x + w, y + d, z), v(x, y + d, z)]]


def cityjson_doc(
    version: str = "2.0",
    reference: str = "https://www.opengis.net/def/crs/EPSG/0/7415",
    scale: Any = MM_SCALE,
    translate: Any = RD_TRANSLATE,
) -> dict[str, Any]:
    """A small CityJSON model: an LoD1 Solid box, an LoD2 BuildingPart house, a Road, a
    PlantCover, a WaterBody, a LandUse and a TINRelief."""
    v = _Vertices(tuple(scale), tuple(translate))
    # LoD1 box: faces counter-clockwise seen from outside
    x0, y0, w, d, h = BOX["x"], BOX["y"], BOX["w"], BOX["d"], BOX["h"]
    c = [v(x0, y0, 0), v(x0 + w, y0, 0), v(x0 + w, y0 + d, 0), v(x0, y0 + d, 0)]
    t = [v(x0, y0, h), v(x0 + w, y0, h), v(x0 + w, y0 + d, h), v(x0, y0 + d, h)]
    shell = [
        [[c[0], c[3], c[2], c[1]]],  # floor, normal down
        [[t[0], t[1], t[2], t[3]]],  # roof, normal up
        [[c[0], c[1], t[1], t[0]]],  # south
        [[c[1], c[2], t[2], t[1]]],  # east
        [[c[2], c[3], t[3], t[2]]],  # north
        [[c[3], c[0], t[0], t[3]]],  # west
    ]
    # LoD2 gabled house, ridge along y
    hx, hy, hw, hd = HOUSE["x"], HOUSE["y"], HOUSE["w"], HOUSE["d"]
    z0, ze, zr = HOUSE["base"], HOUSE["base"] + HOUSE["eave"], HOUSE["base"] + HOUSE["ridge"]
    xm = hx + hw / 2
    g = [v(hx, hy, z0), v(hx + hw, hy, z0), v(hx + hw, hy + hd, z0), v(hx, hy + hd, z0)]
    e = [v(hx, hy, ze), v(hx + hw, hy, ze), v(hx + hw, hy + hd, ze), v(hx, hy + hd, ze)]
    r = [v(xm, hy, zr), v(xm, hy + hd, zr)]
    house = [
        [[g[0], g[3], g[2], g[1]]],  # ground, normal down
        [[g[0], g[1], e[1], r[0], e[0]]],  # south gable
        [[g[2], g[3], e[3], r[1], e[2]]],  # north gable
        [[g[1], g[2], e[2], e[1]]],  # east wall
        [[g[3], g[0], e[0], e[3]]],  # west wall
        [[e[1], e[2], r[1], r[0]]],  # east roof
        [[e[3], e[0], r[0], r[1]]],  # west roof
    ]
    tin = [
        [[v(85000, 446000, 0), v(85300, 446000, 0), v(85300, 446300, 1)]],
        [[v(85000, 446000, 0), v(85300, 446300, 1), v(85000, 446300, 1)]],
    ]
    objects = {
        "B1": {
            "type": "Building",
            "attributes": {"name": "Box"},
            "geometry": [{"type": "Solid", "lod": "1", "boundaries": [shell]}],
        },
        "B2": {"type": "Building", "attributes": {"name": "House"}, "children": ["B2-part"]},
        "B2-part": {
            "type": "BuildingPart",
            "parents": ["B2"],
            "geometry": [{"type": "MultiSurface", "lod": "2", "boundaries": house}],
        },
        "R1": {
            "type": "Road",
            "geometry": [
                {
                    "type": "MultiSurface",
                    "lod": "1",
                    "boundaries": [_flat_rect(v, 85080, 446080, 120, 10)],
                }
            ],
        },
        "P1": {
            "type": "PlantCover",
            "geometry": [
                {
                    "type": "MultiSurface",
                    "lod": "1",
                    "boundaries": [_flat_rect(v, 85120, 446130, 20, 20)],
                }
            ],
        },
        "W1": {
            "type": "WaterBody",
            "geometry": [
                {
                    "type": "MultiSurface",
                    "lod": "1",
                    "boundaries": [_flat_rect(v, 85160, 446130, 20, 20)],
                }
            ],
        },
        "L1": {
            "type": "LandUse",
            "geometry": [
                {
                    "type": "MultiSurface",
                    "lod": "1",
                    "boundaries": [_flat_rect(v, 85200, 446100, 30, 30)],
                }
            ],
        },
        "T1": {
            "type": "TINRelief",
            "geometry": [{"type": "CompositeSurface", "lod": "1", "boundaries": tin}],
        },
    }
    return {
        "type": "CityJSON",
        "version": version,
        "transform": {"scale": list(scale), "translate": list(translate)},
        "metadata": {"referenceSystem": reference},
        "CityObjects": objects,
        "vertices": v.items,
    }


def write_cityjson(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def modified(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with top-level keys replaced (a value of None deletes the key)."""
    out = copy.deepcopy(doc)
    for k, val in changes.items():
        if val is None:
            out.pop(k, None)
        else:
            out[k] = val
    return out
