"""Where the project's own files are (models, assets, scenes)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
ASSETS_DIR = ROOT / "assets"
SCENES_DIR = ROOT / "scenes"
DEMO_SCENE = SCENES_DIR / "demo.toml"


def data_home() -> Path:
    """Where the twin keeps its databases by default: ``$XDG_DATA_HOME/twin`` or
    ``~/.local/share/twin``."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "twin"


def default_db(scene_name: str) -> Path:
    """The default event log of a scene:
    ``<data home>/<scene name as a file name>/events.sqlite``."""
    import re

    slug = re.sub(r"[^\w.-]+", "-", scene_name.strip(), flags=re.UNICODE).strip("-.") or "scene"
    return data_home() / slug / "events.sqlite"
