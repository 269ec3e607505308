"""``twin accounts``: the accounts of a community on the shared database (the owner runs it).

twin accounts SCENE --db postgresql://OWNER@HOST/DB list
twin accounts SCENE --db ... add NAME --role viewer|operator|supervisor|ingest [--password-stdin]
twin accounts SCENE --db ... remove NAME
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from twin.core.errors import InputError
from twin.state.pgschema import GROUPS


def cmd_accounts(args: argparse.Namespace) -> int:
    from twin.usecases.accounts import add_member, list_members, remove_member

    if args.action == "list":
        rows = list_members(args.scene, args.db)
        if args.json:
            print(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=1))
        else:
            for r in rows:
                print(f"{r.name:<24}{r.role:<12}{r.community}")
            print(f"{len(rows)} account(s)", file=sys.stderr)
        return 0
    if not args.name:
        raise InputError(f"twin accounts {args.action}", "needs the account's NAME.")
    if args.action == "remove":
        found = remove_member(args.scene, args.db, args.name)
        print(f"{args.name}: removed" if found else f"{args.name}: was not a member")
        return 0 if found else 2
    if not args.role:
        raise InputError("twin accounts add", "needs --role.", f"One of {', '.join(GROUPS)}.")
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise InputError("--password-stdin", "read an empty password.")
    a = add_member(args.scene, args.db, args.name, args.role, password)
    print(f"{a.name}: {a.role} of {a.community}")
    return 0


def add_command(sub: Any) -> None:
    p = sub.add_parser(
        "accounts",
        help="accounts of a community on the shared database (viewer, operator, supervisor, "
        "ingest); run by the database's owner",
    )
    p.add_argument("scene")
    p.add_argument("action", choices=("list", "add", "remove"))
    p.add_argument("name", nargs="?")
    p.add_argument("--role", choices=tuple(GROUPS))
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the account's password from the first line of stdin (never the command line)",
    )
    p.add_argument("--db", help="postgresql://OWNER@HOST[:PORT]/DBNAME (default: TWIN_DB)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_accounts)
