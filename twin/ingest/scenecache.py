"""On-disk cache of built scenes: a warm start loads the scene instead of rebuilding it.

Building the demo from its files takes 3-5 s on the 2-core machine (reading the OSM extract,
classifying, meshing, placing) and imports the GIS libraries (another 2 s); the built scene is
a few megabytes of plain data classes and numpy arrays that load in tens of milliseconds.

The key is a SHA-256 of everything the build depends on: the scene spec as read, every file it
names (content hashed up to :data:`HASH_LIMIT`, above that by size and modification time; for a
shapefile its sidecars, for a folder every file in it), the twin's own source files (size and
modification time of each: any change of the code is a new key) and the versions of the
libraries that read and mesh. A change of any of them builds afresh.

Entries live under ``$XDG_CACHE_HOME/twin/scenes`` (one per scene file: a new build replaces
the scene's older entry), written atomically, with a SHA-256 of their payload. The payload is a
pickle read by an unpickler that only makes the twin's scene data classes, numpy arrays and
paths, so a damaged or planted file cannot run code; an entry that fails to load, to verify or
to unpickle is deleted and the scene is built, never trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from twin.scene.scene import Scene
from twin.scene.scenefile import SceneSpec

log = logging.getLogger(__name__)

FORMAT = b"twin-scene-cache 1\n"
HASH_LIMIT = 256 * 1024 * 1024
"""Files up to this size are keyed by their content; larger ones by size and time."""
LIBRARIES = ("numpy", "osmium", "pyproj", "shapely", "geopandas", "pyogrio", "trimesh")
_IFC = "ifcopenshell"

_NUMPY = {"_reconstruct", "_frombuffer", "dtype", "ndarray", "scalar"}
_PATHS = {"PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath"}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "twin" / "scenes"


def _paths(value: Any) -> list[Path]:
    """Every path a spec names, found through its data classes, lists and dicts."""
    if isinstance(value, Path):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [p for f in dataclasses.fields(value) for p in _paths(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _paths(v)]
    if isinstance(value, dict):
        return [p for v in value.values() for p in _paths(v)]
    return []


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    if path.is_file():  # a shapefile's .dbf / .shx / .prj, a model's sidecars
        return sorted(p for p in path.parent.glob(f"{path.stem}.*") if p.is_file())
    return []


def _versions() -> str:
    from importlib import metadata

    out = []
    for name in (*LIBRARIES, _IFC):
        try:
            out.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}=-")
    return ",".join(out) + f",python={sys.version_info[:2]}"


def key_for(spec: SceneSpec) -> str:
    h = hashlib.sha256(FORMAT + repr(spec).encode())
    for path in sorted({p.resolve() for p in _paths(spec)}):
        for f in _files(path):
            st = f.stat()
            h.update(f"|{f}|{st.st_size}".encode())
            if st.st_size <= HASH_LIMIT:
                with open(f, "rb") as fh:
                    h.update(hashlib.file_digest(fh, "sha256").digest())
            else:
                h.update(str(st.st_mtime_ns).encode())
    code = Path(__file__).resolve().parents[1]
    for f in sorted(code.rglob("*.py")):
        st = f.stat()
        h.update(f"|{f.relative_to(code)}|{st.st_size}|{st.st_mtime_ns}".encode())
    h.update(_versions().encode())
    return h.hexdigest()


def _stem(spec: SceneSpec) -> str:
    where = str(spec.path.resolve()) if spec.path else spec.name
    return hashlib.sha256(where.encode()).hexdigest()[:16]


class _Unpickler(pickle.Unpickler):
    """Makes only the twin's scene data classes, numpy arrays and paths."""

    def find_class(self, module: str, name: str) -> Any:
        ok = (
            (module.startswith(("twin.scene.", "twin.core.")) and not name.startswith("_"))
            or (module.split(".")[0] == "numpy" and name in _NUMPY)
            or (module == "pathlib" and name in _PATHS)
        )
        if ok:
            found = super().find_class(module, name)
            if isinstance(found, type) or module.split(".")[0] == "numpy":
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a scene")


def load(spec: SceneSpec, key: str) -> Scene | None:
    """The cached scene of ``spec`` under ``key`` (:func:`key_for`, taken before any build), or
    None (none, stale, damaged: a damaged one is removed)."""
    path = cache_dir() / f"{_stem(spec)}-{key}.scene"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        n = len(FORMAT)
        head, digest, payload = data[:n], data[n : n + 64], data[n + 64 :]
        if head != FORMAT or hashlib.sha256(payload).hexdigest().encode() != digest:
            raise ValueError("its digest does not match")
        scene = _Unpickler(io.BytesIO(payload)).load()
        if not isinstance(scene, Scene):
            raise ValueError("it holds no scene")
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it is not used
        log.warning("scene cache %s is not usable (%s); building the scene", path, exc)
        path.unlink(missing_ok=True)
        return None
    scene.spec = spec  # the spec as read now (equal by key; its paths as given this time)
    return scene


def save(scene: Scene, key: str) -> None:
    """Store a freshly built scene under the key its inputs had before the build; a failure to
    write (read-only home, full disk) only costs speed."""
    spec = scene.spec
    try:
        payload = pickle.dumps(scene, protocol=5)
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(FORMAT + hashlib.sha256(payload).hexdigest().encode() + payload)
            name = f"{_stem(spec)}-{key}.scene"
            os.replace(tmp, d / name)
        finally:
            Path(tmp).unlink(missing_ok=True)
        for old in d.glob(f"{_stem(spec)}-*.scene"):  # this scene's earlier builds
            if old.name != name:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.info("scene cache not written (%s)", exc)
