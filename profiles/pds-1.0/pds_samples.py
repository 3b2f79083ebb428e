"""Valid PDS 1.0 sample messages (deterministic), and the means to break one rule at a time.

Used by tools/make_messages.py (fixtures), the live scenarios (submissions), the
reference enterprise (its own submissions) and benchmarks/pds_bench.py. Times are
relative to SendTime, so a message built for "now" satisfies every time rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any
from conformance.profile import load_sibling


def _sibling(name: str) -> Any:
    return load_sibling(__file__, name, prefix="pds_1_0")


M = _sibling("pds_model")
crypto = M.crypto

VESSEL = ("<Vessel><IMO>9074729</IMO><MMSI>413123456</MMSI><CallSign>BOAA</CallSign>"
          "<VesselName>ZHE HAI 508</VesselName><Flag>CN</Flag></Vessel>")


def _t(send: dt.datetime, **delta: float) -> str:
    return M.format_datetime(send + dt.timedelta(**delta))


def body(msg_type: str, send: dt.datetime) -> str:
    """The inner XML of Body for an original message of ``msg_type`` (DGDECL: in clear)."""
    if msg_type == "VSLARR":
        return (f"<VesselArrival>{VESSEL}<VoyageNo>032E</VoyageNo><PortCode>CNNGB</PortCode><LastPort>CNSHA</LastPort>"
                f"<ETA>{_t(send, hours=-3)}</ETA><ATA>{_t(send, hours=-1)}</ATA><ETB>{_t(send, hours=1)}</ETB>"
                f"<ETD>{_t(send, hours=20)}</ETD><Draught>12.5</Draught><CrewCount>22</CrewCount></VesselArrival>")
    if msg_type == "VSLDEP":
        return (f"<VesselDeparture>{VESSEL}<VoyageNo>032E</VoyageNo><PortCode>CNNGB</PortCode><NextPort>SGSIN</NextPort>"
                f"<ATA>{_t(send, hours=-30)}</ATA><ATB>{_t(send, hours=-28)}</ATB><ATU>{_t(send, hours=-2)}</ATU>"
                f"<ATD>{_t(send, hours=-1)}</ATD><NextPortETA>{_t(send, hours=100)}</NextPortETA>"
                f"<CrewCount>22</CrewCount></VesselDeparture>")
    if msg_type == "BERTH":
        return (f"<BerthEvent>{VESSEL}<VoyageNo>032E</VoyageNo><PortCode>CNNGB</PortCode><TerminalCode>NBCT</TerminalCode>"
                f"<BerthCode>B05</BerthCode><EventType>BERTHING</EventType><ATA>{_t(send, hours=-3)}</ATA>"
                f"<ATB>{_t(send, minutes=-20)}</ATB></BerthEvent>")
    if msg_type == "GATE":
        return (f"<GateReport><PortCode>CNNGB</PortCode><TerminalCode>NBCT</TerminalCode><GateID>G03</GateID>"
                f"<Direction>IN</Direction><EventTime>{_t(send, minutes=-5)}</EventTime><TruckPlate>浙B12345</TruckPlate>"
                "<ContainerCount>1</ContainerCount><Containers><Container><ContainerNo>CSQU3054383</ContainerNo>"
                "<SizeType>22G1</SizeType><FullEmpty>F</FullEmpty><SealNo>CN1234567</SealNo>"
                "<GrossWeight>18250</GrossWeight></Container></Containers></GateReport>")
    if msg_type == "LOADDISC":
        return (f"<LoadDischargeReport>{VESSEL}<VoyageNo>032E</VoyageNo><PortCode>CNNGB</PortCode>"
                f"<TerminalCode>NBCT</TerminalCode><Operation>LOAD</Operation>"
                f"<OperationStart>{_t(send, hours=-3)}</OperationStart><OperationEnd>{_t(send, hours=-1)}</OperationEnd>"
                "<ContainerCount>2</ContainerCount><Containers>"
                "<Container><ContainerNo>CSQU3054383</ContainerNo><SizeType>22G1</SizeType><FullEmpty>F</FullEmpty>"
                "<SealNo>CN1234567</SealNo><GrossWeight>18250</GrossWeight><BayPosition>0010282</BayPosition>"
                f"<PortOfLoading>CNNGB</PortOfLoading><PortOfDischarge>USLAX</PortOfDischarge>"
                f"<OperationTime>{_t(send, hours=-2)}</OperationTime></Container>"
                "<Container><ContainerNo>MSCU1234566</ContainerNo><SizeType>45G1</SizeType><FullEmpty>E</FullEmpty>"
                "<GrossWeight>3900</GrossWeight><BayPosition>0020484</BayPosition>"
                f"<PortOfLoading>CNNGB</PortOfLoading><PortOfDischarge>USLAX</PortOfDischarge>"
                f"<OperationTime>{_t(send, hours=-1, minutes=-30)}</OperationTime></Container>"
                "</Containers></LoadDischargeReport>")
    if msg_type == "DGDECL":
        return (f'<DangerousGoodsDeclaration xmlns="{M.NS}">{VESSEL}<VoyageNo>032E</VoyageNo><PortCode>CNNGB</PortCode>'
                "<Operation>LOAD</Operation><ItemCount>1</ItemCount><Items><Item><ContainerNo>TGHU9876542</ContainerNo>"
                "<UNNumber>1203</UNNumber><IMDGClass>3</IMDGClass><PackingGroup>II</PackingGroup>"
                "<ProperShippingName>GASOLINE</ProperShippingName><NetWeight>12000.5</NetWeight>"
                "<EmergencyContact>+86-574-87654321</EmergencyContact></Item></Items>"
                "<Declarant><Name>宁波某船代公司</Name><Phone>0574-12345678</Phone></Declarant>"
                "</DangerousGoodsDeclaration>")
    raise ValueError(msg_type)


BUSINESS_TYPES = ("VSLARR", "VSLDEP", "BERTH", "GATE", "LOADDISC", "DGDECL")


def message_id(sender: str, send: dt.datetime, seq: int) -> str:
    return f"{sender}{send.strftime('%Y%m%d%H%M%S')}{seq % 1_000_000:06d}"


def nonce_for(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def build(msg_type: str, party: Any, *, receiver: str, send: dt.datetime, seq: int = 1, fc: str = "9",
          ref: str | None = None, nonce: str | None = None, mid: str | None = None,
          replace: list[tuple[str, str]] | None = None, body_inner: str | None = None,
          encrypt: bool = True, method: str = "SM2-SM3", sign: bool = True, head_extra: dict[str, Any] | None = None,
          iv: bytes | None = None) -> Any:
    """A parsed, signed Message. ``replace`` edits the clear body text before encryption and
    signing, so one rule breaks and the signature still holds."""
    mid = mid or message_id(party.id, send, seq)
    head: dict[str, Any] = {"MessageID": mid, "FunctionCode": fc, "MessageType": msg_type, "SenderID": party.id,
                            "ReceiverID": receiver, "SendTime": M.format_datetime(send), "Version": "1.0",
                            "Nonce": nonce or nonce_for(f"{mid}|{send.isoformat()}"), "RefMessageID": ref}
    head.update(head_extra or {})
    if body_inner is None:
        if fc == "1":
            body_inner = "<Cancellation><Reason>申报有误，撤销</Reason></Cancellation>"
        else:
            body_inner = body(msg_type, send)
    for old, new in replace or ():
        if old not in body_inner:
            raise ValueError(f"{old!r} is not in the {msg_type} body")
        body_inner = body_inner.replace(old, new, 1)
    if msg_type == "DGDECL" and fc != "1" and encrypt:
        body_inner = M.encrypt_body(body_inner, party.sm4_key, iv or crypto.derived_bytes(mid))
    root = M.unsigned(head, body_inner)
    if sign:
        M.sign_root(root, party, method=method)
    return root


def receipt_body(ref_id: str, ref_type: str, stage: str, status: str, process_time: str,
                 errors: list[tuple[str, str | None, str]] | None = None) -> str:
    """The inner XML of Body for a RECEIPT (§6.9); errors are (code, location, description)."""
    out = (f"<Receipt><RefMessageID>{ref_id}</RefMessageID><RefMessageType>{ref_type}</RefMessageType>"
           f"<Stage>{stage}</Stage><Status>{status}</Status><ProcessTime>{process_time}</ProcessTime>")
    if errors:
        out += "<Errors>"
        for code, location, description in errors[:50]:
            loc = f"<Location>{M._esc(location[:512])}</Location>" if location else ""
            out += f"<Error><Code>{code}</Code>{loc}<Description>{M._esc(description[:512])}</Description></Error>"
        out += "</Errors>"
    return out + "</Receipt>"


def test_key(label: str) -> int:
    """A reproducible SM2 private key for TEST-ONLY fixtures and reference peers."""
    n = crypto.SM2P256V1.n
    return int.from_bytes(hashlib.sha256(f"pds-1.0 TEST-ONLY {label}".encode()).digest(), "big") % (n - 2) + 1
