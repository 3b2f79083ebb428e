"""conformance.crypto: published vectors (SM2, SM3, SM4), a cross-check against the
independent pure-Python ``gmssl`` package, and the rejection of malformed input."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conformance import crypto as cc
from conformance.crypto import sm2 as sm2_module
from conformance.crypto import sm3 as sm3_module

N = cc.SM2P256V1.n
P = cc.SM2P256V1.p

# ----------------------------------------------------------------- published vectors

# GB/T 32905-2016 Appendix A: examples 1 and 2
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# GB/T 32918.5-2017 recommended curve, user ID 1234567812345678, message "message digest"
# (as reproduced in public test suites: OpenSSL test/sm2_internal_test.c, BouncyCastle).
GBT_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
GBT_PUB = bytes.fromhex("04" "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
                        "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
GBT_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
GBT_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
GBT_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA

# draft-shen-sm2-ecdsa-02 Annex A.2 (= GM/T 0003.2-2012 Annex A.2): the 256-bit test curve
# over Fp, ID ALICE123@YAHOO.COM, with the intermediate Z_A and e the example lists.
SHEN = cc.Curve(
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
)
SHEN_ID = b"ALICE123@YAHOO.COM"
SHEN_D = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
SHEN_X = 0x0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A
SHEN_Y = 0x7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857
SHEN_ZA = "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
SHEN_E = "B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"
SHEN_K = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
SHEN_R = 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
SHEN_S = 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_vectors_both_paths(message: bytes, digest: str) -> None:
    assert cc.sm3_hash_pure(message).hex() == digest
    assert cc.sm3_hash(message).hex() == digest


def test_sm3_uses_openssl_when_present_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cc.HASHLIB_SM3 == ("sm3" in hashlib.algorithms_available)
    if cc.HASHLIB_SM3:
        assert cc.sm3_hash is not cc.sm3_hash_pure

    def no_sm3(name: str, *args: object, **kw: object) -> object:
        raise ValueError(f"unsupported hash type {name}")

    monkeypatch.setattr(sm3_module.hashlib, "new", no_sm3)
    assert sm3_module._hashlib_sm3() is None  # what makes sm3_hash the pure function


def test_sm3_pure_agrees_with_openssl_across_block_boundaries() -> None:
    rng = random.Random(32905)
    for length in [*range(0, 130), 1000, 4097]:
        data = rng.randbytes(length)
        h = hashes.Hash(hashes.SM3())
        h.update(data)
        assert cc.sm3_hash_pure(data) == h.finalize() == cc.sm3_hash(data), length


def test_sm2_recommended_curve_vector() -> None:
    assert cc.sm2_public_key(GBT_D) == GBT_PUB
    assert cc.sm2_sign(GBT_D, b"message digest", GBT_K) == (GBT_R, GBT_S)
    assert cc.sm2_verify(GBT_PUB, b"message digest", GBT_R, GBT_S)
    assert cc.sm2_verify(GBT_PUB.hex().upper(), b"message digest", GBT_R, GBT_S)  # hex text works too
    assert not cc.sm2_verify(GBT_PUB, b"message digesT", GBT_R, GBT_S)
    assert not cc.sm2_verify(GBT_PUB, b"message digest", GBT_R, GBT_S, user_id=b"1234567812345679")
    e = cc.sm2_e(*cc.decode_point(GBT_PUB), b"message digest")
    assert cc.sm2_sign_digest(GBT_D, e, GBT_K) == (GBT_R, GBT_S)
    assert cc.sm2_verify_digest(cc.decode_point(GBT_PUB), e, GBT_R, GBT_S)


def test_sm2_draft_shen_vector_with_its_user_id() -> None:
    assert cc.sm2_public_key(SHEN_D, SHEN) == cc.encode_point(SHEN_X, SHEN_Y, SHEN)
    assert cc.sm2_z_a(SHEN_X, SHEN_Y, SHEN_ID, SHEN).hex().upper() == SHEN_ZA
    assert cc.sm2_e(SHEN_X, SHEN_Y, b"message digest", SHEN_ID, SHEN).hex().upper() == SHEN_E
    assert cc.sm2_sign(SHEN_D, b"message digest", SHEN_K, user_id=SHEN_ID, curve=SHEN) == (SHEN_R, SHEN_S)
    pub = cc.encode_point(SHEN_X, SHEN_Y, SHEN)
    assert cc.sm2_verify(pub, b"message digest", SHEN_R, SHEN_S, user_id=SHEN_ID, curve=SHEN)
    assert cc.sm2_verify(pub, b"message digest", SHEN_R, SHEN_S, user_id=SHEN_ID.decode(), curve=SHEN)
    assert not cc.sm2_verify(pub, b"message digest", SHEN_R, SHEN_S, curve=SHEN)  # default user ID
    assert not cc.sm2_verify(pub, b"message digest", SHEN_R, SHEN_S, user_id=SHEN_ID)  # other curve


def test_sm4_gbt32907_example_and_cbc() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    # GB/T 32907-2016 Appendix A, example 1: plaintext = key
    assert cc.sm4_ecb_encrypt(key, key).hex() == "681edf34d206965e86b3e94f536e4246"
    assert cc.sm4_ecb_decrypt(key, bytes.fromhex("681edf34d206965e86b3e94f536e4246")) == key
    iv = bytes(range(16))
    plain = bytes(range(48))
    cipher = cc.sm4_cbc_encrypt(key, iv, plain)
    # CBC by hand from ECB: C_i = E(P_i xor C_{i-1})
    prev, manual = iv, b""
    for i in range(0, 48, 16):
        prev = cc.sm4_ecb_encrypt(key, bytes(a ^ b for a, b in zip(plain[i:i + 16], prev)))
        manual += prev
    assert cipher == manual
    ref = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    assert cipher == ref.update(plain) + ref.finalize()
    assert cc.sm4_cbc_decrypt(key, iv, cipher) == plain
    for bad in (lambda: cc.sm4_cbc_encrypt(key[:15], iv, plain), lambda: cc.sm4_cbc_encrypt(key, iv[:8], plain),
                lambda: cc.sm4_cbc_decrypt(key, iv, cipher[:-1]), lambda: cc.sm4_ecb_encrypt(key, b"x")):
        with pytest.raises(cc.CryptoError) as err:
            bad()
        assert err.value.zh and err.value.zh != err.value.en


# ----------------------------------------------------------------- cross-check against gmssl


def _gmssl(d: int | None, x: int, y: int) -> object:
    gsm2 = pytest.importorskip("gmssl.sm2", reason="gmssl is the independent reference implementation")
    crypt = gsm2.CryptSM2(private_key=f"{d:064x}" if d else None, public_key="00" * 64)
    crypt.public_key = f"{x:064x}{y:064x}"  # set afterwards: the constructor lstrip("04")s the key
    return crypt


def test_cross_check_with_gmssl_both_ways() -> None:
    rng = random.Random(20240)
    for i in range(6):
        d = rng.randrange(1, N - 1)
        message = rng.randbytes(rng.randrange(0, 300))
        x, y = cc.decode_point(cc.sm2_public_key(d))
        g = _gmssl(d, x, y)
        assert g._kg(d, g.ecc_table["g"]) == f"{x:064x}{y:064x}"
        # gmssl hashes Z_A and M itself (its own SM3) and draws its own k; we verify
        sig = None
        while sig is None:
            sig = g.sign_with_sm3(message)
        r, s = int(sig[:64], 16), int(sig[64:], 16)
        assert cc.sm2_verify(cc.encode_point(x, y), message, r, s), i
        assert not cc.sm2_verify(cc.encode_point(x, y), message + b"!", r, s), i
        # we sign with a random k; gmssl verifies
        r2, s2 = cc.sm2_sign(d, message)
        assert g.verify_with_sm3(f"{r2:064x}{s2:064x}", message), i
        assert not g.verify_with_sm3(f"{r2:064x}{(s2 + 1) % N:064x}", message), i
        # the same k gives the same signature
        k = rng.randrange(1, N)
        e = cc.sm2_e(x, y, message)
        ours = cc.sm2_sign_digest(d, e, k)
        theirs = g.sign(e, f"{k:064x}")
        assert theirs == f"{ours[0]:064x}{ours[1]:064x}", i


# ----------------------------------------------------------------- rejection


def _good() -> tuple[bytes, int, int]:
    return GBT_PUB, GBT_R, GBT_S


@pytest.mark.parametrize("r_s", [
    (0, GBT_S), (GBT_R, 0), (N, GBT_S), (GBT_R, N), (-GBT_R, GBT_S), (GBT_R, GBT_S - N), (GBT_R + N, GBT_S),
    (GBT_R, N - GBT_R),  # (r + s) mod n = 0
    (2**300, GBT_S), (float(GBT_R), GBT_S), (str(GBT_R), GBT_S), (None, GBT_S), (True, GBT_S),
])
def test_verify_rejects_bad_r_s(r_s: tuple[object, object]) -> None:
    assert cc.sm2_verify(GBT_PUB, b"message digest", *r_s) is False  # type: ignore[arg-type]


x_g, y_g = cc.decode_point(GBT_PUB)
BAD_KEYS: list[object] = [
    GBT_PUB[1:],  # no prefix
    GBT_PUB + b"\x00", GBT_PUB[:-1], b"", b"\x04", b"\x00",  # lengths, the infinity octet
    b"\x05" + GBT_PUB[1:], b"\x06" + GBT_PUB[1:], b"\x07" + GBT_PUB[1:],  # wrong and hybrid prefixes
    bytes([2 + (y_g & 1)]) + GBT_PUB[1:33],  # compressed form of the right key
    GBT_PUB[:-1] + bytes([GBT_PUB[-1] ^ 1]),  # off the curve
    b"\x04" + P.to_bytes(32, "big") + GBT_PUB[33:], GBT_PUB[:33] + P.to_bytes(32, "big"),  # x = p, y = p
    cc.encode_point(0, 0), "zz" * 65, "04", GBT_PUB.hex()[:-1], None, 12345, ["04"],
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_verify_rejects_bad_keys(key: object) -> None:
    assert cc.sm2_verify(key, b"message digest", GBT_R, GBT_S) is False  # type: ignore[arg-type]


def test_decode_point_errors_are_clear() -> None:
    with pytest.raises(cc.PointError, match="uncompressed") as err:
        cc.decode_point(bytes([2]) + GBT_PUB[1:33])
    assert "非压缩" in err.value.zh
    with pytest.raises(cc.PointError, match="not a point on the curve"):
        cc.decode_point(GBT_PUB[:-1] + bytes([GBT_PUB[-1] ^ 1]))
    assert cc.decode_point(GBT_PUB[:-1] + bytes([GBT_PUB[-1] ^ 1]), check=False)[0] == x_g
    with pytest.raises(cc.PointError, match="65 octets"):
        cc.decode_point(GBT_PUB[1:])
    with pytest.raises(cc.PointError, match="hexadecimal"):
        cc.decode_point("0x04")
    assert cc.encode_point(*cc.decode_point(GBT_PUB)) == GBT_PUB
    assert cc.on_curve(x_g, y_g) and not cc.on_curve(x_g, y_g + 1) and not cc.on_curve(x_g, y_g + P)


def test_verify_rejects_a_sum_at_infinity_and_bad_messages() -> None:
    # s·G + (r + s)·P = O  <=>  s + (r + s)·d = 0 (mod n): pick r, solve for s
    r = 0x1234567
    s = -r * GBT_D * pow(1 + GBT_D, -1, N) % N
    assert (s + (r + s) * GBT_D) % N == 0
    assert cc.sm2_verify(GBT_PUB, b"anything", r, s) is False
    pub, r0, s0 = _good()
    assert cc.sm2_verify(pub, "message digest", r0, s0) is False  # type: ignore[arg-type]
    assert cc.sm2_verify(pub, None, r0, s0) is False  # type: ignore[arg-type]
    assert cc.sm2_verify(pub, bytearray(b"message digest"), r0, s0) is True
    with pytest.raises(ValueError, match="8191"):
        cc.sm2_verify(pub, b"m", r0, s0, user_id=b"x" * 8192)


def test_sign_rejects_bad_keys_and_nonces() -> None:
    for d in (0, N - 1, N, -1):
        with pytest.raises(cc.SignError):
            cc.sm2_sign(d, b"m", 5)
    for k in (0, N, -3):
        with pytest.raises(cc.SignError, match=r"\[1, n-1\]"):
            cc.sm2_sign(GBT_D, b"m", k)
    # k = 7 with a digest chosen so that r = e + x1 = n - 7, i.e. r + k = n
    x1 = cc.decode_point(cc.sm2_public_key(7))[0]  # x of 7·G
    e = (N - 7 - x1) % N
    with pytest.raises(cc.SignError, match="another k"):
        cc.sm2_sign_digest(GBT_D, e, 7)
    # random k: always valid and verifying
    r, s = cc.sm2_sign(GBT_D, b"m")
    assert cc.sm2_verify(GBT_PUB, b"m", r, s)
    assert cc.sm2_sign(GBT_D, b"m") != (r, s)


def test_der_round_trip_and_forms() -> None:
    der = cc.encode_ecdsa_signature(GBT_R, GBT_S)
    assert der[:5] == bytes.fromhex("3046022100") and cc.decode_ecdsa_signature(der) == (GBT_R, GBT_S)
    assert cc.decode_ecdsa_signature(bytearray(der)) == (GBT_R, GBT_S)
    assert cc.encode_ecdsa_signature(0, 127) == bytes.fromhex("300602010002017f")
    assert cc.encode_ecdsa_signature(1, 128) == bytes.fromhex("300702010102020080")
    big = 2**1100 + 3  # long-form lengths where they are needed
    long_der = cc.encode_ecdsa_signature(big, big)
    assert long_der[1] == 0x82 and cc.decode_ecdsa_signature(long_der) == (big, big)


DER = cc.encode_ecdsa_signature(GBT_R, GBT_S)  # 30 46 | 02 21 00 F5.. | 02 21 00 B1..
R_TLV, S_TLV = DER[2:2 + 35], DER[2 + 35:]
R_BODY = R_TLV[2:]  # 00 F5 ...


def seq(content: bytes) -> bytes:
    return b"\x30" + bytes([len(content)]) + content


BAD_DER = {
    "empty": b"",
    "trailing": DER + b"\x00",
    "truncated": DER[:-1],
    "set tag": b"\x31" + DER[1:],
    "bit string r": DER[:2] + b"\x03" + DER[3:],
    "long form where short is required": b"\x30\x81" + DER[1:],
    "indefinite": b"\x30\x80" + DER[2:] + b"\x00\x00",
    "long-form int length": seq(b"\x02\x81\x21" + R_BODY + S_TLV),
    "length leading zero": b"\x30\x82\x00" + DER[1:],
    "negative r": seq(b"\x02\x20" + R_BODY[1:] + S_TLV),
    "superfluous zero": seq(b"\x02\x22\x00" + R_BODY + S_TLV),
    "zero-length int": seq(b"\x02\x00" + S_TLV),
    "one integer": seq(R_TLV),
    "three integers": seq(R_TLV + S_TLV + b"\x02\x01\x01"),
    "octets inside after s": seq(R_TLV + S_TLV + b"\x00"),
    "seq length too long": bytes([0x30, DER[1] + 1]) + DER[2:],
    "seq length too short": bytes([0x30, DER[1] - 1]) + DER[2:],
}


@pytest.mark.parametrize("name", sorted(BAD_DER))
def test_der_rejects(name: str) -> None:
    with pytest.raises(cc.DERError) as err:
        cc.decode_ecdsa_signature(BAD_DER[name])
    assert isinstance(err.value, ValueError) and err.value.zh


def test_der_rejects_non_octets() -> None:
    with pytest.raises(cc.DERError):
        cc.decode_ecdsa_signature(DER.hex())  # type: ignore[arg-type]
    with pytest.raises(cc.DERError, match="negative"):
        cc.encode_ecdsa_signature(-1, 1)


def test_base64_strict() -> None:
    assert cc.b64decode_strict("AAEC") == b"\x00\x01\x02"
    assert cc.b64decode_strict("") == b""
    assert cc.b64decode_strict(" AA\r\nEC\t", allow_whitespace=True) == b"\x00\x01\x02"
    assert cc.b64decode_strict("AB==") == b"\x00"  # non-canonical pad bits pass unless asked
    for bad, kw in [(" AAEC", {}), ("AAEC\n", {}), ("AAE", {}), ("AA=C", {}), ("A===", {}), ("AA-_", {}),
                    ("", {"allow_empty": False}), ("AB==", {"canonical": True}), ("AAF=", {"canonical": True}),
                    ("AAEC====", {}), ("é", {})]:
        with pytest.raises(cc.Base64Error):
            cc.b64decode_strict(bad, **kw)
    assert cc.b64decode_strict("AA==", canonical=True) == b"\x00"
    with pytest.raises(cc.Base64Error):
        cc.b64decode_strict(b"AAEC")  # type: ignore[arg-type]
    data = bytes(range(256))
    assert cc.b64decode_strict(cc.b64encode(data), canonical=True) == data == base64.b64decode(cc.b64encode(data))


def test_pkcs7() -> None:
    for n in range(0, 40):
        data = bytes(range(n))
        padded = cc.pkcs7_pad(data)
        assert len(padded) % 16 == 0 and 1 <= len(padded) - n <= 16
        assert cc.pkcs7_unpad(padded) == data
    assert cc.pkcs7_unpad(cc.pkcs7_pad(b"abc", 8), 8) == b"abc"
    for bad in (b"", b"a" * 15 + b"\x00", b"a" * 15 + b"\x11", b"a" * 14 + b"\x01\x02", b"a" * 17):
        with pytest.raises(cc.PaddingError):
            cc.pkcs7_unpad(bad)


def test_tables_are_per_curve() -> None:
    # the shared tables are built per curve: signing on one never uses the other's G
    assert sm2_module._tables(SHEN) is not sm2_module._tables(cc.SM2P256V1)
    assert cc.sm2_public_key(5, SHEN) != cc.sm2_public_key(5)
    assert cc.decode_point(cc.sm2_public_key(1, SHEN), SHEN) == (SHEN.gx, SHEN.gy)
    assert cc.decode_point(cc.sm2_public_key(1)) == (cc.SM2P256V1.gx, cc.SM2P256V1.gy)


def test_verify_digest_checks_the_point_itself() -> None:
    e = cc.sm2_e(x_g, y_g, b"message digest")
    assert cc.sm2_verify_digest((x_g, y_g), e, GBT_R, GBT_S)
    assert cc.sm2_verify_digest((x_g, y_g), int.from_bytes(e, "big"), GBT_R, GBT_S)
    for bad in ((x_g, y_g + 1), (x_g,), [x_g, y_g], None, (x_g, -y_g)):
        assert cc.sm2_verify_digest(bad, e, GBT_R, GBT_S) is False  # type: ignore[arg-type]
    assert cc.sm2_verify_digest((x_g, y_g), "e", GBT_R, GBT_S) is False  # type: ignore[arg-type]
