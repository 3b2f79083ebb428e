"""Property tests (hypothesis) of the live profiles' codecs: T/CEC 102 envelopes, OCPP-J
frames and the PDS 1.0 message model.

* T/CEC 102: encrypt/sign/encode then decode/verify/decrypt gives back any payload under
  any secrets; a tampered Sig, Data, TimeStamp, Seq or OperatorID is detected; arbitrary
  JSON and bytes fed to the decoder (and to the platform endpoint that answers requests)
  give findings or a Ret code, never an exception.
* OCPP-J: CALL, CALLRESULT and CALLERROR frames with any message id and payload survive
  encoding and decoding and are judged well-formed; bad ids are found; any text frame
  is classified without raising.
* PDS 1.0: a Message built from any Head values and Body tree parses back to the same
  values (the SM2 signature step is left out: it is slow, and its tamper tests live
  elsewhere); arbitrary bytes and mutated messages go through the platform's stateless
  check sequence without raising.

The EDIFACT tokeniser (test_edifact_properties.py), the XML/JSON loaders
(test_hostile.py) and the DX/PDS signatures have their own property tests.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.profile import load_sibling



def fast(examples: int) -> Any:
    return settings(deadline=None, max_examples=examples,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


PROFILES = Path(__file__).resolve().parents[1] / "profiles"


@cache
def plugin(profile_id: str, prefix: str, name: str) -> Any:
    """A module of a profile folder, as the profile's plugins load it (the same module object),
    without parsing every profile.yaml to find it."""
    return load_sibling(PROFILES / profile_id / f"{name}.py", name, prefix=prefix)


def tcec() -> Any:
    return plugin("tcec102-2016", "tcec102_2016", "tcec_core")


def frames() -> Any:
    return plugin("ocpp-1.6j", "ocpp_1_6j", "ocpp16_frames")


def link() -> Any:
    return plugin("ocpp-1.6j", "ocpp_1_6j", "ocpp16_link")


def pds_peer() -> Any:
    return plugin("pds-1.0", "pds_1_0", "pds_peer")


# ------------------------------------------------------------------ shared strategies

# Characters that break codecs: JSON and XML syntax, escapes, controls, line and paragraph
# separators, BOM, replacement character, non-BMP, CJK. A sampled alphabet keeps data
# generation cheap (full-Unicode text costs most of the run time here).
TEXT_CHARS = list("aZ09 _-.:/+=&;#<>\"'\\{}[],\t\n\r") + ["\x00", "\x08", "\x1f", "\x7f", "\x85", "é", "中", "文",
                                                                "\u2028", "\ufeff", "\ufffd", "\ufffe", "😀",
                                                                "\U0010ffff"]


def texts(**kw: Any) -> Any:
    return st.text(st.sampled_from(TEXT_CHARS), **kw)


json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | texts(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(texts(max_size=10), inner, max_size=4), max_leaves=8)
json_objects = st.dictionaries(texts(max_size=12), json_values, max_size=5)
# OCPP payloads are compared after a Decimal round trip: no binary floats there
exact_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | texts(max_size=20)
exact_objects = st.dictionaries(texts(max_size=12), st.recursive(
    exact_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(max_size=10), inner, max_size=3),
    max_leaves=6), max_size=4)


# ================================================================== T/CEC 102 envelopes


def _fit16(text: str) -> str:
    """The longest prefix of ``text`` with at most 16 UTF-8 bytes, padded to exactly 16."""
    out, size = "", 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > 16:
            break
        out, size = out + ch, size + n
    return out + "0" * (16 - size)


aes_keys = texts(max_size=16).map(_fit16)  # AES-128 key or IV: 16 UTF-8 bytes, any characters
tcec_secrets = st.builds(lambda op, key, iv, sig: tcec().Secrets(op, key, iv, sig),
                         texts(min_size=1, max_size=16), aes_keys, aes_keys, texts(min_size=1, max_size=40))
operator_ids = st.from_regex(r"[0-9A-Z]{9}", fullmatch=True)
timestamps = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31))


@fast(200)
@given(payload=json_values, sec=tcec_secrets, op=operator_ids, seq=st.integers(min_value=0, max_value=10**6),
       when=timestamps)
def test_tcec_request_round_trip(payload: Any, sec: Any, op: str, seq: int, when: dt.datetime) -> None:
    core = tcec()
    env = core.build_request(op, payload, sec, seq=seq, ts=core.timestamp(when))
    wire = json.loads(core.dumps(env).encode("utf-8").decode("utf-8"))
    assert wire == env
    assert core.envelope_kind(wire) == "request"
    assert core.envelope_problems(wire, "request") == []
    assert core.signature_problem(wire, "request", sec.sig_secret) is None
    value, plain, problem = core.open_data(wire["Data"], sec.data_secret, sec.data_iv)
    assert problem is None and value == payload and json.loads(plain) == payload


@fast(200)
@given(payload=st.none() | json_objects, sec=tcec_secrets, ret=st.sampled_from([0, -1, 4001, 4002, 4003, 4004, 500]),
       msg=texts(max_size=30))
def test_tcec_response_round_trip(payload: Any, sec: Any, ret: int, msg: str) -> None:
    core = tcec()
    env = json.loads(core.dumps(core.build_response(ret, msg, payload, sec)))
    assert core.envelope_kind(env) == "response"
    assert core.envelope_problems(env, "response") == []
    assert core.signature_problem(env, "response", sec.sig_secret) is None
    if payload is None:
        assert env["Data"] == ""
    else:
        value, _plain, problem = core.open_data(env["Data"], sec.data_secret, sec.data_iv)
        assert problem is None and value == payload


def _tampered(original: str, replacement: str, mode: str) -> str:
    if mode == "replace":
        return replacement
    if mode == "append":
        return original + (replacement or "0")
    i = len(original) // 2  # change one character
    return original[:i] + ("A" if original[i:i + 1] != "A" else "B") + original[i + 1:]


@fast(200)
@given(payload=json_objects, sec=tcec_secrets, op=operator_ids, when=timestamps,
       field=st.sampled_from(["Sig", "Data", "TimeStamp", "Seq", "OperatorID"]),
       mode=st.sampled_from(["replace", "append", "flip"]), replacement=texts(max_size=40),
       other_sig_secret=texts(min_size=1, max_size=40))
def test_tcec_tampered_request_is_detected(payload: Any, sec: Any, op: str, when: dt.datetime, field: str, mode: str,
                                          replacement: str, other_sig_secret: str) -> None:
    core = tcec()
    env = core.build_request(op, payload, sec, seq=7, ts=core.timestamp(when))
    bad = dict(env)
    bad[field] = _tampered(env[field], replacement, mode)
    assume(bad[field] != env[field])
    problems = {p.requirement for p in core.envelope_problems(bad, "request")}
    sig = core.signature_problem(bad, "request", sec.sig_secret)
    if field == "Sig" and bad["Sig"].upper() == env["Sig"]:
        # the same signature in lower case: the letter case is a format rule of its own
        assert sig is None and "CEC-C-SIG-FORMAT" in problems
    else:
        assert sig is not None and sig.requirement == "CEC-C-SIG" and sig.zh and sig.en
    # the decoder still answers cleanly for a damaged Data
    value, _plain, problem = core.open_data(bad["Data"], sec.data_secret, sec.data_iv)
    assert problem is not None or value == payload or field != "Data"
    # a different SigSecret never verifies
    if other_sig_secret != sec.sig_secret:
        assert core.signature_problem(env, "request", other_sig_secret) is not None


@fast(200)
@given(payload=json_objects, sec=tcec_secrets, ret=st.sampled_from([0, 4001, 4004]), msg=texts(max_size=20),
       field=st.sampled_from(["Ret", "Msg", "Data", "Sig"]), replacement=texts(max_size=30) | st.integers())
def test_tcec_tampered_response_is_detected(payload: Any, sec: Any, ret: int, msg: str, field: str,
                                           replacement: Any) -> None:
    core = tcec()
    env = core.build_response(ret, msg, payload, sec)
    bad = {**env, field: replacement}
    assume(bad[field] != env[field] and not (field == "Sig" and str(replacement).upper() == env["Sig"]))
    problems = core.envelope_problems(bad, "response")
    sig = core.signature_problem(bad, "response", sec.sig_secret)
    # either the signature no longer verifies, or the member has the wrong type (then it cannot be verified)
    assert sig is not None or any(p.requirement == "CEC-4.5-RESP" for p in problems)


envelope_values = (st.from_regex(r"[0-9A-Z]{9}", fullmatch=True) | st.from_regex(r"[0-9]{14}", fullmatch=True)
                   | st.from_regex(r"[0-9A-F]{32}", fullmatch=True) | texts(max_size=30) | json_values
                   | st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode("ascii")))
envelopes = st.dictionaries(st.sampled_from(["OperatorID", "Data", "TimeStamp", "Seq", "Sig", "Ret", "Msg", "x"]),
                            envelope_values, max_size=7)


@fast(300)
@given(value=envelopes | json_values, sec=tcec_secrets)
def test_tcec_decoder_gives_findings_for_any_json(value: Any, sec: Any) -> None:
    core = tcec()
    assert core.envelope_kind(value) in (None, "request", "response")
    if isinstance(value, dict):
        for kind in ("request", "response"):
            for p in core.envelope_problems(value, kind):
                assert p.requirement.startswith("CEC-") and p.zh and p.en
            p = core.signature_problem(value, kind, sec.sig_secret)
            assert p is None or p.requirement == "CEC-C-SIG"
        data = value.get("Data")
        if isinstance(data, str):
            payload, plain, problem = core.open_data(data, sec.data_secret, sec.data_iv)
            if problem is None:
                assert json.loads(plain) == payload
            else:
                assert problem.requirement == "CEC-B-DATA" and problem.zh and problem.en
        core.type_from_content(value)


@fast(300)
@given(text=texts(max_size=80) | st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode("ascii")),
       sec=tcec_secrets)
def test_tcec_decrypt_raises_only_its_own_error(text: str, sec: Any) -> None:
    core = tcec()
    try:
        plain = core.decrypt_data(text, sec.data_secret, sec.data_iv)
    except core.DataError as exc:
        assert str(exc)
    else:
        assert isinstance(plain, str)


@cache
def tcec_platform() -> Any:
    core = tcec()
    sec = core.Secrets("TESTONLYsecret01", "TESTONLYdatakey1", "TESTONLYdataiv01", "TESTONLYsigkey01")
    handlers = {"query_station_status": lambda p, c: {"StationStatusInfos": []},
                "query_stations_info": lambda p, c: 1 / 0}  # a handler bug: answered with Ret 500
    return core.Platform(own_id="MA01H3BQ2", peer_id="MA0CEC102", sec=sec, handlers=handlers)


@fast(300)
@given(body=st.binary(max_size=200) | envelopes.map(lambda e: json.dumps(e, default=str).encode())
       | json_values.map(lambda v: json.dumps(v).encode()),
       interface=st.sampled_from(["query_token", "query_station_status", "query_stations_info", "unknown"]),
       auth=st.none() | texts(max_size=40) | st.just("Bearer "))
def test_tcec_platform_answers_any_request_with_a_ret_code(body: bytes, interface: str, auth: str | None) -> None:
    core = tcec()
    answer = tcec_platform().handle(f"/evcs/v1/{interface}", body, auth)
    doc = json.loads(answer.body)
    if interface == "unknown":
        assert answer.status == 404
    else:
        assert answer.status == 200 and doc["Ret"] in core.RET_CODES and doc["Ret"] != 0
        assert core.envelope_problems(doc, "response") == []


@fast(50)
@given(station_ids=st.lists(texts(min_size=1, max_size=20), max_size=3))
def test_tcec_platform_round_trip_through_handle(station_ids: list[str]) -> None:
    """A request the client side builds is accepted, and the answer decodes to the handler's payload."""
    core = tcec()
    platform = tcec_platform()
    token = platform.issue_token()
    env = core.build_request("MA0CEC102", {"StationIDs": station_ids}, platform.sec, seq=1)
    answer = platform.handle("/evcs/v1/query_station_status", core.dumps(env).encode("utf-8"), f"Bearer {token}")
    doc = json.loads(answer.body)
    assert core.signature_problem(doc, "response", platform.sec.sig_secret) is None
    if doc["Ret"] == 0:
        value, _plain, problem = core.open_data(doc["Data"], platform.sec.data_secret, platform.sec.data_iv)
        assert problem is None and value == {"StationStatusInfos": []}
    else:
        assert doc["Ret"] == core.RET_BUSINESS  # an id the schema refuses (length)
    env = core.build_request("MA0CEC102", {"PageNo": 1, "PageSize": 10}, platform.sec, seq=2)
    answer = platform.handle("/evcs/v1/query_stations_info", core.dumps(env).encode("utf-8"), f"Bearer {token}")
    doc = json.loads(answer.body)
    assert doc["Ret"] == core.RET_SYSTEM and "ZeroDivisionError" in doc["Msg"] and doc["Data"] == ""
    assert core.signature_problem(doc, "response", platform.sec.sig_secret) is None


# ================================================================== OCPP-J frames

message_ids = texts(min_size=1, max_size=36)
actions = texts(min_size=1, max_size=30)


@fast(250)
@given(uid=message_ids, action=actions, payload=exact_objects, result=exact_objects,
       code=st.sampled_from(sorted(["NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError",
                                    "FormationViolation", "PropertyConstraintViolation",
                                    "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError"])),
       description=texts(max_size=40), details=exact_objects)
def test_ocpp_frames_round_trip(uid: str, action: str, payload: dict, result: dict, code: str, description: str,
                                details: dict) -> None:
    fr, lk = frames(), link()
    call, callresult, callerror = [2, uid, action, payload], [3, uid, result], [4, uid, code, description, details]
    for frame, kind in ((call, fr.CALL), (callresult, fr.CALLRESULT), (callerror, fr.CALLERROR)):
        back = fr.loads(lk.dumps(frame))
        assert back == frame
        assert fr.message_type(back) == kind
        assert fr.framing_issues(back) == []
        assert fr.parse_capture(back) == [(back, "", None, "")]
    # in a stream: the answer echoes the id of the open CALL, from the other side
    for answer in (callresult, callerror):
        state = fr.StreamState()
        assert fr.stream_issues(fr.loads(lk.dumps(call)), state, sender="cs", judge_payload=False) == []
        assert fr.stream_issues(fr.loads(lk.dumps(answer)), state, sender="cp", judge_payload=False) == []
        assert uid in state.answered and not state.open_calls
        again = fr.stream_issues(call, state, sender="cs", judge_payload=False)
        assert [i.requirement for i in again] == [fr.R_UNIQUE]
    reply = lk.Reply(callresult[0], callresult, 0.0)
    assert reply.ok and reply.payload == result and reply.error_code is None
    assert lk.Reply(4, callerror, 0.0).error_code == code


@fast(150)
@given(uid=texts(min_size=37, max_size=60) | st.just("") | json_scalars.filter(lambda v: not isinstance(v, str)),
       action=actions, payload=exact_objects)
def test_ocpp_bad_message_ids_are_found(uid: Any, action: str, payload: dict) -> None:
    fr = frames()
    for frame in ([2, uid, action, payload], [3, uid, payload], [4, uid, "GenericError", "", {}]):
        issues = fr.framing_issues(fr.loads(json.dumps(frame)))
        assert [i.requirement for i in issues] == [fr.R_MSGID]
        assert issues[0].pointer == "/1" and issues[0].zh and issues[0].en
        fr.stream_issues(fr.loads(json.dumps(frame)), fr.StreamState(), sender="cp")


frame_heads = st.sampled_from([2, 3, 4, 0, 1, 5, -2, 2.0, "2", True, None, [], {}])
frame_like = st.builds(lambda head, rest: [head, *rest], frame_heads, st.lists(json_values, max_size=4))
frame_texts = (texts(max_size=120) | frame_like.map(lambda f: json.dumps(f))
               | st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
               | st.sampled_from(["[", "[2,", "[2,\"a\",\"B\",{}", "NaN", "[1e999999]", "[" * 3000 + "]" * 3000,
                                  "[2,\"" + "x" * 5000 + "\",\"Heartbeat\",{}]"]))
KNOWN_OCPP = {"OCPP16-J-FRAME", "OCPP16-J-MSGID", "OCPP16-J-UNIQUE", "OCPP16-J-ECHO", "OCPP16-J-SYNC",
              "OCPP16-J-ERRCODE", "OCPP16-P-REQ", "OCPP16-P-CONF", "OCPP16-P-DATETIME", "OCPP16-P-DECIMAL",
              "OCPP16-P-IDENT"}


@fast(500)
@given(text=frame_texts, hint=st.none() | st.sampled_from(["BootNotification", "Heartbeat", "NoSuchAction"]))
def test_ocpp_any_text_frame_is_classified(text: str, hint: str | None) -> None:
    fr, lk = frames(), link()
    try:
        value = fr.loads(text)
    except (ValueError, RecursionError):
        return  # not JSON: the link drops it and the checks report a framing finding
    kind = fr.message_type(value)
    issues = fr.framing_issues(value)
    if kind is None:
        assert issues and issues[0].requirement == fr.R_FRAME
    state = fr.StreamState()
    fr.stream_issues([2, "open-call", "BootNotification", {}], state, sender="cs")
    for sender in ("cp", "cs"):
        found = fr.stream_issues(value, state, sender=sender, action_hint=hint)
        assert {i.requirement for i in found} <= KNOWN_OCPP
        assert all(i.zh and i.en for i in found)
    for frame, _sender, _hint, pointer in fr.parse_capture(value):
        fr.framing_issues(frame, pointer)
    if isinstance(value, list) and len(value) >= 2:
        reply = lk.Reply(value[0], value, 0.0)
        assert reply.ok in (True, False) and isinstance(reply.payload, dict)
        assert reply.error_code is None or reply.error_code == value[2]


DATE_TIMES = st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01T08:00:00.123+08:00", "2024-13-01T00:00:00Z",
                              "2024-02-30T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T24:00:00+08:00",
                              "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+99:00", ""])


@cache
def ocpp_actions() -> list[tuple[str, int, list[str]]]:
    fr = frames()
    out = []
    for name, schema in sorted(fr.schemas().raw.items()):
        kind = fr.CALLRESULT if name.endswith("Response") else fr.CALL
        out.append((name.removesuffix("Response"), kind, sorted(schema.get("properties") or {})))
    return out


@fast(200)
@given(data=st.data())
def test_ocpp_payload_rules_never_raise(data: st.DataObject) -> None:
    fr = frames()
    action, kind, props = data.draw(st.sampled_from(ocpp_actions()))
    keys = st.sampled_from(props + ["idTag", "timestamp", "x"]) if props else texts(max_size=8)
    payload = data.draw(st.dictionaries(keys, json_values | DATE_TIMES, max_size=6) | json_values)
    for issue in fr.payload_issues(action, kind, payload, "/3", 1):
        assert issue.requirement in KNOWN_OCPP and issue.zh and issue.en and issue.pointer.startswith("/3")


# ================================================================== PDS 1.0 message model

# XML 1.0 characters (no surrogates, no C0 controls but tab, line feed and carriage return)
XML_CHARS = [c for c in TEXT_CHARS if c in "\t\n\r" or (ord(c) >= 0x20 and c not in "\ufffe\uffff")]
xml_text = st.text(st.sampled_from(XML_CHARS), max_size=30)
element_names = st.sampled_from(["Vessel", "IMO", "PortCode", "ContainerNo", "Containers", "Container", "SizeType",
                                 "ATA", "SendTime", "Draught", "NetWeight", "UNNumber", "BayPosition", "Items",
                                 "Item", "IMDGClass", "PackingGroup", "ContainerCount", "ItemCount", "X-1", "中文"])


def _element(tree: Any) -> str:
    """(name, text or children) -> XML text, escaped as the model escapes values."""
    name, content = tree
    if isinstance(content, str):
        return f"<{name}>{pds_peer().M._esc(content)}</{name}>"
    return f"<{name}>{''.join(_element(c) for c in content)}</{name}>"


element_trees = st.recursive(st.tuples(element_names, xml_text),
                             lambda inner: st.tuples(element_names, st.lists(inner, min_size=1, max_size=4)),
                             max_leaves=12)


def _same(el: Any, tree: Any) -> bool:
    name, content = tree
    if etree.QName(el).localname != name:
        return False
    if isinstance(content, str):
        return len(el) == 0 and (el.text or "") == content
    return len(el) == len(content) and all(_same(a, b) for a, b in zip(el, content))


heads = st.fixed_dictionaries({}, optional={k: xml_text for k in ("MessageID", "FunctionCode", "MessageType",
                                                                   "SenderID", "ReceiverID", "SendTime", "Version",
                                                                   "Nonce", "RefMessageID")})


@fast(200)
@given(head=heads, body=element_trees)
def test_pds_message_build_and_parse_round_trip(head: dict[str, str], body: Any) -> None:
    P = pds_peer()
    M = P.M
    root = M.unsigned(head, _element(body))
    again = P.parse_doc(M.serialize(root))
    assert again is not None and again.tag == M.q("Message")
    for name in M.HEAD_ORDER:
        assert M.child_text(again.find(M.q("Head")), name) == head.get(name)
    kids = list(again.find(M.q("Body")))
    assert len(kids) == 1 and _same(kids[0], body)
    # the signing input of the parsed copy is the same bytes (what a verifier would hash)
    assert M.crypto.signing_input(again.find(M.q("Head")), again.find(M.q("Body"))) == \
        M.crypto.signing_input(root.find(M.q("Head")), root.find(M.q("Body")))


@cache
def pds_parties() -> tuple[Any, Any]:
    P = pds_peer()
    M, S = P.M, P.S
    party = M.Party(id="NBCT0001", sm4_key=bytes(range(16)))
    platform = M.Party(id="ZJPORTHUB01")
    return party, platform


@cache
def pds_messages() -> list[bytes]:
    """Unsigned sample messages of every type (DGDECL encrypted), built once."""
    P = pds_peer()
    M, S = P.M, P.S
    party, platform = pds_parties()
    send = dt.datetime(2024, 5, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    roots = [S.build(t, party, receiver=platform.id, send=send, seq=i, sign=False)
             for i, t in enumerate(S.BUSINESS_TYPES)]
    cancelled = M.child_text(roots[3].find(M.q("Head")), "MessageID")
    roots.append(S.build("GATE", party, receiver=platform.id, send=send, seq=9, fc="1", ref=cancelled, sign=False))
    for root in roots:  # what sign_root would fill in, minus the (slow) SM2 value
        root.find(f"{M.q('Signature')}/{M.q('KeyId')}").text = party.id
    return [M.serialize(root) for root in roots]


def _judge(data: bytes) -> Any:
    P = pds_peer()
    party, platform = pds_parties()
    j = P.judge_stateless(data, {party.id: party}.get, platform.id, check_signature=False)
    for p in j.problems:
        assert p.code.startswith("P0") and p.zh and p.en and 3 <= p.step <= 13
    if j.root is not None:
        for _req, el, zh, en in P.M.value_form_problems(j.root):
            assert zh and en and P.M.path_of(el).startswith("/")
        body = j.root.find(P.M.q("Body"))
        for el in (list(body) if body is not None else []):
            if isinstance(el.tag, str):
                for v in P.M.business_rules(el, j.send_time):
                    assert v.requirement.startswith("PDS-") and v.zh and v.en
                if etree.QName(el).localname == "EncryptedData":
                    dgd, why = P.M.decrypt(el, party.sm4_key)
                    assert (dgd is None) != (why is None)
    return j


@fast(300)
@given(data=st.binary(max_size=300) | xml_text.map(lambda t: t.encode("utf-8")))
def test_pds_any_bytes_are_judged(data: bytes) -> None:
    P = pds_peer()
    j = _judge(data)
    assert j.problems, "random bytes are never a valid message"
    P.parse_doc(data)
    P.is_non_xml(data)


@fast(200)
@given(index=st.integers(min_value=0, max_value=6), at=st.floats(min_value=0, max_value=1),
       cut=st.integers(min_value=0, max_value=40),
       insert=st.binary(max_size=20) | st.sampled_from([b"<", b"&", b"&amp;", b"]]>", b"<!--x-->", b"<?pi x?>",
                                                        b"<!DOCTYPE x>", b"\x00", b"&#0;", b"&x;", b"\xef\xbb\xbf",
                                                        b"<Extra/>", b"xmlns=\"urn:x\" ", b"</Body>", b"  ",
                                                        b"9999-99-99T99:99:99Z", b"CSQU3054384"]))
def test_pds_mutated_messages_are_judged(index: int, at: float, cut: int, insert: bytes) -> None:
    original = pds_messages()[index]
    assert _judge(original).problems == []  # the unmutated sample passes every stateless step
    pos = int(at * len(original))
    _judge(original[:pos] + insert + original[pos + cut:])


@fast(150)
@given(index=st.integers(min_value=0, max_value=6), data=st.data())
def test_pds_messages_with_replaced_values_are_judged(index: int, data: st.DataObject) -> None:
    """Any element's text replaced by any text (escaped): a finding or a pass, never an exception."""
    P = pds_peer()
    root = P.parse_doc(pds_messages()[index])
    leaves = [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0]
    leaf = data.draw(st.sampled_from(leaves))
    leaf.text = data.draw(xml_text)
    _judge(P.M.serialize(root))
    enc = root.find(f"{P.M.q('Body')}/{P.M.q('EncryptedData')}")
    if enc is not None:
        enc.text = data.draw(st.binary(max_size=80).map(lambda b: base64.b64encode(b).decode("ascii")))
        dgd, why = P.M.decrypt(enc, pds_parties()[0].sm4_key)
        assert (dgd is None) != (why is None)
        _judge(P.M.serialize(root))


@fast(150)
@given(descriptions=st.lists(texts(max_size=700), min_size=1, max_size=3), location=st.none() | texts(max_size=600))
def test_pds_receipts_carry_any_error_text(descriptions: list[str], location: str | None) -> None:
    """Error descriptions quote the submission (XSD messages quote values): any text, however
    long and whatever it holds, still gives a well-formed, schema-valid receipt."""
    P = pds_peer()
    M = P.M
    platform = M.Party(id="ZJPORTHUB01", sm2_private=12345)
    platform.sm2_public = M.crypto.public_from_private(platform.sm2_private)
    problems = [P.Problem(4, "P002", location, t, t[::-1] or "-") for t in descriptions]
    _mid, data = _unsigned_receipt(P, platform, problems)
    root = P.parse_doc(data)
    assert root is not None
    receipt = root.find(f"{M.q('Body')}/{M.q('Receipt')}")
    errors = receipt.findall(f"{M.q('Errors')}/{M.q('Error')}")
    assert len(errors) == len(descriptions)
    for error in errors:
        assert 1 <= len(M.child_text(error, "Description") or "") <= 512
        assert len(M.child_text(error, "Location") or "") <= 512
    assert M.xsd().validate(etree.ElementTree(copy.deepcopy(receipt))), M.xsd().error_log


def _unsigned_receipt(P: Any, platform: Any, problems: list[Any]) -> tuple[str, bytes]:
    """receipt_message without the SM2 signature (slow in pure Python): sign_root is bypassed."""
    M = P.M
    original = M.sign_root
    M.sign_root = lambda root, party, **kw: root
    try:
        return P.receipt_message(platform, receiver="NBCT0001", ref_id="NBCT000120240501080000000001",
                                 ref_type="GATE", stage="SYNC", status="REJECTED", errors=problems, seq=1)
    finally:
        M.sign_root = original


@pytest.fixture(scope="module")
def ref_platform() -> Iterator[Any]:
    ref = plugin("pds-1.0", "pds_1_0", "pds_platform_ref").RefPlatform({}, set(), "127.0.0.1", 0)
    yield ref
    ref.stop()


@fast(100)
@given(key_id=xml_text, value=xml_text, index=st.integers(min_value=0, max_value=6))
def test_pds_reference_verify_api_answers_any_request(ref_platform: Any, key_id: str, value: str, index: int) -> None:
    """The reference platform's signature/verify answer is well-formed whatever KeyId the request holds."""
    from conformance.live import Request

    P = pds_peer()
    M = P.M
    root = P.parse_doc(pds_messages()[index])
    sig = root.find(M.q("Signature"))
    sig.find(M.q("KeyId")).text = key_id
    sig.find(M.q("Value")).text = value
    inner = etree.tostring(root, encoding="unicode")
    api_key = next(iter(ref_platform.by_api))
    answer = ref_platform.verify(Request("POST", "/portapi/v1/signature/verify", {"X-Api-Key": api_key},
                                         P.api_doc("VerifyRequest", inner)))
    doc = P.parse_doc(answer.body)
    assert doc is not None and doc.tag == M.q("VerifyResponse")
    assert M.child_text(doc, "Result") in ("VALID", "INVALID")
    if key_id:
        assert M.child_text(doc, "KeyId") == P.fit_text(key_id)
    assert M.xsd().validate(doc.getroottree()), M.xsd().error_log
