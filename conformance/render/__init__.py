"""Reports rendered from a run record: JUnit XML, Markdown, self-contained HTML.

Every renderer reads only the run record (the JSON document the engine writes), never
the engine's objects, so a report can be made again later from a stored record.

The helpers below (labels, run status, location formatting) are shared by the three
renderers so that they say the same thing in the same words. The renderer modules are
imported lazily by :func:`render`, which keeps this package importable from them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..i18n import Text, pick, text

FORMATS = ("html", "junit", "md")
LANGS = ("zh", "en")
VERDICTS = ("pass", "fail", "inconclusive", "error", "not_applicable")
LEVELS = ("MUST", "SHOULD", "MAY")

#: Verdicts that stop an applicable MUST requirement from being met.
BLOCKING_VERDICTS = frozenset({"fail", "error", "inconclusive"})

VERDICT_TEXT: dict[str, Text] = {
    "pass": text("通过", "pass"),
    "fail": text("不通过", "fail"),
    "inconclusive": text("无法判定", "inconclusive"),
    "error": text("错误", "error"),
    "not_applicable": text("不适用", "not applicable"),
}

LEVEL_TEXT: dict[str, Text] = {
    "MUST": text("应", "MUST"),
    "SHOULD": text("宜", "SHOULD"),
    "MAY": text("可", "MAY"),
}

STATUS_TEXT: dict[str, Text] = {
    "conformant": text("符合", "CONFORMANT"),
    "not_conformant": text("不符合", "NOT CONFORMANT"),
    "inconclusive": text("无法判定", "INCONCLUSIVE"),
}

# XML 1.0 (and so HTML and most JUnit consumers) forbids C0 controls other than
# tab/LF/CR, lone surrogates (Python keeps them from surrogateescape decoding) and
# U+FFFE/U+FFFF.
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def xml_safe(value: Any) -> str:
    """``value`` as a string holding only characters XML 1.0 allows."""
    return _XML_ILLEGAL.sub("", value if isinstance(value, str) else str(value))


def run_status(record: Mapping[str, Any]) -> str:
    """``conformant``, ``not_conformant`` or ``inconclusive``.

    Follows the record's own exit code (which already accounts for waivers), except
    that an incomplete run never reads as conformant: the subjects it did not reach
    could hold a failure.
    """
    summary = record.get("summary") or {}
    code = summary.get("exit_code")
    if code is None:
        code = 0 if summary.get("conformant") else 1
    if code == 1:
        return "not_conformant"
    if code == 0 and record.get("complete", True):
        return "conformant"
    return "inconclusive"


def is_gating(req: Mapping[str, Any]) -> bool:
    """True when the requirement's verdict counts against conformance."""
    return (
        req.get("level") == "MUST"
        and bool(req.get("applicable", True))
        and req.get("verdict") in BLOCKING_VERDICTS
        and not req.get("waived", False)
    )


def is_warning(req: Mapping[str, Any]) -> bool:
    """A non-passing applicable requirement that does not gate (SHOULD/MAY or waived)."""
    return (
        bool(req.get("applicable", True))
        and req.get("verdict") in BLOCKING_VERDICTS
        and not is_gating(req)
    )


def level_counts(record: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Requirement counts by level and verdict, computed from the requirements themselves
    so that every report's summary agrees with the rows it lists."""
    counts = {lv: {v: 0 for v in VERDICTS} for lv in LEVELS}
    for req in record.get("requirements", []):
        row = counts.setdefault(str(req.get("level")), {v: 0 for v in VERDICTS})
        verdict = str(req.get("verdict"))
        row[verdict] = row.get(verdict, 0) + 1
    return counts


_SEVERITY = {"fail": 0, "error": 1, "inconclusive": 2}


def non_passing(findings: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The findings that are not ``pass``, worst first (stable within a verdict), so that
    a report that shows only the first few shows the ones that decided the verdict."""
    bad = [f for f in findings if f.get("verdict") != "pass"]
    return sorted(bad, key=lambda f: _SEVERITY.get(str(f.get("verdict")), 3))


_LOCATION_WORDS: dict[str, Text] = {
    "segment": text("报文段", "segment"),
    "exchange": text("交互", "exchange"),
    "pointer_root": text("（根）", "(root)"),
}


def location_text(location: Mapping[str, Any] | None, lang: str = "en") -> str:
    """One line: ``file:line:col  xpath|pointer  segment N  exchange N``."""
    if not location:
        return ""
    parts: list[str] = []
    file = location.get("file")
    if file:
        pos = str(file)
        if location.get("line") is not None:
            pos += f":{location['line']}"
            if location.get("column") is not None:
                pos += f":{location['column']}"
        parts.append(pos)
    elif location.get("line") is not None:
        pos = f"{pick(text('行', 'line'), lang)} {location['line']}"
        if location.get("column") is not None:
            pos += f":{location['column']}"
        parts.append(pos)
    if location.get("xpath"):
        parts.append(str(location["xpath"]))
    if "pointer" in location and location["pointer"] is not None:
        pointer = str(location["pointer"])
        parts.append(pointer if pointer else pick(_LOCATION_WORDS["pointer_root"], lang))
    for key in ("segment", "exchange"):
        if location.get(key) is not None:
            parts.append(f"{pick(_LOCATION_WORDS[key], lang)} {location[key]}")
    return "  ".join(parts)


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def duration_seconds(record: Mapping[str, Any]) -> float | None:
    start, end = parse_time(record.get("started_at")), parse_time(record.get("finished_at"))
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def product_text(ics: Mapping[str, Any] | None) -> str:
    """``Name version (vendor)`` from the ICS product, or an empty string."""
    product = (ics or {}).get("product") or {}
    if not isinstance(product, Mapping):
        return str(product)
    name = pick(product.get("name"), "en") if product.get("name") is not None else ""
    out = " ".join(p for p in (name, str(product.get("version") or "")) if p)
    if product.get("vendor"):
        out = f"{out} ({product['vendor']})" if out else str(product["vendor"])
    return out


def options_text(ics: Mapping[str, Any] | None) -> str:
    options = (ics or {}).get("options") or {}
    return ", ".join(f"{k}={_option_value(v)}" for k, v in options.items())


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_option_value(v) for v in value) + "]"
    return str(value)


def short(value: str, limit: int) -> str:
    """Whitespace collapsed to single spaces, cut at ``limit`` characters with an ellipsis."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: max(1, limit - 1)].rstrip() + "…"


def render(record: dict[str, Any], fmt: str, *, lang: str = "en") -> str:
    """Render a run record as ``html``, ``junit`` (XML) or ``md`` (Markdown)."""
    check_lang(lang)
    if fmt == "html":
        from .html import render_html

        return render_html(record, lang=lang)
    if fmt == "junit":
        from .junit import render_junit

        return render_junit(record, lang=lang)
    if fmt == "md":
        from .markdown import render_markdown

        return render_markdown(record, lang=lang)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "LANGS",
    "LEVELS",
    "LEVEL_TEXT",
    "STATUS_TEXT",
    "VERDICTS",
    "VERDICT_TEXT",
    "is_gating",
    "is_warning",
    "level_counts",
    "location_text",
    "non_passing",
    "render",
    "run_status",
]
