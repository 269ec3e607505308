"""What a store's failure looks like, whichever engine: the errors the pipeline and the
history writer keep going through (kept in memory and retried, said in the health) rather than
stop on."""

from __future__ import annotations

import sqlite3
import sys

from twin.core.errors import InputError

_BASE: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, InputError)


def store_errors() -> tuple[type[BaseException], ...]:
    """SQLite's, the operating system's and the twin's own errors, and psycopg's once the
    shared database is in use (psycopg is not imported for a session without one)."""
    pg = sys.modules.get("psycopg")
    return _BASE + ((pg.Error,) if pg is not None else ())
