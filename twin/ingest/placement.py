"""Where an IFC model is: its placements in priority order (a placement in the scene, its map
conversion, its IfcSite latitude / longitude, none), each checked before it is used.

:func:`locate` is the one answer to "where is this model", both for choosing the scene frame
(:func:`origin_lonlat`, before there is a frame) and for placing the model in it (:func:`place`).
A placement whose coordinates are not finite (PROJ returns inf far outside a CRS's area) is
passed over, with a warning, for the next one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely
import shapely.affinity
from pyproj import Geod, Transformer

from twin.core.errors import InputError
from twin.ingest import georef
from twin.ingest.crs import WGS84, FrameTransform, parse_crs
from twin.ingest.ifcmodel import IfcModelData
from twin.scene.entities import Warning
from twin.scene.scenefile import IfcSpec

GEOD = Geod(ellps="WGS84")
ToLocal = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Placement:
    """A model placed in the scene frame (``to_local``) or, before there is a frame, on earth."""

    method: str  # scene / map_conversion / site / none
    to_local: ToLocal  # model (x, y) metres -> scene local (x, y)
    dz: float
    lon: float
    lat: float
    rotation: float | None  # degrees clockwise from north of the model's +Y, where known
    source: str = ""  # scene, IfcMapConversion, ePSet_MapConversion on IfcSite, IfcSite, ...
    scale: float | None = None  # the map conversion's Scale used
    points_xy: np.ndarray | None = None  # the model's points placed, (N, 2)


@dataclass
class _Candidate:
    """One way of placing a model, before it is checked."""

    method: str
    source: str
    lon: float
    lat: float
    rotation: float | None
    to_lonlat: ToLocal  # model (x, y) metres -> lon, lat
    local: Callable[[FrameTransform], ToLocal]
    dz: float = 0.0
    scale: float | None = None
    notes: list[str] = field(default_factory=list)


def _walk(
    lon0: float, lat0: float, rotation: float, method: str, source: str, dz: float = 0.0
) -> _Candidate:
    """Model metres -> lon / lat: rotate by ``rotation`` clockwise, walk the geodesic from
    (lon0, lat0)."""
    r = math.radians(rotation)

    def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.atleast_1d(np.asarray(x, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
        e = x * math.cos(r) + y * math.sin(r)
        n = -x * math.sin(r) + y * math.cos(r)
        if not len(e):
            return e, n
        lon, lat, _ = GEOD.fwd(
            np.full(e.shape, lon0),
            np.full(e.shape, lat0),
            np.degrees(np.arctan2(e, n)),
            np.hypot(e, n),
        )
        return np.asarray(lon), np.asarray(lat)

    def local(ft: FrameTransform) -> ToLocal:
        return lambda x, y: ft.to_local(*to_lonlat(x, y))

    return _Candidate(method, source, lon0, lat0, rotation, to_lonlat, local, dz)


def _map_candidate(data: IfcModelData, warnings: list[Warning]) -> _Candidate | None:
    mc = data.map_conversion or {}
    src = mc.get("source") or "IfcMapConversion"
    try:
        if mc.get("problem"):
            raise ValueError(mc["problem"])
        crs = parse_crs(mc.get("crs"), f"{data.file} {src}")
        ma = georef.map_affine(mc, crs)
    except InputError as exc:
        warnings.append(Warning(data.file, src, f"target CRS unusable ({exc.problem})", "ignored"))
        return None
    except ValueError as exc:
        warnings.append(Warning(data.file, src, f"its {src} {exc}", "ignored"))
        return None
    a = ma.affine
    to_wgs = Transformer.from_crs(crs, WGS84, always_xy=True)

    def grid(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        return a[0, 0] * x + a[0, 1] * y + a[0, 2], a[1, 0] * x + a[1, 1] * y + a[1, 2]

    def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = to_wgs.transform(*grid(x, y))
        return np.asarray(lon), np.asarray(lat)

    def local(ft: FrameTransform) -> ToLocal:
        t = ft.from_crs(crs)
        ox, oy = ft.frame.origin_x, ft.frame.origin_y

        def to_local(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            px, py = t.transform(*grid(x, y))
            return np.asarray(px) - ox, np.asarray(py) - oy

        return to_local

    lon, lat = to_lonlat(np.zeros(1), np.zeros(1))
    rot = math.degrees(math.atan2(a[1, 0], a[0, 0]))  # x axis angle, anticlockwise from east
    return _Candidate(
        "map_conversion",
        src,
        float(lon[0]),
        float(lat[0]),
        -rot,
        to_lonlat,
        local,
        scale=ma.scale,
        notes=ma.notes,
    )


def _candidates(data: IfcModelData, spec: IfcSpec, warnings: list[Warning]) -> Iterator[_Candidate]:
    """The placements of a model in their priority order."""
    if spec.placed:
        yield _walk(
            float(spec.lon or 0.0),
            float(spec.lat or 0.0),
            spec.rotation,
            "scene",
            "scene",
            spec.elevation,
        )
    if data.map_conversion:
        c = _map_candidate(data, warnings)
        if c is not None:
            yield c
    if data.site:
        s = data.site
        yield _walk(s["lon"], s["lat"], s["true_north"], "site", "IfcSite")


def _probe(data: IfcModelData, everything: bool) -> np.ndarray:
    """Model (x, y) a placement must convert: every point placed later (``everything``), or
    the model's origin, the corners of its extent and its devices."""
    pts = data.points[:, :2] if len(data.points) else np.zeros((0, 2))
    if not everything and len(pts):
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    extra = [pts, np.array([[d["x"], d["y"]] for d in data.devices]).reshape(-1, 2)]
    if everything:
        for wkb in [data.footprint_wkb, *(s["footprint_wkb"] for s in data.spaces)]:
            if wkb:
                extra.append(shapely.get_coordinates(shapely.from_wkb(wkb)))
    extra.append(np.zeros((1, 2)))  # the origin, last
    return np.concatenate(extra)


def locate(
    data: IfcModelData, spec: IfcSpec, warnings: list[Warning], ft: FrameTransform | None = None
) -> Placement:
    """Where the model is: the first of its placements that gives finite coordinates.

    Parameters
    ----------
    data : IfcModelData
        The model.
    spec : IfcSpec
        Its entry in the scene (a placement there always comes first).
    warnings : list of Warning
        Receives why a placement was passed over and what was repaired.
    ft : FrameTransform, optional
        The scene frame. The corners of the model's extent, its devices and its origin must
        have a finite lon / lat, and with ``ft`` every point must have finite local
        coordinates; without ``ft``, ``to_local`` of the result must not be used.

    Returns
    -------
    Placement
        Method ``none`` (at the scene origin) when no placement is usable.
    """
    outline = _probe(data, everything=False)
    probe = _probe(data, everything=True) if ft is not None else outline
    n = len(data.points)
    tried = []
    for c in _candidates(data, spec, warnings):
        lon, lat = c.to_lonlat(outline[:, 0], outline[:, 1])
        ok = bool(np.isfinite(lon).all() and np.isfinite(lat).all() and (np.abs(lat) <= 90).all())
        to_local: ToLocal | None = None
        if ok and ft is not None:
            to_local = c.local(ft)
            u, v = to_local(probe[:, 0], probe[:, 1])
            ok = bool(np.all(np.isfinite(u)) and np.all(np.isfinite(v)))
        tried.append(c.source)
        if not ok:
            warnings.append(
                Warning(
                    data.file,
                    c.source,
                    f"its {c.source} gives coordinates that PROJ cannot convert (not finite)",
                    "ignored; the next placement is used",
                )
            )
            continue
        for note in c.notes:
            warnings.append(Warning(data.file, c.source, note, "repaired"))
        return Placement(
            c.method,
            to_local or _identity,
            c.dz,
            c.lon,
            c.lat,
            c.rotation,
            c.source,
            c.scale,
            np.column_stack([u[:n], v[:n]]) if ft is not None else None,
        )
    why = (
        "none of its placements is usable"
        if tried
        else "the model has no IfcMapConversion and no IfcSite latitude / longitude"
    )
    warnings.append(
        Warning(
            data.file,
            "georeference",
            why,
            "placed at the scene origin; place it with lon / lat in [[ifc]]",
        )
    )
    lon0, lat0 = (ft.frame.origin_lon, ft.frame.origin_lat) if ft is not None else (math.nan,) * 2
    return Placement(
        "none",
        _identity,
        0.0,
        lon0,
        lat0,
        None,
        "",
        None,
        np.array(data.points[:, :2], dtype=float).reshape(-1, 2),
    )


def _identity(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def origin_lonlat(
    data: IfcModelData, spec: IfcSpec, warnings: list[Warning] | None = None
) -> tuple[float, float] | None:
    """Where the model's origin is on earth by its placement priority, or None.

    Parameters
    ----------
    data, spec
        The model and its scene entry.
    warnings : list of Warning, optional
        Receives why placements were passed over (for an error message).
    """
    pl = locate(data, spec, [] if warnings is None else warnings)
    return None if pl.method == "none" else (float(pl.lon), float(pl.lat))


def place(
    data: IfcModelData, spec: IfcSpec, ft: FrameTransform, warnings: list[Warning]
) -> Placement:
    """The model's placement in the scene frame (see :func:`locate`)."""
    return locate(data, spec, warnings, ft)


def beside(
    pl: Placement, foot: shapely.Geometry, gis_area: shapely.Geometry
) -> tuple[Placement, shapely.Geometry]:
    """The same placement shifted to just east of the GIS data's extent."""
    fx0, fy0, fx1, fy1 = foot.bounds
    gx0, gy0, gx1, gy1 = gis_area.bounds
    dx = gx1 + 50.0 - fx0
    dy = (gy0 + gy1) / 2 - (fy0 + fy1) / 2
    inner = pl.to_local

    def shifted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lx, ly = inner(x, y)
        return lx + dx, ly + dy

    pts = None if pl.points_xy is None else pl.points_xy + np.array([dx, dy])
    return (
        Placement(pl.method, shifted, pl.dz, pl.lon, pl.lat, pl.rotation, pl.source, pl.scale, pts),
        shapely.affinity.translate(foot, dx, dy),
    )
