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

import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from twin.analysis.audit import Audit, CommunityData, entrance_verdict
from twin.analysis.camera_layout import COVERAGE_CELL_M, CameraLayout
from twin.analysis.coverage import CameraOptics, optics_of
from twin.analysis.covered import line_samples, runs
from twin.analysis.mounts import Mount, Mounts
from twin.analysis.placement import FACADE_MAX_TURN_DEG, Suggestion, targets_along
from twin.core.errors import InputError
from twin.scene.catalogue import CAMERA_DEFAULTS, CATALOGUE, MAX_MOUNT_HEIGHT
from twin.scene.entities import Device
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
    """One undoable change: each camera's pose before and after (None: absent), and the
    elevation of its foot before and after (what carries it: the ground, a pole)."""

    label: str
    changes: list[tuple[CameraOptics | None, CameraOptics | None]] = field(default_factory=list)
    feet: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class PlanGap:
    """An uncovered stretch of an important road (longer than the audit reports): the same
    samples and runs as the audit's ``cover_line``."""

    road_id: str
    name: str
    length_m: float
    x: float
    y: float
    xy: np.ndarray
    """The stretch as a polyline ``(n, 2)`` (local metres), from its start to its end."""


@dataclass
class _Part:
    road_id: str
    name: str
    line: Any
    a: int
    b: int
    """Its samples in the session's road samples."""
    offset: float
    """Where the part starts along its road (parts are measured one after the other)."""
    seg: float


class PlanningSession:
    """The edited camera layout of one scene's community."""

    def __init__(self, scene: Scene, cell: float = COVERAGE_CELL_M) -> None:
        import shapely

        if scene.community is None:
            raise InputError(scene.name, "has no community to plan.", "Add a [community] table.")
        self.scene = scene
        self.cell = cell
        self.community = scene.community
        self.area = shapely.from_wkb(self.community.boundary_wkb)
        self.layout = CameraLayout.of(scene, self.area, cell=cell)
        p = CATALOGUE["camera"].rule_params
        self.gap_report_m = float(p["gap_report_m"])
        self.road_level = int(p["road_level"])
        data = CommunityData(scene, self.community, scene.devices)
        # the important roads' samples, once: a drag only looks up their levels
        self._parts: list[_Part] = []
        xy, seg = [], []
        for s, line in data.important_lines:
            offset = 0.0
            for part in getattr(line, "geoms", [line]):
                d, pts = line_samples(part)
                if len(d):
                    n0 = sum(len(x) for x in xy)
                    step = float(part.length) / len(d)
                    self._parts.append(_Part(s.id, s.name, part, n0, n0 + len(d), offset, step))
                    xy.append(pts)
                    seg.append(np.full(len(d), step))
                offset += float(part.length)
        self._road_xy = np.concatenate(xy) if xy else np.zeros((0, 2))
        self._road_w = np.concatenate(seg) if seg else np.zeros(0)
        ring = shapely.boundary(self.area)
        self.perimeter = targets_along([ring], int(p["perimeter_level"]), TARGET_HEIGHT_PEOPLE_M)
        gx, gy = self.layout.grid.centres()
        self.inside = shapely.contains_xy(self.area, gx, gy) & self.layout.outdoor
        """Per grid cell: open ground inside the community."""
        self.mounts = Mounts(scene)
        self.feet = {d.id: float(d.z) for d in scene.devices if d.kind == "camera"}
        """Camera id -> elevation of its foot (the lens is ``z``; its mount height the
        difference)."""
        self.undo_stack: list[Step] = []
        self.redo_stack: list[Step] = []
        self._added = 0
        self._drag: tuple[str, CameraOptics, float] | None = None
        self._verdicts: tuple[tuple[int, ...], list[dict[str, Any]]] | None = None
        self.initial = dict(self.layout.cameras)
        """The layout the session started from (camera id -> pose)."""
        self.original = self.figures()

    # -- figures ------------------------------------------------------------------------------
    def gaps(self) -> list[PlanGap]:
        """The important-road stretches below the road level longer than the rule reports,
        largest first (what the audit's road rule lists)."""
        import shapely

        lv = self.layout.maps["roads"].level_at(self._road_xy[:, 0], self._road_xy[:, 1])
        low = lv < self.road_level
        found = []
        for part in self._parts:
            for s, e in runs(low[part.a : part.b]):
                start, end = part.offset + s * part.seg, part.offset + e * part.seg
                if end - start > self.gap_report_m:
                    found.append((part, s, e, start, end))
        if not found:
            return []
        lines = np.array([f[0].line for f in found], dtype=object)
        p0 = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, [f[1] * f[0].seg for f in found])
        )
        p1 = shapely.get_coordinates(
            shapely.line_interpolate_point(lines, [f[2] * f[0].seg for f in found])
        )
        out = []
        for k, (part, s, e, start, end) in enumerate(found):
            mid = part.a + (s + e - 1) // 2
            inner = self._road_xy[part.a + s : part.a + e]
            out.append(
                PlanGap(
                    part.road_id,
                    part.name,
                    end - start,
                    float(self._road_xy[mid, 0]),
                    float(self._road_xy[mid, 1]),
                    np.vstack([p0[k], inner, p1[k]]),
                )
            )
        return sorted(out, key=lambda g: -g.length_m)

    def entrances(self) -> list[dict[str, Any]]:
        """Each entrance's verdict under the edited layout (the audit's rule 4); the last ones
        again while the entrance cameras' maps have not changed (dragging an HD camera)."""
        key = tuple(self.layout.maps[j].version for j in ("entrance_people", "entrance_vehicles"))
        if self._verdicts is None or self._verdicts[0] != key:
            verdicts = [entrance_verdict(e, self.layout) for e in self.community.entrances]
            self._verdicts = (key, verdicts)
        return self._verdicts[1]

    def figures(
        self, gaps: list[PlanGap] | None = None, verdicts: list[dict[str, Any]] | None = None
    ) -> Figures:
        """The current layout's road coverage, gaps, entrances seen, perimeter and blind area
        (``gaps`` and entrance ``verdicts`` when the caller has them already)."""
        lv = self.layout.maps["roads"].level_at(self._road_xy[:, 0], self._road_xy[:, 1])
        gaps = self.gaps() if gaps is None else gaps
        verdicts = self.entrances() if verdicts is None else verdicts
        seen = sum(v["ok"] for v in verdicts)
        per = None
        if not self.community.closed and self.perimeter.total > 0:
            per = 100.0 * self.perimeter.met_weight(self.layout.maps["perimeter"])
            per /= self.perimeter.total
        blind = self.inside & (self.layout.maps["all"].best == 0)
        return Figures(
            float(self._road_w.sum()),
            float(self._road_w[lv >= self.road_level].sum()),
            len(gaps),
            float(sum(g.length_m for g in gaps)),
            len(self.community.entrances),
            int(seen),
            per,
            float(blind.sum()) * self.layout.grid.cell**2,
            len(self.layout.cameras),
        )

    def compare(self) -> tuple[Figures, Figures]:
        """(the original layout's figures, the edited one's)."""
        return self.original, self.figures()

    def snapshot(self) -> tuple[CameraLayout, dict[str, float]]:
        """A copy of the layout and the cameras' feet, to read on another thread while the
        planner goes on editing (:meth:`rules`, :meth:`edited_scene`, suggestions)."""
        return self.layout.copy(), dict(self.feet)

    def rules(self, snap: tuple[CameraLayout, dict[str, float]] | None = None) -> Audit:
        """The nine rules on the edited layout, or on a :meth:`snapshot` of it; a fifth of a
        second on a community like the demo's."""
        from twin.usecases.planning import audit_scene

        lay = snap[0] if snap else self.layout
        return audit_scene(self.edited_scene(snap), self.cell, layout=lay)

    @property
    def changed(self) -> bool:
        """Whether the layout differs from the one the session started from."""
        return self.layout.cameras != self.initial

    # -- edits --------------------------------------------------------------------------------
    def camera(self, cam_id: str) -> CameraOptics:
        """The current pose of a camera of the layout."""
        if cam_id not in self.layout.cameras:
            raise InputError(f"camera {cam_id!r}", "is not in the planned layout.")
        return self.layout.cameras[cam_id]

    def mount_height(self, cam_id: str) -> float:
        """A camera's lens height above its foot."""
        return self.camera(cam_id).z - self.feet.get(cam_id, 0.0)

    def change(self, cam_id: str, label: str = "", **fields: Any) -> Step:
        """Turn, tilt, move, re-lens a camera (``heading``, ``tilt``, ``x``, ``y``, ``z``,
        ``height`` above its foot, ``hfov``, ``width_px``, ``height_px``, ``subkind``): one
        undoable step."""
        before = self.camera(cam_id)
        foot = self.feet.get(cam_id, 0.0)
        if "height" in fields:
            fields["z"] = foot + float(fields.pop("height"))
        after = _checked(before.moved(**fields), foot)
        return self._do(Step(label or f"change {cam_id}", [(before, after)], [(foot, foot)]))

    def drop_at(self, cam_id: str, x: float, y: float) -> Mount:
        """Where ``cam_id`` would stand dropped at ``(x, y)``: on a pole or facade near it
        (:class:`twin.analysis.mounts.Mounts`), else there at its present mount height."""
        cam = self.camera(cam_id)
        return self.mounts.at(x, y, cam.subkind, self.mount_height(cam_id))

    def _placed(self, cam: CameraOptics, m: Mount) -> CameraOptics:
        heading = cam.heading
        if m.outward is not None:  # on a wall: never looking into it
            turn = abs((heading - m.outward + 180.0) % 360.0 - 180.0)
            if turn > FACADE_MAX_TURN_DEG:
                heading = m.outward
        return _checked(cam.moved(x=m.x, y=m.y, z=m.foot + m.height, heading=heading), m.foot)

    def begin_drag(self, cam_id: str) -> None:
        """Start moving or turning ``cam_id`` with the mouse: what follows until
        :meth:`end_drag` is one step."""
        self.end_drag()
        self._drag = (cam_id, self.camera(cam_id), self.feet.get(cam_id, 0.0))

    def drag_to(self, x: float, y: float) -> Mount:
        """Move the dragged camera to ``(x, y)``, snapped to a pole or facade near it."""
        if self._drag is None:
            raise InputError("drag", "no camera is being dragged.")
        cid = self._drag[0]
        m = self.drop_at(cid, x, y)
        self.layout.put(self._placed(self.camera(cid), m))
        self.feet[cid] = m.foot
        return m

    def drag_heading(self, heading: float) -> None:
        """Turn the dragged camera to ``heading`` (degrees clockwise from north)."""
        if self._drag is None:
            raise InputError("drag", "no camera is being dragged.")
        cid = self._drag[0]
        self.layout.put(self.camera(cid).moved(heading=float(heading) % 360.0))

    def end_drag(self, label: str = "") -> Step | None:
        """The drag under way as one step (None when nothing moved or none was under way)."""
        if self._drag is None:
            return None
        cid, before, foot = self._drag
        self._drag = None
        after = self.layout.cameras.get(cid)
        if after is None or after == before:
            return None
        step = Step(label or f"move {cid}", [(before, after)], [(foot, self.feet.get(cid, 0.0))])
        self.undo_stack.append(step)
        self.redo_stack.clear()
        return step

    def add(
        self,
        x: float,
        y: float,
        heading: float | None = None,
        subkind: str = "hd",
        z: float | None = None,
        cam_id: str | None = None,
        snap: bool = True,
    ) -> CameraOptics:
        """A new camera of ``subkind`` (its catalogue optics) at ``(x, y)``: on a pole or a
        facade near the point when ``snap`` (looking away from the wall on a facade), else
        there; lens at ``z`` above the ground or the sub-kind's mount height: one step."""
        if subkind not in CAMERA_DEFAULTS:
            raise InputError(f"sub-kind {subkind!r}", "is not a camera sub-kind.")
        d = CAMERA_DEFAULTS[subkind]
        if cam_id is None or cam_id in self.layout.cameras:
            cam_id = self._new_id()
        m = (
            self.mounts.at(x, y, subkind, z)
            if snap
            else Mount(float(x), float(y), 0.0, float(d["mount_height"] if z is None else z), "")
        )
        look = m.outward if heading is None and m.outward is not None else (heading or 0.0)
        cam = CameraOptics(
            cam_id,
            subkind,
            m.x,
            m.y,
            m.foot + m.height,
            float(look) % 360.0,
            float(d["tilt"]),
            float(d["fov"]),
            int(d["width_px"]),
            int(d["height_px"]),
        )
        self._do(Step(f"add {cam_id}", [(None, _checked(cam, m.foot))], [(m.foot, m.foot)]))
        return cam

    def remove(self, cam_id: str) -> Step:
        """Take a camera out: one step."""
        foot = self.feet.get(cam_id, 0.0)
        return self._do(Step(f"remove {cam_id}", [(self.camera(cam_id), None)], [(foot, foot)]))

    def accept(self, suggestion: Suggestion) -> CameraOptics:
        """Add a suggested camera as it was suggested, under a plan id of its own (the
        candidate's id says where it came from, not what it is): one step."""
        cam = suggestion.camera
        m = self.mounts.at(cam.x, cam.y, cam.subkind)
        on_pole = m.on == "pole" and abs(m.x - cam.x) + abs(m.y - cam.y) < 1e-6
        foot = m.foot if on_pole else 0.0
        cam = cam.moved(id=self._new_id())
        self._do(Step(f"accept {suggestion.camera.id}", [(None, cam)], [(foot, foot)]))
        return cam

    def _new_id(self) -> str:
        while True:
            self._added += 1
            cam_id = f"plan-camera-{self._added:02d}"
            if cam_id not in self.layout.cameras and cam_id not in self.feet:
                return cam_id

    def suggest(
        self,
        n: int,
        goal: str = "roads",
        budget_from: str = "both",
        snap: tuple[CameraLayout, dict[str, float]] | None = None,
    ) -> list[Suggestion]:
        """``n`` cameras that would add the most to the edited layout (or a :meth:`snapshot`
        of it), not added: ghosts to accept or not."""
        from twin.usecases.planning import suggest_cameras

        lay = snap[0] if snap else self.layout
        found, _ = suggest_cameras(self.scene, n, budget_from, goal, cell=self.cell, layout=lay)
        return found

    def undo(self) -> Step | None:
        """Take back the last step (None when there is none)."""
        self.end_drag()
        if not self.undo_stack:
            return None
        step = self.undo_stack.pop()
        self._apply([(after, before) for before, after in reversed(_with_feet(step))])
        self.redo_stack.append(step)
        return step

    def redo(self) -> Step | None:
        """Do again the last step taken back."""
        self.end_drag()
        if not self.redo_stack:
            return None
        step = self.redo_stack.pop()
        self._apply(_with_feet(step))
        self.undo_stack.append(step)
        return step

    def discard(self) -> int:
        """Take back every step (each can be redone until the next edit); how many."""
        n = 0
        while self.undo() is not None:
            n += 1
        return n

    def _do(self, step: Step) -> Step:
        self.end_drag()
        self._apply(_with_feet(step))
        self.undo_stack.append(step)
        self.redo_stack.clear()
        return step

    def _apply(self, changes: list[tuple[tuple[Any, float], tuple[Any, float]]]) -> None:
        for (before, _), (after, foot) in changes:
            if after is None:
                if before is not None:
                    self.layout.remove(before.id)
            else:
                self.layout.put(after)
                self.feet[after.id] = foot

    # -- the edited scene ---------------------------------------------------------------------
    def edited_devices(
        self, snap: tuple[CameraLayout, dict[str, float]] | None = None
    ) -> list[Device]:
        """The scene's devices with its cameras as planned (now, or in a :meth:`snapshot`):
        the edited ones moved and re-lensed, the removed ones left out, the added ones in
        (``source`` "planning")."""
        from twin.ingest.crs import FrameTransform

        cams, feet = snap[0].cameras if snap else self.layout.cameras, snap[1] if snap else None
        out: list[Device] = []
        for d in self.scene.devices:
            if d.kind != "camera" or d.id not in self.initial:
                out.append(d)  # not a camera, or one out of the community's reach
            elif d.id in cams:
                out.append(self._device(cams[d.id], d, feet))
        added = [c for cid, c in sorted(cams.items()) if cid not in self.initial]
        if added:
            ft = FrameTransform(self.scene.frame)
            lon, lat = ft.to_lonlat([c.x for c in added], [c.y for c in added])
            for c, lo, la in zip(added, lon, lat, strict=True):
                out.append(self._device(c, None, feet, float(lo), float(la)))
        return out

    def _device(
        self,
        c: CameraOptics,
        d: Device | None,
        feet: dict[str, float] | None,
        lon: float = 0.0,
        lat: float = 0.0,
    ) -> Device:
        foot = (self.feet if feet is None else feet).get(c.id, 0.0)
        props = dict(d.props) if d is not None else {}
        props["resolution_px"] = (c.width_px, c.height_px)
        if d is not None and (c.x, c.y) != (d.x, d.y):
            from twin.ingest.crs import FrameTransform

            lo, la = FrameTransform(self.scene.frame).to_lonlat([c.x], [c.y])
            lon, lat = float(lo[0]), float(la[0])
        elif d is not None:
            lon, lat = d.lon, d.lat
        return replace(
            d or Device(c.id, "camera", c.id, 0, 0, 0, 0, 0, 0, source="planning"),
            subkind=c.subkind,
            x=c.x,
            y=c.y,
            z=foot,
            lon=lon,
            lat=lat,
            mount_height=c.z - foot,
            heading=c.heading,
            tilt=c.tilt,
            fov=c.hfov,
            props=props,
        )

    def edited_scene(self, snap: tuple[CameraLayout, dict[str, float]] | None = None) -> Scene:
        """The scene with its cameras as planned (everything else shared with the scene)."""
        return replace(self.scene, devices=self.edited_devices(snap))

    # -- keep ---------------------------------------------------------------------------------
    def variant_paths(self, name: str) -> tuple[Path, Path, Path]:
        """Where a plan named ``name`` is kept beside the scene file: its device list, its
        scene file and its report folder."""
        spec_path = self.scene.spec.path
        if spec_path is None:
            raise InputError(self.scene.name, "was not read from a scene file.", "Open one.")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
        if not safe:
            raise InputError(f"name {name!r}", "has no letters or digits.", "Name it e.g. plan-a.")
        stem = f"{spec_path.stem}-{safe}"
        return (
            spec_path.with_name(f"{stem}-cameras.csv"),
            spec_path.with_name(f"{stem}.toml"),
            spec_path.with_name(f"{stem}-report"),
        )

    def save(self, name: str) -> tuple[Path, Path]:
        """Write the edited layout beside the scene file: ``<scene>-<name>-cameras.csv`` with
        every camera of the scene (the edited ones as edited), and ``<scene>-<name>.toml``, the
        scene file with its comments plus a ``[[devices]]`` table that uses the list for all
        cameras (``replaces = ["camera"]``). Returns both paths."""
        from twin.scene.scenefile import load_scene_spec

        csv_path, variant, _ = self.variant_paths(name)
        spec_path = self.scene.spec.path
        assert spec_path is not None
        cams = sorted((d for d in self.edited_devices() if d.kind == "camera"), key=lambda d: d.id)
        out = io.StringIO()
        rows = csv.writer(out, lineterminator="\n")  # ids and names may hold commas
        rows.writerow(
            ["id", "kind", "subkind", "lon", "lat", "height", "heading", "tilt", "fov"]
            + ["resolution"]
        )
        for d in cams:
            c = optics_of(d)
            rows.writerow(
                [d.id, "camera", c.subkind, f"{d.lon:.9f}", f"{d.lat:.9f}"]
                + [f"{d.mount_height:.3f}", f"{c.heading:.3f}", f"{c.tilt:.3f}", f"{c.hfov:.3f}"]
                + [f"{c.width_px}x{c.height_px}"]
            )
        text = spec_path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        text += (
            f"\n# The camera layout planned in the planning view ({csv_path.stem}): every\n"
            f"# camera of the scene as planned; the cameras of the other sources are left out.\n"
            f'[[devices]]\npath = "{csv_path.name}"\nreplaces = ["camera"]\n'
        )
        try:
            csv_path.write_text(out.getvalue(), encoding="utf-8")
            tmp = variant.with_name(f".{variant.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            load_scene_spec(tmp)  # it must read back
            tmp.replace(variant)
        except OSError as exc:
            raise InputError(variant.parent, f"cannot be written ({exc.strerror}).") from None
        return csv_path, variant


def _with_feet(step: Step) -> list[tuple[tuple[Any, float], tuple[Any, float]]]:
    feet = step.feet or [(0.0, 0.0)] * len(step.changes)
    return [((b, fb), (a, fa)) for (b, a), (fb, fa) in zip(step.changes, feet, strict=True)]


def _checked(cam: CameraOptics, foot: float = 0.0) -> CameraOptics:
    if not 1.0 <= cam.hfov <= 360.0:
        raise InputError("field of view", f"{cam.hfov:g} deg is outside 1-360.")
    if not -90.0 <= cam.tilt <= 90.0:
        raise InputError("tilt", f"{cam.tilt:g} deg is outside -90-90.")
    if not 0.0 <= cam.z - foot <= MAX_MOUNT_HEIGHT:
        h = cam.z - foot
        raise InputError("mount height", f"{h:g} m is outside 0-{MAX_MOUNT_HEIGHT:g} m.")
    if not (320 <= cam.width_px <= 16384 and 240 <= cam.height_px <= 16384):
        raise InputError("resolution", f"{cam.width_px}x{cam.height_px} is not a camera's.")
    return cam.moved(heading=float(cam.heading) % 360.0)
