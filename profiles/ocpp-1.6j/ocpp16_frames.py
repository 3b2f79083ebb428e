"""OCPP-J 1.6 frames: RPC framing, the official JSON schemas, and the rules they miss.

The schemas are the OCPP 1.6 JSON schemas the ``ocpp`` package distributes; they are
read at run time through importlib.resources (never copied into this repository) and
their digest is reported. Numbers are parsed as Decimal, in payloads and schemas alike,
so ``multipleOf: 0.1`` (one fraction digit for charging-schedule rates and limits) is
judged exactly instead of with binary floating point.

Everything here is pure and fast: the static check, the live checks and
``benchmarks/ocpp_bench.py`` share it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib import metadata, resources
from typing import Any

from jsonschema import Draft4Validator

from conformance.checks.display import cap_message, shorten

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_ID = 36

# Requirement ids (profile.yaml is the source of their text).
R_FRAME = "OCPP16-J-FRAME"
R_MSGID = "OCPP16-J-MSGID"
R_UNIQUE = "OCPP16-J-UNIQUE"
R_ECHO = "OCPP16-J-ECHO"
R_SYNC = "OCPP16-J-SYNC"
R_ERRCODE = "OCPP16-J-ERRCODE"
R_REQ = "OCPP16-P-REQ"
R_CONF = "OCPP16-P-CONF"
R_DATETIME = "OCPP16-P-DATETIME"
R_DECIMAL = "OCPP16-P-DECIMAL"
R_IDENT = "OCPP16-P-IDENT"

#: OCPP-J 1.6 §4.2.3, with the specification's own spellings.
ERROR_CODES = frozenset({
    "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError", "FormationViolation",
    "PropertyConstraintViolation", "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError",
})
#: Spellings from other OCPP versions that a 1.6 peer must not use.
FOREIGN_SPELLINGS = {"FormatViolation": "FormationViolation",
                     "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9*\-_=:+|@.]*$")
IDENT_FIELDS = frozenset({"idTag", "parentIdTag"})


@dataclass
class Issue:
    """One violation: requirement, zh/en message, JSON Pointer, frame position."""

    requirement: str
    zh: str
    en: str
    pointer: str = ""
    frame: int | None = None


# ---------------------------------------------------------------- official schemas


class Schemas:
    """The official OCPP 1.6 JSON schemas of the installed ``ocpp`` package, compiled once."""

    def __init__(self) -> None:
        folder = resources.files("ocpp.v16").joinpath("schemas")
        self.raw: dict[str, dict[str, Any]] = {}
        digest = hashlib.sha256()
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".json"):
                continue
            data = entry.read_bytes()
            digest.update(entry.name.encode() + b"\0" + data + b"\0")
            self.raw[entry.name[:-5]] = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
        self.sha256 = digest.hexdigest()
        try:
            self.package_version = metadata.version("ocpp")
        except metadata.PackageNotFoundError:  # pragma: no cover - vendored copies
            self.package_version = "unknown"
        self._validators: dict[str, Draft4Validator] = {}
        self._datetime_paths: dict[str, list[tuple[Any, ...]]] = {}

    def name(self, action: str, kind: int) -> str:
        return action if kind == CALL else f"{action}Response"

    def has(self, action: str, kind: int) -> bool:
        return self.name(action, kind) in self.raw

    def validator(self, name: str) -> Draft4Validator:
        v = self._validators.get(name)
        if v is None:
            v = self._validators[name] = Draft4Validator(self.raw[name])
        return v

    def datetime_paths(self, name: str) -> list[tuple[Any, ...]]:
        """Paths to ``format: date-time`` fields ("*" stands for any array item)."""
        paths = self._datetime_paths.get(name)
        if paths is None:
            root = self.raw[name]
            paths = []

            def walk(node: Any, path: tuple[Any, ...], depth: int) -> None:
                if not isinstance(node, dict) or depth > 12:
                    return
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/"):
                    target: Any = root
                    for part in ref[2:].split("/"):
                        target = target.get(part, {}) if isinstance(target, dict) else {}
                    walk(target, path, depth + 1)
                if node.get("format") == "date-time":
                    paths.append(path)
                for key, sub in (node.get("properties") or {}).items():
                    walk(sub, path + (key,), depth + 1)
                if isinstance(node.get("items"), dict):
                    walk(node["items"], path + ("*",), depth + 1)

            walk(root, (), 0)
            self._datetime_paths[name] = paths
        return paths

    def describe(self) -> dict[str, Any]:
        return {"package": "ocpp", "version": self.package_version, "folder": "ocpp/v16/schemas",
                "files": len(self.raw), "sha256": self.sha256}


_SCHEMAS: Schemas | None = None


def schemas() -> Schemas:
    global _SCHEMAS
    if _SCHEMAS is None:
        _SCHEMAS = Schemas()
    return _SCHEMAS


# ---------------------------------------------------------------- parsing


def loads(text: str) -> Any:
    """JSON with numbers as Decimal (exact) and integers as int."""
    return json.loads(text, parse_float=Decimal)


def _pointer(parts: tuple[Any, ...] | list[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def message_type(frame: Any) -> int | None:
    if isinstance(frame, list) and frame and type(frame[0]) is int and frame[0] in (CALL, CALLRESULT, CALLERROR):
        return frame[0]
    return None


def framing_issues(frame: Any, base: str = "", position: int | None = None) -> list[Issue]:
    """RPC framing (OCPP-J §4.1.3, §4.2) and the message id (§4.1.4)."""
    out: list[Issue] = []

    def bad(req: str, zh: str, en: str, ptr: str = "") -> None:
        out.append(Issue(req, zh, en, base + ptr, position))

    if not isinstance(frame, list):
        bad(R_FRAME, "帧不是 JSON 数组", "the frame is not a JSON array")
        return out
    if not frame:
        bad(R_FRAME, "帧是空数组", "the frame is an empty array")
        return out
    kind = message_type(frame)
    if kind is None:
        bad(R_FRAME, f"MessageTypeId 应为整数 2、3 或 4，实际为 {shorten(repr(frame[0]), lang='zh')}",
            f"MessageTypeId must be the integer 2, 3 or 4, got {shorten(repr(frame[0]))}", "/0")
        return out
    expected = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}[kind]
    name = {CALL: "CALL", CALLRESULT: "CALLRESULT", CALLERROR: "CALLERROR"}[kind]
    if len(frame) != expected:
        bad(R_FRAME, f"{name} 应有 {expected} 个元素，实际 {len(frame)} 个",
            f"a {name} has {expected} elements, this one has {len(frame)}")
        return out
    uid = frame[1]
    if not isinstance(uid, str):
        bad(R_MSGID, f"消息 ID 应为字符串，实际为 {type(uid).__name__}",
            f"the message id must be a string, got {type(uid).__name__}", "/1")
    elif not 1 <= len(uid) <= MAX_ID:
        bad(R_MSGID, f"消息 ID 长度 {len(uid)}，应为 1..{MAX_ID}",
            f"the message id is {len(uid)} characters long; allowed 1..{MAX_ID}", "/1")
    if kind == CALL:
        if not isinstance(frame[2], str) or not frame[2]:
            bad(R_FRAME, "CALL 的 Action 应为非空字符串", "the Action of a CALL must be a non-empty string", "/2")
        if not isinstance(frame[3], dict):
            bad(R_FRAME, "CALL 的载荷应为 JSON 对象", "the payload of a CALL must be a JSON object", "/3")
    elif kind == CALLRESULT:
        if not isinstance(frame[2], dict):
            bad(R_FRAME, "CALLRESULT 的载荷应为 JSON 对象", "the payload of a CALLRESULT must be a JSON object", "/2")
    else:
        if not isinstance(frame[2], str):
            bad(R_FRAME, "CALLERROR 的 errorCode 应为字符串", "the errorCode of a CALLERROR must be a string", "/2")
        elif frame[2] not in ERROR_CODES:
            hint = FOREIGN_SPELLINGS.get(frame[2])
            bad(R_ERRCODE,
                f"错误码 “{shorten(frame[2], lang='zh')}” 不是 OCPP 1.6 的错误码" + (f"（1.6 规范拼写为 {hint}）" if hint else ""),
                f"error code '{shorten(frame[2])}' is not an OCPP 1.6 error code"
                + (f" (the 1.6 specification spells it {hint})" if hint else ""), "/2")
        if not isinstance(frame[3], str):
            bad(R_FRAME, "CALLERROR 的 errorDescription 应为字符串",
                "the errorDescription of a CALLERROR must be a string", "/3")
        if not isinstance(frame[4], dict):
            bad(R_FRAME, "CALLERROR 的 errorDetails 应为 JSON 对象",
                "the errorDetails of a CALLERROR must be a JSON object", "/4")
    return out


def payload_issues(action: str, kind: int, payload: Any, base: str = "", position: int | None = None,
                   sch: Schemas | None = None) -> list[Issue]:
    """Official schema of ``action`` (request or response) plus dateTime / decimal / identifier rules."""
    sch = sch or schemas()
    name = sch.name(action, kind)
    req = R_REQ if kind == CALL else R_CONF
    where = "请求" if kind == CALL else "应答"
    out: list[Issue] = []
    if name not in sch.raw:
        return out  # unknown action: judged by the NotImplemented probe, not here
    for err in sch.validator(name).iter_errors(payload):
        ptr = base + _pointer(list(err.absolute_path))
        if err.validator == "multipleOf":
            out.append(Issue(R_DECIMAL, f"{action} {where}的小数精度超出规定（至多 1 位小数）：{shorten(err.instance, lang='zh')}",
                             f"{action} {kind == CALL and 'request' or 'response'}: decimal precision exceeded "
                             f"(at most one fraction digit): {shorten(err.instance)}", ptr, position))
        else:
            shown = cap_message(err.message)  # it quotes the instance, which may be huge
            out.append(Issue(req, f"{action} {where}不符合官方 JSON 模式：{shown}",
                             f"{action} {'request' if kind == CALL else 'response'} does not conform to the "
                             f"official JSON schema: {shown}", ptr, position))
    if not isinstance(payload, dict):
        return out
    for path in sch.datetime_paths(name):
        for ptr_parts, value in _values_at(payload, path, ()):
            if isinstance(value, str) and not valid_datetime(value):
                out.append(Issue(R_DATETIME, f"{action}：时间 “{shorten(value, lang='zh')}” 不是带时区的 RFC 3339 dateTime",
                                 f"{action}: '{shorten(value)}' is not an RFC 3339 dateTime with a time zone",
                                 base + _pointer(ptr_parts), position))
    for ptr_parts, value in _ident_values(payload, ()):
        if not IDENTIFIER.match(value):
            out.append(Issue(R_IDENT, f"{action}：标识符 “{shorten(value, lang='zh')}” 含标识符字符集以外的字符",
                             f"{action}: identifier '{shorten(value)}' has characters outside the identifier set",
                             base + _pointer(ptr_parts), position))
    return out


def valid_datetime(value: str) -> bool:
    if not RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _values_at(node: Any, path: tuple[Any, ...], done: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
    if not path:
        return [(done, node)]
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(node, list):
            return [hit for i, item in enumerate(node) for hit in _values_at(item, rest, done + (i,))]
        return []
    if isinstance(node, dict) and head in node:
        return _values_at(node[head], rest, done + (head,))
    return []


def _ident_values(node: Any, done: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    out: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k in IDENT_FIELDS and isinstance(v, str):
                out.append((done + (k,), v))
            elif isinstance(v, (dict, list)):
                out.extend(_ident_values(v, done + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_ident_values(v, done + (i,)))
    return out


# ---------------------------------------------------------------- a stream of frames


@dataclass
class StreamState:
    """What one connection (or one capture file) has seen so far."""

    call_ids: dict[str, set[str]] = field(default_factory=dict)  # sender -> CALL ids used
    open_calls: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (sender, action)
    answered: set[str] = field(default_factory=set)


def stream_issues(frame: Any, state: StreamState, *, sender: str = "", base: str = "", position: int | None = None,
                  action_hint: str | None = None, judge_payload: bool = True) -> list[Issue]:
    """Framing, ids, echo and payload rules of one frame in the context of its stream."""
    out = framing_issues(frame, base, position)
    if any(i.requirement == R_FRAME for i in out):
        return out
    kind = frame[0]
    uid = frame[1] if isinstance(frame[1], str) else json.dumps(frame[1], default=str)
    if kind == CALL:
        used = state.call_ids.setdefault(sender, set())
        if uid in used:
            out.append(Issue(R_UNIQUE, f"同一连接上同一发送方重复使用消息 ID “{uid}”",
                             f"message id '{uid}' reused by the same sender on this connection", base + "/1", position))
        used.add(uid)
        state.open_calls[uid] = (sender, frame[2])
        if judge_payload:
            out.extend(payload_issues(frame[2], CALL, frame[3], base + "/3", position))
    else:
        opened = state.open_calls.get(uid)
        if opened is not None and opened[0] == sender and sender:
            opened = None  # a peer does not answer its own CALL
        if opened is None and action_hint is None:
            if state.open_calls or state.answered:
                out.append(Issue(R_ECHO, f"应答的消息 ID “{uid}” 与任何未应答的 CALL 都不对应",
                                 f"the answer's message id '{uid}' matches no CALL awaiting an answer",
                                 base + "/1", position))
            return out
        action = opened[1] if opened is not None else str(action_hint)
        if opened is not None:
            del state.open_calls[uid]
            state.answered.add(uid)
        if kind == CALLRESULT and judge_payload:
            out.extend(payload_issues(action, CALLRESULT, frame[2], base + "/2", position))
    return out


def parse_capture(data: Any) -> list[tuple[Any, str, str | None, str]]:
    """A capture file: one frame, or a list of frames / ``{"frame", "from", "action"}`` objects.

    Returns (frame, sender, action hint, JSON Pointer base) per frame.
    """
    if isinstance(data, list) and data and (message_type(data) is not None or not isinstance(data[0], (list, dict))):
        return [(data, "", None, "")]
    if isinstance(data, dict) and "frame" in data:
        data = [data]
    if not isinstance(data, list):
        return [(data, "", None, "")]
    out = []
    for i, item in enumerate(data):
        if isinstance(item, dict) and "frame" in item:
            out.append((item["frame"], str(item.get("from", "")), item.get("action"), f"/{i}/frame"))
        else:
            out.append((item, "", None, f"/{i}"))
    return out
