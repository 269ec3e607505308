"""Devices coloured by live status: the same five colours everywhere (scene, lists, legends)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

import numpy as np

from twin.core.i18n import pick
from twin.render import style
from twin.render.scenevis import SceneVisual
from twin.scene.scene import Scene

STATUS_STYLE = {
    "online": "ok",
    "fault": "warning",
    "alarm": "alarm",
    "offline": "offline",
    "unknown": "unknown",
}
"""Device status (state layer) -> palette entry (:data:`twin.render.style.STATUS`)."""
STATUS_RGB = {
    s: np.array(style.rgb(style.STATUS[k]), dtype=np.uint8) for s, k in STATUS_STYLE.items()
}
_CODE = {s: i for i, s in enumerate(STATUS_RGB)}
_UNKNOWN = _CODE["unknown"]
_TABLE = np.array(list(STATUS_RGB.values()), dtype=np.uint8)
LEGEND = (
    ("ok", "正常", "online"),
    ("warning", "故障", "fault"),
    ("alarm", "告警", "alarm"),
    ("offline", "离线", "offline"),
    ("unknown", "未知", "unknown"),
)
"""(palette entry, Chinese label, status) in legend order; English labels are the entry names."""


class StatusColours:
    """Per-kind colour arrays for a scene's devices, restyled in place: :meth:`update` writes
    the changed devices' rows and hands each touched kind's whole array to the renderer once
    (one array write per kind, however many devices changed)."""

    def __init__(self, scene: Scene) -> None:
        self.kinds: dict[str, list[str]] = {}
        for d in scene.devices:
            self.kinds.setdefault(d.kind, []).append(d.id)
        self.where = {i: (k, n) for k, ids in self.kinds.items() for n, i in enumerate(ids)}
        self.arrays = {
            k: np.tile(STATUS_RGB["unknown"], (len(ids), 1)) for k, ids in self.kinds.items()
        }

    def update(self, statuses: dict[str, str], vis: SceneVisual | None = None) -> set[str]:
        """Set ``statuses`` (device id -> status); returns the kinds touched."""
        touched: dict[str, tuple[list[int], list[int]]] = {}
        where, code = self.where, _CODE
        for device_id, status in statuses.items():
            loc = where.get(device_id)
            if loc is not None:
                rows = touched.get(loc[0])
                if rows is None:
                    rows = touched[loc[0]] = ([], [])
                rows[0].append(loc[1])
                rows[1].append(code.get(status, _UNKNOWN))
        for kind, (idx, codes) in touched.items():
            arr = self.arrays[kind]
            arr[idx] = _TABLE[codes]
            if vis is not None:
                vis.set_device_colours(kind, arr)
        return set(touched)


def legend_labels(
    scene: Scene, statuses: dict[str, str], lang: str, kinds: Collection[str] | None = None
) -> list[tuple[str, str]]:
    """(label with the count of devices, colour) per status, in legend order; devices of
    ``kinds`` only when given (a situational view's)."""
    tally = Counter(
        statuses.get(d.id, "unknown") for d in scene.devices if kinds is None or d.kind in kinds
    )
    return [
        (f"{pick(lang, status, zh)}  {tally.get(status, 0)}", style.STATUS[entry])
        for entry, zh, status in LEGEND
    ]


def show_alerts(vis: SceneVisual, statuses: dict[str, str], point_size: float) -> None:
    """Large pins over every device in alarm or fault."""
    alert = [i for i, s in statuses.items() if s in ("alarm", "fault")]
    vis.set_alerts(
        alert, np.array([STATUS_RGB[statuses[i]] for i in alert]).reshape(-1, 3), point_size
    )


def alert_point_size(height_px: int) -> float:
    return max(10.0, 18.0 * height_px / 1080)
