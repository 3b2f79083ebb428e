"""The pytest plugin: items per requirement and subject, JUnit properties, xdist, record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.record import validate_record

pytest_plugins = ["pytester"]

HERE = Path(__file__).parent
PROFILE = HERE / "data/profiles/test-xml"
VALID = HERE / "data/fixtures/test-xml/valid"
MANY = HERE / "data/fixtures/test-xml/invalid/many.xml"


def test_valid_subjects_pass_and_not_applicable_are_skipped(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", f"--conformance-profile={PROFILE}",
                                f"--conformance-subject={VALID / 'basic.xml'}")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes["skipped"] >= 1  # TX-8 (option), TX-10 (role), TX-11 (not tested), TX-12 (option)
    assert result.ret == 0


def test_invalid_subject_fails_must_items_and_warns_on_should(pytester: pytest.Pytester, tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--conformance-profile={PROFILE}",
                                f"--conformance-subject={MANY}", f"--junitxml={junit}", "-rA")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*FAILED*TX-5 (§5)*many.xml*"])
    assert "ConformanceWarning" in result.stdout.str()  # TX-6 is a SHOULD
    xml = junit.read_text(encoding="utf-8")
    assert 'name="requirement" value="TX-5"' in xml and 'name="clause" value="§5"' in xml
    assert 'name="TX-6 (§6)' in xml


def test_ini_options_and_record_under_xdist(pytester: pytest.Pytester, tmp_path: Path) -> None:
    record = tmp_path / "run.json"
    pytester.makeini(
        f"""
        [pytest]
        conformance_profile = {PROFILE}
        conformance_subjects =
            {VALID}
            {MANY}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", f"--conformance-record={record}")
    assert result.ret == 1
    data = json.loads(record.read_text(encoding="utf-8"))
    assert validate_record(data) == []
    assert data["kind"] == "pytest" and data["complete"] is True
    verdicts = {r["id"]: r["verdict"] for r in data["requirements"]}
    assert verdicts["TX-5"] == "fail" and verdicts["TX-1"] == "pass" and verdicts["TX-11"] == "not_applicable"
    assert len(data["subjects"]) == len(list(VALID.glob("*.xml"))) + 1


def test_bad_profile_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--conformance-profile=does-not-exist",
                                f"--conformance-subject={VALID}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "not found" in result.stderr.str()


def test_no_profile_no_items(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
