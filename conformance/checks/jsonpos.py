"""Line and column of a JSON Pointer in JSON text (computed only when a finding needs it)."""

from __future__ import annotations

import json
from json.decoder import scanstring

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


def _skip_ws(src: str, i: int) -> int:
    while i < len(src) and src[i] in _WS:
        i += 1
    return i


def pointer_offset(src: str, tokens: list[str | int]) -> int | None:
    """Character offset where the value at ``tokens`` starts, or None."""
    i = _skip_ws(src, 1 if src.startswith("\ufeff") else 0)
    for token in tokens:
        if i >= len(src):
            return None
        ch = src[i]
        if ch == "{":
            i = _skip_ws(src, i + 1)
            while i < len(src) and src[i] != "}":
                if src[i] != '"':
                    return None
                key, i = scanstring(src, i + 1)
                i = _skip_ws(src, i)
                if i >= len(src) or src[i] != ":":
                    return None
                i = _skip_ws(src, i + 1)
                if key == str(token):
                    break
                _, i = _DECODER.raw_decode(src, i)
                i = _skip_ws(src, i)
                if i < len(src) and src[i] == ",":
                    i = _skip_ws(src, i + 1)
            else:
                return None
        elif ch == "[":
            i = _skip_ws(src, i + 1)
            try:
                index = int(token)
            except (TypeError, ValueError):
                return None
            for _ in range(index):
                if i >= len(src) or src[i] == "]":
                    return None
                _, i = _DECODER.raw_decode(src, i)
                i = _skip_ws(src, i)
                if i < len(src) and src[i] == ",":
                    i = _skip_ws(src, i + 1)
            if i >= len(src) or src[i] == "]":
                return None
        else:
            return None
    return i


def line_col(src: str, offset: int) -> tuple[int, int]:
    line = src.count("\n", 0, offset) + 1
    col = offset - (src.rfind("\n", 0, offset) + 1) + 1
    return line, col


def to_pointer(tokens: list[str | int]) -> str:
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)
