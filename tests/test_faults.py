"""The harness against a broken SUT: a fault proxy between it and a correct reference peer.

Each fault hits one response; the scenario that made that request ends in `error`
(with the exchange as evidence), the other requirements keep their verdicts, and the
run record is still complete and valid. Benign faults (duplicate, reorder) change nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance import resolve_profile, validate_record
from conformance.live.faults import FaultProxy
from conformance.live.runner import run_live, start_reference

HERE = Path(__file__).parent
PROFILE = HERE / "data/profiles/test-live"
# Outbound requests of the test-live suite, in order: 1 token, 2 bad-password token,
# 3 echo, 4 echo without token, 5 subscribe.
ECHO = 3


@pytest.fixture(scope="module")
def profile():
    return resolve_profile(PROFILE)


def _run_through(profile, fault: str, only: int | None, **kw) -> tuple[dict, float]:
    peer = start_reference(profile, "server")
    try:
        with FaultProxy(peer.url, fault, only=only, **kw) as proxy:
            started = time.monotonic()
            record = run_live(profile, role="server", pixit={
                **peer.pixit, "base_url": proxy.url + "api/", "timeout_s": 1, "push_timeout_s": 1})
            return record, time.monotonic() - started
    finally:
        peer.stop()


def _verdicts(record: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def test_no_fault_passes(profile) -> None:
    record, _ = _run_through(profile, "none", None)
    assert set(_verdicts(record).values()) == {"pass"}


@pytest.mark.parametrize("fault, kw", [
    ("delay", {"delay_s": 2.0}),
    ("reset", {}),
    ("truncate", {}),
    ("slowloris", {"drip_s": 0.02}),
])
def test_fault_on_one_response_errors_only_its_scenario(profile, fault: str, kw: dict) -> None:
    record, elapsed = _run_through(profile, fault, ECHO, **kw)
    assert validate_record(record) == []
    assert record["complete"] is True
    verdicts = _verdicts(record)
    # The echo scenario (TL-3, TL-4) broke on the transport; nothing else is affected.
    assert verdicts["TL-3"] == "error" and verdicts["TL-4"] == "error", verdicts
    assert {v for k, v in verdicts.items() if k not in ("TL-3", "TL-4", "TL-7")} == {"pass"}, verdicts
    finding = next(f for r in record["requirements"] if r["id"] == "TL-3" for f in r["findings"])
    exchange = record["exchanges"][finding["location"]["exchange"]]
    assert exchange["error"] and exchange["url"].endswith("/echo")
    assert record["summary"]["exit_code"] in (1, 3)
    assert elapsed < 15, elapsed  # a dripping or silent peer cannot hold the run


@pytest.mark.parametrize("fault", ["duplicate", "reorder"])
def test_benign_faults_change_nothing(profile, fault: str) -> None:
    record, _ = _run_through(profile, fault, None)
    assert validate_record(record) == []
    assert {v for k, v in _verdicts(record).items() if k != "TL-7"} == {"pass"}


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FaultProxy("http://127.0.0.1:1/", "meltdown")
