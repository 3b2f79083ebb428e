"""PDS 1.0 message model: formats, check digits, business rules, building, signing,
encryption and the stateless part of the platform's check sequence (§8.2).

Shared by the static checks (pds_checks.py), the live scenarios and reference peers
(pds_platform.py, pds_enterprise.py) and the tools. It registers no check.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from conformance.profile import load_sibling

from lxml import etree, isoschematron

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE.parent.parent / "schemas" / "pds-1.0"


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


crypto = _sibling("pds_crypto")
NS = crypto.NS
NSMAP = {"p": NS}
MESSAGE_TYPES = ("VSLARR", "VSLDEP", "BERTH", "GATE", "LOADDISC", "DGDECL", "RECEIPT")
BODY_ELEMENT = {"VSLARR": "VesselArrival", "VSLDEP": "VesselDeparture", "BERTH": "BerthEvent", "GATE": "GateReport",
                "LOADDISC": "LoadDischargeReport", "DGDECL": "EncryptedData", "RECEIPT": "Receipt"}
DATETIME_ELEMENTS = frozenset({"SendTime", "ETA", "ATA", "ETB", "ETD", "ATB", "ATU", "ATD", "NextPortETA", "EventTime",
                               "OperationStart", "OperationEnd", "OperationTime", "ProcessTime", "ReceivedTime",
                               "UpdatedTime"})
MESSAGE_ID = re.compile(r"[A-Z0-9]{4,18}[0-9]{20}")
PARTY_ID = re.compile(r"[A-Z0-9]{4,18}")
MAX_BODY = 5 * 1024 * 1024


def q(local: str) -> str:
    return f"{{{NS}}}{local}"


def text_of(el: Any) -> str:
    return "" if el is None else (el.text or "")


def child_text(parent: Any, local: str) -> str | None:
    if parent is None:
        return None
    el = parent.find(q(local))
    return None if el is None else (el.text or "")


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_blank_text=False)


# ================================================================ §5.1 DateTime

_DT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,6})?(Z|([+-])([0-9]{2}):([0-9]{2}))")


def parse_datetime(raw: str | None) -> dt.datetime | None:
    """An aware datetime for a valid §5.1 value, None otherwise."""
    if raw is None:
        return None
    m = _DT.fullmatch(raw)
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if hh > 23 or mi > 59 or ss > 59:
        return None
    if m.group(8) == "Z":
        tz = dt.timezone.utc
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        if om > 59 or oh * 60 + om > 14 * 60:
            return None
        tz = dt.timezone((-1 if m.group(9) == "-" else 1) * dt.timedelta(hours=oh, minutes=om))
    frac = m.group(7)
    try:
        return dt.datetime(y, mo, d, hh, mi, ss, int((frac[1:] + "000000")[:6]) if frac else 0, tzinfo=tz)
    except ValueError:
        return None


def format_datetime(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


# ================================================================ §5.2, §5.7 check digits

ISO6346_LETTERS = {c: v for c, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                         (10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30,
                                          31, 32, 34, 35, 36, 37, 38))}


def imo_valid(imo: str) -> bool:
    if not re.fullmatch(r"[0-9]{7}", imo):
        return False
    return sum(int(c) * w for c, w in zip(imo[:6], (7, 6, 5, 4, 3, 2))) % 10 == int(imo[6])


def iso6346_check_digit(first10: str) -> int:
    total = sum((ISO6346_LETTERS[c] if c.isalpha() else int(c)) * (2 ** i) for i, c in enumerate(first10))
    return total % 11 % 10


def container_valid(no: str) -> bool:
    return bool(re.fullmatch(r"[A-Z]{3}[UJZ][0-9]{7}", no)) and iso6346_check_digit(no[:10]) == int(no[10])


# ================================================================ business rules (§5, §6: "rule")


@dataclass
class Violation:
    requirement: str
    element: Any
    zh: str
    en: str


def _times(body: Any, names: list[str]) -> list[tuple[str, Any, dt.datetime]]:
    out = []
    for n in names:
        el = body.find(q(n))
        when = parse_datetime(el.text) if el is not None else None
        if when is not None:
            out.append((n, el, when))
    return out


def _chain(body: Any, names: list[str], send_time: dt.datetime | None, req: str) -> list[Violation]:
    """Each present value is not later than the next present one (and SendTime last)."""
    seq = _times(body, names)
    if send_time is not None:
        seq.append(("SendTime", None, send_time))
    out = []
    for (a, el_a, ta), (b, el_b, tb) in zip(seq, seq[1:]):
        if ta > tb:
            out.append(Violation(req, el_b if el_b is not None else el_a, f"{a} 晚于 {b}",
                                 f"{a} is later than {b}"))
    return out


def business_rules(body_el: Any, send_time: dt.datetime | None) -> list[Violation]:
    """Every rule violation of one business element (the element inside Body)."""
    v: list[Violation] = []
    name = etree.QName(body_el).localname if isinstance(body_el.tag, str) else ""
    # §5.2 IMO check digit, §5.3 MMSI/Flag
    for vessel in body_el.iterfind(q("Vessel")):
        imo, mmsi, flag = vessel.find(q("IMO")), vessel.find(q("MMSI")), vessel.find(q("Flag"))
        if imo is not None and re.fullmatch(r"[0-9]{7}", text_of(imo)) and not imo_valid(text_of(imo)):
            v.append(Violation("PDS-5.2", imo, f"IMO 编号 {imo.text} 校验位错误", f"IMO number {imo.text}: wrong check digit"))
        if mmsi is not None and flag is not None and re.fullmatch(r"[2-7][0-9]{8}", text_of(mmsi)) \
                and re.fullmatch(r"[A-Z]{2}", text_of(flag)):
            cn_mmsi = text_of(mmsi)[:3] in ("412", "413", "414")
            if cn_mmsi != (text_of(flag) == "CN"):
                v.append(Violation("PDS-5.3", mmsi, f"MMSI {mmsi.text} 与船旗 {flag.text} 不符（412/413/414 当且仅当 CN）",
                                   f"MMSI {mmsi.text} does not agree with Flag {flag.text} (412/413/414 if and only if CN)"))
    port_el = body_el.find(q("PortCode"))
    port = text_of(port_el)
    if port_el is not None and re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", port) and not port.startswith("CN"):
        v.append(Violation("PDS-5.5", port_el, f"报告港 {port} 不以 CN 开头", f"reporting PortCode {port} does not begin with CN"))
    for el in body_el.iter(q("ContainerNo")):
        no = text_of(el)
        if re.fullmatch(r"[A-Z]{3}[UJZ][0-9]{7}", no) and not container_valid(no):
            v.append(Violation("PDS-5.7", el, f"箱号 {no} 校验位应为 {iso6346_check_digit(no[:10])}",
                               f"container number {no}: the check digit must be {iso6346_check_digit(no[:10])}"))
    for el in body_el.iter(q("UNNumber")):
        un = text_of(el)
        if re.fullmatch(r"[0-9]{4}", un) and not 1 <= int(un) <= 3599:
            v.append(Violation("PDS-5.11", el, f"联合国编号 {un} 不在 0001–3599 内", f"UN number {un} is outside 0001-3599"))

    if name == "VesselArrival":
        ata = _times(body_el, ["ATA"])
        if ata and send_time is not None and ata[0][2] > send_time:
            v.append(Violation("PDS-6.2.1", ata[0][1], "ATA 晚于 SendTime", "ATA is later than SendTime"))
        t = {n: (el, w) for n, el, w in _times(body_el, ["ATA", "ETB", "ETD"])}
        if "ATA" in t:
            for later in ("ETB", "ETD"):
                if later in t and t[later][1] < t["ATA"][1]:
                    v.append(Violation("PDS-6.2.1", t[later][0], f"{later} 早于 ATA", f"{later} is earlier than ATA"))
        if "ETB" in t and "ETD" in t and t["ETD"][1] < t["ETB"][1]:
            v.append(Violation("PDS-6.2.1", t["ETD"][0], "ETD 早于 ETB", "ETD is earlier than ETB"))
        _differ(v, body_el, "LastPort", "PDS-6.2.2")
    elif name == "VesselDeparture":
        if (body_el.find(q("ATB")) is None) != (body_el.find(q("ATU")) is None):
            v.append(Violation("PDS-6.3.1", body_el, "ATB 与 ATU 应同时出现或同时缺省", "ATB and ATU must be both present or both absent"))
        v += _chain(body_el, ["ATA", "ATB", "ATU", "ATD"], send_time, "PDS-6.3.2")
        t = {n: (el, w) for n, el, w in _times(body_el, ["ATD", "NextPortETA"])}
        if len(t) == 2 and t["NextPortETA"][1] < t["ATD"][1]:
            v.append(Violation("PDS-6.3.2", t["NextPortETA"][0], "NextPortETA 早于 ATD", "NextPortETA is earlier than ATD"))
        _differ(v, body_el, "NextPort", "PDS-6.3.3")
    elif name == "BerthEvent":
        if (body_el.find(q("ATU")) is not None) != (text_of(body_el.find(q("EventType"))) == "UNBERTHING"):
            v.append(Violation("PDS-6.4.1", body_el, "ATU 应当且仅当 EventType 为 UNBERTHING 时出现",
                               "ATU must be present if and only if EventType is UNBERTHING"))
        v += _chain(body_el, ["ATA", "ATB", "ATU"], send_time, "PDS-6.4.2")
    elif name == "GateReport":
        v += _chain(body_el, ["EventTime"], send_time, "PDS-6.5.1")
        boxes = body_el.findall(f"{q('Containers')}/{q('Container')}")
        if len(boxes) == 2 and any(not text_of(c.find(q("SizeType"))).startswith("2") for c in boxes):
            v.append(Violation("PDS-6.5.2", boxes[1], "一车两箱时两箱均应为 20 英尺（长度代码 2）",
                               "a truck with two containers must carry two 20 ft containers (length code 2)"))
    elif name == "LoadDischargeReport":
        start, end = _times(body_el, ["OperationStart"]), _times(body_el, ["OperationEnd"])
        for c in body_el.iterfind(f"{q('Containers')}/{q('Container')}"):
            ot = _times(c, ["OperationTime"])
            if ot and start and ot[0][2] < start[0][2]:
                v.append(Violation("PDS-6.6.1", ot[0][1], "OperationTime 早于 OperationStart", "OperationTime is earlier than OperationStart"))
            if ot and end and ot[0][2] > end[0][2]:
                v.append(Violation("PDS-6.6.1", ot[0][1], "OperationTime 晚于 OperationEnd", "OperationTime is later than OperationEnd"))
        v += _chain(body_el, ["OperationStart", "OperationEnd"], send_time, "PDS-6.6.1")
        op = text_of(body_el.find(q("Operation")))
        bays: dict[str, Any] = {}
        for c in body_el.iterfind(f"{q('Containers')}/{q('Container')}"):
            pol, pod = text_of(c.find(q("PortOfLoading"))), text_of(c.find(q("PortOfDischarge")))
            if op == "LOAD" and pol != port:
                v.append(Violation("PDS-6.6.2", c.find(q("PortOfLoading")), "装船作业的装货港应为报告港", "for LOAD, PortOfLoading must equal PortCode"))
            if op == "DISCHARGE" and pod != port:
                v.append(Violation("PDS-6.6.2", c.find(q("PortOfDischarge")), "卸船作业的卸货港应为报告港", "for DISCHARGE, PortOfDischarge must equal PortCode"))
            if pol and pol == pod:
                v.append(Violation("PDS-6.6.2", c.find(q("PortOfDischarge")), "装货港与卸货港相同", "PortOfLoading equals PortOfDischarge"))
            bay_el = c.find(q("BayPosition"))
            bay = text_of(bay_el)
            if re.fullmatch(r"[0-9]{7}", bay):
                if bay in bays:
                    v.append(Violation("PDS-6.6.3", bay_el, f"箱位 {bay} 重复", f"BayPosition {bay} is used twice"))
                bays[bay] = c
                length = text_of(c.find(q("SizeType")))[:1]
                odd = int(bay[:3]) % 2 == 1
                if (length == "2" and not odd) or (length in ("4", "L") and odd):
                    v.append(Violation("PDS-6.6.3", bay_el, f"箱位 {bay} 的贝位奇偶与箱长不符",
                                       f"BayPosition {bay}: the bay parity does not fit the container length"))
    elif name == "DangerousGoodsDeclaration":
        for item in body_el.iterfind(f"{q('Items')}/{q('Item')}"):
            cls = text_of(item.find(q("IMDGClass")))
            has_pg = item.find(q("PackingGroup")) is not None
            if (cls in ("3", "8") and not has_pg) or ((cls.startswith(("1.", "2.")) or cls == "7") and has_pg):
                v.append(Violation("PDS-6.7.1", item, f"类别 {cls} 的包装类别出现与否不符合规定",
                                   f"PackingGroup presence does not fit IMDG class {cls}"))
    # §6.10.1 counts
    for count_name, path in (("ContainerCount", f"{q('Containers')}/{q('Container')}"), ("ItemCount", f"{q('Items')}/{q('Item')}")):
        el = body_el.find(q(count_name))
        if el is not None and re.fullmatch(r"0|[1-9][0-9]{0,3}", text_of(el)) and int(text_of(el)) != len(body_el.findall(path)):
            v.append(Violation("PDS-6.10.1", el, f"{count_name} 为 {el.text}，实际 {len(body_el.findall(path))} 个",
                               f"{count_name} is {el.text} but there are {len(body_el.findall(path))}"))
    if name in ("GateReport", "LoadDischargeReport"):
        seen: set[str] = set()
        for c in body_el.iterfind(f"{q('Containers')}/{q('Container')}"):
            no_el = c.find(q("ContainerNo"))
            if no_el is not None:
                if no_el.text in seen:
                    v.append(Violation("PDS-6.10.2", no_el, f"箱号 {no_el.text} 重复", f"ContainerNo {no_el.text} is repeated"))
                seen.add(no_el.text or "")
            if text_of(c.find(q("FullEmpty"))) == "F" and c.find(q("SealNo")) is None:
                v.append(Violation("PDS-6.10.3", c, "重箱应至少有一个封志号", "a full container must have at least one SealNo"))
    return v


def _differ(v: list[Violation], body: Any, other: str, req: str) -> None:
    a, b = body.find(q("PortCode")), body.find(q(other))
    if a is not None and b is not None and text_of(a) == text_of(b):
        v.append(Violation(req, b, f"{other} 与 PortCode 相同", f"{other} equals PortCode"))


# ================================================================ schema, Schematron, value form


def xsd() -> etree.XMLSchema:
    global _XSD
    if _XSD is None:
        _XSD = etree.XMLSchema(etree.parse(str(SCHEMAS / "pds.xsd"), safe_parser()))
    return _XSD


def schematron() -> isoschematron.Schematron:
    global _SCH
    if _SCH is None:
        _SCH = isoschematron.Schematron(etree.parse(str(SCHEMAS / "pds-rules.sch"), safe_parser()), store_report=True)
    return _SCH


_XSD: etree.XMLSchema | None = None
_SCH: isoschematron.Schematron | None = None


def value_form_problems(root: Any) -> list[tuple[str, Any, str, str]]:
    """§4.5 (whitespace, comment/PI in a value) and §5.1 (calendar) on every leaf: (req, el, zh, en)."""
    out = []
    for el in root.iter("{*}*"):
        kids = [k for k in el]
        if any(not isinstance(k.tag, str) for k in kids) and not any(isinstance(k.tag, str) for k in kids):
            if any(isinstance(k, etree._Entity) for k in kids):
                out.append(("PDS-4.5", el, "值中含有实体引用（安全解析器不展开实体）",
                            "an entity reference inside a value (the safe parser does not expand entities)"))
            else:
                out.append(("PDS-4.5", el, "值中含有注释或处理指令", "a comment or processing instruction inside a value"))
            continue
        if kids:
            continue
        raw = el.text or ""
        if raw != raw.strip(" \t\r\n"):
            out.append(("PDS-4.5", el, "值的首尾含有空白", "the value has leading or trailing whitespace"))
        elif etree.QName(el).localname == "Draught" and re.fullmatch(r"[0-9]{1,2}(\.[0-9]{1,2})?", raw) \
                and not 0 < float(raw) <= 30:
            out.append(("PDS-5.13", el, f"吃水 {raw} 应大于 0 且不超过 30", f"Draught {raw} must be greater than 0 and at most 30"))
        elif etree.QName(el).localname == "NetWeight" and re.fullmatch(r"[0-9]{1,6}(\.[0-9]{1,3})?", raw) \
                and not float(raw) > 0:
            out.append(("PDS-5.13", el, f"净重 {raw} 应大于 0", f"NetWeight {raw} must be greater than 0"))
        elif etree.QName(el).localname in DATETIME_ELEMENTS and _DT.fullmatch(raw) and parse_datetime(raw) is None:
            out.append(("PDS-5.1", el, f"“{raw}” 不是有效的日期时间（日历或时区偏移）",
                        f"'{raw}' is not a valid date and time (calendar or zone offset)"))
    return out


# ================================================================ parties and keys


@dataclass
class Party:
    id: str
    sm2_private: int | None = None
    sm2_public: bytes | None = None
    sm4_key: bytes | None = None
    api_key: str | None = None
    rsa_private: Any = None
    rsa_public: Any = None
    hosted_key: bool = False
    callback: str | None = None
    secrets: list[str] = field(default_factory=list)


def party_from_pixit(entry: dict[str, Any], base: Path | None) -> Party:
    p = Party(id=str(entry.get("id", "")), api_key=entry.get("api_key"), hosted_key=bool(entry.get("hosted_key", False)))
    if entry.get("sm2_private_key"):
        raw = crypto.read_key_text(entry["sm2_private_key"], base)
        p.sm2_private = crypto.parse_sm2_private(raw)
        p.sm2_public = crypto.public_from_private(p.sm2_private)
        p.secrets += [raw.strip(), f"{p.sm2_private:064x}"]
    if entry.get("sm2_public_key"):
        p.sm2_public = crypto.parse_sm2_public(crypto.read_key_text(entry["sm2_public_key"], base))
    if entry.get("sm4_key"):
        raw = crypto.read_key_text(entry["sm4_key"], base)
        p.sm4_key = crypto.parse_sm4_key(raw)
        p.secrets += [raw.strip(), p.sm4_key.hex()]
    if entry.get("rsa_private_key"):
        raw = crypto.read_key_text(entry["rsa_private_key"], base)
        p.rsa_private = crypto.load_rsa_private(raw)
        p.rsa_public = p.rsa_private.public_key()
        p.secrets.append(raw.strip())
    if p.api_key:
        p.secrets.append(str(p.api_key))
    return p


# ================================================================ building and signing


HEAD_ORDER = ("MessageID", "FunctionCode", "MessageType", "SenderID", "ReceiverID", "SendTime", "Version", "Nonce",
              "RefMessageID")


def _esc(s: str) -> str:
    # a raw carriage return would reach the reader as a line feed (XML 1.0 §2.11)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def head_xml(fields: dict[str, str | None]) -> str:
    parts = [f"<{k}>{_esc(str(fields[k]))}</{k}>" for k in HEAD_ORDER if fields.get(k) is not None]
    return "<Head>" + "".join(parts) + "</Head>"


def unsigned(head: dict[str, str | None], body_inner: str) -> Any:
    doc = (f'<Message xmlns="{NS}">{head_xml(head)}<Body>{body_inner}</Body>'
           "<Signature><Method>SM2-SM3</Method><KeyId>X</KeyId><Value>AAAA</Value></Signature></Message>")
    return etree.fromstring(doc.encode("utf-8"), safe_parser())


def sign_root(root: Any, party: Party, *, method: str = "SM2-SM3", key_id: str | None = None) -> Any:
    """Fill in Signature (§4.8, §7.1-7.3) of a parsed Message in place."""
    head, body, sig = root.find(q("Head")), root.find(q("Body")), root.find(q("Signature"))
    data = crypto.signing_input(head, body)
    if method == "RSA-SHA256":
        value = crypto.rsa_sign(party.rsa_private, data)
    else:
        r, s = crypto.sm2_sign(party.sm2_private, data)
        value = crypto.der_encode(r, s)
    sig.find(q("Method")).text = method
    sig.find(q("KeyId")).text = key_id or party.id
    sig.find(q("Value")).text = crypto.b64(value)
    return root


def serialize(root: Any) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="utf-8")


def encrypt_body(dgd_xml: str, key: bytes, iv: bytes) -> str:
    """§7.6.1: the EncryptedData element text for one DangerousGoodsDeclaration."""
    el = etree.fromstring(dgd_xml.encode("utf-8"), safe_parser())
    plaintext = etree.tostring(el, encoding="utf-8")
    return f'<EncryptedData Algorithm="SM4-CBC">{crypto.b64(crypto.sm4_encrypt(key, iv, plaintext))}</EncryptedData>'


# ================================================================ verification and decryption


def signature_problem(root: Any, lookup: Any) -> tuple[str, str, str, str] | None:
    """Steps 5-6 of §8.2 on a structurally valid Message: (code, req, zh, en) or None.

    ``lookup(party_id)`` gives a Party or None.
    """
    head, body, sig = root.find(q("Head")), root.find(q("Body")), root.find(q("Signature"))
    sender, method, key_id = child_text(head, "SenderID"), child_text(sig, "Method"), child_text(sig, "KeyId")
    party = lookup(sender)
    if party is None:
        return "P004", "PDS-7.4", f"发送方 {sender} 未注册", f"sender {sender} is not registered"
    if key_id != sender:
        return "P004", "PDS-7.4", f"KeyId {key_id} 与 SenderID {sender} 不同", f"KeyId {key_id} differs from SenderID {sender}"
    if (method == "SM2-SM3" and party.sm2_public is None) or (method == "RSA-SHA256" and party.rsa_public is None):
        return "P004", "PDS-7.4", f"{sender} 未注册 {method} 密钥", f"{sender} has no registered {method} key"
    req = "PDS-7.3" if method == "RSA-SHA256" else "PDS-7.2"
    try:
        raw = crypto.b64decode_strict(child_text(sig, "Value") or "")
    except ValueError:
        return "P003", req, "签名值不是 base64", "the signature value is not base64"
    try:
        data = crypto.signing_input(head, body)
    except etree.C14NError:  # e.g. an entity reference the safe parser left unexpanded
        return "P003", req, "Head/Body 无法规范化，签名无法验证", "Head/Body cannot be canonicalised; the signature cannot be verified"
    if method == "RSA-SHA256":
        ok = party.rsa_public.key_size >= 2048 and crypto.rsa_verify(party.rsa_public, raw, data)
    else:
        try:
            r, s = crypto.der_decode(raw)
        except ValueError as exc:
            return "P003", req, f"签名值不是最小 DER 编码：{exc}", f"the signature is not minimal DER: {exc}"
        ok = crypto.sm2_verify(party.sm2_public, data, r, s)
    if not ok:
        return "P003", req, f"{method} 签名验证失败", f"the {method} signature does not verify"
    return None


def decrypt(enc: Any, key: bytes | None) -> tuple[Any, tuple[str, str] | None]:
    """§7.6.3: (DangerousGoodsDeclaration element, None) or (None, (zh, en))."""
    if set(enc.attrib) != {"Algorithm"} or enc.get("Algorithm") != "SM4-CBC":
        return None, ("EncryptedData 只能带 Algorithm=\"SM4-CBC\"", "EncryptedData must carry only Algorithm=\"SM4-CBC\"")
    if len(enc):
        return None, ("EncryptedData 不应含子元素", "EncryptedData must have no child elements")
    if key is None:
        return None, ("发送方没有登记 SM4 密钥", "the sender has no registered SM4 key")
    try:
        data = crypto.b64decode_strict(enc.text or "")
    except ValueError:
        return None, ("EncryptedData 的内容不是 base64", "the EncryptedData text is not base64")
    try:
        plain = crypto.sm4_decrypt(key, data)
    except ValueError as exc:
        return None, (f"解密失败：{exc}", f"decryption failed: {exc}")
    try:
        return etree.fromstring(plain, safe_parser()), None
    except etree.XMLSyntaxError as exc:
        return None, (f"明文不是格式良好的 XML：{exc}", f"the plaintext is not well-formed XML: {exc}")


def path_of(el: Any) -> str:
    """/Message/Body/GateReport/Containers/Container[2]/ContainerNo (§6.9 Location form)."""
    parts = []
    while el is not None and isinstance(el.tag, str):
        name = etree.QName(el).localname
        parent = el.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == el.tag]
            if len(same) > 1:
                name += f"[{same.index(el) + 1}]"
        parts.append(name)
        el = parent
    return "/" + "/".join(reversed(parts))
