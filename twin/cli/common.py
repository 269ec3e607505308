"""What several commands share: building a scene file with a progress bar, frame sizes, the
options and statuses of the commands that draw frames. Commands import this, never each other."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from twin.core.errors import InputError


def parse_size(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[xX*](\d+)", value.strip())
    if not m or not (16 <= int(m.group(1)) <= 8192 and 16 <= int(m.group(2)) <= 8192):
        raise InputError(
            "--size", f"{value!r} is not WIDTHxHEIGHT (16-8192 pixels each), e.g. 1920x1080."
        )
    return int(m.group(1)), int(m.group(2))


def progress_printer() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(stage: str, fraction: float) -> None:
        bar = "#" * int(fraction * 30)
        sys.stderr.write(f"\r[{bar:<30}] {stage[:40]:<40}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def build_scene_file(scene_path: str) -> Any:
    from twin.usecases.scene import open_scene

    return open_scene(scene_path, progress_printer())


def add_status_options(s: argparse.ArgumentParser) -> None:
    """Label language and where device statuses come from, for the commands that draw frames."""
    s.add_argument("--lang", choices=("zh", "en"), help="label language (default: from the locale)")
    s.add_argument(
        "--feed",
        help="colour devices by live status from this feed: sim, replay:FILE or "
        "mqtt://HOST[:PORT] (listened to for 5 s)",
    )
    s.add_argument(
        "--at",
        metavar="TIME",
        help="with sim or replay: the moment to show, ISO 8601 (scene time zone)",
    )
    s.add_argument(
        "--db", help="colour devices by the state a `twin run` recorded in this event log"
    )
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--incidents-every", type=float, default=180.0, metavar="S")


def live_statuses(scene: Any, args: argparse.Namespace) -> tuple[dict[str, str], str]:
    from twin.telemetry.live import format_local, parse_time, scene_tz
    from twin.usecases.events import open_history
    from twin.usecases.session import statuses_at

    tz = scene_tz(scene)
    at = parse_time(args.at, tz) if args.at else None
    if args.feed:
        statuses, when = statuses_at(scene, args.feed, at, args.seed, args.incidents_every or None)
        return statuses, format_local(when, tz)
    if at is not None:
        raise InputError(
            "--at", "needs a --feed (sim or replay:FILE) to compute the state at that time."
        )
    hist = open_history(scene.spec.path, args.db)
    try:
        statuses = {s.device_id: s.status for s in hist.latest()}
        clock = hist.meta("clock")
    finally:
        hist.close()
    return statuses, format_local(clock, tz) if clock else ""
