"""JUnit XML from a run record, for CI systems that gate on test reports.

One ``<testsuite>`` per run, one ``<testcase>`` per requirement. Only what gates
conformance is a ``<failure>`` or an ``<error>``: an applicable MUST requirement that
is fail (failure), error or inconclusive (error), and not waived. A SHOULD or MAY
that is not met, or a waived MUST, is a passing testcase whose ``<system-out>`` starts
with ``WARNING`` or ``WAIVED``, so ``failures + errors == 0`` exactly when the run's
exit code is 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from lxml import etree

from ..i18n import pick
from . import (
    VERDICT_TEXT,
    check_lang,
    duration_seconds,
    is_gating,
    is_warning,
    location_text,
    non_passing,
    options_text,
    parse_time,
    product_text,
    run_status,
    short,
    xml_safe,
)

#: Findings written out per testcase; the rest are counted, the run record has them all.
MAX_FINDINGS = 200
_NAME_TEXT_LIMIT = 80
_EVIDENCE_LIMIT = 500


def render_junit(record: Mapping[str, Any], *, lang: str = "en", max_findings: int = MAX_FINDINGS) -> str:
    """The run record as a JUnit XML document (``<testsuites>`` holding one ``<testsuite>``)."""
    check_lang(lang)
    profile = record.get("profile") or {}
    profile_id = str(profile.get("id", "profile"))
    subjects = {s.get("index"): s.get("name", "") for s in record.get("subjects", [])}

    suite = etree.Element("testsuite")
    suite.append(_suite_properties(record))
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for req in record.get("requirements", []):
        suite.append(_testcase(req, profile_id, subjects, lang, max_findings, tally))
    out = _suite_output(record, lang)
    if out:
        _sub(suite, "system-out", out)

    attrs: dict[str, str] = {
        "name": f"{profile_id} {profile.get('version', '')}".strip(),
        **{k: str(v) for k, v in tally.items()},
    }
    seconds = duration_seconds(record)
    if seconds is not None:
        attrs["time"] = f"{seconds:.3f}"
    started = parse_time(record.get("started_at"))
    if started is not None:
        # The JUnit schema's timestamp has no zone; write UTC so it is unambiguous.
        attrs["timestamp"] = started.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    for key, value in attrs.items():
        suite.set(key, xml_safe(value))

    root = etree.Element("testsuites", name="smartcity-conformance")
    for key in ("tests", "failures", "errors", "skipped", "time"):
        if key in attrs:
            root.set(key, attrs[key])
    root.append(suite)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document.decode("utf-8")


def _testcase(req: Mapping[str, Any], profile_id: str, subjects: Mapping[Any, str], lang: str,
              max_findings: int, tally: dict[str, int]) -> etree._Element:
    req_id = str(req.get("id", "?"))
    clause = str(req.get("clause", ""))
    level = str(req.get("level", ""))
    verdict = str(req.get("verdict", "error"))
    group = req.get("group") or level
    name = f"{req_id} [{clause}] {short(pick(req.get('text'), lang), _NAME_TEXT_LIMIT)}".strip()
    case = etree.Element("testcase", classname=xml_safe(f"{profile_id}.{group}"), name=xml_safe(name))
    tally["tests"] += 1

    props = _sub(case, "properties")
    _prop(props, "requirement", req_id)
    _prop(props, "clause", clause)
    _prop(props, "level", level)
    if req.get("group"):
        _prop(props, "group", req["group"])
    _prop(props, "verdict", verdict)
    _prop(props, "applicable", _bool(req.get("applicable", True)))
    if "tested" in req:
        _prop(props, "tested", _bool(req["tested"]))
    if req.get("waived"):
        _prop(props, "waived", "true")
    if req.get("reconstructed"):
        _prop(props, "reconstructed", "true")

    findings = list(req.get("findings") or [])
    bad = non_passing(findings)
    if verdict == "not_applicable" or not req.get("applicable", True):
        _sub(case, "skipped", message=pick(req.get("reason"), lang) or pick(VERDICT_TEXT["not_applicable"], lang))
        tally["skipped"] += 1
    elif is_gating(req):
        tag, kind = ("failure", "fail") if verdict == "fail" else ("error", verdict)
        first = pick(bad[0].get("message"), lang) if bad else pick(VERDICT_TEXT[verdict], lang)
        if len(bad) > 1:
            first += f" (+{len(bad) - 1} more)" if lang == "en" else f"（另有 {len(bad) - 1} 条）"
        body = _findings_block(bad, len(findings), subjects, lang, max_findings)
        _sub(case, tag, body, message=short(first, 1000), type=kind)
        tally["failures" if tag == "failure" else "errors"] += 1
    elif is_warning(req):
        head = "WAIVED" if req.get("waived") else "WARNING"
        if lang == "en":
            what = f"{head}: {level} requirement {req_id} not met ({verdict}); it does not gate conformance"
        else:
            shown = pick(VERDICT_TEXT.get(verdict, {}), lang)
            what = f"{head}：{level} 要求 {req_id} 未满足（{shown}），不影响符合性判定"
        body = _findings_block(bad, len(findings), subjects, lang, max_findings)
        _sub(case, "system-out", f"{what}\n{body}")
    return case


def _findings_block(bad: list[Mapping[str, Any]], total: int, subjects: Mapping[Any, str], lang: str,
                    limit: int) -> str:
    lines = [f"{len(bad)}/{total} 条发现未通过：" if lang == "zh" else f"{len(bad)} of {total} findings not passing:"]
    for f in bad[:limit]:
        verdict = str(f.get("verdict", "?"))
        where = location_text(f.get("location"), lang)
        if not where and f.get("subject") is not None:
            where = subjects.get(f["subject"], f"#{f['subject']}")
        lines.append(f"[{verdict}] {where}".rstrip())
        lines.append(f"    {pick(f.get('message'), lang)}")
        meta = []
        if f.get("check"):
            meta.append(f"check={f['check']}")
        if f.get("subject") is not None:
            meta.append(f"subject={f['subject']}")
        if meta:
            lines.append("    " + " ".join(meta))
        if f.get("evidence") is not None:
            evidence = json.dumps(f["evidence"], ensure_ascii=False, sort_keys=True, default=str)
            lines.append(f"    evidence: {short(evidence, _EVIDENCE_LIMIT)}")
    if len(bad) > limit:
        lines.append(f"... +{len(bad) - limit} more (see the run record)" if lang == "en"
                     else f"……另有 {len(bad) - limit} 条（见运行记录）")
    return "\n".join(lines)


def _suite_properties(record: Mapping[str, Any]) -> etree._Element:
    profile = record.get("profile") or {}
    summary = record.get("summary") or {}
    ics = record.get("ics") or {}
    tool = record.get("tool") or {}
    props = etree.Element("properties")
    values: list[tuple[str, Any]] = [
        ("run_id", record.get("run_id")),
        ("kind", record.get("kind")),
        ("complete", _bool(record.get("complete", True))),
        ("status", run_status(record)),
        ("conformant", _bool(summary.get("conformant", False))),
        ("exit_code", summary.get("exit_code")),
        ("profile", profile.get("id")),
        ("profile_version", profile.get("version")),
        ("profile_digest", _digest(profile)),
        ("product", product_text(ics) or None),
        ("role", ics.get("role")),
        ("options", options_text(ics) or None),
        ("ics_sha256", ics.get("sha256")),
        ("seed", record.get("seed")),
        ("tool", f"{tool.get('name', '')} {tool.get('version', '')}".strip() or None),
        ("interruption", record.get("interruption")),
    ]
    for name, value in values:
        if value is not None:
            _prop(props, name, value)
    return props


def _suite_output(record: Mapping[str, Any], lang: str) -> str:
    lines = []
    if not record.get("complete", True):
        why = record.get("interruption") or ""
        lines.append(f"INCOMPLETE RUN: {why}".rstrip() if lang == "en" else f"运行未完成：{why}".rstrip())
    warnings = (record.get("summary") or {}).get("warnings") or []
    if warnings:
        lines.append(("SHOULD requirements not met: " if lang == "en" else "未满足的“宜”要求：") + ", ".join(warnings))
    return "\n".join(lines)


def _digest(profile: Mapping[str, Any]) -> str | None:
    digest = profile.get("digest") or {}
    value = digest.get("value")
    return f"{digest.get('algorithm', 'sha256')}:{value}" if value else None


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _prop(parent: etree._Element, name: str, value: Any) -> None:
    value = _bool(value) if isinstance(value, bool) else value
    _sub(parent, "property", name=name, value=str(value))


def _sub(parent: etree._Element, tag: str, body: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if body is not None:
        el.text = xml_safe(body)
    return el


__all__ = ["MAX_FINDINGS", "render_junit"]
