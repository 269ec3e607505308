"""UI language: Chinese or English, by default from the locale."""

from __future__ import annotations

import locale
import os

LANGS = ("zh", "en")


def default_lang() -> str:
    """'zh' when the user's locale is Chinese, else 'en'. ``TWIN_LANG`` overrides."""
    forced = os.environ.get("TWIN_LANG", "")
    if forced[:2] in LANGS:
        return forced[:2]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    loc = locale.getlocale()[0] or ""
    return "zh" if loc.lower().startswith("zh") else "en"


def pick(lang: str, en: str, zh: str) -> str:
    """``zh`` for a Chinese ``lang``, else ``en``."""
    return zh if lang == "zh" else en
