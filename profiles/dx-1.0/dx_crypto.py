"""DX 1.0 algorithms: check characters (Annex A), digests, signatures and content
encryption (Annex B, clause 8). Shared by the profile's checks (dx_checks.py) and the
fixture generator (tools/make_fixtures.py); it registers no check itself.

SM2, SM3, strict DER, strict base64 and PKCS#7 come from the engine's shared
:mod:`conformance.crypto`; this module keeps the names the profile and its tools use
and the DX choices: XML whitespace is allowed inside base64 values (base64Binary), and
the user ID is GM/T 0009's default 1234567812345678.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from conformance import crypto as cc
# re-exported under the names the profile and its tools use
from conformance.crypto import SM2P256V1 as SM2P256V1
from conformance.crypto import Curve as Curve
from conformance.crypto import pkcs7_pad as pkcs7_pad
from conformance.crypto import pkcs7_unpad as pkcs7_unpad

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


sm3_hash = cc.sm3_hash


def digest(name: str, data: bytes) -> bytes:
    if name == "sm3":
        return sm3_hash(data)
    return hashlib.new(name, data).digest()


# ----------------------------------------------------------------- SM2 (Annex B.3)


SM2_USER_ID = cc.DEFAULT_USER_ID

sm2_on_curve = cc.on_curve
sm2_za = cc.sm2_z_a  # (x, y, user_id, curve) -> Z_A
sm2_e = cc.sm2_e  # (x, y, message, user_id, curve) -> e = SM3(Z_A || M)
#: (pub, message, r, s, *, user_id, curve) -> bool; False for any bad key, signature or message
sm2_verify = cc.sm2_verify
sm2_public_from_private = cc.sm2_public_key  # d -> 04||x||y
#: sender side (fixtures): (d, message, k) -> (r, s); a caller-chosen k keeps fixtures reproducible
sm2_sign = cc.sm2_sign
der_encode_rs = cc.encode_ecdsa_signature
#: strict minimal DER SEQUENCE { INTEGER r, INTEGER s } with nothing after; ValueError otherwise
der_decode_rs = cc.decode_ecdsa_signature


def sm2_public_xy(pub: bytes | str) -> tuple[int, int]:
    """``04‖x‖y`` (65 octets / 130 hex) -> (x, y); ValueError otherwise (the curve is not checked)."""
    return cc.decode_point(pub, check=False)


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


def b64decode_strict(text: str) -> bytes:
    """Padded base64, XML whitespace ignored; ValueError for anything else."""
    return cc.b64decode_strict(text, allow_whitespace=True)


# ----------------------------------------------------------------- content encryption (8.3, B.4)

CIPHERS = {"SM4-CBC": algorithms.SM4, "AES-128-CBC": algorithms.AES}


def cbc_encrypt(alg: str, key: bytes, iv: bytes, padded: bytes) -> bytes:
    enc = Cipher(CIPHERS[alg](key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def cbc_decrypt(alg: str, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    dec = Cipher(CIPHERS[alg](key), modes.CBC(iv)).decryptor()
    return dec.update(ciphertext) + dec.finalize()


def records_plaintext(records: list[Any]) -> bytes:
    """B.4: the records' exclusive canonical forms, in order, nothing between."""
    return b"".join(c14n(r) for r in records)
