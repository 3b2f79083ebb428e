"""Regenerate fixtures/dx-1.0: valid and invalid documents, EXPECTED.yaml, pixit.yaml, ics.yaml.

Deterministic: the keys are the committed TEST-ONLY keys in fixtures/dx-1.0/keys (RSA
PKCS#1 v1.5 signatures are deterministic), the SM2 private key is a fixed number and each
SM2 nonce k is derived from the signed bytes, and every IV is derived from the fixture's
name. Running it twice gives the same files.

    python profiles/dx-1.0/tools/make_fixtures.py
"""

from __future__ import annotations

import base64
import copy
import hashlib
import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

HERE = Path(__file__).resolve().parent
PROFILE = HERE.parent
REPO = PROFILE.parent.parent
OUT = REPO / "fixtures" / "dx-1.0"


def _crypto() -> Any:
    spec = importlib.util.spec_from_file_location("dx_crypto_tools", PROFILE / "dx_crypto.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["dx_crypto_tools"] = mod
    spec.loader.exec_module(mod)
    return mod


C = _crypto()
DX, DS = C.DX_NS, C.DS_NS
NOW = "2026-01-15T12:00:00+08:00"  # the clock the tests pass as `now`


def system_code(first17: str, number: str = "001") -> str:
    return first17 + C.uscc_check_char(first17) + "-" + number


S_RSA = system_code("91350100M000100Y4")  # 91350100M000100Y43-001, the Annex A.1 example
S_SM2 = system_code("91330106MA27XK1A0")
S_RSA1024 = system_code("91440300MA5D8Q9B0")
S_UNREG = system_code("91110108MA01C2D3E")
RECEIVER = system_code("11330000002482061", "010")
SM2_D = int.from_bytes(hashlib.sha256(b"dx-1.0 TEST-ONLY SM2 private key").digest(), "big") % (C.SM2P256V1.n - 1) + 1
CONTENT_KEYS = {"SM4-CBC": bytes.fromhex("0123456789abcdeffedcba9876543210"),
                "AES-128-CBC": bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")}


def load_rsa(name: str) -> Any:
    return serialization.load_pem_private_key((OUT / "keys" / name).read_bytes(), password=None)


RSA2048 = load_rsa("rsa-2048-TEST-ONLY.pem")
RSA1024 = load_rsa("rsa-1024-TEST-ONLY.pem")


def pem(key: Any) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def mid(name: str) -> str:
    """A UUID-v4-shaped MessageID derived from the fixture's name."""
    h = bytearray(hashlib.md5(name.encode()).digest())
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    return h.hex()


def iv_for(name: str) -> bytes:
    return hashlib.sha256(b"iv:" + name.encode()).digest()[:16]


# ------------------------------------------------------------------ records

LP = [("USCC", "91350100M000100Y43"), ("OrgName", "福州示例科技有限公司"), ("LegalRep", "张三"),
      ("EstablishDate", "2015-06-01"), ("RegCapital", "1000.5"), ("AreaCode", "350100"), ("RegStatus", "1")]
LP2 = [("USCC", C.uscc_check_char("91330106MA27XK1A0") and "91330106MA27XK1A0" + C.uscc_check_char("91330106MA27XK1A0")),
       ("OrgName", "杭州示例数据服务有限公司"), ("LegalRep", "李四"), ("EstablishDate", "2019-12-31"),
       ("RegCapital", "0"), ("AreaCode", "330106"), ("RegStatus", "2")]
ID_F = "11010519491231002X"  # Annex A.2 example: 17th digit 2, female, born 1949-12-31
ID_M = "110105198001010" + "01" + C.id_check_char("11010519800101001")
PP = [("IDNumber", ID_F), ("Name", "王芳"), ("GenderCode", "2"), ("BirthDate", "1949-12-31"),
      ("EthnicCode", "01"), ("DomicileAreaCode", "110105")]
PP2 = [("IDNumber", ID_M), ("Name", "赵伟"), ("GenderCode", "1"), ("BirthDate", "1980-01-01"),
       ("EthnicCode", "97"), ("DomicileAreaCode", "110105")]
RC_OK = [("Status", "ACCEPTED")]
RC_REJ = [("Status", "REJECTED"), ("ErrorCode", "E300"), ("ErrorText", "USCC 校验码错误"), ("ErrorCode", "E100")]


def rec(fields: list[tuple[str, str]], seq: int | str | None = 1, edit: str | None = "1", **attrs: str) -> tuple[dict, list]:
    a: dict[str, str] = {}
    if seq is not None:
        a["seq"] = str(seq)
    if edit is not None:
        a["editType"] = edit
    a.update(attrs)
    return a, list(fields)


def replace(fields: list[tuple[str, str]], **new: str) -> list[tuple[str, str]]:
    return [(k, new.get(k, v)) for k, v in fields]


# ------------------------------------------------------------------ documents


def header_fields(doctype: str, name: str, **over: Any) -> list[tuple[str, str | None]]:
    h: dict[str, str | None] = {
        "MessageID": mid(name), "SenderCode": S_RSA, "ReceiverCode": RECEIVER, "DocType": doctype, "Version": "1.0",
        "CreateTime": "2026-01-15T10:00:00+08:00", "Priority": "2",
        "RefMessageID": mid(name + ":ref") if doctype == "RC01" else None,
        "RecordCount": None, "Confidential": "false",
    }
    h.update(over)
    return list(h.items())


def build(doctype: str, name: str, records: list[tuple[dict, list]], *, header: dict | None = None,
          root_attrs: dict | None = None, ids: tuple[str | None, str | None] = ("hdr", "dat")) -> Any:
    E = lambda tag, **kw: etree.Element(f"{{{DX}}}{tag}", **kw)  # noqa: E731
    root = etree.Element(f"{{{DX}}}root", nsmap={None: DX})
    for k, v in (root_attrs if root_attrs is not None else {"version": "1.0"}).items():
        root.set(k, v)
    hdr = etree.SubElement(root, f"{{{DX}}}header")
    if ids[0]:
        hdr.set("Id", ids[0])
    over = dict(header or {})
    over.setdefault("RecordCount", str(len(records)))
    for k, v in header_fields(doctype, name, **over):
        if v is not None:
            etree.SubElement(hdr, f"{{{DX}}}{k}").text = v
    data = etree.SubElement(root, f"{{{DX}}}data")
    if ids[1]:
        data.set("Id", ids[1])
    for attrs, fields in records:
        r = etree.SubElement(data, f"{{{DX}}}record")
        for k, v in attrs.items():
            r.set(k, v)
        for k, v in fields:
            etree.SubElement(r, f"{{{DX}}}{k}").text = v
    del E
    etree.indent(root, space="  ")
    return root


def encrypt(root: Any, alg: str, *, key: bytes | None = None, iv: bytes, plaintext: bytes | None = None,
            raw: str | None = None) -> None:
    """B.4: replace the records by EncryptedContent (Confidential true); `plaintext`/`raw` make bad ones."""
    data = root.find(f"{{{DX}}}data")
    records = list(data)
    p = plaintext if plaintext is not None else C.records_plaintext(records)
    for r in records:
        data.remove(r)
    ec = etree.SubElement(data, f"{{{DX}}}EncryptedContent", alg=alg)
    k = key if key is not None else CONTENT_KEYS.get(alg, CONTENT_KEYS["SM4-CBC"])
    cipher_alg = alg if alg in C.CIPHERS else "SM4-CBC"
    ec.text = raw if raw is not None else base64.b64encode(iv + C.cbc_encrypt(cipher_alg, k, iv, C.pkcs7_pad(p))).decode()
    root.find(f"{{{DX}}}header/{{{DX}}}Confidential").text = "true"


def rsa_signer(key: Any, hash_alg: Any = None) -> Callable[[bytes], bytes]:
    return lambda m: key.sign(m, padding.PKCS1v15(), hash_alg or hashes.SHA256())


def sm2_signer(m: bytes) -> bytes:
    k = int.from_bytes(hashlib.sha256(b"k:" + m).digest(), "big") % (C.SM2P256V1.n - 1) + 1
    return C.der_encode_rs(*C.sm2_sign(SM2_D, m, k))


SUITE_RSA = (C.RSA_SHA256, C.SHA256, rsa_signer(RSA2048))
SUITE_SM2 = (C.SM2_SM3, C.SM3, sm2_signer)


def sign(root: Any, suite: tuple = SUITE_RSA, *, key_name: str | None = None, c14n: str = C.EXC_C14N,
         refs: tuple[str, ...] = ("#hdr", "#dat"), extra_in_signature: bool = False,
         extra_in_security: bool = False, ds_prefix: str | None = "ds") -> None:
    method, digest_uri, signer = suite
    sender = root.findtext(f"{{{DX}}}header/{{{DX}}}SenderCode")
    security = etree.SubElement(root, f"{{{DX}}}security")
    D = lambda parent, tag, **a: etree.SubElement(parent, f"{{{DS}}}{tag}", **a)  # noqa: E731
    sig = etree.SubElement(security, f"{{{DS}}}Signature", nsmap={ds_prefix: DS})
    si = D(sig, "SignedInfo")
    D(si, "CanonicalizationMethod", Algorithm=c14n)
    D(si, "SignatureMethod", Algorithm=method)
    for uri in refs:
        ref = D(si, "Reference", URI=uri)
        D(D(ref, "Transforms"), "Transform", Algorithm=C.EXC_C14N)
        D(ref, "DigestMethod", Algorithm=digest_uri)
        D(ref, "DigestValue").text = "?"
    D(sig, "SignatureValue").text = "?"
    D(D(sig, "KeyInfo"), "KeyName").text = key_name or sender
    if extra_in_signature:
        D(D(sig, "Object"), "Manifest")
    if extra_in_security:
        etree.SubElement(security, f"{{{DX}}}Note").text = "not allowed here"
    etree.indent(root, space="  ")
    digest_name = C.DIGESTS[digest_uri]
    for ref in si.iter(f"{{{DS}}}Reference"):
        target = [e for e in root.iter() if isinstance(e.tag, str) and e.get("Id") == ref.get("URI")[1:]][0]
        ref.find(f"{{{DS}}}DigestValue").text = base64.b64encode(C.digest(digest_name, C.c14n(target))).decode()
    sig.find(f"{{{DS}}}SignatureValue").text = base64.b64encode(signer(C.c14n(si, c14n))).decode()


def serialize(root: Any, *, encoding: str = "UTF-8", bom: bool = False, declaration: str | None = None,
              before_root: str = "") -> bytes:
    body = etree.tostring(root, encoding="unicode")
    decl = declaration if declaration is not None else f'<?xml version="1.0" encoding="{encoding}"?>\n'
    out = (decl + before_root + body + "\n").encode("utf-8" if encoding.lower() in ("utf-8", "us-ascii", "iso-8859-1") else encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + out


def tamper_text(root: Any, path: str, new: str) -> None:
    root.find(path.replace("dx:", f"{{{DX}}}").replace("ds:", f"{{{DS}}}")).text = new


def sig_value(root: Any) -> Any:
    return root.find(f".//{{{DS}}}SignatureValue")


# ------------------------------------------------------------------ the fixtures


def signed(doctype: str, name: str, records: list, suite: tuple = SUITE_RSA, sender: str | None = None,
           **kw: Any) -> Any:
    header = kw.pop("header", {})
    if sender:
        header["SenderCode"] = sender
    elif suite[0] == C.SM2_SM3:
        header["SenderCode"] = S_SM2
    root = build(doctype, name, records, header=header)
    sign(root, suite, **kw)
    return root


def lp01(name: str, records: list | None = None, **kw: Any) -> Any:
    return signed("LP01", name, records if records is not None else [rec(LP)], **kw)


def pp01(name: str, records: list | None = None, **kw: Any) -> Any:
    kw.setdefault("suite", SUITE_SM2)
    return signed("PP01", name, records if records is not None else [rec(PP)], **kw)


def rc01(name: str, records: list | None = None, **kw: Any) -> Any:
    return build("RC01", name, records if records is not None else [rec(RC_REJ)], **kw)


def encrypted(doctype: str, name: str, records: list, alg: str, suite: tuple = SUITE_RSA, *,
              header: dict | None = None, sender: str | None = None, **enc: Any) -> Any:
    h = dict(header or {})
    if sender or suite is SUITE_SM2:
        h["SenderCode"] = sender or S_SM2
    root = build(doctype, name, records, header=h)
    etree.indent(root, space="  ")
    encrypt(root, alg, iv=enc.pop("iv", iv_for(name)), **enc)
    sign(root, suite)
    return root


def batch(roots: list[Any], count: str | None = None, extra: bool = False) -> Any:
    b = etree.Element(f"{{{DX}}}batch", nsmap={None: DX})
    b.set("count", count if count is not None else str(len(roots)))
    b.text = "\n"
    for r in roots:
        r = copy.deepcopy(r)
        r.tail = "\n"
        b.append(r)
    if extra:
        etree.SubElement(b, f"{{{DX}}}Note").tail = "\n"
    return b


def valid() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    lp = lp01("lp01-rsa", [rec(LP, 1, "1"), rec(LP2, 2, "2"), rec([("USCC", "91440300MA5D8Q9B0" + C.uscc_check_char("91440300MA5D8Q9B0"))], 3, "3")],
              header={"RefMessageID": mid("an earlier LP01"), "Priority": "1"})
    out["lp01-rsa.xml"] = serialize(lp)
    out["pp01-sm2.xml"] = serialize(pp01("pp01-sm2", [rec(PP, 1), rec(PP2, 2)]))
    out["rc01-unsigned.xml"] = serialize(rc01("rc01-unsigned", [rec(RC_REJ, 1), rec(RC_OK, 2)]))
    out["lp01-sm4-encrypted.xml"] = serialize(encrypted("LP01", "lp01-sm4", [rec(LP, 1), rec(LP2, 2)], "SM4-CBC", SUITE_SM2))
    out["pp01-aes-encrypted.xml"] = serialize(encrypted("PP01", "pp01-aes", [rec(PP, 1), rec(PP2, 2)], "AES-128-CBC"))
    out["pp01-gb18030.xml"] = serialize(pp01("pp01-gb18030", [rec(PP, 1)]), encoding="GB18030")
    out["rc01-bom.xml"] = serialize(rc01("rc01-bom", [rec(RC_OK)]), bom=True)
    # comments and PIs between elements, a prefixed dx namespace: allowed (3.1, 4.7)
    comments = (b'<?xml version="1.0" encoding="utf-8"?>\n<!-- exported by a test tool -->\n<?dx-tool run="1"?>\n'
                b'<x:root xmlns:x="urn:smartcity:dx:1.0" version="1.0">\n  <x:header>\n    <!-- control part -->\n'
                + "".join(f"    <x:{k}>{v}</x:{k}>\n" for k, v in header_fields("RC01", "rc01-comments", RecordCount="1") if v).encode()
                + b'  </x:header>\n  <x:data>\n    <?dx-note first?>\n    <x:record seq="1" editType="1"><x:Status>ACCEPTED</x:Status></x:record>\n'
                + b'  </x:data>\n</x:root>\n')
    out["rc01-comments.xml"] = comments
    signed_rc = build("RC01", "batch-rc01", [rec(RC_OK)])
    sign(signed_rc, SUITE_RSA)
    out["batch.xml"] = serialize(batch([lp01("batch-lp01"), pp01("batch-pp01"), signed_rc,
                                        encrypted("PP01", "batch-pp01-enc", [rec(PP2)], "SM4-CBC")]))
    return out


def invalid() -> tuple[dict[str, bytes], dict[str, list[str]]]:
    files: dict[str, bytes] = {}
    expected: dict[str, list[str]] = {}

    def add(name: str, data: bytes | Any, *reqs: str) -> None:
        files[name] = data if isinstance(data, bytes) else serialize(data)
        expected[name] = list(reqs)

    ok_rc = serialize(rc01("form"))
    # ---- clause 4
    add("not-wellformed.xml", ok_rc.replace(b"</dx:root>", b"").replace(b"</root>", b""), "DX-4.1")
    add("no-declaration.xml", ok_rc.split(b"\n", 1)[1], "DX-4.2")
    add("no-encoding-declaration.xml", ok_rc.replace(b' encoding="UTF-8"', b""), "DX-4.2")
    add("encoding-latin1.xml", serialize(rc01("latin1", [rec(RC_OK)]), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>\n'), "DX-4.3")
    add("invalid-utf8.xml", ok_rc.replace("USCC 校验码错误".encode(), b"USCC \xff\xfe"), "DX-4.1", "DX-4.4")
    add("doctype.xml", serialize(rc01("doctype"), declaration='<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE root>\n'), "DX-4.5a")
    add("bom-gb18030.xml", serialize(rc01("bom-gb18030", [rec(RC_OK)]), encoding="GB18030", bom=True), "DX-4.6")
    add("comment-in-value.xml", ok_rc.replace("USCC 校验码错误".encode(), "USCC <!-- x -->校验码错误".encode()), "DX-4.7")
    # ---- clause 5
    r = rc01("not-root")
    hdr = r.find(f"{{{DX}}}header")
    add("document-element-header.xml", serialize(hdr), "DX-5.1a")
    r = rc01("foreign")
    etree.SubElement(r.find(f"{{{DX}}}header"), "{urn:example:other}Extra").text = "x"
    add("foreign-element.xml", r, "DX-5.1b")
    add("root-version.xml", rc01("root-version", root_attrs={"version": "2.0"}), "DX-5.2")
    r = rc01("root-text")
    r.find(f"{{{DX}}}data").tail = "stray text"
    add("root-text.xml", r, "DX-5.3")
    add("extra-attribute.xml", rc01("extra-attr", [rec(RC_REJ, note="x")]), "DX-5.4")
    # ---- clause 6
    r = rc01("header-order")
    h = r.find(f"{{{DX}}}header")
    h.insert(1, h.find(f"{{{DX}}}DocType"))
    add("header-order.xml", r, "DX-6.1")
    add("message-id-uppercase.xml", rc01("mid-upper", header={"MessageID": mid("x").upper()}), "DX-6.2")
    add("message-id-not-uuid4.xml", rc01("mid-v1", header={"MessageID": "0" * 32}), "DX-6.2b")
    add("sender-code-format.xml", rc01("sender-format", header={"SenderCode": S_RSA[:18]}), "DX-6.3.1")
    add("receiver-code-check.xml", rc01("receiver-check", header={"ReceiverCode": RECEIVER[:17] + ("0" if RECEIVER[17] != "0" else "1") + RECEIVER[18:]}), "DX-6.3.2")
    add("same-codes.xml", rc01("same-codes", header={"ReceiverCode": S_RSA}), "DX-6.3.3")
    add("doctype-unknown.xml", rc01("doctype-unknown", header={"DocType": "XX01", "RefMessageID": None}), "DX-6.4")
    add("header-version.xml", rc01("header-version", header={"Version": "1.1"}), "DX-6.5")
    add("create-time-no-zone.xml", rc01("ct-no-zone", header={"CreateTime": "2026-01-15T10:00:00"}), "DX-6.6.1")
    add("create-time-invalid-date.xml", rc01("ct-date", header={"CreateTime": "2025-02-29T10:00:00Z"}), "DX-6.6.1")
    add("create-time-future.xml", rc01("ct-future", header={"CreateTime": "2026-01-15T12:05:01+08:00"}), "DX-6.6.2")
    add("priority-4.xml", rc01("priority", header={"Priority": "4"}), "DX-6.7a")
    add("ref-message-id-format.xml", rc01("ref-format", header={"RefMessageID": "not-a-message-id"}), "DX-6.8.1")
    add("rc01-no-ref.xml", rc01("rc01-no-ref", header={"RefMessageID": None}), "DX-6.8.2a")
    add("ref-equals-message-id.xml", rc01("ref-eq", header={"MessageID": mid("same"), "RefMessageID": mid("same")}), "DX-6.8.3")
    add("record-count-format.xml", rc01("rc-format", header={"RecordCount": "01"}), "DX-6.9.1")
    add("record-count-mismatch.xml", rc01("rc-mismatch", header={"RecordCount": "2"}), "DX-6.9.2")
    add("confidential-1.xml", rc01("conf-1", header={"Confidential": "1"}), "DX-6.10")
    # ---- clause 7
    r = rc01("data-text")
    r.find(f"{{{DX}}}data").text = "stray"
    add("data-text.xml", r, "DX-7.1")
    add("seq-gap.xml", rc01("seq-gap", [rec(RC_OK, 1), rec(RC_OK, 3)], header={"RecordCount": "2"}), "DX-7.2.1")
    add("edit-type-4.xml", lp01("edit-4", [rec(LP, 1, "4")]), "DX-7.2.2")
    add("rc01-edit-type-2.xml", rc01("rc01-edit-2", [rec(RC_OK, 1, "2")]), "DX-7.2.3")
    add("lp01-order.xml", lp01("lp01-order", [rec([LP[1], LP[0], *LP[2:]])]), "DX-7.3.1")
    add("lp01-missing-mandatory.xml", lp01("lp01-missing", [rec([f for f in LP if f[0] != "LegalRep"])]), "DX-7.3.2")
    add("lp01-delete-without-key.xml", lp01("lp01-delete", [rec([LP[1]], 1, "3")]), "DX-7.3.3a")
    add("lp01-duplicate-key.xml", lp01("lp01-dup", [rec(LP, 1), rec(replace(LP, OrgName="另一家公司"), 2)]), "DX-7.3.4")
    add("date-invalid.xml", lp01("date-invalid", [rec(replace(LP, EstablishDate="2023-02-29"))]), "DX-7.4.1")
    add("area-code-invalid.xml", lp01("area", [rec(replace(LP, AreaCode="990100"))]), "DX-7.4.2")
    add("text-leading-space.xml", lp01("text-space", [rec(replace(LP, OrgName=" 福州示例科技有限公司"))]), "DX-7.4.3")
    add("uscc-check.xml", lp01("uscc-check", [rec(replace(LP, USCC="91350100M000100Y44"))]), "DX-7.4.4")
    add("id-number-check.xml", pp01("id-check", [rec(replace(PP, IDNumber="110105194912310021"))]), "DX-7.4.5")
    add("reg-capital-scale.xml", lp01("capital", [rec(replace(LP, RegCapital="1000.12345"))]), "DX-7.5.1")
    add("establish-after-create.xml", lp01("establish", [rec(replace(LP, EstablishDate="2026-01-16"))]), "DX-7.5.2")
    add("reg-status-5.xml", lp01("regstatus", [rec(replace(LP, RegStatus="5"))]), "DX-7.5.3")
    add("gender-code-3.xml", pp01("gender-3", [rec(replace(PP, GenderCode="3"))]), "DX-7.6.1")
    add("gender-mismatch.xml", pp01("gender-mismatch", [rec(replace(PP, GenderCode="1"))]), "DX-7.6.2")
    add("birth-date-mismatch.xml", pp01("birth", [rec(replace(PP, BirthDate="1949-12-30"))]), "DX-7.6.3")
    add("ethnic-code-57.xml", pp01("ethnic", [rec(replace(PP, EthnicCode="57"))]), "DX-7.6.4")
    add("status-unknown.xml", rc01("status", [rec([("Status", "OK")])]), "DX-7.7.1")
    add("error-code-unknown.xml", rc01("errorcode", [rec([("Status", "REJECTED"), ("ErrorCode", "E999")])]), "DX-7.7.2")
    add("rejected-without-code.xml", rc01("rejected", [rec([("Status", "REJECTED")])]), "DX-7.7.3")
    # ---- 8.2
    add("lp01-unsigned.xml", build("LP01", "lp01-unsigned", [rec(LP)]), "DX-8.2.1a")
    add("security-extra.xml", lp01("security-extra", extra_in_security=True), "DX-8.2.2")
    add("signature-object.xml", lp01("signature-object", extra_in_signature=True), "DX-8.2.3")
    add("c14n-inclusive.xml", lp01("c14n-inclusive", c14n=C.C14N_10), "DX-8.2.4")
    add("rsa-sha1.xml", lp01("rsa-sha1", suite=(C.RSA_SHA1, C.SHA256, rsa_signer(RSA2048, hashes.SHA1()))), "DX-8.2.5")
    add("sm2-with-sha256-digests.xml", pp01("sm2-sha256", suite=(C.SM2_SM3, C.SHA256, sm2_signer)), "DX-8.2.6")
    add("references-swapped.xml", lp01("refs-swapped", refs=("#dat", "#hdr")), "DX-8.2.7")
    r = lp01("tampered-header")
    tamper_text(r, "dx:header/dx:Priority", "3")
    add("tampered-header.xml", r, "DX-8.2.8")
    r = lp01("rsa-short")
    sig_value(r).text = base64.b64encode(base64.b64decode(sig_value(r).text)[:-1]).decode()
    add("rsa-signature-short.xml", r, "DX-8.2.9")
    r = pp01("sm2-trailing")
    sig_value(r).text = base64.b64encode(base64.b64decode(sig_value(r).text) + b"\x00").decode()
    add("sm2-signature-trailing-octet.xml", r, "DX-8.2.9")
    r = lp01("tampered-signature")
    raw = bytearray(base64.b64decode(sig_value(r).text))
    raw[10] ^= 0x01
    sig_value(r).text = base64.b64encode(bytes(raw)).decode()
    add("tampered-signature.xml", r, "DX-8.2.10")
    add("key-not-registered.xml", lp01("unregistered", sender=S_UNREG), "DX-8.2.10")
    add("key-name-not-sender.xml", lp01("keyname", suite=SUITE_SM2, sender=S_RSA, key_name=S_SM2), "DX-8.2.11")
    add("rsa-1024.xml", lp01("rsa-1024", suite=(C.RSA_SHA256, C.SHA256, rsa_signer(RSA1024)), sender=S_RSA1024), "DX-8.2.12")
    # ---- 8.3
    r = build("LP01", "clear-with-ec", [rec(LP)])
    etree.SubElement(r.find(f"{{{DX}}}data"), f"{{{DX}}}EncryptedContent", alg="SM4-CBC").text = base64.b64encode(bytes(32)).decode()
    sign(r)
    add("clear-with-encrypted-content.xml", r, "DX-8.3.1")
    add("encryption-alg-unknown.xml", encrypted("LP01", "enc-alg", [rec(LP)], "SM4-ECB"), "DX-8.3.2")
    add("encrypted-not-base64.xml", encrypted("LP01", "enc-b64", [rec(LP)], "SM4-CBC", raw="this is not base64!"), "DX-8.3.3")
    add("encrypted-short.xml", encrypted("LP01", "enc-short", [rec(LP)], "SM4-CBC", raw=base64.b64encode(bytes(20)).decode()), "DX-8.3.3")
    add("encrypted-wrong-key.xml", encrypted("LP01", "enc-key", [rec(LP)], "SM4-CBC", key=bytes(range(16))), "DX-8.3.4")
    add("encrypted-not-records.xml", encrypted("LP01", "enc-notrec", [rec(LP)], "AES-128-CBC", plaintext=b"<note>hello</note>"), "DX-8.3.5")
    add("encrypted-not-utf8.xml", encrypted("LP01", "enc-utf8", [rec(LP)], "AES-128-CBC", plaintext="<record/>".encode("utf-16")), "DX-8.3.5")
    r = build("LP01", "enc-ws", [rec(LP, 1), rec(LP2, 2)])
    etree.indent(r, space="  ")
    p = b"\n".join(C.c14n(x) for x in r.find(f"{{{DX}}}data"))
    encrypt(r, "SM4-CBC", iv=iv_for("enc-ws"), plaintext=p)
    sign(r)
    add("encrypted-plaintext-not-b4.xml", r, "DX-8.3.7a")
    add("encrypted-zero-iv.xml", encrypted("LP01", "enc-zero-iv", [rec(LP)], "SM4-CBC", iv=bytes(16)), "DX-8.3.7b")
    add("encrypted-bad-uscc.xml", encrypted("LP01", "enc-uscc", [rec(replace(LP, USCC="91350100M000100Y44"))], "SM4-CBC"), "DX-7.4.4")
    add("encrypted-count-mismatch.xml", encrypted("PP01", "enc-count", [rec(PP, 1), rec(PP2, 2)], "AES-128-CBC", header={"RecordCount": "3"}), "DX-6.9.2")
    r = encrypted("LP01", "enc-badsig", [rec(LP)], "SM4-CBC", key=bytes(range(16)))
    raw = bytearray(base64.b64decode(sig_value(r).text))
    raw[5] ^= 0x80
    sig_value(r).text = base64.b64encode(bytes(raw)).decode()
    add("encrypted-wrong-key-bad-signature.xml", r, "DX-8.2.10")  # not decrypted: no 8.3.4 finding
    # ---- clause 10
    add("batch-count-mismatch.xml", batch([rc01("b1"), rc01("b2")], count="3"), "DX-10.2")
    add("batch-extra-element.xml", batch([rc01("b3")], extra=True), "DX-10.1")
    add("batch-duplicate-message-id.xml", batch([rc01("b4"), rc01("b4")]), "DX-10.4")
    add("batch-root-priority.xml", batch([rc01("b5"), rc01("b6", header={"Priority": "9"})]), "DX-6.7a")
    return files, expected


def main() -> None:
    for sub in ("valid", "invalid"):
        folder = OUT / sub
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for name, data in valid().items():
        (OUT / "valid" / name).write_bytes(data)
    files, expected = invalid()
    for name, data in files.items():
        (OUT / "invalid" / name).write_bytes(data)
    header = ("# Generated by profiles/dx-1.0/tools/make_fixtures.py: each invalid fixture -> the\n"
              "# requirement ids whose verdict must be `fail` (exactly these; others may be inconclusive).\n")
    (OUT / "invalid" / "EXPECTED.yaml").write_text(header + yaml.safe_dump(expected, sort_keys=True, allow_unicode=True), encoding="utf-8")
    sm2_pub = C.sm2_public_from_private(SM2_D).hex()
    pixit = {
        "key_registry": {
            S_RSA: {"type": "rsa", "public_key": pem(RSA2048)},
            S_SM2: {"type": "sm2", "public_key": sm2_pub},
            S_RSA1024: {"type": "rsa", "public_key": pem(RSA1024)},
        },
        "content_keys": {RECEIVER: {k: v.hex() for k, v in CONTENT_KEYS.items()}},
        "known_systems": [S_RSA, S_SM2, S_RSA1024, RECEIVER],
    }
    (OUT / "pixit.yaml").write_text(
        "# TEST-ONLY receiver configuration (DX 1.0 §3.4) for the fixtures; generated by\n"
        "# profiles/dx-1.0/tools/make_fixtures.py. Never use these keys for anything real.\n"
        + yaml.safe_dump(pixit, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (OUT / "ics.yaml").write_text(yaml.safe_dump({
        "profile": "dx-1.0", "product": {"name": "dx-fixture-sender", "version": "1.0.0", "vendor": "smartcity-conformance (test)"},
        "role": "sender", "notes": "ICS of the fixture generator; validate with now=" + NOW}, sort_keys=False), encoding="utf-8")
    (OUT / "keys" / "sm2-TEST-ONLY.txt").write_text(
        f"# TEST-ONLY SM2 key of {S_SM2} (GB/T 32918 recommended curve)\nprivate: {SM2_D:064x}\npublic: {sm2_pub}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
