"""The error types of :mod:`conformance.crypto`.

Every error is a :class:`ValueError` (callers that catch ``ValueError`` keep working) and
carries its message in English (``str(exc)``, ``exc.en``) and in Chinese (``exc.zh``), so a
check can put either into a finding without translating.
"""

from __future__ import annotations

__all__ = ["Base64Error", "CryptoError", "DERError", "PaddingError", "PointError", "SignError"]


class CryptoError(ValueError):
    """Base class: malformed cryptographic input or an unusable parameter."""

    def __init__(self, en: str, zh: str | None = None) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh if zh is not None else en


class DERError(CryptoError):
    """Not a strict, minimal DER encoding of the expected structure."""


class PointError(CryptoError):
    """Not an uncompressed encoding of a point on the curve."""


class Base64Error(CryptoError):
    """Not strict base64 (RFC 4648 §4)."""


class PaddingError(CryptoError):
    """Not valid PKCS#7 padding (RFC 5652 §6.3), or a length that is not whole blocks."""


class SignError(CryptoError):
    """A signature cannot be made with the given private key or nonce."""
