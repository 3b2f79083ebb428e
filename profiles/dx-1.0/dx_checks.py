"""DX 1.0 domain checks: what XSD and XPath cannot say.

Check characters (Annex A), date validity, the clock (6.6.2), record tables (7.3),
XML signatures (8.2) and content decryption (8.3). Each check yields findings only for
requirements its binding lists (``_Emit`` drops the others), so a profile may bind a
check to a subset of what it can judge.
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import hashlib
import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.checks import get_check, register_check
from conformance.checks.call import CheckCall
from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.subject import SubjectError, declared_xml_encoding
from conformance.verdicts import Verdict
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="dx_1_0")


crypto = _load_sibling("dx_crypto")

DX = crypto.DX_NS
DS = crypto.DS_NS
_OBJ = {"type": "object"}


def q(local: str, ns: str = DX) -> str:
    return f"{{{ns}}}{local}"


def value(el: Any) -> str:
    """3.3: the text as parsed, not trimmed (comments inside are not part of it)."""
    return el.xpath("string()") if el is not None else ""


class _Emit:
    """Findings for the binding's own requirements only."""

    def __init__(self, call: CheckCall):
        self.call = call
        self.bound = set(call.binding.requirements) & set(call.applicable)

    def __call__(self, verdict: Verdict, req: str, zh: str, en: str, element: Any = None,
                 evidence: Any = None, location: Location | None = None) -> Iterator[Finding]:
        if req in self.bound:
            kw: dict[str, Any] = {"requirement": req, "evidence": evidence}
            if location is not None:
                kw["location"] = location
            elif element is not None:
                kw["element"] = element
            yield self.call.finding(verdict, text(zh, en), **kw)


FAIL, INCONCLUSIVE = Verdict.FAIL, Verdict.INCONCLUSIVE

# ============================================================== 4.6 byte-order mark


@register_check("dx-bom", media_types=("xml",), params={"type": "object", "additionalProperties": False},
                description=text("字节序标记仅限 UTF-8 文档（4.6）", "a byte-order mark only for UTF-8 (4.6)"))
def dx_bom(call: CheckCall) -> Iterator[Finding]:
    head = call.subject.head(1024)
    if not head.startswith(codecs.BOM_UTF8):
        return
    declared = declared_xml_encoding(head)
    if declared is not None and declared.lower() not in ("utf-8", "utf8"):
        yield from _Emit(call)(
            FAIL, "DX-4.6", f"字节序标记 EF BB BF 仅允许出现在 UTF-8 文档前，本文档声明为 {declared}",
            f"the byte-order mark EF BB BF may only precede a UTF-8 document; this one declares {declared}",
            location=Location(file=call.subject.name, line=1, column=1), evidence={"declared": declared})


# ============================================================== 10.4 batch MessageIDs


@register_check("dx-batch-ids", media_types=("xml",), params={"type": "object", "additionalProperties": False},
                description=text("批量文件中 MessageID 两两不同（10.4）", "distinct MessageIDs in a batch (10.4)"))
def dx_batch_ids(call: CheckCall) -> Iterator[Finding]:
    """Streams the file again for the MessageIDs (the skeleton has none).

    The first pass sets one bit per MessageID in a bitmap sized to the file (a 1 GB
    batch: 16 MiB, whatever the number of roots) and notes the bits already set. Only
    MessageIDs on those bits are compared as text, in a second pass, so a shared bit
    never becomes a finding and memory does not hold a million MessageIDs.
    """
    tree = call.subject.xml()
    if tree.getroot().tag != q("batch"):
        return
    emit = _Emit(call)
    bits = _bitmap_bits(call)
    seen = bytearray(bits // 8)
    repeated: set[int] = set()
    try:
        for _root_no, mid, _line in _batch_message_ids(call):
            bit = _digest64(mid) & (bits - 1)
            byte, mask = bit >> 3, 1 << (bit & 7)
            if seen[byte] & mask:
                repeated.add(bit)
            else:
                seen[byte] |= mask
        del seen
        if not repeated:
            return
        first: dict[str, int] = {}
        for root_no, mid, line in _batch_message_ids(call):
            if _digest64(mid) & (bits - 1) not in repeated:
                continue
            if mid in first:
                loc = Location(file=call.subject.name, line=line,
                               xpath=f"/dx:batch/dx:root[{root_no}]/dx:header[1]/dx:MessageID[1]")
                yield from emit(FAIL, "DX-10.4", f"MessageID {mid} 与第 {first[mid]} 个 root 重复",
                                f"MessageID {mid} repeats that of root {first[mid]}", location=loc,
                                evidence={"message_id": mid, "first_root": first[mid], "root": root_no})
            else:
                first[mid] = root_no
    except etree.XMLSyntaxError:
        return  # DX-4.1 reports it


def _bitmap_bits(call: CheckCall) -> int:
    """A power of two, about 16 bits per root a file of this size can hold (a root is
    at least ~200 octets), so few MessageIDs share a bit; 2**16 at least."""
    try:
        size = call.subject.path.stat().st_size if call.subject.path is not None else len(call.subject.data())
    except OSError:
        size = 0
    return 1 << max(16, min(34, (size // 200 * 16).bit_length()))


def _digest64(mid: str) -> int:
    return int.from_bytes(hashlib.blake2b(mid.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def _batch_message_ids(call: CheckCall) -> Iterator[tuple[int, str, int | None]]:
    """(root number, MessageID, line) of each root of a batch, streamed."""
    source: Any = str(call.subject.path) if call.subject.path is not None else io.BytesIO(call.subject.data())
    position = 0
    # Only MessageID and root elements reach Python; finished roots are dropped, so
    # memory does not grow with the file.
    for _event, el in etree.iterparse(source, events=("end",), tag=(q("MessageID"), q("root")),
                                      resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False):
        if el.tag == q("MessageID"):
            header = el.getparent()
            root = header.getparent() if header is not None else None
            if header is None or header.tag != q("header") or root is None or root.tag != q("root"):
                continue
            yield position + 1, value(el), el.sourceline
        elif el.tag == q("root") and el.getparent() is not None and el.getparent().tag == q("batch"):
            position += 1
            el.clear(keep_tail=False)
            batch = el.getparent()
            while el.getprevious() is not None:
                del batch[0]


# ============================================================== 6.3.2, 6.6 header values

_CREATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|([+-])([0-9]{2}):([0-9]{2}))")
_SYSTEM_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}-[0-9]{3}")


def parse_create_time(raw: str) -> tuple[dt.datetime | None, str | None]:
    """(aware datetime, None) or (None, why it is not a 6.6.1 value)."""
    m = _CREATE_TIME.fullmatch(raw)
    if not m:
        return None, "form"
    y, mo, d, hh, mm, ss = (int(m.group(i)) for i in range(1, 7))
    if hh > 23 or mm > 59 or ss > 59:
        return None, "time"
    try:
        date = dt.date(y, mo, d)
    except ValueError:
        return None, "date"
    if m.group(8) == "Z":
        tz = dt.timezone.utc
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        if om > 59 or oh * 60 + om > 14 * 60:
            return None, "offset"
        sign = -1 if m.group(9) == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=oh, minutes=om))
    frac = m.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    return dt.datetime(date.year, date.month, date.day, hh, mm, ss, micro, tzinfo=tz), None


@register_check("dx-header", media_types=("xml",),
                params={"type": "object", "additionalProperties": False,
                        "properties": {"max_future_seconds": {"type": "integer", "minimum": 0}}},
                description=text("系统编码校验码与创建时间（6.3.2、6.6）", "system-code check characters and CreateTime (6.3.2, 6.6)"))
def dx_header(call: CheckCall) -> Iterator[Finding]:
    root = call.subject.xml().getroot()
    header = root.find(q("header"))
    if header is None:
        return
    emit = _Emit(call)
    for name in ("SenderCode", "ReceiverCode"):
        el = header.find(q(name))
        code = value(el)
        if el is not None and _SYSTEM_CODE.fullmatch(code) and not crypto.uscc_valid(code[:18]):
            yield from emit(FAIL, "DX-6.3.2",
                            f"{name} “{code}” 的第 18 位应为校验码 {crypto.uscc_check_char(code[:17])}",
                            f"{name} '{code}': the 18th character must be the check character {crypto.uscc_check_char(code[:17])}",
                            element=el, evidence={"value": code})
    el = header.find(q("CreateTime"))
    if el is None:
        return
    raw = value(el)
    when, why = parse_create_time(raw)
    if when is None:
        reasons = {"form": ("格式应为 YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)", "must be YYYY-MM-DDThh:mm:ss[.f](Z|+-hh:mm), with a time zone"),
                   "time": ("时、分、秒超出范围", "hour, minute or second out of range"),
                   "date": ("不是有效的公历日期", "is not a valid Gregorian date"),
                   "offset": ("时区偏移超出 ±14:00", "time-zone offset beyond +-14:00")}[why or "form"]
        yield from emit(FAIL, "DX-6.6.1", f"CreateTime “{raw}” {reasons[0]}", f"CreateTime '{raw}' {reasons[1]}",
                        element=el, evidence={"value": raw})
        return
    limit = call.params.get("max_future_seconds", 300)
    ahead = (when - call.context.now).total_seconds()
    if ahead > limit:
        yield from emit(FAIL, "DX-6.6.2", f"CreateTime {raw} 比校验方时钟 {call.context.now.isoformat()} 晚 {ahead:.0f} 秒（上限 {limit} 秒）",
                        f"CreateTime {raw} is {ahead:.0f} s later than the validator's clock {call.context.now.isoformat()} (limit {limit} s)",
                        element=el, evidence={"value": raw, "clock": call.context.now.isoformat(), "ahead_seconds": ahead})


# ============================================================== 7.2.1, 7.3, 7.4 records

_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_SEQ = re.compile(r"[1-9][0-9]*")


def valid_date(raw: str) -> bool:
    m = _DATE.fullmatch(raw)
    if not m:
        return False
    try:
        dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return True
    except ValueError:
        return False


def id_number_problem(raw: str) -> tuple[str, str] | None:
    if not _ID_NUMBER.fullmatch(raw):
        return "应为 17 位数字加一位数字或大写 X", "must be 17 digits and a digit or uppercase X"
    if not valid_date(f"{raw[6:10]}-{raw[10:12]}-{raw[12:14]}"):
        return "第 7–14 位不是有效日期", "positions 7-14 are not a valid date"
    if not crypto.id_valid(raw):
        c = crypto.id_check_char(raw[:17])
        return f"校验码应为 {c}", f"the check character must be {c}"
    return None


def uscc_problem(raw: str) -> tuple[str, str] | None:
    if len(raw) != 18 or any(c not in crypto.USCC_ALPHABET for c in raw):
        return "应为 18 个取自 0-9 A-H J-N P Q R T U W X Y 的字符", "must be 18 characters from 0-9 A-H J-N P Q R T U W X Y"
    if not crypto.uscc_valid(raw):
        c = crypto.uscc_check_char(raw[:17])
        return f"校验码应为 {c}", f"the check character must be {c}"
    return None


@register_check("dx-records", media_types=("xml",),
                params={"type": "object", "additionalProperties": False, "required": ["tables"],
                        "properties": {"tables": {"type": "object", "additionalProperties": {
                            "type": "object", "required": ["order", "mandatory"], "additionalProperties": False,
                            "properties": {"order": {"type": "string"}, "key": {"type": "string"},
                                           "mandatory": {"type": "array", "items": {"type": "string"}}}}},
                            "dates": {"type": "array", "items": {"type": "string"}},
                            "uscc": {"type": "array", "items": {"type": "string"}},
                            "id_numbers": {"type": "array", "items": {"type": "string"}}}},
                description=text("记录序号、表结构、主键、日期与校验码（7.2–7.4）", "record seq, tables, keys, dates and check characters (7.2-7.4)"))
def dx_records(call: CheckCall) -> Iterator[Finding]:
    root = call.subject.xml().getroot()
    data = root.find(q("data"))
    if data is None:
        return
    emit = _Emit(call)
    p = call.params
    doctype = value(root.find(f"{q('header')}/{q('DocType')}"))
    table = p["tables"].get(doctype)
    order = call.cached(("dx-order", table["order"]), lambda: re.compile(table["order"])) if table else None
    dates, usccs, ids = set(p.get("dates", ())), set(p.get("uscc", ())), set(p.get("id_numbers", ()))
    keys: dict[str, int] = {}
    for i, rec in enumerate(data.iterchildren(q("record")), 1):
        seq = rec.get("seq")
        if seq is None or not _SEQ.fullmatch(seq) or int(seq) != i:
            yield from emit(FAIL, "DX-7.2.1", f"第 {i} 个 record 的 seq 应为 {i}，实际为 {seq!r}",
                            f"record {i} must carry seq=\"{i}\", not {seq!r}", element=rec, evidence={"seq": seq, "position": i})
        children = [c for c in rec if isinstance(c.tag, str)]
        if table is not None:
            names = "".join((etree.QName(c).localname if etree.QName(c).namespace == DX else c.tag) + " " for c in children)
            if not order.fullmatch(names):
                yield from emit(FAIL, "DX-7.3.1", f"{doctype} 记录的子元素（{names.strip()}）不符合表的元素、顺序或次数",
                                f"the children of this {doctype} record ({names.strip()}) are not the table's elements in table order",
                                element=rec, evidence={"children": names.split()})
            edit = rec.get("editType")
            present = {etree.QName(c).localname for c in children if etree.QName(c).namespace == DX}
            if edit in ("1", "2"):
                missing = [m for m in table["mandatory"] if m not in present]
                if missing:
                    yield from emit(FAIL, "DX-7.3.2", f"editType 为 {edit} 的记录缺少必选元素：{', '.join(missing)}",
                                    f"a record with editType {edit} lacks mandatory element(s): {', '.join(missing)}",
                                    element=rec, evidence={"missing": missing})
            key = table.get("key")
            if edit == "3" and key and key not in present:
                yield from emit(FAIL, "DX-7.3.3a", f"editType 为 3 的记录缺少主键元素 {key}",
                                f"a record with editType 3 lacks its key element {key}", element=rec)
            if key:
                key_el = rec.find(q(key))
                if key_el is not None:
                    kv = value(key_el)
                    if kv in keys:
                        yield from emit(FAIL, "DX-7.3.4", f"主键 {key} “{kv}” 与第 {keys[kv]} 条记录重复",
                                        f"key {key} '{kv}' repeats that of record {keys[kv]}", element=key_el,
                                        evidence={"key": kv, "first_record": keys[kv]})
                    else:
                        keys[kv] = i
        for c in children:
            if len(c) and any(isinstance(g.tag, str) for g in c):
                yield from emit(FAIL, "DX-7.3.1", "记录的元素应只含文本", "a record element must contain only text", element=c)
            if etree.QName(c).namespace != DX:
                continue
            local = etree.QName(c).localname
            raw = value(c)
            if local in dates and not valid_date(raw):
                yield from emit(FAIL, "DX-7.4.1", f"{local} “{raw}” 不是 YYYY-MM-DD 格式的有效日期",
                                f"{local} '{raw}' is not a valid YYYY-MM-DD date", element=c, evidence={"value": raw})
            elif local in usccs and (why := uscc_problem(raw)):
                yield from emit(FAIL, "DX-7.4.4", f"统一社会信用代码 “{raw}” {why[0]}", f"USCC '{raw}' {why[1]}",
                                element=c, evidence={"value": raw})
            elif local in ids and (why := id_number_problem(raw)):
                yield from emit(FAIL, "DX-7.4.5", f"公民身份号码 “{raw}” {why[0]}", f"citizen ID number '{raw}' {why[1]}",
                                element=c, evidence={"value": raw})


# ============================================================== 8.2 signature


@dataclass
class SignatureState:
    """The outcome of clause 8.2 for one root, computed once and shared with 8.3."""

    results: list[tuple[Verdict, str, str, str, Any, Any]] = field(default_factory=list)
    trusted: bool = True  # a required or present signature exists and every 8.2 rule holds
    present: bool = False

    def add(self, verdict: Verdict, req: str, zh: str, en: str, element: Any = None, evidence: Any = None) -> None:
        self.results.append((verdict, req, zh, en, element, evidence))
        self.trusted = False


def _algorithm(parent: Any, local: str) -> tuple[Any, str | None]:
    el = parent.find(q(local, DS)) if parent is not None else None
    return el, (el.get("Algorithm") if el is not None else None)


def _resolve(root: Any, uri: str | None) -> list[Any]:
    if not uri or not uri.startswith("#") or len(uri) < 2:
        return []
    target = uri[1:]
    return [el for el in root.iter() if isinstance(el.tag, str) and el.get("Id") == target]


def evaluate_signature(root: Any, pixit: dict[str, Any]) -> SignatureState:
    st = SignatureState()
    header = root.find(q("header"))
    doctype = value(header.find(q("DocType"))) if header is not None else ""
    sender = value(header.find(q("SenderCode"))) if header is not None else ""
    security = root.find(q("security"))
    sig = security.find(q("Signature", DS)) if security is not None else None
    if sig is None:
        # 8.2.1a / 8.2.2 report the absence; content is not trusted when one was required.
        st.trusted = security is None and doctype not in ("LP01", "PP01")
        return st
    st.present = True
    si = sig.find(q("SignedInfo", DS))
    sv = sig.find(q("SignatureValue", DS))
    ki = sig.find(q("KeyInfo", DS))
    if si is None or sv is None or ki is None:
        for req in ("DX-8.2.8", "DX-8.2.10"):
            st.add(INCONCLUSIVE, req, "签名结构不完整（8.2.3），无法验证", "the signature structure is incomplete (8.2.3); cannot verify", sig)
        return st
    c14n_el, c14n_alg = _algorithm(si, "CanonicalizationMethod")
    if c14n_alg != crypto.EXC_C14N:
        st.add(FAIL, "DX-8.2.4", f"规范化方法应为 {crypto.EXC_C14N}，实际为 {c14n_alg}",
               f"CanonicalizationMethod must be {crypto.EXC_C14N}, not {c14n_alg}", c14n_el if c14n_el is not None else si,
               {"algorithm": c14n_alg})
    sm_el, method = _algorithm(si, "SignatureMethod")
    if method not in crypto.SUITES:
        st.add(FAIL, "DX-8.2.5", f"签名方法 {method} 不在表 8-1 中（即使签名可验证也不允许）",
               f"SignatureMethod {method} is not a suite of Table 8-1 (not allowed even if it verifies)",
               sm_el if sm_el is not None else si, {"algorithm": method})
    refs = si.findall(q("Reference", DS))
    # ---- 8.2.6 / 8.2.7
    if method in crypto.SUITES:
        for ref in refs:
            dm_el, dm = _algorithm(ref, "DigestMethod")
            if dm != crypto.SUITES[method]:
                st.add(FAIL, "DX-8.2.6", f"签名方法 {method} 要求摘要方法 {crypto.SUITES[method]}，实际为 {dm}",
                       f"SignatureMethod {method} pairs with DigestMethod {crypto.SUITES[method]}, not {dm}",
                       dm_el if dm_el is not None else ref, {"algorithm": dm})
    uris = [r.get("URI") for r in refs]
    if uris != ["#hdr", "#dat"]:
        st.add(FAIL, "DX-8.2.7", f"应恰有两个 Reference，依次为 #hdr、#dat，实际为 {uris}",
               f"SignedInfo must hold exactly two References, #hdr then #dat, not {uris}", si, {"uris": uris})
    for ref in refs:
        transforms = ref.findall(f"{q('Transforms', DS)}/{q('Transform', DS)}")
        if len(transforms) != 1 or transforms[0].get("Algorithm") != crypto.EXC_C14N or len(transforms[0]):
            st.add(FAIL, "DX-8.2.7", "每个 Reference 应恰有一个排他 C14N 变换（不带 InclusiveNamespaces）",
                   "each Reference must have exactly one exclusive-C14N Transform, without InclusiveNamespaces", ref,
                   {"transforms": [t.get("Algorithm") for t in transforms]})
    for local, wanted in (("header", "hdr"), ("data", "dat")):
        el = root.find(q(local))
        if el is not None and el.get("Id") != wanted:
            st.add(FAIL, "DX-8.2.7", f"{local} 应带 Id=\"{wanted}\"", f"{local} must carry Id=\"{wanted}\"", el)
    for wanted in ("hdr", "dat"):
        holders = _resolve(root, "#" + wanted)
        if len(holders) > 1:
            st.add(FAIL, "DX-8.2.7", f"Id “{wanted}” 出现多次", f"Id '{wanted}' is carried by more than one element", holders[1])
    # ---- 8.2.8 digests
    for ref in refs:
        uri = ref.get("URI")
        targets = _resolve(root, uri)
        dm_el, dm = _algorithm(ref, "DigestMethod")
        dv = ref.find(q("DigestValue", DS))
        if len(targets) != 1:
            st.add(FAIL, "DX-8.2.8", f"Reference {uri} 在 root 内无法唯一解析", f"Reference {uri} does not resolve to one element of the root", ref)
            continue
        if dm not in crypto.DIGESTS:
            st.add(INCONCLUSIVE, "DX-8.2.8", f"未知摘要方法 {dm}，无法计算", f"unknown DigestMethod {dm}; cannot compute", ref)
            continue
        transforms = ref.findall(f"{q('Transforms', DS)}/{q('Transform', DS)}")
        t_alg = transforms[0].get("Algorithm") if transforms else crypto.EXC_C14N
        t_alg = t_alg if t_alg in crypto.C14N_METHODS else crypto.EXC_C14N
        try:
            computed = crypto.digest(crypto.DIGESTS[dm], crypto.c14n(targets[0], t_alg))
        except etree.C14NError:
            st.add(INCONCLUSIVE, "DX-8.2.8", f"Reference {uri} 的内容无法规范化（含安全解析器未展开的实体引用），无法计算摘要",
                   f"the content of Reference {uri} cannot be canonicalised (it holds an entity reference the safe "
                   "parser leaves unexpanded); the digest cannot be computed", ref)
            continue
        try:
            given = crypto.b64decode_strict(value(dv))
        except ValueError:
            given = None
        if given != computed:
            import base64

            st.add(FAIL, "DX-8.2.8", f"Reference {uri} 的 DigestValue 与计算值不符（内容被改动或摘要错误）",
                   f"the DigestValue of Reference {uri} does not match the computed digest (content altered or digest wrong)",
                   dv if dv is not None else ref,
                   {"uri": uri, "computed": base64.b64encode(computed).decode(), "given": value(dv).strip()[:200]})
    # ---- 8.2.9 - 8.2.12
    key_name_el = ki.find(q("KeyName", DS))
    key_name = value(key_name_el)
    if key_name != sender:
        st.add(FAIL, "DX-8.2.11", f"KeyName “{key_name}” 应等于 SenderCode “{sender}”",
               f"KeyName '{key_name}' must equal SenderCode '{sender}'", key_name_el if key_name_el is not None else ki)
    try:
        sig_bytes = crypto.b64decode_strict(value(sv))
    except ValueError:
        st.add(FAIL, "DX-8.2.9", "SignatureValue 不是有效的 base64", "SignatureValue is not valid base64", sv)
        st.add(INCONCLUSIVE, "DX-8.2.10", "签名值无法解码，未验证", "the signature value cannot be decoded; not verified", sv)
        return st
    kind = crypto.SIGNATURE_KINDS.get(method or "")
    registry = (pixit or {}).get("key_registry") or {}
    entry = registry.get(key_name)
    c14n_for_si = c14n_alg if c14n_alg in crypto.C14N_METHODS else crypto.EXC_C14N
    try:
        signed = crypto.c14n(si, c14n_for_si)
    except etree.C14NError:
        st.add(INCONCLUSIVE, "DX-8.2.10", "SignedInfo 无法规范化（含未展开的实体引用），未验证签名",
               "SignedInfo cannot be canonicalised (it holds an unexpanded entity reference); the signature is not verified", si)
        return st
    if kind is None:
        st.add(INCONCLUSIVE, "DX-8.2.10", f"签名方法 {method} 无法验证", f"SignatureMethod {method} cannot be verified", sm_el)
        return st
    if not isinstance(entry, dict):
        st.add(FAIL, "DX-8.2.10", f"密钥登记表（PIXIT key_registry）中没有 KeyName “{key_name}”",
               f"KeyName '{key_name}' has no key in the key registry (PIXIT key_registry)", key_name_el, {"key_name": key_name})
        return st
    if entry.get("type") != kind[0]:
        st.add(FAIL, "DX-8.2.10", f"登记的密钥类型 {entry.get('type')} 与签名方法 {method} 不符",
               f"the registered key type {entry.get('type')} does not fit SignatureMethod {method}", key_name_el)
        return st
    if kind[0] == "rsa":
        try:
            key = crypto.load_rsa_public(str(entry.get("public_key", "")))
        except (ValueError, TypeError):
            st.add(INCONCLUSIVE, "DX-8.2.10", f"PIXIT 中 {key_name} 的 RSA 公钥无法读取", f"the RSA public key of {key_name} in PIXIT cannot be read", key_name_el)
            return st
        if key.key_size < 2048:
            st.add(FAIL, "DX-8.2.12", f"{key_name} 的 RSA 模长为 {key.key_size} 位，少于 2048 位",
                   f"the RSA modulus of {key_name} has {key.key_size} bits, fewer than 2048", key_name_el, {"bits": key.key_size})
        k = (key.key_size + 7) // 8
        if len(sig_bytes) != k:
            st.add(FAIL, "DX-8.2.9", f"RSA 签名值应为 {k} 字节，实际为 {len(sig_bytes)} 字节",
                   f"an RSA SignatureValue must be {k} octets, not {len(sig_bytes)}", sv, {"octets": len(sig_bytes)})
            st.add(INCONCLUSIVE, "DX-8.2.10", "签名值长度错误，未验证", "the signature value has the wrong length; not verified", sv)
            return st
        ok = crypto.rsa_verify(key, sig_bytes, signed, kind[1])
    else:
        try:
            r, s = crypto.der_decode_rs(sig_bytes)
            if not (1 <= r < crypto.SM2P256V1.n and 1 <= s < crypto.SM2P256V1.n):
                raise ValueError("r or s out of [1, n-1]")
        except ValueError as exc:
            st.add(FAIL, "DX-8.2.9", f"SM2 签名值不是合规的 DER (r, s)：{exc}", f"the SM2 SignatureValue is not a conformant DER (r, s): {exc}", sv)
            st.add(INCONCLUSIVE, "DX-8.2.10", "签名值格式错误，未验证", "the signature value is malformed; not verified", sv)
            return st
        ok = crypto.sm2_verify(str(entry.get("public_key", "")), signed, r, s)
    if not ok:
        st.add(FAIL, "DX-8.2.10", f"签名值未能用 {key_name} 的登记公钥验证通过", f"the SignatureValue does not verify under the registered key of {key_name}",
               sv, {"key_name": key_name, "method": method})
    return st


def signature_state(call: CheckCall) -> SignatureState:
    cached = getattr(call.subject, "_dx_signature", None)
    if cached is None:
        cached = evaluate_signature(call.subject.xml().getroot(), call.context.pixit)
        call.subject._dx_signature = cached  # type: ignore[attr-defined]
    return cached


@register_check("dx-signature", media_types=("xml",), params={"type": "object", "additionalProperties": False},
                description=text("XML 数字签名（8.2）", "XML signature (8.2)"))
def dx_signature(call: CheckCall) -> Iterator[Finding]:
    emit = _Emit(call)
    for verdict, req, zh, en, element, evidence in signature_state(call).results:
        yield from emit(verdict, req, zh, en, element=element, evidence=evidence)


# ============================================================== 8.3 encryption

_DEPENDENT_83 = ("DX-8.3.4", "DX-8.3.5", "DX-8.3.7a")


@register_check("dx-encryption", media_types=("xml",),
                params={"type": "object", "additionalProperties": False,
                        "properties": {"apply": {"type": "array", "items": {"type": "string"}}}},
                description=text("内容解密并校验解密后的记录（8.3）", "content decryption and the decrypted records (8.3)"))
def dx_encryption(call: CheckCall) -> Iterator[Finding]:
    root = call.subject.xml().getroot()
    header = root.find(q("header"))
    data = root.find(q("data"))
    if header is None or data is None or value(header.find(q("Confidential"))) != "true":
        return
    emit = _Emit(call)
    content_reqs = [r for r in call.binding.requirements if not r.startswith("DX-8.3")]

    def undecided(zh: str, en: str, element: Any) -> Iterator[Finding]:
        for req in (*_DEPENDENT_83, *content_reqs):
            yield from emit(INCONCLUSIVE, req, zh, en, element=element)

    ecs = data.findall(q("EncryptedContent"))
    if len(ecs) != 1:
        yield from undecided("EncryptedContent 不唯一（8.3.1），未解密", "EncryptedContent is not unique (8.3.1); not decrypted", data)
        return
    ec = ecs[0]
    try:
        blob = crypto.b64decode_strict(value(ec))
    except ValueError:
        blob = None
    if blob is None or len(blob) < 32 or (len(blob) - 16) % 16:
        why = ("不是有效的 base64", "is not padded base64") if blob is None else (
            f"解码后 {len(blob)} 字节，不是 IV（16）加 16 的非零倍数", f"decodes to {len(blob)} octets, not IV (16) + a non-zero multiple of 16")
        yield from emit(FAIL, "DX-8.3.3", f"EncryptedContent {why[0]}", f"EncryptedContent {why[1]}", element=ec)
        yield from undecided("密文格式错误，未解密", "the ciphertext is malformed; not decrypted", ec)
        return
    iv, ciphertext = blob[:16], blob[16:]
    if len(set(iv)) < 4:
        yield from emit(FAIL, "DX-8.3.7b", f"IV {iv.hex()} 不像随机值", f"IV {iv.hex()} does not look random",
                        element=ec, evidence={"iv": iv.hex()})
    # 8.2.13: never decrypt content whose required or present signature fails.
    if not signature_state(call).trusted:
        yield from undecided("签名缺失或未通过 8.2 检查，按 8.2.13 不解密", "the signature is missing or fails clause 8.2; not decrypted (8.2.13)", ec)
        return
    alg = ec.get("alg")
    receiver = value(header.find(q("ReceiverCode")))
    if alg not in crypto.CIPHERS:
        yield from undecided(f"未知算法 {alg}，未解密", f"unknown algorithm {alg}; not decrypted", ec)
        return
    key_hex = (((call.context.pixit or {}).get("content_keys") or {}).get(receiver) or {}).get(alg)
    try:
        key = bytes.fromhex(str(key_hex)) if key_hex else b""
    except ValueError:
        key = b""
    if len(key) != 16:
        yield from undecided(f"PIXIT content_keys 中没有 {receiver} 的 {alg} 16 字节密钥", f"PIXIT content_keys has no 16-octet {alg} key for {receiver}", ec)
        return
    try:
        plaintext = crypto.pkcs7_unpad(crypto.cbc_decrypt(alg, key, iv, ciphertext))
    except ValueError as exc:
        yield from emit(FAIL, "DX-8.3.4", f"解密后 PKCS#7 填充无效：{exc}", f"the decrypted content has no valid PKCS#7 padding: {exc}", element=ec)
        yield from undecided("解密失败，无法校验记录", "decryption failed; the records cannot be checked", ec)
        return
    records, problem = _parse_plaintext(plaintext)
    if problem is not None:
        yield from emit(FAIL, "DX-8.3.5", f"解密后的明文{problem[0]}", f"the decrypted plaintext {problem[1]}", element=ec)
        yield from undecided("明文无法解析为记录", "the plaintext cannot be read as records", ec)
        return
    if crypto.records_plaintext(records) != plaintext:
        yield from emit(FAIL, "DX-8.3.7a", "明文不是各记录排他规范形式的依次连接（B.4）",
                        "the plaintext is not the records' exclusive canonical forms in order (B.4)", element=ec)
    yield from _apply_to_clear_copy(call, root, records, ec)


def _parse_plaintext(plaintext: bytes) -> tuple[list[Any], tuple[str, str] | None]:
    try:
        decoded = plaintext.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], (f"第 {exc.start} 字节不是 UTF-8", f"is not UTF-8 at octet {exc.start}")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        wrapper = etree.fromstring(f'<data xmlns="{DX}">'.encode() + decoded.encode("utf-8") + b"</data>", parser)
    except etree.XMLSyntaxError as exc:
        return [], (f"包装后不是格式良好的 XML：{exc.msg}", f"wrapped as data is not well-formed XML: {exc.msg}")
    if (wrapper.text or "").strip(" \t\r\n") or any(
            not isinstance(c.tag, str) or c.tag != q("record") or (c.tail or "").strip(" \t\r\n") for c in wrapper):
        return [], ("包装后含有 record 以外的内容", "wrapped as data holds something other than record elements")
    return list(wrapper), None


def _apply_to_clear_copy(call: CheckCall, root: Any, records: list[Any], ec: Any) -> Iterator[Finding]:
    """8.3.6: run the clause-6.9.2/7 bindings on a copy of the root with the records in clear."""
    from conformance.subject import Subject

    clone = copy.deepcopy(root)
    data = clone.find(q("data"))
    for child in list(data):
        data.remove(child)
    data.text = "\n"
    for rec in records:
        rec.tail = "\n"
        data.append(rec)
    conf = clone.find(f"{q('header')}/{q('Confidential')}")
    if conf is not None:
        conf.text = "false"  # so the rules read the records as sent in clear
    sub = Subject(name=call.subject.name, path=call.subject.path, media_type="xml", index=call.subject.index,
                  xpath_root=call.subject.xpath_root, part=call.subject.part)
    sub._xml = etree.ElementTree(clone)
    sub._data = b""
    bound = set(call.binding.requirements)
    by_id = {b.id: b for b in call.profile.bindings}
    for bid in call.params.get("apply", []):
        binding = by_id.get(bid)
        spec = get_check(binding.check) if binding is not None else None
        if binding is None or spec is None:
            yield call.error(text(f"未知的检查 {bid}", f"unknown binding {bid}"))
            continue
        sub_call = CheckCall(binding, sub, call.context, call.applicable)
        try:
            found = list(spec.func(sub_call) or ())
        except SubjectError as exc:
            yield call.error(exc.message)
            continue
        for f in found:
            if f.requirement not in bound:
                continue
            f.check = call.binding.id
            f.evidence = {"decrypted": True, "plaintext_line": f.location.line,
                          **(f.evidence if isinstance(f.evidence, dict) else {"detail": f.evidence} if f.evidence is not None else {})}
            f.location.line = ec.sourceline
            f.message = text(f"（解密内容）{f.message['zh']}", f"(decrypted content) {f.message['en']}")
            yield f
