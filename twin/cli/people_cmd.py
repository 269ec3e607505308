"""``twin people``: the personnel figures of a community from its event log (masked), storing
its register, showing names to a supervisor (logged) and the log of who was shown what."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from twin.core.errors import InputError
from twin.core.paths import default_db
from twin.scene.people import ROLE_HELP
from twin.state.events import EventStore, iso_utc


def cmd_people(args: argparse.Namespace) -> int:
    from twin.scene.scenefile import load_scene_spec
    from twin.state.dburl import shared_url
    from twin.telemetry.live import parse_time
    from twin.usecases.events import find_event_log, open_event_log
    from twin.usecases.people import (
        open_key,
        read_scene_register,
        store_register,
    )

    spec = load_scene_spec(args.scene)
    tz = ZoneInfo(spec.timezone) if spec.timezone else None
    shared = shared_url(args.db)
    db: Any = (
        shared
        if shared is not None
        else (Path(args.db).expanduser() if args.db else default_db(spec.name))
        if args.import_register
        else find_event_log(args.scene, args.db)
    )

    def store_of(readonly: bool) -> Any:
        """The event log's store: the shared database's community, or the file."""
        if shared is not None:
            return open_event_log(args.scene, shared)
        return EventStore(db, readonly=readonly)

    args.store_of = store_of
    from twin.usecases.people import current_role

    role = current_role(args.role)
    if shared is not None:  # the account's role is the most it may be
        with store_of(True) as probe:
            role = current_role(args.role, probe)
    now = parse_time(args.at, tz) if args.at else time.time()
    if args.import_register:
        rows = read_scene_register(spec)
        if rows is None:
            raise InputError(args.scene, "names no register.", 'Add [people] register = "FILE".')
        with store_of(False) as store:
            n = store_register(store, rows, open_key(store), now, force=True)
        for w in rows.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(f"Stored {n} people of {rows.source} (pseudonymised) in {db}")
        return 0
    try:
        return _show(args, db, tz, role, now)
    except sqlite3.OperationalError as exc:
        raise InputError(
            db,
            f"holds no people data ({exc}): it was written by an older twin.",
            "Run `twin run SCENE` (or the window) once with this event log to add its tables.",
        ) from None


def _show(args: argparse.Namespace, db: Any, tz: Any, role: str, now: float) -> int:
    from twin.analysis.people import people_figures
    from twin.state import peoplelog
    from twin.usecases.people import shown, unmask_names

    with args.store_of(not args.names) as store:
        if args.access_log:
            log = peoplelog.unmaskings(store, args.limit)
            if args.json:
                print(json.dumps([u.__dict__ | {"at": iso_utc(u.at)} for u in log], indent=1))
            else:
                for u in log:
                    print(f"{iso_utc(u.at)}  {u.operator:<16}{u.role:<12}{u.what}: {u.reason}")
                print(f"{len(log)} unmasking(s)", file=sys.stderr)
            return 0
        key = None
        if args.names:
            key = unmask_names(store, role, "twin people --names", args.reason or "", now)
        entrances = sorted({r["device_id"] for r in peoplelog.access_since(store, now - 86400)})
        fig = people_figures(store, now, tz, entrances)
    out = _report(fig, key, shown)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"as of {out['as_of']}: in the last hour {fig.last_hour_in} in, {fig.last_hour_out} out")
    for e in out["entrances"]:
        print(
            f"  {e['device_id']:<28} last hour {e['last_hour_in']:>4} in {e['last_hour_out']:>4}"
            f" out   24 h {e['day_in']:>5} in {e['day_out']:>5} out"
        )
    r = out["residents"]
    print(
        f"residents: {r['in']} in, {r['out']} out, {r['unseen']} not seen in the events kept "
        f"(of {out['registered']} registered)"
    )
    print(f"visitors on site: {len(out['visitors'])} ({fig.overstaying} overstaying)")
    for c in out["care"]:
        state = "OVERDUE" if c["overdue"] else "ok"
        print(
            f"  care {c['household']:<14}{c['building']} {c['unit']:<6} {state:<8} last seen "
            f"{c['last_seen'] or 'never'}  every {c['interval_h']:g} h  {', '.join(c['names'])}"
        )
    for s in out["strangers"]:
        print(f"  stranger at night {s['at']} at {s['device_id']} ({s['method']}), {s['entries']}x")
    return 0


def _report(fig: Any, key: Any, shown: Any) -> dict[str, Any]:
    return {
        "as_of": iso_utc(fig.now),
        "hours": [iso_utc(h) for h in fig.hours],
        "ins": fig.ins,
        "outs": fig.outs,
        "last_hour_in": fig.last_hour_in,
        "last_hour_out": fig.last_hour_out,
        "entrances": [
            {
                "device_id": f.device_id,
                "ins": f.ins,
                "outs": f.outs,
                "day_in": f.day_in,
                "day_out": f.day_out,
                "last_hour_in": f.last_hour_in,
                "last_hour_out": f.last_hour_out,
            }
            for f in fig.entrances
        ],
        "registered": fig.registered,
        "residents": {
            "in": fig.residents_in,
            "out": fig.residents_out,
            "unseen": fig.residents_unseen,
        },
        "visitors": [
            {
                "household": v.household,
                "building": v.building,
                "came": iso_utc(v.came),
                "until": iso_utc(v.until),
                "overstaying": v.overstaying,
                "name": shown(key, *v.name),
            }
            for v in fig.visitors
        ],
        "care": [
            {
                "household": c.household,
                "building": c.building,
                "unit": c.unit,
                "last_seen": iso_utc(c.last_seen),
                "interval_h": c.interval_h,
                "due_at": iso_utc(c.due_at),
                "overdue": c.overdue,
                "event_id": c.event_id,
                "event_status": c.event_status,
                "names": [shown(key, *n) for n in c.names],
            }
            for c in fig.care
        ],
        "strangers": [
            {
                "at": iso_utc(s.ts),
                "device_id": s.device_id,
                "method": s.method,
                "entries": s.entries,
                "plate": shown(key, *s.plate),
            }
            for s in fig.strangers
        ],
        "unregistered_by_day": fig.unregistered_by_day,
        "names_shown": key is not None,
    }


def add_command(sub: Any) -> None:
    s = sub.add_parser(
        "people", help="entries / exits, visitors, care checks and strangers (names masked)"
    )
    s.add_argument("scene")
    s.add_argument("--db", help="event log (default: the scene's)")
    s.add_argument("--at", help="the moment to report (default now; ISO 8601, the scene's zone)")
    s.add_argument("--json", action="store_true")
    s.add_argument(
        "--import",
        dest="import_register",
        action="store_true",
        help="store the scene's register (pseudonymised) and exit",
    )
    s.add_argument("--names", action="store_true", help="show names and plates (supervisor)")
    s.add_argument("--reason", help="why names are shown (written to the access log)")
    s.add_argument("--role", help=ROLE_HELP)
    s.add_argument("--access-log", action="store_true", help="who was shown names, when, why")
    s.add_argument("--limit", type=int, default=1000)
    s.set_defaults(func=cmd_people)
