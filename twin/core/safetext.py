"""Text from outside (MQTT payloads, topics) made safe to store, show and log.

Control characters (C0, DEL, C1: NUL, ESC, ...) and the bidirectional formatting characters
(U+202A-U+202E, U+2066-U+2069, U+200E/F, U+061C) can hide or reorder what an operator reads
("evil\u202egnp.exe") or break terminals and log parsers. :func:`clean` removes them from text
that is stored or shown; :func:`escaped` makes text printable for a log line, showing each such
character as an escape so nothing is hidden. Chinese and other printable text is kept as is.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_LOG = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""In a log line tab and newline are escaped too (one record, one line)."""


def clean(text: str) -> str:
    """``text`` without control and bidirectional formatting characters (tab and newline kept)."""
    return _UNSAFE.sub("", text)


def escaped(text: str | bytes, limit: int = 200) -> str:
    """``text`` (at most ``limit`` characters) for a log line: unsafe characters as ``\\xNN`` /
    ``\\uNNNN``, undecodable bytes as ``\\xNN``."""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", "backslashreplace")
    text = text[:limit]
    return _UNSAFE_LOG.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def clean_json(value: Any) -> Any:
    """A parsed JSON value with every string (keys too) passed through :func:`clean`; iterative,
    so a deeply nested value cannot exhaust Python's recursion limit."""
    if isinstance(value, str):
        return clean(value)
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        src, parent, key = stack.pop()
        if isinstance(src, dict):
            out_d: dict[str, Any] = {}
            parent[key] = out_d
            for k, v in src.items():
                ck = clean(k)
                if isinstance(v, dict | list):
                    out_d[ck] = None
                    stack.append((v, out_d, ck))
                else:
                    out_d[ck] = clean(v) if isinstance(v, str) else v
        else:
            out_l: list[Any] = [None] * len(src)
            parent[key] = out_l
            for i, v in enumerate(src):
                if isinstance(v, dict | list):
                    stack.append((v, out_l, i))
                else:
                    out_l[i] = clean(v) if isinstance(v, str) else v
    return root[0]
