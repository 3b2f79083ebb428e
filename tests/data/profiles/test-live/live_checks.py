"""Scenarios and reference peer of the test-live profile (exercises conformance.live)."""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

import requests

from conformance.i18n import text
from conformance.live import Request, Response, ReferencePeer, LoopbackServer, register_reference, register_scenario
from conformance.live.scenario import live_session


def _json(ex: Any) -> Any:
    try:
        return ex.json_body()
    except (ValueError, UnicodeDecodeError):
        return None


@register_scenario("tl-token")
def token(call):
    s = live_session(call)
    http = s.client()
    good = http.post("token", json_body={"user": s.pixit["user"], "password": s.pixit["password"]}, step="token")
    body = _json(good)
    if good.status != 200 or not isinstance(body, dict) or not isinstance(body.get("token"), str):
        yield call.fail(text("正确凭据未获得令牌", "correct credentials did not get a token"),
                        requirement="TL-1", location=_loc(call, good))
    else:
        # A token with a wrong lifetime fails TL-1 but is still usable by later steps.
        s.secret(body["token"])
        s.shared["token"] = body["token"]
        if not isinstance(body.get("expires_in"), int) or body["expires_in"] < 60:
            yield call.fail(text(f"令牌有效期无效：{body.get('expires_in')!r}",
                                 f"invalid token lifetime: {body.get('expires_in')!r}"),
                            requirement="TL-1", location=_loc(call, good))
    bad = http.post("token", json_body={"user": s.pixit["user"], "password": "wrong-" + secrets.token_hex(4)}, step="bad password")
    leaked = _json(bad)
    if isinstance(leaked, dict) and isinstance(leaked.get("token"), str):
        s.secret(leaked["token"])  # a token handed out wrongly is still a credential
    if bad.status != 401:
        yield call.fail(text(f"错误口令应得到 401，实际为 {bad.status}", f"a wrong password must get 401, got {bad.status}"),
                        requirement="TL-2", location=_loc(call, bad))


@register_scenario("tl-echo")
def echo(call):
    s = live_session(call)
    http = s.client()
    token = s.shared.get("token")
    if token is None:
        yield call.inconclusive(text("前提不满足：没有令牌", "precondition not met: no token"), requirement="TL-3")
    else:
        value = {"n": call.rng.randint(0, 10**6), "s": "中文"}
        ex = http.post("echo", json_body={"value": value}, headers={"Authorization": f"Bearer {token}"}, step="echo")
        body = _json(ex)
        if ex.status != 200 or not isinstance(body, dict) or body.get("echo") != value:
            yield call.fail(text("echo 未原样返回", "echo did not return the value unchanged"), requirement="TL-3",
                            location=_loc(call, ex), evidence={"sent": value, "got": body})
    ex = http.post("echo", json_body={"value": 1}, step="echo without token")
    if ex.status != 401:
        yield call.fail(text(f"无令牌请求应得到 401，实际为 {ex.status}", f"no token must get 401, got {ex.status}"),
                        requirement="TL-4", location=_loc(call, ex))


@register_scenario("tl-push")
def push(call):
    s = live_session(call)
    listener = s.listen(lambda req: Response.json({"ok": True}), name="callback")
    token = s.shared.get("token", "")
    s.client().post("subscribe", json_body={"callback": listener.url + "notify"},
                    headers={"Authorization": f"Bearer {token}"}, step="subscribe")
    got = listener.wait_for(lambda r: r.path == "/notify", timeout=float(s.pixit.get("push_timeout_s", 2)))
    if got is None:
        yield call.fail(text("超时内未收到推送", "no notification arrived within the timeout"))
    else:
        req, ex = got
        if (req.json() or {}).get("event") != "hello":
            yield call.fail(text("推送内容错误", "wrong notification content"), location=_loc(call, ex))


@register_scenario("tl-content-type")
def content_type(call):
    s = live_session(call)
    for ex in s.recorder:
        # An exchange whose transport broke is evidence about the transport, not the product.
        if ex.direction == "out" and ex.status is not None and ex.error is None:
            ctype = ex.response_headers.get("Content-Type", "")
            if not ctype.startswith("application/json") or _json(ex) is None:
                yield call.fail(text(f"应答不是 JSON：{ctype}", f"the answer is not JSON: {ctype}"), location=_loc(call, ex))


@register_scenario("tl-timing", params={"type": "object", "properties": {"limit_ms": {"type": "integer"}}})
def timing(call):
    s = live_session(call)
    limit = call.params.get("limit_ms", 1000)
    for ex in s.recorder:
        if ex.direction == "out" and ex.error is None and ex.duration_ms is not None and ex.duration_ms > limit:
            yield call.fail(text(f"应答用时 {ex.duration_ms} 毫秒", f"answer took {ex.duration_ms} ms"), location=_loc(call, ex))


def _loc(call, ex):
    from conformance.findings import Location

    return Location(file=call.subject.name, exchange=ex.index if ex is not None else None)


# ------------------------------------------------------------------ reference peer


@register_reference("test-live", "server")
def reference(*, pixit: dict, defects: set[str], host: str, port: int) -> ReferencePeer:
    user, password = pixit.get("user", "lab"), pixit.get("password", "s3cret-pass")
    tokens: set[str] = set()
    delay = 1.2 if "slow" in defects else 0.0

    def answer(value: Any, status: int = 200) -> Response:
        if "plaintext" in defects:
            return Response(status, json.dumps(value), {"Content-Type": "text/plain"}, delay=delay)
        return Response.json(value, status, delay=delay)

    def handle(req: Request) -> Response:
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return answer({"error": "bad json"}, 400)
        if req.path.endswith("/token"):
            if body.get("user") == user and (body.get("password") == password or "accept-any-password" in defects):
                tok = secrets.token_hex(16)
                tokens.add(tok)
                return answer({"token": tok, "expires_in": 30 if "short-token" in defects else 3600})
            return answer({"error": "unauthorized"}, 401)
        auth = (req.header("Authorization") or "").removeprefix("Bearer ")
        if auth not in tokens and "no-auth-check" not in defects:
            return answer({"error": "unauthorized"}, 401)
        if req.path.endswith("/echo"):
            value = body.get("value")
            return answer({"echo": "tampered" if "wrong-echo" in defects else value})
        if req.path.endswith("/subscribe"):
            if "no-push" not in defects:
                callback = body.get("callback", "")

                def send() -> None:
                    try:
                        requests.post(callback, json={"event": "hello"}, timeout=2)
                    except requests.RequestException:
                        pass

                threading.Timer(0.05, send).start()
            return answer({"ok": True})
        return answer({"error": "not found"}, 404)

    server = LoopbackServer(handle, host=host, port=port, name="test-live-reference")
    return ReferencePeer(url=server.url + "api/", stop=server.stop, pixit={"user": user, "password": password})
