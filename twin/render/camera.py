"""Camera poses on a plotter: set one, read one back, the overview framing as a pose.

A :class:`twin.scene.tour.CameraPose` is the focal point in local metres plus distance,
heading (degrees clockwise from north, where the camera looks) and pitch (degrees below
horizontal) -- the same camera a view bookmark describes, with a focal height.
"""

from __future__ import annotations

import math

import pyvista as pv

from twin.render import vtkparts as vtk
from twin.render.scenevis import frame_overview
from twin.scene.scene import Scene
from twin.scene.tour import CameraPose

VIEW_ANGLE = 30.0
"""Vertical field of view, degrees (as frame_bookmark / frame_overview use)."""


def metres_per_pixel(distance: float, height: int) -> float:
    """Metres one pixel spans at the focal point, for a frame ``height`` pixels high."""
    return 2 * distance * math.tan(math.radians(VIEW_ANGLE / 2)) / max(height, 1)


def apply_pose(plotter: pv.Plotter, pose: CameraPose, size: tuple[int, int]) -> float:
    """Point the plotter's camera at ``pose``; returns metres per pixel at the focal point
    (for ``SceneVisual.rescale_glyphs``)."""
    cam = plotter.camera
    p, h = math.radians(pose.pitch), math.radians(pose.heading)
    cam.focal_point = (pose.x, pose.y, pose.z)
    cam.position = pose.position()
    # up: tilted toward the heading, so a camera looking straight down still knows north
    cam.up = (math.sin(h) * math.sin(p), math.cos(h) * math.sin(p), math.cos(p))
    cam.view_angle = VIEW_ANGLE
    plotter.renderer.ResetCameraClippingRange()
    return metres_per_pixel(pose.distance, size[1])


def pose_of(plotter: pv.Plotter) -> CameraPose:
    """The plotter's current camera as a pose."""
    cam = plotter.renderer.GetActiveCamera()
    fx, fy, fz = cam.GetFocalPoint()
    px, py, pz = cam.GetPosition()
    dx, dy, dz = fx - px, fy - py, fz - pz
    dist = math.sqrt(dx * dx + dy * dy + dz * dz) or 1e-6
    horiz = math.hypot(dx, dy)
    pitch = math.degrees(math.atan2(-dz, horiz))
    if horiz > 1e-6 * dist:
        heading = math.degrees(math.atan2(dx, dy))
    else:  # straight down: the screen's up is where the camera "looks"
        ux, uy, _ = cam.GetViewUp()
        heading = math.degrees(math.atan2(ux, uy)) if math.hypot(ux, uy) > 1e-9 else 0.0
    return CameraPose(fx, fy, fz, dist, heading % 360.0, pitch)


def overview_pose(plotter: pv.Plotter, scene: Scene, size: tuple[int, int]) -> CameraPose:
    """The overview framing of ``scene`` (the whole scene, as ``frame_overview`` frames it) as
    a pose; the plotter's camera is left as it was."""
    cam = plotter.renderer.GetActiveCamera()
    saved = vtk.vtkCamera()
    saved.DeepCopy(cam)
    try:
        frame_overview(plotter, scene, size)
        return pose_of(plotter)
    finally:
        cam.DeepCopy(saved)
        plotter.renderer.ResetCameraClippingRange()
