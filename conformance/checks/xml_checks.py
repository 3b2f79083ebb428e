"""Generic XML checks: well-formedness, prolog, XPath assertions."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any

from lxml import etree

from ..findings import Finding, Location
from ..i18n import as_text, text
from ..subject import SubjectError, declared_xml_encoding
from ..verdicts import Verdict
from . import register_check
from .call import CheckCall, FastTest, parsed_is_enough
from .display import MAX_SHOWN, shorten

EXSLT_REGEX = "http://exslt.org/regular-expressions"
_TEXT = {"$ref": "#/$defs/text"}
_DEFS = {
    "text": {
        "oneOf": [
            {"type": "string"},
            {"type": "object", "required": ["zh", "en"], "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
        ]
    }
}


def _fast_wellformed(_binding: Any, _context: Any) -> FastTest:
    return parsed_is_enough


@register_check(
    "xml-wellformed",
    fast=_fast_wellformed,
    media_types=("xml",),
    parse_error_verdict=Verdict.FAIL,
    description=text("XML 格式良好（安全解析器）", "XML is well-formed (safe parser)"),
    params={"type": "object", "additionalProperties": False, "properties": {}},
)
def xml_wellformed(call: CheckCall) -> Iterator[Finding]:
    call.subject.xml()  # parses, or raises what is wrong; nothing to report otherwise (implicit pass)
    return iter(())


@register_check(
    "xml-prolog",
    media_types=("xml",),
    parse_error_verdict=Verdict.INCONCLUSIVE,
    description=text("XML 声明、编码、字节序标记与 DOCTYPE", "XML declaration, encoding, BOM and DOCTYPE"),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "require_declaration": {"type": "boolean"},
            "require_encoding_declaration": {"type": "boolean"},
            "encodings": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "bom": {"enum": ["allow", "forbid", "require"]},
            "forbid_doctype": {"type": "boolean"},
            "valid_encoding": {"type": "boolean", "description": "bytes must decode in the declared encoding"},
        },
    },
)
def xml_prolog(call: CheckCall) -> Iterator[Finding]:
    """Checks on the bytes before the document element; each binding says which."""
    data = call.subject.head()
    p = call.params
    loc = Location(file=call.subject.name, line=1, column=1)
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if has_bom else data
    declared = declared_xml_encoding(data)
    has_decl = body.startswith(b"<?xml") and body[5:6] in (b" ", b"\t", b"\r", b"\n")
    if p.get("bom") == "forbid" and has_bom:
        yield call.fail(text("文档以字节序标记开头，不允许", "the document starts with a byte-order mark, which is not allowed"), location=loc)
    if p.get("bom") == "require" and not has_bom:
        yield call.fail(text("文档缺少字节序标记", "the document has no byte-order mark"), location=loc)
    if p.get("require_declaration") and not has_decl:
        yield call.fail(
            text("文档必须以 XML 声明开头（仅字节序标记可在其前）",
                 "the document must begin with an XML declaration (only a byte-order mark may precede it)"),
            location=loc,
            evidence={"start": body[:40].decode("latin-1")},
        )
    if p.get("require_encoding_declaration") and has_decl and declared is None:
        yield call.fail(text("XML 声明缺少 encoding", "the XML declaration has no encoding declaration"), location=loc)
    allowed = p.get("encodings")
    if allowed and declared is not None and declared.lower() not in {e.lower() for e in allowed}:
        yield call.fail(
            text(f"声明的编码 “{declared}” 不被允许；允许：{', '.join(allowed)}",
                 f"declared encoding '{declared}' is not allowed; allowed: {', '.join(allowed)}"),
            location=loc,
            evidence={"declared": declared},
        )
    if allowed and declared is None and has_decl and not p.get("require_encoding_declaration"):
        # No encoding declaration means UTF-8 per XML 1.0 section 4.3.3.
        if "utf-8" not in {e.lower() for e in allowed}:
            yield call.fail(text("未声明编码（视为 UTF-8），不被允许", "no encoding declared (UTF-8 implied), which is not allowed"), location=loc)
    if p.get("valid_encoding"):
        enc = declared or "utf-8"
        try:
            codecs.lookup(enc)
        except LookupError:
            yield call.fail(text(f"未知的编码名称 “{enc}”", f"unknown encoding name '{enc}'"), location=loc)
        else:
            bad = _first_undecodable(call, enc, skip=3 if has_bom else 0)
            if bad is not None:
                offset, line, col, sample = bad
                yield call.fail(
                    text(f"第 {offset} 字节不是有效的 {enc} 字节序列", f"byte {offset} is not a valid {enc} sequence"),
                    location=Location(file=call.subject.name, line=line, column=col),
                    evidence={"offset": offset, "bytes": sample},
                )
    if p.get("forbid_doctype"):
        doctype_line = _doctype_line(call, body)
        if doctype_line is not None:
            yield call.fail(
                text("文档含有文档类型声明（<!DOCTYPE），不允许", "the document contains a document type declaration (<!DOCTYPE), which is not allowed"),
                location=Location(file=call.subject.name, line=doctype_line),
            )


def _first_undecodable(call: CheckCall, enc: str, skip: int) -> tuple[int, int, int, str] | None:
    """Stream the file through an incremental decoder; (offset, line, column, hex) of the first bad byte."""
    decoder = codecs.getincrementaldecoder(enc)("strict")
    consumed = 0  # absolute offset of the start of the current chunk
    lines = 1  # line number at the start of the current chunk
    last_nl = -1  # absolute offset of the last newline before the current chunk
    first = True
    for chunk in call.subject.chunks():
        if first:
            chunk, first, consumed = chunk[skip:], False, skip
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            pending = len(exc.object) - len(chunk)  # bytes the decoder held back from earlier chunks
            offset = consumed - pending + exc.start
            pos = max(0, offset - consumed)
            before = chunk[:pos]
            nl = before.rfind(b"\n")
            line = lines + before.count(b"\n")
            col = offset - ((consumed + nl) if nl >= 0 else last_nl)
            return offset, line, col, exc.object[exc.start : exc.start + 8].hex()
        except UnicodeError:  # not a decode error: e.g. UTF-16/UTF-32 without a byte-order mark
            return consumed, lines, consumed - last_nl, chunk[:8].hex()
        nl = chunk.rfind(b"\n")
        if nl >= 0:
            lines += chunk.count(b"\n")
            last_nl = consumed + nl
        consumed += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeError:
        return consumed, lines, consumed - last_nl, ""
    return None


def _doctype_line(call: CheckCall, body: bytes) -> int | None:
    try:
        tree = call.subject.xml()
    except SubjectError:
        tree = None
    if tree is not None:
        if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
            idx = body.find(b"<!DOCTYPE")
            return body[:idx].count(b"\n") + 1 if idx >= 0 else 1
        return None
    # Not well-formed: still look for a DOCTYPE before the first element.
    head = body[:65536]
    idx = head.find(b"<!DOCTYPE")
    return head[:idx].count(b"\n") + 1 if idx >= 0 else None


_ASSERTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["test"],
    "properties": {
        "requirement": {"type": "string"},
        "context": {"type": "string"},
        "test": {"type": "string"},
        "message": _TEXT,
        "when_absent": {"enum": ["pass", "fail", "inconclusive", "not_applicable"]},
    },
}


@register_check(
    "xpath",
    media_types=("xml",),
    description=text("XPath 断言", "XPath assertions"),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["assertions"],
        "properties": {
            "namespaces": {"type": "object", "additionalProperties": {"type": "string"}},
            "assertions": {"type": "array", "minItems": 1, "items": _ASSERTION},
        },
        "$defs": _DEFS,
    },
)
def xpath_check(call: CheckCall) -> Iterator[Finding]:
    """For every node ``context`` selects, ``test`` (XPath 1.0 + EXSLT regex ``re:``) must be true."""
    tree = call.subject.xml()
    ns = {"re": EXSLT_REGEX, **call.namespaces}
    for i, a in enumerate(call.params["assertions"]):
        req = a.get("requirement") or call.requirement
        if req not in call.binding.requirements:
            yield call.error(text(f"断言 {i} 引用了未绑定的要求 {req}", f"assertion {i} names unbound requirement {req}"))
            continue
        if req not in call.applicable:
            continue
        try:
            contexts = _xpath(tree, a.get("context", "/*"), ns)
            if not isinstance(contexts, list):
                contexts = [tree.getroot()] if contexts else []
            found = False
            for node in contexts:
                found = True
                ok = _xpath(node, f"boolean({a['test']})", ns)
                if not ok:
                    value = node.text if isinstance(node, etree._Element) else str(node)
                    msg = as_text(a.get("message") or text(f"断言不成立：{a['test']}", f"assertion failed: {a['test']}"))
                    # An element without text (e.g. only an unexpanded entity reference)
                    # shows as empty, not as 'None'; a huge value shows its head.
                    msg = {k: v.replace("{value}", shorten(value, lang=k)) for k, v in msg.items()}
                    yield call.fail(msg, requirement=req, element=node,
                                    evidence={"test": a["test"], "value": value if value is None or len(value) <= MAX_SHOWN
                                              else shorten(value)})
        except etree.XPathError as exc:
            yield call.error(text(f"XPath 表达式错误：{exc}", f"XPath expression error: {exc}"),
                             requirement=req, evidence={"assertion": i})
            continue
        if not found:
            absent = Verdict(a.get("when_absent", "pass"))
            if absent is not Verdict.PASS:
                yield call.finding(absent, text(f"未找到上下文节点：{a.get('context')}", f"no context node: {a.get('context')}"),
                                   requirement=req)


_COMPILED: dict[tuple[str, frozenset[tuple[str, str]]], etree.XPath] = {}


def _xpath(node: Any, expr: str, ns: dict[str, str]) -> Any:
    # Compiled once per process: node.xpath() compiles the expression on every call,
    # which costs several times the evaluation on a small document.
    key = (expr, frozenset(ns.items()))
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) > 4096:  # expressions come from profiles: a bound, not a cache policy
            _COMPILED.clear()
        compiled = _COMPILED[key] = etree.XPath(expr, namespaces=ns, smart_strings=True)
    return compiled(node)
