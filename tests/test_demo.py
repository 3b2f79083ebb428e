"""`conformance demo`: every bundled profile on its own fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from conformance.record import load_record

HERE = Path(__file__).parent


def test_demo_passes_on_bundled_profiles_and_writes_every_report(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--report-dir", str(tmp_path), "-j", "2", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "demo passed" in result.output
    runs = sorted(tmp_path.glob("*.run.json"))
    assert runs, "no run records written"
    for run in runs:
        load_record(run)  # schema-valid
        stem = run.name.removesuffix(".run.json")
        for suffix in (".html", ".junit.xml", ".md"):
            assert (tmp_path / f"{stem}{suffix}").is_file()


def test_demo_fails_when_an_invalid_fixture_does_not_fail_as_expected(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    shutil.copytree(HERE / "data/profiles/test-xml", profiles / "test-xml")
    fixtures = profiles / "test-xml" / "fixtures"
    (fixtures / "valid").mkdir(parents=True)
    (fixtures / "invalid").mkdir()
    shutil.copy(HERE / "data/fixtures/test-xml/valid/basic.xml", fixtures / "valid")
    # A valid document posing as an invalid fixture: the demo must notice.
    shutil.copy(HERE / "data/fixtures/test-xml/valid/basic.xml", fixtures / "invalid" / "not-really.xml")
    (fixtures / "invalid" / "EXPECTED.yaml").write_text("not-really.xml: [TX-5]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--profiles-dir", str(profiles), "--profile", "test-xml",
                                       "--report-dir", str(tmp_path / "out"), "-j", "1", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "not-really.xml" in result.output and "FAILED" in result.output
