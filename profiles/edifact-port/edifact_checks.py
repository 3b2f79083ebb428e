"""edifact-port plugin: the ``edifact`` check kind.

One analysis per subject (``edifactlib.analyse``, cached on the subject), shared by every
binding; each binding reports the issues of the requirements it is bound to. Locations
carry the segment number in the file (``Location.segment``) and its line and column; the
element position is in the message text and in the evidence, with the CONTRL entry
(syntax error code 0085) of the issue.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.checks import register_check
from conformance.checks.call import CheckCall
from conformance.checks.display import cap_message, shorten
from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.subject import SubjectError


def _load_lib() -> Any:
    name = "edifact_port_lib"
    if name in sys.modules:
        return sys.modules[name]
    init = Path(__file__).resolve().with_name("edifactlib") / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


lib = _load_lib()

#: findings per requirement and subject before the rest are summed up in one finding
MAX_FINDINGS = 25

_PARAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "max_findings": {"type": "integer", "minimum": 1},
        # attach the CONTRL-like report of the interchange to the binding's first requirement
        "contrl": {"type": "boolean"},
    },
}


def _claims(call: CheckCall) -> tuple[tuple[str, ...], tuple[str, ...]]:
    types = tuple(t for t in lib.SUPPORTED_TYPES if call.context.option(t, False))
    raw = str(call.context.option("DIRECTORIES", "D95B D00B") or "")
    dirs = tuple(d.strip().upper() for d in raw.replace(",", " ").split() if d.strip())
    return types, dirs


def analysis_of(call: CheckCall) -> Any:
    types, dirs = _claims(call)
    key = ("edifact-port", types, dirs)
    cached = call.subject.shared.get(key)
    if cached is None:
        data = call.subject.data()  # a read error (too large, unreadable) is the engine's SubjectError
        schemas = call.profile.schemas_dir
        cached = lib.analyse(data, claimed_types=types, claimed_directories=dirs,
                             schemas=Path(schemas) if schemas else None)
        call.subject.shared[key] = cached
    return cached


def _contrl_entry(issue: Any) -> dict[str, Any] | None:
    if issue.contrl is None:
        return None
    if issue.message is None:
        level = "UCI"
    elif issue.requirement in ("EDI-UNH-1", "EDI-UNT-1", "EDI-UNH-2", "EDI-UNH-3", "EDI-MSG-1", "EDI-MSG-2"):
        level = "UCM"
    else:
        level = "UCD" if issue.element and issue.element != "tag" else "UCS"
    return {"level": level, "error": issue.contrl, "action": "4"}


def _shown_tag(tag: str) -> str:
    """A segment tag as shown in a message: control characters escaped, at most 16 shown."""
    return shorten(tag if tag.isprintable() else repr(tag)[1:-1], 16)


@register_check("edifact", params=_PARAMS, media_types=("text",),
                description="UN/EDIFACT interchange: syntax, control counts, segment tables, codes, ISO 6346")
def check_edifact(call: CheckCall) -> Iterator[Finding]:
    a = analysis_of(call)
    bound = set(call.binding.requirements) & set(call.applicable)
    limit = int(call.params.get("max_findings", MAX_FINDINGS))
    tok = a.tokens
    counts: dict[str, int] = {}
    report = lib.contrl_report(a) if call.params.get("contrl") else None
    first = call.requirement
    for issue in a.issues:
        if issue.requirement not in bound:
            continue
        n = counts.get(issue.requirement, 0) + 1
        counts[issue.requirement] = n
        if n > limit:
            continue
        loc = Location(file=call.subject.name, segment=issue.segment)
        tag = ""
        raw = ""
        if tok is not None and issue.segment is not None:
            seg = tok.segments[issue.segment - 1] if 0 < issue.segment <= len(tok.segments) else None
            if seg is not None:
                loc.line, loc.column = tok.line_col(seg.offset)
                tag, raw = seg.tag, seg.raw
        where_en = where_zh = ""
        if issue.segment is not None:
            el = f", element {issue.element}" if issue.element and issue.element != "tag" else ""
            el_zh = f"，数据元 {issue.element}" if issue.element and issue.element != "tag" else ""
            shown = _shown_tag(tag)
            where_en = f"segment {issue.segment} ({shown}){el}: "
            where_zh = f"第 {issue.segment} 段（{shown}）{el_zh}："
        evidence: dict[str, Any] = {"segment": issue.segment, "tag": tag[:64] or None, "element": issue.element}
        if issue.message is not None:
            m = a.messages[issue.message]
            evidence["message"] = {"index": issue.message + 1, "reference": m.reference, "type": m.type,
                                   "position": issue.position}
        if raw:
            evidence["text"] = raw[:240]
        contrl = _contrl_entry(issue)
        if contrl:
            evidence["contrl"] = contrl
        if report is not None and issue.requirement == first:
            evidence["contrl_report"], report = report, None
        # Messages quote payload values (a count, a reference), which a hostile file makes huge.
        yield call.finding(issue.verdict, text(where_zh + cap_message(issue.zh), where_en + cap_message(issue.en)),
                           requirement=issue.requirement, location=loc,
                           evidence={k: v for k, v in evidence.items() if v is not None})
    for req, n in counts.items():
        if n > limit:
            yield call.fail(text(f"另有 {n - limit} 处同类问题未逐一列出", f"{n - limit} more issue(s) of this kind not listed"),
                            requirement=req, evidence={"total": n})
    if report is not None and first in bound and first not in a.undecided:
        action = "4（拒收）" if report["rejected"] else "7（确认）"
        yield call.passed(text(f"CONTRL 语法报告：操作代码 {action}",
                               f"CONTRL syntax report: action {'4 (rejected)' if report['rejected'] else '7 (acknowledged)'}"),
                          requirement=first, evidence={"contrl_report": report})
    for req, (zh, en) in a.undecided.items():
        if req in bound and req not in counts:
            yield call.inconclusive(text(f"无法判定：{zh}", f"cannot be judged: {en}"), requirement=req)


__all__ = ["check_edifact", "analysis_of", "SubjectError"]
