"""SM3 cryptographic hash (GB/T 32905-2016, GM/T 0004-2012).

:func:`sm3_hash` uses OpenSSL through :mod:`hashlib` when the linked OpenSSL provides
``sm3`` (OpenSSL 1.1.1 and later normally do) and falls back to :func:`sm3_hash_pure`, a
straightforward pure-Python implementation written from the standard's description, when
it does not. Both give the same digests; the tests check both paths against the
standard's examples.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

__all__ = ["DIGEST_SIZE", "HASHLIB_SM3", "sm3_hash", "sm3_hash_pure"]

DIGEST_SIZE = 32

_MASK = 0xFFFFFFFF
_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


#: T_j <<< j, precomputed for the 64 rounds (§4.2 and §5.3.3)
_T_ROT = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))


def _compress(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
        w.append((x ^ _rotl(x, 15) ^ _rotl(x, 23)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rotl(a, 12)
        ss1 = _rotl((a12 + e + _T_ROT[j]) & _MASK, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        d, c, b, a = c, _rotl(b, 9), a, tt1
        h, g, f = g, _rotl(f, 19), e
        e = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
    return tuple(x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h)))


def sm3_hash_pure(data: bytes) -> bytes:
    """SM3 of ``data`` in pure Python (slow: for platforms whose OpenSSL lacks SM3)."""
    data = bytes(data)
    bit_length = len(data) * 8
    padded = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + bit_length.to_bytes(8, "big")
    v: tuple[int, ...] = _IV
    for i in range(0, len(padded), 64):
        v = _compress(v, padded[i : i + 64])
    return struct.pack(">8I", *v)


def _hashlib_sm3() -> Callable[[bytes], bytes] | None:
    try:
        proto = hashlib.new("sm3")
    except ValueError:  # this OpenSSL has no SM3 (or it is disabled by policy)
        return None

    def digest(data: bytes) -> bytes:
        h = proto.copy()
        h.update(data)
        return h.digest()

    # a provider that answers but computes something else would be worse than none
    return digest if digest(b"abc").hex().startswith("66c7f0f4") else None


_OPENSSL = _hashlib_sm3()

#: True when :func:`sm3_hash` runs in OpenSSL (through hashlib)
HASHLIB_SM3: bool = _OPENSSL is not None

#: SM3 of ``data`` (32 octets): OpenSSL when available, else :func:`sm3_hash_pure`
sm3_hash: Callable[[bytes], bytes] = _OPENSSL or sm3_hash_pure
