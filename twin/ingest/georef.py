"""Where an IFC model says it is: its map conversion (IfcMapConversion, or IFC2X3's
ePSet_MapConversion / ePSet_ProjectedCRS property sets), the units of both sides, the affine
from model metres to the target CRS, its IfcSite latitude / longitude, and the default
locations design tools leave in files whose site was never set.

Reading (:func:`read_map_conversion`, :func:`read_site`) happens once per file and returns
plain data that the tessellation cache stores; :func:`map_affine` applies the units rules when
the model is placed, so that what it warns about reaches the scene's warnings.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyproj import CRS, Geod

from twin.core.units import length_unit

GEOD = Geod(ellps="WGS84")
CONSISTENT = 0.01
"""A Scale whose effective ratio is within 1 % of the unit ratio is consistent (a survey's
combined scale factor near 1 is legitimate)."""

KNOWN_DEFAULTS: tuple[tuple[str, str, float, float, float], ...] = (
    # (tool, place, latitude, longitude, radius in km): where a tool puts a site never set
    ("Revit", "Chicago", 41.8744, -87.6394, 2.0),
    ("Revit", "Boston", 42.3584, -71.0598, 2.0),
    ("Graphisoft ArchiCAD", "Budapest", 47.4979, 19.0402, 2.0),
    ("SketchUp", "Boulder", 40.0178, -105.2797, 2.0),
)

_PSET = re.compile(r"^e?pset_(mapconversion|projectedcrs)$", re.IGNORECASE)


# -- units --------------------------------------------------------------------------------------
def unit_metres(unit: Any) -> float | None:
    """Metres per one ``unit`` (an IfcSIUnit or IfcConversionBasedUnit of length), or None
    when it is not a length unit or its factor is unusable."""
    import ifcopenshell.util.unit as uu

    if unit is None or not unit.is_a("IfcNamedUnit") or unit.UnitType != "LENGTHUNIT":
        return None
    try:
        m = float(uu.get_named_unit_scale(unit))
    except (AttributeError, TypeError, ValueError):
        return None
    return m if math.isfinite(m) and m > 0 else None


def ifc_unit_name(unit: Any) -> str:
    """A unit's name for messages: ``millimetre``, ``metre``, ``foot``, ``US survey foot``."""
    if unit is None:
        return ""
    if unit.is_a("IfcSIUnit"):
        return f"{unit.Prefix or ''}{unit.Name}".lower().replace("meter", "metre")
    return str(getattr(unit, "Name", "") or unit.is_a())


def label_metres(text: str) -> float | None:
    """Metres per one of the length unit a text label names (``METRE``, ``MILLIMETRE``,
    ``mm``, ``FOOT``, ``US survey foot``, in any case, ``meter`` or ``metre``), or None."""
    import ifcopenshell.util.unit as uu

    t = re.sub(r"[\s_.\-]+", " ", str(text or "").strip().lower()).replace("meter", "metre")
    t = re.sub(r"^(\w+) metre$", r"\1metre", re.sub(r"metres$", "metre", t))
    if (m := length_unit(t)) is not None:
        return m
    if t.endswith("metre") and (prefix := t[: -len("metre")].upper()) in uu.prefixes:
        return float(uu.prefixes[prefix])  # MICROMETRE and other SI prefixes IFC names
    return None


# -- reading ------------------------------------------------------------------------------------
def read_map_conversion(f: Any) -> dict[str, Any] | None:
    """The model's map conversion as plain data, or None when it has none.

    IfcMapConversion (or IfcMapConversionScaled) of the model context wins; otherwise the
    IFC2X3 property sets (ePSet_, EPset_ or Pset_ MapConversion / ProjectedCRS) on IfcProject
    or on IfcSite.

    Parameters
    ----------
    f : ifcopenshell.file
        The open model.

    Returns
    -------
    dict or None
        ``source``, ``crs`` (the target CRS's Name), ``eastings``, ``northings``,
        ``orthogonal_height`` (map units), ``x_axis_abscissa``, ``x_axis_ordinate``, ``scale``
        (None when omitted), ``factor_x``, ``factor_y``, ``map_unit`` (label or None),
        ``map_unit_m`` (metres per map unit or None), ``project_unit``, ``project_unit_m``,
        ``wcs`` (2x3, the model's world coordinate system inverted, metres, or None) and
        ``problem`` (why it cannot be used, or None).
    """
    import ifcopenshell.util.unit as uu

    try:
        found = _from_entity(f) or _from_psets(f)
    except (AttributeError, IndexError, TypeError, ValueError, RuntimeError) as exc:
        return {"source": "map conversion", "crs": "", "problem": f"cannot be read ({exc})"}
    if found is None:
        return None
    project = uu.get_project_unit(f, "LENGTHUNIT")
    found["project_unit_m"] = float(uu.calculate_unit_scale(f))
    found["project_unit"] = ifc_unit_name(project) or "metre"
    found["wcs"] = _wcs_inverse(f, found["project_unit_m"])
    if not found.get("crs") and not found.get("problem"):
        found["problem"] = "names no target CRS"
    return found


def _from_entity(f: Any) -> dict[str, Any] | None:
    ops = [op for op in _by_type(f, "IfcMapConversion") if op.SourceCRS is not None]
    if not ops:
        return None
    ops.sort(key=lambda op: getattr(op.SourceCRS, "ContextType", "") != "Model")
    op = ops[0]
    crs = op.TargetCRS
    out = {
        "source": op.is_a(),
        "crs": str(getattr(crs, "Name", "") or ""),
        "eastings": _num(op.Eastings, 0.0),
        "northings": _num(op.Northings, 0.0),
        "orthogonal_height": _num(op.OrthogonalHeight, 0.0),
        "x_axis_abscissa": _num(op.XAxisAbscissa, None),
        "x_axis_ordinate": _num(op.XAxisOrdinate, None),
        "scale": _num(op.Scale, None),
        "factor_x": _num(getattr(op, "FactorX", None), 1.0),
        "factor_y": _num(getattr(op, "FactorY", None), 1.0),
        "map_unit": None,
        "map_unit_m": None,
        "problem": None,
    }
    unit = getattr(crs, "MapUnit", None) if crs is not None else None
    if unit is not None:
        out["map_unit"], out["map_unit_m"] = ifc_unit_name(unit), unit_metres(unit)
    return out


def _from_psets(f: Any) -> dict[str, Any] | None:
    hosts = [*_by_type(f, "IfcProject"), *_by_type(f, "IfcSite")]
    sets = [(h, _psets_named(h)) for h in hosts]
    for host, mine in sets:
        if "mapconversion" not in mine:
            continue
        name, conv = mine["mapconversion"]
        crs_pset = mine.get("projectedcrs") or next(
            (o["projectedcrs"] for _, o in sets if "projectedcrs" in o), None
        )
        out = {
            "source": f"{name} on {host.is_a()}",
            "eastings": _num(_value(conv, "Eastings"), 0.0),
            "northings": _num(_value(conv, "Northings"), 0.0),
            "orthogonal_height": _num(_value(conv, "OrthogonalHeight"), 0.0),
            "x_axis_abscissa": _num(_value(conv, "XAxisAbscissa"), None),
            "x_axis_ordinate": _num(_value(conv, "XAxisOrdinate"), None),
            "scale": _num(_value(conv, "Scale"), None),
            "factor_x": 1.0,
            "factor_y": 1.0,
            "crs": "",
            "map_unit": None,
            "map_unit_m": None,
            "problem": None,
        }
        if crs_pset is None:
            out["problem"] = "has no ePSet_ProjectedCRS beside it"
            return out
        crs = crs_pset[1]
        out["crs"] = str(_value(crs, "Name") or "").strip()
        prop = _prop(crs, "MapUnit")
        if prop is not None:
            unit = getattr(prop, "Unit", None)
            label = _value(crs, "MapUnit")
            if unit is not None and unit_metres(unit) is not None:
                out["map_unit"], out["map_unit_m"] = ifc_unit_name(unit), unit_metres(unit)
            elif label not in (None, ""):
                text = str(label).strip()
                shown = text.lower().replace("_", " ") if text.isupper() else text
                out["map_unit"], out["map_unit_m"] = shown, label_metres(text)
        return out
    return None


def _psets_named(host: Any) -> dict[str, tuple[str, Any]]:
    """``mapconversion`` / ``projectedcrs`` -> (the name as spelled, the IfcPropertySet)."""
    out: dict[str, tuple[str, Any]] = {}
    for rel in getattr(host, "IsDefinedBy", None) or []:
        if not rel.is_a("IfcRelDefinesByProperties"):
            continue
        defs = rel.RelatingPropertyDefinition
        for ps in defs if isinstance(defs, (list, tuple)) else [defs]:  # IFC4 allows a set
            m = _PSET.match(str(ps.Name or "")) if ps.is_a("IfcPropertySet") else None
            if m:
                out.setdefault(m.group(1).lower(), (ps.Name, ps))
    return out


def _prop(pset: Any, name: str) -> Any:
    for p in pset.HasProperties or []:
        if str(p.Name or "").lower() == name.lower():
            return p
    return None


def _value(pset: Any, name: str) -> Any:
    p = _prop(pset, name)
    if p is None:
        return None
    v = getattr(p, "NominalValue", None)
    if v is None and p.is_a("IfcPropertyEnumeratedValue") and p.EnumerationValues:
        v = p.EnumerationValues[0]
    return getattr(v, "wrappedValue", v)


def _num(v: Any, default: float | None) -> float | None:
    v = getattr(v, "wrappedValue", v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return default
    return x if math.isfinite(x) else default


def _by_type(f: Any, t: str) -> list[Any]:
    try:
        return list(f.by_type(t))
    except RuntimeError:  # the class does not exist in this schema
        return []


def _wcs_inverse(f: Any, metres: float) -> list[list[float]] | None:
    """ifcopenshell's geolocation utilities take the map conversion from the model context's
    world coordinate system; the tessellator's coordinates are not in it."""
    import ifcopenshell.util.geolocation as geo

    try:
        wcs = geo.get_wcs(f)
    except Exception:  # noqa: BLE001 - a malformed WCS is taken as none
        return None
    if wcs is None:
        return None
    m = np.asarray(wcs, dtype=float)
    if not np.all(np.isfinite(m)) or np.allclose(m, np.eye(4)):
        return None
    inv = np.linalg.inv(m)
    return [[inv[0, 0], inv[0, 1], inv[0, 3] * metres], [inv[1, 0], inv[1, 1], inv[1, 3] * metres]]


def read_site(f: Any) -> dict[str, float] | None:
    """The first IfcSite's RefLatitude / RefLongitude, RefElevation and the context's TrueNorth.

    Parameters
    ----------
    f : ifcopenshell.file

    Returns
    -------
    dict or None
        ``lat``, ``lon`` (degrees), ``elevation`` (project units, reported only),
        ``true_north`` (degrees anticlockwise), or None when no site has a usable location
        (none, out of range, mixed signs, or exactly 0, 0).
    """
    import ifcopenshell.util.geolocation as geo

    for site in _by_type(f, "IfcSite"):
        lat, lon = site.RefLatitude, site.RefLongitude
        if not lat or not lon:
            continue
        try:
            la, lo = geo.dms2dd(*lat[:4]), geo.dms2dd(*lon[:4])
        except (AssertionError, TypeError, ValueError):  # mixed signs or malformed
            continue
        if not (-90 <= la <= 90 and -180 <= lo <= 180) or (la == 0 and lo == 0):
            continue
        try:
            north = float(geo.get_true_north(f) or 0.0)
        except Exception:  # noqa: BLE001 - no or malformed TrueNorth: assume +Y
            north = 0.0
        return {
            "lat": float(la),
            "lon": float(lo),
            "elevation": float(site.RefElevation or 0.0),
            "true_north": north,
        }
    return None


# -- the map conversion applied -----------------------------------------------------------------
@dataclass
class MapAffine:
    """Model metres (x, y) -> target CRS axis units: ``affine @ (x, y, 1)``."""

    affine: np.ndarray  # (2, 3)
    scale: float  # the Scale used
    notes: list[str] = field(default_factory=list)  # what was done to the file's values


def map_affine(mc: dict[str, Any], crs: CRS) -> MapAffine:
    """The affine that places model metres in ``crs``, by the map conversion ``mc``.

    Map coordinate = Scale * R(project coordinate) + (Eastings, Northings), in the map unit
    (MapUnit, else the project length unit), converted to metres and then to the CRS's axis
    unit. See :func:`scale_used` for how an inconsistent Scale is read.

    Parameters
    ----------
    mc : dict
        What :func:`read_map_conversion` returned.
    crs : pyproj.CRS
        The target CRS (projected, or compound with a projected part).

    Returns
    -------
    MapAffine

    Raises
    ------
    ValueError
        When the map conversion cannot be used (its message says why).
    """
    if mc.get("problem"):
        raise ValueError(mc["problem"])
    base = crs.sub_crs_list[0] if crs.is_compound and crs.sub_crs_list else crs  # RD New + NAP
    if not base.is_projected:
        raise ValueError(f"target CRS {mc['crs']} is not a projected CRS")
    axis = base.axis_info[0]
    axis_m = float(axis.unit_conversion_factor or 1.0)
    if mc.get("scale") is not None and mc["scale"] < 0:
        raise ValueError(f"Scale {mc['scale']:g} is negative")
    scale, mu_m, notes = scale_used(mc, axis_m, axis.unit_name or "CRS unit")
    xa, xo = mc.get("x_axis_abscissa"), mc.get("x_axis_ordinate")
    theta = math.atan2(xo or 0.0, xa or 0.0) if (xa or xo) else 0.0
    c, s = math.cos(theta), math.sin(theta)
    lin = scale * mu_m / (float(mc["project_unit_m"]) * axis_m)  # model metres -> CRS units
    fx, fy = float(mc.get("factor_x") or 1.0), float(mc.get("factor_y") or 1.0)
    a = np.array(
        [
            [lin * fx * c, -lin * fy * s, mc["eastings"] * mu_m / axis_m],
            [lin * fx * s, lin * fy * c, mc["northings"] * mu_m / axis_m],
        ]
    )
    if mc.get("wcs") is not None:
        w = np.vstack([np.asarray(mc["wcs"], dtype=float), [0.0, 0.0, 1.0]])
        a = a @ w
    if not np.all(np.isfinite(a)):
        raise ValueError("has parameters that are not finite numbers")
    return MapAffine(a, scale, notes)


def scale_used(mc: dict[str, Any], axis_m: float, axis_unit: str) -> tuple[float, float, list[str]]:
    """The Scale to apply, metres per map unit, and notes on what was done to the file's values.

    With ``k = Scale * metres per map unit / metres per project unit``: ``|k - 1| < 1 %`` is
    consistent and used as written (a survey's scale factor near 1 is legitimate). Otherwise,
    in this order: a MapUnit that is omitted while the Scale fits the CRS's own axis unit
    takes that unit; a Scale omitted (or 0) or exactly 1 is replaced by the unit ratio; a
    Scale within 1 % of the reciprocal of the unit ratio is inverted; any other Scale is used
    as written (the model's extent then shows whether it is plausible). Each repair is noted.

    Parameters
    ----------
    mc : dict
        What :func:`read_map_conversion` returned.
    axis_m : float
        Metres per unit of the target CRS's axes.
    axis_unit : str
        That unit's name, for the notes.
    """
    src, notes = mc["source"], []
    pu_m, pu = float(mc["project_unit_m"]), mc["project_unit"]
    mu_m, mu = mc.get("map_unit_m"), mc.get("map_unit")
    given = mc.get("scale") or None  # 0 is as good as omitted (ifcopenshell reads it so too)
    written = given or 1.0
    if mu is not None and mu_m is None:
        notes.append(
            f"its {src} MapUnit {mu!r} is not a length unit; the project unit {pu} was used"
        )
    if mu_m is None:
        omitted, mu_m, mu = mu is None, pu_m, pu
        if (
            omitted
            and abs(written - 1) >= CONSISTENT
            and abs(written * axis_m / pu_m - 1) < CONSISTENT
        ):
            mu_m, mu = axis_m, axis_unit
            notes.append(
                f"its {src} has no MapUnit, and its Scale {written:g} converts project "
                f"{pu} to {axis_unit}, the unit of its CRS {mc['crs']}: its eastings and "
                f"northings were read in {axis_unit}"
            )
            return written, mu_m, notes
    expected = pu_m / mu_m
    if abs(written / expected - 1) < CONSISTENT:
        return written, mu_m, notes
    shown = "omitted" if given is None else f"{written:g}"
    if given is None or written == 1.0:
        notes.append(
            f"its {src} Scale is {shown}, but project {pu} to map {mu} needs Scale "
            f"{expected:g}: the unit ratio {expected:g} was used instead"
        )
        return expected, mu_m, notes
    if abs(written * expected - 1) < CONSISTENT:
        notes.append(
            f"its {src} Scale {written:g} is inverted: project {pu} to map {mu} needs "
            f"Scale {expected:g}, so its reciprocal {1.0 / written:g} was used"
        )
        return 1.0 / written, mu_m, notes
    return written, mu_m, notes


# -- design tools' defaults ---------------------------------------------------------------------
def known_default(lon: float, lat: float) -> str | None:
    """``"Revit's default location (Chicago)"`` when (lon, lat) is within the radius of a
    design tool's default site location, else None.

    Parameters
    ----------
    lon, lat : float
        Degrees, WGS84.
    """
    for tool, place, dlat, dlon, radius_km in KNOWN_DEFAULTS:
        if abs(dlat - lat) > 1 or abs(dlon - lon) > 1.5:
            continue
        if GEOD.inv(lon, lat, dlon, dlat)[2] <= radius_km * 1000:
            return f"{tool}'s default location ({place})"
    return None
