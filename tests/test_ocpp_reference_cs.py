"""ocpp-1.6j, SUT = central system: the reference central system and each of its defects."""

from __future__ import annotations

import socket
import time

import pytest

from test_ocpp_support import assert_defect_caught, defects_of, not_passed, run, verdicts


def test_reference_central_system_passes_every_applicable_requirement() -> None:
    record = run("central-system")
    assert not_passed(record) == {}
    assert record["summary"]["exit_code"] == 0
    v = verdicts(record)
    assert v["OCPP16-C-CS-TX"] == "pass" and v["OCPP16-J-SUBPROTO"] == "pass"
    assert v["OCPP16-C-HEARTBEAT"] == "not_applicable"  # a charge-point requirement
    frames = [e for e in record["exchanges"] if e["method"] == "WS"]
    assert {e["direction"] for e in frames} == {"in", "out"}
    handshake = next(e for e in record["exchanges"] if e["method"] == "GET")
    assert handshake["response"]["status"] == 101
    assert handshake["response"]["headers"].get("Sec-WebSocket-Protocol") == "ocpp1.6"
    assert handshake["url"].endswith("/CP001")  # identity in the URL path


@pytest.mark.parametrize("defect", defects_of("central-system"))
def test_each_central_system_defect_fails_exactly_what_it_breaks(defect: str) -> None:
    assert_defect_caught(defect)


def test_refused_connection_is_an_error_with_evidence_and_a_record() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    record = run("central-system", reference=False, pixit={"csms_url": f"ws://127.0.0.1:{port}/ocpp",
                                                           "base_url": f"ws://127.0.0.1:{port}/ocpp"})
    assert time.monotonic() - started < 20
    v = verdicts(record)
    assert v["OCPP16-J-SUBPROTO"] == "error" and v["OCPP16-C-CS-AUTH"] == "error"
    assert "fail" not in v.values()
    finding = next(r for r in record["requirements"] if r["id"] == "OCPP16-C-CS-AUTH")["findings"][0]
    assert "transport fault" in finding["message"]["en"]
    assert record["exchanges"][finding["location"]["exchange"]]["error"].startswith("connection failed")
    assert record["summary"]["exit_code"] == 3
