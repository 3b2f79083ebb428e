"""The command line: exit codes, messages, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.record import validate_record

HERE = Path(__file__).parent
PROFILE = HERE / "data/profiles/test-xml"
VALID = HERE / "data/fixtures/test-xml/valid"
MANY = HERE / "data/fixtures/test-xml/invalid/many.xml"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def test_validate_valid_exits_0_and_writes_a_schema_valid_record(tmp_path: Path) -> None:
    code, output = run("validate", PROFILE, VALID, "--report-dir", tmp_path, "-j", "1", "--lang", "en")
    assert code == 0, output
    assert "CONFORMANT" in output
    records = list(tmp_path.glob("*.run.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert validate_record(record) == []
    assert record["summary"]["exit_code"] == 0
    assert len(record["subjects"]) == len(list(VALID.glob("*.xml")))


def test_validate_invalid_exits_1_and_names_requirement_and_location(tmp_path: Path) -> None:
    code, output = run("validate", PROFILE, MANY, "--report-dir", tmp_path, "--lang", "en")
    assert code == 1
    assert "TX-5" in output and "NOT CONFORMANT" in output
    assert "many.xml:4" in output  # line of the bad <code>


def test_validate_zh_messages(tmp_path: Path) -> None:
    code, output = run("validate", PROFILE, MANY, "--no-record", "--lang", "zh")
    assert code == 1
    assert "不符合" in output
    assert "声明的编码" in output


def test_error_or_inconclusive_without_failure_exits_3(tmp_path: Path) -> None:
    # A binding that names a missing schema file yields `error`, not a crash.
    prof = tmp_path / "p"
    prof.mkdir()
    (prof / "profile.yaml").write_text(
        "format: 1\nid: broken-schema\nversion: '1'\ntitle: t\nstandards: [{code: X, title: x}]\n"
        "roles: [{id: r, title: r}]\nrequirements: [{id: R-1, clause: '1', level: MUST, text: t}]\n"
        "checks: [{id: x, check: xsd, requirements: [R-1], params: {schema: missing.xsd}}]\n",
        encoding="utf-8",
    )
    code, output = run("validate", prof, VALID / "basic.xml", "--no-record", "--lang", "en")
    assert code == 3, output
    assert "INCONCLUSIVE" in output


@pytest.mark.parametrize(
    "args, needle",
    [
        (["validate", "no-such-profile", "x.xml"], "not found"),
        (["validate", str(PROFILE), "/nonexistent/file.xml"], "no such file"),
        (["validate", str(PROFILE), str(VALID), "--ics", "/nonexistent/ics.yaml"], "ICS file not found"),
        (["show", "no-such-profile"], "not found"),
    ],
)
def test_usage_errors_exit_2_with_bilingual_message(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_ics_claiming_unknown_option_is_refused(tmp_path: Path) -> None:
    ics = tmp_path / "ics.yaml"
    ics.write_text("profile: test-xml\nproduct: {name: P, version: '1'}\noptions: {NOPE: true}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(PROFILE), str(VALID), "--ics", str(ics), "--no-record"])
    assert result.exit_code == 2
    assert "NOPE" in result.output


def test_profiles_lists_counts_by_level(monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = run("profiles", "--profiles-dir", HERE / "data/profiles", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(output) if "id" in r}
    assert rows["test-xml"]["requirements"] == {"MUST": 9, "SHOULD": 1, "MAY": 1} or rows["test-xml"]["requirements"]["MUST"] >= 9


def test_show_prints_requirement_table() -> None:
    code, output = run("show", PROFILE, "--format", "md", "--lang", "en")
    assert code == 0
    assert "| TX-5 | §5 | MUST |" in output
    assert "not tested" in output  # TX-11 carries a not-tested reason


def test_checks_lists_generic_kinds() -> None:
    code, output = run("checks", "--lang", "en")
    assert code == 0
    for kind in ("xml-wellformed", "xml-prolog", "xsd", "xpath", "schematron", "json-wellformed", "jsonschema"):
        assert kind in output


def test_schema_command_prints_json() -> None:
    code, output = run("schema", "run-record")
    assert code == 0
    assert json.loads(output)["title"].startswith("smartcity-conformance")


def test_report_render_and_check(tmp_path: Path) -> None:
    rec = tmp_path / "r.run.json"
    code, _ = run("validate", PROFILE, MANY, "-o", rec, "--lang", "en")
    assert code == 1
    for fmt, needle in (("junit", "<testsuite"), ("md", "TX-5"), ("html", "<html")):
        out = tmp_path / f"r.{fmt}"
        code, output = run("report", "render", rec, "--format", fmt, "-o", out)
        assert code == 0, output
        assert needle in out.read_text(encoding="utf-8")
    code, output = run("report", "check", rec)
    assert code == 1 and "valid run record" in output


def test_report_render_rejects_a_file_that_is_not_a_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "render", str(bad), "--format", "md"])
    assert result.exit_code == 2
    assert "not a valid run record" in result.output


def test_validate_writes_requested_formats(tmp_path: Path) -> None:
    code, _ = run("validate", PROFILE, VALID, "--report-dir", tmp_path, "--format", "html", "--format", "junit",
                  "--format", "md")
    assert code == 0
    names = sorted(p.name.split(".", 1)[1] for p in tmp_path.iterdir())
    assert names == ["html", "junit.xml", "md", "run.json"]


def test_seed_and_clock_are_recorded(tmp_path: Path) -> None:
    rec = tmp_path / "r.json"
    run("validate", PROFILE, VALID, "-o", rec, "--seed", "42", "--now", "2026-01-02T03:04:05+08:00")
    record = json.loads(rec.read_text(encoding="utf-8"))
    assert record["seed"] == 42
    assert record["clock"] == "2026-01-02T03:04:05+08:00"


def test_console_script_runs_as_a_subprocess(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "validate", str(PROFILE), str(MANY), "--no-record", "--lang", "en"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
