"""ocpp-1.6j, SUT = charge point: the reference charge point passes; no charge point is an error.

The defects of the reference charge point are split over test_ocpp_defects_cp_{a,b,c}.py
(each suite run waits for real heartbeats and boot retries, ~5 s), so every file stays short.
"""

from __future__ import annotations

import time

from test_ocpp_support import not_passed, run, verdicts


def test_reference_charge_point_passes_every_applicable_requirement() -> None:
    record = run("charge-point")
    assert not_passed(record) == {}
    assert record["summary"]["exit_code"] == 0
    v = verdicts(record)
    for rid in ("OCPP16-C-HEARTBEAT", "OCPP16-C-STATUS", "OCPP16-RT-TRIGGER", "OCPP16-FW-STATUS", "OCPP16-J-SYNC"):
        assert v[rid] == "pass", rid
    assert v["OCPP16-C-CS-AUTH"] == "not_applicable"
    handshakes = [e for e in record["exchanges"] if e["method"] == "GET"]
    assert len(handshakes) == 2  # the first connection and the one after the soft reset
    assert all(e["direction"] == "in" and e["url"].endswith("/CP001") for e in handshakes)
    # the case table shows up as step numbers in the findings of a failing run; here the
    # schema digest of the official schemas is carried as evidence
    req = next(r for r in record["requirements"] if r["id"] == "OCPP16-P-REQ")
    assert any((f.get("evidence") or {}).get("schemas", {}).get("package") == "ocpp" for f in req["findings"])


def test_unclaimed_feature_profiles_are_not_applicable() -> None:
    record = run("charge-point", features=False)
    v = verdicts(record)
    for rid in ("OCPP16-RT-TRIGGER", "OCPP16-SC-PROFILE", "OCPP16-RS-RESERVE", "OCPP16-LL-VERSION", "OCPP16-FW-STATUS"):
        assert v[rid] == "not_applicable", rid
    assert not_passed(record) == {}


def test_no_charge_point_connecting_is_an_error_not_a_hang() -> None:
    started = time.monotonic()
    record = run("charge-point", reference=False, pixit={"base_url": "ws://127.0.0.1:0/", "timeout_s": 0.5})
    assert time.monotonic() - started < 20
    v = verdicts(record)
    assert v["OCPP16-J-URL"] == "error" and v["OCPP16-C-BOOTFIRST"] == "error"
    assert "fail" not in v.values()
    assert v["OCPP16-J-FRAME"] == "inconclusive"  # nothing was sent to judge
    finding = next(r for r in record["requirements"] if r["id"] == "OCPP16-J-URL")["findings"][0]
    assert "no charge point connected" in finding["message"]["en"]
    assert record["summary"]["exit_code"] == 3
