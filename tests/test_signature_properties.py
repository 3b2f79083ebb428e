"""Property tests of SM2 signatures: conformance.crypto on its own (round trips, single-bit
changes, DER decoding of arbitrary octets) and through the DX 1.0 and PDS 1.0 profiles
(a signed document with a tampered signed field or signature value fails the signature
requirement, never errors)."""

from __future__ import annotations

import base64
import hashlib
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance import crypto as cc

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_dx_support as dx  # noqa: E402
import test_pds_support as pds  # noqa: E402

N = cc.SM2P256V1.n


def quick(examples: int) -> settings:
    return settings(deadline=None, max_examples=examples,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


private_keys = st.integers(1, N - 2)
nonces = st.integers(1, N - 1)
messages = st.binary(max_size=200)
user_ids = st.one_of(st.just(cc.DEFAULT_USER_ID), st.binary(min_size=0, max_size=40))


@quick(200)
@given(private_keys, messages, nonces, user_ids)
def test_sign_verify_round_trip(d: int, message: bytes, k: int, user_id: bytes) -> None:
    try:
        r, s = cc.sm2_sign(d, message, k, user_id=user_id)
    except cc.SignError:  # r = 0, r + k = n or s = 0: probability about 3/n
        assume(False)
    assert 1 <= r < N and 1 <= s < N
    pub = cc.sm2_public_key(d)
    assert cc.sm2_verify(pub, message, r, s, user_id=user_id) is True
    assert cc.sm2_verify(pub.hex(), message, r, s, user_id=user_id) is True
    assert cc.decode_ecdsa_signature(cc.encode_ecdsa_signature(r, s)) == (r, s)


# a handful of keys (with cached tables) is variety enough for the flip tests, which vary
# the message, the nonce and the position of the flipped bit
_PRIVATE = (1, 2, N - 2, 0x1D2C3B4A59687, 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8)


@st.composite
def signed(draw: st.DrawFn) -> tuple[bytes, bytes, int, int]:
    """(public key, message of at least one octet, r, s), a valid signature."""
    d = draw(st.sampled_from(_PRIVATE))
    message = draw(st.binary(min_size=1, max_size=200))
    # k from a hash, not straight from Hypothesis: its shrinker goes for k = 1, and with
    # contrived nonces a flip can be a valid signature, since only x of the point counts
    # (d = 1, k = 1: flipping bit 0 of s turns k·G into (k-2)·G = -G, with the same x)
    k = int.from_bytes(hashlib.sha256(draw(st.binary(min_size=8, max_size=8))).digest(), "big") % (N - 1) + 1
    try:
        r, s = cc.sm2_sign(d, message, k)
    except cc.SignError:
        assume(False)
    return cc.sm2_public_key(d), message, r, s


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@quick(200)
@given(signed(), st.integers(0, 200 * 8))
def test_any_bit_flip_of_the_message_fails(sig: tuple[bytes, bytes, int, int], bit: int) -> None:
    pub, message, r, s = sig
    assert cc.sm2_verify(pub, message, r, s) is True
    assert cc.sm2_verify(pub, _flip(message, bit), r, s) is False


@quick(200)
@given(signed(), st.integers(0, 255), st.booleans())
def test_any_bit_flip_of_r_or_s_fails(sig: tuple[bytes, bytes, int, int], bit: int, flip_r: bool) -> None:
    pub, message, r, s = sig
    if flip_r:
        r ^= 1 << bit
    else:
        s ^= 1 << bit
    assert cc.sm2_verify(pub, message, r, s) is False


@quick(200)
@given(signed(), st.integers(0, 65 * 8 - 1), st.booleans())
def test_any_bit_flip_of_the_public_key_fails(sig: tuple[bytes, bytes, int, int], bit: int, as_hex: bool) -> None:
    pub, message, r, s = sig
    flipped = _flip(pub, bit)
    assert cc.sm2_verify(flipped.hex() if as_hex else flipped, message, r, s) is False


_VALID_DER = [cc.encode_ecdsa_signature(r, s) for r, s in ((1, 1), (N - 1, N - 1), (0x80, 0x7F), (2**255, 2**200 + 1))]


@quick(1500)
@given(st.one_of(
    st.binary(max_size=80),
    # mutations of valid encodings reach deeper into the decoder than random octets
    st.builds(lambda der, pos, val: der[: pos % (len(der) + 1)] + bytes([val]) + der[pos % (len(der) + 1) + 1:],
              st.sampled_from(_VALID_DER), st.integers(0, 80), st.integers(0, 255)),
    st.builds(lambda der, cut, tail: der[:cut] + tail, st.sampled_from(_VALID_DER), st.integers(0, 72), st.binary(max_size=4)),
))
def test_der_decoding_of_arbitrary_octets_raises_only_its_own_error(data: bytes) -> None:
    try:
        r, s = cc.decode_ecdsa_signature(data)
    except cc.DERError as exc:
        assert str(exc) and exc.zh
        return
    assert cc.encode_ecdsa_signature(r, s) == data  # what decodes is the one DER encoding


# ----------------------------------------------------------------- through the profiles

SIGNATURE_REQUIREMENTS = {
    "dx": {"DX-8.2.8", "DX-8.2.9", "DX-8.2.10"},
    "pds": {"PDS-7.2"},
}
TEXT = st.text(alphabet=st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY王芳赵伟港口集装箱"), min_size=1, max_size=12)
PROFILE_RUN = settings(deadline=None, max_examples=20,
                       suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

DX_DOC = dx.FIXTURES / "valid" / "pp01-sm2.xml"
PDS_MSG = pds.FIXTURES / "valid" / "gate.xml"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tampered")


def _verdicts(record: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def _run(kind: str, workdir: Path, data: bytes) -> dict[str, str]:
    path = workdir / ("doc.xml" if kind == "dx" else "msg.xml")
    path.write_bytes(data)
    record = dx.run([path]) if kind == "dx" else pds.run([path])
    verdicts = _verdicts(record)
    assert "error" not in verdicts.values(), {k: v for k, v in verdicts.items() if v == "error"}
    return verdicts


def _serialize(root: Any) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _tampered_value(value_text: str, how: tuple[str, int, int]) -> tuple[str, bool]:
    """A SignatureValue that differs from the original (one bit of the DER flipped, or one
    bit of r or s flipped and the DER re-encoded) and whether it is still a well-formed
    DER (r, s) in [1, n-1], i.e. one that only verification can refuse."""
    kind, bit, which = how
    der = base64.b64decode(value_text)
    if kind == "der":
        der = _flip(der, bit)
    else:
        r, s = cc.decode_ecdsa_signature(der)
        r, s = (r ^ (1 << bit % 256), s) if which else (r, s ^ (1 << bit % 256))
        der = cc.encode_ecdsa_signature(r, s)
    try:
        r, s = cc.decode_ecdsa_signature(der)
        well_formed = 1 <= r < N and 1 <= s < N
    except cc.DERError:
        well_formed = False
    return base64.b64encode(der).decode(), well_formed


TAMPER_VALUE = st.tuples(st.sampled_from(["der", "rs"]), st.integers(0, 10_000), st.integers(0, 1))


def test_the_untampered_fixtures_pass(workdir: Path) -> None:
    dx_verdicts = _run("dx", workdir, DX_DOC.read_bytes())
    assert all(dx_verdicts[r] == "pass" for r in SIGNATURE_REQUIREMENTS["dx"]), dx_verdicts
    pds_verdicts = _run("pds", workdir, PDS_MSG.read_bytes())
    assert pds_verdicts["PDS-7.2"] == "pass", pds_verdicts


@PROFILE_RUN
@given(data=st.data())
def test_dx_tampered_signed_field_fails_the_signature(workdir: Path, data: st.DataObject) -> None:
    root = etree.fromstring(DX_DOC.read_bytes())
    C = dx.crypto()
    ns = {"dx": C.DX_NS, "ds": DS}
    leaves = root.xpath("dx:header/dx:MessageID | dx:data/dx:record/*", namespaces=ns)
    leaf = data.draw(st.sampled_from(leaves))
    leaf.text = data.draw(TEXT.filter(lambda t: t != leaf.text))
    # the attacker recomputes the digests but cannot sign: only the signature can tell
    for ref in root.xpath("//ds:Reference", namespaces=ns):
        target = root.xpath(f"dx:*[@Id='{ref.get('URI')[1:]}']", namespaces=ns)[0]
        ref.find(f"{{{DS}}}DigestValue").text = base64.b64encode(C.digest("sm3", C.c14n(target))).decode()
    verdicts = _run("dx", workdir, _serialize(root))
    assert verdicts["DX-8.2.8"] == "pass" and verdicts["DX-8.2.9"] == "pass"
    assert verdicts["DX-8.2.10"] == "fail", verdicts


@PROFILE_RUN
@given(how=TAMPER_VALUE)
def test_dx_tampered_signature_value_fails_the_signature(workdir: Path, how: tuple[str, int, int]) -> None:
    root = etree.fromstring(DX_DOC.read_bytes())
    value = root.find(f".//{{{DS}}}SignatureValue")
    value.text, well_formed = _tampered_value(value.text, how)
    verdicts = _run("dx", workdir, _serialize(root))
    if well_formed:  # only the verification can tell
        assert (verdicts["DX-8.2.9"], verdicts["DX-8.2.10"]) == ("pass", "fail"), verdicts
    else:
        assert (verdicts["DX-8.2.9"], verdicts["DX-8.2.10"]) == ("fail", "inconclusive"), verdicts


@PROFILE_RUN
@given(data=st.data())
def test_pds_tampered_signed_field_fails_the_signature(workdir: Path, data: st.DataObject) -> None:
    root = etree.fromstring(PDS_MSG.read_bytes())
    ns = {"p": "urn:smartcity:port:1.0"}
    leaves = root.xpath("p:Body//*[not(*)] | p:Head/p:Nonce | p:Head/p:MessageID", namespaces=ns)
    leaf = data.draw(st.sampled_from(leaves))
    leaf.text = data.draw(TEXT.filter(lambda t: t != leaf.text))
    verdicts = _run("pds", workdir, _serialize(root))
    assert verdicts["PDS-7.2"] == "fail", verdicts


@PROFILE_RUN
@given(how=TAMPER_VALUE)
def test_pds_tampered_signature_value_fails_the_signature(workdir: Path, how: tuple[str, int, int]) -> None:
    root = etree.fromstring(PDS_MSG.read_bytes())
    value = root.find("{urn:smartcity:port:1.0}Signature/{urn:smartcity:port:1.0}Value")
    value.text, _ = _tampered_value(value.text, how)
    verdicts = _run("pds", workdir, _serialize(root))
    assert verdicts["PDS-7.2"] == "fail", verdicts
