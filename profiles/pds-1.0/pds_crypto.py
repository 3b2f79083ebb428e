"""PDS 1.0 cryptography (§7): SM2-with-SM3 signatures, RSA-SHA256, SM4-CBC, key formats.

SM2, SM3, SM4, strict minimal DER (GM/T 0009), strict base64 and PKCS#7 come from the
engine's shared :mod:`conformance.crypto`; this module keeps the names the profile
uses and adds what is PDS's own: the derived signing nonce, IV-prefixed SM4-CBC bodies,
base64 without whitespace, the key formats of §1.4. It registers no check; the
profile's checks, scenarios, reference peers and tools import it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from conformance import crypto as cc
# re-exported under the names the profile and its tools use
from conformance.crypto import SM2P256V1 as SM2P256V1
from conformance.crypto import Curve as Curve
from conformance.crypto import pkcs7_pad as pkcs7_pad
from conformance.crypto import pkcs7_unpad as pkcs7_unpad
from conformance.crypto.der import encode_integer

NS = "urn:smartcity:port:1.0"

#: PDS 1.0 §7.2: ID = "1234567812345678", ENTL = 0x0080
USER_ID = b"1234567812345678"
SM2_OID_DER = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301


sm3 = cc.sm3_hash
on_curve = cc.on_curve  # (x, y, curve) -> bool
z_a = cc.sm2_z_a  # GB/T 32918.2 §5.5: (x, y, user_id, curve) -> Z_A
#: (pub, message, r, s, *, user_id, curve) -> bool; False for any bad key, signature or message
sm2_verify = cc.sm2_verify
der_encode = cc.encode_ecdsa_signature
#: minimal DER SEQUENCE { INTEGER r, INTEGER s } and nothing after; ValueError otherwise
der_decode = cc.decode_ecdsa_signature
_der_int = encode_integer  # the tools build non-minimal encodings from it


def split_public(pub: bytes | str) -> tuple[int, int]:
    """``04||x||y`` -> (x, y); ValueError otherwise (the curve is not checked)."""
    return cc.decode_point(pub, check=False)


def public_from_private(d: int, c: Curve = SM2P256V1) -> bytes:
    """04||x||y of the private key d; ValueError outside [1, n-2]."""
    return cc.sm2_public_key(d, c)


def sm2_sign(d: int, message: bytes, *, k: int | None = None, user_id: bytes = USER_ID,
             c: Curve = SM2P256V1) -> tuple[int, int]:
    """Sign ``message`` (e = SM3(Z_A || M)). Without ``k``, k is derived from d and M
    (HMAC-SHA256, in the spirit of RFC 6979), so signatures are reproducible."""
    x, y = split_public(public_from_private(d, c))
    e = cc.sm2_e(x, y, message, user_id, c)
    if k is not None:
        return cc.sm2_sign_digest(d, e, k, c)
    counter = 0
    while True:
        kk = 1 + int.from_bytes(
            hmac.new(d.to_bytes(32, "big"), e + counter.to_bytes(4, "big"), "sha256").digest(), "big") % (c.n - 1)
        try:
            return cc.sm2_sign_digest(d, e, kk, c)
        except cc.SignError:
            counter += 1


# ----------------------------------------------------------------- base64 (RFC 4648 §4, no whitespace)

def b64decode_strict(text: str) -> bytes:
    """Padded base64, not empty, no whitespace; ValueError otherwise."""
    return cc.b64decode_strict(text, allow_empty=False)


b64 = cc.b64encode


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


@lru_cache(maxsize=16)
def load_rsa_private(pem: str) -> rsa.RSAPrivateKey:
    """Cached per PEM text: OpenSSL checks the key's consistency on every load (tens of ms),
    and every live run reads the same PIXIT keys again; key objects are immutable."""
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


def sm4_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    """IV || SM4-CBC(PKCS#7(plaintext))."""
    return iv + cc.sm4_cbc_encrypt(key, iv, pkcs7_pad(plaintext))


def sm4_decrypt(key: bytes, data: bytes) -> bytes:
    """IV || C -> plaintext; ValueError for a wrong length or bad padding (§7.6.3)."""
    if len(data) % 16 or len(data) < 32:
        raise ValueError(f"decoded length {len(data)} is not a multiple of 16 of at least 32")
    return pkcs7_unpad(cc.sm4_cbc_decrypt(key, data[:16], data[16:]))


def derived_bytes(seed: str, n: int = 16) -> bytes:
    """Deterministic bytes for reproducible fixtures (never for production IVs)."""
    return hashlib.sha256(seed.encode()).digest()[:n]
