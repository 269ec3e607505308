"""Errors a user can act on.

A :class:`InputError` is bad input, not a bug: the CLI prints its one-line message and exits
with code 2; the shell shows it and keeps running. Its message names the file or feature,
what is wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path


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
