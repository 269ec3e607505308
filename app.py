"""The desktop app. Until the Qt shell lands it opens a scene (default: the bundled demo) in an
interactive 3D window with live device states (default: the built-in simulator in demo mode):
``python app.py [SCENE] [--feed sim|mqtt://HOST[:PORT]|replay:FILE] [--db FILE] [--lang zh|en]``."""

from __future__ import annotations

import argparse
import sys

from twin.cli.main import main as twin_main
from twin.core.paths import DEMO_SCENE


def main() -> int:
    p = argparse.ArgumentParser(description="Community digital twin")
    p.add_argument("scene", nargs="?", default=str(DEMO_SCENE))
    p.add_argument("--feed", default="sim", help="sim (default), mqtt://HOST[:PORT], mqtts://... or replay:FILE")
    p.add_argument("--db", help="event log file (default: ~/.local/share/twin/<scene>/events.sqlite)")
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--incidents-every", type=float, default=180.0, metavar="S")
    p.add_argument("--lang", choices=("zh", "en"))
    a = p.parse_args()
    argv = ["view", a.scene, "--feed", a.feed, "--speed", str(a.speed), "--incidents-every", str(a.incidents_every)]
    argv += ["--lang", a.lang] if a.lang else []
    argv += ["--db", a.db] if a.db else []
    return twin_main(argv)


if __name__ == "__main__":
    sys.exit(main())
