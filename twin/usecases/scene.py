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
    """The scene of a scene file, or of a scene spec already read or made (GIS, IFC, devices):
    loaded from the scene cache when nothing it was built from changed, else built and cached.
    Raises InputError."""
    import time

    from twin.ingest import scenecache

    spec = source if isinstance(source, SceneSpec) else load_scene_spec(source)
    t0 = time.perf_counter()
    try:
        key: str | None = scenecache.key_for(spec)
    except OSError:  # a file cannot be read: the build says which, in its words
        key = None
    scene = scenecache.load(spec, key) if key is not None else None
    if scene is not None:
        took = time.perf_counter() - t0
        scene.timings = {"cache": took, "total": took}
        if progress:
            progress("ready", 1.0)
        return scene
    from twin.ingest.build import build_scene

    scene = build_scene(spec, progress)
    if key is not None:
        scenecache.save(scene, key)
    return scene
