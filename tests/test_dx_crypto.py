"""DX 1.0 algorithms: Annex A check characters and the SM2 implementation against
published test vectors."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_dx_support import crypto  # noqa: E402

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


# GB/T 32918.5-2017 (= GM/T 0003.5-2012) Annex A: recommended curve, ID 1234567812345678,
# message "message digest". Values as reproduced in public test suites (e.g. OpenSSL
# test/sm2_internal_test.c, BouncyCastle SM2SignerTest, Intel eHSM enclave self-test).
GBT_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
GBT_PUB = ("04" "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
           "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
GBT_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
GBT_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
GBT_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA

# draft-shen-sm2-ecdsa-02 Annex A.2 (test curve over Fp-256, ID ALICE123@YAHOO.COM).
SHEN = C.Curve(
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
)
SHEN_PUB = ("04" "0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
            "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857")
SHEN_R = 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
SHEN_S = 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7


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
    assert C.sm2_verify(SHEN_PUB, b"message digest", SHEN_R, SHEN_S, user_id=b"ALICE123@YAHOO.COM", curve=SHEN)
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
