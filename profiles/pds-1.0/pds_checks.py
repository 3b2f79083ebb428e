"""PDS 1.0 static checks on message files: what XSD, Schematron and XPath cannot say.

Value forms (§4.5, §5.1, §5.13 ranges), business rules (§5, §6 "rule"), signatures
(§7.1-7.4, keys from PIXIT) and DGDECL decryption with the checks of the decrypted
declaration (§7.6). Each check reports only requirements its binding lists.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from conformance.checks import register_check
from conformance.checks.call import CheckCall
from conformance.checks.display import shorten
from conformance.checks.routing import ROUTES_SCHEMA, route
from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.verdicts import Verdict
from conformance.profile import load_sibling


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


M = _sibling("pds_model")
q = M.q
_OBJ: dict[str, Any] = {"type": "object", "additionalProperties": False}
_METHOD_REQ = {"SM2-SM3": "PDS-7.2", "RSA-SHA256": "PDS-7.3"}


class _Emit:
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


def _message(call: CheckCall) -> Any | None:
    root = call.subject.xml().getroot()
    return root if root.tag == q("Message") else None


def _send_time(root: Any) -> Any:
    return M.parse_datetime(M.child_text(root.find(q("Head")), "SendTime"))


def _decrypted_location(call: CheckCall, enc: Any, el: Any) -> Location:
    loc = call.locate(enc)
    loc.xpath = f"{loc.xpath}{{decrypted}}{M.path_of(el).removeprefix('/DangerousGoodsDeclaration').replace('/', '/pds:') if el is not None else ''}"
    return loc


# ============================================================== §4.5, §5.1, §5.13


@register_check("pds-values", media_types=("xml",), params=_OBJ,
                description=text("值的字面形式、日期时间与数值范围（4.5、5.1、5.13）",
                                 "literal values, date-times and numeric ranges (4.5, 5.1, 5.13)"))
def pds_values(call: CheckCall) -> Iterator[Finding]:
    root = call.subject.xml().getroot()
    emit = _Emit(call)
    for req, el, zh, en in M.value_form_problems(root):
        yield from emit(Verdict.FAIL, req, zh, en, element=el, evidence={"value": el.text})


# ============================================================== business rules


def _platform_id(call: CheckCall) -> str | None:
    pid = call.context.pixit.get("platform_id")
    return str(pid) if pid else None


@register_check("pds-rules", media_types=("xml",), params=_OBJ,
                description=text("业务规则（5、6 中标为“规则”者）", "business rules (the 'rule' statements of 5 and 6)"))
def pds_rules(call: CheckCall) -> Iterator[Finding]:
    root = _message(call)
    if root is None:
        return
    emit = _Emit(call)
    head = root.find(q("Head"))
    body = root.find(q("Body"))
    element = body[0] if body is not None and len(body) and isinstance(body[0].tag, str) else None
    if element is not None and element.tag != q("EncryptedData"):
        for v in M.business_rules(element, _send_time(root)):
            yield from emit(Verdict.FAIL, v.requirement, v.zh, v.en, element=v.element)
    # §6.10.5 needs the PlatformID (PIXIT)
    if "PDS-6.10.5" in emit.bound and head is not None:
        pid = _platform_id(call)
        sender, receiver, mtype = (M.child_text(head, n) for n in ("SenderID", "ReceiverID", "MessageType"))
        if pid is None:
            yield call.inconclusive(text("PIXIT 未给出 platform_id，无法判断接收方", "PIXIT has no platform_id: the receiver cannot be judged"),
                                    requirement="PDS-6.10.5")
        elif sender != pid:
            if receiver != pid:
                yield from emit(Verdict.FAIL, "PDS-6.10.5", f"ReceiverID {receiver} 不是平台代码 {pid}",
                                f"ReceiverID {receiver} is not the PlatformID {pid}", element=head.find(q("ReceiverID")))
            if mtype == "RECEIPT":
                yield from emit(Verdict.FAIL, "PDS-6.10.5", "参与方不应发送 RECEIPT", "a participant never submits a RECEIPT",
                                element=head.find(q("MessageType")))


# ============================================================== signatures


def parties(call: CheckCall) -> dict[str, Any] | None:
    """Registered parties from PIXIT (participants and the platform), cached per run."""
    pixit = call.context.pixit
    if not pixit.get("participants") and not pixit.get("platform_public_key"):
        return None
    key = ("pds-parties", id(pixit))

    def load() -> dict[str, Any]:
        out = {}
        base = call.context.pixit_dir
        for entry in pixit.get("participants") or ():
            p = M.party_from_pixit(entry, base)
            out[p.id] = p
        if pixit.get("platform_id") and pixit.get("platform_public_key"):
            plat = M.Party(id=str(pixit["platform_id"]))
            plat.sm2_public = M.crypto.parse_sm2_public(M.crypto.read_key_text(pixit["platform_public_key"], base))
            out[plat.id] = plat
        return out

    return call.cached(key, load)


def _strict_base64(value: str) -> bool:
    try:
        M.crypto.b64decode_strict(value)
    except ValueError:
        return False
    return True


@register_check("pds-signature", media_types=("xml",), params=_OBJ,
                description=text("签名验证（7.1–7.4，公钥取自 PIXIT）", "signature verification (7.1-7.4, keys from PIXIT)"))
def pds_signature(call: CheckCall) -> Iterator[Finding]:
    root = _message(call)
    if root is None or root.find(q("Head")) is None or root.find(q("Body")) is None or root.find(q("Signature")) is None:
        return
    emit = _Emit(call)
    try:
        registry = parties(call)
    except (OSError, ValueError) as exc:
        for req in emit.bound:
            yield call.error(text(f"PIXIT 中的密钥无法读取：{exc}", f"a key in PIXIT cannot be read: {exc}"), requirement=req)
        return
    if registry is None:
        for req in sorted(emit.bound):
            yield call.inconclusive(text("PIXIT 未给出参与方密钥，无法验签", "PIXIT gives no participant keys: signatures cannot be verified"),
                                    requirement=req)
        return
    sig = root.find(q("Signature"))
    method = M.child_text(sig, "Method")
    # What cannot be verified is not verified: undecided, never an implicit pass.
    undecided = None
    if method not in ("SM2-SM3", "RSA-SHA256"):
        shown = shorten(method)
        undecided = (("PDS-7.2", "PDS-7.3"), f"签名方法 “{shown}” 不是 SM2-SM3 或 RSA-SHA256（见 PDS-4.8），无法验签",
                     f"the signature Method '{shown}' is neither SM2-SM3 nor RSA-SHA256 (see PDS-4.8); not verified")
    elif not _strict_base64(M.child_text(sig, "Value") or ""):
        undecided = ((_METHOD_REQ[method],), "签名值不是带填充、无空白的 base64（见 PDS-4.8），无法验签",
                     "the signature Value is not padded base64 without whitespace (see PDS-4.8); not verified")
    else:
        entity = next(root.iter(etree.Entity), None)
        if entity is not None:
            undecided = ((_METHOD_REQ[method],), f"报文含有未展开的实体引用 {entity.text}，签名输入无法确定，无法验签",
                         f"the message holds the entity reference {entity.text}, which the safe parser does not "
                         "expand: the signed content is unknown; not verified")
    if undecided is not None:
        reqs, zh, en = undecided
        for req in reqs:
            yield from emit(Verdict.INCONCLUSIVE, req, zh, en, element=sig)
        for req in {"PDS-7.2", "PDS-7.3"} - set(reqs):
            if req in emit.bound:
                yield call.not_applicable(text(f"本报文使用 {method}", f"this message is signed with {method}"), requirement=req)
        return
    problem = M.signature_problem(root, registry.get)
    if problem is not None:
        code, req, zh, en = problem
        yield from emit(Verdict.FAIL, req, f"{zh}（{code}）", f"{en} ({code})", element=sig, evidence={"code": code})
    elif method == "RSA-SHA256":
        yield from emit(Verdict.PASS, "PDS-7.3", "RSA-SHA256 签名有效", "the RSA-SHA256 signature verifies", element=sig)
        if "PDS-7.2" in emit.bound:
            yield call.not_applicable(text("本报文使用 RSA-SHA256", "this message is signed with RSA-SHA256"), requirement="PDS-7.2")
    elif "PDS-7.3" in emit.bound:
        yield call.not_applicable(text("本报文使用 SM2-SM3", "this message is signed with SM2-SM3"), requirement="PDS-7.3")


# ============================================================== §7.6 DGDECL encryption


@register_check("pds-encryption", media_types=("xml",),
                params={"type": "object", "additionalProperties": False,
                        "properties": {"routes": ROUTES_SCHEMA}},
                description=text("DGDECL 解密及解密后内容检查（7.6）", "DGDECL decryption and checks of the decrypted content (7.6)"))
def pds_encryption(call: CheckCall) -> Iterator[Finding]:
    root = _message(call)
    if root is None:
        return
    head, body = root.find(q("Head")), root.find(q("Body"))
    if head is None or body is None or len(body) != 1 or body[0].tag != q("EncryptedData"):
        return
    if M.child_text(head, "MessageType") != "DGDECL" or M.child_text(head, "FunctionCode") == "1":
        return  # PDS-7.6.4 (Schematron)
    emit = _Emit(call)
    enc = body[0]
    try:
        registry = parties(call)
    except (OSError, ValueError) as exc:
        yield call.error(text(f"PIXIT 中的密钥无法读取：{exc}", f"a key in PIXIT cannot be read: {exc}"), requirement="PDS-7.6.3")
        return
    sender = registry.get(M.child_text(head, "SenderID") or "") if registry else None
    if sender is None or sender.sm4_key is None:
        yield call.inconclusive(text("PIXIT 未给出发送方的 SM4 密钥，无法解密", "PIXIT gives no SM4 key for the sender: cannot decrypt"),
                                requirement="PDS-7.6.3")
        return
    dgd, why = M.decrypt(enc, sender.sm4_key)
    if dgd is None:
        yield from emit(Verdict.FAIL, "PDS-7.6.3", f"{why[0]}（P010）", f"{why[1]} (P010)", element=enc)
        return
    if dgd.tag != q("DangerousGoodsDeclaration"):
        yield from emit(Verdict.FAIL, "PDS-7.6.3", "明文不是 DangerousGoodsDeclaration 元素",
                        "the plaintext is not a DangerousGoodsDeclaration element", element=enc)
        return
    # The decrypted declaration gets the body checks of a clear one (§7.6.3: violations are P002 / P008).
    schema = M.xsd()
    if not schema.validate(etree.ElementTree(dgd)):
        for entry in schema.error_log:
            req = route(call.params.get("routes"), "PDS-6.7", message=entry.message)
            yield from emit(Verdict.FAIL, req, f"解密后 XML 模式校验错误：{entry.message}", f"decrypted content, XML Schema error: {entry.message}",
                            location=_decrypted_location(call, enc, None), evidence={"decrypted": True, "line": entry.line})
    for req, el, zh, en in M.value_form_problems(dgd):
        yield from emit(Verdict.FAIL, req, f"解密后：{zh}", f"decrypted content: {en}", location=_decrypted_location(call, enc, el),
                        evidence={"decrypted": True, "path": M.path_of(el)})
    for v in M.business_rules(dgd, _send_time(root)):
        yield from emit(Verdict.FAIL, v.requirement, f"解密后：{v.zh}", f"decrypted content: {v.en}",
                        location=_decrypted_location(call, enc, v.element), evidence={"decrypted": True, "path": M.path_of(v.element)})
