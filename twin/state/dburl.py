"""Which store a ``--db`` names: an embedded SQLite file, or the shared PostgreSQL database
(``postgresql://USER@HOST[:PORT]/DBNAME``); ``TWIN_DB`` when no ``--db`` is given."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from twin.core.errors import InputError

PG_SCHEMES = ("postgresql://", "postgres://")


def db_spec(db: str | Path | None) -> str | Path | None:
    """``db``, else ``TWIN_DB``, else None (the scene's default file)."""
    return db or os.environ.get("TWIN_DB") or None


def shared_url(db: str | Path | None) -> str | None:
    """The PostgreSQL URL ``db`` (or ``TWIN_DB``) names, or None for an SQLite file.

    Raises
    ------
    InputError
        For a URL that carries a password: it would show in the process list and the shell's
        history; libpq's ``PGPASSWORD`` or ``~/.pgpass`` carry it instead.
    """
    spec = db_spec(db)
    if spec is None or not str(spec).startswith(PG_SCHEMES):
        return None
    url = str(spec)
    if urlsplit(url).password:
        raise InputError(
            "--db",
            "carries a password in the URL (it would show in the process list and the "
            "shell's history).",
            "Drop it from the URL and put it in PGPASSWORD or ~/.pgpass.",
        )
    return url
