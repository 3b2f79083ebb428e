"""ocpp-1.6j on captured frames (`conformance validate`), and the profile's own consistency."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft4Validator

from conformance import validate_record
from conformance.cli import main
from conformance.runner import validate

from test_ocpp_support import FIXTURES, PROFILE_DIR, plugin, profile

EXPECTED: dict[str, list[str]] = yaml.safe_load((FIXTURES / "invalid" / "EXPECTED.yaml").read_text(encoding="utf-8"))
VALID = sorted((FIXTURES / "valid").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").glob("*.json"))


def _failed(record: dict) -> set[str]:
    return {r["id"] for r in record["requirements"] if r["verdict"] == "fail"}


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_captures_conform(path: Path) -> None:
    record = validate(profile(), [path], seed=1)
    assert validate_record(record) == []
    bad = {r["id"]: r["verdict"] for r in record["requirements"] if r["verdict"] not in ("pass", "not_applicable")}
    assert bad == {}
    assert record["summary"]["exit_code"] == 0


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_each_invalid_capture_fails_exactly_its_requirements(path: Path) -> None:
    record = validate(profile(), [path], seed=1)
    assert validate_record(record) == []
    assert _failed(record) == set(EXPECTED[path.name])
    assert not any(r["verdict"] == "error" for r in record["requirements"])
    for r in record["requirements"]:
        for f in r["findings"]:
            if f["verdict"] == "fail" and path.name != "not-json.json":
                assert f["location"].get("pointer") is not None  # JSON Pointer into the capture


def test_every_requirement_can_fail_by_a_fixture_or_a_defect() -> None:
    prof = profile()
    covered = {rid for ids in EXPECTED.values() for rid in ids}
    covered |= {rid for ids in prof.defects.values() for rid in ids}
    assert {r.id for r in prof.requirements} - covered == set()
    assert set(EXPECTED) == {p.name for p in INVALID}


def test_case_table_matches_the_bindings() -> None:
    cases = yaml.safe_load((PROFILE_DIR / "cases.yaml").read_text(encoding="utf-8"))
    prof = profile()
    bound = {b.params["case"]: list(b.requirements) for b in prof.bindings if b.check == "ocpp16-case"}
    assert set(bound) == set(cases)
    known = {r.id for r in prof.requirements}
    for cid, case in cases.items():
        assert case["requirements"] == bound[cid], cid
        assert case["role"] in {r.id for r in prof.roles}
        assert case["tolerance_s"] > 0
        for step in case["steps"]:
            assert set(step.get("requirements", [])) <= set(case["requirements"]) <= known
        judged = {rid for s in case["steps"] for rid in s.get("requirements", [])}
        assert judged == set(case["requirements"]), cid  # every requirement has a validating step


def test_official_schemas_come_from_the_installed_package_with_their_digest() -> None:
    fr = plugin("ocpp16_frames")
    sch = fr.schemas()
    folder = resources.files("ocpp.v16").joinpath("schemas")
    digest = hashlib.sha256()
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".json"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    assert sch.sha256 == digest.hexdigest()
    assert "BootNotification" in sch.raw and "BootNotificationResponse" in sch.raw
    assert not list(PROFILE_DIR.rglob("BootNotification*.json"))  # not copied into the repository
    record = validate(profile(), [VALID[0]], seed=1)
    evidence = [f.get("evidence") for r in record["requirements"] for f in r["findings"] if f.get("evidence")]
    assert {"schemas": sch.describe()} in evidence


def test_decimal_precision_is_exact_where_float_jsonschema_is_not() -> None:
    fr = plugin("ocpp16_frames")
    payload_text = ('{"connectorId":0,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,'
                    '"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Relative",'
                    '"chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":21.4}]}}}')
    assert fr.payload_issues("SetChargingProfile", fr.CALL, fr.loads(payload_text)) == []
    raw = json.loads((resources.files("ocpp.v16") / "schemas" / "SetChargingProfile.json").read_text())
    assert list(Draft4Validator(raw).iter_errors(json.loads(payload_text)))  # binary floats: 21.4 "fails"
    issues = fr.payload_issues("SetChargingProfile", fr.CALL, fr.loads(payload_text.replace("21.4", "21.45")))
    assert [i.requirement for i in issues] == ["OCPP16-P-DECIMAL"]


@pytest.mark.parametrize("value, ok", [("2026-01-15T04:00:00Z", True), ("2026-01-15T12:00:00.5+08:00", True),
                                       ("2026-01-15T04:00:00", False), ("2026-01-15", False),
                                       ("2026-13-01T00:00:00Z", False), ("2026-01-15 04:00:00Z", False)])
def test_rfc3339_with_zone(value: str, ok: bool) -> None:
    assert plugin("ocpp16_frames").valid_datetime(value) is ok


def test_cli_validate_exit_codes_and_messages(tmp_path: Path) -> None:
    bad = tmp_path / "frames.json"
    bad.write_text(json.dumps([[2, "a", "Authorize", {}], [4, "a", "OccurrenceConstraintViolation", "", {}]]))
    result = CliRunner().invoke(main, ["validate", "ocpp-1.6j", str(bad), "--lang", "zh", "--no-record"])
    assert result.exit_code == 1, result.output
    assert "OCPP16-J-ERRCODE" in result.output and "OccurenceConstraintViolation" in result.output
    assert "Traceback" not in result.output
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe\x00[2,")
    result = CliRunner().invoke(main, ["validate", "ocpp-1.6j", str(garbage), "--lang", "en", "--no-record"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    ok = CliRunner().invoke(main, ["validate", "ocpp-1.6j", str(FIXTURES / "valid"), "--no-record"])
    assert ok.exit_code == 0, ok.output
