"""``twin``: build, inspect and render community scenes from the command line.

Exit codes: 0 done, 2 bad input (one-line message on stderr), 3 the live side could not do its
job (events left unwritten, the broker never reached), 1 a bug (traceback).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import traceback
from pathlib import Path

from twin.cli.common import (
    add_status_options,
    build_scene_file,
    live_statuses,
    parse_size,
    progress_printer,
)
from twin.core.errors import InputError
from twin.core.paths import ASSETS_DIR
from twin.scene.catalogue import CATALOGUE
from twin.scene.community import IMPORTANT_ROADS_DEFAULT, MAIN_ROADS_DEFAULT
from twin.scene.scenefile import (
    ClipSpec,
    DeviceLayerSpec,
    IfcSpec,
    SceneSpec,
    SourceSpec,
    save_scene_spec,
)
from twin.scene.views import VIEWS

_CRS_SUFFIX = re.compile(
    r"^(?P<path>.+)@(?P<crs>(?:EPSG|ESRI|IGNF|epsg|esri):\d+|\d{4,6}|[A-Za-z][\w .:-]*)$"
)


def split_path_crs(value: str) -> tuple[Path, str | None]:
    """'file.shp@EPSG:4547' -> (file.shp, 'EPSG:4547'); a plain path -> (path, None)."""
    if "@" in value and not Path(value).exists():
        m = _CRS_SUFFIX.match(value)
        if m:
            return Path(m.group("path")), m.group("crs")
    return Path(value), None


def parse_ifc(value: str) -> IfcSpec:
    """'house.ifc' or 'house.ifc@LON,LAT[,ROT[,ELEV]]' (degrees, degrees clockwise from north,
    metres)."""
    if "@" not in value or Path(value).exists():
        return IfcSpec(Path(value))
    path, _, placement = value.rpartition("@")
    fix = "Write it as PATH@LON,LAT[,ROTATION[,ELEVATION]], e.g. house.ifc@116.3912,39.9076,30,0."
    try:
        nums = [float(p) for p in placement.split(",")]
    except ValueError:
        raise InputError(f"--ifc placement {placement!r}", "does not parse.", fix) from None
    if not 2 <= len(nums) <= 4:
        raise InputError(f"--ifc placement {placement!r}", "needs 2 to 4 numbers.", fix)
    lon, lat = nums[0], nums[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"--ifc placement {placement!r}", "is not a lon, lat in degrees.", fix)
    return IfcSpec(
        Path(path), lon, lat, nums[2] if len(nums) > 2 else 0.0, nums[3] if len(nums) > 3 else 0.0
    )


def parse_clip(value: str) -> ClipSpec:
    parts = value.split(",")
    if len(parts) == 4:
        try:
            w, s, e, n = (float(p) for p in parts)
        except ValueError:
            raise InputError("--clip", f"{value!r} is not W,S,E,N numbers.") from None
        if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
            raise InputError("--clip", f"{value!r} is not a lon / lat box with W < E and S < N.")
        return ClipSpec(bbox=(w, s, e, n))
    path = Path(value)
    if path.exists():
        return ClipSpec(polygon_file=path.resolve())
    raise InputError("--clip", f"{value!r} is neither W,S,E,N (degrees) nor a polygon file.")


# -- commands ---------------------------------------------------------------------------------
def cmd_new_scene(args: argparse.Namespace) -> int:
    from twin.usecases.scene import open_scene

    out = Path(args.out)
    if out.suffix.lower() != ".toml":
        raise InputError("--out", f"{out} should end in .toml (scene files are TOML).")
    if not args.name.strip():
        raise InputError(
            "--name", "is empty.", 'Give the scene a name, e.g. --name "My community".'
        )
    spec = SceneSpec(
        name=args.name.strip(), path=out.resolve(), crs=args.crs, fill_devices=args.fill_devices
    )
    if args.height_unit:
        from twin.ingest.heights import parse_height_unit

        parse_height_unit(args.height_unit, "--height-unit")
    for g in args.gis or []:
        path, crs = split_path_crs(g)
        spec.sources.append(SourceSpec(path.resolve(), crs, height_unit=args.height_unit))
    for d in args.devices or []:
        path, crs = split_path_crs(d)
        spec.devices.append(DeviceLayerSpec(path.resolve(), crs))
    for m in args.ifc or []:
        ifc = parse_ifc(m)
        ifc.path = ifc.path.resolve()
        spec.ifc.append(ifc)
    if not spec.sources and not spec.devices and not spec.ifc:
        raise InputError("twin new-scene", "needs at least one --gis, --ifc or --devices file.")
    if args.clip:
        spec.clip = parse_clip(args.clip)
    scene = open_scene(spec, progress_printer())
    # pin the frame so the scene stays put when data is added later
    spec.crs = scene.frame.crs
    spec.origin = (scene.frame.origin_lon, scene.frame.origin_lat)
    save_scene_spec(spec, out)
    counts = ", ".join(f"{k} {v}" for k, v in scene.counts().items())
    print(f"Wrote {out}: {counts}")
    if scene.warnings:
        print(f"{len(scene.warnings)} warning(s); see `twin info {out}`.", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    scene = build_scene_file(args.scene)
    info = scene.summary()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    b = info["bounds"]
    print(f"Scene      {info['name']}")
    print(
        f"Frame      {info['crs']}, origin {info['origin']['lon']:.6f}, {info['origin']['lat']:.6f}"
    )
    print(
        f"Extent     {b['xmax'] - b['xmin']:.0f} m x {b['ymax'] - b['ymin']:.0f} m, up to "
        f"{b['zmax']:.0f} m"
    )
    print("Counts")
    for k, v in info["counts"].items():
        syn = info["synthetic_counts"].get(k)
        print(f"  {k:<18}{v:>7}" + (f"   ({syn} synthetic)" if syn else ""))
    for m in info["bim_models"]:
        where = f"{m['placement']} ({m['lon']:.6f}, {m['lat']:.6f}"
        where += f", {m['rotation']:g} deg)" if m["rotation"] is not None else ")"
        print(
            f"BIM        {m['file']} ({m['schema']}): {m['elements']} elements, {m['devices']} "
            f"devices, placed by {where}"
            + (", set aside" if m["set_aside"] else "")
            + (f", NOT DRAWN ({m['extent_m'] / 1000:,.1f} km across)" if m.get("skipped") else "")
        )
        if m["replaced"]:
            print(f"           replaced GIS footprints: {', '.join(m['replaced'])}")
        if m["failed"]:
            print(f"           {len(m['failed'])} element(s) failed to tessellate (see warnings)")
    com = info["community"]
    if com:
        ec = com["entrance_counts"]
        print(
            f"Community  {'closed (fenced)' if com['closed'] else 'open'}, boundary from "
            f"{com['boundary_source']}: {com['area_m2'] / 10000:,.2f} ha, perimeter "
            f"{com['perimeter_m']:,.0f} m"
        )
        for key, default in (
            ("main_roads", MAIN_ROADS_DEFAULT),
            ("important_roads", IMPORTANT_ROADS_DEFAULT),
        ):
            print(
                f"  {key.replace('_', ' '):<17}{', '.join(com[key]) or 'none'}"
                + (" (default)" if set(com[key]) == default else "")
            )
        print(
            f"  entrances        {ec['total']}"
            + (
                " ("
                + ", ".join(f"{k} {v}" for k, v in ec["by_use"].items())
                + "; "
                + ", ".join(f"{k} {v}" for k, v in ec["by_source"].items())
                + ")"
                if ec["total"]
                else ""
            )
            + ("" if com["declared"] else " (no [community] table in the scene file)")
        )
    if info["height_sources"]:
        print(
            "Building heights from "
            + ", ".join(f"{k} {v}" for k, v in info["height_sources"].items())
        )
    if info["features"]:
        print("Features   read = drawn + not drawn (each not drawn is in a warning)")
        for source, c in info["features"].items():
            if source != "total":
                print(f"  {source:<40} {c['read']:>7} = {c['drawn']:>7} + {c['not_drawn']:>7}")
    print(f"Warnings   {len(info['warnings'])}")
    for w in info["warnings"][: args.max_warnings]:
        print(f"  {w['source']}: {w['feature']}: {w['reason']} ({w['action']})")
    if len(info["warnings"]) > args.max_warnings:
        print(
            f"  ... {len(info['warnings']) - args.max_warnings} "
            "more (twin info --json lists them all)"
        )
    print("Timings    " + ", ".join(f"{k} {v:.2f} s" for k, v in info["timings"].items()))
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    if args.kind and args.kind not in CATALOGUE:
        raise InputError(
            "--kind", f"unknown device kind {args.kind!r}.", f"Kinds: {', '.join(CATALOGUE)}."
        )
    scene = build_scene_file(args.scene)
    devices = [d.as_dict() for d in scene.devices_of(args.kind)]
    if args.json:
        print(json.dumps(devices, ensure_ascii=False, indent=1))
        return 0
    print(f"{'id':<28}{'kind':<16}{'lon':>14}{'lat':>13}{'x':>10}{'y':>10}  name")
    for d in devices:
        syn = " (synthetic)" if d["synthetic"] else ""
        print(
            f"{d['id']:<28}{d['kind']:<16}{d['lon']:>14.7f}{d['lat']:>13.7f}"
            f"{d['x']:>10.2f}{d['y']:>10.2f}  "
            f"{d['name']}{syn}"
        )
    print(f"{len(devices)} device(s)", file=sys.stderr)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    scene = build_scene_file(args.scene)
    from twin.render.offscreen import render_scene

    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise InputError("--out", f"{out} should end in .png or .jpg.")
    statuses, subtitle = None, None
    if args.feed or args.db or args.at:
        statuses, subtitle = live_statuses(scene, args)
    timings = render_scene(
        scene, out, args.view, size, args.lang, statuses, subtitle, camera=args.camera
    )
    print(f"Wrote {out} ({size[0]}x{size[1]}, {timings['first_frame'] * 1000:.0f} ms to render)")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    src = (
        ASSETS_DIR
        / "templates"
        / (
            "devices_template.xlsx"
            if args.out.lower().endswith(".xlsx")
            else "devices_template.csv"
        )
    )
    shutil.copyfile(src, args.out)
    print(f"Wrote {args.out} (columns are described in its first sheet's header and the README)")
    return 0


class _Parser(argparse.ArgumentParser):
    """Command-line mistakes are bad input like any other: one line naming the option, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(self.prog, message + ".", f"See {self.prog} --help.")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="twin", description="Community digital twin: scenes from GIS, BIM and device data."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("new-scene", help="write a scene file from GIS and device files")
    s.add_argument(
        "--gis",
        action="append",
        metavar="PATH[@CRS]",
        help="OSM (.osm.pbf/.osm, also .bz2/.gz), GeoJSON, GeoPackage, Shapefile, CityJSON, "
        "or a .zip/.gz of them; @CRS for files that declare none",
    )
    s.add_argument(
        "--height-unit",
        metavar="UNIT",
        help="unit of bare height numbers in the --gis files that do not declare one "
        "(m, ft, us-ft, cm, mm)",
    )
    s.add_argument(
        "--devices",
        action="append",
        metavar="PATH[@CRS]",
        help="device list: CSV, .xlsx, GeoJSON, GeoPackage",
    )
    s.add_argument(
        "--ifc",
        action="append",
        metavar="PATH[@LON,LAT[,ROT[,ELEV]]]",
        help="IFC model, optionally placed by hand (rotation in degrees clockwise from north)",
    )
    s.add_argument(
        "--crs", help="projected CRS of the scene frame (default: UTM zone of the data's centre)"
    )
    s.add_argument(
        "--clip", metavar="W,S,E,N|POLYGON_FILE", help="clip to a lon/lat box or a polygon file"
    )
    s.add_argument(
        "--fill-devices",
        action="store_true",
        help="lay out missing devices by the deployment rules",
    )
    s.add_argument("--name", required=True)
    s.add_argument("--out", required=True, metavar="FILE.toml")
    s.set_defaults(func=cmd_new_scene)

    s = sub.add_parser("info", help="what a scene contains")
    s.add_argument("scene")
    s.add_argument("--json", action="store_true")
    s.add_argument("--max-warnings", type=int, default=20)
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("devices", help="list a scene's devices")
    s.add_argument("scene")
    s.add_argument("--kind", help="only this kind (" + ", ".join(CATALOGUE) + ")")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_devices)

    s = sub.add_parser("render", help="render a frame offscreen")
    s.add_argument("scene")
    s.add_argument(
        "--view",
        default="overview",
        help=f"a situational view ({', '.join(VIEWS)}) or a camera bookmark of the scene",
    )
    s.add_argument("--camera", metavar="BOOKMARK", help="frame the view from this camera bookmark")
    s.add_argument("--out", required=True, metavar="FILE.png")
    s.add_argument("--size", default="1920x1080", metavar="WxH")
    add_status_options(s)
    s.set_defaults(func=cmd_render)

    from twin.cli.view_cmd import add_command as add_view

    add_view(sub)

    from twin.cli.live_cmds import add_commands

    add_commands(sub)

    from twin.cli.plan_cmds import add_commands as add_plan_commands

    add_plan_commands(sub)

    from twin.cli.record_cmd import add_command as add_record

    add_record(sub)

    from twin.cli.people_cmd import add_command as add_people

    add_people(sub)

    from twin.cli.accounts_cmd import add_command as add_accounts

    add_accounts(sub)

    s = sub.add_parser("template", help="write the device-list template (.xlsx or .csv)")
    s.add_argument("out", metavar="FILE.xlsx|FILE.csv")
    s.set_defaults(func=cmd_template)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"twin: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # a bug: show it so it can be reported
        traceback.print_exc()
        print(
            "twin: internal error (a bug): please report it with the traceback above.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
