"""Reference port platform (SUT role `platform`) with switchable defects. Registers nothing
itself; pds_platform.py registers its factory."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
import threading
import time
from pathlib import Path
from typing import Any
from conformance.profile import load_sibling

import requests


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


P = _sibling("pds_peer")
M, C, S, q = P.M, P.C, P.S, P.q
API = "/portapi/v1/"


class RefPlatform:
    def __init__(self, pixit: dict[str, Any], defects: set[str], host: str, port: int):
        from conformance.live import LoopbackServer, Response

        self.Response = Response
        self.defects = defects
        # The factory gets no PIXIT folder (engine), so relative key paths are tried against
        # the working directory; without usable keys the peer uses the TEST-ONLY fixture keys.
        fx, base = P.fixture_pixit()
        try:
            if not pixit.get("participants"):
                raise OSError("no participants")
            parts, self.unregistered = P.load_pixit_parties(pixit, None)
            self.platform = P.platform_party(pixit, None)
        except (OSError, ValueError):
            pixit = {**pixit, **{k: v for k, v in P.absolutize(fx, base).items()
                                 if k in ("participants", "unregistered_participant", "platform_id",
                                          "platform_private_key", "platform_public_key")}}
            parts, self.unregistered = P.load_pixit_parties(pixit, None)
            self.platform = P.platform_party(pixit, None)
        self.pixit = pixit
        if self.platform.sm2_private is None:
            self.platform.sm2_private = S.test_key("platform")
            self.platform.sm2_public = C.public_from_private(self.platform.sm2_private)
        self.parties = {p.id: p for p in parts}
        self.by_api = {p.api_key: p for p in parts if p.api_key}
        self.wrong_key = M.Party(id=self.platform.id, sm2_private=S.test_key("not the platform"))
        self.retry_wait = float(pixit.get("retry_wait_s", 5))
        self.listen_host = str(pixit.get("listen_host") or "127.0.0.1")
        self.hold = None
        listen_port = int(pixit.get("listen_port") or 0)
        if not listen_port:
            listen_port, self.hold = P.reserve_port(self.listen_host)
        self.listen_port = listen_port
        self.callback = f"http://{self.listen_host}:{listen_port}/"
        self.lock = threading.Lock()
        self.nonces: dict[tuple[str, str], float] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.receipt_ids: set[str] = set()
        self.seq = 0
        self.slowed = False
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []
        self.server = LoopbackServer(self.handle, host=host, port=port, name="pds-reference-platform")

    # ------------------------------------------------------------------ helpers

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def xml(self, data: bytes, status: int = 200) -> Any:
        ct = "text/xml" if "wrong-content-type" in self.defects else "application/xml; charset=utf-8"
        return self.Response(status, data, {"Content-Type": ct})

    def receipt(self, j: Any, stage: str, status: str, errors: Any = None, mid: str | None = None) -> tuple[str, bytes]:
        key = self.wrong_key if "receipt-wrong-key" in self.defects else None
        if key is not None and key.sm2_public is None:
            key.sm2_public = C.public_from_private(key.sm2_private)
        if errors and "leak-api-key" in self.defects and j.sender in self.parties:
            errors = [*errors]
            errors[0] = P.Problem(errors[0].step, errors[0].code, errors[0].location, errors[0].zh,
                                  f"{errors[0].en} (key {self.parties[j.sender].api_key})")
        while True:
            rid, data = P.receipt_message(self.platform, receiver=j.sender,
                                          ref_id=None if "receipt-no-ref" in self.defects and stage == "SYNC" else j.mid, ref_type=j.mtype, stage=stage,
                                          status=status, errors=errors, mid=mid, seq=self.next_seq(),
                                          prefix="prefixed-receipts" in self.defects, wrong_key=key,
                                          nonce="0" * 32 if "static-receipt-nonce" in self.defects else None)
            with self.lock:
                if mid is not None or rid not in self.receipt_ids:
                    self.receipt_ids.add(rid)
                    return rid, data

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: Any) -> Any:
        resp = self.route(req)
        path = req.path.split("?", 1)[0]
        if "slow-verify" in self.defects and path.endswith("/signature/verify") and not self.slowed:
            self.slowed = True  # one slow answer is enough
            resp.delay = 3.2
        if "very-slow-query" in self.defects and "/receipts/" in path and req.header("X-Api-Key") is None:
            resp.delay = 10.2
        return resp

    def route(self, req: Any) -> Any:
        path = req.path.split("?", 1)[0]
        if not path.startswith(API):
            return self.Response(404, "not found")
        rel = path[len(API):]
        routes = {"messages": "POST", "signature/sign": "POST", "signature/verify": "POST"}
        if rel in routes:
            if req.method != routes[rel]:
                if "no-405" in self.defects:
                    return self.Response(404, "not found")
                return self.Response(405, "method not allowed", {"Allow": routes[rel]})
            if len(req.body) > M.MAX_BODY and "no-size-limit" not in self.defects:
                return self.Response(413, "too large")
            if P.is_non_xml(req.body):
                return self.Response(500 if "500-for-non-xml" in self.defects else 400, "not XML")
            return {"messages": self.submit, "signature/sign": self.sign, "signature/verify": self.verify}[rel](req)
        parts = rel.split("/")
        if len(parts) == 2 and parts[0] == "receipts" or len(parts) == 3 and parts[0] == "messages" and parts[2] == "status":
            if req.method != "GET":
                return self.Response(405, "method not allowed", {"Allow": "GET"})
            owner = self.by_api.get(req.header("X-Api-Key") or "")
            if owner is None:
                return self.Response(401, "unauthorized")
            with self.lock:
                rec = self.messages.get(parts[1])
            if rec is None or (rec["sender"] != owner.id and "query-any-owner" not in self.defects):
                return self.Response(404, "not found")
            if parts[0] == "receipts":
                return self.xml(rec["final"] or rec["sync"])
            inner = (f"<MessageID>{parts[1]}</MessageID><MessageType>{rec['type']}</MessageType>"
                     f"<FunctionCode>{rec['fc']}</FunctionCode><Status>{rec['status']}</Status>"
                     + ("" if "status-no-times" in self.defects else f"<ReceivedTime>{rec['received']}</ReceivedTime>")
                     + f"<UpdatedTime>{rec['updated']}</UpdatedTime>")
            if rec.get("replaced_by"):
                inner += f"<ReplacedBy>{rec['replaced_by']}</ReplacedBy>"
            if rec.get("cancelled_by"):
                inner += f"<CancelledBy>{rec['cancelled_by']}</CancelledBy>"
            return self.xml(P.api_doc("MessageStatus", inner))
        return self.Response(404, "not found")

    # ------------------------------------------------------------------ §8 submission

    def lookup(self, pid: str | None) -> Any:
        if "accept-unknown-sender" in self.defects and pid == getattr(self.unregistered, "id", None):
            return self.unregistered
        return self.parties.get(pid or "")

    def submit(self, req: Any) -> Any:
        d = self.defects
        body = req.body
        if "lenient-doctype" in d:
            body = body.replace(b"<!DOCTYPE Message>\n", b"", 1)
        j = P.judge_stateless(body, self.lookup, self.platform.id)
        if "no-envelope-check" in d and j.problems and j.problems[0].step == 4 and "Nonce" in j.problems[0].en:
            j.problems = []
        if "no-rsa" in d and j.root is not None and M.child_text(j.root.find(q("Signature")), "Method") == "RSA-SHA256":
            j.problems = [P.Problem(5, "P004", "/Message/Signature", "不支持 RSA", "RSA-SHA256 is not supported")]
        if "reject-berth" in d and j.mtype == "BERTH" and not j.problems:
            j.problems = [P.Problem(13, "P008", "/Message/Body/BerthEvent", "拒收", "rejected")]
        problems = [p for p in j.problems if p.step <= 4]
        stateful: list[Any] = []
        if not problems:
            sig_problem = [p for p in j.problems if p.step in (5, 6)]
            if "accept-bad-signature" in d and sig_problem and sig_problem[0].code == "P003":
                j = P.judge_stateless(req.body, self.lookup, self.platform.id, check_signature=False)
                sig_problem = []
            later = [p for p in j.problems if p.step > 6]
            if "no-decrypt-check" in d and any(p.code == "P010" for p in later):
                later = []
            if "skip-iso6346" in d:
                later = [p for p in later if not (p.code == "P008" and "ContainerNo" in (p.location or ""))]
            t = time.time()
            delta = abs((j.send_time - P.now()).total_seconds()) if j.send_time else 0
            if delta > 300 and "no-time-window" not in d:
                stateful.append(P.Problem(7, "P005", "/Message/Head/SendTime", "发送时间超出 ±300 秒窗口", "SendTime is outside the +-300 s window"))
            if "time-before-signature" in d:
                for p in stateful:
                    p.step = 4.5  # checked before the signature: the defect
            with self.lock:
                key = (j.sender or "", j.nonce or "")
                seen = self.nonces.get(key)
                if seen is not None and t - seen < 600 and "no-nonce-check" not in d:
                    stateful.append(P.Problem(8, "P006", "/Message/Head/Nonce", "随机数在 600 秒内重复", "Nonce reused within 600 s"))
                dup = j.mid in self.messages
                if dup and "accept-duplicate-id" not in d:
                    stateful.append(P.Problem(9, "P007", "/Message/Head/MessageID", "报文编号重复", "duplicate MessageID"))
            first = sorted(sig_problem + stateful, key=lambda p: p.step)
            if first:
                problems = [first[0]]
                if first[0].step > 7:  # passed step 7: the nonce is recorded (§7.5.2)
                    with self.lock:
                        self.nonces[key] = t
            else:
                with self.lock:
                    self.nonces[key] = t
                problems = later[:1] if later and later[0].step < 13 else []
                if not problems and j.fc in ("5", "1") and "accept-bad-ref" not in d:
                    with self.lock:
                        ref = self.messages.get(j.ref or "")
                    if ref is None or ref["sender"] != j.sender or ref["type"] != j.mtype or ref["fc"] not in ("9", "5") \
                            or ref["status"] not in ("ACCEPTED", "PROCESSED"):
                        problems = [P.Problem(12, "P009", "/Message/Head/RefMessageID", "关联报文无效", "RefMessageID is unknown or not replaceable")]
                if not problems:
                    problems = [p for p in later if p.step == 13]
                received = M.format_datetime(P.now())
                rid, data = self.receipt(j, "SYNC", "REJECTED" if problems else "ACCEPTED", problems or None)
                record = {"sender": j.sender, "type": j.mtype, "fc": j.fc, "status": "REJECTED" if problems else "ACCEPTED",
                          "received": received, "updated": received, "sync": data, "final": None}
                with self.lock:
                    if not (problems and "no-store-rejected" in d):
                        self.messages[j.mid] = record
                    if not problems and j.fc in ("5", "1"):
                        ref = self.messages.get(j.ref or "")
                        if ref is not None and "no-status-update" not in d:
                            ref["status"] = "REPLACED" if j.fc == "5" else "CANCELLED"
                            ref["replaced_by" if j.fc == "5" else "cancelled_by"] = j.mid
                            ref["updated"] = M.format_datetime(P.now())
                if not problems or "push-for-rejected" in d:
                    self.schedule_final(j, record)
                return self.xml(data)
        rid, data = self.receipt(j, "SYNC", "REJECTED", problems)
        return self.xml(data)

    # ------------------------------------------------------------------ §10.1.4-10.1.6 FINAL receipts

    def schedule_final(self, j: Any, record: dict[str, Any]) -> None:
        if "no-final-receipt" in self.defects:
            return
        t = threading.Thread(target=self.deliver, args=(j, record), daemon=True, name="pds-final")
        self.threads.append(t)
        t.start()

    def deliver(self, j: Any, record: dict[str, Any]) -> None:
        if self.stopped.wait(0.05):
            return
        rid, data = self.receipt(j, "FINAL", "PROCESSED")
        with self.lock:
            record["final"] = data
            if record["status"] in ("ACCEPTED", "REJECTED"):
                record["status"] = "PROCESSED" if record["status"] == "ACCEPTED" else record["status"]
                record["updated"] = M.format_datetime(P.now())
        attempts = 1 if "no-retry" in self.defects else 4
        for n in range(attempts):
            if n:
                if self.stopped.wait(self.retry_wait * 2 ** (n - 1)):
                    return
                rid, data = self.receipt(j, "FINAL", "PROCESSED", mid=rid)
                with self.lock:
                    record["final"] = data
            ok = False
            try:
                r = requests.post(self.callback + "receipts", data=data, headers=P.XML_CT, timeout=5)
                doc = P.parse_doc(r.content) if r.status_code == 200 else None
                ok = doc is not None and doc.tag == q("Ack") and M.child_text(doc, "AckMessageID") == rid
            except requests.RequestException:
                ok = False
            if ok and not ("resend-after-ack" in self.defects and n == 0):
                return

    # ------------------------------------------------------------------ §9 signature API

    def _api_owner(self, req: Any) -> Any:
        return self.by_api.get(req.header("X-Api-Key") or "")

    def sign(self, req: Any) -> Any:
        owner = self._api_owner(req)
        if owner is None:
            return self.Response(401, "unauthorized")

        def err(code: str, desc: str) -> Any:
            return self.xml(P.api_doc("SignResponse", f"<Result>ERROR</Result><Error><Code>{code}</Code><Description>{desc}</Description></Error>"))

        doc = P.parse_doc(req.body)
        if doc is None:
            return err("P001", "malformed XML")
        if doc.tag != q("SignRequest") or not M.xsd().validate(doc.getroottree()) or M.child_text(doc, "Method") != "SM2-SM3":
            return err("P002", "wrong structure or method")
        head, body = doc.find(q("Head")), doc.find(q("Body"))
        sender, mid, fc = (M.child_text(head, n) for n in ("SenderID", "MessageID", "FunctionCode"))
        if "sign-no-head-check" not in self.defects and (
                not (mid or "").startswith(sender or "\0") or (fc in ("5", "1")) != (head.find(q("RefMessageID")) is not None)):
            return err("P002", "Head violates 4.6/4.7")
        if len([k for k in body if isinstance(k.tag, str)]) != 1:
            return err("P002", "Body must hold one element")
        if "sign-for-anyone" in self.defects:  # signs with whichever key it holds for SenderID
            party = self.parties.get(sender or "")
            if party is None or party.sm2_private is None:
                return err("P004", "unknown SenderID")
        else:
            party = owner
            if sender != party.id or not party.hosted_key or party.sm2_private is None:
                return err("P004", "SenderID is not the key owner, or no hosted key")
        d_key = S.test_key("not the participant") if "sign-wrong-key" in self.defects else party.sm2_private
        r, s = C.sm2_sign(d_key, C.signing_input(head, body))
        return self.xml(P.api_doc("SignResponse", f"<Result>SIGNED</Result><Signature><Method>SM2-SM3</Method>"
                                                  f"<KeyId>{party.id}</KeyId><Value>{C.b64(C.der_encode(r, s))}</Value></Signature>"))

    def verify(self, req: Any) -> Any:
        if self._api_owner(req) is None:
            return self.Response(401, "unauthorized")
        doc = P.parse_doc(req.body)

        def answer(result: str, key_id: str | None, code: str | None = None, desc: str = "") -> Any:
            # the KeyId is the request's and may hold anything
            inner = f"<Result>{result}</Result>" + (f"<KeyId>{M._esc(P.fit_text(key_id))}</KeyId>" if key_id else "")
            if code:
                inner += f"<Error><Code>{code}</Code><Description>{M._esc(P.fit_text(desc))}</Description></Error>"
            return self.xml(P.api_doc("VerifyResponse", inner))

        if doc is None:
            return answer("INVALID", None, "P001", "malformed XML")
        kids = [k for k in doc if isinstance(k.tag, str)]
        if doc.tag != q("VerifyRequest") or len(kids) != 1:
            return answer("INVALID", None, "P002", "a VerifyRequest holds one Message")
        data = M.serialize(kids[0])
        key_id = M.child_text(kids[0].find(q("Signature")), "KeyId")
        if "verify-always-valid" in self.defects:
            return answer("VALID", key_id)

        def lookup(pid: str | None) -> Any:
            return self.platform if pid == self.platform.id else self.parties.get(pid or "")

        j = P.judge_stateless(data, lookup, self.platform.id)
        if "verify-records-nonce" in self.defects and j.sender and j.nonce:
            with self.lock:
                self.nonces[(j.sender, j.nonce)] = time.time()
        first = [p for p in j.problems if p.step <= 6]
        if first:
            return answer("INVALID", key_id, first[0].code, first[0].en)
        return answer("VALID", key_id)

    def stop(self) -> None:
        self.stopped.set()
        self.server.stop()
        for t in self.threads:
            t.join(timeout=2)
        if self.hold is not None:
            self.hold.close()

    def harness_pixit(self) -> dict[str, Any]:
        out = {k: v for k, v in self.pixit.items() if k in ("participants", "unregistered_participant", "retry_wait_s", "timeout_s")}
        out.update(platform_id=self.platform.id, platform_public_key=self.platform.sm2_public.hex(),
                   listen_host=self.listen_host, listen_port=self.listen_port)
        out.setdefault("retry_wait_s", self.retry_wait)
        return out
