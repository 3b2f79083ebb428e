"""Signed run records: lab keys, a signed manifest inside the record, verification.

Decisions (see README, "Lab workflow"):

- The signature is stored **in** the record, as ``signature`` (so one file travels). It
  covers a *manifest*, not the raw file: the record without ``signature`` is put in a
  canonical form (RFC 8785-style JSON canonicalisation: keys sorted by UTF-16 code units,
  no whitespace, ES6 number form, UTF-8) and hashed (``record_sha256``), and so is every
  top-level section, every requirement (by id, with its signed verdict) and every
  exchange. Verification can therefore name what was altered after signing
  ("requirements[DX-4.1].verdict changed: signed fail, now pass").
- What is signed is the canonical form of ``{alg, key_id, signed_at, signer, manifest}``.
- Ed25519 (``cryptography``); SM2 with SM3 (GB/T 32918.2, user ID ``1234567812345678``;
  :mod:`conformance.crypto.sm2`), signature value r‖s.
- ``key_id`` is the sha256 of the public key: of its DER SubjectPublicKeyInfo for Ed25519,
  of the uncompressed point ``04‖x‖y`` for SM2. The public key travels in the block too,
  so a record can be checked without the key file, but only ``--key`` proves *whose* it is.
- Key files: Ed25519 as PKCS#8 / SubjectPublicKeyInfo PEM; SM2 as small JSON documents
  ``{"kty": "EC", "crv": "SM2", "x", "y"[, "d"]}`` with hex coordinates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .crypto import sm2
from .errors import UsageError
from .i18n import Text, text

CANONICALIZATION = "jcs-rfc8785"
ALGS = ("ed25519", "sm2")
SIG_ALG = {"ed25519": "ed25519", "sm2": "sm2-sm3"}
SM2_USER_ID = b"1234567812345678"

# the order of the SM2 curve (GB/T 32918.5), for key generation
_SM2_N = sm2.SM2P256V1.n


# --------------------------------------------------------------------------- canonical JSON


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("NaN and infinity have no canonical JSON form")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(repr(value)), "f")
    mantissa, _, exponent = repr(value).partition("e")
    exp = int(exponent)
    return f"{mantissa}e{'+' if exp > 0 else '-'}{abs(exp)}"


def _canon(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        keys = sorted((str(k) for k in value), key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        items = {str(k): v for k, v in value.items()}
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_canon(items[k])}" for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canon(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def canonical(value: Any) -> bytes:
    """RFC 8785-style canonical JSON bytes of ``value``."""
    return _canon(value).encode("utf-8", "surrogatepass")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def unsigned(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "signature"}


def record_digest(record: dict[str, Any]) -> str:
    """sha256 of the canonical record without its signature block."""
    return sha256_hex(canonical(unsigned(record)))


def manifest(record: dict[str, Any]) -> dict[str, Any]:
    """Digests of the record, of each top-level section, requirement and exchange."""
    body = unsigned(record)
    out: dict[str, Any] = {
        "canonicalization": CANONICALIZATION,
        "record_sha256": sha256_hex(canonical(body)),
        "sections": {k: sha256_hex(canonical(v)) for k, v in body.items()},
        "requirements": {
            str(r.get("id")): {"verdict": r.get("verdict"), "waived": bool(r.get("waived", False)),
                               "sha256": sha256_hex(canonical(r))}
            for r in body.get("requirements") or [] if isinstance(r, dict)
        },
        "summary": {k: (body.get("summary") or {}).get(k) for k in ("conformant", "exit_code")},
    }
    if "exchanges" in body:
        out["exchanges"] = [sha256_hex(canonical(e)) for e in body.get("exchanges") or []]
    return out


# --------------------------------------------------------------------------- keys


@dataclass
class PublicKey:
    alg: str  # "ed25519" | "sm2"
    ed25519: Ed25519PublicKey | None = None
    sm2_xy: str = ""  # 128 hex digits, x‖y

    @property
    def raw(self) -> bytes:
        if self.alg == "ed25519":
            assert self.ed25519 is not None
            return self.ed25519.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return bytes.fromhex("04" + self.sm2_xy)

    @property
    def key_id(self) -> str:
        return sha256_hex(self.raw)

    def to_text(self) -> str:
        if self.alg == "ed25519":
            assert self.ed25519 is not None
            return self.ed25519.public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return "04" + self.sm2_xy

    def verify(self, signature: bytes, message: bytes) -> bool:
        if self.alg == "ed25519":
            assert self.ed25519 is not None
            try:
                self.ed25519.verify(signature, message)
                return True
            except InvalidSignature:
                return False
        if len(signature) != 64:
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        return sm2.sm2_verify(self.raw, message, r, s, user_id=SM2_USER_ID)


@dataclass
class PrivateKey:
    alg: str
    ed25519: Ed25519PrivateKey | None = None
    sm2_d: str = ""
    public: PublicKey = field(default_factory=lambda: PublicKey("ed25519"))

    def sign(self, message: bytes) -> bytes:
        if self.alg == "ed25519":
            assert self.ed25519 is not None
            return self.ed25519.sign(message)
        r, s = sm2.sm2_sign(int(self.sm2_d, 16), message, user_id=SM2_USER_ID)  # random k
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _sm2_public_from_private(d_hex: str) -> str:
    return sm2.sm2_public_key(int(d_hex, 16))[1:].hex()


def generate_key(alg: str) -> PrivateKey:
    if alg == "ed25519":
        priv = Ed25519PrivateKey.generate()
        return PrivateKey("ed25519", ed25519=priv, public=PublicKey("ed25519", ed25519=priv.public_key()))
    if alg == "sm2":
        d = f"{secrets.randbelow(_SM2_N - 2) + 1:064x}"
        return PrivateKey("sm2", sm2_d=d, public=PublicKey("sm2", sm2_xy=_sm2_public_from_private(d)))
    raise UsageError(text(f"不支持的算法：{alg}", f"unsupported algorithm: {alg}"))


def write_key_pair(key: PrivateKey, out_dir: str | Path, name: str = "lab", *, force: bool = False) -> tuple[Path, Path]:
    """Write ``<name>-<alg>.key`` (mode 0600) and ``<name>-<alg>.pub`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    priv_path, pub_path = out / f"{name}-{key.alg}.key", out / f"{name}-{key.alg}.pub"
    for p in (priv_path, pub_path):
        if p.exists() and not force:
            raise UsageError(text(f"文件已存在（用 --force 覆盖）：{p}", f"file exists (use --force to overwrite): {p}"))
    if key.alg == "ed25519":
        assert key.ed25519 is not None
        priv = key.ed25519.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        pub = key.public.to_text().encode()
    else:
        xy = key.public.sm2_xy
        priv = (json.dumps({"kty": "EC", "crv": "SM2", "x": xy[:64], "y": xy[64:], "d": key.sm2_d}, indent=1) + "\n").encode()
        pub = (json.dumps({"kty": "EC", "crv": "SM2", "x": xy[:64], "y": xy[64:]}, indent=1) + "\n").encode()
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(priv)
    pub_path.write_bytes(pub)
    return priv_path, pub_path


def _bad_key(path: str, why: str) -> UsageError:
    return UsageError(text(f"无法读取密钥：{why}", f"cannot read the key: {why}"), file=path)


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(text("密钥文件不存在", "key file not found"), file=str(path)) from None
    except OSError as exc:
        raise _bad_key(str(path), str(exc)) from None


def _sm2_json(data: bytes, path: str) -> dict[str, str]:
    try:
        obj = json.loads(data.decode("utf-8"))
        if obj.get("crv") != "SM2":
            raise ValueError("crv is not SM2")
        x, y = str(obj["x"]).lower(), str(obj["y"]).lower()
        int(x + y, 16)
        if len(x) != 64 or len(y) != 64:
            raise ValueError("x and y are 64 hex digits each")
        if obj.get("d") is not None:
            int(str(obj["d"]), 16)
        return {"xy": x + y, "d": str(obj.get("d") or "").lower()}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise _bad_key(path, f"not an SM2 key file ({exc})") from None


def _sm2_on_curve(xy: str) -> bool:
    return sm2.on_curve(int(xy[:64], 16), int(xy[64:], 16))


def load_private_key(path: str | Path) -> PrivateKey:
    data = _read(path)
    if data.lstrip().startswith(b"{"):
        k = _sm2_json(data, str(path))
        if not k["d"]:
            raise _bad_key(str(path), "this is a public key; signing needs the private key (.key)")
        return PrivateKey("sm2", sm2_d=k["d"], public=PublicKey("sm2", sm2_xy=k["xy"]))
    try:
        priv = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise _bad_key(str(path), f"not a PEM private key ({exc})") from None
    if not isinstance(priv, Ed25519PrivateKey):
        raise _bad_key(str(path), "only Ed25519 and SM2 keys are supported")
    return PrivateKey("ed25519", ed25519=priv, public=PublicKey("ed25519", ed25519=priv.public_key()))


def parse_public_key(data: bytes, source: str = "<key>") -> PublicKey:
    stripped = data.strip()
    if stripped.startswith(b"{"):
        return PublicKey("sm2", sm2_xy=_sm2_json(stripped, source)["xy"])
    if stripped.startswith(b"04") and len(stripped) == 130:
        try:
            int(stripped, 16)
            return PublicKey("sm2", sm2_xy=stripped[2:].decode().lower())
        except ValueError:
            pass
    try:
        if b"PRIVATE KEY" in stripped:
            priv = serialization.load_pem_private_key(stripped, password=None)
            pub: Any = priv.public_key()
        else:
            pub = serialization.load_pem_public_key(stripped)
    except (ValueError, TypeError) as exc:
        raise _bad_key(source, f"not a public key ({exc})") from None
    if not isinstance(pub, Ed25519PublicKey):
        raise _bad_key(source, "only Ed25519 and SM2 keys are supported")
    return PublicKey("ed25519", ed25519=pub)


def load_public_key(path: str | Path) -> PublicKey:
    return parse_public_key(_read(path), str(path))


# --------------------------------------------------------------------------- sign / verify


def _payload(block: dict[str, Any]) -> bytes:
    return canonical({k: block.get(k) for k in ("alg", "key_id", "signed_at", "signer", "manifest")})


def sign_record(record: dict[str, Any], key: PrivateKey, *, signer: str | None = None,
                signed_at: datetime | None = None) -> dict[str, Any]:
    """Add (or replace) the record's ``signature`` block; returns the record."""
    when = (signed_at or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds")
    block: dict[str, Any] = {"alg": SIG_ALG[key.alg], "key_id": key.public.key_id, "signed_at": when,
                             "signer": signer or "", "manifest": manifest(record)}
    block["value"] = base64.b64encode(key.sign(_payload(block))).decode()
    block["public_key"] = key.public.to_text()
    record["signature"] = block
    return record


@dataclass
class Verification:
    """What ``report verify`` found: ``problems`` make it fail, ``notes`` do not."""

    status: str = "unsigned"  # "valid" | "invalid" | "unsigned"
    key_id: str = ""
    signer: str = ""
    signed_at: str = ""
    pinned: bool = False
    problems: list[Text] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.status == "valid"


def _compare_manifest(signed: dict[str, Any], now: dict[str, Any], out: list[Text]) -> None:
    s_sec, n_sec = signed.get("sections") or {}, now.get("sections") or {}
    for name in sorted(set(s_sec) | set(n_sec)):
        if name not in n_sec:
            out.append(text(f"节 {name} 在签名后被删除", f"section '{name}' was removed after signing"))
        elif name not in s_sec:
            out.append(text(f"节 {name} 在签名后被添加", f"section '{name}' was added after signing"))
        elif s_sec[name] != n_sec[name] and name not in ("requirements", "exchanges", "summary"):
            out.append(text(f"节 {name} 在签名后被修改", f"section '{name}' changed after signing"))
    s_req, n_req = signed.get("requirements") or {}, now.get("requirements") or {}
    if s_sec.get("requirements") != n_sec.get("requirements"):
        named = False
        for rid in list(s_req) + [r for r in n_req if r not in s_req]:
            a, b = s_req.get(rid), n_req.get(rid)
            if b is None:
                out.append(text(f"requirements[{rid}] 被删除", f"requirements[{rid}] was removed"))
            elif a is None:
                out.append(text(f"requirements[{rid}] 被添加", f"requirements[{rid}] was added"))
            elif a.get("sha256") != b.get("sha256"):
                named = True
                what = []
                if a.get("verdict") != b.get("verdict"):
                    what.append(text(f"requirements[{rid}].verdict 被修改：签名时为 {a.get('verdict')}，现为 {b.get('verdict')}",
                                     f"requirements[{rid}].verdict changed: signed {a.get('verdict')}, now {b.get('verdict')}"))
                if a.get("waived") != b.get("waived"):
                    what.append(text(f"requirements[{rid}].waived 被修改：签名时为 {a.get('waived')}，现为 {b.get('waived')}",
                                     f"requirements[{rid}].waived changed: signed {a.get('waived')}, now {b.get('waived')}"))
                out.extend(what or [text(f"requirements[{rid}] 被修改（结论未变：发现、文本或证据）",
                                         f"requirements[{rid}] changed (same verdict: findings, text or evidence)")])
        if not named and list(s_req) == list(n_req):
            out.append(text("requirements 的顺序被修改", "the order of requirements changed"))
    if s_sec.get("summary") != n_sec.get("summary"):
        s_sum, n_sum = signed.get("summary") or {}, now.get("summary") or {}
        diffs = [k for k in ("conformant", "exit_code") if s_sum.get(k) != n_sum.get(k)]
        for k in diffs:
            out.append(text(f"summary.{k} 被修改：签名时为 {s_sum.get(k)}，现为 {n_sum.get(k)}",
                            f"summary.{k} changed: signed {s_sum.get(k)}, now {n_sum.get(k)}"))
        if not diffs:
            out.append(text("summary 被修改（计数）", "summary changed (counts)"))
    if s_sec.get("exchanges") != n_sec.get("exchanges") and "exchanges" in s_sec and "exchanges" in n_sec:
        s_ex, n_ex = signed.get("exchanges") or [], now.get("exchanges") or []
        for i in range(max(len(s_ex), len(n_ex))):
            if i >= len(n_ex):
                out.append(text(f"exchanges[{i}] 被删除", f"exchanges[{i}] was removed"))
            elif i >= len(s_ex):
                out.append(text(f"exchanges[{i}] 被添加", f"exchanges[{i}] was added"))
            elif s_ex[i] != n_ex[i]:
                out.append(text(f"exchanges[{i}] 被修改", f"exchanges[{i}] changed"))


def verify_signature(record: dict[str, Any], public_key: PublicKey | None = None) -> Verification:
    """Signature and manifest: is the record as the lab signed it, and what changed if not."""
    result = Verification()
    block = record.get("signature")
    if not isinstance(block, dict):
        result.problems.append(text("运行记录未签名", "the run record is not signed"))
        return result
    result.key_id = str(block.get("key_id", ""))
    result.signer = str(block.get("signer", ""))
    result.signed_at = str(block.get("signed_at", ""))
    key = public_key
    if key is None:
        embedded = block.get("public_key")
        if not isinstance(embedded, str):
            result.status = "invalid"
            result.problems.append(text("签名块中没有公钥；请用 --key 指定", "the signature block has no public key; give --key"))
            return result
        try:
            key = parse_public_key(embedded.encode(), "signature.public_key")
        except UsageError as exc:
            result.status = "invalid"
            result.problems.append(exc.message)
            return result
        result.notes.append(text(f"使用记录内嵌的公钥（密钥编号 {key.key_id[:16]}…）；签名者身份需用 --key 确认",
                                 f"checked with the public key embedded in the record (key id {key.key_id[:16]}…); "
                                 "give --key to prove whose key it is"))
    else:
        result.pinned = True
    if key.key_id != result.key_id:
        result.status = "invalid"
        result.problems.append(text(f"记录由密钥 {result.key_id[:16]}… 签名，不是给定的密钥 {key.key_id[:16]}…",
                                    f"the record was signed with key {result.key_id[:16]}…, not with the given key {key.key_id[:16]}…"))
        return result
    if SIG_ALG.get(key.alg) != block.get("alg"):
        result.status = "invalid"
        result.problems.append(text(f"签名算法 {block.get('alg')} 与密钥类型 {key.alg} 不符",
                                    f"signature algorithm {block.get('alg')} does not match the {key.alg} key"))
        return result
    try:
        value = base64.b64decode(str(block.get("value", "")), validate=True)
    except ValueError:
        value = b""
    if not key.verify(value, _payload(block)):
        result.status = "invalid"
        result.problems.append(text("签名无法验证：签名块（清单、签名者、时间或签名值）被修改，或由其他密钥签名",
                                    "the signature does not verify: the signature block (manifest, signer, time or value) "
                                    "was altered, or it was made with another key"))
        return result
    result.status = "valid"
    signed_manifest = block.get("manifest") or {}
    current = manifest(record)
    if signed_manifest.get("record_sha256") != current["record_sha256"]:
        changes: list[Text] = []
        _compare_manifest(signed_manifest, current, changes)
        result.status = "invalid"
        result.problems.append(text("运行记录在签名后被修改", "the run record was altered after signing"))
        result.problems.extend(changes or [text("记录内容与签名摘要不符", "the record does not match the signed digest")])
    return result


__all__ = ["ALGS", "CANONICALIZATION", "PrivateKey", "PublicKey", "Verification", "canonical", "generate_key",
           "load_private_key", "load_public_key", "manifest", "parse_public_key", "record_digest", "sign_record",
           "verify_signature", "write_key_pair"]
