"""``twin record``: a scene's camera tour rendered offscreen into an MP4."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from twin.core.errors import InputError
from twin.scene.scenefile import load_scene_spec
from twin.scene.tour import find_tour, tour_specs


def _check_out(value: str) -> Path:
    out = Path(value)
    if out.suffix.lower() != ".mp4":
        raise InputError(
            "--out", f"{out} should end in .mp4 (an H.264 video).", "Write e.g. --out tour.mp4."
        )
    if out.is_dir():
        raise InputError("--out", f"{out} is a directory.", "Give a file name ending in .mp4.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            "--out",
            f"{out.parent} cannot be created ({exc.strerror}).",
            "Check the path, or write somewhere else.",
        ) from None
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InputError(
            "--out", f"{out} is not writable.", "Check its permissions, or write somewhere else."
        )
    return out


def cmd_record(args: argparse.Namespace) -> int:
    from twin.cli.common import live_statuses, parse_size, progress_printer

    size = parse_size(args.size)
    if not 0 < args.fps <= 60:
        raise InputError(
            "--fps", f"{args.fps:g} is out of range.", "Use a rate above 0 and at most 60, e.g. 25."
        )
    if args.seconds is not None and not args.seconds > 0:
        raise InputError(
            "--seconds",
            f"{args.seconds:g} must be above 0.",
            "Drop it to record one loop of the tour.",
        )
    out = _check_out(args.out)
    spec = load_scene_spec(args.scene)
    if args.tour is None:
        raise InputError(
            "--tour", "is missing.", f"Use one of: {', '.join(t.name for t in tour_specs(spec))}."
        )
    tour = find_tour(spec, args.tour)
    from twin.usecases.scene import open_scene

    progress = progress_printer()
    scene = open_scene(spec, progress)
    statuses, subtitle = None, None
    if args.feed or args.db or args.at:
        statuses, subtitle = live_statuses(scene, args)
    from twin.render.record import record_tour

    stats = record_tour(
        scene,
        tour,
        out,
        args.fps,
        size,
        args.lang,
        statuses,
        progress=progress,
        seconds=args.seconds,
        subtitle=subtitle,
    )
    print(
        f"Wrote {out} ({int(stats['frames'])} frames, {size[0]}x{size[1]} at {args.fps:g} fps, "
        f"{stats['seconds']:.1f} s of tour {tour.name!r}; rendered {stats['render_fps']:.1f} "
        f"frames/s, {stats['elapsed']:.1f} s in all)"
    )
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("record", help="record a camera tour of a scene into an MP4 (offscreen)")
    s.add_argument("scene")
    s.add_argument("--tour", help="tour name from the scene file's [[tours]], or 'default'")
    s.add_argument("--out", required=True, metavar="FILE.mp4")
    s.add_argument(
        "--fps", type=float, default=25.0, help="frames per second (above 0, at most 60)"
    )
    s.add_argument("--size", default="1280x720", metavar="WxH")
    s.add_argument(
        "--seconds",
        type=float,
        metavar="S",
        help="length of the video (default: one loop of the tour)",
    )
    from twin.cli.common import add_status_options

    add_status_options(s)
    s.set_defaults(func=cmd_record)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `twin record`")
