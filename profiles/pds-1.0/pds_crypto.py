"""PDS 1.0 cryptography (§7): SM2-with-SM3 signatures, RSA-SHA256, SM4-CBC, key formats.

The SM2 curve arithmetic is done by the pinned PyPI package ``gmssl`` (3.2.2); all the
rest is here, because gmssl does not do it: the SM3 hashing of Z_A and the message
(GB/T 32918.2 §6.1, SM3 from ``cryptography``), the range check of r and s, the on-curve
check, strict minimal DER (GM/T 0009), and passing public keys without their ``04`` prefix
(gmssl strips leading "04" characters, which would eat digits of x). This module registers
no check; the profile's checks, scenarios, reference peers and tools import it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

NS = "urn:smartcity:port:1.0"


@dataclass(frozen=True)
class Curve:
    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    def table(self) -> dict[str, str]:
        return {"n": f"{self.n:064x}", "p": f"{self.p:064x}", "a": f"{self.a:064x}", "b": f"{self.b:064x}",
                "g": f"{self.gx:064x}{self.gy:064x}"}


#: GB/T 32918.5 recommended 256-bit curve
SM2P256V1 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)
#: PDS 1.0 §7.2: ID = "1234567812345678", ENTL = 0x0080
USER_ID = b"1234567812345678"
SM2_OID_DER = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def split_public(pub: bytes | str) -> tuple[int, int]:
    raw = bytes.fromhex(pub) if isinstance(pub, str) else pub
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("an SM2 public key is 04||x||y (65 octets)")
    return int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")


def on_curve(x: int, y: int, c: Curve = SM2P256V1) -> bool:
    return 0 <= x < c.p and 0 <= y < c.p and (y * y - x * x * x - c.a * x - c.b) % c.p == 0


def z_a(x: int, y: int, user_id: bytes = USER_ID, c: Curve = SM2P256V1) -> bytes:
    """GB/T 32918.2 §5.5: Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA)."""
    entl = (len(user_id) * 8).to_bytes(2, "big")
    return sm3(entl + user_id + b"".join(v.to_bytes(32, "big") for v in (c.a, c.b, c.gx, c.gy, x, y)))


@lru_cache(maxsize=256)
def public_from_private(d: int, c: Curve = SM2P256V1) -> bytes:
    from gmssl.sm2 import CryptSM2

    if not 1 <= d <= c.n - 2:
        raise ValueError("SM2 private key out of range")
    point = CryptSM2(private_key=f"{d:064x}", public_key="0" * 128, ecc_table=c.table())._kg(d, c.table()["g"])
    return b"\x04" + bytes.fromhex(point)


def sm2_sign(d: int, message: bytes, *, k: int | None = None, user_id: bytes = USER_ID,
             c: Curve = SM2P256V1) -> tuple[int, int]:
    """Sign ``message`` (e = SM3(Z_A || M)). Without ``k``, k is derived from d and M
    (HMAC-SM3, in the spirit of RFC 6979), so signatures are reproducible."""
    from gmssl.sm2 import CryptSM2

    x, y = split_public(public_from_private(d, c))
    e = sm3(z_a(x, y, user_id, c) + message)
    signer = CryptSM2(private_key=f"{d:064x}", public_key=f"{x:064x}{y:064x}", ecc_table=c.table())
    counter = 0
    while True:
        kk = k if k is not None else 1 + int.from_bytes(
            hmac.new(d.to_bytes(32, "big"), e + counter.to_bytes(4, "big"), "sha256").digest(), "big") % (c.n - 1)
        out = signer.sign(e, f"{kk:064x}")
        if out is not None:
            r, s = int(out[:64], 16), int(out[64:], 16)
            if 1 <= r < c.n and 1 <= s < c.n:
                return r, s
        if k is not None:
            raise ValueError("choose another k")
        counter += 1


def sm2_verify(pub: bytes | str, message: bytes, r: int, s: int, *, user_id: bytes = USER_ID,
               c: Curve = SM2P256V1) -> bool:
    from gmssl.sm2 import CryptSM2

    try:
        x, y = split_public(pub)
    except ValueError:
        return False
    if not (1 <= r <= c.n - 1 and 1 <= s <= c.n - 1) or not on_curve(x, y, c):
        return False
    e = sm3(z_a(x, y, user_id, c) + message)
    verifier = CryptSM2(private_key=None, public_key=f"{x:064x}{y:064x}", ecc_table=c.table())
    try:
        return bool(verifier.verify(f"{r:064x}{s:064x}", e))
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------- DER (GM/T 0009)


def _der_int(v: int) -> bytes:
    body = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return b"\x02" + bytes([len(body)]) + body


def der_encode(r: int, s: int) -> bytes:
    body = _der_int(r) + _der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def der_decode(data: bytes) -> tuple[int, int]:
    """Minimal DER SEQUENCE { INTEGER r, INTEGER s } and nothing after; ValueError otherwise."""
    if len(data) < 8 or data[0] != 0x30 or data[1] >= 0x80 or data[1] != len(data) - 2:
        raise ValueError("not a minimal DER SEQUENCE spanning the value")
    pos, out = 2, []
    for _ in range(2):
        if pos + 2 > len(data) or data[pos] != 0x02 or data[pos + 1] >= 0x80:
            raise ValueError("expected a DER INTEGER")
        n = data[pos + 1]
        body = data[pos + 2: pos + 2 + n]
        if n == 0 or len(body) != n:
            raise ValueError("truncated INTEGER")
        if body[0] & 0x80:
            raise ValueError("negative INTEGER")
        if n > 1 and body[0] == 0 and not body[1] & 0x80:
            raise ValueError("INTEGER not minimally encoded")
        out.append(int.from_bytes(body, "big"))
        pos += 2 + n
    if pos != len(data):
        raise ValueError("octets after the SEQUENCE")
    return out[0], out[1]


# ----------------------------------------------------------------- base64 (RFC 4648 §4, no whitespace)

_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def b64decode_strict(text: str) -> bytes:
    if not text or not _B64.fullmatch(text):
        raise ValueError("not padded base64 without whitespace")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ----------------------------------------------------------------- keys (§1.4)

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_HEX130 = re.compile(r"04[0-9a-fA-F]{128}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def _pem_der(text: str) -> bytes:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("-----")]
    return base64.b64decode("".join(lines))


def parse_sm2_private(text: str) -> int:
    """64 hex digits or PKCS#8 PEM (curve OID 1.2.156.10197.1.301)."""
    t = text.strip()
    if _HEX64.fullmatch(t):
        return int(t, 16)
    if "PRIVATE KEY" in t:
        der = _pem_der(t)
        if SM2_OID_DER not in der:
            raise ValueError("the PEM key is not on the SM2 curve")
        at = der.find(b"\x02\x01\x01\x04\x20")  # ECPrivateKey: version 1, privateKey OCTET STRING (32)
        if at < 0:
            raise ValueError("no ECPrivateKey in the PKCS#8 structure")
        return int.from_bytes(der[at + 5: at + 37], "big")
    raise ValueError("an SM2 private key is 64 hex digits or PKCS#8 PEM")


def parse_sm2_public(text: str) -> bytes:
    """130 hex digits 04||X||Y or SubjectPublicKeyInfo PEM."""
    t = text.strip()
    if _HEX130.fullmatch(t):
        return bytes.fromhex(t)
    if "PUBLIC KEY" in t:
        der = _pem_der(t)
        if SM2_OID_DER not in der or len(der) < 68 or der[-68:-65] != b"\x03\x42\x00" or der[-65] != 4:
            raise ValueError("not an SM2 SubjectPublicKeyInfo")
        return der[-65:]
    raise ValueError("an SM2 public key is 130 hex digits (04||X||Y) or PEM")


def sm2_public_pem(pub: bytes) -> str:
    alg = bytes.fromhex("301306072a8648ce3d0201") + SM2_OID_DER
    spki_body = alg + b"\x03\x42\x00" + pub
    der = b"\x30" + bytes([len(spki_body)]) + spki_body
    body = base64.b64encode(der).decode()
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        "\n-----END PUBLIC KEY-----\n"


def parse_sm4_key(text: str) -> bytes:
    t = text.strip()
    if not _HEX32.fullmatch(t):
        raise ValueError("an SM4 key is 32 hex digits")
    return bytes.fromhex(t)


def load_rsa_private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def read_key_text(value: str, base: Path | None) -> str:
    """A PIXIT key value: the key itself (hex) or a path (relative to the PIXIT folder)."""
    v = str(value).strip()
    if _HEX64.fullmatch(v) or _HEX130.fullmatch(v) or _HEX32.fullmatch(v) or "-----BEGIN" in v:
        return v
    p = Path(v)
    if not p.is_absolute() and base is not None:
        p = base / p
    return p.read_text(encoding="ascii")


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def rsa_verify(key: rsa.RSAPublicKey, sig: bytes, message: bytes) -> bool:
    try:
        key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


# ----------------------------------------------------------------- signing input (§7.1)


def signing_input(head: Any, body: Any) -> bytes:
    """Exclusive C14N 1.0 without comments of Head, then of Body."""
    return (etree.tostring(head, method="c14n", exclusive=True, with_comments=False)
            + etree.tostring(body, method="c14n", exclusive=True, with_comments=False))


# ----------------------------------------------------------------- SM4-CBC (§7.6)


def pkcs7_pad(data: bytes) -> bytes:
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes) -> bytes:
    if not data or len(data) % 16:
        raise ValueError("length is not a multiple of 16")
    n = data[-1]
    if not 1 <= n <= 16 or data[-n:] != bytes([n]) * n:
        raise ValueError("bad PKCS#7 padding")
    return data[:-n]


def sm4_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    enc = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(pkcs7_pad(plaintext)) + enc.finalize()


def sm4_decrypt(key: bytes, data: bytes) -> bytes:
    """IV || C -> plaintext; ValueError for a wrong length or bad padding (§7.6.3)."""
    if len(data) % 16 or len(data) < 32:
        raise ValueError(f"decoded length {len(data)} is not a multiple of 16 of at least 32")
    dec = Cipher(algorithms.SM4(key), modes.CBC(data[:16])).decryptor()
    return pkcs7_unpad(dec.update(data[16:]) + dec.finalize())


def derived_bytes(seed: str, n: int = 16) -> bytes:
    """Deterministic bytes for reproducible fixtures (never for production IVs)."""
    return hashlib.sha256(seed.encode()).digest()[:n]
