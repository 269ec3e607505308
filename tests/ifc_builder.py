"""Write a small but real IFC4 model for the IFC tests, with ifcopenshell's own API.

The model: one building with two storeys ("Ground floor" at 0 m, "First floor" at 3 m), a
12 x 8 m slab and four red-brick walls around it, a "Hall" space and an opening (neither is
drawn), and devices at known positions (metres, the model's world coordinates). Optionally an
IfcMapConversion to RD New (EPSG:28992), rotated 30 degrees.

Keyword options write the same house the ways exporters do: another schema (IFC2X3,
IFC4X3_ADD2), another project length unit (millimetre, foot, US survey foot), geometry written
too large (a units mistake), any map conversion (target CRS, eastings / northings, rotation,
Scale omitted or given, MapUnit omitted, as a unit or as a text label), IFC2X3's
ePSet_MapConversion / ePSet_ProjectedCRS property sets on IfcProject or IfcSite under the
spellings tools use, and an IfcSite latitude / longitude with a TrueNorth.

``write_test_ifc`` returns what the tests check against: per device its GlobalId, class,
predefined type, storey, position and expected catalogue kind; the map conversion; the wall
colour; and per IFC class the number of products with a Body representation.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api.owner.settings as owner_settings
import ifcopenshell.geom
import ifcopenshell.util.geolocation as geolocation
import numpy as np
from ifcopenshell.api import (
    aggregate,
    context,
    feature,
    geometry,
    georeference,
    project,
    pset,
    root,
    spatial,
    style,
    unit,
)
from ifcopenshell.api import type as ifctype

WALL_COLOUR = (0.7, 0.3, 0.2)
"""Red brick, the walls' IfcSurfaceStyleShading colour (0-1 RGB)."""
SLAB = (12.0, 8.0, 0.3)
WALL_HEIGHT = 3.0
WALL_THICKNESS = 0.2
STOREYS = {"Ground floor": 0.0, "First floor": 3.0}
MAP_CONVERSION = {
    "crs": "EPSG:28992",
    "eastings": 155000.0,
    "northings": 463000.0,
    "orthogonal_height": 5.0,
    "x_axis_abscissa": math.cos(math.radians(30)),
    "x_axis_ordinate": math.sin(math.radians(30)),
    "scale": 1.0,
    "rotation_deg": 30.0,
}
FIRE_ALARM_TYPE = "MANUALPULLBOX"
"""IfcAlarmTypeEnum has no FIRE: a manual pull box is the fire alarm call point."""
NOT_DRAWN = ("IfcSpace", "IfcOpeningElement", "IfcSite")
"""Classes whose Body representation the scene must not draw."""

# name -> (class, predefined type, storey, (x, y, z), expected kind or None)
DEVICES: dict[str, tuple[str, str | None, str, tuple[float, float, float], str | None]] = {
    "Smoke sensor": ("IfcSensor", "SMOKESENSOR", "First floor", (2.0, 3.0, 5.8), "smoke_detector"),
    "Gas sensor": ("IfcSensor", "GASSENSOR", "Ground floor", (10.0, 1.0, 2.5), "smoke_detector"),
    "Temperature sensor": (
        "IfcSensor",
        "TEMPERATURESENSOR",
        "Ground floor",
        (6.0, 4.0, 1.5),
        "env_monitor",
    ),
    "Fire alarm": ("IfcAlarm", FIRE_ALARM_TYPE, "Ground floor", (1.0, 7.0, 1.4), "fire_alarm"),
    "Light": ("IfcLightFixture", "POINTSOURCE", "Ground floor", (6.0, 2.0, 2.9), "light"),
    "Fire door": ("IfcDoor", "DOOR", "Ground floor", (4.0, 0.0, 0.0), "fire_door"),
    "Plain door": ("IfcDoor", "DOOR", "Ground floor", (8.0, 0.0, 0.0), None),
    "Lift": ("IfcTransportElement", "ELEVATOR", "Ground floor", (11.0, 6.5, 0.0), "lift"),
    "Camera": ("IfcAudioVisualAppliance", "CAMERA", "Ground floor", (0.5, 0.5, 2.8), "camera"),
    "Hydrant": (
        "IfcFireSuppressionTerminal",
        "FIREHYDRANT",
        "Ground floor",
        (11.5, 0.5, 0.0),
        "hydrant",
    ),
    "Controller": ("IfcController", "PROGRAMMABLE", "Ground floor", (5.0, 7.5, 1.2), None),
}
UNKNOWN_DEVICES = {"IfcController": 1}
"""Device-like elements the catalogue has no kind for: not devices, but counted."""
LIFT_BOX = (1.8, 1.8, 2.5)

LENGTH_UNITS = {"METRE": 1.0, "MILLIMETRE": 0.001, "FOOT": 0.3048, "US_SURVEY_FOOT": 1200 / 3937}
"""Project length units the builder writes, in metres."""
SCHEMAS = {
    "IFC4": "IFC4",
    "IFC2X3": "IFC2X3",
    "IFC4X3": "IFC4X3_ADD2",
    "IFC4X3_ADD2": "IFC4X3_ADD2",
}


def length_unit(model: ifcopenshell.file, name: str) -> ifcopenshell.entity_instance:
    """A length unit entity: METRE, MILLIMETRE (IfcSIUnit), FOOT, US_SURVEY_FOOT
    (IfcConversionBasedUnit)."""
    if name in ("METRE", "MILLIMETRE"):
        return unit.add_si_unit(
            model, unit_type="LENGTHUNIT", prefix="MILLI" if name == "MILLIMETRE" else None
        )
    label = {"FOOT": "foot", "US_SURVEY_FOOT": "US survey foot"}[name]
    metre = model.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE")
    factor = model.createIfcMeasureWithUnit(model.createIfcLengthMeasure(LENGTH_UNITS[name]), metre)
    dims = model.createIfcDimensionalExponents(1, 0, 0, 0, 0, 0, 0)
    return model.createIfcConversionBasedUnit(dims, "LENGTHUNIT", label, factor)


@contextlib.contextmanager
def _owner_history(model: ifcopenshell.file) -> Iterator[None]:
    """IFC2X3 requires an owner history on every rooted entity: give the API a user and an
    application for the time of writing."""
    if model.schema != "IFC2X3":
        yield
        return
    org = model.createIfcOrganization(Name="Twin tests")
    user = model.createIfcPersonAndOrganization(model.createIfcPerson(FamilyName="Tester"), org)
    app = model.createIfcApplication(org, "1", "twin tests", "twin-tests")
    saved = owner_settings.get_user, owner_settings.get_application
    owner_settings.get_user, owner_settings.get_application = (lambda f: user), (lambda f: app)
    try:
        yield
    finally:
        owner_settings.get_user, owner_settings.get_application = saved


TYPES_2X3 = {
    "IfcSensor": ("IfcDistributionControlElement", "IfcSensorType"),
    "IfcAlarm": ("IfcDistributionControlElement", "IfcAlarmType"),
    "IfcController": ("IfcDistributionControlElement", "IfcControllerType"),
    "IfcLightFixture": ("IfcFlowTerminal", "IfcLightFixtureType"),
    "IfcFireSuppressionTerminal": ("IfcFlowTerminal", "IfcFireSuppressionTerminalType"),
}
"""IFC2X3 has no such occurrence classes: a generic element says what it is by its type."""


def _device(
    model: ifcopenshell.file, ifc_class: str, ptype: str | None, name: str
) -> ifcopenshell.entity_instance | None:
    """The device element, in IFC2X3 as Revit writes it (None where IFC2X3 has no class)."""
    if model.schema != "IFC2X3":
        return root.create_entity(model, ifc_class=ifc_class, predefined_type=ptype, name=name)
    if ifc_class in TYPES_2X3:
        generic, type_class = TYPES_2X3[ifc_class]
        el = root.create_entity(model, ifc_class=generic, name=name)
        t = root.create_entity(
            model, ifc_class=type_class, name=f"{name} type", predefined_type=ptype
        )
        ifctype.assign_type(model, related_objects=[el], relating_type=t)
        return el
    schema = ifcopenshell.ifcopenshell_wrapper.schema_by_name(model.schema)
    try:
        schema.declaration_by_name(ifc_class)
    except RuntimeError:  # e.g. IfcAudioVisualAppliance is IFC4's
        return None
    return root.create_entity(model, ifc_class=ifc_class, predefined_type=ptype, name=name)


def _box(
    model: ifcopenshell.file, body: ifcopenshell.entity_instance, w: float, d: float, h: float
) -> ifcopenshell.entity_instance:
    """A w x d x h box from the element's origin (x, y >= 0, z >= 0)."""
    return geometry.add_slab_representation(
        model, context=body, depth=h, polyline=[(0.0, 0.0), (w, 0.0), (w, d), (0.0, d), (0.0, 0.0)]
    )


def _placement(x: float, y: float, z: float, angle_deg: float = 0.0) -> np.ndarray:
    m = np.eye(4)
    a = math.radians(angle_deg)
    m[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
    m[:3, 3] = (x, y, z)
    return m


def write_test_ifc(
    path: Path,
    *,
    map_conversion: bool | dict[str, Any] = True,
    schema: str = "IFC4",
    length: str = "METRE",
    oversize: float = 1.0,
    site: tuple[float, float] | None = None,
    true_north: float = 0.0,
) -> dict[str, Any]:
    """Write the test model to ``path``; return what the tests expect of it (see module doc).

    Parameters
    ----------
    map_conversion : bool or dict
        True: the default IfcMapConversion (``MAP_CONVERSION``); False: none; a dict: keys of
        ``MAP_CONVERSION`` that differ (``crs``, ``eastings``, ``northings``, ``rotation_deg``,
        ``scale``: None omits it) and ``map_unit`` (None omits it, else a ``LENGTH_UNITS``
        name or any text label), ``map_unit_as`` (``"unit"`` or ``"label"``: a unit entity, or
        for property sets a text value), ``pset_host`` (None: IfcMapConversion; ``"IfcSite"``
        or ``"IfcProject"``: IFC2X3's property sets there) and ``pset_prefix`` (``"ePSet_"``,
        ``"EPset_"``, ``"Pset_"``). IFC2X3 has property sets only (on IfcSite by default).
    schema : str
        IFC4 (default), IFC2X3 or IFC4X3_ADD2.
    length : str
        The project length unit, a ``LENGTH_UNITS`` name. The house is the same size in metres.
    oversize : float
        The geometry is written this many times too large (a units mistake in the export).
    site : (lat, lon), optional
        IfcSite RefLatitude / RefLongitude in degrees.
    true_north : float
        The context's TrueNorth, degrees anticlockwise from the model's +Y.
    """
    path = Path(path)
    model = project.create_file(version=SCHEMAS[schema])
    with _owner_history(model):
        return _write(model, path, map_conversion, length, oversize, site, true_north)


def _write(
    model: ifcopenshell.file,
    path: Path,
    map_conversion: bool | dict[str, Any],
    unit_name: str,
    oversize: float,
    site_latlon: tuple[float, float] | None,
    true_north: float,
) -> dict[str, Any]:
    k = oversize  # metres given to the API (it writes project units) per metre of the house
    ifc_project = root.create_entity(model, ifc_class="IfcProject", name="Twin test project")
    metre = length_unit(model, unit_name)
    m2 = unit.add_si_unit(model, unit_type="AREAUNIT")
    m3 = unit.add_si_unit(model, unit_type="VOLUMEUNIT")
    unit.assign_unit(model, units=[metre, m2, m3])
    model_ctx = context.add_context(model, context_type="Model")
    body = context.add_context(
        model,
        context_type="Model",
        context_identifier="Body",
        target_view="MODEL_VIEW",
        parent=model_ctx,
    )

    site = root.create_entity(model, ifc_class="IfcSite", name="Site")
    building = root.create_entity(model, ifc_class="IfcBuilding", name="Test house")
    aggregate.assign_object(model, products=[site], relating_object=ifc_project)
    aggregate.assign_object(model, products=[building], relating_object=site)
    geometry.edit_object_placement(model, product=site)
    geometry.edit_object_placement(model, product=building)
    storeys = {}
    for name, elevation in STOREYS.items():
        st = root.create_entity(model, ifc_class="IfcBuildingStorey", name=name)
        st.Elevation = elevation * k / LENGTH_UNITS[unit_name]  # project units
        aggregate.assign_object(model, products=[st], relating_object=building)
        geometry.edit_object_placement(model, product=st, matrix=_placement(0, 0, elevation * k))
        storeys[name] = st
    ground = storeys["Ground floor"]

    def place(
        element: ifcopenshell.entity_instance,
        storey: str,
        x: float,
        y: float,
        z: float,
        angle: float = 0.0,
    ) -> None:
        spatial.assign_container(model, products=[element], relating_structure=storeys[storey])
        geometry.edit_object_placement(
            model, product=element, matrix=_placement(x * k, y * k, z * k, angle)
        )

    # slab and walls (the walls are red brick)
    sx, sy, sz = (v * k for v in SLAB)
    ux, uy = SLAB[:2]  # in metres of the house: place() scales
    slab = root.create_entity(model, ifc_class="IfcSlab", predefined_type="FLOOR", name="Floor")
    place(slab, "Ground floor", 0.0, 0.0, 0.0)
    geometry.assign_representation(
        model,
        product=slab,
        representation=geometry.add_slab_representation(
            model,
            context=body,
            depth=sz,
            direction_sense="NEGATIVE",
            polyline=[(0.0, 0.0), (sx, 0.0), (sx, sy), (0.0, sy), (0.0, 0.0)],
        ),
    )
    brick = style.add_style(model, name="Red brick")
    shading: dict[str, Any] = {
        "SurfaceColour": {
            "Name": None,
            "Red": WALL_COLOUR[0],
            "Green": WALL_COLOUR[1],
            "Blue": WALL_COLOUR[2],
        }
    }
    if model.schema != "IFC2X3":  # IFC2X3's shading has no transparency
        shading["Transparency"] = 0.0
    style.add_surface_style(
        model, style=brick, ifc_class="IfcSurfaceStyleShading", attributes=shading
    )
    walls = []
    # (name, origin, angle, length): the wall runs along its local x, thickness inwards (+y)
    for name, (x, y), angle, length in [
        ("South wall", (0.0, 0.0), 0.0, sx),
        ("East wall", (ux, 0.0), 90.0, sy),
        ("North wall", (ux, uy), 180.0, sx),
        ("West wall", (0.0, uy), 270.0, sy),
    ]:
        wall = root.create_entity(model, ifc_class="IfcWall", predefined_type="STANDARD", name=name)
        place(wall, "Ground floor", x, y, 0.0, angle)
        rep = geometry.add_wall_representation(
            model, context=body, length=length, height=WALL_HEIGHT * k, thickness=WALL_THICKNESS * k
        )
        geometry.assign_representation(model, product=wall, representation=rep)
        style.assign_representation_styles(model, shape_representation=rep, styles=[brick])
        walls.append(wall)

    # a room and an opening: they have bodies, but are not drawn
    hall = root.create_entity(model, ifc_class="IfcSpace", predefined_type="INTERNAL", name="Hall")
    aggregate.assign_object(model, products=[hall], relating_object=ground)
    geometry.edit_object_placement(model, product=hall)
    geometry.assign_representation(
        model, product=hall, representation=_box(model, body, sx, sy, WALL_HEIGHT * k)
    )
    opening = root.create_entity(model, ifc_class="IfcOpeningElement", name="Door opening")
    feature.add_feature(model, feature=opening, element=walls[0])
    geometry.edit_object_placement(
        model, product=opening, matrix=_placement(3.5 * k, -0.1 * k, 0.0)
    )
    geometry.assign_representation(
        model,
        product=opening,
        representation=_box(model, body, 1.0 * k, (WALL_THICKNESS + 0.2) * k, 2.1 * k),
    )

    devices: dict[str, dict[str, Any]] = {}
    for name, (ifc_class, ptype, storey, (x, y, z), kind) in DEVICES.items():
        el = _device(model, ifc_class, ptype, name)
        if el is None:
            continue
        place(el, storey, x, y, z)
        if name == "Fire door":
            door_common = pset.add_pset(model, product=el, name="Pset_DoorCommon")
            pset.edit_pset(model, pset=door_common, properties={"FireRating": "EI60"})
        if name == "Lift":
            geometry.assign_representation(
                model, product=el, representation=_box(model, body, *(v * k for v in LIFT_BOX))
            )
        devices[name] = {
            "global_id": el.GlobalId,
            "ifc_class": ifc_class,
            "predefined_type": ptype,
            "storey": storey,
            "position": (x, y, z),
            "kind": kind,
        }

    mc = _georeference(model, site, map_conversion)
    if site_latlon is not None:
        lat, lon = site_latlon
        site.RefLatitude = geolocation.dd2dms(lat, use_us=True)
        site.RefLongitude = geolocation.dd2dms(lon, use_us=True)
    if true_north:
        georeference.edit_true_north(model, true_north=true_north)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.write(str(path))

    body_counts: Counter[str] = Counter()
    for p in model.by_type("IfcProduct"):
        reps = p.Representation.Representations if p.Representation else ()
        if any(r.RepresentationIdentifier == "Body" for r in reps):
            body_counts[p.is_a()] += 1
    return {
        "path": path,
        "schema": model.schema_identifier,
        "devices": devices,
        "map_conversion": mc,
        "length_unit": unit_name,
        "unit_m": LENGTH_UNITS[unit_name],
        "oversize": oversize,
        "site": site_latlon,
        "true_north": true_north,
        "wall_colour": WALL_COLOUR,
        "fire_alarm_type": FIRE_ALARM_TYPE,
        "body_counts": dict(body_counts),
        "drawn_counts": {k: v for k, v in body_counts.items() if k not in NOT_DRAWN},
        "unknown_devices": dict(UNKNOWN_DEVICES),
        "storeys": dict(STOREYS),
        "not_drawn": {"IfcSpace": hall.GlobalId, "IfcOpeningElement": opening.GlobalId},
        "walls": [w.GlobalId for w in walls],
    }


def _georeference(
    model: ifcopenshell.file,
    site: ifcopenshell.entity_instance,
    map_conversion: bool | dict[str, Any],
) -> dict[str, Any] | None:
    """Write the map conversion ``write_test_ifc`` describes; return its parameters."""
    if not map_conversion:
        return None
    mc: dict[str, Any] = {
        **MAP_CONVERSION,
        "map_unit": None,
        "map_unit_as": "unit",
        "pset_host": None,
        "pset_prefix": "ePSet_",
    }
    if isinstance(map_conversion, dict):
        mc.update(map_conversion)
        a = math.radians(mc["rotation_deg"])
        mc["x_axis_abscissa"], mc["x_axis_ordinate"] = math.cos(a), math.sin(a)
    if model.schema == "IFC2X3" and mc["pset_host"] is None:
        mc["pset_host"] = "IfcSite"
    if mc["pset_host"]:
        _georeference_psets(model, site, mc)
        return mc
    georeference.add_georeferencing(model, ifc_class="IfcMapConversion", name=mc["crs"])
    operation = {
        "Eastings": mc["eastings"],
        "Northings": mc["northings"],
        "OrthogonalHeight": mc["orthogonal_height"],
        "XAxisAbscissa": mc["x_axis_abscissa"],
        "XAxisOrdinate": mc["x_axis_ordinate"],
    }
    if mc["scale"] is not None:
        operation["Scale"] = mc["scale"]
    crs: dict[str, Any] = {"Name": mc["crs"]}
    if mc["crs"] == "EPSG:28992":
        crs["Description"] = "Amersfoort / RD New"
    if mc["map_unit"] is not None:
        crs["MapUnit"] = length_unit(model, mc["map_unit"])
    georeference.edit_georeferencing(model, projected_crs=crs, coordinate_operation=operation)
    return mc


def _georeference_psets(
    model: ifcopenshell.file, site: ifcopenshell.entity_instance, mc: dict[str, Any]
) -> None:
    """IFC2X3's ePSet_MapConversion and ePSet_ProjectedCRS (buildingSMART's georeferencing
    guide), on the IfcSite or the IfcProject, with ``mc["pset_prefix"]`` as the spelling."""
    host = site if mc["pset_host"] == "IfcSite" else model.by_type("IfcProject")[0]
    conversion = pset.add_pset(model, product=host, name=f"{mc['pset_prefix']}MapConversion")
    props: dict[str, Any] = {
        "Eastings": model.createIfcLengthMeasure(mc["eastings"]),
        "Northings": model.createIfcLengthMeasure(mc["northings"]),
        "OrthogonalHeight": model.createIfcLengthMeasure(mc["orthogonal_height"]),
        "XAxisAbscissa": model.createIfcReal(mc["x_axis_abscissa"]),
        "XAxisOrdinate": model.createIfcReal(mc["x_axis_ordinate"]),
    }
    if mc["scale"] is not None:
        props["Scale"] = model.createIfcReal(mc["scale"])
    pset.edit_pset(model, pset=conversion, properties=props)
    crs = pset.add_pset(model, product=host, name=f"{mc['pset_prefix']}ProjectedCRS")
    pset.edit_pset(model, pset=crs, properties={"Name": model.createIfcLabel(mc["crs"])})
    if mc["map_unit"] is None:
        return
    if mc["map_unit_as"] == "label":
        label = model.createIfcLabel(mc["map_unit"])
        pset.edit_pset(model, pset=crs, properties={"MapUnit": label})
        return
    prop = model.createIfcPropertySingleValue(
        "MapUnit", None, model.createIfcLabel(mc["map_unit"]), length_unit(model, mc["map_unit"])
    )
    crs.HasProperties = [*crs.HasProperties, prop]


def tessellate(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """GlobalId -> (vertices (N, 3), faces (M, 3)) of every product ifcopenshell tessellates,
    in world coordinates."""
    model = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    it = ifcopenshell.geom.iterator(settings, model)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if it.initialize():
        while True:
            shape = it.get()
            verts = np.asarray(shape.geometry.verts, dtype=float).reshape(-1, 3)
            faces = np.asarray(shape.geometry.faces, dtype=np.int64).reshape(-1, 3)
            out[shape.guid] = (verts, faces)
            if not it.next():
                break
    return out


if __name__ == "__main__":  # a quick look: python -m tests.ifc_builder /tmp/test.ifc
    import sys

    info = write_test_ifc(Path(sys.argv[1] if len(sys.argv) > 1 else "test.ifc"))
    for gid, (v, f) in tessellate(info["path"]).items():
        print(gid, len(v), len(f), v.min(axis=0).round(2), v.max(axis=0).round(2))
    print(info["body_counts"])
