"""Generate valid signed PDS 1.0 messages, and regenerate fixtures/pds-1.0.

Deterministic: SM2 keys are derived from fixed labels, each SM2 nonce k from the key and
the signed bytes, each IV and Nonce from the MessageID; the one RSA key is the committed
TEST-ONLY PEM (created once if missing; RSA PKCS#1 v1.5 signatures are deterministic).
Running it twice gives the same files.

    python profiles/pds-1.0/tools/make_messages.py                 # fixtures/pds-1.0
    python profiles/pds-1.0/tools/make_messages.py --out DIR -n 50 # 50 valid messages per type
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

HERE = Path(__file__).resolve().parent
PROFILE = HERE.parent
REPO = PROFILE.parent.parent
OUT = REPO / "fixtures" / "pds-1.0"
SEND = dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PLATFORM_ID = "ZJPORTHUB01"


def _load(name: str) -> Any:
    modname = f"conformance_profile_plugins.pds_1_0_{name}"
    if modname not in sys.modules:
        spec = importlib.util.spec_from_file_location(modname, PROFILE / f"{name}.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        spec.loader.exec_module(mod)
    return sys.modules[modname]


S = _load("pds_samples")
M = S.M
C = M.crypto

PARTICIPANTS = [  # id, label, rsa, hosted
    ("NBCT0001", "terminal NBCT0001", True, True),
    ("SHAGENT01", "agent SHAGENT01", False, False),
]
UNREGISTERED = ("XUNREG01", "unregistered XUNREG01")


def write_keys(keys: Path) -> None:
    keys.mkdir(parents=True, exist_ok=True)
    readme = "TEST-ONLY keys of the PDS 1.0 fixtures and reference peers. Never use them for anything real.\n"
    (keys / "README.txt").write_text(readme, encoding="utf-8")
    for pid, label in [(PLATFORM_ID, "platform"), *[(p[0], p[1]) for p in PARTICIPANTS], UNREGISTERED]:
        d = S.test_key(label)
        (keys / f"{pid}-sm2-private-TEST-ONLY.txt").write_text(f"{d:064x}\n", encoding="ascii")
        (keys / f"{pid}-sm4-TEST-ONLY.txt").write_text(C.derived_bytes(f"sm4 {label}").hex() + "\n", encoding="ascii")
    pub = C.public_from_private(S.test_key("platform"))
    (keys / f"{PLATFORM_ID}-sm2-public.txt").write_text(pub.hex() + "\n", encoding="ascii")
    (keys / f"{PLATFORM_ID}-sm2-public.pem").write_text(C.sm2_public_pem(pub), encoding="ascii")
    rsa_path = keys / "NBCT0001-rsa-2048-TEST-ONLY.pem"
    if not rsa_path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rsa_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))


def api_key(pid: str) -> str:
    return C.derived_bytes(f"api {pid}", 24).hex()


def pixit_dict() -> dict[str, Any]:
    def entry(pid: str, rsa: bool = False, hosted: bool = False) -> dict[str, Any]:
        e: dict[str, Any] = {"id": pid, "sm2_private_key": f"keys/{pid}-sm2-private-TEST-ONLY.txt",
                             "sm4_key": f"keys/{pid}-sm4-TEST-ONLY.txt", "api_key": api_key(pid)}
        if rsa:
            e["rsa_private_key"] = f"keys/{pid}-rsa-2048-TEST-ONLY.pem"
        e["hosted_key"] = hosted
        return e

    return {
        "base_url": "http://127.0.0.1:8080/portapi/v1/",
        "platform_id": PLATFORM_ID,
        "platform_public_key": f"keys/{PLATFORM_ID}-sm2-public.txt",
        "platform_private_key": f"keys/{PLATFORM_ID}-sm2-private-TEST-ONLY.txt",
        "participants": [entry(p[0], p[2], p[3]) for p in PARTICIPANTS],
        "unregistered_participant": entry(UNREGISTERED[0]),
        "listen_host": "127.0.0.1",
        "listen_port": 0,
        "callback_url": "http://127.0.0.1:8081/callback/",
        "timeout_s": 5,
        "retry_wait_s": 0.2,
    }


def parties(base: Path) -> dict[str, Any]:
    pixit = pixit_dict()
    out = {e["id"]: M.party_from_pixit(e, base) for e in [*pixit["participants"], pixit["unregistered_participant"]]}
    plat = M.Party(id=PLATFORM_ID, sm2_private=S.test_key("platform"))
    plat.sm2_public = C.public_from_private(plat.sm2_private)
    out[PLATFORM_ID] = plat
    return out


def ser(root: Any) -> bytes:
    return M.serialize(root)


def resign(root: Any, party: Any, **kw: Any) -> Any:
    return M.sign_root(root, party, **kw)


def fixtures(base: Path) -> tuple[dict[str, bytes], dict[str, bytes], dict[str, list[str]]]:
    P = parties(base)
    nb, ag, un, plat = P["NBCT0001"], P["SHAGENT01"], P["XUNREG01"], P[PLATFORM_ID]
    seq = iter(range(1, 10_000))

    def mk(t: str, party: Any = nb, **kw: Any) -> Any:
        return S.build(t, party, receiver=kw.pop("receiver", PLATFORM_ID), send=SEND, seq=next(seq), **kw)

    def receipt(stage: str, status: str, errors: Any = None, **kw: Any) -> Any:
        body = S.receipt_body("NBCT000120261121103000000001", "GATE", stage, status, M.format_datetime(SEND), errors)
        return S.build("RECEIPT", plat, receiver="NBCT0001", send=SEND, seq=next(seq), body_inner=body, **kw)

    def text_edit(root: Any, old: str, new: str, *, party: Any = nb, sign: bool = True, **kw: Any) -> bytes:
        """Edit the serialized message, then re-sign (so only the edit is wrong)."""
        s = etree.tostring(root, encoding="unicode")
        assert old in s, old
        root2 = etree.fromstring(s.replace(old, new, 1).encode(), M.safe_parser())
        if sign:
            resign(root2, party, **kw)
        return ser(root2)

    valid: dict[str, bytes] = {}
    for t in S.BUSINESS_TYPES:
        valid[f"{t.lower()}.xml"] = ser(mk(t))
    valid["berth-unberthing.xml"] = ser(mk("BERTH", replace=[("<EventType>BERTHING", "<EventType>UNBERTHING"),
                                                             ("</ATB>", f"</ATB><ATU>{M.format_datetime(SEND - dt.timedelta(minutes=5))}</ATU>")]))
    valid["gate-rsa.xml"] = ser(mk("GATE", method="RSA-SHA256"))
    valid["gate-two-20ft.xml"] = ser(mk("GATE", replace=[
        ("<ContainerCount>1", "<ContainerCount>2"),
        ("</Container></Containers>", "</Container><Container><ContainerNo>OOLU1002005</ContainerNo><SizeType>22G1</SizeType>"
                                      "<FullEmpty>E</FullEmpty></Container></Containers>")]))
    valid["gate-replacement.xml"] = ser(mk("GATE", fc="5", ref="NBCT000120261121103000000001"))
    valid["dgdecl-cancellation.xml"] = ser(mk("DGDECL", ag, fc="1", ref="SHAGENT0120261121103000000002"))
    valid["receipt-sync-accepted.xml"] = ser(receipt("SYNC", "ACCEPTED"))
    valid["receipt-rejected.xml"] = ser(receipt("SYNC", "REJECTED", [("P008", "/Message/Body/GateReport/Containers/Container/ContainerNo", "ISO 6346 check digit")]))
    valid["receipt-final.xml"] = ser(receipt("FINAL", "PROCESSED"))
    g = etree.tostring(mk("GATE"), encoding="unicode")
    valid["gate-comments.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- exported by TOS -->\n' + \
        g.replace("<Body>", "<!-- head above --><Body>").replace("<Signature>", "<!-- unsigned comment --><Signature>").encode()

    inv: dict[str, bytes] = {}
    exp: dict[str, list[str]] = {}

    def bad(name: str, data: bytes | Any, *reqs: str) -> None:
        inv[name] = data if isinstance(data, bytes) else ser(data)
        exp[name] = sorted(reqs)

    gate = ser(mk("GATE"))
    bad("not-wellformed.xml", gate[: len(gate) // 2], "PDS-2.4")
    bad("doctype.xml", gate.replace(b"?>\n", b"?>\n<!DOCTYPE Message>\n", 1), "PDS-4.3")
    bad("encoding-gbk.xml", gate.replace(b'encoding="UTF-8"', b'encoding="GBK"', 1).replace("浙".encode(), "浙".encode("gbk")), "PDS-4.3")
    bad("invalid-utf8.xml", gate.replace(b"ZHE HAI", b"ZHE\xff HAI") if b"ZHE HAI" in gate else ser(mk("VSLARR")).replace(b"ZHE HAI", b"ZHE\xff HAI"), "PDS-2.4")
    bad("root-not-message.xml", ser(mk("GATE")).replace(b"<Message ", b"<Messages ").replace(b"</Message>", b"</Messages>"), "PDS-4.2")
    bad("foreign-element.xml", ser(mk("GATE")).replace(b"</Message>", b'<x:Extra xmlns:x="urn:other"/></Message>'), "PDS-4.1", "PDS-4.2")
    bad("message-attribute.xml", ser(mk("GATE")).replace(b"<Message ", b'<Message id="1" '), "PDS-4.2")
    pref = etree.tostring(mk("GATE"), encoding="unicode")
    pref = re.sub(r"<(/?)([A-Za-z]+)", r"<\1p:\2", pref).replace('xmlns="urn', 'xmlns:p="urn')
    bad("prefixed.xml", ser(resign(etree.fromstring(pref.encode(), M.safe_parser()), nb)), "PDS-4.1b")
    bad("head-order.xml", text_edit(mk("GATE"), "<SenderID>NBCT0001</SenderID><ReceiverID>ZJPORTHUB01</ReceiverID>",
                                    "<ReceiverID>ZJPORTHUB01</ReceiverID><SenderID>NBCT0001</SenderID>"), "PDS-4.4")
    bad("version-2.xml", mk("GATE", head_extra={"Version": "2.0"}), "PDS-4.4")
    bad("nonce-uppercase.xml", mk("GATE", nonce="5F0C6A2E9B8D4C1F8A7E6D5C4B3A2918"), "PDS-4.4")
    bad("value-whitespace.xml", mk("VSLARR", replace=[("<VesselName>ZHE", "<VesselName> ZHE")]), "PDS-4.5")
    bad("comment-in-value.xml", mk("VSLARR", replace=[("<VoyageNo>032E", "<VoyageNo>032<!--x-->E")]), "PDS-4.5")
    bad("message-id-other-sender.xml", mk("GATE", mid="SHAGENT0120261121103000000001"), "PDS-4.6")
    bad("message-id-not-date.xml", mk("GATE", mid="NBCT000199999999999999000001"), "PDS-4.6b")
    bad("replacement-without-ref.xml", mk("GATE", fc="5"), "PDS-4.7")
    bad("original-with-ref.xml", mk("GATE", ref="NBCT000120261121103000000001"), "PDS-4.7")
    r = mk("GATE")
    v = r.find(f"{M.q('Signature')}/{M.q('Value')}")
    v.text = v.text[:20] + "\n" + v.text[20:]
    bad("signature-value-newline.xml", r, "PDS-4.8")
    bad("method-unknown.xml", text_edit(mk("GATE"), "<Method>SM2-SM3</Method>", "<Method>SM2-SHA256</Method>", sign=False), "PDS-4.8")
    bad("body-two-elements.xml", mk("GATE", body_inner=S.body("GATE", SEND) * 2), "PDS-4.9")
    bad("body-wrong-element.xml", mk("GATE", body_inner=S.body("VSLARR", SEND)), "PDS-4.9")
    bad("sendtime-feb30.xml", mk("GATE", head_extra={"SendTime": "2026-02-30T10:30:00+08:00"}), "PDS-5.1")
    bad("ata-no-zone.xml", mk("VSLARR", replace=[("+08:00</ATA>", "</ATA>")]), "PDS-5.1")
    bad("ata-offset-15h.xml", mk("VSLARR", replace=[("T09:30:00+08:00</ATA>", "T09:30:00+15:00</ATA>")]), "PDS-5.1")
    bad("imo-check-digit.xml", mk("VSLARR", replace=[("9074729", "9074728")]), "PDS-5.2")
    bad("imo-format.xml", mk("VSLARR", replace=[("9074729", "907472")]), "PDS-5.2")
    bad("mmsi-flag.xml", mk("VSLARR", replace=[("413123456", "477123456")]), "PDS-5.3")
    bad("callsign.xml", mk("VSLARR", replace=[("<CallSign>BOAA", "<CallSign>b-aa")]), "PDS-5.4")
    bad("vessel-no-flag.xml", mk("VSLARR", replace=[("<Flag>CN</Flag>", "")]), "PDS-5.4")
    bad("portcode-foreign.xml", mk("GATE", replace=[("<PortCode>CNNGB", "<PortCode>USLAX")]), "PDS-5.5")
    bad("locode-format.xml", mk("VSLARR", replace=[("<LastPort>CNSHA", "<LastPort>CN1AB")]), "PDS-5.5")
    bad("terminal-code.xml", mk("GATE", replace=[("<TerminalCode>NBCT", "<TerminalCode>n")]), "PDS-5.6")
    bad("container-check-digit.xml", mk("GATE", replace=[("CSQU3054383", "CSQU3054384")]), "PDS-5.7")
    bad("container-format.xml", mk("GATE", replace=[("CSQU3054383", "CSQX3054383")]), "PDS-5.7")
    bad("sizetype.xml", mk("GATE", replace=[("22G1", "22G9")]), "PDS-5.8")
    bad("gross-weight.xml", mk("GATE", replace=[("18250", "60001")]), "PDS-5.9")
    bad("bay-format.xml", mk("LOADDISC", replace=[("0010282", "001028")]), "PDS-5.10")
    bad("un-number-range.xml", mk("DGDECL", replace=[("<UNNumber>1203", "<UNNumber>3600")]), "PDS-5.11")
    bad("truck-plate.xml", mk("GATE", replace=[("浙B12345", "浙b12345")]), "PDS-5.12")
    bad("draught-range.xml", mk("VSLARR", replace=[("<Draught>12.5", "<Draught>31")]), "PDS-5.13")
    bad("crew-count.xml", mk("VSLARR", replace=[("<CrewCount>22", "<CrewCount>022")]), "PDS-5.13")
    ata = M.format_datetime(SEND - dt.timedelta(hours=1))
    bad("vslarr-no-ata.xml", mk("VSLARR", replace=[(f"<ATA>{ata}</ATA>", "")]), "PDS-6.2")
    bad("vslarr-ata-after-send.xml", mk("VSLARR", replace=[(f"<ATA>{ata}", f"<ATA>{M.format_datetime(SEND + dt.timedelta(minutes=10))}")]), "PDS-6.2.1")
    bad("vslarr-lastport.xml", mk("VSLARR", replace=[("<LastPort>CNSHA", "<LastPort>CNNGB")]), "PDS-6.2.2")
    d_ata = M.format_datetime(SEND - dt.timedelta(hours=30))
    d_atu = M.format_datetime(SEND - dt.timedelta(hours=2))
    bad("vsldep-order.xml", mk("VSLDEP", replace=[("<NextPort>SGSIN</NextPort>", ""), ("</PortCode>", "</PortCode><NextPort>SGSIN</NextPort>"), ("<CrewCount>22</CrewCount>", ""), ("</VesselDeparture>", "<CrewCount>22</CrewCount></VesselDeparture>"), (f"<ATA>{d_ata}</ATA>", ""), ("</NextPort>", f"</NextPort><ATA>{d_ata}</ATA>")]) if False else mk("VSLDEP", replace=[("<CrewCount>22</CrewCount>", ""), ("<NextPortETA>", "<CrewCount>22</CrewCount><NextPortETA>")]), "PDS-6.3")
    bad("vsldep-atb-without-atu.xml", mk("VSLDEP", replace=[(f"<ATU>{d_atu}</ATU>", "")]), "PDS-6.3.1")
    bad("vsldep-atu-after-atd.xml", mk("VSLDEP", replace=[(f"<ATU>{d_atu}", f"<ATU>{M.format_datetime(SEND - dt.timedelta(minutes=30))}")]), "PDS-6.3.2")
    bad("vsldep-nextport.xml", mk("VSLDEP", replace=[("<NextPort>SGSIN", "<NextPort>CNNGB")]), "PDS-6.3.3")
    bad("berth-extra-element.xml", mk("BERTH", replace=[("</BerthEvent>", "<Remark>x</Remark></BerthEvent>")]), "PDS-6.4")
    bad("berth-atu-when-berthing.xml", mk("BERTH", replace=[("</ATB>", f"</ATB><ATU>{M.format_datetime(SEND - dt.timedelta(minutes=5))}</ATU>")]), "PDS-6.4.1")
    bad("berth-atb-before-ata.xml", mk("BERTH", replace=[(f"<ATB>{M.format_datetime(SEND - dt.timedelta(minutes=20))}", f"<ATB>{M.format_datetime(SEND - dt.timedelta(hours=4))}")]), "PDS-6.4.2")
    extra = "".join(f"<Container><ContainerNo>{n}</ContainerNo><SizeType>22G1</SizeType><FullEmpty>E</FullEmpty></Container>" for n in ("OOLU1002005", "CMAU5544336"))
    bad("gate-three-containers.xml", mk("GATE", replace=[("<ContainerCount>1", "<ContainerCount>3"), ("</Container></Containers>", "</Container>" + extra + "</Containers>")]), "PDS-6.5")
    bad("gate-event-after-send.xml", mk("GATE", replace=[(M.format_datetime(SEND - dt.timedelta(minutes=5)), M.format_datetime(SEND + dt.timedelta(minutes=5)))]), "PDS-6.5.1")
    bad("gate-two-with-40ft.xml", mk("GATE", replace=[("<ContainerCount>1", "<ContainerCount>2"), ("</Container></Containers>", "</Container><Container><ContainerNo>OOLU1002005</ContainerNo><SizeType>42G1</SizeType><FullEmpty>E</FullEmpty></Container></Containers>")]), "PDS-6.5.2")
    bad("ld-no-bay.xml", mk("LOADDISC", replace=[("<BayPosition>0010282</BayPosition>", "")]), "PDS-6.6")
    bad("ld-optime-before-start.xml", mk("LOADDISC", replace=[(f"<OperationTime>{M.format_datetime(SEND - dt.timedelta(hours=2))}", f"<OperationTime>{M.format_datetime(SEND - dt.timedelta(hours=4))}")]), "PDS-6.6.1")
    bad("ld-port-of-loading.xml", mk("LOADDISC", replace=[("<PortOfLoading>CNNGB", "<PortOfLoading>CNSHA")]), "PDS-6.6.2")
    bad("ld-bay-parity.xml", mk("LOADDISC", replace=[("0010282", "0040282")]), "PDS-6.6.3")
    bad("dg-no-declarant.xml", mk("DGDECL", replace=[("<Declarant><Name>宁波某船代公司</Name><Phone>0574-12345678</Phone></Declarant>", "")]), "PDS-6.7")
    bad("dg-packing-group.xml", mk("DGDECL", replace=[("<PackingGroup>II</PackingGroup>", "")]), "PDS-6.7.1")
    bad("cancellation-no-reason.xml", mk("GATE", fc="1", ref="NBCT000120261121103000000001", body_inner="<Cancellation></Cancellation>"), "PDS-6.8")
    bad("receipt-no-stage.xml", text_edit(receipt("SYNC", "ACCEPTED"), "<Stage>SYNC</Stage>", "", party=plat), "PDS-6.9")
    bad("receipt-final-accepted.xml", receipt("FINAL", "ACCEPTED"), "PDS-6.9.2")
    bad("receipt-rejected-no-errors.xml", receipt("SYNC", "REJECTED"), "PDS-6.9.2")
    bad("count-mismatch.xml", mk("GATE", replace=[("<ContainerCount>1", "<ContainerCount>2")]), "PDS-6.10.1")
    bad("ld-duplicate-container.xml", mk("LOADDISC", replace=[("MSCU1234566", "CSQU3054383")]), "PDS-6.10.2")
    bad("gate-full-no-seal.xml", mk("GATE", replace=[("<SealNo>CN1234567</SealNo>", "")]), "PDS-6.10.3")
    bad("receiver-not-platform.xml", mk("GATE", receiver="OTHERHUB01"), "PDS-6.10.5")
    bad("participant-sends-receipt.xml", S.build("RECEIPT", nb, receiver=PLATFORM_ID, send=SEND, seq=next(seq),
                                                 body_inner=S.receipt_body("SHAGENT0120261121103000000001", "GATE", "SYNC", "ACCEPTED", M.format_datetime(SEND))), "PDS-6.10.5")
    bad("tampered-body.xml", text_edit(mk("GATE"), "<GateID>G03", "<GateID>G04", sign=False), "PDS-7.2")
    r = mk("GATE")
    v = r.find(f"{M.q('Signature')}/{M.q('Value')}")
    rr, ss = C.der_decode(C.b64decode_strict(v.text))
    body_ = b"\x02" + bytes([len(C._der_int(rr)) - 1]) + C._der_int(rr)[2:]
    nonmin = b"\x02" + bytes([len(body_) - 2 + 1]) + b"\x00" + body_[2:] + C._der_int(ss)
    v.text = C.b64(b"\x30" + bytes([len(nonmin)]) + nonmin)
    bad("signature-non-minimal-der.xml", r, "PDS-7.2")
    bad("rsa-tampered.xml", text_edit(mk("GATE", method="RSA-SHA256"), "<GateID>G03", "<GateID>G04", sign=False), "PDS-7.3")
    bad("keyid-not-sender.xml", text_edit(mk("GATE"), "<KeyId>NBCT0001", "<KeyId>SHAGENT01", sign=False), "PDS-7.4")
    bad("unregistered-sender.xml", mk("GATE", un), "PDS-7.4")
    bad("rsa-key-not-registered.xml", mk("GATE", ag, body_inner=S.body("GATE", SEND)) if False else
        text_edit(mk("GATE", ag), "<Method>SM2-SM3", "<Method>RSA-SHA256", party=ag, sign=False), "PDS-7.4")
    bad("dg-in-clear.xml", mk("DGDECL", encrypt=False), "PDS-7.6.1")
    wrong = M.Party(id=nb.id, sm2_private=nb.sm2_private, sm4_key=bytes(range(16)))
    wrong.sm2_public = nb.sm2_public
    bad("dg-wrong-sm4-key.xml", S.build("DGDECL", wrong, receiver=PLATFORM_ID, send=SEND, seq=next(seq)), "PDS-7.6.3")
    bad("dg-algorithm-aes.xml", text_edit(mk("DGDECL"), 'Algorithm="SM4-CBC"', 'Algorithm="AES-128-CBC"'), "PDS-7.6.3")
    bad("dg-not-base64.xml", mk("DGDECL", body_inner='<EncryptedData Algorithm="SM4-CBC">not*base64</EncryptedData>', encrypt=False), "PDS-7.6.3")
    bad("gate-encrypted.xml", mk("GATE", body_inner='<EncryptedData Algorithm="SM4-CBC">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</EncryptedData>'), "PDS-4.9", "PDS-7.6.4")
    return valid, inv, exp


def write_fixtures(out: Path) -> None:
    keys = out / "keys"
    write_keys(keys)
    pixit = pixit_dict()
    header = ("# TEST-ONLY PIXIT of the PDS 1.0 fixtures and tests; generated by\n"
              "# profiles/pds-1.0/tools/make_messages.py. Key paths are relative to this file.\n")
    (out / "pixit.yaml").write_text(header + yaml.safe_dump(pixit, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (out / "demo.yaml").write_text("# Settings `conformance demo` uses for this profile's fixtures.\npixit: pixit.yaml\n", encoding="utf-8")
    valid, inv, exp = fixtures(out)
    for sub, files in (("valid", valid), ("invalid", inv)):
        d = out / sub
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("*.xml"):
            if old.name not in files:
                old.unlink()
        for name, data in files.items():
            (d / name).write_bytes(data)
    (out / "invalid" / "EXPECTED.yaml").write_text(
        "# Generated by profiles/pds-1.0/tools/make_messages.py: each invalid fixture -> the\n"
        "# requirement ids whose verdict must be `fail` (exactly these).\n" + yaml.safe_dump(exp, sort_keys=True),
        encoding="utf-8")


def write_many(out: Path, n: int) -> None:
    """``n`` valid signed messages of each business type (distinct MessageIDs)."""
    out.mkdir(parents=True, exist_ok=True)  # the committed TEST-ONLY keys are read, never rewritten here
    nb = parties(OUT)["NBCT0001"]
    for t in S.BUSINESS_TYPES:
        for i in range(n):
            root = S.build(t, nb, receiver=PLATFORM_ID, send=SEND + dt.timedelta(seconds=i), seq=i + 1)
            (out / f"{t.lower()}-{i + 1:05d}.xml").write_bytes(M.serialize(root))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write N valid messages per type here instead of the fixtures")
    ap.add_argument("-n", type=int, default=10)
    args = ap.parse_args(argv)
    if args.out:
        write_many(args.out, args.n)
    else:
        write_fixtures(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
