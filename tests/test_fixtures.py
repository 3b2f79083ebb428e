"""The test profiles' fixtures, driven by data.

* every valid fixture passes every applicable requirement (under the default ICS and
  under the ICS its ``valid/EXPECTED.yaml`` entry names);
* every invalid fixture fails EXACTLY the requirement ids its ``invalid/EXPECTED.yaml``
  entry lists: the set of requirements whose verdict is ``fail`` equals the listed
  set (other requirements may be ``inconclusive`` when the file cannot be parsed,
  never ``error``);
* coverage: every requirement that has a check bound to it fails on some invalid
  fixture and passes on some valid fixture ("every requirement can fail").
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

from conformance.profile import Profile, load_profile
from conformance.runner import validate

from conftest import (
    FIXTURES,
    PROFILES,
    TEST_PROFILES,
    assert_record_valid,
    load_expectations,
    make_ics,
    verdicts,
    with_verdict,
)


def _patterns(profile_id: str) -> tuple[str, ...]:
    return {"test-xml": ("*.xml",), "test-json": ("*.json",)}[profile_id]


def _payloads(profile_id: str, kind: str) -> list[Path]:
    folder = FIXTURES / profile_id / kind
    return sorted(p for p in folder.iterdir() if any(fnmatch.fnmatch(p.name, pat) for pat in _patterns(profile_id)))


def _valid_cases() -> list[Any]:
    cases = []
    for pid in TEST_PROFILES:
        expected = load_expectations(FIXTURES / pid / "valid")
        for path in _payloads(pid, "valid"):
            entry = expected.get(path.name, {})
            cases.append(pytest.param(pid, path, None, entry.get("encoding"), id=f"{pid}/{path.name}/default-ics"))
            if entry.get("ics"):
                cases.append(pytest.param(pid, path, entry["ics"], entry.get("encoding"), id=f"{pid}/{path.name}/ics"))
    return cases


def _invalid_cases() -> list[Any]:
    cases = []
    for pid in TEST_PROFILES:
        expected = load_expectations(FIXTURES / pid / "invalid")
        for path in _payloads(pid, "invalid"):
            cases.append(pytest.param(pid, path, expected.get(path.name), id=f"{pid}/{path.name}"))
    return cases


_LOADED: dict[str, Profile] = {}


def _profile(pid: str) -> Profile:
    if pid not in _LOADED:
        _LOADED[pid] = load_profile(PROFILES / pid)
    return _LOADED[pid]


def _run(pid: str, path: Path, ics: dict[str, Any] | None, encoding: str | None) -> dict[str, Any]:
    profile = _profile(pid)
    ics_obj = make_ics(profile, **ics) if ics else None
    return assert_record_valid(validate(profile, [path], ics=ics_obj, encoding=encoding, seed=7))


def _checked(profile: Profile) -> set[str]:
    """Requirements some check is bound to (and that the harness tests)."""
    bound = {r for b in profile.bindings for r in b.requirements}
    return {r.id for r in profile.requirements if r.id in bound and r.not_tested is None}


# ------------------------------------------------------------------ the fixture folders


@pytest.mark.parametrize("pid", TEST_PROFILES)
def test_fixture_folders_are_complete_and_consistent(pid: str) -> None:
    profile = _profile(pid)
    known = {r.id for r in profile.requirements}
    valid = _payloads(pid, "valid")
    invalid = _payloads(pid, "invalid")
    assert len(valid) >= 3 and len(invalid) >= 5
    expected = load_expectations(FIXTURES / pid / "invalid")
    # every invalid payload states what it violates, and every entry names a real file
    assert {p.name for p in invalid} == set(expected), "invalid/EXPECTED.yaml and invalid/ disagree"
    for name, entry in expected.items():
        assert entry["fails"], f"{name}: an invalid fixture must violate at least one requirement"
        assert set(entry["fails"]) <= known, f"{name}: unknown requirement ids {set(entry['fails']) - known}"
    for name in load_expectations(FIXTURES / pid / "valid"):
        assert (FIXTURES / pid / "valid" / name).is_file(), f"valid/EXPECTED.yaml names a missing file {name}"


# ------------------------------------------------------------------ valid fixtures


@pytest.mark.parametrize(("pid", "path", "ics", "encoding"), _valid_cases())
def test_valid_fixture_passes_every_applicable_requirement(
    pid: str, path: Path, ics: dict[str, Any] | None, encoding: str | None
) -> None:
    record = _run(pid, path, ics, encoding)
    applicable = {r["id"] for r in record["requirements"] if r["applicable"]}
    assert applicable, "nothing applicable: the fixture proves nothing"
    not_passed = {rid: v for rid, v in verdicts(record).items() if rid in applicable and v != "pass"}
    details = [
        (f["requirement"], f["verdict"], f["message"]["en"], f["location"])
        for r in record["requirements"] for f in r["findings"] if f["verdict"] != "pass"
    ]
    assert not_passed == {}, details
    assert record["summary"]["exit_code"] == 0
    assert record["summary"]["conformant"] is True
    assert record["subjects"][0]["verdict"] == "pass"


# ------------------------------------------------------------------ invalid fixtures


@pytest.mark.parametrize(("pid", "path", "entry"), _invalid_cases())
def test_invalid_fixture_fails_exactly_the_listed_requirements(pid: str, path: Path, entry: dict[str, Any] | None) -> None:
    assert entry is not None, f"{path.name} is not listed in invalid/EXPECTED.yaml"
    record = _run(pid, path, entry["ics"], entry["encoding"])
    failed = with_verdict(record, "fail")
    assert failed == set(entry["fails"]), {
        "missing": set(entry["fails"]) - failed,
        "unexpected": failed - set(entry["fails"]),
    }
    # an invalid payload is evidence against the product, never a harness error
    errors = [f for r in record["requirements"] for f in r["findings"] if f["verdict"] == "error"]
    assert errors == []
    for rid in entry["fails"]:
        req = next(r for r in record["requirements"] if r["id"] == rid)
        fails = [f for f in req["findings"] if f["verdict"] == "fail"]
        assert fails, rid
        for f in fails:
            assert f["message"]["zh"] and f["message"]["en"], f
            assert f["location"].get("file") == str(path), f
            assert f.get("check"), f
    profile = _profile(pid)
    levels = {r.id: r.level.value for r in profile.requirements}
    if any(levels[r] == "MUST" for r in entry["fails"]):
        assert record["summary"]["exit_code"] == 1
        assert record["subjects"][0]["verdict"] == "fail"
    else:
        assert record["summary"]["exit_code"] == 0  # a failed SHOULD/MAY alone is not blocking


# ------------------------------------------------------------------ coverage


@pytest.mark.parametrize("pid", TEST_PROFILES)
def test_every_checked_requirement_is_proven_able_to_fail(pid: str) -> None:
    profile = _profile(pid)
    expected = load_expectations(FIXTURES / pid / "invalid")
    failed: set[str] = set()
    for path in _payloads(pid, "invalid"):
        entry = expected[path.name]
        failed |= with_verdict(_run(pid, path, entry["ics"], entry["encoding"]), "fail")
    checked = _checked(profile)
    assert checked, "the profile binds no checks"
    assert checked - failed == set(), f"requirements no invalid fixture makes fail: {sorted(checked - failed)}"


@pytest.mark.parametrize("pid", TEST_PROFILES)
def test_every_checked_requirement_is_proven_able_to_pass(pid: str) -> None:
    profile = _profile(pid)
    expected = load_expectations(FIXTURES / pid / "valid")
    passed: set[str] = set()
    for path in _payloads(pid, "valid"):
        entry = expected.get(path.name, {})
        passed |= with_verdict(_run(pid, path, None, entry.get("encoding")), "pass")
        if entry.get("ics"):
            passed |= with_verdict(_run(pid, path, entry["ics"], entry.get("encoding")), "pass")
    missing = _checked(profile) - passed
    assert missing == set(), f"requirements no valid fixture makes pass: {sorted(missing)}"


def test_not_tested_requirements_are_reported_not_applicable_and_untested(xml_profile: Profile, json_profile: Profile) -> None:
    for profile, path, rid in (
        (xml_profile, FIXTURES / "test-xml/valid/basic.xml", "TX-11"),
        (json_profile, FIXTURES / "test-json/valid/basic.json", "TJ-11"),
    ):
        record = assert_record_valid(validate(profile, [path], seed=1))
        entry = next(r for r in record["requirements"] if r["id"] == rid)
        assert entry["verdict"] == "not_applicable"
        assert entry["applicable"] is False and entry["tested"] is False
        assert "not tested" in entry["reason"]["en"] and entry["reason"]["zh"]


def test_gb18030_json_needs_the_encoding(json_profile: Profile) -> None:
    path = FIXTURES / "test-json/valid/gb18030.json"
    wrong = assert_record_valid(validate(json_profile, [path], seed=1))
    assert verdicts(wrong)["TJ-1"] == "fail"
    finding = next(f for r in wrong["requirements"] if r["id"] == "TJ-1" for f in r["findings"] if f["verdict"] == "fail")
    assert "utf-8" in finding["message"]["en"] and finding["location"]["line"] >= 1
    right = assert_record_valid(validate(json_profile, [path], encoding="gb18030", seed=1))
    assert right["summary"]["exit_code"] == 0
    assert right["subjects"][0]["encoding"] == "gb18030"


def test_bom_fixtures_start_with_a_bom() -> None:
    # guard against an editor silently stripping the BOM from the fixtures
    assert (FIXTURES / "test-json/valid/bom.json").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (FIXTURES / "test-xml/valid/bom.xml").read_bytes().startswith(b"\xef\xbb\xbf")
    raw = (FIXTURES / "test-json/valid/gb18030.json").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "杭州" in raw.decode("gb18030")
