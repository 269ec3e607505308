"""On-disk cache of IFC tessellation, keyed by the file's content hash and the settings.

Entries live under ``$XDG_CACHE_HOME/twin`` (default ``~/.cache/twin``) as numpy ``.npz``
files (no pickles) carrying a SHA-256 of their own payload: an entry that fails to load or to
verify is deleted and rebuilt, never trusted. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from twin.ingest.ifcmodel import IfcModelData

ARRAYS = ("points", "faces", "face_element", "face_rgb")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "twin"


def key_for(path: Path, settings: str) -> str:
    import ifcopenshell

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    h.update(f"|{settings}|{ifcopenshell.version}".encode())
    return h.hexdigest()


def _digest(arrays: dict[str, np.ndarray], meta: bytes) -> str:
    h = hashlib.sha256(meta)
    for name in ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(key: str, data: IfcModelData) -> None:
    """Store ``data``; a failure to write (read-only home, full disk) only costs speed."""
    d = cache_dir()
    meta = {f.name: getattr(data, f.name) for f in dataclasses.fields(data) if f.name not in ARRAYS}
    meta["spaces"] = [{**s, "footprint_wkb": s["footprint_wkb"].hex()} for s in data.spaces]
    meta["footprint_wkb"] = data.footprint_wkb.hex()
    meta_bytes = json.dumps(meta, sort_keys=True).encode()
    arrays = {name: getattr(data, name) for name in ARRAYS}
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                meta=np.frombuffer(meta_bytes, dtype=np.uint8),
                digest=np.frombuffer(_digest(arrays, meta_bytes).encode(), dtype=np.uint8),
                **arrays,
            )
        os.replace(tmp, d / f"{key}.npz")
    except OSError:
        return


def load(key: str) -> IfcModelData | None:
    """The cached entry, or None when there is none or it is damaged (then it is removed)."""
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: np.array(z[name]) for name in ARRAYS}
            meta_bytes = z["meta"].tobytes()
            digest = z["digest"].tobytes().decode()
        if digest != _digest(arrays, meta_bytes):
            raise ValueError("digest mismatch")
        meta: dict[str, Any] = json.loads(meta_bytes)
        meta["spaces"] = [
            {**s, "footprint_wkb": bytes.fromhex(s["footprint_wkb"])} for s in meta["spaces"]
        ]
        meta["footprint_wkb"] = bytes.fromhex(meta["footprint_wkb"])
        return IfcModelData(**meta, **arrays)
    except Exception:  # noqa: BLE001 - any damage means: rebuild
        try:
            path.unlink()
        except OSError:
            pass
        return None
