"""Compressed GIS files as people download them: ``.zip`` (a zipped shapefile, GeoPackage,
GeoJSON, OSM or CityJSON, in folders or not), and ``.gz`` / ``.bz2`` / ``.xz`` of any one file.

OpenStreetMap XML compressed with gzip or bzip2 is read as it is (the OSM reader streams it);
everything else is unpacked into a temporary directory that lives as long as the ``with`` block,
after a check that the disk has room for it.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from twin.core.errors import InputError
from twin.ingest.sources import CITYJSON_SUFFIXES, OSM_SUFFIXES, VECTOR_SUFFIXES
from twin.scene.entities import Warning

COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
MAGIC = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ", ".zip": b"PK"}
GIS_SUFFIXES = tuple(
    s for s in (*OSM_SUFFIXES, *CITYJSON_SUFFIXES, *VECTOR_SUFFIXES) if s != ".zip"
)
"""What is read inside a zip: what the readers read."""
SPARE_BYTES = 200 * 1024 * 1024
"""Left free on the temporary disk after unpacking."""
_CHUNK = 1 << 20


@dataclass
class Unpacked:
    """One readable GIS file: where it is now and the name to use in messages."""

    path: Path
    name: str


def is_archive(path: Path) -> bool:
    return path.suffix.lower() in (".zip", *COMPRESSED)


def is_osm_stream(path: Path) -> bool:
    """OSM XML compressed with gzip / bzip2, which the OSM reader reads without unpacking."""
    n = path.name.lower()
    return n.endswith((".osm.gz", ".osm.bz2", ".osm.xml.gz", ".osm.xml.bz2"))


def _check_magic(path: Path, suffix: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head.startswith(MAGIC[suffix]):
        raise InputError(
            path,
            f"is named {suffix} but is not a {suffix.lstrip('.')} archive.",
            "Check the download; rename it to what it really is.",
        )


def _room(where: Path, needed: int, path: Path) -> None:
    free = shutil.disk_usage(where).free
    if needed + SPARE_BYTES > free:
        raise InputError(
            path,
            f"needs {needed / 1e9:.1f} GB to unpack, but only {free / 1e9:.1f} GB are free in "
            f"{where}.",
            "Free some disk space, or unpack it yourself onto a larger disk.",
        )


@contextlib.contextmanager
def unpacked(path: Path, warnings: list[Warning]) -> Iterator[list[Unpacked]]:
    """The GIS files in ``path``: itself when it is not an archive."""
    suffix = path.suffix.lower()
    if not is_archive(path) or is_osm_stream(path):
        if is_osm_stream(path):
            _check_magic(path, suffix)
        yield [Unpacked(path, path.name)]
        return
    _check_magic(path, suffix)
    with tempfile.TemporaryDirectory(prefix="twin-unpack-") as tmp:
        root = Path(tmp)
        if suffix == ".zip":
            yield _unzip(path, root, warnings)
        else:
            yield [_decompress(path, suffix, root)]


def _decompress(path: Path, suffix: str, root: Path) -> Unpacked:
    inner = path.name[: -len(suffix)] or "data"
    out = root / inner
    free = shutil.disk_usage(root).free - SPARE_BYTES
    written = 0
    try:
        with COMPRESSED[suffix](path, "rb") as src, open(out, "wb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > free:
                    raise InputError(
                        path,
                        f"unpacks to more than the {free / 1e9:.1f} GB free in {root.parent}.",
                        "Free some disk space, or unpack it yourself onto a larger disk.",
                    )
                dst.write(chunk)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(
            path, f"cannot be unpacked ({exc}).", "Download it again; the archive is damaged."
        ) from None
    return Unpacked(out, f"{path.name}/{inner}")


def _unzip(path: Path, root: Path, warnings: list[Warning]) -> list[Unpacked]:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if any(m.flag_bits & 0x1 for m in members):
                raise InputError(
                    path, "is password-protected.", "Unzip it yourself and give the files inside."
                )
            _room(root, sum(m.file_size for m in members), path)
            zf.extractall(
                root
            )  # member names are sanitised by zipfile (no '..', no absolute paths)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(
            path, f"is not a readable zip archive ({exc}).", "Download it again."
        ) from None
    found: list[Unpacked] = []
    skipped: list[str] = []
    for m in sorted(members, key=lambda m: m.filename):
        rel = m.filename
        parts = Path(rel).parts
        if any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        low = rel.lower()
        if not low.endswith(GIS_SUFFIXES):
            if low.endswith((".zip", *COMPRESSED)):
                skipped.append(rel)
            continue
        p = root / rel
        if (
            low.endswith(".json")
            and not low.endswith((".city.json", ".geojson"))
            and not _is_geo_json(p)
        ):
            skipped.append(rel)
            continue
        found.append(Unpacked(p, f"{path.name}/{rel}"))
    for rel in skipped:
        warnings.append(
            Warning(
                path.name,
                rel,
                "is neither GeoJSON, CityJSON nor another GIS format the twin reads "
                "(nested archives are not opened)",
                "not read",
            )
        )
    if not found:
        names = ", ".join(m.filename for m in members[:8]) or "nothing"
        raise InputError(
            path,
            f"holds no GIS file the twin reads (it holds: {names}).",
            "Give a zip of a shapefile (.shp with its .shx, .dbf "
            "and .prj), a GeoPackage, GeoJSON, OSM or CityJSON.",
        )
    return found


def _is_geo_json(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).decode("utf-8", "replace").replace(" ", "")
    return any(k in head for k in ('"FeatureCollection"', '"Feature"', '"CityJSON"', '"Topology"'))
