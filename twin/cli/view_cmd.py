"""``twin view`` (and ``python app.py``, which is ``twin view``): the wall display.

    twin view [SCENE] [--feed sim|mqtt://HOST[:PORT]|mqtts://...|replay:FILE]
              [--view overview|security|parking|environment|energy] [--screen N]
              [--fullscreen] [--kiosk] [--lang zh|en] [--font-scale F]
              [--screenshot PATH --exit-after S]

Bad input (a missing scene, a bad feed, a broken scene file) prints one line naming it and
exits with 2, before any window opens.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.core.i18n import LANGS
from twin.core.paths import DEMO_SCENE
from twin.scene.people import ROLE_HELP
from twin.scene.views import VIEWS


def add_command(sub: Any) -> None:
    p = sub.add_parser(
        "view",
        help="the wall display (the desktop app, as python app.py) on a scene, live on a feed",
    )
    p.add_argument(
        "scene", nargs="?", default=str(DEMO_SCENE), help="scene file (default: the bundled demo)"
    )
    p.add_argument(
        "--feed",
        help="sim (default), mqtt://HOST[:PORT], mqtts://... or replay:FILE; none with a "
        "postgresql:// --db: a seat of the ingest service's state",
    )
    p.add_argument(
        "--db",
        help="event log (default: ~/.local/share/twin/<scene>/events.sqlite, or TWIN_DB), or the "
        "shared database postgresql://USER@HOST[:PORT]/DBNAME",
    )
    p.add_argument("--view", choices=VIEWS, help="view to open (default: the last one used)")
    p.add_argument(
        "--screen", type=int, metavar="N", help="screen number (0 = first; default: the last used)"
    )
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument(
        "--kiosk", action="store_true", help="exhibition mode: full screen, no chrome, the tour"
    )
    p.add_argument(
        "--tour", help="tour of the scene file for --kiosk (default: its first, or a built-in one)"
    )
    p.add_argument(
        "--idle",
        type=float,
        default=60.0,
        metavar="S",
        help="kiosk: seconds without input before the tour resumes",
    )
    p.add_argument("--lang", choices=LANGS)
    p.add_argument("--role", help=ROLE_HELP + "; --kiosk is always viewer")
    p.add_argument(
        "--font-scale", type=float, metavar="F", help="text size factor (default: from the screen)"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--speed", type=float, default=1.0, help="simulator or replay speed")
    p.add_argument(
        "--incidents-every",
        type=float,
        default=180.0,
        metavar="S",
        help="simulator demo incidents every S seconds (0: none)",
    )
    p.add_argument(
        "--screenshot", metavar="PATH", help="save a PNG of the window at --exit-after, then quit"
    )
    p.add_argument(
        "--exit-after",
        type=float,
        metavar="S",
        help="quit after S seconds (default with --screenshot: 8)",
    )
    p.set_defaults(func=cmd_view)


def check_view_args(a: argparse.Namespace) -> None:
    """Everything about the command line that can be wrong, said before any window opens."""
    if not Path(a.scene).exists():
        raise InputError(
            a.scene, "no such scene file.", "Check the path, or give none for the demo."
        )
    from twin.state.dburl import shared_url
    from twin.telemetry.live import parse_feed

    if a.feed is None and shared_url(a.db) is None:
        a.feed = "sim"
    if a.feed is not None:
        parse_feed(a.feed)
    if a.font_scale is not None and not 0.5 <= a.font_scale <= 4:
        raise InputError(
            "--font-scale", f"{a.font_scale} is outside 0.5-4.", "Use e.g. 1.5 for a 4K wall."
        )
    if a.exit_after is not None and not a.exit_after > 0:
        raise InputError(
            "--exit-after", f"{a.exit_after} must be above 0.", "Give seconds, e.g. 8."
        )
    if a.screenshot:
        out = Path(a.screenshot)
        if out.suffix.lower() != ".png":
            raise InputError("--screenshot", f"{out} should end in .png.", "Use a .png file name.")
        parent = out.parent.parent if out.parent.parent.exists() else Path(".")
        if not out.parent.exists() and not os.access(parent, os.W_OK):
            raise InputError(
                "--screenshot", f"cannot write to {out.parent}.", "Use a folder you can write to."
            )
    if not a.speed > 0:
        raise InputError(
            "--speed", f"{a.speed} must be above 0.", "Use e.g. --speed 60 for an hour a minute."
        )
    from twin.usecases.people import current_role

    a.role = "viewer" if a.kiosk else current_role(a.role)


def cmd_view(args: argparse.Namespace) -> int:
    check_view_args(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from twin.shell.app import run

    return run(args)
