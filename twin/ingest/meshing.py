"""Polygons to triangles: extruded buildings, flat ground surfaces, planar 3D faces.

Triangulation is mapbox-earcut's; this module only arranges rings and builds walls.
"""

from __future__ import annotations

import mapbox_earcut as earcut
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

Tri = tuple[np.ndarray, np.ndarray]  # points (N, 3), faces (M, 3)
EMPTY: Tri = (np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))


def polygons_of(geom: BaseGeometry) -> list[shapely.Polygon]:
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, shapely.Polygon):
        return [geom]
    if isinstance(geom, shapely.MultiPolygon | shapely.GeometryCollection):
        out: list[shapely.Polygon] = []
        for g in geom.geoms:
            out.extend(polygons_of(g))
        return out
    return []


def _rings(poly: shapely.Polygon) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (without closing duplicates) and ring end indices, exterior first."""
    rings = [np.asarray(poly.exterior.coords)[:-1, :2]]
    rings += [np.asarray(r.coords)[:-1, :2] for r in poly.interiors]
    rings = [r for r in rings if len(r) >= 3]
    verts = np.concatenate(rings) if rings else np.zeros((0, 2))
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    return verts, ends


def triangulate_2d(poly: shapely.Polygon) -> tuple[np.ndarray, np.ndarray]:
    verts, ends = _rings(poly)
    if len(verts) < 3:
        return verts, np.zeros((0, 3), dtype=np.int64)
    idx = earcut.triangulate_float64(verts, ends)
    return verts, np.asarray(idx, dtype=np.int64).reshape(-1, 3)


def flat(geom: BaseGeometry, z: float) -> Tri:
    """A flat surface at height ``z`` (normals up)."""
    pts, faces = [], []
    n = 0
    for poly in polygons_of(geom):
        v, f = triangulate_2d(shapely.geometry.polygon.orient(poly, 1.0))
        if not len(f):
            continue
        pts.append(np.column_stack([v, np.full(len(v), z)]))
        faces.append(f + n)
        n += len(v)
    if not pts:
        return EMPTY
    return np.concatenate(pts), np.concatenate(faces)


def extrude(geom: BaseGeometry, z0: float, z1: float) -> Tri:
    """A prism from ``z0`` to ``z1`` over the polygon(s): roof and walls (no floor)."""
    pts, faces = [], []
    n = 0
    for poly in polygons_of(geom):
        poly = shapely.geometry.polygon.orient(poly, 1.0)  # exterior CCW, holes CW
        v, f = triangulate_2d(poly)
        if not len(f):
            continue
        pts.append(np.column_stack([v, np.full(len(v), z1)]))
        faces.append(f + n)
        n += len(v)
        for ring in [poly.exterior, *poly.interiors]:
            c = np.asarray(ring.coords)[:, :2]
            a, b = c[:-1], c[1:]
            k = len(a)
            if k == 0:
                continue
            quad = np.concatenate(
                [
                    np.column_stack([a, np.full(k, z0)]),
                    np.column_stack([b, np.full(k, z0)]),
                    np.column_stack([b, np.full(k, z1)]),
                    np.column_stack([a, np.full(k, z1)]),
                ]
            )
            i = np.arange(k)
            # outward normals for a CCW exterior (and CW holes): (a0, b0, b1), (a0, b1, a1)
            tri = np.concatenate(
                [
                    np.column_stack([i, k + i, 2 * k + i]),
                    np.column_stack([i, 2 * k + i, 3 * k + i]),
                ]
            )
            pts.append(quad)
            faces.append(tri + n)
            n += len(quad)
    if not pts:
        return EMPTY
    return np.concatenate(pts), np.concatenate(faces)


def planar_polygon_3d(rings: list[np.ndarray]) -> Tri:
    """Triangles of one planar 3D polygon with holes (rings of (k, 3) points, unclosed).

    The polygon is projected on the axis plane it is most parallel to and triangulated there;
    earcut's indices map straight back to the 3D vertices.
    """
    rings = [r for r in rings if len(r) >= 3]
    if not rings:
        return EMPTY
    ext = rings[0]
    # Newell's method for the normal (robust for non-convex rings)
    nxt = np.roll(ext, -1, axis=0)
    normal = np.array(
        [
            np.sum((ext[:, 1] - nxt[:, 1]) * (ext[:, 2] + nxt[:, 2])),
            np.sum((ext[:, 2] - nxt[:, 2]) * (ext[:, 0] + nxt[:, 0])),
            np.sum((ext[:, 0] - nxt[:, 0]) * (ext[:, 1] + nxt[:, 1])),
        ]
    )
    if not np.any(normal):
        return EMPTY
    drop = int(np.argmax(np.abs(normal)))
    keep = [i for i in range(3) if i != drop]
    verts3 = np.concatenate(rings)
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    idx = np.asarray(earcut.triangulate_float64(verts3[:, keep], ends), dtype=np.int64).reshape(
        -1, 3
    )
    if not len(idx):
        return EMPTY
    # keep the ring's winding (CityJSON: counter-clockwise seen from outside)
    v = verts3
    tn = np.cross(v[idx[:, 1]] - v[idx[:, 0]], v[idx[:, 2]] - v[idx[:, 0]])
    flip = (tn @ normal) < 0
    idx[flip] = idx[flip][:, [0, 2, 1]]
    return verts3, idx
