"""T/CEC 102.4 Annex B/C crypto: golden vectors, checked against an independent computation.

The golden values were computed once with the profile's code (``cryptography`` + ``hmac``);
each test recomputes them with the profile and, independently, with pycryptodomex's AES
(or a pure-``hashlib`` HMAC built from its definition, RFC 2104), so a bug shared by one
library path cannot hide.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

PROFILE = Path(__file__).resolve().parents[1] / "profiles" / "tcec102-2016"


def _core() -> Any:
    name = "conformance_profile_plugins.tcec102_2016_tcec_core"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PROFILE / "tcec_core.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


core = _core()

KEY, IV, SIG = "TESTONLYdatakey1", "TESTONLYdataiv01", "TESTONLYsigkey01"

GOLDEN_DATA = [
    ({"OperatorID": "MA0CEC102", "OperatorSecret": "TESTONLYsecret01"},
     "WXS2SKvL5f64B4huDf8GJHGb/mXTqo0pdSkojg+hpECNOQszxsdo+CVfmyfNiA8mSbB8jypmO0mhBLIl2eV5XA=="),
    ({"Status": 0, "站": "西湖"}, "A9B6movkCChc5kGTZmef1Omz8nu0Op6liXzIzWrQmbI="),
    # exactly one block of plaintext: PKCS#5 adds a whole block of padding
    ({"A": "01234567"}, "LZO8xjAubw4Kr4DGLwru7TlkYq0jJt63a5KIFXntGpU="),
]
GOLDEN_REQUEST_SIG = ("MA0CEC102", GOLDEN_DATA[0][1], "20240501100000", "0001", "73CC5F85164CE030D105EA439C5935CC")
GOLDEN_RESPONSE_SIGS = [(0, "", GOLDEN_DATA[1][1], "C343D31B4784CBA494605E8C2496F844"),
                        (4001, "签名错误", "", "796F2467B17C8C4228CF391A88424DDA")]


def independent_hmac_md5(key: bytes, message: bytes) -> str:
    """RFC 2104 from its definition, with hashlib only (not the hmac module)."""
    block = 64
    if len(key) > block:
        key = hashlib.md5(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.md5(bytes(k ^ 0x36 for k in key) + message).digest()
    return hashlib.md5(bytes(k ^ 0x5C for k in key) + inner).hexdigest().upper()


def independent_encrypt(plain: bytes, key: bytes, iv: bytes) -> str:
    pad = 16 - len(plain) % 16
    padded = plain + bytes([pad]) * pad
    try:
        from Cryptodome.Cipher import AES  # pycryptodomex: a second AES implementation
    except ImportError:  # pragma: no cover - fall back to the cryptography ECB primitive + our own CBC
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        out, prev = b"", iv
        for i in range(0, len(padded), 16):
            prev = ecb.update(bytes(a ^ b for a, b in zip(padded[i:i + 16], prev)))
            out += prev
        return base64.b64encode(out).decode()
    return base64.b64encode(AES.new(key, AES.MODE_CBC, iv).encrypt(padded)).decode()


@pytest.mark.parametrize("payload, golden", GOLDEN_DATA)
def test_data_encryption_matches_golden_and_independent_aes(payload: dict, golden: str) -> None:
    assert core.encrypt_data(payload, KEY, IV) == golden
    plain = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert independent_encrypt(plain, KEY.encode(), IV.encode()) == golden
    assert json.loads(core.decrypt_data(golden, KEY, IV)) == payload
    assert len(base64.b64decode(golden)) % 16 == 0


def test_request_signature_matches_golden_and_rfc2104() -> None:
    op, data, ts, seq, golden = GOLDEN_REQUEST_SIG
    assert core.request_sig(SIG, op, data, ts, seq) == golden
    assert independent_hmac_md5(SIG.encode(), f"{op}{data}{ts}{seq}".encode()) == golden
    assert golden == golden.upper() and len(golden) == 32


@pytest.mark.parametrize("ret, msg, data, golden", GOLDEN_RESPONSE_SIGS)
def test_response_signature_matches_golden_and_rfc2104(ret: int, msg: str, data: str, golden: str) -> None:
    assert core.response_sig(SIG, ret, msg, data) == golden
    assert independent_hmac_md5(SIG.encode(), f"{ret}{msg}{data}".encode("utf-8")) == golden


def test_signature_depends_on_every_part_and_the_order() -> None:
    op, data, ts, seq, golden = GOLDEN_REQUEST_SIG
    assert core.request_sig(SIG, op, data, ts, "0002") != golden
    assert core.request_sig("other-secret", op, data, ts, seq) != golden
    assert core.hmac_md5(SIG, f"{data}{op}{ts}{seq}") != golden


@pytest.mark.parametrize("data, reason", [
    ("not*base64", "Base64"),
    (base64.b64encode(b"short").decode(), "multiple of 16"),
    (base64.b64encode(bytes(32)).decode(), "padding"),
])
def test_undecryptable_data_says_why(data: str, reason: str) -> None:
    with pytest.raises(core.DataError, match=reason):
        core.decrypt_data(data, KEY, IV)


def test_plaintext_data_is_a_failure_but_still_readable() -> None:
    payload, plain, problem = core.open_data('{"Status":0}', KEY, IV)
    assert payload == {"Status": 0} and problem is not None and problem.requirement == "CEC-B-DATA"
    assert "plaintext" in problem.en


def test_keys_must_be_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        core.encrypt_data({}, "short", IV)
    with pytest.raises(ValueError, match="data_iv"):
        core.Secrets.from_pixit({"operator_secret": "x", "data_secret": KEY, "data_iv": "too-short", "sig_secret": SIG})


def test_built_envelopes_verify() -> None:
    sec = core.Secrets("TESTONLYsecret01", KEY, IV, SIG)
    req = core.build_request("MA0CEC102", {"PageNo": 1}, sec, seq=7, ts="20240501100000")
    assert req["Seq"] == "0007" and core.envelope_problems(req, "request") == []
    assert core.signature_problem(req, "request", SIG) is None
    resp = core.build_response(0, "", {"Status": 0}, sec)
    assert core.envelope_problems(resp, "response") == [] and core.signature_problem(resp, "response", SIG) is None
    assert core.signature_problem({**resp, "Msg": "tampered"}, "response", SIG).requirement == "CEC-C-SIG"
