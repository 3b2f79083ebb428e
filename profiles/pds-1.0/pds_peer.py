"""The platform's check sequence (§8.2) and the pieces both reference peers and the
harness share: loading parties from PIXIT, judging a submission, building receipts.
It registers nothing."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from conformance.profile import load_sibling

from lxml import etree


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


S = _sibling("pds_samples")
M = S.M
C = M.crypto
q = M.q
FIXTURE_PIXIT = Path(__file__).resolve().parent.parent.parent / "fixtures" / "pds-1.0" / "pixit.yaml"
STEP_OF = {"PDS-4.6": 4, "PDS-4.7": 4, "PDS-7.4": 5, "PDS-4.9": 11, "PDS-7.6.1": 11, "PDS-7.6.4": 11}


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).astimezone()


def envelope_schema() -> etree.XMLSchema:
    """pds.xsd with a lax Body, for step 4 (the body element is judged at step 11)."""
    global _ENV
    if _ENV is None:
        doc = etree.parse(str(M.SCHEMAS / "pds.xsd"), M.safe_parser())
        xs = "{http://www.w3.org/2001/XMLSchema}"
        for el in doc.iter(f"{xs}element"):
            if el.get("name") == "Body":
                for any_ in el.iter(f"{xs}any"):
                    any_.set("processContents", "skip")
        _ENV = etree.XMLSchema(doc)
    return _ENV


_ENV: etree.XMLSchema | None = None


@dataclass
class Problem:
    step: int
    code: str
    location: str | None
    zh: str
    en: str


@dataclass
class Judgement:
    problems: list[Problem] = field(default_factory=list)
    root: Any = None
    mid: str | None = None
    mtype: str | None = None
    sender: str | None = None
    fc: str | None = None
    ref: str | None = None
    nonce: str | None = None
    send_time: dt.datetime | None = None
    body_el: Any = None  # business element (decrypted for DGDECL)


def _xsd_problems(schema: etree.XMLSchema, tree: Any, step: int, prefix: str = "") -> list[Problem]:
    if schema.validate(tree):
        return []
    out = []
    for e in schema.error_log:
        loc = None
        try:
            found = tree.xpath(e.path) if e.path else []
            if found:
                loc = prefix + M.path_of(found[0])
        except etree.XPathError:
            pass
        out.append(Problem(step, "P002", loc, f"结构错误：{e.message}", f"structure error: {e.message}"))
    return out


def judge_stateless(data: bytes, lookup: Any, platform_id: str, *, check_signature: bool = True) -> Judgement:
    """Steps 3-6, 10, 11 and 13 of §8.2 (steps 7-9 and 12 need the platform's state)."""
    j = Judgement()
    decl = re.match(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    if decl and decl.group(2).decode("latin-1").lower() not in ("utf-8", "utf8"):
        j.problems.append(Problem(3, "P001", None, "XML 声明的编码不是 UTF-8", "the XML declaration names an encoding other than UTF-8"))
        return j
    try:
        root = etree.fromstring(data, M.safe_parser())
    except etree.XMLSyntaxError as exc:
        j.problems.append(Problem(3, "P001", None, f"XML 格式错误：{exc}", f"malformed XML: {exc}"))
        return j
    tree = root.getroottree()
    if tree.docinfo.doctype:
        j.problems.append(Problem(3, "P001", None, "报文含 DOCTYPE", "the message has a DOCTYPE"))
        return j
    j.root = root
    head = root.find(q("Head"))
    if root.tag == q("Message") and head is not None:
        mid = M.child_text(head, "MessageID")
        j.mid = mid if mid and M.MESSAGE_ID.fullmatch(mid) else None
        mtype = M.child_text(head, "MessageType")
        j.mtype = mtype if mtype in M.MESSAGE_TYPES else None
        sender = M.child_text(head, "SenderID")
        j.sender = sender if sender and M.PARTY_ID.fullmatch(sender) else None
        j.fc, j.ref, j.nonce = M.child_text(head, "FunctionCode"), M.child_text(head, "RefMessageID"), M.child_text(head, "Nonce")
        j.send_time = M.parse_datetime(M.child_text(head, "SendTime"))
    # step 4: envelope
    if root.tag != q("Message"):
        j.problems.append(Problem(4, "P002", "/" + etree.QName(root).localname, "根元素应为 Message", "the root element must be Message"))
        return j
    env = _xsd_problems(envelope_schema(), tree, 4)
    body = root.find(q("Body"))
    body_kids = [k for k in body if isinstance(k.tag, str)] if body is not None else []
    if body is not None and len(body_kids) != 1:
        env.append(Problem(4, "P002", "/Message/Body", "Body 应恰含一个元素", "Body must hold exactly one element"))
    for req, el, zh, en in M.value_form_problems(root):
        inside = body is not None and any(a is body for a in el.iterancestors())
        if not inside:
            env.append(Problem(4, "P002", M.path_of(el), zh, en))
    sch = M.schematron()
    sch.validate(tree)
    late: list[Problem] = []
    for node in sch.validation_report.iter("{http://purl.oclc.org/dsdl/svrl}failed-assert"):
        rid = node.get("id") or ""
        step = STEP_OF.get(rid)
        if step is None:
            continue
        txt = " ".join((node.findtext("{http://purl.oclc.org/dsdl/svrl}text") or "").split())
        p = Problem(step, {4: "P002", 5: "P004", 11: "P002"}[step], None, txt, txt)
        (env if step == 4 else late).append(p)
    if env:
        j.problems += env
        return j
    # steps 5-6
    if check_signature:
        sp = [p for p in late if p.step == 5]
        if sp:
            j.problems.append(sp[0])
            return j
        problem = M.signature_problem(root, lookup)
        if problem is not None:
            code, _req, zh, en = problem
            j.problems.append(Problem(5 if code == "P004" else 6, code, "/Message/Signature", zh, en))
            return j
    # step 10: decryption
    element = body_kids[0]
    if j.mtype == "DGDECL" and j.fc in ("9", "5") and element.tag == q("EncryptedData"):
        party = lookup(j.sender)
        dgd, why = M.decrypt(element, party.sm4_key if party else None)
        if dgd is None:
            j.problems.append(Problem(10, "P010", "/Message/Body/EncryptedData", why[0], why[1]))
            return j
        if dgd.tag != q("DangerousGoodsDeclaration"):
            j.problems.append(Problem(11, "P002", "/Message/Body/EncryptedData", "明文不是 DangerousGoodsDeclaration", "the plaintext is not a DangerousGoodsDeclaration"))
            return j
        element = dgd
        prefix = "/Message/Body/EncryptedData"
    else:
        prefix = "/Message/Body"
    # step 11: body element
    body_problems = [p for p in late if p.step == 11]
    if not body_problems:
        standalone = copy.deepcopy(element)
        body_problems = _xsd_problems(M.xsd(), etree.ElementTree(standalone), 11, prefix)
        for _req, el, zh, en in M.value_form_problems(standalone):
            body_problems.append(Problem(11, "P002", prefix + M.path_of(el), zh, en))
    if body_problems:
        j.problems += body_problems
        return j
    j.body_el = element
    # step 13 (stateless part; step 12 is the caller's)
    rules = [Problem(13, "P008", prefix + M.path_of(v.element), v.zh, v.en) for v in M.business_rules(element, j.send_time)]
    head = root.find(q("Head"))
    if M.child_text(head, "ReceiverID") != platform_id:
        rules.append(Problem(13, "P008", "/Message/Head/ReceiverID", "ReceiverID 不是平台代码", "ReceiverID is not the PlatformID"))
    if j.mtype == "RECEIPT":
        rules.append(Problem(13, "P008", "/Message/Head/MessageType", "参与方不能提交 RECEIPT", "a participant never submits a RECEIPT"))
    j.problems += rules
    return j


# ================================================================ parties from PIXIT


def load_pixit_parties(pixit: dict[str, Any], base: Path | None) -> tuple[list[Any], Any]:
    parts = [M.party_from_pixit(e, base) for e in pixit.get("participants") or ()]
    un = pixit.get("unregistered_participant")
    return parts, (M.party_from_pixit(un, base) if un else None)


def fixture_pixit() -> tuple[dict[str, Any], Path]:
    import yaml

    return yaml.safe_load(FIXTURE_PIXIT.read_text(encoding="utf-8")), FIXTURE_PIXIT.parent


def absolutize(pixit: dict[str, Any], base: Path) -> dict[str, Any]:
    """Key paths of a PIXIT made absolute (so a merged PIXIT works from any folder)."""
    def fix(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("keys/"):
            return str(base / v)
        return v

    out = {k: fix(v) for k, v in pixit.items()}
    out["participants"] = [{k: fix(v) for k, v in e.items()} for e in pixit.get("participants") or ()]
    if pixit.get("unregistered_participant"):
        out["unregistered_participant"] = {k: fix(v) for k, v in pixit["unregistered_participant"].items()}
    return out


def platform_party(pixit: dict[str, Any], base: Path | None) -> Any:
    plat = M.Party(id=str(pixit.get("platform_id") or "ZJPORTHUB01"))
    if pixit.get("platform_private_key"):
        plat.sm2_private = C.parse_sm2_private(C.read_key_text(pixit["platform_private_key"], base))
        plat.sm2_public = C.public_from_private(plat.sm2_private)
        plat.secrets.append(f"{plat.sm2_private:064x}")
    elif pixit.get("platform_public_key"):
        plat.sm2_public = C.parse_sm2_public(C.read_key_text(pixit["platform_public_key"], base))
    return plat


def new_nonce() -> str:
    return secrets.token_hex(16)


def reserve_port(host: str) -> tuple[int, Any]:
    """A free port for the harness's listener, held (bound, not listening, SO_REUSEADDR) so
    nothing else takes it before the harness binds it."""
    import socket

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock.getsockname()[1], sock


#: characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TEXT512 = 512  # the schema's limit of Location and Description


def fit_text(text: str, limit: int = TEXT512) -> str:
    """``text`` as a receipt or an API answer can carry it: characters XML cannot hold become
    U+FFFD, and it is cut so that even its escaped form fits ``limit`` (receipt_body cuts the
    escaped text; a cut inside an escape would break the document). Error texts quote the
    submission (XSD messages quote values), so they can hold anything."""
    text = _NOT_XML.sub("\ufffd", text)
    if len(M._esc(text)) <= limit:
        return text
    out, size = [], 0
    for ch in text:
        size += len(M._esc(ch))
        if size > limit:
            break
        out.append(ch)
    return "".join(out)


def receipt_message(platform: Any, *, receiver: str | None, ref_id: str | None, ref_type: str | None, stage: str,
                    status: str, errors: list[Problem] | None = None, mid: str | None = None, seq: int = 0,
                    when: dt.datetime | None = None, prefix: bool = False, wrong_key: Any = None,
                    nonce: str | None = None) -> tuple[str, bytes]:
    when = when or now()
    mid = mid or S.message_id(platform.id, when, seq)
    body = S.receipt_body(ref_id or "", ref_type or "", stage, status, M.format_datetime(when),
                          [(p.code, fit_text(p.location) if p.location else None, fit_text(f"{p.zh} / {p.en}"))
                           for p in errors or ()])
    head = {"MessageID": mid, "FunctionCode": "9", "MessageType": "RECEIPT", "SenderID": platform.id,
            "ReceiverID": receiver if receiver and M.PARTY_ID.fullmatch(receiver) else "UNKNOWN",
            "SendTime": M.format_datetime(when), "Version": "1.0", "Nonce": nonce or new_nonce()}
    root = M.unsigned(head, body)
    if prefix:  # a prefixed document (the defect of §4.1), signed as it is sent
        s = etree.tostring(root, encoding="unicode")
        s = re.sub(r"<(/?)([A-Za-z]+)", r"<\1p:\2", s).replace('xmlns="urn', 'xmlns:p="urn')
        root = etree.fromstring(s.encode("utf-8"), M.safe_parser())
    M.sign_root(root, wrong_key or platform, key_id=platform.id)
    return mid, M.serialize(root)


def api_doc(local: str, inner: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{local} xmlns="{M.NS}">{inner}</{local}>'.encode("utf-8")


def ack_doc(ack_id: str, status: str, code: str | None = None, desc: str = "") -> bytes:
    err = f"<Error><Code>{code}</Code><Description>{M._esc(fit_text(desc or code or ''))}</Description></Error>" if code else ""
    return api_doc("Ack", f"<AckMessageID>{ack_id}</AckMessageID><Status>{status}</Status>{err}")


def parse_doc(data: bytes) -> Any:
    try:
        return etree.fromstring(data, M.safe_parser())
    except etree.XMLSyntaxError:
        return None


def is_non_xml(data: bytes) -> bool:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return not body.lstrip(b" \t\r\n").startswith(b"<")


XML_CT = {"Content-Type": "application/xml; charset=utf-8"}
