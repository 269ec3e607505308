"""Write a small but real IFC4 model for the IFC tests, with ifcopenshell's own API.

The model: one building with two storeys ("Ground floor" at 0 m, "First floor" at 3 m), a
12 x 8 m slab and four red-brick walls around it, a "Hall" space and an opening (neither is
drawn), and devices at known positions (metres, the model's world coordinates). Optionally an
IfcMapConversion to RD New (EPSG:28992), rotated 30 degrees.

``write_test_ifc`` returns what the tests check against: per device its GlobalId, class,
predefined type, storey, position and expected catalogue kind; the map conversion; the wall
colour; and per IFC class the number of products with a Body representation.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.geom
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
    "Temperature sensor": ("IfcSensor", "TEMPERATURESENSOR", "Ground floor", (6.0, 4.0, 1.5),
                           "env_monitor"),
    "Fire alarm": ("IfcAlarm", FIRE_ALARM_TYPE, "Ground floor", (1.0, 7.0, 1.4), "fire_alarm"),
    "Light": ("IfcLightFixture", "POINTSOURCE", "Ground floor", (6.0, 2.0, 2.9), "light"),
    "Fire door": ("IfcDoor", "DOOR", "Ground floor", (4.0, 0.0, 0.0), "fire_door"),
    "Plain door": ("IfcDoor", "DOOR", "Ground floor", (8.0, 0.0, 0.0), None),
    "Lift": ("IfcTransportElement", "ELEVATOR", "Ground floor", (11.0, 6.5, 0.0), "lift"),
    "Camera": ("IfcAudioVisualAppliance", "CAMERA", "Ground floor", (0.5, 0.5, 2.8), "camera"),
    "Hydrant": ("IfcFireSuppressionTerminal", "FIREHYDRANT", "Ground floor", (11.5, 0.5, 0.0),
                "hydrant"),
    "Controller": ("IfcController", "PROGRAMMABLE", "Ground floor", (5.0, 7.5, 1.2), None),
}
UNKNOWN_DEVICES = {"IfcController": 1}
"""Device-like elements the catalogue has no kind for: not devices, but counted."""
LIFT_BOX = (1.8, 1.8, 2.5)


def _box(model: ifcopenshell.file, body: ifcopenshell.entity_instance,
         w: float, d: float, h: float) -> ifcopenshell.entity_instance:
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


def write_test_ifc(path: Path, *, map_conversion: bool = True) -> dict[str, Any]:
    """Write the test model to ``path``; return what the tests expect of it (see module doc)."""
    path = Path(path)
    model = project.create_file(version="IFC4")
    ifc_project = root.create_entity(model, ifc_class="IfcProject", name="Twin test project")
    metre = unit.add_si_unit(model, unit_type="LENGTHUNIT")
    m2 = unit.add_si_unit(model, unit_type="AREAUNIT")
    m3 = unit.add_si_unit(model, unit_type="VOLUMEUNIT")
    unit.assign_unit(model, units=[metre, m2, m3])
    model_ctx = context.add_context(model, context_type="Model")
    body = context.add_context(
        model, context_type="Model", context_identifier="Body", target_view="MODEL_VIEW",
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
        st.Elevation = elevation
        aggregate.assign_object(model, products=[st], relating_object=building)
        geometry.edit_object_placement(model, product=st, matrix=_placement(0, 0, elevation))
        storeys[name] = st
    ground = storeys["Ground floor"]

    def place(element: ifcopenshell.entity_instance, storey: str, x: float, y: float, z: float,
              angle: float = 0.0) -> None:
        spatial.assign_container(model, products=[element], relating_structure=storeys[storey])
        geometry.edit_object_placement(model, product=element, matrix=_placement(x, y, z, angle))

    # slab and walls (the walls are red brick)
    sx, sy, sz = SLAB
    slab = root.create_entity(model, ifc_class="IfcSlab", predefined_type="FLOOR", name="Floor")
    place(slab, "Ground floor", 0.0, 0.0, 0.0)
    geometry.assign_representation(
        model, product=slab, representation=geometry.add_slab_representation(
            model, context=body, depth=sz, direction_sense="NEGATIVE",
            polyline=[(0.0, 0.0), (sx, 0.0), (sx, sy), (0.0, sy), (0.0, 0.0)]))
    brick = style.add_style(model, name="Red brick")
    style.add_surface_style(
        model, style=brick, ifc_class="IfcSurfaceStyleShading",
        attributes={"SurfaceColour": {"Name": None, "Red": WALL_COLOUR[0], "Green": WALL_COLOUR[1],
                                      "Blue": WALL_COLOUR[2]}, "Transparency": 0.0})
    walls = []
    # (name, origin, angle, length): the wall runs along its local x, thickness inwards (+y)
    for name, (x, y), angle, length in [
        ("South wall", (0.0, 0.0), 0.0, sx), ("East wall", (sx, 0.0), 90.0, sy),
        ("North wall", (sx, sy), 180.0, sx), ("West wall", (0.0, sy), 270.0, sy),
    ]:
        wall = root.create_entity(model, ifc_class="IfcWall", predefined_type="STANDARD", name=name)
        place(wall, "Ground floor", x, y, 0.0, angle)
        rep = geometry.add_wall_representation(
            model, context=body, length=length, height=WALL_HEIGHT, thickness=WALL_THICKNESS)
        geometry.assign_representation(model, product=wall, representation=rep)
        style.assign_representation_styles(model, shape_representation=rep, styles=[brick])
        walls.append(wall)

    # a room and an opening: they have bodies, but are not drawn
    hall = root.create_entity(model, ifc_class="IfcSpace", predefined_type="INTERNAL", name="Hall")
    aggregate.assign_object(model, products=[hall], relating_object=ground)
    geometry.edit_object_placement(model, product=hall)
    geometry.assign_representation(
        model, product=hall, representation=_box(model, body, sx, sy, WALL_HEIGHT))
    opening = root.create_entity(model, ifc_class="IfcOpeningElement", name="Door opening")
    feature.add_feature(model, feature=opening, element=walls[0])
    geometry.edit_object_placement(model, product=opening, matrix=_placement(3.5, -0.1, 0.0))
    geometry.assign_representation(
        model, product=opening, representation=_box(model, body, 1.0, WALL_THICKNESS + 0.2, 2.1))

    devices: dict[str, dict[str, Any]] = {}
    for name, (ifc_class, ptype, storey, (x, y, z), kind) in DEVICES.items():
        el = root.create_entity(model, ifc_class=ifc_class, predefined_type=ptype, name=name)
        place(el, storey, x, y, z)
        if name == "Fire door":
            door_common = pset.add_pset(model, product=el, name="Pset_DoorCommon")
            pset.edit_pset(model, pset=door_common, properties={"FireRating": "EI60"})
        if name == "Lift":
            geometry.assign_representation(
                model, product=el, representation=_box(model, body, *LIFT_BOX))
        devices[name] = {
            "global_id": el.GlobalId, "ifc_class": ifc_class, "predefined_type": ptype,
            "storey": storey, "position": (x, y, z), "kind": kind,
        }

    if map_conversion:
        mc = MAP_CONVERSION
        georeference.add_georeferencing(model, ifc_class="IfcMapConversion", name=mc["crs"])
        georeference.edit_georeferencing(
            model,
            projected_crs={"Name": mc["crs"], "Description": "Amersfoort / RD New"},
            coordinate_operation={
                "Eastings": mc["eastings"], "Northings": mc["northings"],
                "OrthogonalHeight": mc["orthogonal_height"], "XAxisAbscissa": mc["x_axis_abscissa"],
                "XAxisOrdinate": mc["x_axis_ordinate"], "Scale": mc["scale"],
            },
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    model.write(str(path))

    body_counts: Counter[str] = Counter()
    for p in model.by_type("IfcProduct"):
        reps = p.Representation.Representations if p.Representation else ()
        if any(r.RepresentationIdentifier == "Body" for r in reps):
            body_counts[p.is_a()] += 1
    return {
        "path": path,
        "schema": "IFC4",
        "devices": devices,
        "map_conversion": dict(MAP_CONVERSION) if map_conversion else None,
        "wall_colour": WALL_COLOUR,
        "fire_alarm_type": FIRE_ALARM_TYPE,
        "body_counts": dict(body_counts),
        "drawn_counts": {k: v for k, v in body_counts.items() if k not in NOT_DRAWN},
        "unknown_devices": dict(UNKNOWN_DEVICES),
        "storeys": dict(STOREYS),
        "not_drawn": {"IfcSpace": hall.GlobalId, "IfcOpeningElement": opening.GlobalId},
        "walls": [w.GlobalId for w in walls],
    }


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
