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
