"""Emergency linkage: the devices that matter near an incident (nearest cameras, fire doors).

A fire alarm at ``(x, y)`` brings up the nearest cameras and the fire doors around it. Distances
are horizontal (local metres); the search is one vectorised pass over the kind's devices, so it
stays instant with tens of thousands of devices.
"""

from __future__ import annotations

import numpy as np

from twin.scene.entities import Device
from twin.scene.scene import Scene

FIRE_DOOR_RADIUS = 80.0
"""Metres around an incident within which fire doors are shown."""


def _nearest(
    devices: list[Device], x: float, y: float, n: int | None, radius: float | None = None
) -> list[tuple[Device, float]]:
    """``devices`` by horizontal distance from ``(x, y)``: the ``n`` nearest (all when None),
    only those within ``radius`` when given; ties keep scene order."""
    if not devices or (n is not None and n <= 0):
        return []
    xy = np.fromiter(
        (c for d in devices for c in (d.x, d.y)), dtype=np.float64, count=2 * len(devices)
    ).reshape(-1, 2)
    dist = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
    if radius is not None:
        idx = np.nonzero(dist <= radius)[0]
    else:
        idx = np.arange(len(devices))
    if n is not None and n < len(idx):
        # partial selection first (O(N)), then a stable sort of the few kept
        part = idx[np.argpartition(dist[idx], n - 1)[:n]]
        cut = dist[part].max()
        idx = idx[dist[idx] <= cut]  # keep ties at the cut so the stable order decides
    order = idx[np.argsort(dist[idx], kind="stable")]
    if n is not None:
        order = order[:n]
    return [(devices[i], float(dist[i])) for i in order]


def nearest_devices(
    scene: Scene,
    x: float,
    y: float,
    kind: str = "camera",
    n: int = 3,
    exclude_offline: set[str] | None = None,
) -> list[tuple[Device, float]]:
    """The ``n`` devices of ``kind`` nearest to ``(x, y)`` (horizontal distance, metres),
    nearest first, as ``(device, distance)``. Devices whose id is in ``exclude_offline``
    (for example the offline cameras) are skipped."""
    skip = exclude_offline or set()
    devices = [d for d in scene.devices if d.kind == kind and d.id not in skip]
    return _nearest(devices, x, y, n)


def fire_doors_near(
    scene: Scene, x: float, y: float, radius: float = FIRE_DOOR_RADIUS
) -> list[tuple[Device, float]]:
    """Fire doors within ``radius`` metres of ``(x, y)``, nearest first; when none is that near,
    the nearest three anyway (an operator must always see some)."""
    doors = scene.devices_of("fire_door")
    near = _nearest(doors, x, y, None, radius)
    return near if near else _nearest(doors, x, y, 3)
