"""Accounts of the shared database (issue 16): every operator, wall and ingest service signs
in as a PostgreSQL role of its own, a member of one of the twin's group roles
(``twin.state.pgschema.GROUPS``) and of the communities it serves (``twin_members``).

The database does the work: it authenticates (no second password store: the shell's sign-in
is libpq's, with ``PGPASSWORD``, ``~/.pgpass`` or the password typed at sign-in), the group's
grants say what the account may do (a viewer reads, an operator moves events along their
lifecycle, a supervisor also writes the unmasking log, the ingest service writes), and
row-level security keeps every account to the rows of its communities. Only the database's
owner (an ordinary role with ``CREATEROLE``, never a superuser) adds and removes accounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from twin.core.errors import InputError
from twin.state.pgschema import GROUPS

NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Account:
    """A member of a community: the PostgreSQL role's name, the community and the role."""

    name: str
    community: str
    role: str


def _one(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def is_owner(conn: Any) -> bool:
    """Whether the connection's account owns the twin's tables."""
    return bool(
        _one(
            conn.execute(
                "SELECT pg_get_userbyid(relowner) = current_user FROM pg_class "
                "WHERE oid = 'public.events'::regclass"
            ).fetchone()
        )
    )


def account_role(conn: Any, community: str) -> str:
    """The role of the connection's account in ``community``.

    Raises
    ------
    InputError
        When the account is not a member of the community.
    """
    if is_owner(conn):
        return "supervisor"
    role = _one(
        conn.execute(
            "SELECT role FROM twin_members WHERE member = current_user AND community = %s",
            (community,),
        ).fetchone()
    )
    if role is None:
        who = _one(conn.execute("SELECT current_user").fetchone())
        raise InputError(
            f"account {who}",
            f"is not a member of the community {community!r} in the shared database.",
            "Ask the database's owner: `twin accounts SCENE --db URL add NAME --role ROLE`.",
        )
    return str(role)


def _check(name: str, role: str | None = None) -> None:
    if not NAME.match(name):
        raise InputError(
            f"account {name!r}",
            "is not a usable name (lower-case letters, digits, _ . -; a letter first).",
        )
    if role is not None and role not in GROUPS:
        raise InputError("--role", f"{role!r} is not a role.", f"Use one of {', '.join(GROUPS)}.")


def _owner_only(conn: Any) -> None:
    if not is_owner(conn):
        raise InputError(
            "twin accounts",
            "needs the database owner's account (it creates and drops PostgreSQL roles).",
            "Run it with --db postgresql://OWNER@HOST/DB.",
        )


def add_account(
    conn: Any, name: str, community: str, role: str, password: str | None = None
) -> Account:
    """Make ``name`` a ``role`` of ``community`` (one transaction): the PostgreSQL role is
    created (``LOGIN``, with ``password`` when given) or reused, put in the role's group (and
    out of the others), and its membership written."""
    _check(name, role)
    _owner_only(conn)
    with conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        ident = sql.Identifier(name)
        if exists is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        if password is not None:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        for other, group in GROUPS.items():
            verb = "GRANT {} TO {}" if other == role else "REVOKE {} FROM {}"
            if other == role or _member_of(conn, name, group):
                conn.execute(sql.SQL(verb).format(sql.Identifier(group), ident))
        conn.execute(
            "INSERT INTO twin_members VALUES (%s, %s, %s) ON CONFLICT (member, community) DO "
            "UPDATE SET role = excluded.role",
            (name, community, role),
        )
        conn.execute("UPDATE twin_members SET role = %s WHERE member = %s", (role, name))
    return Account(name, community, role)


def _member_of(conn: Any, name: str, group: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u "
            "ON u.oid = m.member WHERE g.rolname = %s AND u.rolname = %s",
            (group, name),
        ).fetchone()
        is not None
    )


def remove_account(conn: Any, name: str, community: str) -> bool:
    """Take ``name`` out of ``community``; the PostgreSQL role is dropped with its last
    community. Returns whether it was a member."""
    _check(name)
    _owner_only(conn)
    with conn.transaction():
        gone = conn.execute(
            "DELETE FROM twin_members WHERE member = %s AND community = %s RETURNING member",
            (name, community),
        ).fetchone()
        left = conn.execute("SELECT 1 FROM twin_members WHERE member = %s", (name,)).fetchone()
        if gone is not None and left is None:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    return gone is not None


def list_accounts(conn: Any, community: str | None = None) -> list[Account]:
    """The accounts of ``community`` (all communities when None), by name."""
    _owner_only(conn)
    rows = conn.execute(
        "SELECT member, community, role FROM twin_members "
        + ("WHERE community = %s " if community is not None else "")
        + "ORDER BY member, community",
        (community,) if community is not None else (),
    ).fetchall()
    return [Account(*(r.values() if isinstance(r, dict) else r)) for r in rows]
