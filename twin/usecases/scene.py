"""Opening a scene file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from twin.scene.scene import Scene
from twin.scene.scenefile import SceneSpec, load_scene_spec


def read_scene(path: str | Path) -> SceneSpec:
    """The scene file's contents (name, sources, views, tours) without building anything."""
    return load_scene_spec(path)


def open_scene(
    source: str | Path | SceneSpec, progress: Callable[[str, float], None] | None = None
) -> Scene:
    """Build the scene of a scene file, or of a scene spec already read or made (GIS, IFC,
    devices; caches used). Raises InputError."""
    from twin.ingest.build import build_scene

    return build_scene(
        source if isinstance(source, SceneSpec) else load_scene_spec(source), progress
    )
