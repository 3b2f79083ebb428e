"""A CONTRL-like summary of the syntax errors of an interchange, and its CONTRL text.

Only issues that carry a syntax error code (0085) are CONTRL matters: syntax, service
segments, control counts, segment tables and directory code values. ISO 6346 numbers
and SMDG usage rules are application matters (an APERAK would carry them) and stay out.
Action codes (0083): 4 = rejected, 7 = this level acknowledged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .analysis import Analysis, analyse
from .syntax import DEFAULT_CHARS, release

_TAG = 12  # a tag is 3 characters; a longer one is shown in part
_VALUE = 70  # UNB/UNH identifiers are at most 35 characters (an..35), composites a little more


def _cut(value: Any) -> Any:
    return value[:_VALUE] if isinstance(value, str) else value


_MESSAGE_LEVEL = {"EDI-UNH-1", "EDI-UNT-1", "EDI-UNH-2", "EDI-UNH-3", "EDI-MSG-1", "EDI-MSG-2"}


def contrl_report(source: bytes | Analysis, **analyse_kw: Any) -> dict[str, Any]:
    """The CONTRL-like structure of an interchange (bytes) or of a finished analysis."""
    a = source if isinstance(source, Analysis) else analyse(source, **analyse_kw)
    # Values are cut to their longest lawful size: a hostile file's "tag" or reference
    # can be megabytes long, and the report is copied into the run record.
    tags = {s.number: s.tag[:_TAG] for s in a.tokens.segments} if a.tokens else {}
    inter: dict[str, Any] = {
        "reference": _cut(a.interchange.get("reference", "")), "sender": _cut(a.interchange.get("sender", "")),
        "recipient": _cut(a.interchange.get("recipient", "")), "action": "7", "errors": [],
    }
    messages: list[dict[str, Any]] = []
    for m in a.messages:
        messages.append({"reference": _cut(m.reference), "type": _cut(m.type), "version": _cut(m.version),
                         "release": _cut(m.release), "agency": _cut(m.agency), "action": "7", "errors": [], "segments": []})
    seg_index: dict[tuple[int, int], dict[str, Any]] = {}
    for issue in a.issues:
        if issue.contrl is None:
            continue
        entry = {"error": issue.contrl, "requirement": issue.requirement, "segment": issue.segment}
        if issue.message is None:
            inter["errors"].append({**entry, "tag": tags.get(issue.segment or -1, ""), "element": issue.element})
            inter["action"] = "4"
            continue
        msg = messages[issue.message]
        msg["action"] = "4"
        if issue.requirement in _MESSAGE_LEVEL:
            msg["errors"].append({**entry, "tag": tags.get(issue.segment or -1, ""), "element": issue.element})
            continue
        key = (issue.message, issue.position or 0)
        seg = seg_index.get(key)
        if seg is None:
            seg = {"position": issue.position, "tag": tags.get(issue.segment or -1, ""), "segment": issue.segment,
                   "error": None, "elements": []}
            seg_index[key] = seg
            msg["segments"].append(seg)
        if issue.element and issue.element != "tag":
            seg["elements"].append({"position": issue.element, "error": issue.contrl, "requirement": issue.requirement})
        elif seg["error"] is None:
            seg["error"] = issue.contrl
            seg["requirement"] = issue.requirement
    for msg in messages:
        msg["segments"].sort(key=lambda s: s["position"] or 0)
    return {"interchange": inter, "messages": messages,
            "rejected": inter["action"] == "4" or any(m["action"] == "4" for m in messages)}


def render_contrl(report: dict[str, Any], *, reference: str = "1", syntax: str = "UNOA", version: str = "3",
                  now: dt.datetime | None = None, line_breaks: bool = True) -> str:
    """CONTRL message text answering the interchange ``report`` describes."""
    chars = DEFAULT_CHARS
    now = now or dt.datetime(2000, 1, 1)
    r = lambda v: release(str(v), chars)  # noqa: E731
    inter = report["interchange"]
    date = now.strftime("%Y%m%d" if version == "4" else "%y%m%d")
    segs: list[str] = []
    uci = f"UCI+{r(inter['reference'])}+{r(inter['sender'])}+{r(inter['recipient'])}+{inter['action']}"
    if inter["errors"]:
        e = inter["errors"][0]
        uci += f"+{e['error']}+{r(e['tag'])}"
    segs.append(uci)
    for m in report["messages"]:
        ucm = f"UCM+{r(m['reference'])}+{r(m['type'])}:{r(m['version'])}:{r(m['release'])}:{r(m['agency'])}+{m['action']}"
        if m["errors"]:
            e = m["errors"][0]
            ucm += f"+{e['error']}+{r(e['tag'])}"
        segs.append(ucm)
        for s in m["segments"]:
            segs.append(f"UCS+{s['position']}" + (f"+{s['error']}" if s["error"] is not None else ""))
            for d in s["elements"]:
                el, _, comp = d["position"].partition(".")
                segs.append(f"UCD+{d['error']}+{el}" + (f":{comp}" if comp and comp != "1" else ""))
    message_id = "CONTRL:4:1:UN" if version == "4" else "CONTRL:D:3:UN"
    body = [f"UNH+1+{message_id}", *segs]
    body.append(f"UNT+{len(body) + 1}+1")
    all_segs = [chars.una(), f"UNB+{syntax}:{version}+{r(inter['recipient'])}+{r(inter['sender'])}+{date}:{now:%H%M}+{r(reference)}",
                *body, f"UNZ+1+{r(reference)}"]
    sep = "\n" if line_breaks else ""
    out = all_segs[0] + sep + sep.join(s + chars.terminator for s in all_segs[1:])
    return out + sep
