"""tcec102-2016 static validation: envelopes and payloads, fixtures, typing, dialects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from conformance import validate_record
from conformance.cli import main
from conformance.demo import expected_failures, failed_by_subject
from conformance.ics import ics_from_dict
from conformance.profile import load_profile
from conformance.runner import validate

ROOT = Path(__file__).resolve().parents[1]
PROFILE_DIR = ROOT / "profiles" / "tcec102-2016"
SCHEMAS = ROOT / "schemas" / "tcec102-2016"
FIXTURES = ROOT / "fixtures" / "tcec102-2016"
PIXIT = yaml.safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def profile() -> Any:
    return load_profile(PROFILE_DIR)


def _ics(profile: Any, **options: Any) -> Any:
    return ics_from_dict({"profile": "tcec102-2016", "product": {"name": "t", "version": "1"}, "role": "provider", "options": options},
                         profile)


def _verdicts(record: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def _run(profile: Any, paths: list[Path], pixit: dict | None = None, **options: Any) -> dict:
    record = validate(profile, paths, ics=_ics(profile, **options), pixit=PIXIT if pixit is None else pixit, seed=0)
    assert validate_record(record) == []
    return record


def test_profile_counts_and_ids(profile: Any) -> None:
    assert profile.id == "tcec102-2016"
    counts = profile.counts_by_level()
    assert counts["MUST"] >= 30 and counts["SHOULD"] >= 2
    assert len(profile.defects) >= 12
    assert {d["role"] for d in profile.raw["defects"].values()} == {"provider", "demander"}


def test_schemas_are_valid_2020_12_and_route_to_bound_requirements(profile: Any) -> None:
    ids = {r.id for r in profile.requirements}
    bound = {r for b in profile.bindings if b.id in ("envelope", "payload") for r in b.requirements}
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "x-requirement" in node:
                found.add(node["x-requirement"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for path in SCHEMAS.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", path.name
        Draft202012Validator.check_schema(schema)
        walk(schema)
    assert found <= ids and found <= bound, found - bound
    assert found >= {"CEC-2-STATION", "CEC-DM-TYPE", "CEC-4.5-TS", "CEC-C-SIG-FORMAT"}


def test_valid_fixtures_conform(profile: Any) -> None:
    record = _run(profile, [FIXTURES / "valid"])
    assert record["summary"]["exit_code"] == 0
    v = _verdicts(record)
    assert all(x in ("pass", "not_applicable") for x in v.values()), v
    # every static requirement was exercised by some valid fixture
    static = {r for b in profile.bindings if b.id in ("wellformed", "envelope", "payload") for r in b.requirements}
    assert {r for r in static if v[r] != "pass"} == set()


def test_each_invalid_fixture_fails_exactly_its_expected_requirements(profile: Any) -> None:
    invalid = FIXTURES / "invalid"
    record = _run(profile, [invalid])
    expected = expected_failures(invalid)
    failed = failed_by_subject(record)
    names = {Path(s["name"]).name: s["index"] for s in record["subjects"]}
    assert set(names) == set(expected)
    for name, index in names.items():
        assert failed.get(index, set()) == set(expected[name]), name


def test_every_requirement_is_proven_able_to_fail(profile: Any) -> None:
    expected = {r for ids in expected_failures(FIXTURES / "invalid").values() for r in ids}
    by_defect = {r for breaks in profile.defects.values() for r in breaks}
    testable = {r.id for r in profile.requirements if r.not_tested is None}
    assert testable - expected - by_defect == set()


def test_encrypted_payload_error_points_into_the_decrypted_data(profile: Any) -> None:
    record = _run(profile, [FIXTURES / "invalid" / "query_stations_info.resp.encrypted-bad-status.json"])
    findings = [f for r in record["requirements"] if r["id"] == "CEC-2-STATION-ENUM" for f in r["findings"]]
    fail = [f for f in findings if f["verdict"] == "fail"][0]
    assert fail["location"]["file"].endswith("encrypted-bad-status.json#Data")
    assert fail["location"]["pointer"] == "/StationInfos/0/StationStatus"
    assert fail["location"]["line"] == 1  # compact JSON: one line of decrypted text
    assert fail["evidence"]["message_type"] == "query_stations_info.resp"


def test_message_type_from_the_ics_overrides_the_file_name(profile: Any, tmp_path: Path) -> None:
    station = json.loads((FIXTURES / "valid" / "StationInfo.json").read_text(encoding="utf-8"))
    f = tmp_path / "capture-0001.json"
    f.write_text(json.dumps({**station, "StationType": 7}), encoding="utf-8")
    # by content (StationID + StationName)
    assert _verdicts(_run(profile, [f]))["CEC-2-STATION-ENUM"] == "fail"
    # by the ICS: the same file judged as an EquipmentInfo fails that model's rules instead
    v = _verdicts(_run(profile, [f], MESSAGE_TYPE="EquipmentInfo"))
    assert v["CEC-2-EQUIPMENT"] == "fail" and v["CEC-2-STATION-ENUM"] == "not_applicable"


def test_unknown_message_type_is_inconclusive_with_advice(profile: Any, tmp_path: Path) -> None:
    f = tmp_path / "mystery.json"
    f.write_text('{"Foo": 1}', encoding="utf-8")
    record = _run(profile, [f])
    assert _verdicts(record)["CEC-DM-TYPE"] == "inconclusive"
    assert record["summary"]["exit_code"] == 3
    msg = [x for r in record["requirements"] if r["id"] == "CEC-DM-TYPE" for x in r["findings"]][0]["message"]
    assert "MESSAGE_TYPE" in msg["en"] and "MESSAGE_TYPE" in msg["zh"]


def test_other_dialect_is_a_warning_not_a_failure(profile: Any) -> None:
    valid_cec = FIXTURES / "valid" / "notification_charge_order_info.req.json"
    record = _run(profile, [valid_cec], DIALECT="platform")
    v = _verdicts(record)
    assert v["CEC-DM-DIALECT"] == "fail" and v["CEC-3-MESSAGES"] == "pass"
    assert record["summary"]["exit_code"] == 0  # a failed SHOULD is a warning
    assert _verdicts(_run(profile, [valid_cec], DIALECT="cec"))["CEC-DM-DIALECT"] == "pass"


def test_without_pixit_secrets_signature_and_data_are_inconclusive(profile: Any) -> None:
    record = _run(profile, [FIXTURES / "valid" / "query_stations_info.req.envelope.json"], pixit={})
    v = _verdicts(record)
    assert v["CEC-C-SIG"] == "inconclusive" and v["CEC-B-DATA"] == "inconclusive"
    assert v["CEC-4.5-TS"] == "pass" and v["CEC-2-STATION"] == "not_applicable"


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary", b'{"Ret": 0, "Msg": ', b"\xff\xfe\xfa"])
def test_hostile_files_get_verdicts_not_tracebacks(profile: Any, tmp_path: Path, content: bytes) -> None:
    f = tmp_path / "query_stations_info.resp.json"
    f.write_bytes(content)
    record = _run(profile, [f])
    dump = json.dumps(record)
    assert "Traceback" not in dump
    assert _verdicts(record)["CEC-4.3-JSON"] == "fail"


def test_cli_validate_with_pixit_and_ics(tmp_path: Path) -> None:
    src = FIXTURES / "invalid" / "query_stations_info.req.wrong-sig.json"
    shutil.copy(src, tmp_path / src.name)
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["validate", "tcec102-2016", str(tmp_path / src.name), "--pixit",
                                       str(FIXTURES / "pixit.yaml"), "--ics", str(FIXTURES / "ics.yaml"),
                                       "-o", str(out), "--lang", "en", "-j", "1"])
    assert result.exit_code == 1, result.output
    assert "CEC-C-SIG" in result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert _verdicts(record)["CEC-C-SIG"] == "fail"
    dump = json.dumps(record, ensure_ascii=False)
    for key in ("operator_secret", "data_secret", "data_iv", "sig_secret"):
        assert PIXIT[key] not in dump
