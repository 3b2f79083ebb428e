"""Verdicts, requirement levels and the worst-of rule."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"

    def __str__(self) -> str:
        return self.value


# Severity order for worst-of aggregation. Unlike TTCN-3 (where error overrides fail)
# a fail ranks highest here: a fail finding is evidence against the product, and a
# harness error on another subject or check does not make that evidence go away.
_SEVERITY = {
    Verdict.NOT_APPLICABLE: 0,
    Verdict.PASS: 1,
    Verdict.INCONCLUSIVE: 2,
    Verdict.ERROR: 3,
    Verdict.FAIL: 4,
}

#: Verdicts that stop a MUST requirement from being met.
BLOCKING = frozenset({Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE})


def severity(verdict: Verdict | str) -> int:
    # A str-valued Enum hashes and compares like its value, so "fail" and Verdict.FAIL
    # find the same entry without a conversion.
    return _SEVERITY[verdict]  # type: ignore[index]


def worst(verdicts: Iterable[Verdict | str]) -> Verdict | None:
    """Return the worst verdict, or None when there is none (no finding at all)."""
    result: Verdict | None = None
    for v in verdicts:
        v = Verdict(v)
        if result is None or _SEVERITY[v] > _SEVERITY[result]:
            result = v
    return result


class Level(str, Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"

    def __str__(self) -> str:
        return self.value


#: The Chinese modal verbs the standards use, for display.
LEVEL_ZH = {Level.MUST: "应", Level.SHOULD: "宜", Level.MAY: "可"}
