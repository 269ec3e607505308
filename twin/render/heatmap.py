"""Colouring for the environment and energy views: threshold-aware colour ramps, the
interpolated environment surface over the ground, and buildings coloured by their energy use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyvista as pv

from twin.analysis.environment import Grid, Quantity
from twin.core.i18n import pick
from twin.render import style
from twin.render.scenevis import SceneVisual, shaded

SURFACE_ALPHA = 170
"""Opacity (of 255) of the environment surface where it has a value."""
NO_DATA_DARKEN = 0.55
"""Buildings without data keep their normal colour (by height), this much darker."""
_NEUTRAL = ("#1f4e79", "#5dade2", "#d6eaf8")
"""Ramp of a quantity without thresholds (humidity): dark to light blue."""
ENERGY_RAMP = (
    (0.0, "#2b6cb0"),  # low: cool blue
    (0.35, "#2ec4b6"),  # teal
    (0.7, "#f39c12"),  # orange
    (1.0, "#ff3b30"),  # high: red
)


def _rgbf(hex_colour: str) -> np.ndarray:
    return np.array(style.rgb(hex_colour), dtype=np.float64)


def _mix(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a[None, :] * (1.0 - t[:, None]) + b[None, :] * t[:, None]


def _shades(hex_colour: str) -> tuple[np.ndarray, np.ndarray]:
    """A band's lighter and darker ends around a status hue."""
    c = _rgbf(hex_colour)
    return c * 0.75 + 255.0 * 0.25, c * 0.75


def _hex(c: np.ndarray) -> str:
    r, g, b = (int(round(float(v))) for v in np.clip(c, 0, 255))
    return f"#{r:02x}{g:02x}{b:02x}"


def ramp_colours(
    values: np.ndarray, quantity: Quantity, night: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Colours ``(N, 3)`` uint8 and alphas ``(N,)`` uint8 of ``values``.

    The ramp marks the thresholds: below the first high threshold greens (``STATUS["ok"]``),
    between the first and the second ambers (``warning``), from the second reds (``alarm``),
    each band shading from light to dark across it. Values below a low-side threshold (frost)
    are amber. A quantity without thresholds gets a neutral blue ramp. NaN: alpha 0."""
    v = np.asarray(values, dtype=np.float64).ravel()
    out = np.zeros((len(v), 3))
    alpha = np.where(np.isfinite(v), 255, 0).astype(np.uint8)
    ths = quantity.night_thresholds if night and quantity.night_thresholds else quantity.thresholds
    high = sorted(t.value for t in ths if t.side == "high")
    low = [t.value for t in ths if t.side == "low"]
    finite = np.isfinite(v)
    if not high and not low:
        span = max(quantity.vmax - quantity.vmin, 1e-9)
        t = np.clip((v - quantity.vmin) / span, 0.0, 1.0)
        a, b, c = (_rgbf(h) for h in _NEUTRAL)
        lo = t < 0.5
        out[lo] = _mix(a, b, t[lo] * 2)
        out[~lo] = _mix(b, c, (t[~lo] - 0.5) * 2)
        out[~finite] = 0
        return out.clip(0, 255).astype(np.uint8), alpha
    edges = [
        min(quantity.vmin, high[0] if high else quantity.vmin),
        *high,
        max(quantity.vmax, high[-1] if high else quantity.vmax),
    ]
    hues = [style.STATUS["ok"], style.STATUS["warning"], style.STATUS["alarm"]]
    for k in range(len(edges) - 1):
        lo_v, hi_v = edges[k], edges[k + 1]
        sel = finite.copy()
        if k:  # the first band also takes values below vmin
            sel &= v >= lo_v
        if k < len(edges) - 2:  # the last band also takes values above vmax
            sel &= v < hi_v
        if not sel.any():
            continue
        frac = np.clip((v[sel] - lo_v) / max(hi_v - lo_v, 1e-9), 0.0, 1.0)
        light, dark = _shades(hues[min(k, 2)])
        out[sel] = _mix(light, dark, frac)
    for lv in low:
        sel = finite & (v < lv)
        if sel.any():
            light, dark = _shades(style.STATUS["warning"])
            out[sel] = _mix(
                dark, light, np.clip((v[sel] - quantity.vmin) / max(lv - quantity.vmin, 1e-9), 0, 1)
            )
    out[~finite] = 0
    return out.clip(0, 255).astype(np.uint8), alpha


def grid_polydata(
    grid: Grid, quantity: Quantity, z: float = 0.6, night: bool = False
) -> pv.PolyData:
    """The grid's cells with a value as flat quads at height ``z``, cell array ``rgba`` (uint8,
    alpha :data:`SURFACE_ALPHA`) and ``value``. Cells without a value are left out."""
    nx, ny = grid.nx, grid.ny
    xs = grid.x0 + np.arange(nx + 1) * grid.cell
    ys = grid.y0 + np.arange(ny + 1) * grid.cell
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)])
    vals = np.asarray(grid.values, dtype=np.float64).reshape(ny, nx)
    jj, ii = np.nonzero(np.isfinite(vals))
    if not len(jj):
        return pv.PolyData()
    p00 = jj * (nx + 1) + ii
    quads = np.column_stack(
        [np.full(len(p00), 4), p00, p00 + 1, p00 + nx + 2, p00 + nx + 1]
    ).ravel()
    used = np.unique(quads.reshape(-1, 5)[:, 1:])
    remap = np.full(len(pts), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    q = quads.reshape(-1, 5).copy()
    q[:, 1:] = remap[q[:, 1:]]
    poly = pv.PolyData(pts[used], q.ravel())
    v = vals[jj, ii]
    rgb, _ = ramp_colours(v, quantity, night)
    poly.cell_data["rgba"] = np.column_stack([rgb, np.full(len(v), SURFACE_ALPHA, dtype=np.uint8)])
    poly.cell_data["value"] = v
    return poly


def _fmt(v: float) -> str:
    return f"{v:g}"


def legend_stops(
    quantity: Quantity, lang: str = "en", night: bool = False
) -> list[tuple[str, str]]:
    """Legend lines ``(text, hex colour)`` of a quantity: one per band between its thresholds,
    naming each limit and its standard (or saying there is none)."""
    ths = quantity.night_thresholds if night and quantity.night_thresholds else quantity.thresholds
    high = sorted((t for t in ths if t.side == "high"), key=lambda t: t.value)
    low = [t for t in ths if t.side == "low"]
    unit = quantity.unit
    std = quantity.standard(lang)
    out: list[tuple[str, str]] = []
    if not high and not low:
        for k, (frac, h) in enumerate(zip((0.0, 0.5, 1.0), _NEUTRAL, strict=True)):
            v = quantity.vmin + frac * (quantity.vmax - quantity.vmin)
            out.append((f"{_fmt(v)} {unit}" + (f"  ({std})" if k == 0 and std else ""), h))
        return out
    for lt in low:
        out.append(
            (
                f"< {_fmt(lt.value)} {unit}  {pick(lang, lt.label_en, lt.label_zh)}",
                _hex(_shades(style.STATUS["warning"])[0]),
            )
        )
    hues = [style.STATUS["ok"], style.STATUS["warning"], style.STATUS["alarm"]]
    below = pick(lang, "below", "低于")
    if high:
        out.append(
            (
                f"< {_fmt(high[0].value)} {unit}  {below} "
                f"{pick(lang, high[0].label_en, high[0].label_zh)}",
                hues[0],
            )
        )
    for k, ht in enumerate(high):
        nxt = high[k + 1].value if k + 1 < len(high) else None
        rng = f"{_fmt(ht.value)}-{_fmt(nxt)}" if nxt is not None else f">= {_fmt(ht.value)}"
        out.append(
            (
                f"{rng} {unit}  {pick(lang, 'above', '超过')} "
                f"{pick(lang, ht.label_en, ht.label_zh)}",
                hues[min(k + 1, 2)],
            )
        )
    if std:
        out.append((std, style.TEXT))
    return out


def energy_colours(values: np.ndarray, vmax: float) -> np.ndarray:
    """``(N, 3)`` float RGB of values on the cool-to-hot energy ramp (0 .. ``vmax``)."""
    t = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64) / max(vmax, 1e-12)), 0.0, 1.0)
    xs = np.array([s[0] for s in ENERGY_RAMP])
    cols = np.array([_rgbf(s[1]) for s in ENERGY_RAMP])
    return np.column_stack([np.interp(t, xs, cols[:, c]) for c in range(3)])


def _building_poly(vis: SceneVisual) -> pv.PolyData | None:
    actor: Any = vis.actors.get("building")
    if actor is None:
        return None
    # the mesh given to add_mesh: the source at the head of the mapper's pipeline (pyvista may
    # put a filter between them, whose output is rebuilt from the source at the next render)
    mapper = actor.GetMapper()
    alg = mapper.GetInputAlgorithm()
    while alg is not None and alg.GetNumberOfInputPorts() and alg.GetNumberOfInputConnections(0):
        alg = alg.GetInputAlgorithm(0, 0)
    data = alg.GetOutputDataObject(0) if alg is not None else mapper.GetInput()
    return None if data is None else pv.wrap(data)


def _write_rgb(poly: pv.PolyData, rgb: np.ndarray) -> None:
    arr = np.asarray(poly.cell_data["rgb"])  # a view of the VTK array: written in place
    arr[...] = rgb
    poly.GetCellData().GetArray("rgb").Modified()
    poly.Modified()


def building_colours(
    vis: SceneVisual, values_per_building: np.ndarray, vmax: float | None = None
) -> float | None:
    """Colour the buildings by a value each (NaN: no data) on the energy ramp from 0 to ``vmax``
    (default: the largest value), keeping their baked shading; buildings without data keep
    their normal colour, darker. In place (the next render shows it). Returns the ``vmax``
    used (None when nothing was coloured)."""
    poly = _building_poly(vis)
    if poly is None or "entity" not in poly.cell_data:
        return None
    vals = np.asarray(values_per_building, dtype=np.float64).ravel()
    ent = np.asarray(poly.cell_data["entity"])
    shade = np.asarray(poly.cell_data["shade"], dtype=np.float64)
    per_face = np.full(len(ent), np.nan)
    ok = (ent >= 0) & (ent < len(vals))
    per_face[ok] = vals[ent[ok]]
    if vmax is None:
        finite = vals[np.isfinite(vals)]
        vmax = float(finite.max()) if len(finite) else 1.0
    vmax = vmax if vmax > 0 else 1.0
    has = np.isfinite(per_face)
    col = _normal_base(poly, len(ent)) * NO_DATA_DARKEN
    col[has] = energy_colours(per_face[has], vmax)
    _write_rgb(poly, shaded(col, shade))
    return vmax


def _normal_base(poly: pv.PolyData, n: int) -> np.ndarray:
    """The buildings' unshaded normal colours (by height), float ``(n, 3)``."""
    if "base" in poly.cell_data:
        return np.asarray(poly.cell_data["base"], dtype=np.float64).reshape(n, 3)
    return np.tile(_rgbf(style.BUILDING), (n, 1))


def reset_building_colours(vis: SceneVisual) -> None:
    """Back to the normal building colours (by height, shaded), as the scene was built."""
    poly = _building_poly(vis)
    if poly is None:
        return
    shade = np.asarray(poly.cell_data["shade"], dtype=np.float64)
    _write_rgb(poly, shaded(_normal_base(poly, len(shade)), shade))


def energy_legend(vmax: float, unit: str, lang: str = "en") -> list[tuple[str, str]]:
    """Legend lines ``(text, hex colour)`` for buildings coloured by :func:`building_colours`."""
    out = [
        (
            f"{_fmt(round(frac * vmax, 3 if vmax < 10 else 1))} {unit}"
            if frac < 1
            else f">= {_fmt(round(vmax, 3 if vmax < 10 else 1))} {unit}",
            _hex(energy_colours(np.array([frac * vmax]), vmax)[0]),
        )
        for frac in (0.0, 0.35, 0.7, 1.0)
    ]
    out.append((pick(lang, "no data", "无数据"), _hex(_rgbf(style.BUILDING) * NO_DATA_DARKEN)))
    return out
