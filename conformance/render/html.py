"""A self-contained HTML report from a run record: the document a lab hands to a vendor.

One file, inline CSS and JS, no external resources. Both languages are in the DOM; a
class on ``<html>`` (``lang-zh`` / ``lang-en``) picks which one shows, so a reader can
switch without re-rendering. Everything from the record goes through Jinja2 with
autoescaping on: payload text (finding messages, evidence) is hostile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from ..i18n import as_text, text
from . import (
    LEVEL_TEXT,
    LEVELS,
    STATUS_TEXT,
    VERDICT_TEXT,
    VERDICTS,
    check_lang,
    duration_seconds,
    is_gating,
    is_warning,
    level_counts,
    location_text,
    non_passing,
    product_text,
    run_status,
    xml_safe,
)

#: Non-passing findings shown per requirement; the rest are counted.
MAX_FINDINGS = 500
#: Passing findings shown per requirement (collapsed); the rest are counted.
MAX_PASS_FINDINGS = 100
#: Requirements whose findings start expanded when no more than this many are not met.
_OPEN_LIMIT = 25
_EVIDENCE_LIMIT = 20_000
_EVIDENCE_INLINE = 100
TEMPLATE = "report.html.j2"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


def render_html(record: Mapping[str, Any], *, lang: str = "en", max_findings: int = MAX_FINDINGS,
                max_pass_findings: int = MAX_PASS_FINDINGS) -> str:
    """The run record as one self-contained HTML document."""
    check_lang(lang)
    context = build_context(record, lang=lang, max_findings=max_findings, max_pass_findings=max_pass_findings)
    return xml_safe(_environment().get_template(TEMPLATE).render(**context))


def build_context(record: Mapping[str, Any], *, lang: str = "en", max_findings: int = MAX_FINDINGS,
                  max_pass_findings: int = MAX_PASS_FINDINGS) -> dict[str, Any]:
    """What the template sees: the record flattened into display values."""
    profile = record.get("profile") or {}
    ics = record.get("ics") or {}
    tool = record.get("tool") or {}
    summary = record.get("summary") or {}
    subjects = list(record.get("subjects") or [])
    subject_names = {s.get("index"): str(s.get("name", "")) for s in subjects}
    requirements = list(record.get("requirements") or [])

    counts = level_counts(record)
    totals = {v: sum(row.get(v, 0) for row in counts.values()) for v in VERDICTS}
    not_met = sum(1 for r in requirements if r.get("verdict") not in ("pass", "not_applicable"))
    open_failing = not_met <= _OPEN_LIMIT
    reqs = [_requirement(r, subject_names, max_findings, max_pass_findings, open_failing) for r in requirements]

    status = run_status(record)
    digest = profile.get("digest") or {}
    raw_product = ics.get("product")
    product: Mapping[str, Any] = raw_product if isinstance(raw_product, Mapping) else {}
    seconds = duration_seconds(record)
    return {
        "lang": lang,
        "status": status,
        "status_text": STATUS_TEXT[status],
        "complete": bool(record.get("complete", True)),
        "interruption": str(record.get("interruption") or ""),
        "run_id": str(record.get("run_id", "")),
        "kind": str(record.get("kind", "")),
        "seed": record.get("seed"),
        "clock": _when(record.get("clock")),
        "started_at": _when(record.get("started_at")),
        "finished_at": _when(record.get("finished_at")),
        "duration": f"{seconds:.3f} s" if seconds is not None else "",
        "tool": {
            "name": str(tool.get("name", "")),
            "version": str(tool.get("version", "")),
            "python": str(tool.get("python", "")),
            "platform": str(tool.get("platform", "")),
            "libraries": ", ".join(f"{k} {v}" for k, v in (tool.get("libraries") or {}).items()),
        },
        "profile": {
            "id": str(profile.get("id", "")),
            "version": str(profile.get("version", "")),
            "title": as_text(profile.get("title")),
            "source": str(profile.get("source") or ""),
            "digest": f"{digest.get('algorithm', 'sha256')}:{digest['value']}" if digest.get("value") else "",
            "digest_files": len(digest.get("files") or {}),
        },
        "standards": [_standard(s) for s in profile.get("standards") or []],
        "ics": {
            "product": product_text(ics),
            "product_name": as_text(product.get("name")) if product.get("name") is not None else None,
            "role": str(ics.get("role") or ""),
            "options": [(str(k), _option_value(v)) for k, v in (ics.get("options") or {}).items()],
            "source": str(ics.get("source") or ""),
            "sha256": str(ics.get("sha256") or ""),
        },
        "exit_code": summary.get("exit_code"),
        "verdicts": [{"key": v, "text": VERDICT_TEXT[v], "count": totals[v]} for v in VERDICTS],
        "levels": [{"key": lv, "text": LEVEL_TEXT[lv], "counts": counts.get(lv, {}),
                    "total": sum(counts.get(lv, {}).values())}
                   for lv in LEVELS if any(counts.get(lv, {}).values())],
        "totals": totals,
        "stats": {
            "requirements": len(requirements),
            "applicable": sum(1 for r in requirements if r.get("verdict") != "not_applicable"),
            "gating": sum(1 for r in requirements if is_gating(r)),
            "warnings": sum(1 for r in requirements if is_warning(r)),
            "waived": sum(1 for r in requirements if r.get("waived")),
            "findings": sum(len(r.get("findings") or []) for r in requirements),
            "subjects": (record.get("subjects_summary") or {}).get("total", len(subjects)),
        },
        "warnings": [r for r in reqs if r["warning"]],
        "requirements": reqs,
        # A bulk run lists at most HTML_SUBJECT_ROWS (failing ones first); the record has the rest.
        "subjects": [_subject(s) for s in _shown_subjects(subjects)],
        "subjects_hidden": (record.get("subjects_summary") or {}).get("total", len(subjects))
        - min(len(subjects), HTML_SUBJECT_ROWS),
        "exchanges": exchanges_context(record),
        "all_verdicts": VERDICT_TEXT,
        "all_levels": LEVEL_TEXT,
    }


def _requirement(req: Mapping[str, Any], subject_names: Mapping[Any, str], max_findings: int,
                 max_pass_findings: int, open_failing: bool) -> dict[str, Any]:
    verdict = str(req.get("verdict", "error"))
    level = str(req.get("level", ""))
    findings = list(req.get("findings") or [])
    bad = non_passing(findings)
    good = [f for f in findings if f.get("verdict") == "pass"]
    req_text = as_text(req.get("text"))
    counts = req.get("counts") or {}
    gating = is_gating(req)
    search = " ".join([str(req.get("id", "")), str(req.get("clause", "")), str(req.get("group") or ""),
                       req_text["zh"], req_text["en"]]).lower()
    return {
        "id": str(req.get("id", "")),
        "clause": str(req.get("clause", "")),
        "level": level,
        "level_text": LEVEL_TEXT.get(level, text(level, level)),
        "group": str(req.get("group") or ""),
        "verdict": verdict if verdict in VERDICT_TEXT else "error",
        "verdict_text": VERDICT_TEXT.get(verdict, text(verdict, verdict)),
        "text": req_text,
        "applicable": bool(req.get("applicable", True)) and verdict != "not_applicable",
        "tested": bool(req.get("tested", True)),
        "reason": as_text(req.get("reason")) if req.get("reason") else None,
        "reconstructed": bool(req.get("reconstructed")),
        "waived": bool(req.get("waived")),
        "waiver_expired": bool((req.get("waiver") or {}).get("expired")) and not req.get("waived"),
        "waiver_expires": str((req.get("waiver") or {}).get("expires") or ""),
        "gating": gating,
        "warning": is_warning(req),
        "open": open_failing and verdict not in ("pass", "not_applicable"),
        "counts": [(v, VERDICT_TEXT[v], int(counts[v])) for v in VERDICTS if counts.get(v)],
        "findings": [_finding(f, subject_names) for f in bad[:max_findings]],
        "findings_omitted": max(0, len(bad) - max_findings),
        "passes": [_finding(f, subject_names) for f in good[:max_pass_findings]],
        "passes_total": len(good),
        "passes_omitted": max(0, len(good) - max_pass_findings),
        "search": " ".join(search.split()),
    }


def _finding(f: Mapping[str, Any], subject_names: Mapping[Any, str]) -> dict[str, Any]:
    location = f.get("location") or {}
    subject = f.get("subject")
    where = text(location_text(location, "zh"), location_text(location, "en"))
    if not where["en"] and subject is not None:
        where = as_text(subject_names.get(subject, f"#{subject}"))
    verdict = str(f.get("verdict", "error"))
    return {
        "verdict": verdict if verdict in VERDICT_TEXT else "error",
        "verdict_text": VERDICT_TEXT.get(verdict, text(verdict, verdict)),
        "message": as_text(f.get("message")),
        "location": where,
        "check": str(f.get("check") or ""),
        "subject": subject,
        "subject_name": subject_names.get(subject, "") if subject is not None else "",
        "evidence": _json(f["evidence"]) if f.get("evidence") is not None else "",
        "waiver": _json(f["waiver"]) if f.get("waiver") else "",
    }


#: Exchanges listed in the report (failing ones first); the rest are counted.
MAX_EXCHANGES = 200


def failing_exchange_indexes(record: Mapping[str, Any]) -> set[int]:
    """Indexes of exchanges a fail/error/inconclusive finding points at, plus those with a reproduction."""
    out = {int(e["index"]) for e in record.get("exchanges") or [] if e.get("reproduce") and "index" in e}
    for req in record.get("requirements") or []:
        for f in req.get("findings") or []:
            ex = (f.get("location") or {}).get("exchange")
            if isinstance(ex, int) and f.get("verdict") in ("fail", "error", "inconclusive"):
                out.add(ex)
    return out


def exchanges_context(record: Mapping[str, Any]) -> dict[str, Any]:
    """Live exchanges for the report: failing ones (with bodies and the reproduction
    command) first, then the others, at most MAX_EXCHANGES."""
    items = [e for e in record.get("exchanges") or [] if isinstance(e, Mapping)]
    failing = failing_exchange_indexes(record)
    ordered = sorted(items, key=lambda e: (0 if e.get("index") in failing else 1, e.get("index", 0)))
    rows = []
    for e in ordered[:MAX_EXCHANGES]:
        request = e.get("request") or {}
        response = e.get("response") or {}
        rows.append({
            "index": e.get("index"),
            "failing": e.get("index") in failing,
            "direction": str(e.get("direction", "")),
            "method": str(e.get("method", "")),
            "url": str(e.get("url", "")),
            "status": str(response.get("status", "")) if response else "",
            "error": str(e.get("error") or ""),
            "duration": f"{float(e['duration_ms']):.0f} ms" if isinstance(e.get("duration_ms"), (int, float)) else "",
            "started_at": str(e.get("started_at") or ""),
            "step": str(e.get("step") or ""),
            "check": str(e.get("check") or ""),
            "reproduce": str(e.get("reproduce") or ""),
            "request_headers": _json(request.get("headers") or {}),
            "request_body": str((request.get("body") or {}).get("text", "")),
            "response_headers": _json(response.get("headers") or {}) if response else "",
            "response_body": str((response.get("body") or {}).get("text", "")) if response else "",
        })
    return {"rows": rows, "total": len(items), "failing": len(failing), "omitted": max(0, len(items) - len(rows))}


#: subject rows an HTML report shows; a bulk run's record keeps the full list
HTML_SUBJECT_ROWS = 2000


def _shown_subjects(subjects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(subjects) <= HTML_SUBJECT_ROWS:
        return subjects
    bad = [s for s in subjects if s.get("verdict") not in (None, "pass")]
    shown = bad[:HTML_SUBJECT_ROWS]
    shown += [s for s in subjects if s.get("verdict") in (None, "pass")][: HTML_SUBJECT_ROWS - len(shown)]
    return sorted(shown, key=lambda s: s.get("index", 0))


def _subject(s: Mapping[str, Any]) -> dict[str, Any]:
    verdict = str(s.get("verdict") or "")
    return {
        "index": s.get("index"),
        "name": str(s.get("name", "")),
        "path": str(s.get("path") or ""),
        "media_type": str(s.get("media_type") or ""),
        "encoding": str(s.get("encoding") or ""),
        "size": _size(s.get("size")),
        "bytes": s.get("size"),
        "sha256": str(s.get("sha256") or ""),
        "verdict": verdict if verdict in VERDICT_TEXT else "",
        "verdict_text": VERDICT_TEXT.get(verdict),
        "error": as_text(s.get("error")) if s.get("error") else None,
    }


def _standard(std: Any) -> dict[str, Any]:
    if not isinstance(std, Mapping):
        return {"code": str(std), "title": None, "year": ""}
    return {
        "code": str(std.get("code", "")),
        "title": as_text(std.get("title")) if std.get("title") else None,
        "year": str(std.get("year") or ""),
    }


def _json(value: Any) -> str:
    # Small evidence reads best on one line; anything bigger gets indented.
    dumped = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if len(dumped) > _EVIDENCE_INLINE:
        dumped = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    if len(dumped) > _EVIDENCE_LIMIT:
        dumped = dumped[:_EVIDENCE_LIMIT] + "\n…"
    return dumped


def _when(value: Any) -> str:
    return str(value).replace("T", " ", 1) if value else ""


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_option_value(v) for v in value)
    return str(value)


__all__ = ["MAX_FINDINGS", "MAX_PASS_FINDINGS", "build_context", "render_html"]

