"""Community digital twin: a 3D operations view of a residential community."""

import sys as _sys

__version__ = "0.1.0"

# pyvista imports its mypy plugin, and with it mypy itself (0.5-2.5 s on the 2-core machine),
# whenever mypy is installed, as it is in the development environment `make setup` makes; the
# twin never type-checks at run time, so pyvista is told there is none (``find_spec`` answers
# None for a module set to None). mypy as a program (``.venv/bin/mypy``) is unaffected.
if "mypy" not in _sys.modules and "pyvista" not in _sys.modules:
    _sys.modules["mypy"] = None  # type: ignore[assignment]
