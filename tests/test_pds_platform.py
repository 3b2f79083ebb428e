"""PDS 1.0 live, SUT = platform: the reference platform passes, the record is complete and
redacted, and the CLI works. The defects are in test_pds_platform_defects_*.py."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pds_support import FIXTURES, live, profile, role_defects  # noqa: E402

from conformance.cli import main  # noqa: E402
from conformance.live.runner import run_live  # noqa: E402
from conformance.record import validate_record  # noqa: E402


def test_reference_platform_passes_every_platform_requirement() -> None:
    record = live("platform")
    assert validate_record(record) == []
    by = {r["id"]: r for r in record["requirements"]}
    platform_reqs = {r.id for r in profile().requirements if "platform" in r.roles and r.not_tested is None}
    assert {i for i in platform_reqs if by[i]["verdict"] != "pass"} == set()
    assert all(by[r.id]["verdict"] == "not_applicable" for r in profile().requirements if "platform" not in r.roles)
    assert record["summary"]["exit_code"] == 0
    assert {e["direction"] for e in record["exchanges"]} == {"out", "in"}  # submissions and the FINAL pushes
    steps = " ".join(e.get("step") or "" for e in record["exchanges"])
    for needle in ("reused nonce", "duplicate MessageID", "another participant's message", "tampered message",
                   "non-XML", "oversized", "replacement", "cancellation"):
        assert needle in steps, needle
    # secrets never appear: API keys, SM2 and SM4 keys of the participants
    dump = json.dumps(record, ensure_ascii=False)
    fx = FIXTURES / "keys"
    for name in ("NBCT0001-sm2-private-TEST-ONLY.txt", "NBCT0001-sm4-TEST-ONLY.txt", "SHAGENT01-sm4-TEST-ONLY.txt"):
        assert fx.joinpath(name).read_text().strip() not in dump
    assert "X-Api-Key" in dump and "«redacted»" in dump


def test_every_platform_requirement_has_a_defect() -> None:
    testable = {r.id for r in profile().requirements if "platform" in r.roles and r.not_tested is None}
    broken = {req for d in role_defects("platform") for req in profile().defects[d]}
    assert testable - broken == set()
    assert len(role_defects("platform")) >= 12


def test_unreachable_platform_is_error_and_the_record_is_written() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pixit = {**json.loads(json.dumps(__import__("yaml").safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8")))),
             "base_url": f"http://127.0.0.1:{port}/portapi/v1/", "timeout_s": 1}
    record = run_live(profile(), role="platform", pixit=pixit, pixit_dir=str(FIXTURES))
    assert validate_record(record) == []
    v = {r["id"]: r["verdict"] for r in record["requirements"]}
    assert v["PDS-P-8.1"] == "error"
    assert "fail" not in {v[r.id] for r in profile().requirements if "platform" in r.roles and r.not_tested is None} - {"fail"}
    assert record["summary"]["exit_code"] in (1, 3)


def test_cli_run_against_the_reference_with_a_defect(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    pixit = tmp_path / "pixit.yaml"
    pixit.write_text("retry_wait_s: 0.05\ntimeout_s: 5\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "pds-1.0", "--role", "platform", "--reference", "--defect", "no-nonce-check",
                                       "--pixit", str(pixit), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "PDS-P-7.5.2" in result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    failing = [f for r in record["requirements"] if r["id"] == "PDS-P-7.5.2" for f in r["findings"] if f["verdict"] == "fail"]
    ex = record["exchanges"][failing[0]["location"]["exchange"]]
    assert ex["reproduce"].startswith("curl -sS -X POST") and ex["step"].endswith("reused nonce")
