"""The wall-display palette: one place for every colour the twin draws."""

from __future__ import annotations

import numpy as np

BACKGROUND = "#0b1422"
"""One flat colour, which is also the ground: a gradient or a ground plane costs a large fill
per frame on software GL (about 6 and 4 ms)."""
TEXT = "#e8eef7"
BUILDING_RAMP = (
    (3.0, "#33496c"),  # one storey: a deep slate blue, a step above the ground
    (10.0, "#4d6793"),
    (25.0, "#6c87b8"),  # bluer in the middle, where it is as light as the offline grey
    (60.0, "#a6b8d2"),  # a tower: a light steel blue-grey
)
"""Normal building colour by height (metres, top above ground), interpolated in log height
between the stops (a storey more shows on a low building, less on a tower) and clamped at 3 and
60 m. Calm blue-greys, so that the status colours (green, amber, red, grey, sky blue) stand out
on them; baked per face with the shade of the lights when the scene is built (scenevis)."""
BUILDING = "#5c77a5"
"""One building colour where a single one is wanted (a legend swatch): the ramp's middle."""
SURFACE = {
    "ground": "#1a2230",
    "green": "#1e4a36",
    "water": "#1b4466",
    "parking_lot": "#2c3446",
}
ROAD = {"main": "#5d6a80", "minor": "#46536a", "path": "#343f52"}

BOUNDARY = "#76ff03"
"""A community's boundary line (the report's 3D view): no device kind has this colour."""

LIGHTS = (
    ((0.5, -0.8, 1.0), 0.95),  # the "sun", from the south-east, high
    ((-0.6, 0.4, 0.6), 0.35),  # a soft fill from the north-west
)
"""Directions (towards the light, world frame) and intensities of the two fixed scene lights.
Buildings have this lighting baked into their face colours; glyphs are lit by the same lights."""
AMBIENT, DIFFUSE = 0.25, 0.8

STATUS = {
    "ok": "#2ecc71",
    "warning": "#f5b041",
    "alarm": "#ff3b30",
    "offline": "#7f8c8d",
    "unknown": "#5dade2",
}
"""Device status colours, the same everywhere (scene, lists, legends)."""


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def face_shade(normals: np.ndarray) -> np.ndarray:
    """Brightness of faces with unit ``normals`` under :data:`LIGHTS` (ambient + diffuse)."""
    shade = np.full(len(normals), AMBIENT)
    for direction, intensity in LIGHTS:
        d = np.asarray(direction, dtype=float)
        d /= np.linalg.norm(d)
        shade += DIFFUSE * intensity * np.clip(normals @ d, 0.0, None)
    return np.clip(shade, 0.0, 1.0)


def building_colours(heights: np.ndarray) -> np.ndarray:
    """``(N, 3)`` float RGB (0..255) of buildings ``heights`` metres tall on
    :data:`BUILDING_RAMP` (unshaded)."""
    h = np.nan_to_num(np.asarray(heights, dtype=np.float64).ravel(), nan=BUILDING_RAMP[0][0])
    stops = np.log([max(hs, 1e-3) for hs, _ in BUILDING_RAMP])
    cols = np.array([rgb(c) for _, c in BUILDING_RAMP], dtype=np.float64)
    t = np.log(np.clip(h, BUILDING_RAMP[0][0], BUILDING_RAMP[-1][0]))
    return np.column_stack([np.interp(t, stops, cols[:, k]) for k in range(3)])
