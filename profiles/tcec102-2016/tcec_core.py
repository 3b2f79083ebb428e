"""T/CEC 102-2016 protocol core: crypto, envelopes, payload typing, a platform endpoint.

Pure protocol code shared by the static checks, the live scenarios, the harness's
listener and the reference peers (loaded by each plugin as a sibling module):

* T/CEC 102.4 Annex B: ``Data`` = Base64(AES-128-CBC, PKCS#5 padding, UTF-8 JSON);
* T/CEC 102.4 Annex C: ``Sig`` = uppercase hex HMAC-MD5 over OperatorID+Data+TimeStamp+Seq
  (requests) or str(Ret)+Msg+Data (responses);
* 102.4 §4.5 envelopes and the Ret codes, checked in the order 4003 → 4001 → 4002 → 4004;
* Annex A ``query_token`` with Bearer tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "tcec102-2016"

RET_OK, RET_BUSY, RET_SIG, RET_TOKEN, RET_ENVELOPE, RET_BUSINESS, RET_SYSTEM = 0, -1, 4001, 4002, 4003, 4004, 500
RET_CODES = (RET_OK, RET_BUSY, RET_SIG, RET_TOKEN, RET_ENVELOPE, RET_BUSINESS, RET_SYSTEM)

#: interfaces and who serves them ("provider": the data provider; "demander": the data demander)
INTERFACES: dict[str, str] = {
    "query_token": "both",
    "query_stations_info": "provider",
    "notification_stationStatus": "demander",
    "query_station_status": "provider",
    "query_station_stats": "provider",
    "query_equip_auth": "provider",
    "query_equip_business_policy": "provider",
    "query_start_charge": "provider",
    "notification_start_charge_result": "demander",
    "query_equip_charge_status": "provider",
    "notification_equip_charge_status": "demander",
    "query_stop_charge": "provider",
    "notification_stop_charge_result": "demander",
    "notification_charge_order_info": "demander",
    "check_charge_orders": "provider",
}
MODELS = ("StationInfo", "EquipmentInfo", "ConnectorInfo", "ConnectorStatusInfo", "ChargeDetails", "OperatorInfo")
PIXIT_KEYS = ("base_url", "operator_id", "sut_operator_id", "operator_secret", "data_secret", "data_iv", "sig_secret",
              "listen_host", "listen_port", "timeout_s")
SECRET_KEYS = ("operator_secret", "data_secret", "data_iv", "sig_secret")

_TS = re.compile(r"^[0-9]{14}$")
_SEQ = re.compile(r"^[0-9]{4}$")
_OPID = re.compile(r"^[0-9A-Z]{9}$")
_HEX32 = re.compile(r"^[0-9A-Fa-f]{32}$")
_UPPER32 = re.compile(r"^[0-9A-F]{32}$")


# ------------------------------------------------------------------ crypto (Annex B, C)


class DataError(ValueError):
    """Data is not Base64 of AES-128-CBC/PKCS#5 ciphertext of UTF-8 JSON; ``reason`` says where it broke."""


def _key(value: str | bytes, what: str) -> bytes:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) != 16:
        raise ValueError(f"{what} must be 16 bytes (AES-128), got {len(raw)}")
    return raw


def aes_encrypt(plain: bytes, key: str | bytes, iv: str | bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(_key(key, "data_secret")), modes.CBC(_key(iv, "data_iv"))).encryptor()
    return enc.update(data) + enc.finalize()


def aes_decrypt(cipher: bytes, key: str | bytes, iv: str | bytes) -> bytes:
    if not cipher or len(cipher) % 16:
        raise DataError(f"ciphertext length {len(cipher)} is not a positive multiple of 16")
    dec = Cipher(algorithms.AES(_key(key, "data_secret")), modes.CBC(_key(iv, "data_iv"))).decryptor()
    padded = dec.update(cipher) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DataError("PKCS#5 padding is invalid after decryption (wrong key/IV or not AES-128-CBC)") from None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encrypt_data(payload: Any, key: str | bytes, iv: str | bytes) -> str:
    return base64.b64encode(aes_encrypt(dumps(payload).encode("utf-8"), key, iv)).decode("ascii")


def decrypt_data(data: str, key: str | bytes, iv: str | bytes) -> str:
    """The plaintext JSON text inside ``Data``; raises DataError with the reason."""
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise DataError("Data is not standard Base64") from None
    plain = aes_decrypt(raw, key, iv)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError("the decrypted bytes are not UTF-8") from None


def hmac_md5(secret: str | bytes, message: str) -> str:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, message.encode("utf-8"), hashlib.md5).hexdigest().upper()


def request_sig(secret: str | bytes, operator_id: str, data: str, timestamp: str, seq: str) -> str:
    return hmac_md5(secret, f"{operator_id}{data}{timestamp}{seq}")


def response_sig(secret: str | bytes, ret: int, msg: str, data: str) -> str:
    return hmac_md5(secret, f"{ret}{msg}{data}")


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d%H%M%S")


def valid_timestamp(value: str) -> bool:
    if not _TS.match(value):
        return False
    try:
        datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


_ALNUM = string.ascii_uppercase + string.digits


def new_seq27(operator_id: str) -> str:
    """A 27-character sequence number: the 9-character operator id + 18 unique characters."""
    return operator_id + "".join(secrets.choice(_ALNUM) for _ in range(18))


@dataclass(frozen=True)
class Secrets:
    """One operator pair's agreed secrets (PIXIT)."""

    operator_secret: str
    data_secret: str
    data_iv: str
    sig_secret: str

    @classmethod
    def from_pixit(cls, pixit: dict[str, Any]) -> "Secrets":
        missing = [k for k in SECRET_KEYS if not pixit.get(k)]
        if missing:
            raise KeyError(", ".join(missing))
        sec = cls(*(str(pixit[k]) for k in SECRET_KEYS))
        _key(sec.data_secret, "data_secret")
        _key(sec.data_iv, "data_iv")
        return sec


def build_request(operator_id: str, payload: Any, sec: Secrets, *, seq: int | str = 1, ts: str | None = None
                  ) -> dict[str, str]:
    data = encrypt_data(payload, sec.data_secret, sec.data_iv)
    ts = ts or timestamp()
    seq_text = seq if isinstance(seq, str) else f"{seq % 10000:04d}"
    return {"OperatorID": operator_id, "Data": data, "TimeStamp": ts, "Seq": seq_text,
            "Sig": request_sig(sec.sig_secret, operator_id, data, ts, seq_text)}


def build_response(ret: int, msg: str, payload: Any, sec: Secrets) -> dict[str, Any]:
    data = "" if payload is None else encrypt_data(payload, sec.data_secret, sec.data_iv)
    return {"Ret": ret, "Msg": msg, "Data": data, "Sig": response_sig(sec.sig_secret, ret, msg, data)}


# ------------------------------------------------------------------ envelope judgement


@dataclass
class Problem:
    """One rule an envelope or payload breaks: requirement, bilingual message, JSON Pointer."""

    requirement: str
    zh: str
    en: str
    pointer: str | None = None
    verdict: str = "fail"


def envelope_kind(value: Any) -> str | None:
    """'request', 'response' or None (not an envelope) by its members."""
    if not isinstance(value, dict):
        return None
    if "Ret" in value or ("Msg" in value and "TimeStamp" not in value):
        return "response"
    if "Sig" in value and ("TimeStamp" in value or "Seq" in value or "OperatorID" in value):
        return "request"
    if "Data" in value and ("TimeStamp" in value or "OperatorID" in value):
        return "request"
    return None


def envelope_problems(env: dict[str, Any], kind: str) -> list[Problem]:
    """The §4.5 member rules, the same as envelope.*.schema.json (used live, where speed matters
    less than one code path for requests the harness receives and answers it gets)."""
    out: list[Problem] = []
    if kind == "request":
        for name in ("OperatorID", "Data", "TimeStamp", "Seq", "Sig"):
            if name not in env:
                out.append(Problem("CEC-4.5-REQ", f"请求缺少 {name}", f"the request lacks {name}", ""))
            elif not isinstance(env[name], str):
                out.append(Problem("CEC-4.5-REQ", f"{name} 应为字符串", f"{name} must be a string", f"/{name}"))
        op, ts, seq = env.get("OperatorID"), env.get("TimeStamp"), env.get("Seq")
        if isinstance(op, str) and not _OPID.match(op):
            out.append(Problem("CEC-4.5-OPID", f"OperatorID “{op}” 不是 9 位组织机构代码",
                               f"OperatorID '{op}' is not a 9-character organisation code", "/OperatorID"))
        if isinstance(ts, str) and not valid_timestamp(ts):
            out.append(Problem("CEC-4.5-TS", f"TimeStamp “{ts}” 不是 14 位有效时间 yyyyMMddHHmmss",
                               f"TimeStamp '{ts}' is not a valid 14-digit yyyyMMddHHmmss", "/TimeStamp"))
        if isinstance(seq, str) and not _SEQ.match(seq):
            out.append(Problem("CEC-4.5-SEQ", f"Seq “{seq}” 不是 4 位数字", f"Seq '{seq}' is not 4 digits", "/Seq"))
    else:
        for name, typ in (("Ret", int), ("Msg", str), ("Data", str), ("Sig", str)):
            if name not in env:
                out.append(Problem("CEC-4.5-RESP", f"应答缺少 {name}", f"the response lacks {name}", ""))
            elif not isinstance(env[name], typ) or isinstance(env[name], bool):
                out.append(Problem("CEC-4.5-RESP", f"{name} 类型错误", f"{name} has the wrong type", f"/{name}"))
        ret = env.get("Ret")
        if isinstance(ret, int) and not isinstance(ret, bool) and ret not in RET_CODES:
            out.append(Problem("CEC-4.5-RET", f"Ret {ret} 不是标准定义的返回值", f"Ret {ret} is not a defined code", "/Ret"))
    sig = env.get("Sig")
    if isinstance(sig, str) and not _UPPER32.match(sig):
        out.append(Problem("CEC-C-SIG-FORMAT", "Sig 应为 32 位大写十六进制", "Sig must be 32 uppercase hex digits", "/Sig"))
    return out


def signature_problem(env: dict[str, Any], kind: str, sig_secret: str) -> Problem | None:
    """None when Sig is the HMAC-MD5 of the envelope (compared case-insensitively: the
    letter case is CEC-C-SIG-FORMAT's business)."""
    sig = env.get("Sig")
    if not isinstance(sig, str):
        return None
    if kind == "request":
        parts = [env.get(k) for k in ("OperatorID", "Data", "TimeStamp", "Seq")]
        if not all(isinstance(p, str) for p in parts):
            return None
        want = request_sig(sig_secret, *parts)  # type: ignore[arg-type]
        over = "OperatorID+Data+TimeStamp+Seq"
    else:
        ret, msg, data = env.get("Ret"), env.get("Msg"), env.get("Data")
        if not isinstance(ret, int) or not isinstance(msg, str) or not isinstance(data, str):
            return None
        want = response_sig(sig_secret, ret, msg, data)
        over = "str(Ret)+Msg+Data"
    if not _HEX32.match(sig) or sig.upper() != want:
        return Problem("CEC-C-SIG", f"Sig 与 HMAC-MD5({over}) 不符", f"Sig does not match HMAC-MD5({over})", "/Sig")
    return None


def open_data(data: str, sec_key: str, sec_iv: str) -> tuple[Any, str | None, Problem | None]:
    """(payload, plaintext, problem). A plaintext JSON Data is a CEC-B-DATA failure, but
    its payload is still returned so the business rules can be judged."""
    try:
        plain = decrypt_data(data, sec_key, sec_iv)
    except DataError as exc:
        try:
            value = load_json(data)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, (dict, list)):
            return value, data, Problem("CEC-B-DATA", "Data 为明文 JSON，未加密", "Data is plaintext JSON, not encrypted",
                                        "/Data")
        return None, None, Problem("CEC-B-DATA", f"Data 无法解密：{exc}", f"Data cannot be decrypted: {exc}", "/Data")
    try:
        value = load_json(plain)
    except JsonLimit as exc:  # the harness's limit, not evidence against the product
        return None, plain, Problem("CEC-B-DATA", f"解密后的 Data 超出本工具的 JSON 处理上限（{exc.zh}），无法判定",
                                    f"decrypted Data exceeds this tool's JSON limits ({exc.en}); cannot decide",
                                    "/Data", verdict="inconclusive")
    except ValueError as exc:
        return None, plain, Problem("CEC-B-DATA", f"解密后的 Data 不是 JSON：{exc}", f"decrypted Data is not JSON: {exc}",
                                    "/Data")
    return value, plain, None


class JsonLimit(ValueError):
    """JSON text this tool will not parse: nested too deep or a number with too many digits."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON value (RFC 8259)")


def load_json(src: str) -> Any:
    """``json.loads`` for payload text: NaN and Infinity are not JSON; depth and number
    size limits (the interpreter's) raise :class:`JsonLimit` instead of RecursionError."""
    try:
        return json.loads(src, parse_constant=_no_constant)
    except RecursionError:
        raise JsonLimit("嵌套过深", "nested too deeply") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "digits" not in str(exc):
            raise
        raise JsonLimit("数字位数过多", "a number has too many digits") from None


# ------------------------------------------------------------------ payload types and schemas


@cache
def schema_index() -> dict[str, Any]:
    return json.loads((SCHEMAS / "index.json").read_text(encoding="utf-8"))


def message_types() -> list[str]:
    return sorted(k for k in schema_index() if not k.startswith(("_", "envelope.")))


def dialect_pairs() -> list[tuple[str, str]]:
    return [tuple(p) for p in schema_index()["_dialect_pairs"]]  # type: ignore[misc]


def type_from_name(file_name: str, envelope: str | None = None) -> str | None:
    """``StationInfo.x.json`` → StationInfo; ``query_stations_info.resp.x.json`` →
    query_stations_info.resp; ``query_stations_info.x.json`` with a response envelope →
    query_stations_info.resp."""
    parts = Path(file_name).name.split(".")
    head = parts[0]
    if head in MODELS:
        return head
    if head in INTERFACES:
        if len(parts) > 2 and parts[1] in ("req", "resp"):
            return f"{head}.{parts[1]}"
        if envelope is not None:
            return f"{head}.{'req' if envelope == 'request' else 'resp'}"
    return None


_CONTENT_RULES: list[tuple[tuple[str, ...], str]] = [
    (("StationInfos",), "query_stations_info.resp"),
    (("StationStatusInfos",), "query_station_status.resp"),
    (("StationIDs",), "query_station_status.req"),
    (("StationStats",), "query_station_stats.resp"),
    (("ConnectorStatusInfo",), "notification_stationStatus.req"),
    (("AccessToken",), "query_token.resp"),
    (("TokenAvailableTime",), "query_token.resp"),
    (("OperatorSecret",), "query_token.req"),
    (("EquipAuthSeq", "SuccStat"), "query_equip_auth.resp"),
    (("EquipAuthSeq",), "query_equip_auth.req"),
    (("EquipBizSeq", "SuccStat"), "query_equip_business_policy.resp"),
    (("EquipBizSeq",), "query_equip_business_policy.req"),
    (("CheckOrderSeq", "ChargeOrders"), "check_charge_orders.req"),
    (("CheckOrderSeq",), "check_charge_orders.resp"),
    (("StartChargeSeq", "StopReason"), "notification_charge_order_info.req"),
    (("StartChargeSeq", "ConfirmResult"), "notification_charge_order_info.resp"),
    (("StartChargeSeq", "CurrentA"), "query_equip_charge_status.resp"),
    (("StationID", "StationName"), "StationInfo"),
    (("EquipmentID", "ConnectorInfos"), "EquipmentInfo"),
    (("ConnectorID", "ConnectorType"), "ConnectorInfo"),
    (("ConnectorID", "Status"), "ConnectorStatusInfo"),
    (("OperatorName",), "OperatorInfo"),
    (("DetailStartTime",), "ChargeDetails"),
]


def type_from_content(value: Any) -> str | None:
    """The payload type from characteristic members, or None when ambiguous."""
    if not isinstance(value, dict):
        return None
    for keys, name in _CONTENT_RULES:
        if all(k in value for k in keys):
            return name
    if set(value) == {"Status"}:
        return "notification_stationStatus.resp"
    return None


def dialect_problems(value: Any, dialect: str, pointer: str = "") -> list[Problem]:
    """Members spelled in the other dialect (a SHOULD: CEC-DM-DIALECT)."""
    wrong = {plat: cec for cec, plat in dialect_pairs()} if dialect == "cec" else {
        cec: plat for cec, plat in dialect_pairs()}
    out: list[Problem] = []

    def walk(node: Any, ptr: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in wrong:
                    out.append(Problem("CEC-DM-DIALECT", f"字段名 {k} 不是 ICS 所选写法（{dialect}），应为 {wrong[k]}",
                                       f"member {k} is not in the ICS dialect ({dialect}); expected {wrong[k]}",
                                       f"{ptr}/{k}"))
                walk(v, f"{ptr}/{k}")
        elif isinstance(node, list):
            for n_, v in enumerate(node):
                walk(v, f"{ptr}/{n_}")

    walk(value, pointer)
    return out


def schema_file(msg_type: str) -> Path:
    return SCHEMAS / schema_index()[msg_type]["schema"]


def schema_requirements(msg_type: str) -> list[str]:
    return list(schema_index()[msg_type]["requirements"])


_VALIDATORS: dict[str, Any] = {}
_VLOCK = threading.Lock()


def validator(msg_type: str) -> Any:
    """A compiled validator (the engine's compile path: local $refs only, format checker)."""
    v = _VALIDATORS.get(msg_type)
    if v is None:
        from conformance.checks.json_checks import compile_json_schema

        v = compile_json_schema(schema_file(msg_type), None)
        with _VLOCK:
            _VALIDATORS[msg_type] = v
    return v


def payload_problems(msg_type: str, value: Any, pointer: str = "") -> list[Problem]:
    """Schema errors routed by x-requirement (the same routing as the generic check)."""
    out = []
    for err in sorted(validator(msg_type).iter_errors(value), key=lambda e: [str(x) for x in e.absolute_path]):
        req = err.schema.get("x-requirement") if isinstance(err.schema, dict) else None
        ptr = pointer + "".join(f"/{p}" for p in err.absolute_path)
        out.append(Problem(req or "CEC-DM-TYPE", f"{msg_type}：JSON Schema 错误（{err.validator}）：{err.message}",
                           f"{msg_type}: JSON Schema error ({err.validator}): {err.message}", ptr))
    return out


# ------------------------------------------------------------------ a platform endpoint


def no_nagle(server: Any) -> None:
    """Answer without Nagle's algorithm on a LoopbackServer: it writes the headers and the
    body separately, and on a kept-alive connection the body then waits for the client's
    delayed ACK (about 40 ms per exchange on Linux)."""
    handler = getattr(getattr(server, "httpd", None), "RequestHandlerClass", None)
    if handler is not None:
        handler.disable_nagle_algorithm = True


class BusinessError(Exception):
    def __init__(self, ret: int, msg: str = ""):
        super().__init__(msg)
        self.ret, self.msg = ret, msg


Handler = Callable[[Any, "Context"], Any]


@dataclass
class Context:
    interface: str
    envelope: dict[str, Any]
    token: str | None


@dataclass
class Answer:
    status: int
    body: str
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0


@dataclass
class Platform:
    """The server side of one platform: checks a request in the order 4003 → 4001 → 4002 →
    4004, issues tokens (Annex A) and answers with signed, encrypted envelopes.

    ``peer_id`` is the OperatorID allowed to ask for tokens. ``defects`` switch off or
    bend single rules (reference peers only); the harness's listener has none.
    """

    own_id: str
    peer_id: str
    sec: Secrets
    handlers: dict[str, Handler]
    defects: frozenset[str] = frozenset()
    token_lifetime: int = 7200
    tokens: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_token: Callable[[str], None] | None = None

    def _respond(self, ret: int, msg: str, payload: Any, interface: str) -> Answer:
        if payload is not None and "plaintext-data" in self.defects:
            data = dumps(payload)
        else:
            data = "" if payload is None else encrypt_data(payload, self.sec.data_secret, self.sec.data_iv)
        sig = response_sig(self.sec.sig_secret, ret, msg, data)
        if "wrong-response-sig" in self.defects:
            sig = hmac_md5(self.sec.sig_secret, f"{data}{ret}{msg}")
        if "lowercase-sig" in self.defects:
            sig = sig.lower()
        delay = 1.2 if "slow" in self.defects and interface == "query_station_stats" else 0.0
        return Answer(200, dumps({"Ret": ret, "Msg": msg, "Data": data, "Sig": sig}), delay=delay)

    def _reject(self, ret: int, msg: str, interface: str) -> Answer:
        if ret == RET_TOKEN and "non-json-401" in self.defects:
            return Answer(401, "<html><body><h1>401 Unauthorized</h1></body></html>", "text/html; charset=utf-8")
        return self._respond(ret, msg, None, interface)

    def issue_token(self) -> str:
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        if self.on_token:
            self.on_token(token)
        return token

    def _token_ok(self, header: str | None) -> tuple[bool, str | None]:
        token = (header or "").strip()
        if not token.lower().startswith("bearer "):
            return False, None
        token = token[7:].strip()
        with self.lock:
            expiry = self.tokens.get(token)
        return expiry is not None and expiry > time.monotonic(), token

    def handle(self, path: str, body: bytes, authorization: str | None) -> Answer:
        interface = path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        if interface not in self.handlers and interface != "query_token":
            return Answer(404, dumps({"error": f"unknown interface {interface}"}))
        try:
            env = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return self._reject(RET_ENVELOPE, "request is not JSON", interface)
        if not isinstance(env, dict):
            return self._reject(RET_ENVELOPE, "request is not a JSON object", interface)
        if "no-envelope-check" in self.defects:
            env = {k: env.get(k, "") for k in ("OperatorID", "Data", "TimeStamp", "Seq", "Sig")}
        elif envelope_problems(env, "request"):
            return self._reject(RET_ENVELOPE, "envelope parameters missing or invalid", interface)

        def sig_check() -> Answer | None:
            if "accept-bad-sig" in self.defects:
                return None
            if request_sig(self.sec.sig_secret, env["OperatorID"], env["Data"], env["TimeStamp"], env["Seq"]) != env["Sig"]:
                code = RET_BUSINESS if "wrong-ret-bad-sig" in self.defects else RET_SIG
                return self._reject(code, "signature error", interface)
            return None

        def token_check() -> tuple[Answer | None, str | None]:
            if interface == "query_token":
                return None, None
            ok, token = self._token_ok(authorization)
            if not ok and "no-token-check" not in self.defects:
                return self._reject(RET_TOKEN, "token missing, invalid or expired", interface), token
            return None, token

        token: str | None = None
        if "token-before-sig" in self.defects:
            bad, token = token_check()
            bad = bad or sig_check()
        else:
            bad = sig_check()
            if bad is None:
                bad, token = token_check()
        if bad is not None:
            return bad
        try:
            payload = json.loads(decrypt_data(env["Data"], self.sec.data_secret, self.sec.data_iv))
        except (DataError, ValueError, RecursionError):
            return self._reject(RET_ENVELOPE, "Data cannot be decrypted", interface)
        if "no-business-check" not in self.defects:
            problems = [p for p in payload_problems(f"{interface}.req", payload)
                        if not ("no-station-limit" in self.defects and p.requirement == "CEC-2-STATUS-IDS")]
            if problems:
                return self._reject(RET_BUSINESS, "business parameters invalid", interface)
        ctx = Context(interface, env, token)
        try:
            if interface == "query_token":
                result = self._query_token(payload)
            else:
                result = self.handlers[interface](payload, ctx)
        except BusinessError as exc:
            return self._reject(exc.ret, exc.msg, interface)
        except Exception as exc:  # a handler bug answers 500 (system error), not a dead thread
            return self._respond(RET_SYSTEM, f"system error: {type(exc).__name__}", None, interface)
        return self._respond(RET_OK, "", result, interface)

    def _query_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        op = payload.get("OperatorID")
        if op != self.peer_id:
            return {"OperatorID": str(op or ""), "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0,
                    "FailReason": 1}
        if payload.get("OperatorSecret") != self.sec.operator_secret and "accept-any-secret" not in self.defects:
            return {"OperatorID": op, "SuccStat": 1, "AccessToken": "", "TokenAvailableTime": 0, "FailReason": 2}
        lifetime = self.token_lifetime * 1000 if "token-lifetime-ms" in self.defects else self.token_lifetime
        return {"OperatorID": op, "SuccStat": 0, "AccessToken": self.issue_token(), "TokenAvailableTime": lifetime,
                "FailReason": 0}


class PlatformClient:
    """The client side of a platform (reference peers' pushes and queries): token, then signed calls.

    Talks only to ``base_url`` (from PIXIT, loopback in tests); never raises on transport faults.
    """

    def __init__(self, base_url: str, own_id: str, sec: Secrets, defects: Iterable[str] = (), timeout: float = 2.0):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.own_id = own_id
        self.sec = sec
        self.defects = frozenset(defects)
        self.timeout = timeout
        self.token: str | None = None
        self.seq = 0
        self.lock = threading.Lock()

    def _post(self, interface: str, payload: Any, token: str | None) -> tuple[int, Any] | None:
        import requests

        with self.lock:
            self.seq += 1
            seq = self.seq
        ts = timestamp()
        if "short-timestamp" in self.defects and interface != "query_token":
            ts = ts[:13]
        env = build_request(self.own_id, payload, self.sec, seq=seq, ts=ts)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token and "no-bearer" not in self.defects:
            headers["Authorization"] = f"Bearer {token}"
        try:
            session = requests.Session()
            session.trust_env = False
            resp = session.post(self.base_url + interface, data=dumps(env).encode("utf-8"), headers=headers,
                                timeout=self.timeout)
            session.close()
            answer = resp.json()
        except Exception:
            return None
        if not isinstance(answer, dict) or answer.get("Ret") != 0:
            return (answer.get("Ret", -999) if isinstance(answer, dict) else -999), None
        try:
            return 0, json.loads(decrypt_data(answer.get("Data", ""), self.sec.data_secret, self.sec.data_iv))
        except (DataError, ValueError):
            return 0, None

    def ensure_token(self) -> str | None:
        if self.token is None:
            got = self._post("query_token", {"OperatorID": self.own_id, "OperatorSecret": self.sec.operator_secret}, None)
            if got and got[0] == 0 and isinstance(got[1], dict) and got[1].get("SuccStat") == 0:
                self.token = got[1].get("AccessToken")
        return self.token

    def call(self, interface: str, payload: Any) -> tuple[int, Any] | None:
        return self._post(interface, payload, self.ensure_token())


# ------------------------------------------------------------------ findings bookkeeping


class Judge:
    """Collects a check's findings; at the end a requirement the check exercised and found
    nothing wrong with passes, and (optionally) one it never exercised is not applicable.

    The checks are registered with ``implicit_pass=False``: a requirement passes only
    where something actually judged it.
    """

    def __init__(self, call: Any):
        self.call = call
        self.bound = set(call.binding.requirements)
        self.findings: list[Any] = []
        self.touched: set[str] = set()
        self.bad: set[str] = set()

    def touch(self, *reqs: str) -> None:
        self.touched.update(r for r in reqs if r in self.bound)

    def _add(self, verdict: str, req: str, zh: str, en: str, location: Any = None, evidence: Any = None) -> None:
        from conformance.i18n import text

        if req not in self.bound:
            return
        self.touched.add(req)
        if verdict != "pass":
            self.bad.add(req)
        self.findings.append(self.call.finding(verdict, text(zh, en), requirement=req, location=location,
                                               evidence=evidence))

    def fail(self, req: str, zh: str, en: str, **kw: Any) -> None:
        self._add("fail", req, zh, en, **kw)

    def inconclusive(self, req: str, zh: str, en: str, **kw: Any) -> None:
        self._add("inconclusive", req, zh, en, **kw)

    def error(self, req: str, zh: str, en: str, **kw: Any) -> None:
        self._add("error", req, zh, en, **kw)

    def problem(self, p: Problem, location: Any = None, evidence: Any = None) -> None:
        self._add(p.verdict, p.requirement, p.zh, p.en, location=location, evidence=evidence)

    def finding(self, f: Any) -> None:
        """A finding made elsewhere (e.g. by the generic jsonschema check)."""
        if f.requirement not in self.bound:
            return
        self.touched.add(f.requirement)
        if f.verdict.value != "pass":
            self.bad.add(f.requirement)
        self.findings.append(f)

    def results(self, untouched: tuple[str, str] | None = None, passed: tuple[str, str] | None = None) -> list[Any]:
        from conformance.i18n import text

        out = list(self.findings)
        zh, en = passed or ("检查通过", "check passed")
        for req in sorted(self.touched - self.bad):
            out.append(self.call.finding("pass", text(zh, en), requirement=req))
        if untouched is not None:
            for req in sorted(self.bound - self.touched):
                out.append(self.call.finding("not_applicable", text(*untouched), requirement=req))
        return out
