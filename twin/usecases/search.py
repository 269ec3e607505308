"""Finding a device by what an operator types."""

from __future__ import annotations

from twin.scene.entities import Device
from twin.scene.scene import Scene


def search_devices(scene: Scene, text: str, limit: int = 20) -> list[Device]:
    """Devices matching ``text``, best first: the exact id, then an id or name equal to it
    ignoring case, then ids and names containing it, then devices whose place (a road, a
    building, a car park) contains it."""
    text = text.strip()
    if not text:
        return []
    low = text.lower()
    exact = [d for d in scene.devices if d.id == text]
    equal = [
        d
        for d in scene.devices
        if d.id != text and (d.id.lower() == low or (d.name or "").lower() == low)
    ]
    seen = {d.id for d in exact + equal}
    inside = [
        d
        for d in scene.devices
        if d.id not in seen and (low in d.id.lower() or low in (d.name or "").lower())
    ]
    seen |= {d.id for d in inside}
    placed = [
        d
        for d in scene.devices
        if d.id not in seen
        and d.place is not None
        and (low in d.where("en").lower() or low in d.where("zh").lower())
    ]
    return (exact + equal + inside + placed)[:limit]
