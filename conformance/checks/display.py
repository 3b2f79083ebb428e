"""Payload text quoted in messages, kept short.

A message quotes the offending value so the vendor sees it, but a hostile payload can
make that value a megabyte long (a 100,000-digit count, a 1 MiB id): quoting it whole
would put it into the record twice (zh and en) per finding. Values are cut to a
readable head and say how long they were; library messages (a JSON Schema error that
embeds the instance) keep their head and tail, which hold the explanation.
"""

from __future__ import annotations

from typing import Any

#: characters of a quoted value shown before it is cut
MAX_SHOWN = 120
#: characters of a whole message (library text with an embedded value)
MAX_MESSAGE = 600


def shorten(value: Any, limit: int = MAX_SHOWN, lang: str = "en") -> str:
    """``value`` as text; longer than ``limit`` characters, its head and its length."""
    s = "" if value is None else str(value)
    if len(s) <= limit:
        return s
    if lang == "zh":
        return f"{s[:limit]}…（共 {len(s)} 个字符）"
    return f"{s[:limit]}… ({len(s)} characters)"


def cap_message(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message of at most about ``limit`` characters: head and tail around an ellipsis."""
    if len(message) <= limit:
        return message
    tail = limit // 4
    return f"{message[: limit - tail]} …[{len(message) - limit} characters cut]… {message[-tail:]}"
