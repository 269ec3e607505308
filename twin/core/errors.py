"""Errors a user can act on.

A :class:`InputError` is bad input, not a bug: the CLI prints its one-line message and exits
with code 2; the shell shows it and keeps running. Its message names the file or feature,
what is wrong and what to do.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


class InputError(Exception):
    """Bad input the user can fix (exit code 2)."""

    def __init__(self, what: str | Path, problem: str, fix: str = "") -> None:
        self.what = str(what)
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one line a user reads: what, what is wrong, what to do."""
        text = f"{self.what}: {self.problem}"
        if self.fix:
            text += f" {self.fix}"
        return text


def checked_number(
    value: Any,
    what: str,
    where: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
) -> float:
    """``value`` of a file (``what`` in ``where``) as a float within [lo, hi] (``lo_open``: above
    lo), else a one-line InputError."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value <= hi
    if not ok:
        rng = (
            "a number"
            if lo is None
            else (f"a number above {lo:g}" if lo_open else f"a number >= {lo:g}")
        )
        if hi is not None:
            rng += f" and <= {hi:g}"
        raise InputError(where, f"{what} is {value!r}; it must be {rng}.", "Check the scene file.")
    return float(value)
