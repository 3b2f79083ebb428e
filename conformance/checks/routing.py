"""Route a validator's errors to requirements.

A schema validator reports many kinds of error; a profile says which requirement
each belongs to with ``routes``: a list of rules tried in order, each matching on the
error's location (XPath or JSON Pointer), its message or its schema keyword.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ROUTES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["requirement"],
        "properties": {
            "requirement": {"type": "string"},
            "path": {"type": "string", "description": "regex searched in the XPath or JSON Pointer"},
            "message": {"type": "string", "description": "regex searched in the validator's message"},
            "keyword": {"type": "string", "description": "JSON Schema keyword (required, format, ...)"},
        },
    },
}


@lru_cache(maxsize=1024)
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def route(
    rules: list[dict[str, Any]] | None,
    default: str,
    *,
    path: str | None = None,
    message: str | None = None,
    keyword: str | None = None,
) -> str:
    for rule in rules or ():
        if "path" in rule and not (path is not None and _rx(rule["path"]).search(path)):
            continue
        if "message" in rule and not (message is not None and _rx(rule["message"]).search(message)):
            continue
        if "keyword" in rule and rule["keyword"] != keyword:
            continue
        return rule["requirement"]
    return default
