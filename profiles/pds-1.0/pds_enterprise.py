"""PDS 1.0 live scenarios with an enterprise system as SUT (`--role enterprise`), and the
reference enterprise with switchable defects.

The harness plays the platform: it listens (PIXIT listen_host/listen_port) for the
enterprise's submissions, answers each with a signed SYNC receipt and judges it with the
platform's check sequence (§8.2); the submissions are triggered by PIXIT
`trigger_command` or come by themselves (the reference enterprise submits as soon as the
harness listens). Then it pushes FINAL receipts to the enterprise's callback (PIXIT
`callback_url`): valid, repeated, tampered, wrongly signed, stale, replayed, misaddressed
and malformed ones, and checks each Ack (§10.2).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.live import LoopbackServer, ReferencePeer, Response, register_reference, register_scenario
from conformance.live.scenario import live_session
from conformance.profile import load_sibling


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


P = _sibling("pds_peer")
M, C, S, q = P.M, P.C, P.S, P.q
XML = P.XML_CT
API = "/portapi/v1/"


def _loc(call: Any, ex: Any) -> Location:
    return Location(file=call.subject.name, exchange=ex.index if ex is not None else None)


def _fail(call: Any, req: str, zh: str, en: str, ex: Any = None, evidence: Any = None) -> Iterator[Finding]:
    if req in call.binding.requirements and req in call.applicable:
        yield call.fail(text(zh, en), requirement=req, location=_loc(call, ex), evidence=evidence)


class EntCtx:
    def __init__(self, call: Any):
        s = live_session(call)
        self.s = s
        base = call.context.pixit_dir
        pixit = s.pixit
        self.platform = P.platform_party(pixit, base)
        for secret in self.platform.secrets:
            s.secret(secret)
        parts, _ = P.load_pixit_parties(pixit, base)
        self.ent = parts[0]
        for secret in self.ent.secrets:
            s.secret(secret)
        self.callback = str(pixit.get("callback_url") or pixit.get("base_url") or "")
        if not self.callback.endswith("/"):
            self.callback += "/"
        self.timeout = float(pixit.get("timeout_s", 10))
        self.submissions: list[tuple[Any, Any, Any]] = []  # (request, judgement, receipt bytes)
        self.lock = threading.Lock()
        self.seen_ids: set[str] = set()
        self.nonces: set[tuple[str, str]] = set()
        self.accepted: dict[str, dict[str, Any]] = {}
        self.seq = int(call.rng.randint(0, 900_000))
        self.listener = s.listen(self.on_submit, name="harness-platform")
        self.http = s.client(self.callback, headers={"Connection": "close"})

    def lookup(self, pid: str | None) -> Any:
        return self.ent if pid == self.ent.id else None

    def on_submit(self, req: Any) -> Any:
        if req.method != "POST" or not req.path.endswith("/messages"):
            return Response(404, "harness platform: only POST portapi/v1/messages")
        if P.is_non_xml(req.body):
            with self.lock:
                self.submissions.append((req, None, None))
            return Response(400, "not XML")
        j = P.judge_stateless(req.body, self.lookup, self.platform.id)
        problems = list(j.problems)
        with self.lock:
            if not problems or problems[0].step > 6:
                key = (j.sender or "", j.nonce or "")
                if key in self.nonces:
                    problems.insert(0, P.Problem(8, "P006", "/Message/Head/Nonce", "随机数重复", "Nonce reused"))
                elif j.mid in self.seen_ids:
                    problems.insert(0, P.Problem(9, "P007", "/Message/Head/MessageID", "报文编号重复", "duplicate MessageID"))
                self.nonces.add(key)
                if j.mid:
                    self.seen_ids.add(j.mid)
            if not problems and j.fc in ("5", "1"):
                ref = self.accepted.get(j.ref or "")
                if ref is None or ref["type"] != j.mtype or ref["status"] != "ACCEPTED":
                    problems.append(P.Problem(12, "P009", "/Message/Head/RefMessageID", "关联报文无效", "RefMessageID is unknown or not replaceable"))
            first = sorted(problems, key=lambda p: p.step)
            rejected = [first[0]] if first and first[0].step < 13 else first
            if not rejected and j.mid:
                self.accepted[j.mid] = {"type": j.mtype, "status": "ACCEPTED"}
                if j.fc in ("5", "1") and j.ref in self.accepted:
                    self.accepted[j.ref]["status"] = "REPLACED" if j.fc == "5" else "CANCELLED"
            self.seq += 1
            seq = self.seq
        _, data = P.receipt_message(self.platform, receiver=j.sender, ref_id=j.mid, ref_type=j.mtype, stage="SYNC",
                                    status="REJECTED" if rejected else "ACCEPTED", errors=rejected or None, seq=seq)
        with self.lock:
            self.submissions.append((req, j, data))
        return Response(200, data, dict(XML))


def ectx(call: Any) -> EntCtx:
    s = live_session(call)
    if "pds-ent" not in s.shared:
        s.shared["pds-ent"] = EntCtx(call)
    return s.shared["pds-ent"]


# ====================================================================== the enterprise's submissions


@register_scenario("pds-e-submissions", description=text("企业报送的每个报文（2.5、4–7、10.2.5）",
                                                         "every message the enterprise submits (2.5, 4-7, 10.2.5)"))
def submissions(call: Any) -> Iterator[Finding]:
    c = ectx(call)
    s = c.s
    cmd = s.pixit.get("trigger_command")
    platform_url = c.listener.url + API.lstrip("/")
    if cmd:
        try:
            proc = subprocess.run(shlex.split(str(cmd)), env={**os.environ, "PDS_PLATFORM_URL": platform_url},
                                  capture_output=True, timeout=c.timeout, check=False)
            if proc.returncode != 0:
                # redacted before it is cut: a secret cut in half would escape the redaction
                stderr_tail = s.recorder.redact(proc.stderr.decode("utf-8", "replace"))[-2000:]
                for req in call.binding.requirements:
                    if req in call.applicable:
                        yield call.error(text(f"触发命令退出码 {proc.returncode}", f"the trigger command exited with {proc.returncode}"),
                                         requirement=req,
                                         evidence={"stderr": stderr_tail})
                return
        except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
            for req in call.binding.requirements:
                if req in call.applicable:
                    yield call.error(text(f"触发命令无法运行：{exc}", f"the trigger command could not run: {exc}"), requirement=req)
            return
    deadline = time.monotonic() + c.timeout
    last_n, quiet_since = 0, time.monotonic()
    while time.monotonic() < deadline:
        with c.lock:
            n = len(c.submissions)
        if n != last_n:
            last_n, quiet_since = n, time.monotonic()
        elif n and time.monotonic() - quiet_since > 1.0:
            break
        time.sleep(0.05)
    with c.lock:
        subs = list(c.submissions)
    if not subs:
        for req in call.binding.requirements:
            if req in call.applicable:
                yield call.inconclusive(text("测试期间企业没有报送任何报文", "the enterprise submitted nothing during the run"), requirement=req)
        return
    inbound = [ex for ex in s.recorder if ex.direction == "in" and ex.step == "harness-platform"]
    mids: set[str] = set()
    nonces: set[str] = set()
    now = P.now()
    for req, j, _receipt in subs:
        ex = next((e for e in inbound if e.request_body is req.body or e.request_body == req.body), None)
        ct = (req.header("Content-Type") or "").replace(" ", "").lower()
        if ct != "application/xml;charset=utf-8" or req.header("Content-Length") is None:
            yield from _fail(call, "PDS-E-2.5", f"Content-Type 为 “{req.header('Content-Type')}”", f"Content-Type is '{req.header('Content-Type')}'", ex)
        if j is None:
            yield from _fail(call, "PDS-E-4", "报送的请求体不是 XML", "a submission body is not XML", ex)
            continue
        if j.mtype == "DGDECL" and j.fc in ("9", "5") and j.root is not None:
            body = j.root.find(q("Body"))
            kid = body[0] if body is not None and len(body) else None
            if kid is None or kid.tag != q("EncryptedData"):
                yield from _fail(call, "PDS-E-7.6", "DGDECL 报文体未加密", "the DGDECL body is not encrypted", ex)
        for p in j.problems:
            if "7.6.1" in p.en:
                continue
            req_id = {"P001": "PDS-E-4", "P002": "PDS-E-4", "P003": "PDS-E-7.2", "P004": "PDS-E-7.2", "P010": "PDS-E-7.6",
                      "P008": "PDS-E-6.10"}.get(p.code)
            if req_id:
                yield from _fail(call, req_id, f"{p.code}：{p.zh}（{p.location or ''}）", f"{p.code}: {p.en} ({p.location or ''})", ex,
                                 {"code": p.code, "location": p.location})
                break
        if j.mid:
            if j.mid in mids:
                yield from _fail(call, "PDS-E-10.2.5", f"MessageID {j.mid} 重复", f"MessageID {j.mid} is reused", ex)
            mids.add(j.mid)
        if j.nonce:
            if j.nonce in nonces:
                yield from _fail(call, "PDS-E-10.2.5", "Nonce 重复", "a Nonce is reused", ex)
            nonces.add(j.nonce)
        if j.send_time is not None and abs((j.send_time - now).total_seconds()) > 60 + c.timeout:
            yield from _fail(call, "PDS-E-7.5.3", "SendTime 与标准时间相差超过 60 秒", "SendTime is more than 60 s off UTC", ex)
    if "PDS-E-10.2.5" in call.binding.requirements:
        for req, j, receipt in subs:
            rec = P.parse_doc(receipt) if receipt else None
            code = rec.findtext(f"{q('Body')}/{q('Receipt')}/{q('Errors')}/{q('Error')}/{q('Code')}") if rec is not None else None
            if code == "P009":
                yield from _fail(call, "PDS-E-10.2.5", "更正或撤销引用了无效的报文（P009）", "a replacement or cancellation refers to an invalid message (P009)")


# ====================================================================== receipts pushed to the callback


def _ack(ex: Any) -> tuple[Any, str | None, str | None]:
    doc = P.parse_doc(ex.response_body) if ex.status == 200 else None
    if doc is None or doc.tag != q("Ack"):
        return None, None, None
    return doc, M.child_text(doc, "Status"), M.child_text(doc.find(q("Error")), "Code") if doc.find(q("Error")) is not None else None


@register_scenario("pds-e-callback", description=text("向企业回调推送回执并检查确认（10.2）", "receipts pushed to the enterprise callback, and its Acks (10.2)"))
def callback(call: Any) -> Iterator[Finding]:
    c = ectx(call)
    ent = c.ent
    with c.lock:
        ref = next((j for _r, j, _d in c.submissions if j is not None and j.mid and j.mtype), None)
    ref_id, ref_type = (ref.mid, ref.mtype) if ref else (S.message_id(ent.id, P.now(), 1), "GATE")
    wrong = M.Party(id=c.platform.id, sm2_private=S.test_key("not the platform"))
    wrong.sm2_public = C.public_from_private(wrong.sm2_private)

    def receipt(**kw: Any) -> tuple[str, bytes]:
        with c.lock:
            c.seq += 1
            seq = c.seq
        return P.receipt_message(c.platform, receiver=kw.pop("receiver", ent.id), ref_id=ref_id, ref_type=ref_type,
                                 stage="FINAL", status="PROCESSED", seq=seq, **kw)

    def push(data: bytes, step: str) -> Any:
        return c.http.post("receipts", body=data, headers=XML, step=step, timeout=min(c.timeout, 10))

    def check_ack(ex: Any, rid: str, want: str, code: str | None, req: str, case: str) -> Iterator[Finding]:
        doc, status, got_code = _ack(ex)
        if ex.status != 200 or doc is None:
            yield from _fail(call, "PDS-E-10.2.1", f"{case}：应答 HTTP {ex.status}，不是 Ack", f"{case}: answered HTTP {ex.status}, not an Ack", ex)
            return
        if not M.xsd().validate(doc.getroottree()) or M.child_text(doc, "AckMessageID") != rid \
                or (status == "REFUSED") != (doc.find(q("Error")) is not None):
            yield from _fail(call, "PDS-E-10.2.4", f"{case}：Ack 结构或 AckMessageID 错误", f"{case}: the Ack's structure or AckMessageID is wrong", ex,
                             {"AckMessageID": M.child_text(doc, "AckMessageID"), "expected": rid})
        if status != want or (code is not None and got_code != code):
            yield from _fail(call, req, f"{case}：应为 {want} {code or ''}，实际 {status} {got_code or ''}",
                             f"{case}: expected {want} {code or ''}, got {status} {got_code or ''}", ex,
                             {"expected": [want, code], "got": [status, got_code]})
        if ex.duration_ms is not None and ex.duration_ms > 5000:
            yield from _fail(call, "PDS-E-10.2.1", f"{case}：应答用时 {ex.duration_ms} 毫秒", f"{case}: the answer took {ex.duration_ms} ms", ex)

    # 10.2.3: a valid receipt, then its retry
    rid, data = receipt()
    yield from check_ack(push(data, "PDS-E-10.2.3: valid FINAL receipt"), rid, "RECEIVED", None, "PDS-E-10.2.3", "valid receipt")
    _, again = receipt(mid=rid)
    yield from check_ack(push(again, "PDS-E-10.2.3: retry of the same receipt"), rid, "RECEIVED", None, "PDS-E-10.2.3", "repeated receipt")
    # 10.2.2 refusals
    rid, data = receipt()
    yield from check_ack(push(data.replace(b"<Status>PROCESSED", b"<Status>PROCESSED", 1).replace(b"<Stage>FINAL</Stage>", b"<Stage>FINAL</Stage>"), "PDS-E-10.2.2: control"), rid, "RECEIVED", None, "PDS-E-10.2.3", "second valid receipt")
    rid, data = receipt()
    tampered = data.replace(ref_id.encode(), (ref_id[:-1] + ("0" if ref_id[-1] != "0" else "1")).encode(), 1)
    yield from check_ack(push(tampered, "PDS-E-10.2.2: tampered receipt"), rid, "REFUSED", "P003", "PDS-E-10.2.2a", "tampered receipt")
    rid, data = receipt(wrong_key=wrong)
    yield from check_ack(push(data, "PDS-E-10.2.2: signed with another key"), rid, "REFUSED", "P003", "PDS-E-10.2.2a", "wrongly signed receipt")
    rid, data = receipt()
    root = P.parse_doc(data)
    root.find(f"{q('Signature')}/{q('KeyId')}").text = ent.id
    yield from check_ack(push(M.serialize(root), "PDS-E-10.2.2: KeyId not the platform"), rid, "REFUSED", "P004", "PDS-E-10.2.2a", "KeyId not the PlatformID")
    rid, data = receipt(when=P.now() - dt.timedelta(seconds=400))
    yield from check_ack(push(data, "PDS-E-10.2.2: stale SendTime"), rid, "REFUSED", "P005", "PDS-E-10.2.2b", "stale SendTime")
    rid, data = receipt()
    nonce = P.parse_doc(data).findtext(f"{q('Head')}/{q('Nonce')}")
    yield from check_ack(push(data, "PDS-E-10.2.2: receipt before a replay"), rid, "RECEIVED", None, "PDS-E-10.2.3", "receipt before a replay")
    rid2, data2 = receipt()
    root = P.parse_doc(data2)
    root.find(f"{q('Head')}/{q('Nonce')}").text = nonce
    M.sign_root(root, c.platform)
    yield from check_ack(push(M.serialize(root), "PDS-E-10.2.2: replayed nonce"), rid2, "REFUSED", "P006", "PDS-E-10.2.2b", "replayed nonce")
    rid, data = receipt(receiver="OTHERENT01")
    yield from check_ack(push(data, "PDS-E-10.2.2: another ReceiverID"), rid, "REFUSED", "P008", "PDS-E-10.2.2c", "ReceiverID of another participant")
    rid, data = receipt()
    yield from check_ack(push(data[: len(data) - 20], "PDS-E-10.2.2: malformed"), "", "REFUSED", "P001", "PDS-E-10.2.2c", "malformed receipt")
    rid, data = receipt()
    root = P.parse_doc(data)
    r = root.find(f"{q('Body')}/{q('Receipt')}")
    r.remove(r.find(q("Stage")))
    M.sign_root(root, c.platform)
    yield from check_ack(push(M.serialize(root), "PDS-E-10.2.2: receipt without Stage"), rid, "REFUSED", "P002", "PDS-E-10.2.2c", "receipt without Stage")
    rid, data = receipt(when=P.now() - dt.timedelta(seconds=400))
    yield from check_ack(push(data.replace(ref_type.encode() + b"</RefMessageType>", b"VSLDEP</RefMessageType>" if ref_type != "VSLDEP" else b"GATE</RefMessageType>", 1),
                              "PDS-E-10.2.2: tampered and stale"), rid, "REFUSED", "P003", "PDS-E-10.2.2d", "tampered and stale (order)")
    # 10.2.1 non-XML
    ex = c.http.post("receipts", body=b"hello", headers=XML, step="PDS-E-10.2.1: non-XML body")
    if ex.status != 400:
        yield from _fail(call, "PDS-E-10.2.1", f"非 XML 请求体应为 400，实际 {ex.status}", f"a non-XML body must get 400, got {ex.status}", ex)
    for ex in c.s.recorder:
        if ex.direction == "out" and ex.status == 200:
            ct = next((v for k, v in ex.response_headers.items() if k.lower() == "content-type"), "")
            if ct.replace(" ", "").lower() != "application/xml;charset=utf-8":
                yield from _fail(call, "PDS-E-10.2.4", f"Ack 的 Content-Type 为 “{ct}”", f"an Ack has Content-Type '{ct}'", ex)
                break


# ====================================================================== reference enterprise


class RefEnterprise:
    def __init__(self, pixit: dict[str, Any], defects: set[str], host: str, port: int):
        # defect names shared with the platform role carry an "ent-" prefix in profile.yaml
        self.defects = {d.removeprefix("ent-") for d in defects}
        settings = {k: v for k, v in pixit.items() if v is not None and k in ("listen_host", "listen_port", "timeout_s")}
        # The enterprise is PIXIT participants[0] with the PIXIT's platform; the factory gets no
        # PIXIT folder (engine), so relative key paths are tried against the working directory,
        # and without usable keys the peer uses the TEST-ONLY fixture keys.
        try:
            if not pixit.get("participants"):
                raise OSError("no participants")
            merged = {**{k: v for k, v in pixit.items() if k in ("participants", "platform_id", "platform_public_key",
                                                                    "platform_private_key")}, **settings}
            parts, _ = P.load_pixit_parties(merged, None)
            platform = P.platform_party(merged, None)
        except (OSError, ValueError):
            fx, base = P.fixture_pixit()
            merged = {**P.absolutize(fx, base), **settings}
            parts, _ = P.load_pixit_parties(merged, None)
            platform = P.platform_party(merged, None)
        self.me = parts[0]
        self.platform = platform
        self.pixit = merged
        self.lock = threading.Lock()
        self.acked: set[str] = set()
        self.nonces: dict[str, float] = {}
        self.processed: list[str] = []
        self.listen_host = str(merged.get("listen_host") or "127.0.0.1")
        self.hold = None
        lp = int(merged.get("listen_port") or 0)
        if not lp:
            lp, self.hold = P.reserve_port(self.listen_host)
        self.listen_port = lp
        self.stopped = threading.Event()
        self.server = LoopbackServer(self.handle, host=host, port=port, name="pds-reference-enterprise")
        self.thread = threading.Thread(target=self.submit_all, daemon=True, name="pds-enterprise-submit")
        self.thread.start()

    # ------------------------------------------------------------------ as a sender (10.2.5)

    def submit_all(self) -> None:
        url = f"http://{self.listen_host}:{self.listen_port}/portapi/v1/messages"
        deadline = time.monotonic() + float(self.pixit.get("timeout_s", 10)) + 5
        while not self.stopped.is_set() and time.monotonic() < deadline:
            try:
                with socket.create_connection((self.listen_host, self.listen_port), timeout=0.2):
                    break
            except OSError:
                self.stopped.wait(0.05)
        else:
            return
        d = self.defects
        when = P.now() - (dt.timedelta(seconds=90) if "clock-skew" in d else dt.timedelta(0))
        base_seq = int(time.time() * 1000) % 900_000
        msgs = []
        for i, t in enumerate(("VSLARR", "GATE", "DGDECL")):
            replace = [("CSQU3054383", "CSQU3054384")] if t == "GATE" and "bad-container-check-digit" in d else None
            kw: dict[str, Any] = {"head_extra": {"Version": "2.0"}} if t == "VSLARR" and "bad-version" in d else {}
            nonce = "0" * 32 if "reuse-nonce" in d else P.new_nonce()
            msgs.append(S.build(t, self.me, receiver=self.platform.id, send=when, seq=base_seq + i, nonce=nonce,
                                encrypt="clear-dgdecl" not in d, replace=replace, **kw))
        gate_id = M.child_text(msgs[1].find(q("Head")), "MessageID")
        msgs.append(S.build("GATE", self.me, receiver=self.platform.id, send=when, seq=base_seq + 3, fc="5", ref=gate_id,
                            nonce=P.new_nonce()))
        gate_accepted = False
        for i, root in enumerate(msgs):
            if i == 3 and not gate_accepted:
                break  # correct only what the platform accepted (8.7.1)
            data = M.serialize(root)
            if i == 1 and "bad-signature-submission" in d:
                data = data.replace(b"<GateID>G03", b"<GateID>G04", 1)
            ct = "text/plain" if "wrong-content-type" in d else XML["Content-Type"]
            try:
                r = requests.post(url, data=data, headers={"Content-Type": ct}, timeout=5)
                doc = P.parse_doc(r.content)
                if i == 1 and doc is not None:
                    gate_accepted = doc.findtext(f"{q('Body')}/{q('Receipt')}/{q('Status')}") == "ACCEPTED"
            except requests.RequestException:
                pass

    # ------------------------------------------------------------------ as a receiver (10.2.1-10.2.4)

    def handle(self, req: Any) -> Any:
        d = self.defects
        if not req.path.endswith("/receipts") or req.method != "POST":
            return Response(404, "not found")
        if P.is_non_xml(req.body):
            return Response(500 if "500-for-non-xml" in d else 400, "not XML")
        code, rid = self.check(req.body)
        if code == "P001" and "400-for-malformed" in d:
            return Response(400, "malformed")
        if "ack-wrong-id" in d and rid:
            rid = rid[:-1] + ("0" if rid[-1] != "0" else "1")
        if code is None:
            return Response(200, P.ack_doc(rid or "", "RECEIVED"), dict(XML))
        return Response(200, P.ack_doc(rid or "", "REFUSED", code, f"refused: {code}"), dict(XML))

    def check(self, data: bytes) -> tuple[str | None, str | None]:
        d = self.defects

        def lookup(pid: str | None) -> Any:
            if "no-sender-check" in d:
                return self.platform
            return self.platform if pid == self.platform.id else None

        j = P.judge_stateless(data, lookup, self.platform.id, check_signature="no-signature-check" not in d)
        rid = j.mid
        problems = [p for p in j.problems if p.step <= 11]
        if "no-sender-check" in d:
            problems = [p for p in problems if p.code != "P004"]
        if not problems and j.root is not None and j.root.find(f"{q('Body')}/{q('Receipt')}") is None:
            problems = [P.Problem(11, "P002", None, "不是回执", "not a receipt")]
        stale = j.send_time is not None and abs((j.send_time - P.now()).total_seconds()) > 300 and "no-time-window" not in d
        if "time-before-signature" in d and stale and (not problems or problems[0].code in ("P003", "P004")):
            return "P005", rid
        if problems:
            return problems[0].code, rid
        if stale:
            return "P005", rid
        head = j.root.find(q("Head"))
        now = time.time()
        with self.lock:
            seen = self.nonces.get(j.nonce or "")
            if seen is not None and now - seen < 600 and "no-nonce-check" not in d:
                return "P006", rid
            self.nonces[j.nonce or ""] = now
            if "no-receiver-check" not in d and (M.child_text(head, "ReceiverID") != self.me.id or j.mtype != "RECEIPT"):
                return "P008", rid
            if rid in self.acked:
                if "refuse-repeat" in d:
                    return "P006", rid
                return None, rid  # already handled: RECEIVED again, not processed twice
            self.acked.add(rid or "")
            self.processed.append(rid or "")
        return None, rid

    def stop(self) -> None:
        self.stopped.set()
        self.server.stop()
        self.thread.join(timeout=5)
        if self.hold is not None:
            self.hold.close()


@register_reference("pds-1.0", "enterprise")
def reference(*, pixit: dict[str, Any], defects: set[str], host: str, port: int) -> ReferencePeer:
    ref = RefEnterprise(pixit, defects, host, port)
    out = {k: v for k, v in ref.pixit.items() if k in ("participants", "platform_id", "platform_public_key", "platform_private_key", "timeout_s")}
    out.update(callback_url=ref.server.url + "callback/", listen_host=ref.listen_host, listen_port=ref.listen_port)
    return ReferencePeer(url=ref.server.url + "callback/", stop=ref.stop, pixit=out)
