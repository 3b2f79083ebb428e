"""Checks of the ocpp-1.6j profile: frame rules (static and live) and the live test cases.

``ocpp16-frames`` judges captured frames (``conformance validate``) and, in a live run,
every frame the SUT sent, replayed from the frame log in order. ``ocpp16-case`` runs one
test case of cases.yaml against the SUT; the harness plays the other role (central
system listening on loopback, or charge point connecting to ``csms_url``).
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import yaml

from conformance.checks import register_check
from conformance.checks.call import CheckCall
from conformance.checks.display import shorten
from conformance.findings import Finding, Location
from conformance.i18n import text
from conformance.live.exchange import Exchange
from conformance.live.http import TransportError
from conformance.live.scenario import LIVE
from conformance.live.websocket import WebSocketServer, connect_websocket
from conformance.subject import SubjectError
from conformance.verdicts import Verdict
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="ocpp_1_6j")


fr = _load_sibling("ocpp16_frames")
lk = _load_sibling("ocpp16_link")

SUBPROTOCOL = "ocpp1.6"
CASES: dict[str, Any] = yaml.safe_load(Path(__file__).with_name("cases.yaml").read_text(encoding="utf-8"))
FRAME_REQS = (fr.R_FRAME, fr.R_MSGID, fr.R_UNIQUE, fr.R_ECHO, fr.R_SYNC, fr.R_ERRCODE, fr.R_REQ, fr.R_CONF,
              fr.R_DATETIME, fr.R_DECIMAL, fr.R_IDENT)

#: OCPP 1.6 §4.9: allowed connector status transitions (from -> to); staying put is no transition.
TRANSITIONS: dict[str, frozenset[str]] = {
    "Available": frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Reserved", "Unavailable",
                            "Faulted"}),
    "Preparing": frozenset({"Available", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"}),
    "Charging": frozenset({"Available", "SuspendedEV", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}),
    "SuspendedEV": frozenset({"Available", "Charging", "SuspendedEVSE", "Finishing", "Unavailable", "Faulted"}),
    "SuspendedEVSE": frozenset({"Available", "Charging", "SuspendedEV", "Finishing", "Unavailable", "Faulted"}),
    "Finishing": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Reserved": frozenset({"Available", "Preparing", "Unavailable", "Faulted"}),
    "Unavailable": frozenset({"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Faulted"}),
    "Faulted": frozenset({"Available", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing",
                          "Reserved", "Unavailable"}),
}


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not fr.valid_datetime(value):
        return None
    return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


# ====================================================================== frame rules


@register_check("ocpp16-frames", media_types=("json", LIVE), parse_error_verdict=Verdict.ERROR,
                params={"type": "object", "additionalProperties": False},
                description=text("OCPP-J 帧、消息 ID、错误码与官方 JSON 模式", "OCPP-J framing, ids, error codes, official schemas"))
def frames_check(call: CheckCall) -> Iterator[Finding]:
    if call.subject.media_type == LIVE:
        yield from _frames_live(call)
    else:
        yield from _frames_static(call)


def _issue_finding(call: CheckCall, issue: Any, exchange: int | None = None) -> Finding:
    return call.fail(text(issue.zh, issue.en), requirement=issue.requirement,
                     location=Location(file=call.subject.name, pointer=issue.pointer, exchange=exchange))


def _schemas_evidence(call: CheckCall) -> Finding:
    info = fr.schemas().describe()
    return call.passed(text(f"官方 OCPP 1.6 JSON 模式：ocpp {info['version']}，sha256 {info['sha256'][:16]}…",
                            f"official OCPP 1.6 JSON schemas: ocpp {info['version']}, sha256 {info['sha256'][:16]}…"),
                       requirement=fr.R_REQ, evidence={"schemas": info})


def _frames_static(call: CheckCall) -> Iterator[Finding]:
    try:
        data = call.subject.json()
    except SubjectError as exc:
        # The harness's own limits (size, depth, digits) are no evidence against the frames.
        if exc.limit:
            yield call.inconclusive(exc.message, requirement=fr.R_FRAME, location=exc.location)
        else:
            yield call.fail(exc.message, requirement=fr.R_FRAME, location=exc.location)
        for req in FRAME_REQS[1:]:
            yield call.inconclusive(text("文件无法作为 JSON 读取，无法判定", "the file cannot be read as JSON; cannot decide"),
                                    requirement=req, location=exc.location)
        return
    yield _schemas_evidence(call)
    dups = sorted({shorten(json.dumps(k)[1:-1], 40) for k in getattr(call.subject, "json_duplicate_keys", [])})
    if dups:
        names = ", ".join(dups[:10])
        yield call.inconclusive(
            text(f"JSON 对象有重复的成员名：{names}；接收方取哪个值未定义（RFC 8259 §4），无法判定",
                 f"a JSON object repeats the member names {names}; which value a receiver takes is undefined "
                 "(RFC 8259 §4), so this cannot be decided"),
            requirement=fr.R_FRAME, evidence={"keys": dups[:10]})
    yield call.not_applicable(text("并发 CALL 只能在在线测试中判定（需要时序与方向）",
                                   "concurrent CALLs are judged in a live run only (timing and direction needed)"),
                              requirement=fr.R_SYNC)
    state = fr.StreamState()
    unjudged = []
    for position, (frame, sender, hint, base) in enumerate(fr.parse_capture(data)):
        for issue in fr.stream_issues(frame, state, sender=sender, base=base, position=position, action_hint=hint):
            yield _issue_finding(call, issue)
        if (fr.message_type(frame) == fr.CALLRESULT and isinstance(frame, list) and len(frame) == 3
                and hint is None and not state.open_calls and frame[1] not in state.answered):
            unjudged.append(base or "/")
    for ptr in unjudged:
        yield call.inconclusive(text("CALLRESULT 前没有对应的 CALL，也未给出 action：无法按模式检查",
                                     "no CALL precedes this CALLRESULT and no action is given: cannot check its schema"),
                                requirement=fr.R_CONF, location=Location(file=call.subject.name, pointer=ptr))


def _frames_live(call: CheckCall) -> Iterator[Finding]:
    env = _env_or_none(call)
    entries = list(env.log.entries) if env is not None else []
    try:
        if not any(e.direction == "in" for e in entries):
            for req in FRAME_REQS:
                yield call.inconclusive(text("被测系统没有发送任何帧，无法判定", "the SUT sent no frame; cannot decide"),
                                        requirement=req)
            return
        yield _schemas_evidence(call)
        states: dict[int, Any] = {}
        sut_open: dict[int, str | None] = {}
        for entry in entries:
            state = states.setdefault(entry.conn, fr.StreamState())
            sender = "sut" if entry.direction == "in" else "harness"
            try:
                frame = fr.loads(entry.text)
            except (ValueError, RecursionError):
                if sender == "sut":
                    yield call.fail(text("帧不是有效的 JSON", "the frame is not valid JSON"), requirement=fr.R_FRAME,
                                    location=Location(file=call.subject.name, exchange=entry.exchange))
                continue
            issues = fr.stream_issues(frame, state, sender=sender, judge_payload=sender == "sut")
            if sender == "sut":
                for issue in issues:
                    yield _issue_finding(call, issue, entry.exchange)
                if fr.message_type(frame) == fr.CALL and len(frame) == 4:
                    if sut_open.get(entry.conn) is not None:
                        yield call.fail(text(f"上一个 CALL（{sut_open[entry.conn]}）尚未得到应答就发送了新的 CALL",
                                             f"a new CALL was sent before the previous one ({sut_open[entry.conn]}) "
                                             "was answered"),
                                        requirement=fr.R_SYNC,
                                        location=Location(file=call.subject.name, exchange=entry.exchange))
                    sut_open[entry.conn] = frame[1] if isinstance(frame[1], str) else None
            elif isinstance(frame, list) and len(frame) >= 2 and frame[0] in (fr.CALLRESULT, fr.CALLERROR):
                if sut_open.get(entry.conn) == frame[1]:
                    sut_open[entry.conn] = None
    finally:
        if env is not None:
            env.stop()


# ====================================================================== the run's environment


class Env:
    """Harness state of one live run (kept in the session's ``shared``)."""

    def __init__(self, call: CheckCall):
        from conformance.live.scenario import live_session

        s = live_session(call)
        self.s = s
        self.pixit = s.pixit
        self.role = s.role or call.context.ics.role
        self.timeout = float(self.pixit.get("timeout_s", 10))
        self.tolerance = self.pixit.get("tolerance_s")
        self.interval = int(self.pixit.get("heartbeat_interval_s", 10))
        self.clock_tolerance = float(self.pixit.get("clock_tolerance_s", 300))
        self.answer_delay = float(self.pixit.get("answer_delay_s", 0.05))
        self.cp_id = str(self.pixit.get("charge_point_id", "CP001"))
        self.connector = int(self.pixit.get("connector_id", 1))
        self.id_tags = [str(t) for t in (self.pixit.get("id_tags") or ["CONFORMANCE01"])]
        self.log = lk.FrameLog()
        self.rng = call.rng
        self.ep: Any = None
        self.server: WebSocketServer | None = None
        self.endpoints: list[Any] = []
        # As central system: how to answer the next BootNotifications, and what was answered.
        self.boot_plan: list[str] = ["Rejected", "Pending"]
        self.boot_answers: list[tuple[Any, str, float]] = []
        self.transactions: dict[str, int] = {}
        self.next_tx = 1000 + self.rng.randint(0, 10**6)
        self.stopped = False
        s._listeners.append(self)  # closed with the session even if the run is cut short

    # ------------------------------------------------------------ common

    def tol(self, case: str) -> float:
        if self.tolerance is not None:
            return float(self.tolerance)
        return float(CASES[case].get("tolerance_s", 1))

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        for ep in self.endpoints:
            try:
                ep.close()
            except Exception:
                pass
        if self.server is not None:
            self.server.stop()

    def _transport_error(self, url: str, reason: str, direction: str = "in") -> TransportError:
        ex = self.s.recorder.add(Exchange(direction=direction, method="GET", url=url, error=reason))
        return TransportError(ex, reason)

    # ------------------------------------------------------------ SUT = charge point (we are the central system)

    def start_server(self) -> None:
        if self.server is not None:
            return
        self.server = WebSocketServer(host=str(self.pixit.get("listen_host", "127.0.0.1")),
                                      port=int(self.pixit.get("listen_port", 0)), recorder=self.s.recorder,
                                      subprotocols=[SUBPROTOCOL], name="central-system")
        driver = lk.DRIVERS.get(str(self.pixit.get("ocpp16_driver", "")))
        if driver is not None:  # a reference peer that dials in when told where
            driver(self.server.url + quote(self.cp_id, safe=""))

    def accept(self, timeout: float | None = None) -> Any:
        """The next charge point connection as an OCPP endpoint; TransportError when none comes."""
        self.start_server()
        assert self.server is not None
        wait = self.timeout if timeout is None else timeout
        conn = self.server.accept(wait)
        if conn is None:
            raise self._transport_error(self.server.url, f"no charge point connected within {wait} s")
        ep = lk.Endpoint(conn, handler=self._answer_as_cs, answer_delay=self.answer_delay, log=self.log,
                         step="central-system")
        self.endpoints.append(ep)
        self.ep = ep
        return ep

    def cp_link(self) -> Any:
        if self.ep is None:
            return self.accept()
        if self.ep.closed:  # the charge point reconnects after a drop or a reboot
            return self.accept()
        return self.ep

    def _answer_as_cs(self, ep: Any, inc: Any) -> Any:
        p = inc.payload if isinstance(inc.payload, dict) else {}
        if inc.action == "BootNotification":
            status = self.boot_plan.pop(0) if self.boot_plan else "Accepted"
            self.boot_answers.append((inc, status, time.monotonic() + self.answer_delay))
            return lk.Answer({"status": status, "currentTime": utcnow(), "interval": self.interval})
        if inc.action == "Heartbeat":
            return lk.Answer({"currentTime": utcnow()})
        if inc.action == "Authorize":
            return lk.Answer({"idTagInfo": {"status": "Accepted" if p.get("idTag") in self.id_tags else "Invalid"}})
        if inc.action == "StartTransaction":
            self.next_tx += 1
            self.transactions[inc.uid] = self.next_tx
            return lk.Answer({"transactionId": self.next_tx, "idTagInfo": {"status": "Accepted"}})
        if inc.action == "DataTransfer":
            return lk.Answer({"status": "UnknownVendorId"})
        if inc.action in ("StopTransaction", "StatusNotification", "MeterValues", "FirmwareStatusNotification",
                          "DiagnosticsStatusNotification"):
            return lk.Answer({})
        return lk.Answer(error=("NotImplemented", f"the harness does not implement {inc.action}"))

    # ------------------------------------------------------------ SUT = central system (we are the charge point)

    def csms_url(self) -> str:
        url = str(self.pixit.get("csms_url") or self.pixit.get("base_url") or "")
        return url.rstrip("/") + "/" + quote(self.cp_id, safe="")

    def connect(self) -> Any:
        conn = connect_websocket(self.csms_url(), self.s.recorder, subprotocols=[SUBPROTOCOL], timeout=self.timeout,
                                 name="charge-point")
        ep = lk.Endpoint(conn, handler=self._answer_as_cp, answer_delay=self.answer_delay, log=self.log,
                         step="charge-point")
        self.endpoints.append(ep)
        self.ep = ep
        return ep

    def boot(self, ep: Any, attempts: int = 3) -> tuple[list[Any], bool]:
        replies = []
        for _ in range(attempts):
            r = ep.call("BootNotification", {"chargePointVendor": "Conformance", "chargePointModel": "Harness"},
                        timeout=self.timeout)
            if r is None:
                break
            replies.append(r)
            status = r.payload.get("status")
            if status == "Accepted":
                return replies, True
            interval = r.payload.get("interval")
            wait = float(interval) if isinstance(interval, int) and interval > 0 else 1.0
            time.sleep(min(wait, self.timeout))
        return replies, False

    def cs_link(self) -> Any:
        if self.ep is not None and not self.ep.closed:
            return self.ep
        ep = self.connect()
        self.boot(ep)
        return ep

    def _answer_as_cp(self, ep: Any, inc: Any) -> Any:
        p = inc.payload if isinstance(inc.payload, dict) else {}
        answers: dict[str, dict[str, Any]] = {
            "GetConfiguration": {"configurationKey": [], "unknownKey": [k for k in p.get("key", []) or []
                                                                        if isinstance(k, str)][:50]},
            "ChangeConfiguration": {"status": "NotSupported"},
            "RemoteStartTransaction": {"status": "Rejected"}, "RemoteStopTransaction": {"status": "Rejected"},
            "Reset": {"status": "Rejected"}, "UnlockConnector": {"status": "NotSupported"},
            "ChangeAvailability": {"status": "Rejected"}, "ClearCache": {"status": "Rejected"},
            "DataTransfer": {"status": "UnknownVendorId"}, "TriggerMessage": {"status": "NotImplemented"},
        }
        if inc.action in answers:
            return lk.Answer(answers[inc.action])
        return lk.Answer(error=("NotImplemented", f"the harness charge point does not implement {inc.action}"))


def _env(call: CheckCall) -> Env:
    from conformance.live.scenario import live_session

    s = live_session(call)
    env = s.shared.get("ocpp16")
    if env is None:
        env = s.shared["ocpp16"] = Env(call)
    return env


def _env_or_none(call: CheckCall) -> Env | None:
    from conformance.live.scenario import live_session

    return live_session(call).shared.get("ocpp16")


# ====================================================================== test cases

CaseFunc = Callable[[Env, CheckCall, str], Iterator[Finding]]
_CASES: dict[str, CaseFunc] = {}


def case(case_id: str) -> Callable[[CaseFunc], CaseFunc]:
    def deco(fn: CaseFunc) -> CaseFunc:
        _CASES[case_id] = fn
        return fn

    return deco


@register_check("ocpp16-case", media_types=("json", LIVE), parse_error_verdict=Verdict.ERROR,
                params={"type": "object", "additionalProperties": False, "required": ["case"],
                        "properties": {"case": {"type": "string"}}},
                description=text("OCPP 1.6 在线测试用例（cases.yaml）", "OCPP 1.6 live test case (cases.yaml)"))
def case_check(call: CheckCall) -> Iterator[Finding]:
    case_id = call.params["case"]
    spec = CASES.get(case_id)
    if call.subject.media_type != LIVE:
        for req in call.binding.requirements:
            yield call.not_applicable(text(f"行为要求只在在线测试（conformance run）中判定：{case_id}",
                                           f"behaviour is judged in a live run (conformance run) only: {case_id}"),
                                      requirement=req)
        return
    env = _env(call)
    role = spec["role"] if spec else None
    if spec is None or case_id not in _CASES:
        yield call.error(text(f"未知测试用例 {case_id}", f"unknown test case {case_id}"))
        return
    if role != env.role:
        for req in call.binding.requirements:
            yield call.not_applicable(text(f"用例 {case_id} 适用于角色 {role}", f"case {case_id} applies to role {role}"),
                                      requirement=req)
        return
    yield from _CASES[case_id](env, call, case_id)


def _at(call: CheckCall, exchange: int | None) -> Location:
    return Location(file=call.subject.name, exchange=exchange)


def _fail(call: CheckCall, req: str, step: int, case_id: str, zh: str, en: str, exchange: int | None = None,
          evidence: Any = None) -> Finding:
    return call.fail(text(f"{case_id} 步骤 {step}：{zh}", f"{case_id} step {step}: {en}"), requirement=req,
                     location=_at(call, exchange), evidence=evidence)


def _inconclusive(call: CheckCall, req: str, case_id: str, zh: str, en: str) -> Finding:
    return call.inconclusive(text(f"{case_id}：前提不满足，{zh}", f"{case_id}: precondition not met, {en}"),
                             requirement=req)


def _status_of(reply: Any) -> Any:
    return reply.payload.get("status") if reply is not None and reply.ok else None


def _describe(reply: Any) -> str:
    if reply is None:
        return "no answer within the timeout"
    if reply.ok:
        return f"CALLRESULT {json.dumps(reply.payload, default=str, ensure_ascii=False)[:200]}"
    if reply.error_code is not None:
        return f"CALLERROR {reply.error_code}"
    return f"malformed answer {json.dumps(reply.frame, default=str)[:200]}"


def _expect_status(call: CheckCall, case_id: str, step: int, req: str, reply: Any, wanted: set[str],
                   what: str) -> Iterator[Finding]:
    got = _status_of(reply)
    if got not in wanted:
        yield _fail(call, req, step, case_id, f"{what} 应答应为 {'/'.join(sorted(wanted))}，实际：{_describe(reply)}",
                    f"{what} must be answered {'/'.join(sorted(wanted))}, got: {_describe(reply)}",
                    reply.exchange if reply is not None else None)


# ---------------------------------------------------------------- SUT = charge point


@case("TC_CP_CONNECT")
def tc_cp_connect(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    conn = ep.conn
    hs = conn.handshake.index if conn.handshake is not None else None
    segment = unquote(urlsplit(conn.path).path.rstrip("/").rsplit("/", 1)[-1]) if conn.path else ""
    if segment != env.cp_id:
        yield _fail(call, "OCPP16-J-URL", 2, cid, f"URL 路径 {conn.path!r} 的最后一段不是 {env.cp_id!r}",
                    f"the last segment of URL path {conn.path!r} is not {env.cp_id!r}", hs)
    offered = [p.strip() for p in conn.request_headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    if SUBPROTOCOL not in offered or conn.subprotocol != SUBPROTOCOL:
        yield _fail(call, "OCPP16-J-SUBPROTO", 3, cid, f"充电桩提出的子协议为 {offered or '无'}，未协商出 ocpp1.6",
                    f"the charge point offered {offered or 'no subprotocol'}; ocpp1.6 was not negotiated", hs)


@case("TC_CP_BOOT")
def tc_cp_boot(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    tol = env.tol(cid)
    first = ep.wait_call(None, env.timeout)
    if first is None:
        raise env._transport_error(ep.conn.url, f"the charge point sent no CALL within {env.timeout} s")
    if first.action != "BootNotification":
        yield _fail(call, "OCPP16-C-BOOTFIRST", 1, cid, f"第一个 CALL 是 {first.action}", f"the first CALL is {first.action}",
                    first.exchange)
    boot = ep.wait_call("BootNotification", env.timeout)
    if boot is None:
        yield _fail(call, "OCPP16-C-BOOTFIRST", 1, cid, "没有收到 BootNotification", "no BootNotification arrived")
        yield _inconclusive(call, "OCPP16-C-BOOTRETRY", cid, "没有 BootNotification", "no BootNotification")
        return
    prev = boot
    for step, status in ((3, "Rejected"), (5, "Pending")):
        answered = next((a for a in env.boot_answers if a[0] is prev), None)
        if answered is None or answered[1] != status:
            yield _inconclusive(call, "OCPP16-C-BOOTRETRY", cid, f"测试工具未能应答 {status}", f"could not answer {status}")
            return
        sent_at = answered[2]
        nxt = ep.wait_call("BootNotification", env.interval + tol + env.timeout, start=ep.calls.index(prev) + 1)
        if nxt is None:
            yield _fail(call, "OCPP16-C-BOOTRETRY", step, cid, f"{status} 后未重发 BootNotification",
                        f"no BootNotification after {status}")
            return
        gap = nxt.at - sent_at
        if gap < env.interval - tol or gap > env.interval + tol:
            yield _fail(call, "OCPP16-C-BOOTRETRY", step, cid,
                        f"{status} 后 {gap:.2f} 秒重发 BootNotification，应为 {env.interval}±{tol} 秒",
                        f"BootNotification retried {gap:.2f} s after {status}; expected {env.interval}±{tol} s",
                        nxt.exchange)
        if status == "Rejected":
            between = ep.calls[ep.calls.index(prev) + 1: ep.calls.index(nxt)]
            for other in between:
                yield _fail(call, "OCPP16-C-BOOTRETRY", step, cid, f"被拒绝期间发送了 {other.action}",
                            f"sent {other.action} while rejected", other.exchange)
        prev = nxt


@case("TC_CP_HEARTBEAT")
def tc_cp_heartbeat(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    tol = env.tol(cid)
    accepted = [a for a in env.boot_answers if a[1] == "Accepted" and a[0] in ep.calls]
    if not accepted:
        yield _inconclusive(call, "OCPP16-C-HEARTBEAT", cid, "启动未被接受", "boot not accepted")
        return
    accepted_at = accepted[-1][2]
    start = ep.calls.index(accepted[-1][0]) + 1
    hb1 = _next_heartbeat(ep, start, accepted_at, env.interval + tol)
    if hb1 is None:
        yield _fail(call, "OCPP16-C-HEARTBEAT", 1, cid, f"最后一个 CALL 之后 {env.interval}+{tol} 秒内没有 Heartbeat",
                    f"no Heartbeat within {env.interval}+{tol} s of the last CALL")
        return
    if hb1.at - accepted_at < env.interval - tol:
        yield _fail(call, "OCPP16-C-HEARTBEAT", 1, cid, f"接受后 {hb1.at - accepted_at:.2f} 秒即发送 Heartbeat（间隔 {env.interval} 秒）",
                    f"Heartbeat {hb1.at - accepted_at:.2f} s after acceptance (interval {env.interval} s)", hb1.exchange)
        return
    i1 = ep.calls.index(hb1)
    hb2 = _next_heartbeat(ep, i1 + 1, hb1.at, env.interval + tol)
    if hb2 is None:
        yield _fail(call, "OCPP16-C-HEARTBEAT", 2, cid, "没有收到第二个 Heartbeat", "no second Heartbeat")
        return
    gap = hb2.at - hb1.at
    others = ep.calls[i1 + 1: ep.calls.index(hb2)]
    if gap < env.interval - tol or (not others and gap > env.interval + tol):
        yield _fail(call, "OCPP16-C-HEARTBEAT", 2, cid, f"两次 Heartbeat 相隔 {gap:.2f} 秒，应为 {env.interval}±{tol} 秒",
                    f"Heartbeats {gap:.2f} s apart; expected {env.interval}±{tol} s", hb2.exchange)


def _next_heartbeat(ep: Any, start: int, since: float, window: float) -> Any:
    """The first Heartbeat from ``start``, if it comes within ``window`` s of the last CALL before it."""
    while True:
        calls = ep.calls[start:]
        for inc in calls:
            if inc.action == "Heartbeat":
                return inc
        last = max([since] + [c.at for c in calls])
        remaining = last + window - time.monotonic()
        if remaining <= 0 or ep.closed:
            return None
        ep.wait_call(None, remaining, start=start + len(calls))


@case("TC_CP_SESSION")
def tc_cp_session(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    tol, c, tag = env.tol(cid), env.connector, env.id_tags[0]
    before = _last_status(env, c)
    m = ep.mark()
    r = ep.call("RemoteStartTransaction", {"connectorId": c, "idTag": tag}, timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 2, "OCPP16-C-REMOTE", r, {"Accepted"}, "RemoteStartTransaction")
        yield _inconclusive(call, "OCPP16-C-TXID", cid, "远程启动未被接受", "remote start not accepted")
        yield _inconclusive(call, "OCPP16-C-STATUS", cid, "远程启动未被接受", "remote start not accepted")
        return
    st = ep.wait_call("StartTransaction", tol, start=m)
    if st is None:
        yield _fail(call, "OCPP16-C-REMOTE", 2, cid, f"{tol} 秒内没有 StartTransaction", f"no StartTransaction within {tol} s",
                    r.exchange if r else None)
        yield _inconclusive(call, "OCPP16-C-TXID", cid, "交易未开始", "no transaction started")
        yield _inconclusive(call, "OCPP16-C-STATUS", cid, "交易未开始", "no transaction started")
        return
    if isinstance(st.payload, dict) and st.payload.get("idTag") != tag:
        yield _fail(call, "OCPP16-C-REMOTE", 2, cid, "StartTransaction 的 idTag 不是远程启动的 idTag",
                    "StartTransaction does not carry the remote start's idTag", st.exchange)
    txid = env.transactions.get(st.uid)
    ep.wait_call("StatusNotification", tol, start=m,
                 predicate=lambda i: _status_pair(i) == (c, "Charging"))
    r = ep.call("RemoteStopTransaction", {"transactionId": txid}, timeout=env.timeout)
    stopped = None
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 6, "OCPP16-C-REMOTE", r, {"Accepted"}, "RemoteStopTransaction")
    stopped = ep.wait_call("StopTransaction", tol, start=m)
    if stopped is None:
        yield _fail(call, "OCPP16-C-REMOTE", 6, cid, f"{tol} 秒内没有 StopTransaction", f"no StopTransaction within {tol} s",
                    r.exchange if r else None)
        yield _inconclusive(call, "OCPP16-C-TXID", cid, "交易未结束", "the transaction did not stop")
    else:
        got = stopped.payload.get("transactionId") if isinstance(stopped.payload, dict) else None
        if got != txid:
            yield _fail(call, "OCPP16-C-TXID", 7, cid, f"StopTransaction 的 transactionId 为 {got}，应为 {txid}",
                        f"StopTransaction carries transactionId {got}, expected {txid}", stopped.exchange)
    for mv in ep.calls[m:]:
        if mv.action == "MeterValues" and isinstance(mv.payload, dict) and "transactionId" in mv.payload \
                and mv.payload.get("transactionId") != txid:
            yield _fail(call, "OCPP16-C-TXID", 4, cid, f"MeterValues 的 transactionId 为 {mv.payload.get('transactionId')}，应为 {txid}",
                        f"MeterValues carry transactionId {mv.payload.get('transactionId')}, expected {txid}", mv.exchange)
    ep.wait_call("StatusNotification", tol, start=ep.calls.index(stopped) + 1 if stopped else m,
                 predicate=lambda i: _status_pair(i) == (c, "Available"))
    time.sleep(min(0.2, tol))  # late notifications of the same session
    seq = [(s[1], inc) for inc in ep.calls[m:] if (s := _status_pair(inc)) is not None and s[0] == c]
    prev = before
    for status, inc in seq:
        if prev is not None and status != prev and status not in TRANSITIONS.get(prev, frozenset()):
            yield _fail(call, "OCPP16-C-STATUS", 8, cid, f"状态迁移 {prev} → {status} 不被 §4.9 允许",
                        f"status transition {prev} → {status} is not allowed by §4.9", inc.exchange)
        prev = status
    if not any(s in ("Charging", "SuspendedEV", "SuspendedEVSE") for s, _ in seq):
        yield _fail(call, "OCPP16-C-STATUS", 8, cid, "会话中连接器未报告 Charging", "the connector never reported Charging")
    unknown = (txid or 0) + 7919
    r = ep.call("RemoteStopTransaction", {"transactionId": unknown}, timeout=env.timeout)
    yield from _expect_status(call, cid, 10, "OCPP16-C-REMOTE", r, {"Rejected"}, "RemoteStopTransaction(unknown)")


def _status_pair(inc: Any) -> tuple[Any, Any] | None:
    if inc.action == "StatusNotification" and isinstance(inc.payload, dict):
        return inc.payload.get("connectorId"), inc.payload.get("status")
    return None


def _last_status(env: Env, connector: int) -> str | None:
    last = None
    if env.ep is not None:
        for inc in env.ep.calls:
            pair = _status_pair(inc)
            if pair is not None and pair[0] == connector:
                last = pair[1]
    return last


@case("TC_CP_CONFIG")
def tc_cp_config(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req = "OCPP16-C-CONFIG"
    r = ep.call("GetConfiguration", {"key": ["HeartbeatInterval"]}, timeout=env.timeout)
    keys = [k.get("key") for k in (r.payload.get("configurationKey") or []) if isinstance(k, dict)] if r and r.ok else []
    if "HeartbeatInterval" not in keys:
        yield _fail(call, req, 1, cid, f"GetConfiguration 未返回 HeartbeatInterval：{_describe(r)}",
                    f"GetConfiguration did not return HeartbeatInterval: {_describe(r)}", r.exchange if r else None)
    r = ep.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": str(env.interval)}, timeout=env.timeout)
    yield from _expect_status(call, cid, 2, req, r, {"Accepted", "RebootRequired"}, "ChangeConfiguration(HeartbeatInterval)")
    unknown = f"ConformanceUnknownKey{env.rng.randint(1000, 9999)}"
    r = ep.call("ChangeConfiguration", {"key": unknown, "value": "1"}, timeout=env.timeout)
    yield from _expect_status(call, cid, 3, req, r, {"NotSupported"}, "ChangeConfiguration(unknown key)")
    r = ep.call("GetConfiguration", {"key": [unknown]}, timeout=env.timeout)
    if not (r and r.ok and unknown in (r.payload.get("unknownKey") or [])):
        yield _fail(call, req, 4, cid, f"未知键未列入 unknownKey：{_describe(r)}",
                    f"the unknown key is not listed in unknownKey: {_describe(r)}", r.exchange if r else None)


@case("TC_CP_UNLOCK")
def tc_cp_unlock(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    r = ep.call("UnlockConnector", {"connectorId": env.connector}, timeout=env.timeout)
    if r is None or not r.ok:
        yield _fail(call, "OCPP16-C-UNLOCK", 1, cid, f"UnlockConnector 未得到 CALLRESULT：{_describe(r)}",
                    f"UnlockConnector did not get a CALLRESULT: {_describe(r)}", r.exchange if r else None)


def _datatransfer(env: Env, call: CheckCall, cid: str, ep: Any) -> Iterator[Finding]:
    vendor = f"org.conformance.unknown{env.rng.randint(10**5, 10**6)}"
    r = ep.call("DataTransfer", {"vendorId": vendor, "messageId": "probe"}, timeout=env.timeout)
    yield from _expect_status(call, cid, 1, "OCPP16-C-DATATRANSFER", r, {"UnknownVendorId"}, "DataTransfer(unknown vendor)")


@case("TC_CP_DATATRANSFER")
def tc_cp_datatransfer(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    yield from _datatransfer(env, call, cid, env.cp_link())


@case("TC_CS_DATATRANSFER")
def tc_cs_datatransfer(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    yield from _datatransfer(env, call, cid, env.cs_link())


ERROR_EXPECTED = {
    "OCPP16-J-NOTIMPL": {"NotImplemented"},
    "OCPP16-J-FORMATION": {"FormationViolation"},
    "OCPP16-J-OCCURENCE": {"OccurenceConstraintViolation", "ProtocolError"},
    "OCPP16-J-TYPE": {"TypeConstraintViolation"},
    "OCPP16-J-LENGTH": {"TypeConstraintViolation", "PropertyConstraintViolation"},
}


def _probes(env: Env, call: CheckCall, cid: str, ep: Any, probes: list[tuple[str, int, str, Any]]) -> Iterator[Finding]:
    for req, step, action, payload in probes:
        r = ep.call(action, payload, timeout=env.timeout)
        wanted = ERROR_EXPECTED[req]
        if r is None or r.error_code not in wanted:
            yield _fail(call, req, step, cid, f"{action} 探测应得到 CALLERROR {'/'.join(sorted(wanted))}，实际：{_describe(r)}",
                        f"the {action} probe must get CALLERROR {'/'.join(sorted(wanted))}, got: {_describe(r)}",
                        r.exchange if r else None, evidence={"sent": payload})


@case("TC_CP_ERRORS")
def tc_cp_errors(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    yield from _probes(env, call, cid, ep, [
        ("OCPP16-J-NOTIMPL", 1, "ConformanceUnknownAction", {}),
        ("OCPP16-J-FORMATION", 2, "GetConfiguration", {"key": ["HeartbeatInterval"], "conformanceUndefined": 1}),
        ("OCPP16-J-OCCURENCE", 3, "ChangeConfiguration", {"key": "HeartbeatInterval"}),
        ("OCPP16-J-TYPE", 4, "GetConfiguration", {"key": "HeartbeatInterval"}),
        ("OCPP16-J-LENGTH", 5, "GetConfiguration", {"key": ["K" * 51]}),
    ])


@case("TC_CP_TRIGGER")
def tc_cp_trigger(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req, c, m = "OCPP16-RT-TRIGGER", env.connector, ep.mark()
    r = ep.call("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": c}, timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 1, req, r, {"Accepted"}, "TriggerMessage(StatusNotification)")
        return
    got = ep.wait_call("StatusNotification", env.tol(cid), start=m, predicate=lambda i: _status_pair(i) is not None
                       and _status_pair(i)[0] == c)  # type: ignore[index]
    if got is None:
        yield _fail(call, req, 2, cid, "触发后未收到 StatusNotification", "no StatusNotification after the trigger",
                    r.exchange if r else None)


@case("TC_CP_SMART")
def tc_cp_smart(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req, pid = "OCPP16-SC-PROFILE", env.rng.randint(100, 10**6)
    profile = {"chargingProfileId": pid, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Relative",
               "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}
    r = ep.call("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": profile}, timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 1, req, r, {"Accepted"}, "SetChargingProfile")
        return
    r = ep.call("ClearChargingProfile", {"id": pid}, timeout=env.timeout)
    yield from _expect_status(call, cid, 2, req, r, {"Accepted"}, "ClearChargingProfile")
    r = ep.call("ClearChargingProfile", {"id": pid}, timeout=env.timeout)
    yield from _expect_status(call, cid, 3, req, r, {"Unknown"}, "ClearChargingProfile(cleared)")


@case("TC_CP_RESERVE")
def tc_cp_reserve(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req, c, rid, m = "OCPP16-RS-RESERVE", env.connector, env.rng.randint(1, 10**6), ep.mark()
    expiry = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat(timespec="seconds").replace("+00:00", "Z")
    r = ep.call("ReserveNow", {"connectorId": c, "expiryDate": expiry, "idTag": env.id_tags[0], "reservationId": rid},
                timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 1, req, r, {"Accepted"}, "ReserveNow")
        return
    if ep.wait_call("StatusNotification", env.tol(cid), start=m, predicate=lambda i: _status_pair(i) == (c, "Reserved")) is None:
        yield _fail(call, req, 1, cid, "连接器未报告 Reserved", "the connector did not report Reserved", r.exchange if r else None)
    r = ep.call("CancelReservation", {"reservationId": rid}, timeout=env.timeout)
    yield from _expect_status(call, cid, 2, req, r, {"Accepted"}, "CancelReservation")
    ep.wait_call("StatusNotification", env.tol(cid), start=m, predicate=lambda i: _status_pair(i) == (c, "Available"))
    r = ep.call("CancelReservation", {"reservationId": rid}, timeout=env.timeout)
    yield from _expect_status(call, cid, 3, req, r, {"Rejected"}, "CancelReservation(cancelled)")


@case("TC_CP_LOCALLIST")
def tc_cp_locallist(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req = "OCPP16-LL-VERSION"
    r = ep.call("GetLocalListVersion", {}, timeout=env.timeout)
    version = r.payload.get("listVersion") if r and r.ok else None
    if not isinstance(version, int):
        yield _fail(call, req, 1, cid, f"GetLocalListVersion 未返回版本号：{_describe(r)}",
                    f"GetLocalListVersion returned no version: {_describe(r)}", r.exchange if r else None)
        return
    new = max(version, 0) + 1
    r = ep.call("SendLocalList", {"listVersion": new, "updateType": "Full", "localAuthorizationList": [
        {"idTag": env.id_tags[0], "idTagInfo": {"status": "Accepted"}}]}, timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 2, req, r, {"Accepted"}, "SendLocalList")
        return
    r = ep.call("GetLocalListVersion", {}, timeout=env.timeout)
    got = r.payload.get("listVersion") if r and r.ok else None
    if got != new:
        yield _fail(call, req, 3, cid, f"列表版本为 {got}，应为 {new}", f"list version is {got}, expected {new}",
                    r.exchange if r else None)


@case("TC_CP_FIRMWARE")
def tc_cp_firmware(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    m = ep.mark()
    location = str(env.pixit.get("firmware_location", "http://127.0.0.1:9/firmware.bin"))
    r = ep.call("UpdateFirmware", {"location": location, "retrieveDate": utcnow(), "retries": 0}, timeout=env.timeout)
    if r is None or not r.ok:
        yield _fail(call, "OCPP16-FW-STATUS", 1, cid, f"UpdateFirmware 未得到 CALLRESULT：{_describe(r)}",
                    f"UpdateFirmware did not get a CALLRESULT: {_describe(r)}", r.exchange if r else None)
        return
    if ep.wait_call("FirmwareStatusNotification", env.tol(cid), start=m) is None:
        yield _fail(call, "OCPP16-FW-STATUS", 2, cid, "没有收到 FirmwareStatusNotification",
                    "no FirmwareStatusNotification arrived", r.exchange)


@case("TC_CP_RESET")
def tc_cp_reset(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cp_link()
    req, m = "OCPP16-C-RESET", ep.mark()
    env.boot_plan = []  # accept the reboot's BootNotification
    r = ep.call("Reset", {"type": "Soft"}, timeout=env.timeout)
    if _status_of(r) != "Accepted":
        yield from _expect_status(call, cid, 1, req, r, {"Accepted"}, "Reset(Soft)")
        return
    deadline = time.monotonic() + env.timeout + env.tol(cid)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if ep.wait_call("BootNotification", remaining, start=m) is not None:
            return
        if ep.closed and env.server is not None:
            conn = env.server.accept(max(0.0, deadline - time.monotonic()))
            if conn is None:
                break
            ep = lk.Endpoint(conn, handler=env._answer_as_cs, answer_delay=env.answer_delay, log=env.log,
                             step="central-system")
            env.endpoints.append(ep)
            env.ep, m = ep, 0
    yield _fail(call, req, 2, cid, "复位后没有收到 BootNotification", "no BootNotification after the reset",
                r.exchange if r else None)


# ---------------------------------------------------------------- SUT = central system


@case("TC_CS_CONNECT")
def tc_cs_connect(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.connect()
    hs = ep.conn.handshake.index if ep.conn.handshake is not None else None
    if ep.conn.subprotocol != SUBPROTOCOL:
        yield _fail(call, "OCPP16-J-SUBPROTO", 1, cid, f"中央系统选定的子协议为 {ep.conn.subprotocol or '无'}",
                    f"the central system selected {ep.conn.subprotocol or 'no subprotocol'}", hs)
    replies, accepted = env.boot(ep)
    for r in replies:
        yield from _check_time(env, call, cid, 2, r, "BootNotification.conf")
    if not accepted:
        yield _inconclusive(call, "OCPP16-C-CS-TIME", cid, "启动未被接受，无法继续", "boot not accepted")
        return
    r = ep.call("Heartbeat", {}, timeout=env.timeout)
    if r is None or not r.ok:
        yield _fail(call, "OCPP16-C-CS-TIME", 3, cid, f"Heartbeat 未得到 CALLRESULT：{_describe(r)}",
                    f"Heartbeat did not get a CALLRESULT: {_describe(r)}", r.exchange if r else None)
    else:
        yield from _check_time(env, call, cid, 3, r, "Heartbeat.conf")


def _check_time(env: Env, call: CheckCall, cid: str, step: int, r: Any, what: str) -> Iterator[Finding]:
    value = r.payload.get("currentTime") if r is not None and r.ok else None
    t = parse_time(value)
    if t is None:
        return  # missing or malformed: OCPP16-P-CONF / OCPP16-P-DATETIME judge that
    skew = abs((t - datetime.now(timezone.utc)).total_seconds())
    if skew > env.clock_tolerance:
        yield _fail(call, "OCPP16-C-CS-TIME", step, cid, f"{what} 的 currentTime {value} 与当前时间相差 {skew:.0f} 秒",
                    f"{what} currentTime {value} is {skew:.0f} s off the current time", r.exchange)


@case("TC_CS_AUTH")
def tc_cs_auth(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cs_link()
    req = "OCPP16-C-CS-AUTH"
    r = ep.call("Authorize", {"idTag": env.id_tags[0]}, timeout=env.timeout)
    got = (r.payload.get("idTagInfo") or {}).get("status") if r and r.ok else None
    if got != "Accepted":
        yield _fail(call, req, 1, cid, f"已知 idTag 授权结果为 {got}：{_describe(r)}",
                    f"the known idTag got {got}: {_describe(r)}", r.exchange if r else None)
    unknown = f"UNK{secrets.token_hex(6).upper()}"
    r = ep.call("Authorize", {"idTag": unknown}, timeout=env.timeout)
    got = (r.payload.get("idTagInfo") or {}).get("status") if r and r.ok else None
    if r is None or not r.ok or got == "Accepted":
        yield _fail(call, req, 2, cid, f"未知 idTag 的授权结果：{_describe(r)}", f"an unknown idTag got: {_describe(r)}",
                    r.exchange if r else None)


@case("TC_CS_SESSION")
def tc_cs_session(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cs_link()
    req, c, tag = "OCPP16-C-CS-TX", env.connector, env.id_tags[0]
    ids = []

    def status(value: str) -> None:
        ep.call("StatusNotification", {"connectorId": c, "errorCode": "NoError", "status": value, "timestamp": utcnow()},
                timeout=env.timeout)

    for _ in range(2):
        status("Preparing")
        r = ep.call("StartTransaction", {"connectorId": c, "idTag": tag, "meterStart": 0, "timestamp": utcnow()},
                    timeout=env.timeout)
        txid = r.payload.get("transactionId") if r and r.ok else None
        accepted = (r.payload.get("idTagInfo") or {}).get("status") if r and r.ok else None
        if not isinstance(txid, int) or accepted != "Accepted":
            yield _fail(call, req, 2, cid, f"StartTransaction 的应答：{_describe(r)}", f"StartTransaction answered: {_describe(r)}",
                        r.exchange if r else None)
            return
        ids.append((txid, r.exchange))
        status("Charging")
        ep.call("MeterValues", {"connectorId": c, "transactionId": txid, "meterValue": [{"timestamp": utcnow(), "sampledValue": [
            {"value": "100", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}, timeout=env.timeout)
        r = ep.call("StopTransaction", {"transactionId": txid, "meterStop": 100, "timestamp": utcnow(), "idTag": tag,
                                        "reason": "Local"}, timeout=env.timeout)
        if r is None or not r.ok:
            yield _fail(call, req, 4, cid, f"StopTransaction 的应答：{_describe(r)}", f"StopTransaction answered: {_describe(r)}",
                        r.exchange if r else None)
        status("Finishing")
        status("Available")
    if ids[0][0] == ids[1][0]:
        yield _fail(call, req, 5, cid, f"两次交易得到相同的 transactionId {ids[0][0]}",
                    f"both transactions got transactionId {ids[0][0]}", ids[1][1])


@case("TC_CS_ERRORS")
def tc_cs_errors(env: Env, call: CheckCall, cid: str) -> Iterator[Finding]:
    ep = env.cs_link()
    yield from _probes(env, call, cid, ep, [
        ("OCPP16-J-NOTIMPL", 1, "ConformanceUnknownAction", {}),
        ("OCPP16-J-FORMATION", 2, "Authorize", {"idTag": env.id_tags[0], "conformanceUndefined": 1}),
        ("OCPP16-J-OCCURENCE", 3, "Authorize", {}),
        ("OCPP16-J-TYPE", 4, "Authorize", {"idTag": 12345}),
        ("OCPP16-J-LENGTH", 5, "Authorize", {"idTag": "T" * 21}),
    ])
