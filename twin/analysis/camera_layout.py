"""A community's camera layout as coverage maps, one per job a camera does, kept up to date
camera by camera (the audit, suggestions and the planning view share it).

Jobs (which cameras count for which rule, from the deployment rules of the catalogue):

- ``roads``: HD cameras cover important roads continuously - every fixed camera of at least
  HD resolution (1920 px wide): HD, AI and perimeter cameras; faces at 1.6 m.
- ``entrance_people`` / ``entrance_vehicles``: AI cameras at the entrances, faces at 1.6 m and
  vehicles' fronts at 1.0 m.
- ``perimeter``: perimeter AI cameras along an open community's boundary; faces at 1.6 m.
- ``all``: every camera, panoramas included, for blind spots; faces at 1.6 m.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import shapely

from twin.analysis.coverage import CameraOptics, CoverageMap, Grid, optics_of
from twin.analysis.occluders import Occluders, occluders_of
from twin.scene.scene import Scene
from twin.scene.standards import TARGET_HEIGHT_PEOPLE_M, TARGET_HEIGHT_VEHICLES_M

HD_WIDTH_PX = 1920
"""The catalogue's HD floor: at least 1920x1080."""
COVERAGE_CELL_M = 1.0
"""Default cell size of the coverage grid, metres (``--cell``)."""
GRID_MARGIN_M = 5.0
"""The grid reaches this far past the community's boundary."""

JOBS: dict[str, float] = {
    "roads": TARGET_HEIGHT_PEOPLE_M,
    "entrance_people": TARGET_HEIGHT_PEOPLE_M,
    "entrance_vehicles": TARGET_HEIGHT_VEHICLES_M,
    "perimeter": TARGET_HEIGHT_PEOPLE_M,
    "all": TARGET_HEIGHT_PEOPLE_M,
}
"""Job -> target height of its coverage map."""


def jobs_of(cam: CameraOptics) -> tuple[str, ...]:
    """The jobs a camera counts for."""
    jobs = ["all"]
    if cam.hfov < 180.0 and cam.width_px >= HD_WIDTH_PX:
        jobs.append("roads")
    if cam.subkind == "ai":
        jobs += ["entrance_people", "entrance_vehicles"]
    if cam.subkind == "perimeter":
        jobs.append("perimeter")
    return tuple(jobs)


@dataclass
class CameraLayout:
    """The coverage maps of a set of cameras over an area."""

    grid: Grid
    occluders: Occluders
    outdoor: np.ndarray
    maps: dict[str, CoverageMap] = field(default_factory=dict)
    cameras: dict[str, CameraOptics] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        scene: Scene,
        area: shapely.Geometry,
        cameras: Iterable[CameraOptics] | None = None,
        cell: float = COVERAGE_CELL_M,
    ) -> CameraLayout:
        """The layout of ``cameras`` (default: the scene's) over ``area`` (local metres); a
        camera outside the area counts where it looks in."""
        xmin, ymin, xmax, ymax = shapely.bounds(area)
        bounds = (
            xmin - GRID_MARGIN_M,
            ymin - GRID_MARGIN_M,
            xmax + GRID_MARGIN_M,
            ymax + GRID_MARGIN_M,
        )
        occ = occluders_of(scene, bounds)
        grid = Grid.over(bounds, cell)
        gx, gy = grid.centres()
        outdoor = occ.open_at(gx, gy)
        layout = cls(grid, occ, outdoor)
        layout.maps = {job: CoverageMap(grid, occ, h, outdoor) for job, h in JOBS.items()}
        if cameras is None:
            cameras = [optics_of(d) for d in scene.devices if d.kind == "camera"]
        near = [c for c in cameras if _reaches(c, bounds)]
        for job, cmap in layout.maps.items():
            cmap.put_all(c for c in near if job in jobs_of(c))
        layout.cameras = {c.id: c for c in near}
        return layout

    def put(self, cam: CameraOptics) -> None:
        """Add a camera or change one (moved, turned, another lens): only its footprints are
        recomputed."""
        old = self.cameras.get(cam.id)
        if old is not None:
            for job in set(jobs_of(old)) - set(jobs_of(cam)):
                self.maps[job].remove(cam.id)
        for job in jobs_of(cam):
            self.maps[job].put(cam)
        self.cameras[cam.id] = cam

    def copy(self) -> CameraLayout:
        """A copy of the maps and cameras (grid and occluders shared: they never change)."""
        maps = {job: cmap.copy() for job, cmap in self.maps.items()}
        return CameraLayout(self.grid, self.occluders, self.outdoor, maps, dict(self.cameras))

    def remove(self, cam_id: str) -> None:
        """Take a camera out of every map."""
        self.cameras.pop(cam_id, None)
        for cmap in self.maps.values():
            cmap.remove(cam_id)


def _reaches(cam: CameraOptics, bounds: tuple[float, float, float, float]) -> bool:
    r = cam.reach()
    xmin, ymin, xmax, ymax = bounds
    return xmin - r <= cam.x <= xmax + r and ymin - r <= cam.y <= ymax + r
