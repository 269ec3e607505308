"""The live status file: what a running pipeline tells other processes (``twin state``, a
second shell) about itself once a second - the feed (connected since, reconnects, last error),
whether the event log and history are being written, ingest counts.

It lives in the runtime directory (``$XDG_RUNTIME_DIR/twin``, else ``/dev/shm/twin``, else the
temporary directory), which is memory on most systems: when the data disk is full, the status
that says so can still be written. One file per event log (named by a hash of its path),
replaced atomically; it names the writing process, so a file left by a killed one is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

STALE_S = 10.0
"""A status older than this is not live (the process stopped or hangs)."""


def runtime_dir() -> Path:
    for base in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm", tempfile.gettempdir()):
        if base and os.path.isdir(base) and os.access(base, os.W_OK):
            return Path(base) / "twin"
    return Path(tempfile.gettempdir()) / "twin"


def status_path(db: Path) -> Path:
    key = hashlib.sha1(
        str(Path(db).expanduser().resolve()).encode("utf-8", "surrogatepass")
    ).hexdigest()[:16]
    return runtime_dir() / f"live-{key}.json"


def write_status(db: Path, status: dict[str, Any]) -> None:
    path = status_path(db)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(
        json.dumps(
            {**status, "pid": os.getpid(), "db": str(db), "written": time.time()},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    os.replace(tmp, path)


def remove_status(db: Path) -> None:
    path = status_path(db)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def read_status(db: Path) -> dict[str, Any] | None:
    """The status of the process running on ``db``, or None when none runs."""
    try:
        data = json.loads(status_path(db).read_text(encoding="utf-8"))
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:  # PermissionError: it runs, as another user
        pass
    if time.time() - float(data.get("written", 0)) > STALE_S:
        return None
    return data if isinstance(data, dict) else None
