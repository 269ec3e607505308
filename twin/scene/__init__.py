"""Scene models: entity kinds, the device catalogue, the Scene registry, scene files.

Plain Python and numpy, free of Qt, VTK and GIS libraries, so the CLI, the shell and tests
share them.
"""

from twin.scene.catalogue import CATALOGUE, DeviceKind, device_kind, resolve_kind
from twin.scene.entities import (
    SURFACE_KINDS,
    Building,
    Device,
    Mesh,
    Surface,
    Warning,
)
from twin.scene.scene import Scene

__all__ = [
    "CATALOGUE",
    "SURFACE_KINDS",
    "Building",
    "Device",
    "DeviceKind",
    "Mesh",
    "Scene",
    "Surface",
    "Warning",
    "device_kind",
    "resolve_kind",
]
