"""A short Markdown summary of a run record, sized for a pull-request comment.

GitHub-flavoured Markdown: tables, ``<details>``, ``<br>`` in cells. Every piece of
text that comes from a payload, a profile or a check is escaped so that it can neither
break a table (``|``, newlines) nor turn into markup or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..i18n import Text, pick, text
from . import (
    LEVEL_TEXT,
    LEVELS,
    STATUS_TEXT,
    VERDICT_TEXT,
    VERDICTS,
    check_lang,
    is_gating,
    level_counts,
    location_text,
    non_passing,
    options_text,
    product_text,
    run_status,
    short,
)

#: Findings listed per requirement before "+N more".
MAX_FINDINGS = 3
#: Non-passing requirements listed before the rest are only counted.
MAX_ROWS = 50
_MESSAGE_LIMIT = 300

# Backslash-escaping any ASCII punctuation is valid CommonMark; these are the ones that
# can start emphasis, code, links, HTML, strikethrough, entities or math, or split a cell.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
# GitHub turns "@name" into a mention (a notification to that user) and "#12" into an
# issue link, even when escaped; a zero-width space after the sign stops both. An XPath
# such as "@b" in a finding must not ping user b.
_MENTION = re.compile(r"(?<![\w.])([@#])(?=[A-Za-z0-9])")

_L: dict[str, Text] = {
    "product": text("产品", "Product"),
    "role": text("角色", "Role"),
    "options": text("选项", "Options"),
    "standards": text("标准", "Standards"),
    "level": text("级别", "Level"),
    "total": text("合计", "Total"),
    "requirement": text("要求", "Requirement"),
    "clause": text("条款", "Clause"),
    "verdict": text("结论", "Verdict"),
    "findings": text("发现", "Findings"),
    "reason": text("原因", "Reason"),
    "warning": text("警告", "warning"),
    "waived": text("已豁免", "waived"),
    "run": text("运行", "run"),
    "digest": text("配置摘要", "profile digest"),
    "seed": text("随机种子", "seed"),
    "exit": text("退出码", "exit code"),
}


def render_markdown(record: Mapping[str, Any], *, lang: str = "en", max_findings: int = MAX_FINDINGS,
                    max_rows: int = MAX_ROWS) -> str:
    """The run record as Markdown for a PR comment."""
    check_lang(lang)

    def L(key: str) -> str:
        return pick(_L[key], lang)

    profile = record.get("profile") or {}
    ics = record.get("ics") or {}
    summary = record.get("summary") or {}
    requirements = list(record.get("requirements") or [])
    out: list[str] = []

    colon = "：" if lang == "zh" else ": "
    status = pick(STATUS_TEXT[run_status(record)], lang)
    title = pick(profile.get("title"), lang)
    ident = _code(f"{profile.get('id', '?')} {profile.get('version', '')}".strip())
    out.append(f"### {status}{colon}{_esc(title)} ({ident})" if title else f"### {status}{colon}{ident}")
    out.append("")

    facts = []
    if product_text(ics):
        facts.append(f"**{L('product')}{colon.strip()}** {_esc(product_text(ics))}")
    if ics.get("role"):
        facts.append(f"**{L('role')}{colon.strip()}** {_esc(str(ics['role']))}")
    if options_text(ics):
        facts.append(f"**{L('options')}{colon.strip()}** {_esc(options_text(ics))}")
    if facts:
        out.append(" · ".join(facts) + "  ")
    standards = [_standard(s, lang) for s in profile.get("standards") or []]
    if standards:
        out.append(f"**{L('standards')}{colon.strip()}** " + "; ".join(standards) + "  ")
    out.append(_totals(record, requirements, lang))
    out.append("")

    if not record.get("complete", True):
        why = record.get("interruption") or ""
        if lang == "zh":
            out.append(f"> **运行未完成**：{_esc(why)}。结果只覆盖中断前检查过的测试对象。")
        else:
            out.append(f"> **Incomplete run**: {_esc(why)}. The results cover only the subjects "
                       "checked before the run stopped.")
        out.append("")

    out.extend(_counts_table(record, lang))
    out.append("")

    failing = [r for r in requirements
               if r.get("applicable", True) and r.get("verdict") not in ("pass", "not_applicable")]
    if failing:
        # Gating requirements first: they are what the PR author has to fix.
        failing.sort(key=lambda r: 0 if is_gating(r) else 1)
        heading = text(f"未满足的要求（{len(failing)}）", f"Requirements not met ({len(failing)})")
        out.append(f"#### {pick(heading, lang)}")
        out.append("")
        out.append(f"| {L('requirement')} | {L('clause')} | {L('level')} | {L('verdict')} | {L('findings')} |")
        out.append("|---|---|---|---|---|")
        for req in failing[:max_rows]:
            out.append(_failing_row(req, lang, max_findings))
        if len(failing) > max_rows:
            more = len(failing) - max_rows
            out.append("")
            out.append(pick(text(f"……另有 {more} 项要求未列出（见运行记录）。",
                                 f"… {more} more requirements not listed (see the run record)."), lang))
        out.append("")

    excluded = [r for r in requirements if not r.get("applicable", True) or r.get("verdict") == "not_applicable"]
    if excluded:
        label = pick(text(f"不适用的要求（{len(excluded)}）", f"Not applicable ({len(excluded)})"), lang)
        out.append(f"<details><summary>{label}</summary>")
        out.append("")
        out.append(f"| {L('requirement')} | {L('clause')} | {L('level')} | {L('reason')} |")
        out.append("|---|---|---|---|")
        for req in excluded[:max_rows]:
            reason = _esc(short(pick(req.get("reason"), lang), _MESSAGE_LIMIT))
            out.append(f"| {_esc(str(req.get('id', '')))} | {_esc(str(req.get('clause', '')))} "
                       f"| {_level(req, lang)} | {reason} |")
        if len(excluded) > max_rows:
            out.append("")
            out.append(f"… +{len(excluded) - max_rows}")
        out.append("")
        out.append("</details>")
        out.append("")

    out.extend(_exchanges(record, lang))

    tool = record.get("tool") or {}
    digest = (profile.get("digest") or {}).get("value", "")
    foot = [f"{_esc(str(tool.get('name', '')))} {_esc(str(tool.get('version', '')))}".strip()]
    foot.append(f"{L('run')} {_code(str(record.get('run_id', '')))}")
    if digest:
        foot.append(f"{L('digest')} {_code('sha256:' + str(digest)[:16] + '…')}")
    if record.get("seed") is not None:
        foot.append(f"{L('seed')} {record['seed']}")
    if summary.get("exit_code") is not None:
        foot.append(f"{L('exit')} {summary['exit_code']}")
    out.append("<sub>" + " · ".join(p for p in foot if p) + "</sub>")
    return "\n".join(out) + "\n"


#: Failing exchanges listed with their reproduction command.
MAX_EXCHANGES = 10


def _exchanges(record: Mapping[str, Any], lang: str) -> list[str]:
    """Failing live exchanges with their curl reproduction (secrets stay redacted)."""
    from .html import failing_exchange_indexes

    failing = failing_exchange_indexes(record)
    rows = [e for e in record.get("exchanges") or [] if e.get("index") in failing]
    if not rows:
        return []
    out = [f"#### {pick(text(f'未通过的交互（{len(rows)}）', f'Failing exchanges ({len(rows)})'), lang)}", ""]
    for e in rows[:MAX_EXCHANGES]:
        response = e.get("response") or {}
        status = response.get("status", e.get("error") or "-")
        index, method, url = e.get("index"), str(e.get("method", "")), str(e.get("url", ""))
        head = f"{_code(f'#{index}')} {_esc(method)} {_code(url)} → {_esc(str(status))}"
        if e.get("step"):
            head += f" · {_esc(str(e['step']))}"
        out.append(f"- {head}")
        if e.get("reproduce"):
            cmd = str(e["reproduce"])
            fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", cmd)), default=0) + 1)
            out.append("")
            out.append(f"  {fence}sh")
            out.extend(f"  {line}" for line in cmd.splitlines())
            out.append(f"  {fence}")
    if len(rows) > MAX_EXCHANGES:
        out.append(f"- … +{len(rows) - MAX_EXCHANGES}")
    out.append("")
    return out


def _totals(record: Mapping[str, Any], requirements: list[Mapping[str, Any]], lang: str) -> str:
    applicable = sum(1 for r in requirements if r.get("applicable", True) and r.get("verdict") != "not_applicable")
    gating = sum(1 for r in requirements if is_gating(r))
    warnings = sum(1 for r in requirements if r.get("applicable", True)
                   and r.get("verdict") not in ("pass", "not_applicable") and not is_gating(r))
    subjects = (record.get("subjects_summary") or {}).get("total", len(record.get("subjects") or []))
    if lang == "zh":
        return (f"共 {len(requirements)} 项要求，适用 {applicable} 项 · “应”未满足 {gating} 项 · "
                f"警告 {warnings} 项 · {subjects} 个测试对象")
    return (f"{len(requirements)} requirements, {applicable} applicable · {gating} MUST not met · "
            f"{warnings} warning{'' if warnings == 1 else 's'} · {subjects} subjects")


def _counts_table(record: Mapping[str, Any], lang: str) -> list[str]:
    counts = level_counts(record)
    header = [pick(_L["level"], lang)] + [pick(VERDICT_TEXT[v], lang) for v in VERDICTS]
    rows = ["| " + " | ".join(header) + " |", "|:--" + "|--:" * len(VERDICTS) + "|"]
    totals = {v: 0 for v in VERDICTS}
    for level in LEVELS:
        row = counts.get(level, {})
        if not any(row.values()):
            continue
        for v in VERDICTS:
            totals[v] += row.get(v, 0)
        rows.append(f"| {pick(LEVEL_TEXT[level], lang)} | " + " | ".join(str(row.get(v, 0)) for v in VERDICTS) + " |")
    rows.append(f"| **{pick(_L['total'], lang)}** | " + " | ".join(f"**{totals[v]}**" for v in VERDICTS) + " |")
    return rows


def _failing_row(req: Mapping[str, Any], lang: str, max_findings: int) -> str:
    verdict = str(req.get("verdict", "error"))
    shown = pick(VERDICT_TEXT.get(verdict, text(verdict, verdict)), lang)
    if is_gating(req):
        shown = f"**{shown}**"
        waiver = req.get("waiver") or {}
        if waiver.get("expired"):
            note = pick(text(f"豁免已于 {waiver.get('expires')} 过期", f"waiver expired {waiver.get('expires')}"), lang)
            shown += f"（{_esc(note)}）" if lang == "zh" else f" ({_esc(note)})"
    else:
        note = pick(_L["waived" if req.get("waived") else "warning"], lang)
        shown += f"（{note}）" if lang == "zh" else f" ({note})"
    bad = non_passing(list(req.get("findings") or []))
    items = []
    for f in bad[:max_findings]:
        where = location_text(f.get("location"), lang)
        message = _esc(_clip(pick(f.get("message"), lang), _MESSAGE_LIMIT))
        items.append(f"{_code(where)} {message}" if where else message)
    if len(bad) > max_findings:
        more = len(bad) - max_findings
        items.append(pick(text(f"另有 {more} 条", f"+{more} more"), lang))
    return (f"| {_esc(str(req.get('id', '')))} | {_esc(str(req.get('clause', '')))} | {_level(req, lang)} "
            f"| {shown} | {'<br>'.join(items)} |")


def _level(req: Mapping[str, Any], lang: str) -> str:
    level = str(req.get("level", ""))
    return pick(LEVEL_TEXT.get(level, text(level, level)), lang)


def _standard(std: Any, lang: str) -> str:
    if not isinstance(std, Mapping):
        return _esc(str(std))
    out = str(std.get("code", ""))
    title = pick(std.get("title"), lang) if std.get("title") else ""
    if title:
        out = f"{out} {title}".strip()
    if std.get("year"):
        out += f" ({std['year']})"
    return _esc(out)


def _clip(value: str, limit: int) -> str:
    """Runs of spaces collapsed and blank lines dropped (line breaks kept), cut at ``limit``."""
    lines = [" ".join(line.split()) for line in value.splitlines()]
    flat = "\n".join(line for line in lines if line)
    return flat if len(flat) <= limit else flat[: max(1, limit - 1)].rstrip() + "…"


def _esc(value: str) -> str:
    """Text safe inside a GFM table cell: markup characters escaped, newlines as <br>."""
    escaped = _MENTION.sub("\\1\u200b", _MD_SPECIAL.sub(r"\\\1", value))
    return re.sub(r"\r\n|\r|\n", "<br>", escaped)


def _code(value: str) -> str:
    """An inline code span holding ``value`` verbatim (pipes still escaped: GFM splits
    table cells before it parses code spans)."""
    flat = " ".join(value.split()).replace("|", "\\|")
    if not flat:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


__all__ = ["MAX_FINDINGS", "MAX_ROWS", "render_markdown"]
