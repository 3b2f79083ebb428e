"""T/CEC 102-2016 static checks: captured envelopes and decrypted business payloads.

* ``tcec-envelope``: a request or response envelope (102.4 §4.5): members through the
  generic ``jsonschema`` check on envelope.*.schema.json, the timestamp's calendar
  validity, Sig (Annex C) and Data (Annex B) with the PIXIT secrets. The opened payload
  is handed to ``tcec-payload`` through ``subject.shared``.
* ``tcec-payload``: a business payload (a file, or the Data of an envelope). Its type is,
  in this order: ICS option MESSAGE_TYPE (unless ``auto``), the file name
  (``<Model>[.anything].json`` or ``<interface>.<req|resp>[.anything].json``; for an
  envelope ``<interface>[.anything].json`` is enough), then characteristic members.
  The payload goes through the generic ``jsonschema`` check on ``<type>.schema.json``
  (errors routed by ``x-requirement``); member spelling is judged against ICS DIALECT.
* ``tcec-live-only``: requirements only a live run can judge are not applicable here.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.checks import get_check, register_check
from conformance.checks.call import CheckCall
from conformance.checks.display import shorten
from conformance.findings import Finding, Location
from conformance.subject import Subject
from conformance.profile import load_sibling


def _load_sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="tcec102_2016")


core = _load_sibling("tcec_core")

REQUEST_REQS = ("CEC-4.5-REQ", "CEC-4.5-OPID", "CEC-4.5-TS", "CEC-4.5-SEQ", "CEC-C-SIG-FORMAT", "CEC-C-SIG", "CEC-B-DATA")
RESPONSE_REQS = ("CEC-4.5-RESP", "CEC-4.5-RET", "CEC-C-SIG-FORMAT", "CEC-C-SIG", "CEC-B-DATA")
SHARED_KEY = "tcec102_payload"


def run_jsonschema(call: CheckCall, schema: str, subject: Subject) -> Iterator[Finding]:
    """The generic ``jsonschema`` check on ``subject`` with ``schema`` (x-requirement routing)."""
    spec = get_check("jsonschema")
    assert spec is not None
    binding = dataclasses.replace(call.binding, params={"schema": schema, "max_errors": 50})
    yield from spec.func(CheckCall(binding, subject, call.context, call.applicable)) or ()


def _duplicate_members(j: Any, subject: Subject, req: str) -> None:
    """Duplicate member names leave the value a receiver takes undefined (RFC 8259 §4):
    the harness judged the last one, a receiver may take the first; it cannot decide."""
    dups = sorted({shorten(k.encode("utf-8", "backslashreplace").decode("utf-8"), 40)
                   for k in getattr(subject, "json_duplicate_keys", [])})
    if dups:
        names = ", ".join(dups[:10])
        j.inconclusive(req, f"JSON 对象有重复的成员名：{names}；接收方取哪个值未定义（RFC 8259 §4），无法判定",
                       f"a JSON object repeats the member names {names}; which value a receiver takes is undefined "
                       "(RFC 8259 §4), so this cannot be decided", location=Location(file=subject.name),
                       evidence={"keys": dups[:10]})


def _secret(call: CheckCall, *keys: str) -> list[str] | None:
    values = [call.context.pixit.get(k) for k in keys]
    return [str(v) for v in values] if all(values) else None


@register_check("tcec-envelope", media_types=("json",), implicit_pass=False,
                description={"zh": "T/CEC 102.4 报文封装、签名与加密", "en": "T/CEC 102.4 envelope, signature and encryption"})
def envelope_check(call: CheckCall) -> Iterator[Finding]:
    j = core.Judge(call)
    value = call.subject.json()
    kind = core.envelope_kind(value)
    if kind is None:
        yield from j.results(untouched=("本文件不是报文封装（是业务数据）", "this file is not an envelope (it is a business payload)"))
        return
    reqs = REQUEST_REQS if kind == "request" else RESPONSE_REQS
    j.touch(*reqs)
    _duplicate_members(j, call.subject, "CEC-4.5-REQ" if kind == "request" else "CEC-4.5-RESP")
    for f in run_jsonschema(call, f"envelope.{kind}.schema.json", call.subject):
        j.finding(f)
    loc = Location(file=call.subject.name)
    if kind == "request":
        ts = value.get("TimeStamp")
        if isinstance(ts, str) and len(ts) == 14 and ts.isdigit() and not core.valid_timestamp(ts):
            j.fail("CEC-4.5-TS", f"TimeStamp “{ts}” 不是有效的日期时间", f"TimeStamp '{ts}' is not a valid date-time",
                   location=Location(file=call.subject.name, pointer="/TimeStamp"))
    sig_secret = _secret(call, "sig_secret")
    if sig_secret is None:
        j.inconclusive("CEC-C-SIG", "PIXIT 缺少 sig_secret，无法验证签名", "PIXIT has no sig_secret: cannot verify Sig",
                       location=loc)
    else:
        p = core.signature_problem(value, kind, sig_secret[0])
        if p is not None:
            j.problem(p, location=Location(file=call.subject.name, pointer=p.pointer))
    keys = _secret(call, "data_secret", "data_iv")
    data = value.get("Data")
    if keys is None:
        j.inconclusive("CEC-B-DATA", "PIXIT 缺少 data_secret/data_iv，无法解密 Data",
                       "PIXIT has no data_secret/data_iv: cannot decrypt Data", location=loc)
    elif not isinstance(data, str):
        pass  # the envelope schema already failed this
    elif kind == "response" and data == "" and value.get("Ret") != 0:
        pass  # a rejection carries no business data
    else:
        try:
            payload, plain, p = core.open_data(data, keys[0], keys[1])
        except ValueError as exc:  # a PIXIT key of the wrong length
            j.error("CEC-B-DATA", f"PIXIT 密钥无效：{exc}", f"invalid PIXIT key: {exc}", location=loc)
        else:
            if p is not None:
                j.problem(p, location=Location(file=call.subject.name, pointer=p.pointer))
            if plain is not None and payload is not None:
                call.subject.shared[SHARED_KEY] = (payload, plain, kind)
    yield from j.results(untouched=(f"不适用于{'请求' if kind == 'request' else '应答'}报文",
                                    f"does not concern a {kind} envelope"))


@register_check("tcec-payload", media_types=("json",), implicit_pass=False,
                description={"zh": "T/CEC 102.2/102.3 业务数据", "en": "T/CEC 102.2/102.3 business payload"})
def payload_check(call: CheckCall) -> Iterator[Finding]:
    j = core.Judge(call)
    value = call.subject.json()
    kind = core.envelope_kind(value)
    subject = call.subject
    if kind is not None:
        opened = call.subject.shared.get(SHARED_KEY)
        if opened is None:
            yield from j.results(untouched=("报文的 Data 未能解密，业务数据未校验",
                                            "the envelope's Data could not be opened; no business payload was judged"))
            return
        value, plain, _ = opened
        subject = Subject.from_bytes(f"{call.subject.name}#Data", plain.encode("utf-8"), media_type="json",
                                     index=call.subject.index)
    chosen = call.context.option("MESSAGE_TYPE", "auto")
    msg_type = chosen if chosen and chosen != "auto" else (
        core.type_from_name(call.subject.name, kind) or core.type_from_content(value))
    if msg_type is None:
        j.inconclusive("CEC-DM-TYPE", "无法判断业务数据的类型：请用 <类型>.json 命名文件或在 ICS 中设置 MESSAGE_TYPE",
                       "cannot tell the payload's message type: name the file <type>.json or set ICS MESSAGE_TYPE",
                       location=Location(file=call.subject.name))
        # Without a type no business rule can be judged: say so for each (a requirement
        # without any finding would read as a harness error).
        for req in sorted(j.bound - {"CEC-DM-TYPE"}):
            j.inconclusive(req, "业务数据类型未知，未校验", "the payload's message type is unknown; not judged",
                           location=Location(file=call.subject.name))
        yield from j.results()
        return
    j.touch(*core.schema_requirements(msg_type), "CEC-DM-DIALECT")
    for f in run_jsonschema(call, core.schema_index()[msg_type]["schema"], subject):
        f.evidence = {**(f.evidence or {}), "message_type": msg_type}
        j.finding(f)
    _duplicate_members(j, subject, "CEC-DM-TYPE")  # parsed by now (the file, or the envelope's Data)
    for p in core.dialect_problems(value, str(call.context.option("DIALECT", "cec"))):
        j.problem(p, location=Location(file=subject.name, pointer=p.pointer))
    yield from j.results(untouched=(f"{msg_type} 不涉及该要求", f"a {msg_type} payload does not concern this requirement"),
                         passed=(f"{msg_type} 检查通过", f"{msg_type} passed"))


@register_check("tcec-live-only", media_types=("json",), implicit_pass=False,
                description={"zh": "仅在线测试可判定的要求", "en": "requirements only a live run can judge"})
def live_only(call: CheckCall) -> Iterator[Finding]:
    for req in call.binding.requirements:
        yield call.not_applicable(
            {"zh": "该要求约束在线系统，由 conformance run 判定", "en": "binds a live system; judged by `conformance run`"},
            requirement=req)
