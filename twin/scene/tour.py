"""Camera tours: keyframed flights over the scene for kiosk mode and ``twin record``.

Plain data and arithmetic (numpy only). A :class:`TourSpec` from the scene file names cameras
by bookmark, lon / lat or "the whole scene"; :func:`resolve_tour` turns them into
:class:`CameraPose` s in the scene's local metres, and :meth:`Tour.at` gives the camera at any
time: each keyframe held still, then a smooth flight to the next, looping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from twin.core.errors import InputError
from twin.scene.scene import Scene
from twin.scene.scenefile import KeyframeSpec, SceneSpec, TourSpec
from twin.scene.views import TOUR_VIEWS

DEFAULT_TOUR = "default"


@dataclass(frozen=True)
class CameraPose:
    """A camera in local metres: the focal point (x, y, z) and where the camera sits from it:
    ``distance`` metres back along the view direction, which looks ``heading`` degrees
    clockwise from north and ``pitch`` degrees below horizontal."""

    x: float
    y: float
    z: float
    distance: float
    heading: float
    pitch: float

    def forward(self) -> tuple[float, float, float]:
        """Unit view direction (east, north, up)."""
        p, h = math.radians(self.pitch), math.radians(self.heading)
        return (math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), -math.sin(p))

    def position(self) -> tuple[float, float, float]:
        """Where the camera is."""
        f = self.forward()
        return (
            self.x - f[0] * self.distance,
            self.y - f[1] * self.distance,
            self.z - f[2] * self.distance,
        )


def smootherstep(u: float) -> float:
    """0 -> 0, 1 -> 1, first and second derivatives 0 at both ends (Perlin's)."""
    u = min(1.0, max(0.0, u))
    return u * u * u * (u * (6.0 * u - 15.0) + 10.0)


def interpolate(a: CameraPose, b: CameraPose, u: float) -> CameraPose:
    """The camera a fraction ``u`` (0..1, eased) of the way from ``a`` to ``b``: focal point
    linear, heading the shortest way round, pitch linear, distance geometric, lifted midway
    when the flight is long for the distances (so the camera rises to see where it goes
    instead of skimming the roofs). ``u`` = 0 and 1 give ``a`` and ``b`` exactly."""
    if u <= 0.0:
        return a
    if u >= 1.0:
        return b
    s = smootherstep(u)
    dh = (b.heading - a.heading + 180.0) % 360.0 - 180.0
    sep = math.hypot(b.x - a.x, b.y - a.y)
    d0, d1 = max(a.distance, 1e-3), max(b.distance, 1e-3)
    dist = math.exp(math.log(d0) + (math.log(d1) - math.log(d0)) * s)
    lift = 0.8 * sep / math.sqrt(d0 * d1)
    if lift > 1.0:
        dist *= lift ** math.sin(math.pi * s)
    return CameraPose(
        a.x + (b.x - a.x) * s,
        a.y + (b.y - a.y) * s,
        a.z + (b.z - a.z) * s,
        dist,
        (a.heading + dh * s) % 360.0,
        a.pitch + (b.pitch - a.pitch) * s,
    )


@dataclass
class Stop:
    """A resolved keyframe: the pose, the view shown, how long it is held and how long the
    flight that arrives at it lasts."""

    pose: CameraPose
    view: str
    hold: float
    travel: float


class Tour:
    """A resolved tour. Its timeline: keyframe 0 held, flight to keyframe 1, keyframe 1 held,
    ..., flight back to keyframe 0; then it loops. During a flight the destination's view is
    shown (the view switches as the camera sets off)."""

    def __init__(self, name: str, stops: list[Stop]) -> None:
        if not stops:
            raise ValueError("a tour needs at least one keyframe")
        self.name = name
        self.stops = stops
        n = len(stops)
        self.starts: list[float] = []
        """Time each keyframe's hold begins (keyframe 0 at 0)."""
        t = 0.0
        for i, s in enumerate(stops):
            if i:
                t += s.travel
            self.starts.append(t)
            t += s.hold
        self.duration: float = t + (stops[0].travel if n > 1 else 0.0)
        """Seconds of one loop."""

    def __len__(self) -> int:
        return len(self.stops)

    def at(self, t: float) -> tuple[CameraPose, str, int]:
        """(camera, view shown, keyframe index) at ``t`` seconds, looping. The index is the
        keyframe held, or flown to."""
        if self.duration <= 0:
            s = self.stops[0]
            return s.pose, s.view, 0
        t = t % self.duration
        n = len(self.stops)
        for i in range(n - 1, -1, -1):
            start = self.starts[i]
            if t >= start:
                s = self.stops[i]
                if t <= start + s.hold or n == 1:
                    return s.pose, s.view, i
                j = (i + 1) % n
                nxt = self.stops[j]
                u = (t - start - s.hold) / nxt.travel if nxt.travel > 0 else 1.0
                return interpolate(s.pose, nxt.pose, u), nxt.view, j
        # t before keyframe 0's start cannot happen (starts[0] == 0)
        s = self.stops[0]
        return s.pose, s.view, 0


def default_tour(spec: SceneSpec) -> TourSpec:
    """The tour every scene has: the whole scene framed in each situational view, then each
    bookmark."""
    frames = [KeyframeSpec(view=v) for v in TOUR_VIEWS]
    frames += [KeyframeSpec(view="overview", bookmark=v.name) for v in spec.views]
    return TourSpec(DEFAULT_TOUR, hold=8.0, travel=4.0, keyframes=frames)


def tour_specs(spec: SceneSpec) -> list[TourSpec]:
    """The scene file's tours, then the default tour (unless the file has its own ``default``)."""
    tours = list(spec.tours)
    if not any(t.name == DEFAULT_TOUR for t in tours):
        tours.append(default_tour(spec))
    return tours


def find_tour(spec: SceneSpec, name: str | None = None) -> TourSpec:
    """Tour ``name`` of the scene (None: its first one, else the default tour); an
    :class:`InputError` naming the tours there are when there is no such tour."""
    tours = tour_specs(spec)
    if name is None:
        return tours[0]
    for t in tours:
        if t.name == name:
            return t
    raise InputError(
        f"tour {name!r}",
        f"is not a tour of {spec.path or spec.name}.",
        f"Use one of: {', '.join(t.name for t in tours)}.",
    )


def resolve_tour(
    spec: TourSpec,
    scene: Scene,
    overview: CameraPose,
    to_local: Callable[[float, float], tuple[float, float]] | None = None,
) -> Tour:
    """Poses for ``spec``'s keyframes in ``scene``: bookmarks from ``scene.view_targets``,
    lon / lat cameras from ``scene.tour_targets`` (computed when the scene is built) or else
    ``to_local(lon, lat)``, and "the whole scene" from ``overview`` (the renderer's overview
    framing, see ``twin.render.camera.overview_pose``). A keyframe's distance / heading /
    pitch override those of its bookmark or of the overview framing."""
    views = {v.name: v for v in scene.spec.views}
    stops = []
    for i, k in enumerate(spec.keyframes):
        if k.bookmark is not None:
            v = views.get(k.bookmark)
            if v is None or k.bookmark not in scene.view_targets:
                have = ", ".join(views) or "none"
                raise InputError(
                    f"tour {spec.name!r}",
                    f"keyframe {i + 1}: unknown bookmark {k.bookmark!r}.",
                    f"Use a [[views]] name (bookmarks: {have}).",
                )
            x, y = scene.view_targets[k.bookmark]
            pose = CameraPose(x, y, 0.0, v.distance, v.heading % 360.0, v.pitch)
        elif k.lon is not None and k.lat is not None:
            xy = scene.tour_targets.get((spec.name, i))
            if xy is None:
                if to_local is None:
                    raise InputError(
                        f"tour {spec.name!r}",
                        f"keyframe {i + 1}: its lon / lat was not placed when the scene was built.",
                        "Rebuild the scene after editing its tours.",
                    )
                xy = to_local(k.lon, k.lat)
            pose = CameraPose(float(xy[0]), float(xy[1]), 0.0, 400.0, 0.0, 45.0)
        else:
            pose = overview
        pose = replace(
            pose,
            distance=pose.distance if k.distance is None else k.distance,
            heading=pose.heading if k.heading is None else k.heading % 360.0,
            pitch=pose.pitch if k.pitch is None else k.pitch,
        )
        stops.append(Stop(pose, k.view, spec.hold_of(k), spec.travel_of(k)))
    return Tour(spec.name, stops)
