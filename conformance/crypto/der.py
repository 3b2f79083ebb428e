"""Strict DER for the signature value ``ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }``
(SEC 1 §C.8, GM/T 0009 §7.3 for SM2).

The decoder accepts exactly the distinguished encoding: the SEQUENCE tag, a minimal
length (the short form below 128, the long form only where it is needed, never
indefinite), two non-negative minimally encoded INTEGERs, and nothing after the
SEQUENCE. Anything else raises :class:`~conformance.crypto.errors.DERError` (a
``ValueError``) naming what is wrong; no other exception escapes, whatever the input.
Ranges (``1 <= r, s < n``) are the signature scheme's business, not DER's.
"""

from __future__ import annotations

from .errors import DERError

__all__ = ["decode_ecdsa_signature", "encode_ecdsa_signature", "encode_integer"]

_SEQUENCE = 0x30
_INTEGER = 0x02


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_integer(v: int) -> bytes:
    """DER INTEGER of a non-negative v (tag, length, minimal content octets)."""
    if v < 0:
        raise DERError("an ECDSA-Sig-Value holds non-negative integers", "ECDSA-Sig-Value 中的整数不能为负")
    body = v.to_bytes(v.bit_length() // 8 + 1, "big")  # one spare bit keeps the sign bit clear
    return bytes([_INTEGER]) + _encode_length(len(body)) + body


def encode_ecdsa_signature(r: int, s: int) -> bytes:
    """DER ``SEQUENCE { INTEGER r, INTEGER s }``."""
    body = encode_integer(r) + encode_integer(s)
    return bytes([_SEQUENCE]) + _encode_length(len(body)) + body


def _read_header(data: bytes, pos: int, tag: int, what_en: str, what_zh: str) -> tuple[int, int]:
    """The content's (start, length) of the TLV at ``pos``, checked to lie inside ``data``."""
    if pos >= len(data):
        raise DERError(f"truncated: the {what_en} is missing", f"数据被截断：缺少{what_zh}")
    if data[pos] != tag:
        raise DERError(f"expected the {what_en} (tag 0x{tag:02x}) at octet {pos}, found 0x{data[pos]:02x}",
                       f"第 {pos} 字节处应为{what_zh}（标签 0x{tag:02x}），实际为 0x{data[pos]:02x}")
    if pos + 1 >= len(data):
        raise DERError(f"truncated: the {what_en} has no length", f"数据被截断：{what_zh}没有长度")
    first = data[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise DERError(f"the {what_en} has an indefinite length (BER, not DER)", f"{what_zh}使用了不定长度（BER，不是 DER）")
    else:
        count = first & 0x7F
        raw = data[start : start + count]
        if len(raw) != count:
            raise DERError(f"truncated: the length of the {what_en}", f"数据被截断：{what_zh}的长度")
        if raw[0] == 0:
            raise DERError(f"the length of the {what_en} has a leading zero octet (not minimal)",
                           f"{what_zh}的长度以 0 字节开头（非最小编码）")
        length = int.from_bytes(raw, "big")
        if length < 0x80:
            raise DERError(f"the {what_en} uses the long length form for {length} octets where DER requires the short form",
                           f"{what_zh}的长度 {length} 应使用短格式，却使用了长格式")
        start += count
    if start + length > len(data):
        raise DERError(f"truncated: the {what_en} announces {length} octets, {len(data) - start} remain",
                       f"数据被截断：{what_zh}声明 {length} 字节，仅剩 {len(data) - start} 字节")
    return start, length


def _read_integer(data: bytes, pos: int, name: str) -> tuple[int, int]:
    start, length = _read_header(data, pos, _INTEGER, f"INTEGER {name}", f"整数 {name}")
    body = data[start : start + length]
    if length == 0:
        raise DERError(f"INTEGER {name} has no content octets", f"整数 {name} 没有内容字节")
    if body[0] & 0x80:
        raise DERError(f"INTEGER {name} is negative", f"整数 {name} 为负数")
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        raise DERError(f"INTEGER {name} is not minimally encoded (a superfluous leading zero octet)",
                       f"整数 {name} 不是最小编码（多余的前导 0 字节）")
    return int.from_bytes(body, "big"), start + length


def decode_ecdsa_signature(data: bytes) -> tuple[int, int]:
    """(r, s) from a strict DER ECDSA-Sig-Value; :class:`DERError` for anything else."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DERError(f"expected octets, not {type(data).__name__}", f"应为字节串，而不是 {type(data).__name__}")
    data = bytes(data)
    start, length = _read_header(data, 0, _SEQUENCE, "SEQUENCE", "SEQUENCE")
    end = start + length
    if end != len(data):
        raise DERError(f"{len(data) - end} octet(s) after the SEQUENCE", f"SEQUENCE 之后多出 {len(data) - end} 个字节")
    content = data[:end]
    r, pos = _read_integer(content, start, "r")
    s, pos = _read_integer(content, pos, "s")
    if pos != end:
        raise DERError(f"{end - pos} octet(s) after INTEGER s inside the SEQUENCE", f"SEQUENCE 内整数 s 之后多出 {end - pos} 个字节")
    return r, s
