"""PDS 1.0 live scenarios with the port platform as SUT (`--role platform`), and the
registration of the reference platform (pds_platform_ref.py).

The harness plays registered enterprises (PIXIT `participants`) and one unregistered
one, submits valid messages and messages that break one rule (or two, for the check
order of §8.2), queries receipts and statuses, uses the signature API, and listens on
loopback for the FINAL receipts the platform pushes (§10.1). Scenarios run in binding
order and share state through ``session.shared``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.live import Response, register_reference, register_scenario
from conformance.live.scenario import live_session
from conformance.profile import load_sibling


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


P = _sibling("pds_peer")
REF = _sibling("pds_platform_ref")
M, C, S, q = P.M, P.C, P.S, P.q
XML = P.XML_CT


def _loc(call: Any, ex: Any) -> Location:
    return Location(file=call.subject.name, exchange=ex.index if ex is not None else None)


class Ctx:
    """What every platform scenario needs: parties, keys, the listener, collected receipts."""

    def __init__(self, call: Any):
        s = live_session(call)
        self.s = s
        base = call.context.pixit_dir
        pixit = s.pixit
        self.platform_id = str(pixit.get("platform_id") or "")
        self.platform = P.platform_party({"platform_id": self.platform_id,
                                          "platform_public_key": pixit.get("platform_public_key")}, base)
        self.parties, self.unregistered = P.load_pixit_parties(pixit, base)
        for p in [*self.parties, *([self.unregistered] if self.unregistered else [])]:
            for secret in p.secrets:
                s.secret(secret)
        self.a = self.parties[0]
        self.b = self.parties[1] if len(self.parties) > 1 else None
        # one connection per request: a keep-alive connection the SUT closed while idle
        # would otherwise turn into a spurious transport fault
        self.http = s.client(headers={"Connection": "close"})
        self.retry_wait = float(pixit.get("retry_wait_s", 5))
        self.timeout = float(pixit.get("timeout_s", 10))
        self.seq = int(call.rng.randint(0, 900_000))
        self.sync: list[tuple[bytes, Any]] = []  # (receipt bytes, exchange)
        self.pushes: list[dict[str, Any]] = []
        self.ack_modes: dict[str, str] = {}  # submitted MessageID -> normal | fail2 | never | refuse
        self.accepted: list[str] = []
        self.rejected: list[str] = []
        self.lock = threading.Lock()
        self.listener = s.listen(self.on_push, name="platform-final-receipts")

    def lookup(self, pid: str | None) -> Any:
        if pid == self.platform_id:
            return self.platform
        return next((p for p in self.parties if p.id == pid), None)

    # ------------------------------------------------------------------ the callback listener

    def on_push(self, req: Any) -> Any:
        doc = P.parse_doc(req.body)
        head = doc.find(q("Head")) if doc is not None else None
        rid = M.child_text(head, "MessageID") if head is not None else None
        receipt = doc.find(f"{q('Body')}/{q('Receipt')}") if doc is not None else None
        ref = M.child_text(receipt, "RefMessageID") if receipt is not None else None
        with self.lock:
            n = sum(1 for p in self.pushes if p["rid"] == rid) + 1
            self.pushes.append({"rid": rid, "ref": ref, "nonce": M.child_text(head, "Nonce") if head is not None else None,
                                "data": req.body, "at": time.monotonic(), "attempt": n, "path": req.path})
            mode = self.ack_modes.get(ref or "", "normal")
        if doc is None or rid is None:
            return Response(400, "not a receipt")
        if mode == "never" or (mode == "fail2" and n <= 2):
            return Response(503, "harness: simulated failure")
        if mode == "refuse":
            return Response(200, P.ack_doc(rid, "REFUSED", "P008", "harness: refused on purpose"), XML)
        return Response(200, P.ack_doc(rid, "RECEIVED"), XML)

    # ------------------------------------------------------------------ submissions

    def next_id(self, party: Any, when: dt.datetime) -> str:
        self.seq += 1
        return S.message_id(party.id, when, self.seq)

    def build(self, msg_type: str = "GATE", party: Any = None, *, offset_s: float = 0,
              at: dt.datetime | None = None, **kw: Any) -> Any:
        party = party or self.a
        when = (at or P.now()) + dt.timedelta(seconds=offset_s)
        kw.setdefault("mid", self.next_id(party, when))
        kw.setdefault("nonce", P.new_nonce())
        return S.build(msg_type, party, receiver=kw.pop("receiver", self.platform_id), send=when, **kw)

    def post(self, data: bytes, step: str, **kw: Any) -> Any:
        return self.http.post("messages", body=data, headers=XML, step=step, **kw)

    def submit(self, data: bytes, step: str, mode: str = "normal") -> tuple[Any, Any]:
        """POST a message; (exchange, parsed receipt root or None)."""
        root = P.parse_doc(data)
        mid = M.child_text(root.find(q("Head")), "MessageID") if root is not None and root.find(q("Head")) is not None else None
        if mid:
            self.ack_modes[mid] = mode
        ex = self.post(data, step)
        rec = P.parse_doc(ex.response_body) if ex.status == 200 else None
        if ex.status == 200:
            self.sync.append((ex.response_body, ex))
        if rec is not None and mid:
            st = receipt_status(rec)
            if st == "ACCEPTED":
                self.accepted.append(mid)
            elif mid not in self.accepted:
                self.rejected.append(mid)
        return ex, rec


def receipt_status(root: Any) -> str | None:
    r = root.find(f"{q('Body')}/{q('Receipt')}") if root is not None else None
    return M.child_text(r, "Status") if r is not None else None


def first_code(root: Any) -> str | None:
    r = root.find(f"{q('Body')}/{q('Receipt')}/{q('Errors')}/{q('Error')}") if root is not None else None
    return M.child_text(r, "Code") if r is not None else None


def ctx(call: Any) -> Ctx:
    s = live_session(call)
    if "pds" not in s.shared:
        s.shared["pds"] = Ctx(call)
    return s.shared["pds"]


def tamper(root: Any, old: str, new: str) -> bytes:
    data = M.serialize(root)
    assert old.encode() in data, old
    return data.replace(old.encode(), new.encode(), 1)


def _emit(call: Any, req: str, zh: str, en: str, ex: Any = None, evidence: Any = None) -> Finding | None:
    if req not in call.binding.requirements or req not in call.applicable:
        return None
    return call.fail(text(zh, en), requirement=req, location=_loc(call, ex), evidence=evidence)


def _expect(call: Any, c: Ctx, req: str, case: str, data: bytes, want: str, mode: str = "normal") -> Iterator[Finding]:
    """Submit and compare the SYNC receipt's status / first error code with ``want``."""
    ex, rec = c.submit(data, f"{req}: {case}", mode)
    got = receipt_status(rec)
    code = first_code(rec)
    ok = (got == "ACCEPTED") if want == "ACCEPTED" else (got == "REJECTED" and code == want)
    if ex.status != 200 or rec is None:
        f = _emit(call, req, f"{case}：应答 HTTP {ex.status}，不是回执", f"{case}: answered HTTP {ex.status}, not a receipt", ex)
    elif not ok:
        f = _emit(call, req, f"{case}：应为 {want}，实际 {got} {code or ''}", f"{case}: expected {want}, got {got} {code or ''}", ex,
                  {"expected": want, "status": got, "code": code})
    else:
        return
    if f is not None:
        yield f


# ====================================================================== §8.1-8.3 submissions


@register_scenario("pds-p-submit", description=text("提交有效与违规报文，检查同步回执（8.1–8.3）",
                                                    "valid and rule-breaking submissions, SYNC receipts (8.1-8.3)"))
def submit(call: Any) -> Iterator[Finding]:
    c = ctx(call)
    a, b = c.a, c.b
    # valid messages of every business type (8.1, 8.3)
    for t in S.BUSINESS_TYPES:
        yield from _expect(call, c, "PDS-P-8.1", f"valid {t}", M.serialize(c.build(t)), "ACCEPTED")
    if a.rsa_private is not None:
        yield from _expect(call, c, "PDS-P-7.3", "RSA-SHA256 from a participant with an RSA key",
                           M.serialize(c.build("GATE", method="RSA-SHA256")), "ACCEPTED")
    elif "PDS-P-7.3" in call.binding.requirements:
        yield call.not_applicable(text("PIXIT 中的第一个参与方没有 RSA 密钥", "the first PIXIT participant has no RSA key"), requirement="PDS-P-7.3")
    # P001 (4.3)
    good = M.serialize(c.build("GATE"))
    yield from _expect(call, c, "PDS-P-4.3", "truncated XML", good[: len(good) // 2], "P001")
    yield from _expect(call, c, "PDS-P-4.3", "DOCTYPE", good.replace(b"?>\n", b"?>\n<!DOCTYPE Message>\n", 1), "P001")
    yield from _expect(call, c, "PDS-P-4.3", "GBK declaration", M.serialize(c.build("VSLARR")).replace(b'encoding="UTF-8"', b'encoding="GBK"', 1), "P001")
    # P002 (4.9: envelope step 4, body step 11)
    yield from _expect(call, c, "PDS-P-4.9", "Head without Nonce", tamper(c.build("GATE"), "<Nonce>", "<Nonce2>").replace(b"</Nonce>", b"</Nonce2>", 1), "P002")
    yield from _expect(call, c, "PDS-P-4.9", "two elements in Body", M.serialize(c.build("GATE", body_inner=S.body("GATE", P.now()) * 2)), "P002")
    yield from _expect(call, c, "PDS-P-4.9", "ContainerNo pattern", M.serialize(c.build("GATE", replace=[("CSQU3054383", "CSQX3054383")])), "P002")
    yield from _expect(call, c, "PDS-P-4.9", "DGDECL body in clear", M.serialize(c.build("DGDECL", encrypt=False)), "P002")
    # P004 (7.4)
    if c.unregistered is not None:
        yield from _expect(call, c, "PDS-P-7.4", "unregistered sender", M.serialize(c.build("GATE", c.unregistered)), "P004")
    if b is not None:
        yield from _expect(call, c, "PDS-P-7.4", "KeyId is not SenderID", tamper(c.build("GATE"), f"<KeyId>{a.id}<", f"<KeyId>{b.id}<"), "P004")
    no_rsa = next((p for p in c.parties if p.rsa_private is None), None)
    if no_rsa is not None:
        yield from _expect(call, c, "PDS-P-7.4", "RSA-SHA256 without a registered RSA key",
                           tamper(c.build("GATE", no_rsa), "<Method>SM2-SM3", "<Method>RSA-SHA256"), "P004")
    # P003 (7.2)
    yield from _expect(call, c, "PDS-P-7.2", "tampered body", tamper(c.build("GATE"), "<GateID>G03", "<GateID>G04"), "P003")
    if b is not None:
        impostor = M.Party(id=a.id, sm2_private=b.sm2_private, sm2_public=b.sm2_public, sm4_key=a.sm4_key)
        yield from _expect(call, c, "PDS-P-7.2", "signed with another key", M.serialize(c.build("GATE", impostor)), "P003")
    r = c.build("GATE")
    v = r.find(f"{q('Signature')}/{q('Value')}")
    rr, ss = C.der_decode(C.b64decode_strict(v.text))
    ri = C._der_int(rr)
    pad = b"\x02" + bytes([len(ri) - 1]) + b"\x00" + ri[2:]
    v.text = C.b64(b"\x30" + bytes([len(pad) + len(C._der_int(ss))]) + pad + C._der_int(ss))
    yield from _expect(call, c, "PDS-P-7.2", "non-minimal DER", M.serialize(r), "P003")
    # P005, P006, P007
    yield from _expect(call, c, "PDS-P-7.5.1", "SendTime 400 s old", M.serialize(c.build("GATE", offset_s=-400)), "P005")
    yield from _expect(call, c, "PDS-P-7.5.1", "SendTime 400 s ahead", M.serialize(c.build("VSLARR", offset_s=400)), "P005")
    first = c.build("GATE")
    yield from _expect(call, c, "PDS-P-7.5.2", "first use of a nonce", M.serialize(first), "ACCEPTED")
    nonce = M.child_text(first.find(q("Head")), "Nonce")
    yield from _expect(call, c, "PDS-P-7.5.2", "reused nonce", M.serialize(c.build("GATE", nonce=nonce)), "P006")
    mid = M.child_text(first.find(q("Head")), "MessageID")
    c.s.shared["pds_dup_mid"] = mid
    yield from _expect(call, c, "PDS-P-11.3", "duplicate MessageID", M.serialize(c.build("GATE", mid=mid)), "P007")
    # P010 (7.6.3)
    wrong = M.Party(id=a.id, sm2_private=a.sm2_private, sm2_public=a.sm2_public, sm4_key=bytes(range(16)))
    yield from _expect(call, c, "PDS-P-7.6.3", "wrong SM4 key", M.serialize(c.build("DGDECL", wrong)), "P010")
    yield from _expect(call, c, "PDS-P-7.6.3", "not base64", M.serialize(c.build("DGDECL", body_inner='<EncryptedData Algorithm="SM4-CBC">not*base64</EncryptedData>', encrypt=False)), "P010")
    yield from _expect(call, c, "PDS-P-7.6.3", "AES algorithm", M.serialize(c.build("DGDECL", body_inner='<EncryptedData Algorithm="AES-128-CBC">' + C.b64(bytes(32)) + "</EncryptedData>", encrypt=False)), "P010")
    # P009 (8.7.1)
    unknown_ref = S.message_id(a.id, P.now(), 999_999)
    yield from _expect(call, c, "PDS-P-8.7.1", "replacement of an unknown message", M.serialize(c.build("GATE", fc="5", ref=unknown_ref)), "P009")
    vsl = c.build("VSLARR")
    yield from _expect(call, c, "PDS-P-8.7.1", "VSLARR to be referenced", M.serialize(vsl), "ACCEPTED")
    yield from _expect(call, c, "PDS-P-8.7.1", "replacement with another MessageType",
                       M.serialize(c.build("GATE", fc="5", ref=M.child_text(vsl.find(q("Head")), "MessageID"))), "P009")
    # P008 business rules (step 13), each rule alone
    rules = [("IMO check digit", "VSLARR", [("9074729", "9074728")]),
             ("MMSI and Flag", "VSLARR", [("413123456", "477123456")]),
             ("reporting PortCode not CN", "GATE", [("<PortCode>CNNGB", "<PortCode>USLAX")]),
             ("ISO 6346 check digit", "GATE", [("CSQU3054383", "CSQU3054384")]),
             ("ATA after SendTime", "VSLARR", None),
             ("ContainerCount", "GATE", [("<ContainerCount>1", "<ContainerCount>2")]),
             ("full container without seal", "GATE", [("<SealNo>CN1234567</SealNo>", "")]),
             ("bay parity", "LOADDISC", [("0010282", "0040282")]),
             ("UN number range (encrypted)", "DGDECL", [("<UNNumber>1203", "<UNNumber>3600")]),
             ("PackingGroup for class 3 (encrypted)", "DGDECL", [("<PackingGroup>II</PackingGroup>", "")])]
    for name, t, repl in rules:
        if repl is None:
            # Both builds at one instant: the body's times derive from the send time, so a
            # second boundary between two builds would change the ATA being replaced.
            at = P.now()
            root = c.build(t, at=at)
            ata = root.find(f"{q('Body')}/{q('VesselArrival')}/{q('ATA')}").text
            send = M.parse_datetime(M.child_text(root.find(q("Head")), "SendTime"))
            root = c.build(t, at=at, replace=[(f"<ATA>{ata}", f"<ATA>{M.format_datetime(send + dt.timedelta(minutes=3))}")])
        else:
            root = c.build(t, replace=repl)
        yield from _expect(call, c, "PDS-P-8.2.13", name, M.serialize(root), "P008")
    yield from _expect(call, c, "PDS-P-8.2.13", "ReceiverID not the platform", M.serialize(c.build("GATE", receiver="OTHERHUB01")), "P008")
    # 8.2.1 (SHOULD): every violation reported with a Location
    ex, rec = c.submit(M.serialize(c.build("GATE", replace=[("CSQU3054383", "CSQU3054384"), ("<SealNo>CN1234567</SealNo>", "")])), "PDS-P-8.2.1: two rule violations")
    errors = rec.findall(f"{q('Body')}/{q('Receipt')}/{q('Errors')}/{q('Error')}") if rec is not None else []
    if len([e for e in errors if M.child_text(e, "Code") == "P008" and M.child_text(e, "Location")]) < 2:
        f = _emit(call, "PDS-P-8.2.1", "两处业务规则违规应各报一个带 Location 的 P008", "two rule violations should give two P008 errors with Location", ex)
        if f:
            yield f
    # 8.2 check order: two faults, the earlier step wins
    order = [("bad signature and stale SendTime", tamper(c.build("GATE", offset_s=-400), "<GateID>G03", "<GateID>G04"), "P003"),
             ("unregistered sender and stale SendTime", M.serialize(c.build("GATE", c.unregistered, offset_s=-400)) if c.unregistered else None, "P004"),
             ("bad envelope and bad signature", tamper(c.build("GATE"), "<Version>1.0", "<Version>2.0"), "P002"),
             ("reused nonce and bad body", M.serialize(c.build("GATE", nonce=nonce, replace=[("CSQU3054383", "CSQX3054383")])), "P006"),
             ("undecryptable and rule violation", M.serialize(c.build("DGDECL", wrong, replace=[("<UNNumber>1203", "<UNNumber>3600")])), "P010"),
             ("bad reference and rule violation", M.serialize(c.build("GATE", fc="5", ref=unknown_ref, replace=[("CSQU3054383", "CSQU3054384")])), "P009"),
             ("body structure and rule violation", M.serialize(c.build("GATE", replace=[("CSQU3054383", "CSQU3054384"), ("<TruckPlate>浙B12345", "<TruckPlate>浙b12345")])), "P002")]
    for name, data, want in order:
        if data is not None:
            yield from _expect(call, c, "PDS-P-8.2", name, data, want)


# ====================================================================== HTTP (2.9, 8.4)


@register_scenario("pds-p-http", description=text("HTTP 状态码（2.9、8.4）", "HTTP statuses (2.9, 8.4)"))
def http_statuses(call: Any) -> Iterator[Finding]:
    c = ctx(call)
    checks = [("PDS-P-8.4", "non-XML body", lambda: c.post(b"hello", "PDS-P-8.4: non-XML"), 400),
              ("PDS-P-8.4", "empty body", lambda: c.post(b"", "PDS-P-8.4: empty"), 400),
              ("PDS-P-8.4", "body over 5 MiB", lambda: c.post(b"<" + b" " * (M.MAX_BODY + 1), "PDS-P-8.4: oversized", timeout=max(c.timeout, 30)), 413),
              ("PDS-P-2.9", "unknown path", lambda: c.http.get("nothing-here", step="PDS-P-2.9: unknown path"), 404),
              ("PDS-P-2.9", "GET on messages", lambda: c.http.get("messages", step="PDS-P-2.9: wrong method"), 405)]
    for req, name, send, want in checks:
        ex = send()
        if ex.status != want or (want == 405 and not any(k.lower() == "allow" for k in ex.response_headers)):
            f = _emit(call, req, f"{name}：应为 HTTP {want}，实际 {ex.status}", f"{name}: expected HTTP {want}, got {ex.status}", ex)
            if f:
                yield f
    for ex in c.s.recorder:
        if ex.direction == "out" and ex.status is not None and ex.status >= 500:
            f = _emit(call, "PDS-P-8.4", f"应答了 HTTP {ex.status}", f"answered HTTP {ex.status}", ex)
            if f:
                yield f


# ====================================================================== queries, replacement (8.2.2, 8.5-8.7)


def _get(c: Ctx, path: str, key: str | None, step: str) -> Any:
    headers = {"X-Api-Key": key} if key is not None else {}
    # wait past the 10 s limit of 2.8, so a slow answer is judged rather than cut off
    return c.http.get(path, headers=headers, step=step, timeout=max(c.timeout, 11.0))


@register_scenario("pds-p-store", description=text("回执与状态查询、更正与撤销（8.2.2、8.5–8.7）",
                                                   "receipt and status queries, replacement and cancellation (8.2.2, 8.5-8.7)"))
def store(call: Any) -> Iterator[Finding]:
    c = ctx(call)
    a, b = c.a, c.b

    def status_of(mid: str, key: str | None, step: str) -> tuple[Any, Any]:
        ex = _get(c, f"messages/{mid}/status", key, step)
        doc = P.parse_doc(ex.response_body) if ex.status == 200 else None
        return ex, doc

    def fail(req: str, zh: str, en: str, ex: Any = None) -> Iterator[Finding]:
        f = _emit(call, req, zh, en, ex)
        if f:
            yield f

    # 8.2.2: rejected at step 13 is stored; rejected at step 6 is not
    bad13 = c.build("GATE", replace=[("CSQU3054383", "CSQU3054384")])
    c.submit(M.serialize(bad13), "PDS-P-8.2.2: rejected at step 13")
    mid13 = M.child_text(bad13.find(q("Head")), "MessageID")
    ex = _get(c, f"receipts/{mid13}", a.api_key, "PDS-P-8.2.2: receipt of a step-13 rejection")
    if ex.status != 200 or receipt_status(P.parse_doc(ex.response_body)) != "REJECTED":
        yield from fail("PDS-P-8.2.2", "第 13 步拒收的报文应可查询到 REJECTED 回执", "a message rejected at step 13 must have a queryable REJECTED receipt", ex)
    bad6 = c.build("GATE")
    c.submit(tamper(bad6, "<GateID>G03", "<GateID>G04"), "PDS-P-8.2.2: rejected at step 6")
    ex = _get(c, f"receipts/{M.child_text(bad6.find(q('Head')), 'MessageID')}", a.api_key, "PDS-P-8.2.2: receipt of a step-6 rejection")
    if ex.status != 404:
        yield from fail("PDS-P-8.2.2", f"第 3–9 步拒收的报文不应存储，查询应 404，实际 {ex.status}", f"a message rejected at steps 3-9 stores nothing: expected 404, got {ex.status}", ex)
    dup = c.s.shared.get("pds_dup_mid")
    if dup:
        ex, doc = status_of(dup, a.api_key, "PDS-P-8.2.2: original after a duplicate")
        if doc is None or M.child_text(doc, "Status") not in ("ACCEPTED", "PROCESSED"):
            yield from fail("PDS-P-8.2.2", "重复 MessageID 的拒收不应改变原报文状态", "a P007 rejection must not change the earlier message's status", ex)
    # 8.6 and 8.7.2: original -> replacement -> cancellation
    orig = c.build("GATE")
    c.submit(M.serialize(orig), "PDS-P-8.7.2: original")
    omid = M.child_text(orig.find(q("Head")), "MessageID")
    ex, doc = status_of(omid, a.api_key, "PDS-P-8.6: status of an accepted message")
    if doc is None or doc.tag != q("MessageStatus") or not M.xsd().validate(doc.getroottree()) \
            or M.child_text(doc, "MessageID") != omid or M.child_text(doc, "Status") not in ("ACCEPTED", "PROCESSED"):
        yield from fail("PDS-P-8.6", "状态查询应返回符合 8.6 的 MessageStatus", "the status query must return a MessageStatus as in 8.6", ex)
    repl = c.build("GATE", fc="5", ref=omid)
    c.submit(M.serialize(repl), "PDS-P-8.7.2: replacement")
    rmid = M.child_text(repl.find(q("Head")), "MessageID")
    ex, doc = status_of(omid, a.api_key, "PDS-P-8.7.2: original after replacement")
    if doc is None or M.child_text(doc, "Status") != "REPLACED" or M.child_text(doc, "ReplacedBy") != rmid:
        yield from fail("PDS-P-8.7.2", "被更正的报文应为 REPLACED 且 ReplacedBy 为更正报文", "the replaced message must be REPLACED with ReplacedBy", ex)
    canc = c.build("GATE", fc="1", ref=rmid)
    c.submit(M.serialize(canc), "PDS-P-8.7.2: cancellation")
    ex, doc = status_of(rmid, a.api_key, "PDS-P-8.7.2: replacement after cancellation")
    if doc is None or M.child_text(doc, "Status") != "CANCELLED" or M.child_text(doc, "CancelledBy") != M.child_text(canc.find(q("Head")), "MessageID"):
        yield from fail("PDS-P-8.7.2", "被撤销的报文应为 CANCELLED 且 CancelledBy 为撤销报文", "the cancelled message must be CANCELLED with CancelledBy", ex)
    # 8.6.1 access control
    for key, want, name in ((None, 401, "no X-Api-Key"), ("x" * 40, 401, "unknown X-Api-Key")):
        ex = _get(c, f"receipts/{omid}", key, f"PDS-P-8.6.1: {name}")
        if ex.status != want:
            yield from fail("PDS-P-8.6.1", f"{name}：应为 {want}，实际 {ex.status}", f"{name}: expected {want}, got {ex.status}", ex)
    if b is not None and b.api_key:
        for path in (f"receipts/{omid}", f"messages/{omid}/status"):
            ex = _get(c, path, b.api_key, "PDS-P-8.6.1: another participant's message")
            if ex.status != 404:
                yield from fail("PDS-P-8.6.1", f"查询他人报文应 404，实际 {ex.status}", f"another participant's message must get 404, got {ex.status}", ex)
    ex = _get(c, f"receipts/{S.message_id(a.id, P.now(), 999_998)}", a.api_key, "PDS-P-8.6.1: unknown MessageID")
    if ex.status != 404:
        yield from fail("PDS-P-8.6.1", f"未记录的 MessageID 应 404，实际 {ex.status}", f"an unrecorded MessageID must get 404, got {ex.status}", ex)


# ====================================================================== §9 signature API


@register_scenario("pds-p-signature-api", description=text("数字签名接口（9）", "digital-signature API (9)"))
def signature_api(call: Any) -> Iterator[Finding]:
    c = ctx(call)

    def fail(req: str, zh: str, en: str, ex: Any = None) -> Iterator[Finding]:
        f = _emit(call, req, zh, en, ex)
        if f:
            yield f

    def sign_request(root: Any, method: str = "SM2-SM3") -> bytes:
        head, body = (M.serialize(root.find(q(n))).split(b"?>\n", 1)[1] for n in ("Head", "Body"))
        return P.api_doc("SignRequest", f"<Method>{method}</Method>".encode().decode() + head.decode() + body.decode())

    def post(path: str, data: bytes, key: str | None, step: str) -> tuple[Any, Any]:
        headers = dict(XML)
        if key is not None:
            headers["X-Api-Key"] = key
        ex = c.http.post(path, body=data, headers=headers, step=step)
        return ex, (P.parse_doc(ex.response_body) if ex.status == 200 else None)

    hosted = next((p for p in c.parties if p.hosted_key), None)
    plain = next((p for p in c.parties if not p.hosted_key), None)
    # 9.1 access and statuses
    msg = c.build("GATE", hosted or c.a)
    for key, want, name in ((None, 401, "no X-Api-Key"), ("y" * 40, 401, "unknown X-Api-Key")):
        ex, _ = post("signature/sign", sign_request(msg), key, f"PDS-P-9.1: {name}")
        if ex.status != want:
            yield from fail("PDS-P-9.1", f"{name}：应为 {want}，实际 {ex.status}", f"{name}: expected {want}, got {ex.status}", ex)
    ex, _ = post("signature/verify", b"plain text", c.a.api_key, "PDS-P-9.1: non-XML")
    if ex.status != 400:
        yield from fail("PDS-P-9.1", f"非 XML 请求应为 400，实际 {ex.status}", f"a non-XML request must get 400, got {ex.status}", ex)
    ex, doc = post("signature/sign", b"<SignRequest", c.a.api_key, "PDS-P-9.1: malformed")
    if doc is None or M.child_text(doc.find(q("Error")), "Code") != "P001":
        yield from fail("PDS-P-9.1", "格式错误的请求应答 P001", "a malformed request must be answered with P001", ex)
    # 9.2.1 / 9.2.4: sign with the hosted key, submit, ACCEPTED
    if hosted is None:
        for req in ("PDS-P-9.2.1", "PDS-P-9.2.3"):
            if req in call.binding.requirements:
                yield call.inconclusive(text("PIXIT 中没有 hosted_key 为 true 的参与方", "no PIXIT participant has hosted_key true"), requirement=req)
    else:
        ex, doc = post("signature/sign", sign_request(msg), hosted.api_key, "PDS-P-9.2.1: sign with the hosted key")
        sig = doc.find(q("Signature")) if doc is not None else None
        if doc is None or M.child_text(doc, "Result") != "SIGNED" or sig is None:
            yield from fail("PDS-P-9.2.1", "协助签名应返回 SIGNED 与 Signature", "sign must answer SIGNED with a Signature", ex)
        else:
            old = msg.find(q("Signature"))
            msg.replace(old, sig)
            if M.signature_problem(msg, c.lookup) is not None:
                yield from fail("PDS-P-9.2.1", "返回的签名不能按 7 验证", "the returned signature does not verify under 7", ex)
            else:
                ex2, rec = c.submit(M.serialize(msg), "PDS-P-9.2.1: submit the platform-signed message")
                if receipt_status(rec) != "ACCEPTED":
                    yield from fail("PDS-P-9.2.1", "平台协助签名的报文提交后应被接受", "a message signed by the service must be accepted", ex2)
        if c.b is not None:
            other = c.build("GATE", next(p for p in c.parties if p is not hosted))
            ex, doc = post("signature/sign", sign_request(other), hosted.api_key, "PDS-P-9.2.3: SenderID of another participant")
            if doc is None or M.child_text(doc, "Result") != "ERROR" or M.child_text(doc.find(q("Error")), "Code") != "P004":
                yield from fail("PDS-P-9.2.3", "为他人 SenderID 签名应答 ERROR P004", "signing for another SenderID must answer ERROR P004", ex)
        if plain is not None and plain.api_key:
            ex, doc = post("signature/sign", sign_request(c.build("GATE", plain)), plain.api_key, "PDS-P-9.2.3: owner without a hosted key")
            if doc is None or M.child_text(doc, "Result") != "ERROR" or M.child_text(doc.find(q("Error")), "Code") != "P004":
                yield from fail("PDS-P-9.2.3", "无托管密钥的参与方请求签名应答 ERROR P004", "an owner without a hosted key must get ERROR P004", ex)
        bad_head = c.build("GATE", hosted, mid="X" + c.next_id(hosted, P.now())[1:])
        ex, doc = post("signature/sign", sign_request(bad_head), hosted.api_key, "PDS-P-9.2.2: MessageID not of the SenderID")
        if doc is None or M.child_text(doc.find(q("Error")), "Code") != "P002":
            yield from fail("PDS-P-9.2.2", "Head 违反 4.6 时应答 ERROR P002", "a Head violating 4.6 must get ERROR P002", ex)
        ex, doc = post("signature/sign", sign_request(c.build("GATE", hosted), "RSA-SHA256"), hosted.api_key, "PDS-P-9.2.2: Method RSA-SHA256")
        if doc is None or M.child_text(doc.find(q("Error")), "Code") != "P002":
            yield from fail("PDS-P-9.2.2", "Method 不是 SM2-SM3 时应答 P002", "a Method other than SM2-SM3 must get P002", ex)
    # 9.3.1 verify, 9.3.2 records nothing
    good = c.build("GATE")
    ex, doc = post("signature/verify", P.api_doc("VerifyRequest", M.serialize(good).split(b"?>\n", 1)[1].decode()), c.a.api_key, "PDS-P-9.3.1: valid message")
    if doc is None or M.child_text(doc, "Result") != "VALID" or M.child_text(doc, "KeyId") != c.a.id:
        yield from fail("PDS-P-9.3.1", "有效报文验签应为 VALID 且 KeyId 正确", "a valid message must verify VALID with its KeyId", ex)
    bad = tamper(good, "<GateID>G03", "<GateID>G04").split(b"?>\n", 1)[1].decode()
    ex, doc = post("signature/verify", P.api_doc("VerifyRequest", bad), c.a.api_key, "PDS-P-9.3.1: tampered message")
    if doc is None or M.child_text(doc, "Result") != "INVALID" or M.child_text(doc.find(q("Error")), "Code") != "P003":
        yield from fail("PDS-P-9.3.1", "篡改报文验签应为 INVALID P003", "a tampered message must verify INVALID with P003", ex)
    if c.sync:
        receipt = c.sync[0][0].split(b"?>", 1)[-1].lstrip()
        ex, doc = post("signature/verify", P.api_doc("VerifyRequest", receipt.decode("utf-8")), c.a.api_key, "PDS-P-9.3.1: the platform's own receipt")
        if doc is None or M.child_text(doc, "Result") != "VALID":
            yield from fail("PDS-P-9.3.1", "平台自己的回执验签应为 VALID", "the platform's own receipt must verify VALID", ex)
    ex, rec = c.submit(M.serialize(good), "PDS-P-9.3.2: submit a message verified before")
    if receipt_status(rec) != "ACCEPTED":
        yield from fail("PDS-P-9.3.2", "验签不应记录 Nonce 或 MessageID：随后提交应被接受", "verify records nothing: the same message submitted afterwards must be accepted", ex)


# ====================================================================== §10.1 FINAL receipts


@register_scenario("pds-p-final", description=text("最终回执推送、重试与确认（10.1.4–10.1.7）",
                                                   "FINAL receipt push, retries and Ack (10.1.4-10.1.7)"))
def final(call: Any) -> Iterator[Finding]:
    c = ctx(call)

    def fail(req: str, zh: str, en: str, ex: Any = None, evidence: Any = None) -> Iterator[Finding]:
        f = _emit(call, req, zh, en, ex, evidence)
        if f:
            yield f

    modes = {}
    for mode in ("fail2", "never", "refuse"):
        root = c.build("GATE")
        ex, rec = c.submit(M.serialize(root), f"PDS-P-10.1.5: message whose pushes get '{mode}'", mode)
        modes[mode] = M.child_text(root.find(q("Head")), "MessageID")
    total_wait = c.retry_wait * 7 + min(c.timeout, 5) + 1.0
    deadline = time.monotonic() + total_wait

    def pushes_for(mid: str) -> list[dict[str, Any]]:
        with c.lock:
            return [p for p in c.pushes if p["ref"] == mid]

    normal = [m for m in c.accepted if c.ack_modes.get(m, "normal") == "normal"]
    while time.monotonic() < deadline:
        done = all(pushes_for(m) for m in normal) and len(pushes_for(modes["never"])) >= 4 and len(pushes_for(modes["fail2"])) >= 3
        if done:
            break
        time.sleep(0.05)
    time.sleep(c.retry_wait * 2 + 0.2)  # would-be resends after an Ack
    # 10.1.4: one FINAL per accepted message, PROCESSED
    for mid in normal:
        got = pushes_for(mid)
        if not got:
            yield from fail("PDS-P-10.1.4", f"{mid} 未在时限内收到最终回执", f"no FINAL receipt for {mid} within the time limit", evidence={"message": mid})
            continue
        root = P.parse_doc(got[0]["data"])
        r = root.find(f"{q('Body')}/{q('Receipt')}") if root is not None else None
        if r is None or M.child_text(r, "Stage") != "FINAL" or M.child_text(r, "Status") != "PROCESSED":
            yield from fail("PDS-P-10.1.4", f"{mid} 的推送不是 FINAL/PROCESSED 回执", f"the push for {mid} is not a FINAL/PROCESSED receipt")
    if normal:
        mid = normal[0]
        ex = _get(c, f"messages/{mid}/status", c.a.api_key if mid.startswith(c.a.id) else (c.b.api_key if c.b else None), "PDS-P-10.1.4: status after FINAL")
        doc = P.parse_doc(ex.response_body) if ex.status == 200 else None
        if doc is None or M.child_text(doc, "Status") not in ("PROCESSED", "REPLACED", "CANCELLED"):
            yield from fail("PDS-P-10.1.4", "发出最终回执后状态应为 PROCESSED", "after the FINAL receipt the status must be PROCESSED", ex)
        ex = _get(c, f"receipts/{mid}", c.a.api_key, "PDS-P-8.5: latest receipt after FINAL")
        doc = P.parse_doc(ex.response_body) if ex.status == 200 else None
        r = doc.find(f"{q('Body')}/{q('Receipt')}") if doc is not None else None
        if r is None or M.child_text(r, "Stage") != "FINAL":
            f = _emit(call, "PDS-P-8.5", "最终回执发出后查询应返回 FINAL 回执", "after the FINAL receipt the query must return it", ex)
            if f:
                yield f
    # 10.1.5 retries
    fail2, never, refuse = (pushes_for(modes[m]) for m in ("fail2", "never", "refuse"))
    if len(fail2) != 3:
        yield from fail("PDS-P-10.1.5", f"前两次失败后应在第 3 次成功并停止，实际 {len(fail2)} 次", f"after two failed attempts the third succeeds and stops; got {len(fail2)} attempts", evidence={"attempts": len(fail2)})
    if len(never) != 4:
        yield from fail("PDS-P-10.1.5", f"一直失败时应恰尝试 4 次，实际 {len(never)} 次", f"with every attempt failing there must be exactly 4 attempts; got {len(never)}", evidence={"attempts": len(never)})
    for seqs in (fail2, never):
        if seqs and (len({p["rid"] for p in seqs}) != 1 or len({p["nonce"] for p in seqs}) != len(seqs)):
            yield from fail("PDS-P-10.1.3", "重试应保持 MessageID、更换 Nonce", "a retry keeps its MessageID and takes a new Nonce")
        if len(seqs) > 1 and seqs[-1]["at"] - seqs[0]["at"] > 300:
            yield from fail("PDS-P-10.1.5", "重试超出首次尝试后 300 秒", "retries beyond 300 s after the first attempt")
    # 10.1.6 no resend after an Ack (RECEIVED or REFUSED)
    if len(refuse) > 1:
        yield from fail("PDS-P-10.1.6", f"收到 REFUSED 确认后不应重发，实际推送 {len(refuse)} 次", f"after a REFUSED Ack nothing is resent; got {len(refuse)} pushes")
    for mid in normal:
        if len(pushes_for(mid)) > 1:
            yield from fail("PDS-P-10.1.6", f"{mid} 已确认仍被重发", f"{mid} was resent after its Ack")
            break
    # 10.1.7 nothing for rejected, FINAL queryable after failed delivery
    for mid in c.rejected:
        if pushes_for(mid):
            yield from fail("PDS-P-10.1.7", f"被拒收的 {mid} 不应推送", f"the rejected message {mid} must get no push")
            break
    ex = _get(c, f"receipts/{modes['never']}", c.a.api_key, "PDS-P-10.1.7: FINAL receipt after failed delivery")
    doc = P.parse_doc(ex.response_body) if ex.status == 200 else None
    r = doc.find(f"{q('Body')}/{q('Receipt')}") if doc is not None else None
    if r is None or M.child_text(r, "Stage") != "FINAL":
        yield from fail("PDS-P-10.1.7", "投递全部失败后最终回执仍应可查询", "the FINAL receipt stays queryable after every delivery attempt failed", ex)


# ====================================================================== every document the platform sent


@register_scenario("pds-p-documents", description=text("平台发出的每个文档（2.6、2.8、4.1、6.9、7.7、10.1.2、10.1.3）",
                                                        "every document the platform sent (2.6, 2.8, 4.1, 6.9, 7.7, 10.1.2, 10.1.3)"))
def documents(call: Any) -> Iterator[Finding]:
    c = ctx(call)
    seen_ids: dict[str, int] = {}
    seen_nonces: set[str] = set()
    secrets_ = [(p.id, s) for p in c.parties for s in p.secrets]
    reported: set[str] = set()

    def once(req: str, zh: str, en: str, ex: Any = None, evidence: Any = None) -> Iterator[Finding]:
        if req not in reported:
            f = _emit(call, req, zh, en, ex, evidence)
            if f:
                reported.add(req)
                yield f

    docs: list[tuple[bytes, Any, str]] = [(d, ex, "SYNC") for d, ex in c.sync]
    with c.lock:
        pushes = list(c.pushes)
    inbound = [ex for ex in c.s.recorder if ex.direction == "in"]
    for p in pushes:
        ex = next((e for e in inbound if e.request_body is p["data"] or e.request_body == p["data"]), None)
        docs.append((p["data"], ex, "FINAL"))
    for data, ex, stage in docs:
        root = P.parse_doc(data)
        if root is None or root.tag != q("Message"):
            yield from once("PDS-P-6.9", "回执不是格式良好的 Message", "a receipt is not a well-formed Message", ex)
            continue
        if b"<p:" in data or any(el.prefix for el in root.iter("{*}*")):
            yield from once("PDS-P-4.1", "平台文档应使用默认命名空间、不用前缀", "platform documents must use the default namespace without prefix", ex)
        if not M.xsd().validate(root.getroottree()):
            yield from once("PDS-P-6.9", f"回执不符合模式：{M.xsd().error_log[0].message}", f"the receipt violates the schema: {M.xsd().error_log[0].message}", ex)
            continue
        head = root.find(q("Head"))
        r = root.find(f"{q('Body')}/{q('Receipt')}")
        if r is None:
            yield from once("PDS-P-6.9", "回执的 Body 不是 Receipt", "the receipt's Body is not a Receipt", ex)
            continue
        status, rstage = M.child_text(r, "Status"), M.child_text(r, "Stage")
        if (rstage == "SYNC") != (status in ("ACCEPTED", "REJECTED")) or (r.find(q("Errors")) is not None) != (status == "REJECTED") or rstage != stage:
            yield from once("PDS-P-6.9", "回执的 Stage、Status 与 Errors 不一致（6.9.2）", "Stage, Status and Errors disagree (6.9.2)", ex)
        problem = M.signature_problem(root, c.lookup)
        mid = M.child_text(head, "MessageID") or ""
        if problem is not None or M.child_text(head, "SenderID") != c.platform_id or M.child_text(head, "MessageType") != "RECEIPT" \
                or M.child_text(root.find(q("Signature")), "Method") != "SM2-SM3" or not mid.startswith(c.platform_id):
            yield from once("PDS-P-10.1.2", f"回执未按 10.1.2 用平台 SM2 密钥签名：{problem[3] if problem else 'header'}",
                            f"the receipt is not signed as 10.1.2 requires: {problem[3] if problem else 'header fields'}", ex)
        if stage == "SYNC" and ex is not None:
            sent = P.parse_doc(ex.request_body)
            shead = sent.find(q("Head")) if sent is not None and sent.tag == q("Message") else None
            smid = M.child_text(shead, "MessageID") if shead is not None else None
            step3 = any(p.step == 3 for p in P.judge_stateless(ex.request_body, c.lookup, c.platform_id, check_signature=False).problems)
            want_ref = smid if smid and M.MESSAGE_ID.fullmatch(smid) and not step3 else ""
            sender = M.child_text(shead, "SenderID") if shead is not None else None
            want_recv = sender if sender and M.PARTY_ID.fullmatch(sender) and not step3 else "UNKNOWN"
            if M.child_text(r, "RefMessageID") != want_ref or M.child_text(head, "ReceiverID") != want_recv:
                yield from once("PDS-P-6.9", "RefMessageID 或 ReceiverID 与提交的报文不符（6.9.1、10.1.2）", "RefMessageID or ReceiverID does not match the submission (6.9.1, 10.1.2)", ex,
                                {"RefMessageID": M.child_text(r, "RefMessageID"), "expected": want_ref})
        nonce = M.child_text(head, "Nonce") or ""
        if nonce in seen_nonces:
            yield from once("PDS-P-10.1.3", "回执的 Nonce 重复", "a receipt Nonce was used twice", ex)
        seen_nonces.add(nonce)
        if stage == "SYNC":
            if mid in seen_ids:
                yield from once("PDS-P-10.1.3", "回执的 MessageID 重复", "a receipt MessageID was used twice", ex)
            seen_ids[mid] = 1
    for ex in c.s.recorder:
        body = ex.response_body if ex.direction == "out" else ex.request_body
        if ex.direction == "out" and ex.status == 200 and ex.response_body:
            ct = next((v for k, v in ex.response_headers.items() if k.lower() == "content-type"), "")
            if ct.replace(" ", "").lower() != "application/xml;charset=utf-8":
                yield from once("PDS-P-2.6", f"XML 应答的 Content-Type 为 “{ct}”", f"an XML answer has Content-Type '{ct}'", ex)
        for pid, secret in secrets_:
            if len(secret) >= 16 and secret.encode() in (body or b""):
                yield from once("PDS-P-7.7", f"平台的文档中出现了 {pid} 的密钥", f"a key of {pid} appears in a platform document", ex)
        if ex.direction == "out" and ex.duration_ms is not None:
            limit = 30_000 if ex.url.endswith("/messages") and ex.method == "POST" else 10_000
            if ex.duration_ms > limit:
                yield from once("PDS-P-2.8", f"应答用时 {ex.duration_ms} 毫秒", f"the answer took {ex.duration_ms} ms", ex)
            if ex.duration_ms > 3000:
                yield from once("PDS-P-2.8b", f"应答用时 {ex.duration_ms} 毫秒，超过 3 秒", f"the answer took {ex.duration_ms} ms, over 3 s", ex)


# ====================================================================== reference peer


@register_reference("pds-1.0", "platform")
def reference(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> Any:
    from conformance.live import ReferencePeer

    ref = REF.RefPlatform(pixit, defects, host, port)
    return ReferencePeer(url=ref.server.url + "portapi/v1/", stop=ref.stop, pixit=ref.harness_pixit())
