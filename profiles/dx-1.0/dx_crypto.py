"""DX 1.0 algorithms: check characters (Annex A), digests, signatures and content
encryption (Annex B, clause 8). Shared by the profile's checks (dx_checks.py) and the
fixture generator (tools/make_fixtures.py); it registers no check itself.

SM2 verification uses the pinned PyPI package ``gmssl`` (see README) for the curve
arithmetic only. Everything around it is done here, because gmssl does not: the SM3
hashing of Z_A and M (``cryptography``'s SM3), the range check of r and s, the
on-curve check of the public key, strict DER decoding, and passing the key without
its ``04`` prefix (gmssl's ``lstrip("04")`` would eat leading 0/4 digits of x).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

DX_NS = "urn:smartcity:dx:1.0"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"

# ----------------------------------------------------------------- Annex A

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def uscc_check_char(first17: str) -> str | None:
    """A.1: the check character for 17 USCC characters, None if one is outside the alphabet."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        return None
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    c = 31 - total % 31
    return USCC_ALPHABET[0 if c == 31 else c]


def uscc_valid(code: str) -> bool:
    return len(code) == 18 and code[17] in USCC_ALPHABET and uscc_check_char(code[:17]) == code[17]


def id_check_char(first17: str) -> str | None:
    """A.2: ISO/IEC 7064 MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        return None
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_valid(code: str) -> bool:
    return len(code) == 18 and id_check_char(code[:17]) == code[17]


# ----------------------------------------------------------------- digests, C14N

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_10_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
C14N_METHODS = {  # uri -> (exclusive, with_comments); what a verifier can compute
    EXC_C14N: (True, False), EXC_C14N_COMMENTS: (True, True),
    C14N_10: (False, False), C14N_10_COMMENTS: (False, True),
}

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SM2_SM3 = "urn:smartcity:dx:alg:sm2-sm3"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SM3 = "urn:smartcity:dx:alg:sm3"

#: Table 8-1: allowed SignatureMethod -> the DigestMethod it pairs with
SUITES = {RSA_SHA256: SHA256, SM2_SM3: SM3}
#: methods a verifier can compute (a disallowed one is still verified, then refused by 8.2.5)
SIGNATURE_KINDS = {RSA_SHA256: ("rsa", "sha256"), RSA_SHA1: ("rsa", "sha1"), SM2_SM3: ("sm2", "sm3")}
DIGESTS = {SHA256: "sha256", SHA1: "sha1", SM3: "sm3"}


def c14n(element: Any, method: str = EXC_C14N) -> bytes:
    exclusive, comments = C14N_METHODS[method]
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=comments)


def sm3_hash(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def digest(name: str, data: bytes) -> bytes:
    if name == "sm3":
        return sm3_hash(data)
    return hashlib.new(name, data).digest()


# ----------------------------------------------------------------- SM2 (Annex B.3)


@dataclass(frozen=True)
class Curve:
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    def gmssl_table(self) -> dict[str, str]:
        return {"n": f"{self.n:064x}", "p": f"{self.p:064x}", "a": f"{self.a:064x}", "b": f"{self.b:064x}",
                "g": f"{self.gx:064x}{self.gy:064x}"}


#: GB/T 32918.5 recommended curve (sm2p256v1)
SM2P256V1 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
SM2_USER_ID = b"1234567812345678"


def sm2_public_xy(pub: bytes | str) -> tuple[int, int]:
    """``04‖x‖y`` (65 octets / 130 hex) -> (x, y); ValueError otherwise."""
    raw = bytes.fromhex(pub) if isinstance(pub, str) else pub
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("an SM2 public key is 04||x||y, 65 octets")
    return int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")


def sm2_on_curve(x: int, y: int, curve: Curve = SM2P256V1) -> bool:
    return 0 <= x < curve.p and 0 <= y < curve.p and (y * y - x * x * x - curve.a * x - curve.b) % curve.p == 0


def sm2_za(x: int, y: int, user_id: bytes = SM2_USER_ID, curve: Curve = SM2P256V1) -> bytes:
    entl = (len(user_id) * 8).to_bytes(2, "big")
    parts = [curve.a, curve.b, curve.gx, curve.gy, x, y]
    return sm3_hash(entl + user_id + b"".join(v.to_bytes(32, "big") for v in parts))


def sm2_e(x: int, y: int, message: bytes, user_id: bytes = SM2_USER_ID, curve: Curve = SM2P256V1) -> bytes:
    return sm3_hash(sm2_za(x, y, user_id, curve) + message)


def sm2_verify(pub: bytes | str, message: bytes, r: int, s: int, *, user_id: bytes = SM2_USER_ID,
               curve: Curve = SM2P256V1) -> bool:
    from gmssl.sm2 import CryptSM2

    try:
        x, y = sm2_public_xy(pub)
    except ValueError:
        return False
    if not (1 <= r <= curve.n - 1 and 1 <= s <= curve.n - 1) or not sm2_on_curve(x, y, curve):
        return False
    e = sm2_e(x, y, message, user_id, curve)
    verifier = CryptSM2(private_key=None, public_key=f"{x:064x}{y:064x}", ecc_table=curve.gmssl_table())
    try:
        return bool(verifier.verify(f"{r:064x}{s:064x}", e))
    except (TypeError, ValueError):  # e.g. the sum is the point at infinity
        return False


def sm2_public_from_private(d: int, curve: Curve = SM2P256V1) -> bytes:
    from gmssl.sm2 import CryptSM2

    point = CryptSM2(private_key=f"{d:064x}", public_key="0" * 128, ecc_table=curve.gmssl_table())._kg(
        d, curve.gmssl_table()["g"])
    return b"\x04" + bytes.fromhex(point)


def sm2_sign(d: int, message: bytes, k: int, *, user_id: bytes = SM2_USER_ID, curve: Curve = SM2P256V1) -> tuple[int, int]:
    """Sender side (fixtures): sign with a caller-chosen k, so fixtures are reproducible."""
    from gmssl.sm2 import CryptSM2

    x, y = sm2_public_xy(sm2_public_from_private(d, curve))
    e = sm2_e(x, y, message, user_id, curve)
    signer = CryptSM2(private_key=f"{d:064x}", public_key=f"{x:064x}{y:064x}", ecc_table=curve.gmssl_table())
    out = signer.sign(e, f"{k:064x}")
    if out is None:
        raise ValueError("choose another k")
    return int(out[:64], 16), int(out[64:], 16)


def _der_int(v: int) -> bytes:
    body = v.to_bytes((v.bit_length() + 8) // 8, "big")  # one spare bit keeps it positive
    return b"\x02" + bytes([len(body)]) + body


def der_encode_rs(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def der_decode_rs(data: bytes) -> tuple[int, int]:
    """Strict minimal DER ``SEQUENCE { INTEGER r, INTEGER s }`` with nothing after; ValueError otherwise."""
    if len(data) < 8 or data[0] != 0x30 or data[1] >= 0x80 or data[1] != len(data) - 2:
        raise ValueError("not a minimal DER SEQUENCE spanning the whole value")
    pos, out = 2, []
    for _ in range(2):
        if pos + 2 > len(data) or data[pos] != 0x02 or data[pos + 1] >= 0x80:
            raise ValueError("expected a DER INTEGER")
        length = data[pos + 1]
        body = data[pos + 2 : pos + 2 + length]
        if length == 0 or len(body) != length:
            raise ValueError("truncated INTEGER")
        if body[0] & 0x80:
            raise ValueError("negative INTEGER")
        if length > 1 and body[0] == 0 and not body[1] & 0x80:
            raise ValueError("INTEGER is not minimally encoded")
        out.append(int.from_bytes(body, "big"))
        pos += 2 + length
    if pos != len(data):
        raise ValueError("octets after the SEQUENCE content")
    return out[0], out[1]


# ----------------------------------------------------------------- RSA


def load_rsa_public(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def rsa_verify(key: rsa.RSAPublicKey, signature: bytes, message: bytes, hash_name: str) -> bool:
    algo = hashes.SHA256() if hash_name == "sha256" else hashes.SHA1()
    try:
        key.verify(signature, message, padding.PKCS1v15(), algo)
        return True
    except InvalidSignature:
        return False


# ----------------------------------------------------------------- base64 (RFC 4648)

_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_XML_WS = re.compile(r"[ \t\r\n]+")


def b64decode_strict(text: str) -> bytes:
    """Padded base64, whitespace ignored; ValueError for anything else."""
    compact = _XML_WS.sub("", text)
    if len(compact) % 4 or not _B64.fullmatch(compact):
        raise ValueError("not padded base64")
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


# ----------------------------------------------------------------- content encryption (8.3, B.4)

CIPHERS = {"SM4-CBC": algorithms.SM4, "AES-128-CBC": algorithms.AES}


def pkcs7_pad(data: bytes) -> bytes:
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes) -> bytes:
    """RFC 5652 §6.3: 1 to 16 octets each equal to the count; ValueError otherwise."""
    if not data or len(data) % 16:
        raise ValueError("length is not a multiple of 16")
    n = data[-1]
    if not 1 <= n <= 16 or data[-n:] != bytes([n]) * n:
        raise ValueError("invalid PKCS#7 padding")
    return data[:-n]


def cbc_encrypt(alg: str, key: bytes, iv: bytes, padded: bytes) -> bytes:
    enc = Cipher(CIPHERS[alg](key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def cbc_decrypt(alg: str, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    dec = Cipher(CIPHERS[alg](key), modes.CBC(iv)).decryptor()
    return dec.update(ciphertext) + dec.finalize()


def records_plaintext(records: list[Any]) -> bytes:
    """B.4: the records' exclusive canonical forms, in order, nothing between."""
    return b"".join(c14n(r) for r in records)
