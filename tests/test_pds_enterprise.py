"""PDS 1.0 live, SUT = enterprise: the reference enterprise passes, each of its defects fails
exactly the requirements it breaks, and a trigger command is run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pds_support import FIXTURES, check_defect, live, profile, role_defects  # noqa: E402

from conformance.record import validate_record  # noqa: E402


def test_reference_enterprise_passes_every_enterprise_requirement() -> None:
    record = live("enterprise")
    assert validate_record(record) == []
    v = {r["id"]: r["verdict"] for r in record["requirements"]}
    testable = {r.id for r in profile().requirements if "enterprise" in r.roles and r.not_tested is None}
    assert {i for i in testable if v[i] != "pass"} == set()
    assert record["summary"]["exit_code"] == 0
    ins = [e for e in record["exchanges"] if e["direction"] == "in"]
    assert len(ins) >= 4  # the enterprise's own submissions reached the harness
    dump = json.dumps(record, ensure_ascii=False)
    assert (FIXTURES / "keys" / "ZJPORTHUB01-sm2-private-TEST-ONLY.txt").read_text().strip() not in dump
    assert (FIXTURES / "keys" / "NBCT0001-sm4-TEST-ONLY.txt").read_text().strip() not in dump


def test_every_enterprise_requirement_has_a_defect() -> None:
    testable = {r.id for r in profile().requirements if "enterprise" in r.roles and r.not_tested is None}
    broken = {req for d in role_defects("enterprise") for req in profile().defects[d]}
    assert testable - broken == set()
    assert len(role_defects("enterprise")) >= 12


@pytest.mark.parametrize("defect", role_defects("enterprise"))
def test_defect_fails_exactly_what_it_breaks(defect: str) -> None:
    check_defect("enterprise", defect)


def test_failing_trigger_command_is_an_error_with_evidence(tmp_path: Path) -> None:
    from conformance.live.runner import run_live

    record = run_live(profile(), role="enterprise", reference=True,
                      pixit={"timeout_s": 3, "trigger_command": f"{sys.executable} -c \"import sys; sys.exit(3)\""})
    assert validate_record(record) == []
    v = {r["id"]: r["verdict"] for r in record["requirements"]}
    assert v["PDS-E-2.5"] == "error"
    f = next(f for r in record["requirements"] if r["id"] == "PDS-E-2.5" for f in r["findings"])
    assert "exited with 3" in f["message"]["en"]
