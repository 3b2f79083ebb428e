"""T/CEC 102-2016 live scenarios: the harness plays the SUT's counterpart platform.

``--role provider`` (the SUT provides data): the harness demands. It gets a token, calls
every claimed query interface, runs the charging scenario (its loopback listener
receives the SUT's pushes), and sends negative requests.

``--role demander`` (the SUT demands data): the harness provides. It gets a token from
the SUT (the SUT issues tokens for the pushes it receives), pushes every claimed
notification, waits for the SUT's own requests on its listener (query_token, then any
query), and sends negative requests.

Every answer is judged for the envelope (§4.5), the signature (Annex C), the
encryption (Annex B) and the payload schema; every request the SUT sends to the
listener likewise, plus its Bearer token (§4.4). Scenarios run in the binding order of
profile.yaml and share state through ``session.shared['tcec']``; ``tcec-coverage``
runs last and gives every requirement no scenario exercised a verdict.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from conformance.checks.call import CheckCall
from conformance.findings import Finding, Location
from conformance.live import Request, Response, TransportError, register_scenario
from conformance.live.scenario import live_session
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="tcec102_2016")


core = _load_sibling("tcec_core")
samples = _load_sibling("tcec_samples")

REQUEST_SIDE = ("CEC-4.5-REQ", "CEC-4.5-OPID", "CEC-4.5-TS", "CEC-4.5-SEQ", "CEC-4.4-BEARER")
MAX_TOKEN_SECONDS = 7 * 24 * 3600
USE_TOKEN = object()


class Reply:
    def __init__(self, ex: Any, status: int | None, envelope: dict[str, Any] | None = None, ret: Any = None,
                 payload: Any = None):
        self.ex, self.status, self.envelope, self.ret, self.payload = ex, status, envelope, ret, payload

    @property
    def index(self) -> int | None:
        return self.ex.index if self.ex is not None else None


class SetupError(Exception):
    pass


class Harness:
    """What the scenarios of one run share: PIXIT, the client, the listener, the token."""

    def __init__(self, s: Any, call: CheckCall):
        self.s = s
        self.role = s.role
        self.call = call
        px = s.pixit
        missing = [k for k in ("operator_id", "sut_operator_id", "operator_secret", "data_secret", "data_iv",
                               "sig_secret") if not px.get(k)]
        if missing:
            raise SetupError(f"PIXIT lacks {', '.join(missing)}")
        try:
            self.sec = core.Secrets.from_pixit(px)
        except ValueError as exc:
            raise SetupError(f"PIXIT: {exc}") from None
        self.own = str(px["operator_id"])
        self.sut = str(px["sut_operator_id"])
        self.timeout = float(px.get("timeout_s", 10))
        self.http = s.client()
        self.seq = 0
        self.token: str | None = None
        self.listener: Any = None
        self.platform: Any = None
        self.touched: set[str] = set()
        self.trouble = False
        self.judged: set[int] = set()
        self.station_id: str | None = None
        self.connector_id: str | None = None

    def claimed(self, interface: str) -> bool:
        return bool(self.call.context.option(interface, True))

    def loc(self, ex: Any) -> Location:
        return Location(exchange=ex.index if ex is not None else None)

    # ------------------------------------------------------------ listener

    def ensure_listener(self, j: Any) -> Any:
        if self.listener is not None:
            return self.listener
        handlers = _counterpart_handlers(self.role, self.own)
        self.platform = core.Platform(own_id=self.own, peer_id=self.sut, sec=self.sec, handlers=handlers,
                                      on_token=self.s.secret)

        def handle(req: Request) -> Response:
            ans = self.platform.handle(req.path, req.body, req.header("Authorization"))
            return Response(ans.status, ans.body, {"Content-Type": ans.content_type})

        try:
            self.listener = self.s.listen(handle, name="harness-listener")
            core.no_nagle(self.listener)
        except OSError as exc:
            self.trouble = True
            j.error("CEC-4.5-REQ", f"无法在 PIXIT listen_host/listen_port 上监听：{exc}",
                    f"cannot listen on PIXIT listen_host/listen_port: {exc}")
        return self.listener

    # ------------------------------------------------------------ calling the SUT

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def call_sut(self, j: Any, interface: str, payload: Any, *, step: str, step_req: str,
                 token: Any = USE_TOKEN, mutate: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 judge_payload: bool = True) -> Reply | None:
        env = core.build_request(self.own, payload, self.sec, seq=self.next_seq())
        if mutate is not None:
            env = mutate(env)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        tok = self.token if token is USE_TOKEN else token
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        try:
            ex = self.http.post(interface, body=core.dumps(env), headers=headers, step=step)
        except TransportError as exc:
            self.trouble = True
            j.error(step_req, f"{step}：{exc.message['zh']}", f"{step}: {exc.message['en']}",
                    location=Location(exchange=exc.exchange.index), evidence={"error": exc.exchange.error})
            return None
        return self.judge_response(j, ex, interface, judge_payload=judge_payload)

    def judge_response(self, j: Any, ex: Any, interface: str, *, judge_payload: bool) -> Reply:
        loc = self.loc(ex)
        try:
            env = ex.json_body()
        except (ValueError, UnicodeDecodeError):
            env = None
        ctype = ex.response_headers.get("Content-Type", "")
        if ex.status is not None and ex.status >= 500:
            self.trouble = True
            j.error("CEC-4.3-JSON", f"HTTP {ex.status}：被测系统内部错误", f"HTTP {ex.status}: the SUT failed internally",
                    location=loc)
            return Reply(ex, ex.status)
        if ex.status != 200 or not isinstance(env, dict):
            what = "JSON object" if isinstance(env, (list, str, int, float)) else f"JSON ({ctype or 'no Content-Type'})"
            j.fail("CEC-4.3-JSON", f"应答不是 HTTP 200 的 JSON 报文（HTTP {ex.status}，{ctype or '无 Content-Type'}）",
                   f"the answer is not a {what} envelope with HTTP 200 (HTTP {ex.status})", location=loc)
            return Reply(ex, ex.status)
        j.touch("CEC-4.3-JSON", "CEC-4.5-RESP", "CEC-4.5-RET", "CEC-C-SIG-FORMAT", "CEC-C-SIG")
        for p in core.envelope_problems(env, "response"):
            j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer))
        p = core.signature_problem(env, "response", self.sec.sig_secret)
        if p is not None:
            j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer), evidence={"got": env.get("Sig")})
        ret = env.get("Ret")
        data = env.get("Data")
        payload = None
        if isinstance(data, str) and (data or ret == 0):
            j.touch("CEC-B-DATA")
            payload, _plain, p = core.open_data(data, self.sec.data_secret, self.sec.data_iv)
            if p is not None:
                j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer))
        if ret == 0 and payload is not None and judge_payload:
            self.judge_payload(j, f"{interface}.resp", payload, ex)
        return Reply(ex, ex.status, env, ret, payload)

    def judge_payload(self, j: Any, msg_type: str, payload: Any, ex: Any) -> None:
        j.touch(*core.schema_requirements(msg_type), "CEC-DM-DIALECT")
        for p in core.payload_problems(msg_type, payload, "/Data"):
            j.problem(p, location=Location(exchange=ex.index if ex is not None else None, pointer=p.pointer))
        for p in core.dialect_problems(payload, str(self.call.context.option("DIALECT", "cec")), "/Data"):
            j.problem(p, location=Location(exchange=ex.index if ex is not None else None, pointer=p.pointer))

    # ------------------------------------------------------------ what the SUT sent us

    def judge_inbound(self, j: Any) -> int:
        """Judge every request the SUT sent to the listener that is not judged yet."""
        if self.listener is None:
            return 0
        n = 0
        for req, ex in list(self.listener.received):
            if ex is None or ex.index in self.judged:
                continue
            self.judged.add(ex.index)
            n += 1
            self.judge_request(j, req, ex)
        return n

    def judge_request(self, j: Any, req: Request, ex: Any) -> None:
        interface = req.path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        loc = self.loc(ex)
        try:
            env = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            env = None
        if not isinstance(env, dict):
            j.fail("CEC-4.3-JSON", f"被测系统的 {interface} 请求不是 JSON 对象", f"the SUT's {interface} request is not a JSON object",
                   location=loc)
            return
        j.touch("CEC-4.3-JSON", "CEC-4.5-REQ", "CEC-4.5-OPID", "CEC-4.5-TS", "CEC-4.5-SEQ", "CEC-C-SIG-FORMAT",
                "CEC-C-SIG")
        for p in core.envelope_problems(env, "request"):
            j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer), evidence={"interface": interface})
        p = core.signature_problem(env, "request", self.sec.sig_secret)
        if p is not None:
            j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer))
        if interface != "query_token":
            j.touch("CEC-4.4-BEARER")
            auth = req.header("Authorization") or ""
            ok = auth.lower().startswith("bearer ") and auth[7:].strip() in self.platform.tokens
            if not ok:
                j.fail("CEC-4.4-BEARER", f"{interface} 请求未携带本方签发的 Bearer 令牌",
                       f"the {interface} request carries no Bearer token issued by the harness", location=loc,
                       evidence={"authorization": "present" if auth else "absent"})
        data = env.get("Data")
        if isinstance(data, str):
            j.touch("CEC-B-DATA")
            payload, _plain, p = core.open_data(data, self.sec.data_secret, self.sec.data_iv)
            if p is not None:
                j.problem(p, location=Location(exchange=ex.index, pointer=p.pointer))
            if payload is not None and f"{interface}.req" in core.schema_index():
                self.judge_payload(j, f"{interface}.req", payload, ex)


def _counterpart_handlers(sut_role: str | None, own_id: str) -> dict[str, Any]:
    """What the harness's listener serves: the demander's notifications when the SUT
    provides, the provider's queries when the SUT demands."""
    if sut_role == "provider":
        def seq_of(p: Any) -> str:
            return p.get("StartChargeSeq", "") if isinstance(p, dict) else ""

        return {
            "notification_stationStatus": lambda p, c: {"Status": 0},
            "notification_start_charge_result": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0, "FailReason": 0},
            "notification_equip_charge_status": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0},
            "notification_stop_charge_result": lambda p, c: {"StartChargeSeq": seq_of(p), "SuccStat": 0, "FailReason": 0},
            "notification_charge_order_info": lambda p, c: {"StartChargeSeq": seq_of(p),
                                                            "ConnectorID": p.get("ConnectorID", ""), "ConfirmResult": 0},
        }
    data = samples.samples(provider=own_id)
    handlers: dict[str, Any] = {}
    for iface, side in core.INTERFACES.items():
        if side == "provider":
            handlers[iface] = (lambda name: (lambda p, c: data[f"{name}.resp"]))(iface)
    return handlers


def _harness(call: CheckCall) -> tuple[Any, Any]:
    """(session, Harness or the SetupError)."""
    s = live_session(call)
    h = s.shared.get("tcec")
    if h is None:
        try:
            h = Harness(s, call)
        except SetupError as exc:
            h = exc
        s.shared["tcec"] = h
    elif isinstance(h, Harness):
        h.call = call
    return s, h


def _run(call: CheckCall, body: Callable[[Any, Any], None], roles: tuple[str, ...] = ("provider", "demander"),
         first: bool = False) -> Iterator[Finding]:
    j = core.Judge(call)
    s, h = _harness(call)
    if isinstance(h, SetupError):
        if first:
            for req in call.binding.requirements:
                j.error(req, f"配置错误：{h}", f"configuration error: {h}")
        yield from j.results()
        return
    if s.role in roles:
        body(h, j)
        h.touched |= j.touched
    yield from j.results()


# ------------------------------------------------------------------ scenarios


@register_scenario("tcec-token", implicit_pass=False)
def token_scenario(call: CheckCall) -> Iterator[Finding]:
    """Annex A: a token for the right secret (lifetime in seconds), none for a wrong one."""

    def body(h: Harness, j: Any) -> None:
        h.ensure_listener(j)
        j.touch("CEC-A-TOKEN")
        r = h.call_sut(j, "query_token", {"OperatorID": h.own, "OperatorSecret": h.sec.operator_secret},
                       step="query_token", step_req="CEC-A-TOKEN", token=None)
        if r is not None:
            p = r.payload if isinstance(r.payload, dict) else None
            if r.envelope is None:
                j.inconclusive("CEC-A-TOKEN", "没有可判定的应答", "no answer to judge", location=h.loc(r.ex))
            elif r.ret != 0 or p is None:
                j.fail("CEC-A-TOKEN", f"正确凭据未获得令牌（Ret {r.ret}）", f"the right credentials got no token (Ret {r.ret})",
                       location=h.loc(r.ex))
            else:
                token, life = p.get("AccessToken"), p.get("TokenAvailableTime")
                if p.get("SuccStat") == 0 and isinstance(token, str) and token:
                    h.token = token
                    h.s.secret(token)
                else:
                    j.fail("CEC-A-TOKEN", f"正确凭据未获得令牌（SuccStat {p.get('SuccStat')!r}）",
                           f"the right credentials got no token (SuccStat {p.get('SuccStat')!r})", location=h.loc(r.ex))
                if h.token and not (isinstance(life, int) and not isinstance(life, bool) and 1 <= life <= MAX_TOKEN_SECONDS):
                    j.fail("CEC-A-TOKEN", f"TokenAvailableTime {life!r} 不是以秒计的有效期（1 至 {MAX_TOKEN_SECONDS}）",
                           f"TokenAvailableTime {life!r} is not a lifetime in seconds (1 to {MAX_TOKEN_SECONDS})",
                           location=Location(exchange=r.index, pointer="/Data/TokenAvailableTime"))
        j.touch("CEC-A-TOKEN-DENY")
        wrong = "WRONG" + secrets.token_hex(5)
        r = h.call_sut(j, "query_token", {"OperatorID": h.own, "OperatorSecret": wrong}, step="query_token (wrong secret)",
                       step_req="CEC-A-TOKEN-DENY", token=None)
        if r is not None and r.envelope is not None:
            p = r.payload if isinstance(r.payload, dict) else {}
            granted = r.ret == 0 and (p.get("SuccStat") == 0 or bool(p.get("AccessToken")))
            if p.get("AccessToken"):
                h.s.secret(p.get("AccessToken"))
            if granted:
                j.fail("CEC-A-TOKEN-DENY", "错误的 OperatorSecret 获得了令牌", "a wrong OperatorSecret got a token",
                       location=h.loc(r.ex))
        elif r is not None:
            j.inconclusive("CEC-A-TOKEN-DENY", "没有可判定的应答", "no answer to judge", location=h.loc(r.ex))

    yield from _run(call, body, first=True)


def _need_token(h: Harness, j: Any, *reqs: str) -> bool:
    if h.token:
        return True
    for req in reqs:
        j.inconclusive(req, "前提不满足：未获得令牌", "precondition not met: no token was obtained")
    return False


@register_scenario("tcec-queries", implicit_pass=False)
def queries_scenario(call: CheckCall) -> Iterator[Finding]:
    """SUT as provider: every claimed query interface, answers judged."""

    def body(h: Harness, j: Any) -> None:
        if not _need_token(h, j, "CEC-2-MESSAGES"):
            return
        if h.claimed("query_stations_info"):
            r = h.call_sut(j, "query_stations_info", {"PageNo": 1, "PageSize": 10}, step="query_stations_info",
                           step_req="CEC-2-MESSAGES")
            if r is not None and isinstance(r.payload, dict):
                for st in r.payload.get("StationInfos") or []:
                    if not isinstance(st, dict):
                        continue
                    for eq in st.get("EquipmentInfos") or []:
                        for c in (eq.get("ConnectorInfos") or []) if isinstance(eq, dict) else []:
                            if isinstance(c, dict) and isinstance(c.get("ConnectorID"), str) and h.connector_id is None:
                                h.station_id = str(st.get("StationID", ""))
                                h.connector_id = c["ConnectorID"]
        station = h.station_id or samples.STATION_ID
        if h.claimed("query_station_status"):
            h.call_sut(j, "query_station_status", {"StationIDs": [station]}, step="query_station_status",
                       step_req="CEC-2-MESSAGES")
        if h.claimed("query_station_stats"):
            today = date.today()
            h.call_sut(j, "query_station_stats", {"StationID": station,
                                                  "StartTime": (today - timedelta(days=30)).isoformat(),
                                                  "EndTime": today.isoformat()},
                       step="query_station_stats", step_req="CEC-2-MESSAGES")
        if h.claimed("query_equip_business_policy") and h.connector_id:
            h.call_sut(j, "query_equip_business_policy", {"EquipBizSeq": core.new_seq27(h.own),
                                                          "ConnectorID": h.connector_id},
                       step="query_equip_business_policy", step_req="CEC-3-MESSAGES")

    yield from _run(call, body, roles=("provider",))


def _wait_push(h: Harness, j: Any, interface: str, start: int) -> bool:
    got = h.listener.wait_for(lambda r: r.path.rstrip("/").endswith("/" + interface), h.timeout, start=start)
    if got is None:
        j.fail("CEC-3-NOTIFY", f"{h.timeout:g} 秒内未收到 {interface}（监听地址 {h.listener.url}）",
               f"no {interface} arrived within {h.timeout:g} s (listener {h.listener.url})",
               evidence={"listener": h.listener.url, "interface": interface})
        return False
    return True


@register_scenario("tcec-charging", implicit_pass=False)
def charging_scenario(call: CheckCall) -> Iterator[Finding]:
    """SUT as provider: auth → start → pushes → status → stop → pushes → reconciliation."""

    def body(h: Harness, j: Any) -> None:
        if not (h.claimed("query_start_charge") and h.claimed("query_stop_charge")):
            return
        if not _need_token(h, j, "CEC-3-NOTIFY"):
            return
        if h.listener is None or h.connector_id is None:
            j.inconclusive("CEC-3-NOTIFY", "前提不满足：没有监听器或未从 query_stations_info 得到充电接口编码",
                           "precondition not met: no listener, or no ConnectorID from query_stations_info")
            return
        cid = h.connector_id
        if h.claimed("query_equip_auth"):
            h.call_sut(j, "query_equip_auth", {"EquipAuthSeq": core.new_seq27(h.own), "ConnectorID": cid},
                       step="query_equip_auth", step_req="CEC-3-MESSAGES")
        start_seq = core.new_seq27(h.own)
        mark = len(h.listener.received)
        r = h.call_sut(j, "query_start_charge", {"StartChargeSeq": start_seq, "ConnectorID": cid, "QRCode": ""},
                       step="query_start_charge", step_req="CEC-3-NOTIFY")
        if r is None or not isinstance(r.payload, dict) or r.ret != 0 or r.payload.get("SuccStat") != 0:
            j.inconclusive("CEC-3-NOTIFY", "前提不满足：启动充电未成功", "precondition not met: the start did not succeed",
                           location=h.loc(r.ex if r else None))
            return
        j.touch("CEC-3-NOTIFY")
        _wait_push(h, j, "notification_start_charge_result", mark)
        _wait_push(h, j, "notification_equip_charge_status", mark)
        if h.claimed("query_equip_charge_status"):
            h.call_sut(j, "query_equip_charge_status", {"StartChargeSeq": start_seq},
                       step="query_equip_charge_status", step_req="CEC-3-MESSAGES")
        mark = len(h.listener.received)
        r = h.call_sut(j, "query_stop_charge", {"StartChargeSeq": start_seq, "ConnectorID": cid},
                       step="query_stop_charge", step_req="CEC-3-NOTIFY")
        if r is None or not isinstance(r.payload, dict) or r.ret != 0 or r.payload.get("SuccStat") != 0:
            j.inconclusive("CEC-3-NOTIFY", "前提不满足：停止充电未成功", "precondition not met: the stop did not succeed",
                           location=h.loc(r.ex if r else None))
        else:
            _wait_push(h, j, "notification_stop_charge_result", mark)
            _wait_push(h, j, "notification_charge_order_info", mark)
        if h.claimed("check_charge_orders"):
            now = samples.T0[:10]
            h.call_sut(j, "check_charge_orders", {
                "CheckOrderSeq": core.new_seq27(h.own), "StartTime": f"{now} 00:00:00", "EndTime": f"{now} 23:59:59",
                "OrderCount": 1, "TotalOrderPower": 30.5, "TotalOrderMoney": 54.9,
                "ChargeOrders": [{"StartChargeSeq": start_seq, "TotalPower": 30.5, "TotalMoney": 54.9}]},
                step="check_charge_orders", step_req="CEC-3-MESSAGES")
        h.judge_inbound(j)

    yield from _run(call, body, roles=("provider",))


PUSHES = ("notification_stationStatus", "notification_start_charge_result", "notification_equip_charge_status",
          "notification_stop_charge_result", "notification_charge_order_info")


@register_scenario("tcec-push", implicit_pass=False)
def push_scenario(call: CheckCall) -> Iterator[Finding]:
    """SUT as demander: every claimed notification pushed, answers judged."""

    def body(h: Harness, j: Any) -> None:
        if not _need_token(h, j, "CEC-2-MESSAGES", "CEC-3-MESSAGES"):
            return
        data = samples.samples(provider=h.own, demander=h.sut)
        for iface in PUSHES:
            if h.claimed(iface):
                h.call_sut(j, iface, data[f"{iface}.req"], step=iface,
                           step_req="CEC-2-MESSAGES" if iface == "notification_stationStatus" else "CEC-3-MESSAGES")

    yield from _run(call, body, roles=("demander",))


@register_scenario("tcec-sut-requests", implicit_pass=False)
def sut_requests_scenario(call: CheckCall) -> Iterator[Finding]:
    """What the SUT sent to the listener: envelopes, signatures, Data, Bearer tokens, payloads."""

    def body(h: Harness, j: Any) -> None:
        if h.listener is None:
            return
        if h.role == "demander":
            got = h.listener.wait_for(lambda r: not r.path.rstrip("/").endswith("/query_token"), h.timeout)
            if got is None:
                for req in REQUEST_SIDE:
                    j.inconclusive(req, f"{h.timeout:g} 秒内被测系统未向监听地址 {h.listener.url} 发出查询请求",
                                   f"the SUT sent no query to the listener {h.listener.url} within {h.timeout:g} s",
                                   evidence={"listener": h.listener.url})
        h.judge_inbound(j)

    yield from _run(call, body)


def _bad_sig(env: dict[str, Any]) -> dict[str, Any]:
    env = dict(env)
    env["Sig"] = core.hmac_md5("not-the-sig-secret", env.get("OperatorID", "") + env.get("Data", ""))
    return env


def _resign_without_seq(h: Harness) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(env: dict[str, Any]) -> dict[str, Any]:
        env = {k: v for k, v in env.items() if k != "Seq"}
        # Signed as if Seq were empty: the missing member is the only fault.
        env["Sig"] = core.request_sig(h.sec.sig_secret, env["OperatorID"], env["Data"], env["TimeStamp"], "")
        return env

    return mutate


def _both(*fns: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mutate(env: dict[str, Any]) -> dict[str, Any]:
        for fn in fns:
            env = fn(env)
        return env

    return mutate


@register_scenario("tcec-negative", implicit_pass=False)
def negative_scenario(call: CheckCall) -> Iterator[Finding]:
    """Requests the SUT must reject, one fault at a time, then faults combined (precedence)."""

    def body(h: Harness, j: Any) -> None:
        reqs = ("CEC-RET-4003", "CEC-RET-4001", "CEC-RET-4002", "CEC-RET-4004", "CEC-RET-ORDER")
        if not _need_token(h, j, *reqs):
            return
        if h.role == "provider":
            iface, good, bad = "query_stations_info", {"PageNo": 1, "PageSize": 10}, {"PageNo": "one", "PageSize": 10}
        else:
            iface, bad = "notification_stationStatus", {}
            good = {"ConnectorStatusInfo": samples.connector_status()}
        unknown = secrets.token_hex(16)
        no_seq = _resign_without_seq(h)
        steps: list[tuple[str, str, str, Any, Any, Any, int]] = [
            ("CEC-RET-4001", "bad signature", iface, good, _bad_sig, USE_TOKEN, core.RET_SIG),
            ("CEC-RET-4003", "missing Seq", iface, good, no_seq, USE_TOKEN, core.RET_ENVELOPE),
            ("CEC-RET-4002", "no token", iface, good, None, None, core.RET_TOKEN),
            ("CEC-RET-4002", "unknown or expired token", iface, good, None, unknown, core.RET_TOKEN),
            ("CEC-RET-4004", "bad business field", iface, bad, None, USE_TOKEN, core.RET_BUSINESS),
        ]
        if h.role == "provider" and h.claimed("query_station_status"):
            ids = [f"ST{n:04d}" for n in range(1, 52)]
            steps.append(("CEC-2-STATUS-LIMIT", "51 StationIDs", "query_station_status", {"StationIDs": ids}, None,
                          USE_TOKEN, core.RET_BUSINESS))
        steps += [
            ("CEC-RET-ORDER", "missing Seq + bad signature + no token + bad business field", iface, bad,
             _both(no_seq, _bad_sig), None, core.RET_ENVELOPE),
            ("CEC-RET-ORDER", "bad signature + no token + bad business field", iface, bad, _bad_sig, None, core.RET_SIG),
            ("CEC-RET-ORDER", "no token + bad business field", iface, bad, None, None, core.RET_TOKEN),
        ]
        for req, what, target, payload, mutate, token, want in steps:
            j.touch(req)
            r = h.call_sut(j, target, payload, step=f"negative: {what}", step_req=req, token=token, mutate=mutate,
                           judge_payload=False)
            if r is None:
                continue
            if r.status is not None and r.status >= 500:
                j.error(req, f"{what}：HTTP {r.status}", f"{what}: HTTP {r.status}", location=h.loc(r.ex))
            elif r.envelope is None:
                j.fail(req, f"{what}：应返回 Ret {want}，但应答不是 JSON 报文（HTTP {r.status}）",
                       f"{what}: expected Ret {want}, but the answer is not a JSON envelope (HTTP {r.status})",
                       location=h.loc(r.ex), evidence={"expected": want, "status": r.status})
            elif r.ret != want:
                j.fail(req, f"{what}：应返回 Ret {want}，实际为 {r.ret!r}", f"{what}: expected Ret {want}, got {r.ret!r}",
                       location=h.loc(r.ex), evidence={"expected": want, "got": r.ret})

    yield from _run(call, body)


@register_scenario("tcec-timing", implicit_pass=False,
                   params={"type": "object", "additionalProperties": False,
                           "properties": {"limit_ms": {"type": "integer", "minimum": 1}}})
def timing_scenario(call: CheckCall) -> Iterator[Finding]:
    """Answers within the limit (a SHOULD)."""
    s = live_session(call)
    limit = call.params.get("limit_ms", 1000)
    measured = 0
    for ex in s.recorder:
        if ex.direction == "out" and ex.status is not None and ex.duration_ms is not None:
            measured += 1
            if ex.duration_ms > limit:
                yield call.fail({"zh": f"{ex.step or ex.url} 用时 {ex.duration_ms} 毫秒，超过 {limit} 毫秒",
                                 "en": f"{ex.step or ex.url} took {ex.duration_ms} ms, over {limit} ms"},
                                location=Location(exchange=ex.index), evidence={"duration_ms": ex.duration_ms})
    if measured:
        yield call.passed({"zh": f"测量了 {measured} 次应答", "en": f"{measured} answer(s) measured"})
    else:
        yield call.inconclusive({"zh": "没有可测量的应答", "en": "no answer to measure"})


@register_scenario("tcec-coverage", implicit_pass=False)
def coverage_scenario(call: CheckCall) -> Iterator[Finding]:
    """Runs last: a requirement no scenario exercised is not applicable to this role's
    scenarios, or inconclusive when earlier steps broke down."""
    s = live_session(call)
    h = s.shared.get("tcec")
    touched = h.touched if isinstance(h, Harness) else set()
    trouble = not isinstance(h, Harness) or h.trouble
    for req in call.binding.requirements:
        if req in touched:
            continue
        if trouble:
            yield call.inconclusive({"zh": "未能判定：前面的步骤出现传输或配置故障",
                                     "en": "not judged: earlier steps hit a transport or configuration fault"},
                                    requirement=req)
        else:
            yield call.not_applicable({"zh": f"角色 {s.role} 的在线场景不涉及该要求（由静态校验判定）",
                                       "en": f"not exercised by the {s.role} scenarios (judged by static validation)"},
                                      requirement=req)
