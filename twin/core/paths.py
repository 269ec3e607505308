"""Where the project's own files are (models, assets, scenes)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
ASSETS_DIR = ROOT / "assets"
SCENES_DIR = ROOT / "scenes"
DEMO_SCENE = SCENES_DIR / "demo.toml"
