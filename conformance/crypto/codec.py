"""Strict base64 (RFC 4648 §4) and PKCS#7 padding (RFC 5652 §6.3)."""

from __future__ import annotations

import base64
import binascii
import re

from .errors import Base64Error, PaddingError

__all__ = ["b64decode_strict", "b64encode", "pkcs7_pad", "pkcs7_unpad"]

_B64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
#: the whitespace XML Schema's base64Binary lets appear between characters
_XML_WS = re.compile(r"[ \t\r\n]+")
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64encode(data: bytes) -> str:
    """Padded base64 text without line breaks."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str, *, allow_whitespace: bool = False, allow_empty: bool = True,
                     canonical: bool = False) -> bytes:
    """Decode padded base64 from the standard alphabet; :class:`Base64Error` otherwise.

    ``allow_whitespace`` drops XML whitespace (space, tab, CR, LF) first, as base64Binary
    content may carry it; ``allow_empty=False`` refuses an empty value; ``canonical``
    also refuses non-zero pad bits in the last character (RFC 4648 §3.5), so that only
    one text decodes to given octets.
    """
    if not isinstance(text, str):
        raise Base64Error(f"expected text, not {type(text).__name__}", f"应为文本，而不是 {type(text).__name__}")
    compact = _XML_WS.sub("", text) if allow_whitespace else text
    if not compact and not allow_empty:
        raise Base64Error("empty base64 value", "base64 值为空")
    if not _B64.fullmatch(compact):
        how_en = "padded base64" if allow_whitespace else "padded base64 without whitespace"
        how_zh = "带填充的 base64" if allow_whitespace else "不含空白的带填充 base64"
        raise Base64Error(f"not {how_en}", f"不是{how_zh}")
    if canonical and compact.endswith("="):
        last = _B64_ALPHABET.index(compact.rstrip("=")[-1])
        spare = 0x0F if compact.endswith("==") else 0x03
        if last & spare:
            raise Base64Error("non-zero pad bits in the last base64 character (not canonical)",
                              "base64 最后一个字符的填充位不为 0（非规范编码）")
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:  # the pattern above should leave nothing for this
        raise Base64Error(f"not base64: {exc}", f"不是 base64：{exc}") from None


def pkcs7_pad(data: bytes, block_size: int = 16) -> bytes:
    """Append 1 to ``block_size`` octets, each equal to their count."""
    n = block_size - len(data) % block_size
    return bytes(data) + bytes([n]) * n


def pkcs7_unpad(data: bytes, block_size: int = 16) -> bytes:
    """Remove PKCS#7 padding; :class:`PaddingError` for a length that is not whole blocks or
    for bad padding."""
    if not data or len(data) % block_size:
        raise PaddingError(f"length {len(data)} is not a positive multiple of {block_size}",
                           f"长度 {len(data)} 不是 {block_size} 的正整数倍")
    n = data[-1]
    if not 1 <= n <= block_size or data[-n:] != bytes([n]) * n:
        raise PaddingError("invalid PKCS#7 padding", "PKCS#7 填充无效")
    return bytes(data[:-n])
