"""ISO 6346 container identification: owner code, category, serial number, check digit."""

from __future__ import annotations

import re

_LETTER_VALUES: dict[str, int] = {}
_v = 10
for _ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _v % 11 == 0:  # values that are multiples of 11 are skipped
        _v += 1
    _LETTER_VALUES[_ch] = _v
    _v += 1

FORM = re.compile(r"([A-Z]{3})([UJZ])([0-9]{6})([0-9])\Z")
#: 1995 size-type code: length, height/width, type group + detail; or a 1984 numeric code
SIZE_TYPE = re.compile(r"([1-9A-HKLMNP][0-9C-FLMNP](?:[GVBSRHUPTA][0-9])|[1-4][0-9]{3})\Z")


def check_digit(first10: str) -> int:
    """The check digit of owner code + category + serial (ten characters)."""
    total = 0
    for i, ch in enumerate(first10):
        value = _LETTER_VALUES[ch] if ch.isalpha() else int(ch)
        total += value << i
    return total % 11 % 10


def problem(number: str) -> tuple[str, str, str] | None:
    """None when ``number`` is a well-formed ISO 6346 identification with the right
    check digit; else (kind, zh, en) with kind 'form' or 'check'."""
    m = FORM.match(number)
    if not m:
        return ("form",
                f"集装箱号“{number}”应为 3 位所有人代码 + 类别 U/J/Z + 6 位序号 + 1 位校验码",
                f"container number {number!r} is not owner code (3 letters) + category U/J/Z + 6-digit serial + check digit")
    want = check_digit(number[:10])
    if int(m.group(4)) != want:
        return ("check",
                f"集装箱号“{number}”校验码应为 {want}，实际为 {m.group(4)}",
                f"container number {number!r} has check digit {m.group(4)}, ISO 6346 gives {want}")
    return None


def with_check_digit(first10: str) -> str:
    return first10 + str(check_digit(first10))
