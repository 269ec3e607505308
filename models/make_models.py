"""Generate the low-poly 3D model of every device kind as ``models/<kind>.ply``.

Conventions (the renderer relies on them):

* units are metres, real-world size (distinguishing features slightly exaggerated so that they
  read from an oblique aerial view at a small size);
* the origin is the point where the device stands on the ground (its foot), z is up; the only
  exception is ``smoke_detector``, which is centred on the origin (it is placed at ceiling
  height);
* the device's front (camera view direction, display face, bench front...) points toward +Y
  (north); the renderer rotates each model by the device heading around Z. The vehicle
  ``barrier`` faces traffic along +Y, so its boom spans the lane along +X;
* every model stays under 1,500 triangles (they are drawn as instanced glyphs); no colours,
  devices are coloured per device at render time.

Run ``make models`` or ``.venv/bin/python models/make_models.py`` to regenerate the files.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import trimesh
from trimesh import transformations as tf

MAX_TRIANGLES = 1500
SECTIONS = 14
CENTRED_KINDS = frozenset({"smoke_detector", "light"})

Vec3 = Sequence[float]


# --------------------------------------------------------------------------------------------
# Primitive helpers
# --------------------------------------------------------------------------------------------


def _box(size: Vec3, centre: Vec3) -> trimesh.Trimesh:
    """An axis-aligned box of ``size`` (x, y, z) centred on ``centre``."""
    return trimesh.creation.box(extents=size, transform=tf.translation_matrix(centre))


def _block(
    x: tuple[float, float], y: tuple[float, float], z: tuple[float, float]
) -> trimesh.Trimesh:
    """An axis-aligned box given by its ranges on each axis."""
    size = (x[1] - x[0], y[1] - y[0], z[1] - z[0])
    centre = ((x[0] + x[1]) / 2, (y[0] + y[1]) / 2, (z[0] + z[1]) / 2)
    return _box(size, centre)


def _cyl(
    radius: float,
    z0: float,
    z1: float,
    xy: tuple[float, float] = (0.0, 0.0),
    sections: int = SECTIONS,
) -> trimesh.Trimesh:
    """A vertical cylinder from ``z0`` to ``z1`` centred on ``xy``."""
    return trimesh.creation.cylinder(
        radius=radius,
        height=z1 - z0,
        sections=sections,
        transform=tf.translation_matrix((xy[0], xy[1], (z0 + z1) / 2)),
    )


def _rod(p0: Vec3, p1: Vec3, radius: float, sections: int = SECTIONS) -> trimesh.Trimesh:
    """A cylinder between two points."""
    return trimesh.creation.cylinder(
        radius=radius, segment=np.array([p0, p1], dtype=float), sections=sections
    )


def _frustum(
    r0: float, r1: float, z0: float, z1: float, sections: int = SECTIONS
) -> trimesh.Trimesh:
    """A vertical truncated cone: radius ``r0`` at ``z0`` tapering to ``r1`` at ``z1``."""
    mesh = trimesh.creation.cylinder(radius=r0, height=z1 - z0, sections=sections)
    v = mesh.vertices.copy()
    top = v[:, 2] > 0
    v[top, :2] *= r1 / r0
    v[:, 2] += (z0 + z1) / 2
    mesh.vertices = v
    return mesh


def _sphere(
    radius: float, centre: Vec3, scale_z: float = 1.0, subdivisions: int = 1
) -> trimesh.Trimesh:
    """An icosphere, optionally flattened along z."""
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    mesh.apply_scale((1.0, 1.0, scale_z))
    mesh.apply_translation(centre)
    return mesh


def _ring(
    r_min: float, r_max: float, z0: float, z1: float, sections: int = SECTIONS
) -> trimesh.Trimesh:
    """A flat vertical-axis annulus from ``z0`` to ``z1``."""
    return trimesh.creation.annulus(
        r_min=r_min,
        r_max=r_max,
        height=z1 - z0,
        sections=sections,
        transform=tf.translation_matrix((0.0, 0.0, (z0 + z1) / 2)),
    )


def _rotated(mesh: trimesh.Trimesh, angle_deg: float, axis: Vec3, point: Vec3) -> trimesh.Trimesh:
    """``mesh`` rotated by ``angle_deg`` around ``axis`` through ``point``."""
    mesh.apply_transform(tf.rotation_matrix(math.radians(angle_deg), axis, point))
    return mesh


def _join(*parts: trimesh.Trimesh) -> trimesh.Trimesh:
    """Concatenate closed parts (each with outward normals) into one mesh.

    The parts may overlap (no booleans): the result is a set of closed shells, which is all a
    renderer needs. Normals are not "fixed" on the joined mesh because merging touching shells
    would make it non-manifold; instead every part is checked to be closed and outward facing.
    """
    for part in parts:
        if not (part.is_watertight and part.volume > 0):
            raise ValueError("model part is not a closed, outward-facing shell")
    mesh = trimesh.util.concatenate(list(parts))
    mesh.merge_vertices()
    return mesh


# --------------------------------------------------------------------------------------------
# Models, one per device kind
# --------------------------------------------------------------------------------------------


def pole() -> trimesh.Trimesh:
    """Smart street-lamp pole: tapered 8 m shaft, arm to +Y, lamp head, LED screen at 3 m."""
    return _join(
        _block((-0.25, 0.25), (-0.25, 0.25), (0.0, 0.25)),  # foundation plinth
        _frustum(0.18, 0.08, 0.0, 8.0),  # shaft
        _rod((0.0, 0.0, 7.75), (0.0, 1.55, 8.05), 0.05, 10),  # arm
        _rod((0.0, 0.0, 7.2), (0.0, 0.8, 7.8), 0.03, 8),  # arm brace
        _block((-0.18, 0.18), (1.1, 1.95), (7.92, 8.08)),  # flat lamp head
        _block((-0.3, 0.3), (0.1, 0.22), (2.55, 3.45)),  # LED screen / cabinet
    )


def camera() -> trimesh.Trimesh:
    """Bullet camera on a bracket: 0.6 m post, bracket, body pointing +Y, lens and sun-hood."""
    return _join(
        _cyl(0.07, 0.0, 0.02),  # base plate
        _cyl(0.03, 0.0, 0.62, sections=10),  # post
        _rod((0.0, 0.0, 0.6), (0.0, 0.12, 0.66), 0.025, 8),  # bracket
        _block((-0.07, 0.07), (0.03, 0.38), (0.63, 0.77)),  # camera body
        _rod((0.0, 0.37, 0.70), (0.0, 0.43, 0.70), 0.055),  # lens barrel
        _block((-0.09, 0.09), (0.0, 0.46), (0.775, 0.795)),  # sun-hood roof
        _block((-0.09, -0.075), (0.0, 0.46), (0.68, 0.795)),  # sun-hood sides
        _block((0.075, 0.09), (0.0, 0.46), (0.68, 0.795)),
    )


def manhole() -> trimesh.Trimesh:
    """Manhole cover: 0.7 m disc, 0.05 m thick, with a raised rim and grip bars."""
    parts = [
        _cyl(0.35, 0.0, 0.05, sections=24),  # cover
        _ring(0.30, 0.35, 0.05, 0.075, sections=24),  # raised rim
        _cyl(0.06, 0.05, 0.07, sections=12),  # centre boss (sensor)
    ]
    for x in (-0.15, 0.15):  # grip bars
        parts.append(_block((x - 0.02, x + 0.02), (-0.22, 0.22), (0.05, 0.065)))
    return _join(*parts)


def hydrant() -> trimesh.Trimesh:
    """Pillar hydrant ~0.8 m: flange, body, domed cap with nut, two side outlets and a front one."""
    parts = [
        _cyl(0.17, 0.0, 0.06),  # ground flange
        _cyl(0.12, 0.0, 0.62),  # body
        _cyl(0.145, 0.58, 0.64),  # cap flange
        _sphere(0.13, (0.0, 0.0, 0.63), scale_z=0.85, subdivisions=1),  # dome
        _cyl(0.035, 0.70, 0.80, sections=6),  # operating nut
    ]
    for sx in (-1.0, 1.0):  # side outlet nozzles
        parts.append(_rod((0.0, 0.0, 0.42), (sx * 0.22, 0.0, 0.42), 0.05))
        parts.append(_rod((sx * 0.2, 0.0, 0.42), (sx * 0.25, 0.0, 0.42), 0.065))
    parts.append(_rod((0.0, 0.0, 0.34), (0.0, 0.2, 0.34), 0.06))  # front pumper outlet
    parts.append(_rod((0.0, 0.18, 0.34), (0.0, 0.23, 0.34), 0.075, 6))
    return _join(*parts)


def trash_bin() -> trimesh.Trimesh:
    """A pair of street recycling bins side by side, with overhanging lids and front slots."""
    parts = []
    for cx in (-0.28, 0.28):
        parts += [
            _block((cx - 0.25, cx + 0.25), (-0.25, 0.25), (0.0, 0.93)),  # body
            _block((cx - 0.27, cx + 0.27), (-0.28, 0.27), (0.93, 1.0)),  # lid
            _block((cx - 0.26, cx + 0.26), (-0.27, 0.26), (0.0, 0.06)),  # base rim
            _block((cx - 0.15, cx + 0.15), (0.25, 0.29), (0.70, 0.80)),  # front slot lip
            _block((cx - 0.2, cx + 0.2), (-0.33, -0.29), (0.95, 0.98)),  # lid handle
        ]
    return _join(*parts)


def env_monitor() -> trimesh.Trimesh:
    """Weather station: 3 m post, louvered radiation shield, logger box, anemometer and vane."""
    parts = [
        _cyl(0.15, 0.0, 0.05),  # base plate
        _cyl(0.04, 0.0, 3.0, sections=10),  # post
        _rod((0.0, 0.0, 2.45), (0.0, 0.35, 2.45), 0.02, 8),  # shield arm
        _cyl(0.05, 2.15, 2.62, (0.0, 0.35), sections=10),  # shield core
        _block((-0.15, 0.15), (0.04, 0.16), (1.35, 1.75)),  # logger box (+Y face)
        _block((-0.12, 0.12), (0.16, 0.18), (1.40, 1.70)),  # box door
        _block((-0.25, 0.25), (-0.22, -0.04), (1.9, 1.92)),  # solar panel
        _cyl(0.012, 3.0, 3.25, sections=8),  # mast top
    ]
    for i in range(6):  # louvered shield discs
        z = 2.2 + i * 0.075
        parts.append(_cyl(0.14 - 0.008 * i, z, z + 0.022, (0.0, 0.35)))
    parts.append(_cyl(0.08, 2.63, 2.66, (0.0, 0.35)))  # shield cap
    for ax, ay in ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)):  # anemometer cross + cups
        parts.append(_rod((0.0, 0.0, 3.2), (ax * 0.2, ay * 0.2, 3.2), 0.01, 6))
        parts.append(_sphere(0.045, (ax * 0.2, ay * 0.2, 3.2), subdivisions=0))
    parts.append(_rod((0.0, -0.25, 3.08), (0.0, 0.2, 3.08), 0.012, 6))  # wind vane
    parts.append(_block((-0.005, 0.005), (-0.3, -0.16), (3.02, 3.14)))  # vane tail fin
    return _join(*parts)


def smoke_detector() -> trimesh.Trimesh:
    """Ceiling smoke detector: 0.12 m disc, 0.05 m thick, centred on the origin."""
    return _join(
        _cyl(0.06, -0.005, 0.025, sections=16),  # base against ceiling
        _frustum(0.042, 0.055, -0.02, -0.005, sections=16),  # chamfered body (hangs)
        _cyl(0.03, -0.025, -0.018, sections=12),  # sensing chamber / LED
    )


def charger() -> trimesh.Trimesh:
    """EV charging pillar 1.6 m: body, screen on +Y, gun holster and coiled cable on +X side."""
    return _join(
        _block((-0.25, 0.25), (-0.2, 0.2), (0.0, 0.08)),  # plinth
        _block((-0.2, 0.2), (-0.15, 0.15), (0.0, 1.55)),  # body
        _block((-0.22, 0.22), (-0.18, 0.19), (1.55, 1.6)),  # roof cap
        _block((-0.15, 0.15), (0.15, 0.18), (1.1, 1.4)),  # screen panel (+Y)
        _block((-0.12, 0.12), (0.15, 0.17), (0.85, 0.95)),  # card reader strip
        _block((0.2, 0.28), (-0.06, 0.06), (0.95, 1.2)),  # gun holster (+X)
        _rod((0.28, 0.0, 1.12), (0.34, 0.0, 1.0), 0.03, 8),  # charging gun
        _rotated(
            trimesh.creation.torus(0.2, 0.022, major_sections=14, minor_sections=6),
            90.0,
            (0.0, 1.0, 0.0),
            (0.0, 0.0, 0.0),
        ).apply_translation((0.235, 0.0, 0.72)),  # coiled cable loop
    )


def parking_space() -> trimesh.Trimesh:
    """Parking space 2.5 m x 5.3 m (long along Y): a filled pad, so the space's colour (free /
    occupied / booked) reads from afar, with raised end lines and a sensor puck."""
    w, ln, lw, t = 2.5, 5.3, 0.12, 0.02
    hx, hy = w / 2, ln / 2
    return _join(
        _block((-hx + 0.1, hx - 0.1), (-hy + 0.1, hy - 0.1), (0.0, t)),  # filled pad
        _block((-hx + lw, hx - lw), (-hy, -hy + lw), (0.0, 2 * t)),  # end lines
        _block((-hx + lw, hx - lw), (hy - lw, hy), (0.0, 2 * t)),
        _cyl(0.08, 0.0, 0.045, sections=12),  # sensor puck
        _cyl(0.05, 0.045, 0.06, sections=12),  # puck dome
    )


def barrier() -> trimesh.Trimesh:
    """Vehicle barrier: 0.35 m cabinet facing +Y (traffic) with a 4 m boom along +X at 0.9 m."""
    return _join(
        _block((-0.175, 0.175), (-0.175, 0.175), (0.0, 1.0)),  # cabinet
        _block((-0.2, 0.2), (-0.2, 0.2), (1.0, 1.05)),  # cabinet cap
        _block((0.1, 4.1), (-0.05, 0.05), (0.85, 0.96)),  # boom
        _block((-0.45, -0.1), (-0.06, 0.06), (0.84, 0.97)),  # counterweight stub
        _block((3.85, 4.0), (-0.1, 0.1), (0.0, 0.8)),  # boom rest post
        _block((3.8, 4.05), (-0.12, 0.12), (0.8, 0.84)),  # boom rest fork
    )


def gate() -> trimesh.Trimesh:
    """Pedestrian speed gate: two 0.3 x 1.4 x 1.0 m cabinets 0.9 m apart with glass flaps."""
    parts = []
    for sx in (-1.0, 1.0):
        cx = sx * 0.6
        parts += [
            _block((cx - 0.15, cx + 0.15), (-0.7, 0.7), (0.0, 0.97)),  # cabinet
            _block((cx - 0.16, cx + 0.16), (-0.71, 0.71), (0.97, 1.0)),  # top cover
            _block((cx - 0.08, cx + 0.08), (0.3, 0.5), (1.0, 1.03)),  # card reader
        ]
        inner = sx * 0.45
        for y in (-0.25, 0.25):  # glass flaps
            parts.append(
                _block(sorted((inner, inner - sx * 0.42)), (y - 0.012, y + 0.012), (0.3, 1.25))
            )
    return _join(*parts)


def door_sensor() -> trimesh.Trimesh:
    """Magnetic door contact on a door frame: a 0.9 x 2.1 m frame outline (so it reads at a
    distance) with the sensor and its magnet at the top, 2.0 m up."""
    return _join(
        _block((-0.5, -0.44), (-0.04, 0.04), (0.0, 2.1)),  # frame jambs
        _block((0.44, 0.5), (-0.04, 0.04), (0.0, 2.1)),
        _block((-0.5, 0.5), (-0.04, 0.04), (2.1, 2.16)),  # head
        _block((0.2, 0.36), (0.04, 0.08), (1.95, 2.08)),  # sensor
        _block((0.38, 0.44), (0.04, 0.08), (1.95, 2.08)),  # magnet
    )


def info_display() -> trimesh.Trimesh:
    """LED information board: 2.4 m x 1.4 m panel facing +Y on two legs, bottom at 1.0 m."""
    return _join(
        _block((-1.0, -0.88), (-0.16, -0.04), (0.0, 2.45)),  # legs (behind panel)
        _block((0.88, 1.0), (-0.16, -0.04), (0.0, 2.45)),
        _block((-1.06, -0.82), (-0.22, 0.02), (0.0, 0.1)),  # leg feet
        _block((0.82, 1.06), (-0.22, 0.02), (0.0, 0.1)),
        _block((-1.2, 1.2), (-0.04, 0.1), (1.0, 2.4)),  # panel housing
        _block((-1.12, 1.12), (0.1, 0.13), (1.08, 2.32)),  # LED face (+Y)
        _block((-1.25, 1.25), (-0.06, 0.16), (2.4, 2.46)),  # top rain cap
    )


def fence_segment() -> trimesh.Trimesh:
    """Electronic fence section along X: posts at x=+-1.5 m, 1.8 m high, six tensioned wires."""
    parts = []
    for x in (-1.5, 1.5):
        parts += [
            _block((x - 0.04, x + 0.04), (-0.04, 0.04), (0.0, 1.8)),  # post
            _block((x - 0.07, x + 0.07), (-0.07, 0.07), (0.0, 0.08)),  # footing
            _block((x - 0.05, x + 0.05), (-0.05, 0.05), (1.8, 1.86)),  # post cap
        ]
    for i in range(6):  # wires, exaggerated
        z = 0.3 + i * 0.28
        parts.append(_block((-1.5, 1.5), (-0.015, 0.015), (z - 0.015, z + 0.015)))
    return _join(*parts)


def patrol_checkpoint() -> trimesh.Trimesh:
    """Patrol checkpoint: 1.2 m post with an RFID tag box on top facing +Y."""
    return _join(
        _cyl(0.12, 0.0, 0.04, sections=12),  # base plate
        _cyl(0.045, 0.0, 1.1, sections=12),  # post
        _block((-0.11, 0.11), (-0.06, 0.08), (1.05, 1.3)),  # tag box
        _block((-0.08, 0.08), (0.08, 0.1), (1.1, 1.25)),  # tag face (+Y)
    )


def fire_door() -> trimesh.Trimesh:
    """Fire door: 1.0 x 2.1 m frame, leaf ajar toward +Y, door monitor box above the head."""
    leaf = _join(
        _block((-0.5, 0.48), (-0.025, 0.025), (0.01, 2.08)),  # door leaf
        _block((0.25, 0.42), (0.025, 0.07), (1.0, 1.06)),  # panic bar
        _block((-0.45, 0.4), (0.025, 0.035), (1.45, 1.9)),  # vision panel frame
    )
    leaf = _rotated(leaf, 30.0, (0.0, 0.0, 1.0), (-0.5, 0.0, 0.0))  # hinged at x=-0.5
    return _join(
        _block((-0.58, -0.5), (-0.08, 0.08), (0.0, 2.1)),  # jambs
        _block((0.5, 0.58), (-0.08, 0.08), (0.0, 2.1)),
        _block((-0.58, 0.58), (-0.08, 0.08), (2.1, 2.2)),  # head
        _block((-0.15, 0.15), (0.08, 0.16), (2.22, 2.36)),  # monitor box (+Y)
        _block((-0.03, 0.03), (0.0, 0.08), (2.2, 2.25)),  # monitor bracket
        leaf,
    )


def lift() -> trimesh.Trimesh:
    """Lift shaft / car: 1.8 x 1.8 x 2.5 m box, landing door with frame and indicator on +Y."""
    return _join(
        _block((-0.9, 0.9), (-0.9, 0.9), (0.0, 2.5)),  # shaft / car
        _block((-0.7, 0.7), (-0.7, 0.7), (2.5, 2.8)),  # machine / headroom cap
        _block((-0.62, -0.5), (0.9, 0.98), (0.0, 2.2)),  # door frame jambs
        _block((0.5, 0.62), (0.9, 0.98), (0.0, 2.2)),
        _block((-0.62, 0.62), (0.9, 0.98), (2.1, 2.2)),  # door frame head
        _block((-0.5, -0.015), (0.9, 0.93), (0.0, 2.1)),  # door leaves
        _block((0.015, 0.5), (0.9, 0.93), (0.0, 2.1)),
        _block((-0.2, 0.2), (0.9, 0.97), (2.28, 2.42)),  # floor indicator
        _block((0.72, 0.82), (0.9, 0.95), (1.0, 1.3)),  # call buttons
    )


def meter() -> trimesh.Trimesh:
    """Meter cabinet 0.4 x 0.2 x 0.5 m on a 0.8 m post, window on +Y."""
    return _join(
        _cyl(0.12, 0.0, 0.03, sections=12),  # base plate
        _cyl(0.04, 0.0, 0.82, sections=10),  # post
        _block((-0.2, 0.2), (-0.1, 0.1), (0.8, 1.3)),  # cabinet
        _block((-0.23, 0.23), (-0.13, 0.16), (1.3, 1.34)),  # rain roof
        _block((-0.12, 0.12), (0.1, 0.12), (1.05, 1.22)),  # meter window (+Y)
    )


def electrical_fire_monitor() -> trimesh.Trimesh:
    """Distribution box 0.6 x 0.25 x 0.8 m on a 0.5 m stand, display on the +Y face."""
    return _join(
        _block((-0.32, 0.32), (-0.15, 0.15), (0.0, 0.05)),  # base frame
        _block((-0.28, -0.22), (-0.1, 0.1), (0.0, 0.5)),  # stand legs
        _block((0.22, 0.28), (-0.1, 0.1), (0.0, 0.5)),
        _block((-0.3, 0.3), (-0.125, 0.125), (0.5, 1.3)),  # box
        _block((-0.32, 0.32), (-0.14, 0.16), (1.3, 1.34)),  # top lip
        _block((-0.15, 0.15), (0.125, 0.16), (1.02, 1.2)),  # display box
        _block((0.2, 0.24), (0.125, 0.155), (0.75, 0.95)),  # door handle
    )


def water_tank_monitor() -> trimesh.Trimesh:
    """Cylindrical water tank 1.2 m x 1.5 m with hoops, hatch and a sensor box on top."""
    return _join(
        _cyl(0.6, 0.0, 1.5, sections=20),  # tank
        _ring(0.6, 0.63, 0.35, 0.4, sections=20),  # hoops
        _ring(0.6, 0.63, 1.1, 1.15, sections=20),
        _cyl(0.2, 1.5, 1.56, (-0.2, -0.1), sections=12),  # manhole hatch
        _block((0.1, 0.36), (0.0, 0.2), (1.5, 1.68)),  # sensor box
        _cyl(0.01, 1.68, 1.9, (0.3, 0.05), sections=6),  # antenna
        _rod((0.0, 0.6, 0.1), (0.0, 0.82, 0.1), 0.06),  # outlet pipe (+Y)
    )


def irrigation() -> trimesh.Trimesh:
    """Pop-up sprinkler: ground collar, 0.3 m riser tube and a nozzle head."""
    return _join(
        _cyl(0.11, 0.0, 0.03, sections=12),  # ground collar
        _cyl(0.035, 0.0, 0.3, sections=12),  # riser
        _cyl(0.06, 0.27, 0.34, sections=12),  # head
        _rod((0.0, 0.0, 0.315), (0.0, 0.09, 0.335), 0.018, 8),  # nozzle (+Y)
        _cyl(0.025, 0.34, 0.37, sections=10),  # head cap
    )


def thermometer() -> trimesh.Trimesh:
    """Temperature-screening post: 1.5 m post with a tablet head facing +Y."""
    head = _join(
        _block((-0.125, 0.125), (-0.025, 0.025), (-0.15, 0.15)),  # tablet
        _block((-0.11, 0.11), (0.025, 0.035), (-0.13, 0.1)),  # screen (+Y)
        _rod((0.0, 0.03, 0.12), (0.0, 0.05, 0.12), 0.018, 8),  # thermal lens
    )
    head = _rotated(head, -10.0, (1.0, 0.0, 0.0), (0.0, 0.0, 0.0))  # tilted up to faces
    head.apply_translation((0.0, 0.04, 1.62))
    return _join(
        _cyl(0.18, 0.0, 0.03, sections=14),  # base disc
        _cyl(0.03, 0.0, 1.5, sections=10),  # post
        _rod((0.0, 0.0, 1.5), (0.0, 0.04, 1.56), 0.025, 8),  # neck
        head,
    )


def fire_alarm() -> trimesh.Trimesh:
    """Fire alarm on a wall: a call-point box with its button facing +Y and a sounder dome above."""
    return _join(
        _block((-0.07, 0.07), (-0.03, 0.03), (0.0, 0.14)),  # call point box
        _block((-0.035, 0.035), (0.03, 0.045), (0.035, 0.105)),  # push button
        _cyl(0.05, 0.16, 0.2, (0.0, 0.0), sections=12),  # sounder base
        _frustum(0.05, 0.02, 0.2, 0.24, sections=12),  # sounder dome
    )


def light() -> trimesh.Trimesh:
    """Ceiling panel light, 0.6 m square, centred on its mount point (hangs from the ceiling)."""
    return _join(
        _block((-0.3, 0.3), (-0.3, 0.3), (-0.03, 0.0)),  # panel
        _block((-0.27, 0.27), (-0.27, 0.27), (-0.04, -0.03)),  # diffuser
        _cyl(0.03, 0.0, 0.025, sections=8),  # ceiling mount
    )


KINDS: dict[str, Callable[[], trimesh.Trimesh]] = {
    "fire_alarm": fire_alarm,
    "light": light,
    "pole": pole,
    "camera": camera,
    "manhole": manhole,
    "hydrant": hydrant,
    "trash_bin": trash_bin,
    "env_monitor": env_monitor,
    "smoke_detector": smoke_detector,
    "charger": charger,
    "parking_space": parking_space,
    "barrier": barrier,
    "gate": gate,
    "info_display": info_display,
    "fence_segment": fence_segment,
    "patrol_checkpoint": patrol_checkpoint,
    "fire_door": fire_door,
    "lift": lift,
    "meter": meter,
    "electrical_fire_monitor": electrical_fire_monitor,
    "water_tank_monitor": water_tank_monitor,
    "irrigation": irrigation,
    "thermometer": thermometer,
    "door_sensor": door_sensor,
}


def check(kind: str, mesh: trimesh.Trimesh) -> list[str]:
    """Convention violations of ``mesh`` (empty when it is fine)."""
    problems = []
    n = len(mesh.faces)
    if n == 0 or n >= MAX_TRIANGLES:
        problems.append(f"{n} triangles (must be 1..{MAX_TRIANGLES - 1})")
    lo, hi = mesh.bounds
    if kind in CENTRED_KINDS:
        if not np.allclose((lo + hi) / 2, 0.0, atol=0.01):
            problems.append(f"not centred on the origin (bounds {lo} .. {hi})")
    elif lo[2] < -0.001:
        problems.append(f"min z {lo[2]:.3f} below the ground")
    if not np.all(np.isfinite(mesh.vertices)):
        problems.append("non-finite vertices")
    return problems


def main() -> int:
    out_dir = Path(__file__).resolve().parent
    failed = 0
    for kind, make in KINDS.items():
        mesh = make()
        path = out_dir / f"{kind}.ply"
        mesh.export(path, encoding="binary")
        lo, hi = mesh.bounds
        print(
            f"{path.name:30s} {len(mesh.faces):5d} tris  "
            f"x {lo[0]:+.2f}..{hi[0]:+.2f}  y {lo[1]:+.2f}..{hi[1]:+.2f}  "
            f"z {lo[2]:+.2f}..{hi[2]:+.2f}"
        )
        for problem in check(kind, mesh):
            print(f"  ERROR {kind}: {problem}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
