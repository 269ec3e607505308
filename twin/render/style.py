"""The wall-display palette: one place for every colour the twin draws."""

from __future__ import annotations

import numpy as np

BACKGROUND = "#0b1422"
"""One flat colour, which is also the ground: a gradient or a ground plane costs a large fill
per frame on software GL (about 6 and 4 ms)."""
TEXT = "#e8eef7"
BUILDING = "#8396b0"
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
