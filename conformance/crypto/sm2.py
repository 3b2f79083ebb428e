"""SM2 digital signatures (GB/T 32918.1/.2/.5-2016, GM/T 0003-2012) in pure Python.

Written for a test harness that *verifies* other systems' signatures, so it aims at
speed and at never misjudging input, not at secrecy:

* **Not constant-time.** Scalar multiplication branches on the scalar's digits and
  tables are indexed by them; timing reveals the scalar. That does not matter for
  verification (everything is public) but does for signing: :func:`sm2_sign` is for
  fixtures, reference peers and tests with TEST-ONLY keys, never for protecting a
  real key.
* **Fast enough.** Jacobian coordinates with mixed (Jacobian + affine) additions and
  one field inversion per result; a per-curve fixed-base table for ``k·G`` (signing,
  public keys); for verification ``u1·G + u2·P`` in one interleaved wNAF pass (width 8
  for ``G`` from a per-curve table, width 5 for ``P`` from a small per-key table that
  is cached). A verification costs about 2 ms in CPython on a current x86-64 core.
* **Verification never raises** on what a peer can send: a malformed public key
  (wrong length or prefix, compressed, off the curve), r or s out of ``[1, n-1]``,
  ``(r + s) mod n = 0``, a sum at infinity, or values of the wrong type all give
  ``False``.

The curve is :data:`SM2P256V1` (GB/T 32918.5) unless a :class:`Curve` is given; other
short-Weierstrass prime curves work as long as their cofactor is 1 (as for sm2p256v1
and the test curve of draft-shen-sm2-ecdsa), which is what makes an on-curve point a
valid public key. The user identity defaults to ``"1234567812345678"`` (GM/T 0009).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from .errors import PointError, SignError
from .sm3 import sm3_hash

__all__ = [
    "DEFAULT_USER_ID",
    "SM2P256V1",
    "Curve",
    "decode_point",
    "encode_point",
    "on_curve",
    "sm2_e",
    "sm2_public_key",
    "sm2_sign",
    "sm2_sign_digest",
    "sm2_verify",
    "sm2_verify_digest",
    "sm2_z_a",
]

#: GM/T 0009 §10 default user identity (ENTL = 0x0080)
DEFAULT_USER_ID = b"1234567812345678"


@dataclass(frozen=True)
class Curve:
    """A short-Weierstrass curve ``y² = x³ + ax + b`` over GF(p) with a base point G of
    prime order n (cofactor 1)."""

    p: int
    a: int
    b: int
    n: int
    gx: int
    gy: int

    @property
    def field_size(self) -> int:
        """Octets of one coordinate (32 for 256-bit curves)."""
        return (self.p.bit_length() + 7) // 8


#: GB/T 32918.5-2017 recommended 256-bit curve (sm2p256v1, OID 1.2.156.10197.1.301)
SM2P256V1 = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
)

# ----------------------------------------------------------------- points

Affine = tuple[int, int]
Jacobian = tuple[int, int, int]  # (X, Y, Z) stands for (X/Z², Y/Z³); Z = 0 is the point at infinity

_INFINITY: Jacobian = (1, 1, 0)


def on_curve(x: int, y: int, curve: Curve = SM2P256V1) -> bool:
    """Whether (x, y) are field elements satisfying the curve equation."""
    p = curve.p
    return (isinstance(x, int) and isinstance(y, int) and 0 <= x < p and 0 <= y < p
            and (y * y - (x * x + curve.a) * x - curve.b) % p == 0)


def decode_point(data: bytes | str, curve: Curve = SM2P256V1, *, check: bool = True) -> Affine:
    """(x, y) from the uncompressed encoding ``04 ‖ x ‖ y`` (octets, or hex text).

    :class:`PointError` for anything else: other lengths, the compressed (02/03) and
    hybrid (06/07) forms, the infinity octet, non-hex text and, with ``check`` (the
    default), a point that is not on the curve.
    """
    size = curve.field_size
    if isinstance(data, str):
        try:
            raw = bytes.fromhex(data)
        except ValueError:
            raise PointError("the public key text is not hexadecimal", "公钥文本不是十六进制") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise PointError(f"a public key is octets or hex text, not {type(data).__name__}",
                         f"公钥应为字节串或十六进制文本，而不是 {type(data).__name__}")
    if raw[:1] in (b"\x02", b"\x03", b"\x06", b"\x07") and len(raw) in (size + 1, 2 * size + 1):
        raise PointError(f"only the uncompressed point form 04||x||y is supported, not prefix {raw[0]:02x}",
                         f"仅支持非压缩点格式 04||x||y，不支持前缀 {raw[0]:02x}")
    if len(raw) != 2 * size + 1 or raw[0] != 4:
        raise PointError(f"an SM2 public key is 04||x||y, {2 * size + 1} octets; got {len(raw)} octets",
                         f"SM2 公钥应为 04||x||y，共 {2 * size + 1} 字节；实际为 {len(raw)} 字节")
    x, y = int.from_bytes(raw[1 : size + 1], "big"), int.from_bytes(raw[size + 1 :], "big")
    if check and not on_curve(x, y, curve):
        raise PointError("the public key is not a point on the curve", "公钥不是曲线上的点")
    return x, y


def encode_point(x: int, y: int, curve: Curve = SM2P256V1) -> bytes:
    """``04 ‖ x ‖ y`` with each coordinate in ``curve.field_size`` octets."""
    size = curve.field_size
    return b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big")


# ----------------------------------------------------------------- field and group arithmetic


def _double(pt: Jacobian, p: int, a: int, a_is_minus_3: bool) -> Jacobian:
    x1, y1, z1 = pt
    if not z1 or not y1:
        return _INFINITY
    yy = y1 * y1 % p
    s = 4 * x1 * yy % p
    zz = z1 * z1 % p
    if a_is_minus_3:  # 3x² - 3z⁴ = 3(x - z²)(x + z²)
        m = 3 * (x1 - zz) * (x1 + zz) % p
    else:
        m = (3 * x1 * x1 + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y1 * z1 % p


def _add_affine(pt: Jacobian, x2: int, y2: int, p: int, a: int, a_is_minus_3: bool) -> Jacobian:
    """pt + (x2, y2), the second point affine and not at infinity."""
    x1, y1, z1 = pt
    if not z1:
        return x2, y2, 1
    zz = z1 * z1 % p
    h = (x2 * zz - x1) % p
    r = (y2 * zz * z1 - y1) % p
    if not h:
        return _double(pt, p, a, a_is_minus_3) if not r else _INFINITY
    hh = h * h % p
    hhh = h * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - y1 * hhh) % p, z1 * h % p


def _to_affine(pt: Jacobian, p: int) -> Affine | None:
    x, y, z = pt
    if not z:
        return None
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return x * zi2 % p, y * zi2 * zi % p


def _to_affine_many(points: list[Jacobian], p: int) -> list[Affine]:
    """Montgomery's trick: one inversion for the lot (none may be at infinity)."""
    prefix = [1] * (len(points) + 1)
    for i, (_, _, z) in enumerate(points):
        prefix[i + 1] = prefix[i] * z % p
    inv = pow(prefix[-1], -1, p)
    out: list[Affine] = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z = points[i]
        zi = inv * prefix[i] % p
        inv = inv * z % p
        zi2 = zi * zi % p
        out[i] = (x * zi2 % p, y * zi2 * zi % p)
    return out


def _odd_multiples(x: int, y: int, count: int, p: int, a: int, a3: bool) -> list[Affine]:
    """[1P, 3P, 5P, ..., (2·count-1)P] in affine form."""
    two = _to_affine(_double((x, y, 1), p, a, a3), p)
    if two is None:
        raise ArithmeticError("2P is at infinity")
    jac: list[Jacobian] = [(x, y, 1)]
    for _ in range(count - 1):
        nxt = _add_affine(jac[-1], two[0], two[1], p, a, a3)
        if not nxt[2]:
            raise ArithmeticError("an odd multiple is at infinity")
        jac.append(nxt)
    return _to_affine_many(jac, p)


def _wnaf(k: int, width: int) -> list[int]:
    """Width-``width`` non-adjacent form of k > 0, least significant digit first."""
    digits: list[int] = []
    full, half = 1 << width, 1 << (width - 1)
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


_G_WNAF_WIDTH = 8  # 64 precomputed points of G: about one addition every 9 bits
_P_WNAF_WIDTH = 5  # 8 points per public key: cheap to build, one addition every 6 bits
_FIXED_WINDOW = 4  # fixed-base table: 64 windows of 15 points


class _CurveTables:
    """Per-curve constants and lazily built tables of multiples of G."""

    def __init__(self, curve: Curve) -> None:
        self.curve = curve
        self.p = curve.p
        self.a = curve.a % curve.p
        self.a3 = self.a == curve.p - 3
        self._g_odd: tuple[list[Affine], list[Affine]] | None = None
        self._g_fixed: list[list[Affine]] | None = None

    def g_odd(self) -> tuple[list[Affine], list[Affine]]:
        """Odd multiples 1G..(2^(w-1)-1)G and their negatives, for the wNAF of u1."""
        if self._g_odd is None:
            c = self.curve
            pos = _odd_multiples(c.gx, c.gy, 1 << (_G_WNAF_WIDTH - 2), self.p, self.a, self.a3)
            self._g_odd = pos, [(x, self.p - y) for x, y in pos]
        return self._g_odd

    def g_fixed(self) -> list[list[Affine]]:
        """Row i holds j·2^(4i)·G for j = 1..15 (affine), enough for any k < 2^bits(n)."""
        if self._g_fixed is None:
            p, a, a3, c = self.p, self.a, self.a3, self.curve
            windows = (c.n.bit_length() + _FIXED_WINDOW - 1) // _FIXED_WINDOW
            per_row = (1 << _FIXED_WINDOW) - 1
            flat: list[Jacobian] = []
            base: Affine = (c.gx, c.gy)
            for _ in range(windows):
                row: list[Jacobian] = [(base[0], base[1], 1)]
                for _ in range(per_row - 1):
                    row.append(_add_affine(row[-1], base[0], base[1], p, a, a3))
                flat.extend(row)
                nxt = _to_affine(_add_affine(row[-1], base[0], base[1], p, a, a3), p)
                assert nxt is not None  # n is prime: no 2^j·G is at infinity
                base = nxt
            aff = _to_affine_many(flat, p)
            self._g_fixed = [aff[i * per_row : (i + 1) * per_row] for i in range(windows)]
        return self._g_fixed

    def mul_g(self, k: int) -> Jacobian:
        """k·G for 0 <= k < 2^bits(n), by the fixed-base table (no doublings)."""
        p, a, a3 = self.p, self.a, self.a3
        acc = _INFINITY
        mask = (1 << _FIXED_WINDOW) - 1
        for row in self.g_fixed():
            j = k & mask
            if j:
                x, y = row[j - 1]
                acc = _add_affine(acc, x, y, p, a, a3)
            k >>= _FIXED_WINDOW
        return acc

    def mul_g_add_mul(self, u1: int, u2: int, pub: tuple[list[Affine], list[Affine]]) -> Jacobian:
        """u1·G + u2·P in one pass of doublings (interleaved wNAF); ``pub`` from :func:`_public_table`."""
        p, a, a3 = self.p, self.a, self.a3
        g_pos, g_neg = self.g_odd()
        p_pos, p_neg = pub
        n1, n2 = _wnaf(u1, _G_WNAF_WIDTH), _wnaf(u2, _P_WNAF_WIDTH)
        n1 += [0] * (len(n2) - len(n1))
        n2 += [0] * (len(n1) - len(n2))
        acc = _INFINITY
        for i in range(len(n1) - 1, -1, -1):
            acc = _double(acc, p, a, a3)
            d = n1[i]
            if d:
                x, y = g_pos[d >> 1] if d > 0 else g_neg[-d >> 1]
                acc = _add_affine(acc, x, y, p, a, a3)
            d = n2[i]
            if d:
                x, y = p_pos[d >> 1] if d > 0 else p_neg[-d >> 1]
                acc = _add_affine(acc, x, y, p, a, a3)
        return acc


_TABLES: dict[Curve, _CurveTables] = {}


def _tables(curve: Curve) -> _CurveTables:
    t = _TABLES.get(curve)
    if t is None:
        t = _TABLES[curve] = _CurveTables(curve)
    return t


@lru_cache(maxsize=512)
def _public_table(x: int, y: int, curve: Curve) -> tuple[list[Affine], list[Affine]]:
    """Odd multiples of a public key and their negatives (cached: peers reuse their keys)."""
    t = _tables(curve)
    pos = _odd_multiples(x, y, 1 << (_P_WNAF_WIDTH - 2), t.p, t.a, t.a3)
    return pos, [(px, t.p - py) for px, py in pos]


# ----------------------------------------------------------------- GB/T 32918.2


def _user_id_bytes(user_id: bytes | str) -> bytes:
    uid = user_id.encode("utf-8") if isinstance(user_id, str) else bytes(user_id)
    if len(uid) * 8 > 0xFFFF:
        raise ValueError("an SM2 user identity is at most 8191 octets (ENTL is 16 bits)")
    return uid


def sm2_z_a(x: int, y: int, user_id: bytes | str = DEFAULT_USER_ID, curve: Curve = SM2P256V1) -> bytes:
    """§5.5: Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)."""
    uid = _user_id_bytes(user_id)
    size = curve.field_size
    values = (curve.a, curve.b, curve.gx, curve.gy, x, y)
    return sm3_hash((len(uid) * 8).to_bytes(2, "big") + uid + b"".join(v.to_bytes(size, "big") for v in values))


def sm2_e(x: int, y: int, message: bytes, user_id: bytes | str = DEFAULT_USER_ID, curve: Curve = SM2P256V1) -> bytes:
    """§6.1 steps A1-A2 (and §7.1 B3-B4): e = SM3(Z_A ‖ M), as 32 octets."""
    return sm3_hash(sm2_z_a(x, y, user_id, curve) + bytes(message))


@lru_cache(maxsize=256)
def sm2_public_key(d: int, curve: Curve = SM2P256V1) -> bytes:
    """The public key ``04 ‖ x ‖ y`` of the private key d (1 <= d <= n-2, GB/T 32918.1 §6.1).
    Cached: fixtures and peers sign many times with one key."""
    if not isinstance(d, int) or not 1 <= d <= curve.n - 2:
        raise SignError("an SM2 private key lies in [1, n-2]", "SM2 私钥应在 [1, n-2] 内")
    t = _tables(curve)
    pt = _to_affine(t.mul_g(d), t.p)
    assert pt is not None  # d < n
    return encode_point(pt[0], pt[1], curve)


def sm2_sign_digest(d: int, e: bytes | int, k: int, curve: Curve = SM2P256V1) -> tuple[int, int]:
    """§6.1 steps A3-A7 for a given digest e and nonce k; :class:`SignError` when d or k is
    out of range or this k gives r = 0, r + k = n or s = 0 (choose another k)."""
    n = curve.n
    if not isinstance(d, int) or not 1 <= d <= n - 2:
        raise SignError("an SM2 private key lies in [1, n-2]", "SM2 私钥应在 [1, n-2] 内")
    if not isinstance(k, int) or not 1 <= k <= n - 1:
        raise SignError("the nonce k lies in [1, n-1]", "随机数 k 应在 [1, n-1] 内")
    e_int = int.from_bytes(e, "big") if isinstance(e, (bytes, bytearray)) else int(e)
    t = _tables(curve)
    pt = _to_affine(t.mul_g(k), t.p)
    assert pt is not None  # k < n
    r = (e_int + pt[0]) % n
    if r == 0 or r + k == n:
        raise SignError("this k gives r = 0 or r + k = n; choose another k", "该 k 使 r = 0 或 r + k = n，请换一个 k")
    s = pow(1 + d, -1, n) * (k - r * d) % n
    if s == 0:
        raise SignError("this k gives s = 0; choose another k", "该 k 使 s = 0，请换一个 k")
    return r, s


def sm2_sign(d: int, message: bytes, k: int | None = None, *, user_id: bytes | str = DEFAULT_USER_ID,
             curve: Curve = SM2P256V1) -> tuple[int, int]:
    """Sign ``message`` (e = SM3(Z_A ‖ M)) with private key d; returns (r, s).

    With ``k`` the signature is reproducible (fixtures, published vectors) and an
    unusable k raises :class:`SignError`; without it k comes from :mod:`secrets` and is
    redrawn as needed. Not constant-time: for TEST-ONLY keys (see the module docstring).
    """
    pub = sm2_public_key(d, curve)
    size = curve.field_size
    x, y = int.from_bytes(pub[1 : size + 1], "big"), int.from_bytes(pub[size + 1 :], "big")
    e = sm2_e(x, y, message, user_id, curve)
    if k is not None:
        return sm2_sign_digest(d, e, k, curve)
    while True:
        try:
            return sm2_sign_digest(d, e, secrets.randbelow(curve.n - 1) + 1, curve)
        except SignError:  # probability about 3/n
            continue


def sm2_verify_digest(public_key: Affine, e: bytes | int, r: int, s: int, curve: Curve = SM2P256V1) -> bool:
    """§7.1 steps B1-B2 and B5-B7 for a digest e (32 octets or an int) and a public point
    (x, y); ``False`` also when the point is not on the curve."""
    n = curve.n
    if type(r) is not int or type(s) is not int or not (1 <= r < n and 1 <= s < n):
        return False
    t_scalar = (r + s) % n
    if t_scalar == 0:
        return False
    e_int = int.from_bytes(e, "big") if isinstance(e, (bytes, bytearray)) else e
    if type(e_int) is not int:
        return False
    if not isinstance(public_key, tuple) or len(public_key) != 2 or not on_curve(*public_key, curve):
        return False
    x, y = public_key
    try:
        table = _public_table(x, y, curve)
    except ArithmeticError:  # a point of small order: impossible on a cofactor-1 curve
        return False
    tables = _tables(curve)
    pt = _to_affine(tables.mul_g_add_mul(s, t_scalar, table), tables.p)
    if pt is None:  # s·G + t·P at infinity
        return False
    return (e_int + pt[0]) % n == r


def sm2_verify(public_key: bytes | str, message: bytes, r: int, s: int, *,
               user_id: bytes | str = DEFAULT_USER_ID, curve: Curve = SM2P256V1) -> bool:
    """Whether (r, s) is an SM2 signature of ``message`` under ``public_key``
    (``04 ‖ x ‖ y`` octets or hex) with the given user identity.

    ``False`` for every kind of bad signature, key or message value; never raises for
    them. (A user identity longer than 8191 octets is a caller's error: ValueError.)
    """
    uid = _user_id_bytes(user_id)
    try:
        x, y = decode_point(public_key, curve)
    except PointError:
        return False
    if not isinstance(message, (bytes, bytearray, memoryview)):
        return False
    return sm2_verify_digest((x, y), sm2_e(x, y, message, uid, curve), r, s, curve)
