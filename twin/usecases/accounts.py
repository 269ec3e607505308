"""The accounts of a community on the shared database: who may watch, act, unmask and ingest
(``twin.state.pgaccounts``). The CLI's ``twin accounts`` calls these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from twin.core.errors import InputError
from twin.state.dburl import shared_url
from twin.state.pgaccounts import Account, add_account, list_accounts, remove_account


@contextmanager
def _owner(scene_path: str | Path, db: str | None) -> Iterator[tuple[Any, str]]:
    """A connection of the database's owner, the schema migrated, and the community."""
    url = shared_url(db)
    if url is None:
        raise InputError(
            "--db",
            "accounts live in the shared database: give postgresql://OWNER@HOST/DBNAME or TWIN_DB.",
            "The embedded SQLite log has no accounts (one seat, one machine).",
        )
    import psycopg

    from twin.state.pgevents import PgEventStore, _safe
    from twin.usecases.scene import read_scene

    community = read_scene(scene_path).name
    PgEventStore(url, community).close()  # reachable, no superuser, the schema migrated
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise InputError(_safe(url), f"cannot be reached ({exc}).") from None
    with conn:
        yield conn, community


def add_member(
    scene_path: str | Path, db: str | None, name: str, role: str, password: str | None = None
) -> Account:
    """Give ``name`` the ``role`` in the scene's community (creating the account)."""
    with _owner(scene_path, db) as (conn, community):
        return add_account(conn, name, community, role, password)


def remove_member(scene_path: str | Path, db: str | None, name: str) -> bool:
    """Take ``name`` out of the scene's community (the account goes with its last one)."""
    with _owner(scene_path, db) as (conn, community):
        return remove_account(conn, name, community)


def list_members(scene_path: str | Path, db: str | None) -> list[Account]:
    """The scene's community's accounts."""
    with _owner(scene_path, db) as (conn, community):
        return list_accounts(conn, community)


def password_needed(db: str | None) -> bool:
    """Whether the shared database asks for a password this process does not have (then the
    shell's sign-in asks the operator for it)."""
    url = shared_url(db)
    if url is None:
        return False
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        text = str(exc)
        return "no password supplied" in text or "password authentication failed" in text
    return False


def sign_in_target(db: str | None) -> tuple[str, str]:
    """Whom and where a sign-in is for: the account and ``host:port/dbname`` of the URL."""
    import getpass

    from psycopg.conninfo import conninfo_to_dict

    url = shared_url(db) or ""
    try:
        info = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - psycopg says what is wrong when it connects
        return getpass.getuser(), url
    where = f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname')}"
    return str(info.get("user") or getpass.getuser()), where


def sign_in(db: str | None, password: str) -> None:
    """Sign in with the database's own authentication: the password is tried, then kept in
    this process's ``PGPASSWORD`` for its connections (no password store of the twin's).

    Raises
    ------
    InputError
        When the database refuses it.
    """
    import os

    import psycopg

    url = shared_url(db)
    if url is None:
        return
    try:
        psycopg.connect(url, password=password, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        raise InputError("sign-in", f"refused by the database ({str(exc).strip()}).") from None
    os.environ["PGPASSWORD"] = password
