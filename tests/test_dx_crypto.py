"""DX 1.0 algorithms: Annex A check characters and the SM2 implementation against
published test vectors."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_crypto  # noqa: E402
from test_crypto import GBT_D, GBT_K, GBT_R, GBT_S, SHEN, SHEN_R, SHEN_S  # noqa: E402
from test_dx_support import crypto  # noqa: E402

from conformance import crypto as cc  # noqa: E402

C = crypto()


def test_annex_a_examples() -> None:
    assert C.uscc_check_char("91350100M000100Y4") == "3"
    assert C.uscc_valid("91350100M000100Y43")
    assert not C.uscc_valid("91350100M000100Y44")
    assert C.id_check_char("11010519491231002") == "X"
    assert C.id_valid("11010519491231002X")
    assert not C.id_valid("110105194912310021")


USCC17 = st.text(alphabet=C.USCC_ALPHABET, min_size=17, max_size=17)
ID17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@settings(max_examples=200, deadline=None)
@given(USCC17, st.integers(0, 17), st.sampled_from(C.USCC_ALPHABET))
def test_uscc_single_change_fails(body: str, pos: int, ch: str) -> None:
    code = body + C.uscc_check_char(body)
    assert C.uscc_valid(code)
    changed = code[:pos] + ch + code[pos + 1 :]
    assert C.uscc_valid(changed) == (changed == code)


@settings(max_examples=200, deadline=None)
@given(ID17, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_id_single_change_fails(body: str, pos: int, ch: str) -> None:
    code = body + C.id_check_char(body)
    assert C.id_valid(code)
    changed = code[:pos] + ch + code[pos + 1 :]
    assert C.id_valid(changed) == (changed == code)


# the published SM2 vectors (GB/T 32918.5 recommended curve; draft-shen-sm2-ecdsa-02 A.2
# test curve), shared with the tests of conformance.crypto
GBT_PUB = test_crypto.GBT_PUB.hex().upper()
SHEN_PUB = cc.encode_point(test_crypto.SHEN_X, test_crypto.SHEN_Y, SHEN).hex()


def test_sm2_gbt32918_vector() -> None:
    assert C.sm2_public_from_private(GBT_D).hex().upper() == GBT_PUB.upper()
    assert C.sm2_verify(GBT_PUB, b"message digest", GBT_R, GBT_S)
    assert C.sm2_sign(GBT_D, b"message digest", GBT_K) == (GBT_R, GBT_S)
    assert not C.sm2_verify(GBT_PUB, b"message digesT", GBT_R, GBT_S)
    assert not C.sm2_verify(GBT_PUB, b"message digest", GBT_R, GBT_S + 1)
    assert not C.sm2_verify(GBT_PUB, b"message digest", GBT_R, 0)  # s out of range
    assert not C.sm2_verify(GBT_PUB, b"message digest", GBT_R, C.SM2P256V1.n)
    off_curve = GBT_PUB[:-1] + ("0" if GBT_PUB[-1] != "0" else "1")
    assert not C.sm2_verify(off_curve, b"message digest", GBT_R, GBT_S)


def test_sm2_draft_shen_vector() -> None:
    shen = C.Curve(p=SHEN.p, a=SHEN.a, b=SHEN.b, n=SHEN.n, gx=SHEN.gx, gy=SHEN.gy)  # built through the profile module
    assert C.sm2_verify(SHEN_PUB, b"message digest", SHEN_R, SHEN_S, user_id=test_crypto.SHEN_ID, curve=shen)
    assert not C.sm2_verify(SHEN_PUB, b"message digest", SHEN_R, SHEN_S, curve=SHEN)  # other user ID


def test_der_strict() -> None:
    der = C.der_encode_rs(GBT_R, GBT_S)
    assert C.der_decode_rs(der) == (GBT_R, GBT_S)
    for bad in (der + b"\x00", der[:-1], b"\x30" + bytes([der[1] + 1]) + der[2:4] + b"\x00" + der[4:]):
        try:
            C.der_decode_rs(bad)
        except ValueError:
            continue
        raise AssertionError(bad.hex())


def test_pkcs7() -> None:
    for n in range(0, 40):
        data = bytes(range(n))
        assert C.pkcs7_unpad(C.pkcs7_pad(data)) == data
    for bad in (b"", b"a" * 15 + b"\x00", b"a" * 15 + b"\x11", b"a" * 14 + b"\x01\x02"):
        try:
            C.pkcs7_unpad(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
