"""The planning view's data (``PlanOverlays``: the session and its audit as plain arrays), its
palette and its place in the views' registry. The window itself is driven in
``tests/test_shell.py`` and ``tests/test_planning_edit.py``."""

from __future__ import annotations

import numpy as np
import pytest

from twin.render.planlayers import DORI_COLOURS, level_rgba
from twin.report.maps import LEVEL_COLOURS
from twin.scene.views import REGISTRY, TOUR_VIEWS, VIEWS
from twin.usecases.plan_overlay import PlanOverlays, mask_edges
from twin.usecases.planning_session import PlanningSession


def test_seven_views_planning_last_and_not_toured():
    assert VIEWS == (
        "overview",
        "security",
        "parking",
        "environment",
        "energy",
        "personnel",
        "planning",
    )
    v = REGISTRY["planning"]
    assert (v.title_en, v.title_zh) == ("Planning", "规划")
    assert v.kinds == {"camera", "pole"} and not v.in_tours
    assert "road coverage %" in v.figures and "blind spots" in v.figures
    assert TOUR_VIEWS == tuple(v for v in VIEWS if v != "planning")


def test_palette_is_the_reports_for_every_level_seen():
    assert DORI_COLOURS[1:] == LEVEL_COLOURS[1:]  # detection .. identification
    rgba = level_rgba(np.array([[-1, 0, 4]]))
    assert rgba[0, 0, 3] == 0 and rgba[0, 1, 3] > 0 and rgba[0, 2, 3] > 0


def test_mask_edges_outline_cells():
    mask = np.zeros((3, 4), dtype=bool)
    mask[1, 1:3] = True  # two cells side by side: 6 unit sides
    segs = mask_edges(mask, 10.0, 20.0, 2.0)
    assert segs.shape == (6, 2, 2)
    lengths = np.linalg.norm(segs[:, 1] - segs[:, 0], axis=1)
    assert np.allclose(lengths, 2.0)
    assert segs[..., 0].min() == 12.0 and segs[..., 0].max() == 16.0
    assert segs[..., 1].min() == 22.0 and segs[..., 1].max() == 24.0


@pytest.fixture(scope="module")
def demo_plan(demo_scene):
    session = PlanningSession(demo_scene)
    audit = session.rules()
    return audit, PlanOverlays(session).make(audit)


@pytest.mark.slow
def test_overlay_agrees_with_the_audit(demo_plan):
    audit, ov = demo_plan
    cmap = audit.layout.maps["all"]
    g = cmap.grid
    assert ov.levels.shape == (g.ny, g.nx) and (ov.x0, ov.y0, ov.cell) == (g.x0, g.y0, g.cell)
    inside = ov.levels >= 0
    # open ground inside the community: the best level of the coverage map, nothing else
    assert np.array_equal(ov.levels[inside], cmap.best.reshape(g.ny, g.nx)[inside])
    assert cmap.outdoor.reshape(g.ny, g.nx)[inside].all()
    roads = next(r for r in audit.rules if r.key == "road_coverage")
    assert len(ov.gaps) == roads.figures["gaps"]
    assert round(ov.road_pct, 1) == roads.figures["covered_pct"]
    assert [g.length_m for g in ov.gaps] == sorted((g.length_m for g in ov.gaps), reverse=True)
    for gap in ov.gaps[:10]:  # each polyline is as long as its gap and runs through its middle
        a, b = gap.xy[:-1], gap.xy[1:]
        assert np.linalg.norm(b - a, axis=1).sum() == pytest.approx(gap.length_m, abs=1.5)
        ab, ap = b - a, np.array([gap.x, gap.y]) - a
        t = np.clip((ap * ab).sum(axis=1) / np.maximum((ab * ab).sum(axis=1), 1e-12), 0, 1)
        assert np.linalg.norm(a + t[:, None] * ab - [gap.x, gap.y], axis=1).min() < 1.0
        assert gap.length_m > ov.gap_report_m
    assert ov.entrances_seen == sum(1 for e in audit.entrances if e["ok"])
    assert len(ov.entrances) == len(audit.community.entrances)
    assert ov.blind_m2 == pytest.approx(sum(b.area_m2 for b in audit.blind))
    assert len(ov.blind_rings) >= len(audit.blind) and ov.boundary_rings
    assert set(ov.camera_ids) == set(cmap.footprints) == set(ov.edges)
    assert len(ov.footprint_edges()) == sum(len(e) for e in ov.edges.values()) > 0
    assert (ov.camera_state == 0).all() and len(ov.camera_xyz) == len(ov.camera_ids)
    # each camera's outline is its footprint's cells' border: every segment one cell long,
    # between a cell of the footprint and one outside it
    cid = max(ov.edges, key=lambda c: len(ov.edges[c]))
    e = ov.edges[cid]
    assert np.allclose(np.linalg.norm(e[:, 1] - e[:, 0], axis=1), g.cell)
    cells = set(cmap.footprints[cid].cells.tolist())
    mid = e.mean(axis=1)
    along = e[:, 1] - e[:, 0]
    normal = np.column_stack([-along[:, 1], along[:, 0]]) * 0.5
    a = g.index_of(*(mid + normal).T)
    b = g.index_of(*(mid - normal).T)
    assert all((int(i) in cells) != (int(j) in cells) for i, j in zip(a, b, strict=True))
