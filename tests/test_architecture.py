"""The house rules, checked on every run: import layers (import-linter), no import circles,
ruff (lint and format), mypy on the models, module size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_import_layers():
    r = _run(str(BIN / "lint-imports"), "--no-cache")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


CODE = ("twin", "tests", "bench", "models", "tools", "app.py")
MAX_MODULE_LINES = 800


def test_ruff():
    """Lint (with the 100-column line length) and the formatter's layout, both clean."""
    r = _run(str(BIN / "ruff"), "check", *CODE)
    assert r.returncode == 0, r.stdout[-3000:]
    r = _run(str(BIN / "ruff"), "format", "--check", *CODE)
    assert r.returncode == 0, r.stdout[-3000:] + "\nRun: .venv/bin/ruff format " + " ".join(CODE)


def test_modules_are_small():
    """A module of the package does one job: none grows past 800 lines."""
    big = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "twin").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}, big


def test_mypy_on_models():
    r = _run(str(BIN / "mypy"), "twin/core", "twin/scene", "twin/state")
    assert r.returncode == 0, r.stdout[-3000:]


def test_models_are_free_of_qt_vtk_and_gis_at_runtime():
    """Importing the scene models pulls in none of the heavy libraries."""
    code = (
        "import sys, twin.scene, twin.core.frame; "
        "bad = [m for m in ('vtk', 'pyvista', 'PySide6', 'shapely', 'pyproj', 'geopandas') "
        "if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = _run(sys.executable, "-c", code)
    assert r.returncode == 0, r.stdout


def test_no_import_circles():
    """No module of the package imports, directly or through others, a module that imports it
    (function-level imports count: they are circles all the same)."""
    import grimp

    graph = grimp.build_graph("twin")
    circles = sorted(
        {
            tuple(sorted((m, n)))
            for m in graph.modules
            for n in graph.find_modules_directly_imported_by(m)
            if n.startswith("twin.") and graph.find_shortest_chain(importer=n, imported=m)
        }
    )
    assert circles == [], circles
