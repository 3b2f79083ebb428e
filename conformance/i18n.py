"""Bilingual (zh/en) text values.

Every user-facing message is a :class:`Text` with both languages; renderers and the
CLI pick one with :func:`pick` (falling back to the other when one is missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("zh", "en")

Text = dict[str, str]


def text(zh: str, en: str) -> Text:
    return {"zh": zh, "en": en}


def as_text(value: Any) -> Text:
    """Normalise a str or a zh/en mapping to a Text."""
    if value is None:
        return {"zh": "", "en": ""}
    if isinstance(value, str):
        return {"zh": value, "en": value}
    if isinstance(value, Mapping):
        zh = str(value.get("zh", "") or value.get("en", ""))
        en = str(value.get("en", "") or value.get("zh", ""))
        return {"zh": zh, "en": en}
    return {"zh": str(value), "en": str(value)}


def pick(value: Any, lang: str = "en") -> str:
    t = as_text(value)
    return t.get(lang) or t.get("en") or t.get("zh") or ""


def both(value: Any, sep: str = " / ") -> str:
    """'zh / en' on one line, or one of them when both are the same."""
    t = as_text(value)
    if t["zh"] == t["en"]:
        return t["en"]
    return f"{t['zh']}{sep}{t['en']}"
