"""`conformance coverage`: requirements, their checks, and what proves they can fail (item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.coverage import coverage
from conformance.profile import load_profile

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUNDLED = sorted(p.parent for p in (ROOT / "profiles").glob("*/profile.yaml"))
LIVE = HERE / "data/profiles/test-live"


@pytest.mark.parametrize("folder", BUNDLED, ids=[p.name for p in BUNDLED])
def test_every_bundled_profile_covers_its_must_requirements(folder: Path) -> None:
    result = CliRunner().invoke(main, ["coverage", str(folder)])
    assert result.exit_code == 0, result.output


def test_dx_coverage_lists_checks_fixtures_and_not_tested_reasons() -> None:
    result = CliRunner().invoke(main, ["coverage", "dx-1.0", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {r["id"]: r for r in data["requirements"]}
    assert len(rows) == 89
    assert rows["DX-4.1"]["status"] == "proven"
    assert {"id": "wellformed", "check": "xml-wellformed", "kind": "check"} in rows["DX-4.1"]["checks"]
    assert "not-wellformed.xml" in rows["DX-4.1"]["fixtures"]
    assert rows["DX-4.5b"]["status"] == "not_tested" and rows["DX-4.5b"]["not_tested"]["en"]
    assert data["counts"] == {"proven": 74, "not_tested": 15}


def test_live_profile_is_proven_by_reference_defects() -> None:
    cov = coverage(load_profile(LIVE), strict=True)
    assert cov.ok, cov.problems
    rows = {r.id: r for r in cov.requirements}
    assert rows["TL-2"].defects == ["accept-any-password"]
    assert rows["TL-2"].checks == [{"id": "token", "check": "tl-token", "kind": "scenario"}]


def test_untested_must_and_unproven_requirements_fail(write_profile) -> None:
    folder = write_profile("""\
        format: 1
        id: cov-test
        version: 1.0.0
        title: coverage test
        standards: [{code: "C 1", title: c}]
        roles: [{id: sender, title: sender}]
        requirements:
          - {id: C-1, clause: "1", level: MUST, text: bound}
          - {id: C-2, clause: "2", level: MUST, text: forgotten}
          - {id: C-3, clause: "3", level: MUST, text: receiver only, not_tested: {zh: 在线接收方, en: live receiver}}
          - {id: C-4, clause: "4", level: SHOULD, text: unbound should}
        checks:
          - {id: wf, check: xml-wellformed, requirements: [C-1]}
        """)
    result = CliRunner().invoke(main, ["coverage", str(folder)])
    assert result.exit_code == 1
    assert "C-2 (MUST) has neither a bound check nor a not_tested reason" in result.output
    assert "C-4" not in result.output.split("✗")[-1]  # a SHOULD without a check is listed, not an error
    (folder / "fixtures/invalid").mkdir(parents=True)
    (folder / "fixtures/invalid/EXPECTED.yaml").write_text("broken.xml: [C-1]\n", encoding="utf-8")
    strict = CliRunner().invoke(main, ["coverage", str(folder), "--strict", "--json"])
    problems = [p["en"] for p in json.loads(strict.output)["problems"]]
    assert strict.exit_code == 1
    assert "C-1 is bound but no invalid fixture or reference defect proves it can fail" in problems
    assert any("missing fixture: broken.xml" in w["en"] for w in json.loads(strict.output)["warnings"])
    (folder / "fixtures/invalid/broken.xml").write_text("<a>", encoding="utf-8")
    rows = {r["id"]: r for r in json.loads(CliRunner().invoke(main, ["coverage", str(folder), "--json"]).output)["requirements"]}
    assert rows["C-1"] == {"id": "C-1", "clause": "1", "level": "MUST", "status": "proven",
                           "checks": [{"id": "wf", "check": "xml-wellformed", "kind": "check"}],
                           "fixtures": ["broken.xml"], "defects": []}
