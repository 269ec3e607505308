"""A planner's what-if session on a scene's camera layout: turn, move, re-lens, add and remove
cameras, accept suggestions; every change one undoable step; the edited layout's figures beside
the original's; and the edited layout kept as a device list beside the scene with a scene file
variant that uses it (the original files untouched).

The session holds its own copy of the layout: its edits never reach the live event log or the
operators' state. Only the changed camera's footprints are recomputed (about a millisecond), so
the quick figures (road coverage, gaps, entrances seen, perimeter, blind area) follow a drag;
the nine rules are re-run on demand (``rules``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.analysis.audit import Audit, CommunityData, audit_community, entrance_verdict
from twin.analysis.camera_layout import COVERAGE_CELL_M, CameraLayout
from twin.analysis.coverage import CameraOptics, optics_of
from twin.analysis.covered import LINE_STEP_M, runs
from twin.analysis.placement import Suggestion, targets_along
from twin.core.errors import InputError
from twin.scene.catalogue import CAMERA_DEFAULTS, CATALOGUE, MAX_MOUNT_HEIGHT
from twin.scene.scene import Scene
from twin.scene.standards import TARGET_HEIGHT_PEOPLE_M


@dataclass(frozen=True)
class Figures:
    """What a layout achieves, quickly computed."""

    road_m: float
    covered_m: float
    gaps: int
    """Uncovered important-road stretches longer than the rule's reporting length."""
    gap_m: float
    entrances: int
    entrances_seen: int
    perimeter_pct: float | None
    """Share of an open community's boundary its perimeter cameras cover; None when closed."""
    blind_m2: float
    cameras: int

    @property
    def covered_pct(self) -> float:
        """Share of the important road length covered, percent."""
        return 100.0 * self.covered_m / self.road_m if self.road_m else 100.0


@dataclass
class Step:
    """One undoable change: each camera's pose before and after (None: absent)."""

    label: str
    changes: list[tuple[CameraOptics | None, CameraOptics | None]] = field(default_factory=list)


class PlanningSession:
    """The edited camera layout of one scene's community."""

    def __init__(self, scene: Scene, cell: float = COVERAGE_CELL_M) -> None:
        import shapely

        if scene.community is None:
            raise InputError(scene.name, "has no community to plan.", "Add a [community] table.")
        self.scene = scene
        self.community = scene.community
        self.area = shapely.from_wkb(self.community.boundary_wkb)
        self.layout = CameraLayout.of(scene, self.area, cell=cell)
        p = CATALOGUE["camera"].rule_params
        self.gap_report_m = float(p["gap_report_m"])
        data = CommunityData(scene, self.community, scene.devices)
        lines = [g for _, g in data.important_lines]
        self.roads = targets_along(lines, int(p["road_level"]), TARGET_HEIGHT_PEOPLE_M)
        # where each line's samples start and end in the targets, for its gaps
        self._runs: list[tuple[int, int]] = []
        start = 0
        for g in lines:
            for part in getattr(g, "geoms", [g]):
                n = max(1, math.ceil(float(part.length) / LINE_STEP_M)) if part.length > 0 else 0
                self._runs.append((start, start + n))
                start += n
        ring = shapely.boundary(self.area)
        self.perimeter = targets_along([ring], int(p["perimeter_level"]), TARGET_HEIGHT_PEOPLE_M)
        gx, gy = self.layout.grid.centres()
        self._inside = shapely.contains_xy(self.area, gx, gy) & self.layout.outdoor
        self.undo_stack: list[Step] = []
        self.redo_stack: list[Step] = []
        self._added = 0
        self._initial = set(self.layout.cameras)
        self.original = self.figures()

    # -- figures ------------------------------------------------------------------------------
    def figures(self) -> Figures:
        """The current layout's road coverage, gaps, entrances seen, perimeter and blind area."""
        met = self.roads.met(self.layout.maps["roads"])
        gaps, gap_m = 0, 0.0
        for a, b in self._runs:
            low = ~met[a:b]
            for s, e in runs(low):
                length = float(self.roads.weight[a + s : a + e].sum())
                if length > self.gap_report_m:
                    gaps += 1
                    gap_m += length
        seen = sum(entrance_verdict(e, self.layout)["ok"] for e in self.community.entrances)
        per = None
        if not self.community.closed and self.perimeter.total > 0:
            per = 100.0 * self.perimeter.met_weight(self.layout.maps["perimeter"])
            per /= self.perimeter.total
        blind = self._inside & (self.layout.maps["all"].best == 0)
        return Figures(
            self.roads.total,
            float(self.roads.weight[met].sum()),
            gaps,
            gap_m,
            len(self.community.entrances),
            int(seen),
            per,
            float(blind.sum()) * self.layout.grid.cell**2,
            len(self.layout.cameras),
        )

    def compare(self) -> tuple[Figures, Figures]:
        """(the original layout's figures, the edited one's)."""
        return self.original, self.figures()

    def rules(self) -> Audit:
        """The nine rules on the edited layout (a second or two on a community like the
        demo's; the non-camera rules do not change with the cameras)."""
        return audit_community(self.scene, self.community, layout=self.layout)

    # -- edits --------------------------------------------------------------------------------
    def camera(self, cam_id: str) -> CameraOptics:
        """The current pose of a camera of the layout."""
        if cam_id not in self.layout.cameras:
            raise InputError(f"camera {cam_id!r}", "is not in the planned layout.")
        return self.layout.cameras[cam_id]

    def change(self, cam_id: str, label: str = "", **fields: Any) -> Step:
        """Turn, tilt, move, re-lens a camera (``heading``, ``tilt``, ``x``, ``y``, ``z``,
        ``hfov``, ``width_px``, ``height_px``, ``subkind``): one undoable step."""
        before = self.camera(cam_id)
        after = _checked(before.moved(**fields))
        return self._do(Step(label or f"change {cam_id}", [(before, after)]))

    def add(
        self,
        x: float,
        y: float,
        heading: float,
        subkind: str = "hd",
        z: float | None = None,
        cam_id: str | None = None,
    ) -> CameraOptics:
        """A new camera of ``subkind`` (its catalogue optics) at ``(x, y)``: one step."""
        if subkind not in CAMERA_DEFAULTS:
            raise InputError(f"sub-kind {subkind!r}", "is not a camera sub-kind.")
        d = CAMERA_DEFAULTS[subkind]
        while cam_id is None or cam_id in self.layout.cameras:
            self._added += 1
            cam_id = f"plan-camera-{self._added:02d}"
        cam = _checked(
            CameraOptics(
                cam_id,
                subkind,
                float(x),
                float(y),
                float(d["mount_height"] if z is None else z),
                float(heading) % 360.0,
                float(d["tilt"]),
                float(d["fov"]),
                int(d["width_px"]),
                int(d["height_px"]),
            )
        )
        self._do(Step(f"add {cam_id}", [(None, cam)]))
        return cam

    def remove(self, cam_id: str) -> Step:
        """Take a camera out: one step."""
        return self._do(Step(f"remove {cam_id}", [(self.camera(cam_id), None)]))

    def accept(self, suggestion: Suggestion) -> Step:
        """Add a suggested camera as it was suggested: one step."""
        cam = suggestion.camera
        return self._do(Step(f"accept {cam.id}", [(self.layout.cameras.get(cam.id), cam)]))

    def suggest(self, n: int, goal: str = "roads", budget_from: str = "both") -> list[Suggestion]:
        """``n`` cameras that would add the most to the edited layout (not added: ghosts to
        accept or not)."""
        from twin.usecases.planning import suggest_cameras

        found, _ = suggest_cameras(self.scene, n, budget_from, goal, layout=self.layout)
        return found

    def undo(self) -> Step | None:
        """Take back the last step (None when there is none)."""
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        self._apply([(after, before) for before, after in reversed(step.changes)])
        self.redo_stack.append(step)
        return step

    def redo(self) -> Step | None:
        """Do again the last step taken back."""
        if not self.redo_stack:
            return None
        step = self.redo_stack.pop()
        self._apply(step.changes)
        self.undo_stack.append(step)
        return step

    def _do(self, step: Step) -> Step:
        self._apply(step.changes)
        self.undo_stack.append(step)
        self.redo_stack.clear()
        return step

    def _apply(self, changes: list[tuple[CameraOptics | None, CameraOptics | None]]) -> None:
        for before, after in changes:
            if after is None:
                if before is not None:
                    self.layout.remove(before.id)
            else:
                self.layout.put(after)

    # -- keep ---------------------------------------------------------------------------------
    def save(self, name: str) -> tuple[Path, Path]:
        """Write the edited layout beside the scene file: ``<scene>-<name>-cameras.csv`` with
        every camera of the scene (the edited ones as edited), and ``<scene>-<name>.toml``, the
        scene file with its comments plus a ``[[devices]]`` table that uses the list for all
        cameras (``replaces = ["camera"]``). Returns both paths."""
        from twin.ingest.crs import FrameTransform
        from twin.scene.scenefile import load_scene_spec

        spec_path = self.scene.spec.path
        if spec_path is None:
            raise InputError(self.scene.name, "was not read from a scene file.", "Open one.")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
        if not safe:
            raise InputError(f"name {name!r}", "has no letters or digits.", "Name it e.g. plan-a.")
        csv_path = spec_path.with_name(f"{spec_path.stem}-{safe}-cameras.csv")
        variant = spec_path.with_name(f"{spec_path.stem}-{safe}.toml")
        cams = {d.id: optics_of(d) for d in self.scene.devices if d.kind == "camera"}
        feet = {d.id: float(d.z) for d in self.scene.devices if d.kind == "camera"}
        for cid in self._initial - set(self.layout.cameras):  # removed in the session
            cams.pop(cid, None)
        cams.update(self.layout.cameras)  # the edited and added ones as they are now
        ft = FrameTransform(self.scene.frame)
        ordered = sorted(cams.values(), key=lambda c: c.id)
        lon, lat = ft.to_lonlat([c.x for c in ordered], [c.y for c in ordered])
        lines = ["id,kind,subkind,lon,lat,height,heading,tilt,fov,resolution"]
        for c, lo, la in zip(ordered, lon, lat, strict=True):
            h = c.z - feet.get(c.id, 0.0)
            lines.append(
                f"{c.id},camera,{c.subkind},{float(lo):.9f},{float(la):.9f},{h:.3f},"
                f"{c.heading:.3f},{c.tilt:.3f},{c.hfov:.3f},{c.width_px}x{c.height_px}"
            )
        text = spec_path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        text += (
            f"\n# The camera layout planned in the planning view ({name}): every camera of the\n"
            f"# scene as planned; the cameras of the other sources are left out.\n"
            f'[[devices]]\npath = "{csv_path.name}"\nreplaces = ["camera"]\n'
        )
        try:
            csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            tmp = variant.with_name(f".{variant.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            load_scene_spec(tmp)  # it must read back
            tmp.replace(variant)
        except OSError as exc:
            raise InputError(variant.parent, f"cannot be written ({exc.strerror}).") from None
        return csv_path, variant


def _checked(cam: CameraOptics) -> CameraOptics:
    if not 1.0 <= cam.hfov <= 360.0:
        raise InputError("field of view", f"{cam.hfov:g} deg is outside 1-360.")
    if not -90.0 <= cam.tilt <= 90.0:
        raise InputError("tilt", f"{cam.tilt:g} deg is outside -90-90.")
    if not 0.0 <= cam.z <= MAX_MOUNT_HEIGHT:
        raise InputError("mount height", f"{cam.z:g} m is outside 0-{MAX_MOUNT_HEIGHT:g} m.")
    if not (320 <= cam.width_px <= 16384 and 240 <= cam.height_px <= 16384):
        raise InputError("resolution", f"{cam.width_px}x{cam.height_px} is not a camera's.")
    return cam.moved(heading=float(cam.heading) % 360.0)
