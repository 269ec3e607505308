"""The desktop app. Until the Qt shell lands it opens a scene (default: the bundled demo) in an
interactive 3D window: ``python app.py [SCENE] [--lang zh|en]``."""

from __future__ import annotations

import argparse
import sys

from twin.cli.main import main as twin_main
from twin.core.paths import DEMO_SCENE


def main() -> int:
    p = argparse.ArgumentParser(description="Community digital twin")
    p.add_argument("scene", nargs="?", default=str(DEMO_SCENE))
    p.add_argument("--lang", choices=("zh", "en"))
    a = p.parse_args()
    return twin_main(["view", a.scene] + (["--lang", a.lang] if a.lang else []))


if __name__ == "__main__":
    sys.exit(main())
