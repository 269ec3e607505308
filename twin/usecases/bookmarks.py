"""Saving a camera position as a view bookmark in the scene file."""

from __future__ import annotations

from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.scene.scenefile import BookmarkSpec, append_view


def save_bookmark(
    scene: Scene, name: str, x: float, y: float, distance: float, heading: float, pitch: float
) -> BookmarkSpec:
    """Append the view ``name`` (looking at local ``x``, ``y``) to the scene file, comments kept,
    and to the scene in memory. Raises InputError (no scene file, a bad name...)."""
    from twin.ingest.crs import FrameTransform

    if scene.spec.path is None:
        raise InputError("scene", "has no scene file to save the view in.")
    lon, lat = FrameTransform(scene.frame).to_lonlat(x, y)
    spec = BookmarkSpec(
        name,
        round(float(lon), 7),
        round(float(lat), 7),
        round(distance, 1),
        round(heading, 1),
        round(pitch, 1),
    )
    append_view(scene.spec.path, spec)
    scene.spec.views.append(spec)
    scene.view_targets[name] = (float(x), float(y))
    return spec
