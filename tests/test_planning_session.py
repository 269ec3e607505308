"""The planner's what-if session: an edit recomputes what a fresh layout would, undo / redo
restore exactly, accepted suggestions add what they promised, the figures match the audit's,
and the kept layout reopens as a scene variant that audits to the session's figures."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_audit import _cam, _rule, _street
from twin.analysis.camera_layout import CameraLayout
from twin.core.errors import InputError
from twin.usecases.planning import audit_scene
from twin.usecases.planning_session import PlanningSession
from twin.usecases.scene import open_scene

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plan")
    cams = "\n".join(
        [_cam("front", 10, 2, 270), _cam("hd-1", 150, -8, 90, sub="hd", tilt=10, fov=90, h=6)]
    )
    path = _street(tmp, cams=cams)
    return path, open_scene(path)


def _same_as_fresh(session):
    fresh = CameraLayout.of(session.scene, session.area, list(session.layout.cameras.values()))
    for job, cmap in session.layout.maps.items():
        assert np.array_equal(cmap.best, fresh.maps[job].best), job


def test_figures_match_the_audit(street):
    path, scene = street
    s = PlanningSession(scene)
    audit = audit_scene(scene)
    roads = _rule(audit, "road_coverage").figures
    f = s.figures()
    assert f.road_m == pytest.approx(roads["important_road_m"], abs=0.5)
    assert f.covered_m == pytest.approx(roads["covered_m"], abs=0.5)
    assert f.gaps == roads["gaps"]
    assert f.entrances_seen == _rule(audit, "entrance_ai").figures["seen"]


def test_turning_a_camera_then_undo_and_redo(street):
    _, scene = street
    s = PlanningSession(scene)
    before = s.figures()
    best0 = s.layout.maps["roads"].best.copy()
    s.change("hd-1", heading=0.0)  # look north up the lane instead of east along the street
    _same_as_fresh(s)
    turned = s.figures()
    assert turned.covered_m != before.covered_m or turned.gaps != before.gaps
    assert s.undo() is not None
    assert np.array_equal(s.layout.maps["roads"].best, best0)
    assert s.figures() == before
    s.redo()
    assert s.figures() == turned
    assert s.compare() == (before, turned)
    with pytest.raises(InputError, match="field of view"):
        s.change("hd-1", hfov=0.0)
    assert s.figures() == turned  # a refused edit changes nothing


def test_add_remove_and_accept_a_suggestion(street):
    _, scene = street
    s = PlanningSession(scene)
    start = s.figures()
    cam = s.add(250.0 - 150.5, 0.0, 90.0)  # anywhere: an id of its own
    assert cam.id.startswith("plan-camera-") and s.figures().cameras == start.cameras + 1
    _same_as_fresh(s)
    s.remove(cam.id)
    assert s.figures() == start
    ghosts = s.suggest(1)
    assert ghosts and ghosts[0].gain > 0
    s.accept(ghosts[0])
    gained = s.figures().covered_m - start.covered_m
    assert gained == pytest.approx(ghosts[0].gain, abs=0.01)
    s.undo()
    assert s.figures() == start
    assert len(s.redo_stack) == 1


def test_kept_layout_reopens_as_a_scene_variant(street, tmp_path):
    path, scene = street
    s = PlanningSession(scene)
    s.change("hd-1", heading=270.0)
    s.remove("front")
    s.add(60.0 - 150.5, 5.0, 0.0)
    text_before = path.read_text(encoding="utf-8")
    csv_path, variant = s.save("plan a")
    assert path.read_text(encoding="utf-8") == text_before  # the original untouched
    assert variant.name == "street-plan-a.toml" and csv_path.exists()
    assert text_before in variant.read_text(encoding="utf-8")  # comments and all kept
    reopened = open_scene(variant)
    cams = {d.id for d in reopened.devices if d.kind == "camera"}
    assert cams == set(s.layout.cameras)
    again = PlanningSession(reopened).figures()
    mine = s.figures()
    assert again.covered_m == pytest.approx(mine.covered_m, abs=1.0)
    assert again.entrances_seen == mine.entrances_seen
    replaced = [w for w in reopened.warnings if "replaced by the camera layout" in w.reason]
    assert replaced and sum(w.not_drawn for w in replaced) == 2  # the list's two cameras
    # a plan kept from the plan's scene file: its list holds the cameras (the last one wins)
    again_s = PlanningSession(reopened)
    again_s.change("hd-1", heading=180.0)
    _, variant2 = again_s.save("plan b")
    twice = open_scene(variant2)
    assert {d.id for d in twice.devices if d.kind == "camera"} == set(s.layout.cameras)
    assert next(d for d in twice.devices if d.id == "hd-1").heading == pytest.approx(180.0)


def test_a_drag_is_one_step_and_snaps_to_poles_and_facades(street):
    _, scene = street
    s = PlanningSession(scene)
    start = s.camera("hd-1")
    pole = next(d for d in scene.devices if d.id == "pole-1")
    wall = next(b for b in scene.buildings)
    import shapely

    foot = shapely.from_wkb(wall.footprint_wkb)
    x0, y0, x1, y1 = foot.bounds
    s.begin_drag("hd-1")
    # two metres off a pole: on the pole, at the sub-kind's mount height
    m = s.drag_to(pole.x + 2.0, pole.y + 1.0)
    cam = s.camera("hd-1")
    assert m.on == "pole" and m.ref == "pole-1"
    assert (cam.x, cam.y, cam.z) == pytest.approx((pole.x, pole.y, pole.z + 6.0), abs=1e-6)
    # a metre south of the building's south wall, looking north into it: on the wall, 0.3 m
    # out, turned to look away from it
    s.drag_heading(0.0)
    m = s.drag_to((x0 + x1) / 2, y0 - 1.0)
    cam = s.camera("hd-1")
    assert m.on == "facade" and cam.y == pytest.approx(y0 - 0.3, abs=1e-6)
    assert cam.heading == pytest.approx(180.0, abs=1e-6) and cam.z == pytest.approx(6.0)
    # open ground: where it is dropped, at its mount height
    m = s.drag_to(x1 + 30.0, y0 - 20.0)
    cam = s.camera("hd-1")
    assert m.on == "ground" and (cam.x, cam.y) == (x1 + 30.0, y0 - 20.0)
    assert s.mount_height("hd-1") == pytest.approx(6.0)
    assert not s.undo_stack
    step = s.end_drag()
    assert step is not None and len(s.undo_stack) == 1
    _same_as_fresh(s)
    s.undo()
    assert s.camera("hd-1") == start and s.feet["hd-1"] == pytest.approx(0.0)
    # a camera added near the pole goes on it; its foot is the pole's
    new = s.add(pole.x + 1.0, pole.y, subkind="ai")
    assert (new.x, new.y) == (pole.x, pole.y) and s.feet[new.id] == pytest.approx(pole.z)
    assert new.z == pytest.approx(pole.z + 4.5)


def test_the_edited_scene_is_the_plan(street):
    from twin.ingest.crs import FrameTransform

    _, scene = street
    s = PlanningSession(scene)
    s.remove("front")
    s.change("hd-1", height=8.0, width_px=2688, height_px=1520)
    new = s.add(10.0, -20.0, heading=45.0, snap=False)
    devs = {d.id: d for d in s.edited_devices() if d.kind == "camera"}
    assert set(devs) == {"hd-1", new.id}
    assert devs["hd-1"].mount_height == pytest.approx(8.0)
    assert devs["hd-1"].props["resolution_px"] == (2688, 1520)
    d = devs[new.id]
    assert d.source == "planning" and (d.x, d.y, d.heading) == (10.0, -20.0, 45.0)
    x, y = FrameTransform(scene.frame).to_local([d.lon], [d.lat])
    assert (float(x[0]), float(y[0])) == pytest.approx((10.0, -20.0), abs=0.01)
    assert [d.id for d in scene.devices if d.kind == "camera"] == ["front", "hd-1"]  # untouched
    # the rules of the edited scene see the plan
    audit = s.rules(s.snapshot())
    assert audit.layout is not s.layout and set(audit.layout.cameras) == set(devs)
    # a mount height counts from the camera's foot (a pole on a hill, a roof)
    from twin.usecases.planning_session import _checked

    high = s.camera("hd-1").moved(z=36.0)
    assert _checked(high, foot=30.0) == high
    with pytest.raises(InputError, match="mount height"):
        _checked(high.moved(z=300.0), foot=30.0)
