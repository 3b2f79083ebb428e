"""tcec102-2016 live suite against its reference peers (both roles), defects and faults.

Every server is started here on 127.0.0.1 with port 0 and stopped here; PIXIT
timeout_s is 2 (1 for the fault servers) so the file stays fast on 2 cores.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conformance import validate_record
from conformance.cli import main
from conformance.live import LoopbackServer, Response
from conformance.live.runner import run_live
from conformance.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
PROFILE_DIR = ROOT / "profiles" / "tcec102-2016"
FIXTURES = ROOT / "fixtures" / "tcec102-2016"
PIXIT = yaml.safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8"))
ISSUE_PIXIT_KEYS = {"base_url", "operator_id", "sut_operator_id", "operator_secret", "data_secret", "data_iv",
                    "sig_secret", "listen_host", "listen_port", "timeout_s"}


@pytest.fixture(scope="module")
def profile() -> Any:
    return load_profile(PROFILE_DIR)


def _verdicts(record: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def _reference(profile: Any, role: str, *defects: str, **pixit: Any) -> dict:
    record = run_live(profile, role=role, reference=True, defects=defects, pixit={"timeout_s": 2, **pixit}, seed=1)
    assert validate_record(record) == []
    return record


def test_pixit_file_uses_exactly_the_documented_keys() -> None:
    assert set(PIXIT) == ISSUE_PIXIT_KEYS


@pytest.mark.parametrize("role", ["provider", "demander"])
def test_reference_peer_passes_every_requirement(profile: Any, role: str) -> None:
    record = _reference(profile, role)
    v = _verdicts(record)
    assert {x for x in v.values()} <= {"pass", "not_applicable"}, {k: x for k, x in v.items() if x != "pass"}
    assert record["summary"]["exit_code"] == 0
    must_pass = {"CEC-A-TOKEN", "CEC-A-TOKEN-DENY", "CEC-RET-4001", "CEC-RET-4002", "CEC-RET-4003", "CEC-RET-4004",
                 "CEC-RET-ORDER", "CEC-C-SIG", "CEC-B-DATA", "CEC-4.4-BEARER", "CEC-4.5-TS", "CEC-PERF"}
    if role == "provider":
        must_pass |= {"CEC-3-NOTIFY", "CEC-2-STATUS-LIMIT", "CEC-2-STATION", "CEC-3-DETAILS"}
    else:
        must_pass |= {"CEC-2-STATUS-IDS", "CEC-3-MESSAGES"}
    assert {r for r in must_pass if v[r] != "pass"} == set()
    directions = {e["direction"] for e in record["exchanges"]}
    assert directions == {"out", "in"}  # calls to the SUT and the SUT's requests to the listener
    inbound = {e["url"].rsplit("/", 1)[-1] for e in record["exchanges"] if e["direction"] == "in"}
    if role == "provider":
        assert {"query_token", "notification_start_charge_result", "notification_equip_charge_status",
                "notification_stop_charge_result", "notification_charge_order_info"} <= inbound
    else:
        assert {"query_token", "query_station_status"} <= inbound


DEFECTS = sorted(yaml.safe_load((PROFILE_DIR / "profile.yaml").read_text(encoding="utf-8"))["defects"].items())


@pytest.mark.parametrize("name, defect", DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_defect_fails_exactly_the_requirements_it_breaks(profile: Any, name: str, defect: dict) -> None:
    record = _reference(profile, defect["role"], name)
    v = _verdicts(record)
    failed = {rid for rid, x in v.items() if x not in ("pass", "not_applicable")}
    assert failed == set(defect["breaks"]), {rid: v[rid] for rid in failed}
    for r in record["requirements"]:
        if r["id"] in failed:
            assert r["verdict"] == "fail"
            assert all(f["verdict"] == "fail" for f in r["findings"] if f["verdict"] != "pass")
    assert record["summary"]["exit_code"] == (0 if all(profile.requirement(r).level.value != "MUST"
                                                       for r in failed) else 1)


def test_precedence_is_checked_with_combined_faults(profile: Any) -> None:
    record = _reference(profile, "demander", "token-before-sig")
    order = [f for r in record["requirements"] if r["id"] == "CEC-RET-ORDER" for f in r["findings"]
             if f["verdict"] == "fail"]
    assert len(order) == 1
    assert order[0]["evidence"] == {"expected": 4001, "got": 4002}
    assert "bad signature + no token + bad business field" in order[0]["message"]["en"]
    # Msg text is never judged: the failing exchange's Msg is whatever the peer said
    ex = record["exchanges"][order[0]["location"]["exchange"]]
    assert ex["reproduce"].startswith("curl -sS -X POST")


def test_secrets_and_tokens_are_redacted_everywhere(profile: Any) -> None:
    secret_pixit = {**{k: v for k, v in PIXIT.items() if k not in ("base_url", "listen_port")},
                    "operator_secret": "PrivateSecret-99", "sig_secret": "PrivateSigKey-77"}
    record = _reference(profile, "provider", **secret_pixit)
    dump = json.dumps(record, ensure_ascii=False)
    for value in ("PrivateSecret-99", "PrivateSigKey-77", PIXIT["data_secret"], PIXIT["data_iv"]):
        assert value not in dump
    auth = {e["request"]["headers"].get("Authorization") for e in record["exchanges"]} - {None}
    assert auth == {"Bearer «redacted»"}


def _fault_pixit(url: str) -> dict[str, Any]:
    return {**{k: v for k, v in PIXIT.items() if k != "listen_port"}, "base_url": url, "timeout_s": 1}


def test_connection_refused_is_error_and_the_record_is_written(profile: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    record = run_live(profile, role="provider", pixit=_fault_pixit(f"http://127.0.0.1:{port}/evcs/v1/"))
    assert validate_record(record) == []
    v = _verdicts(record)
    assert v["CEC-A-TOKEN"] == "error" and "fail" not in v.values()
    assert record["summary"]["exit_code"] == 3
    assert any(e.get("error", "").startswith("connection failed") for e in record["exchanges"])


@pytest.mark.parametrize("status, body, ctype, exit_code", [
    (500, "internal error", "text/plain", 3),
    (200, "<html>maintenance</html>", "text/html", 1),
])
def test_http_500_and_non_json_answers(profile: Any, status: int, body: str, ctype: str, exit_code: int) -> None:
    server = LoopbackServer(lambda req: Response(status, body, {"Content-Type": ctype}))
    try:
        record = run_live(profile, role="demander", pixit=_fault_pixit(server.url + "evcs/v1/"))
    finally:
        server.stop()
    assert validate_record(record) == []
    v = _verdicts(record)
    assert record["summary"]["exit_code"] == exit_code
    if status == 500:
        assert v["CEC-4.3-JSON"] == "error" and "fail" not in v.values()
    else:
        assert v["CEC-4.3-JSON"] == "fail"
        assert {r for r, x in v.items() if x == "fail"} == {"CEC-4.3-JSON"}
    assert v["CEC-A-TOKEN"] == "inconclusive"
    assert all(e["response"]["status"] == status for e in record["exchanges"] if e["direction"] == "out")


def test_incomplete_pixit_is_a_clear_error(profile: Any) -> None:
    record = run_live(profile, role="provider", pixit={"base_url": "http://127.0.0.1:9/evcs/v1/", "timeout_s": 1})
    assert validate_record(record) == []
    assert record["summary"]["exit_code"] == 3
    assert record["exchanges"] == []  # nothing was sent
    msg = [f for r in record["requirements"] if r["id"] == "CEC-A-TOKEN" for f in r["findings"]][0]["message"]
    assert "PIXIT lacks operator_id" in msg["en"] and "配置错误" in msg["zh"]


def test_cli_run_against_the_reference_with_a_pixit_file(tmp_path: Path) -> None:
    pixit = tmp_path / "pixit.yaml"
    pixit.write_text(yaml.safe_dump({k: v for k, v in PIXIT.items() if k != "base_url"}), encoding="utf-8")
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["run", "tcec102-2016", "--role", "demander", "--reference", "--defect",
                                       "no-bearer", "--pixit", str(pixit), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "CEC-4.4-BEARER" in result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["target"]["defects"] == ["no-bearer"] and record["pixit"]["sha256"]


def test_listing_defects() -> None:
    result = CliRunner().invoke(main, ["reference", "tcec102-2016", "--role", "provider", "--list-defects"])
    assert result.exit_code == 0
    assert "lowercase-sig: CEC-C-SIG-FORMAT" in result.output
    assert len([line for line in result.output.splitlines() if ": CEC-" in line]) >= 12
