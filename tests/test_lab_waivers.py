"""Waivers, record diffs, CI examples and the pre-commit hook (item 5)."""

from __future__ import annotations

import json
import shlex
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conformance.cli import main
from conformance.diff import diff_records
from conformance.record import validate_record
from conformance.render import render
from conformance.waivers import apply_waivers, parse_waivers

pytest_plugins = ["pytester"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
XML = HERE / "data/profiles/test-xml"
VALID = HERE / "data/fixtures/test-xml/valid"
INVALID = HERE / "data/fixtures/test-xml/invalid"
DX_FIX = ROOT / "fixtures/dx-1.0"


def _validate(tmp_path: Path, *paths: Path, waivers: str | None = None, name: str = "run.json") -> tuple[int, dict, str]:
    out = tmp_path / name
    args = ["validate", str(XML), *map(str, paths), "-o", str(out), "--seed", "1"]
    if waivers is not None:
        wf = tmp_path / f"waivers-{name}.yaml"
        wf.write_text(waivers, encoding="utf-8")
        args += ["--waivers", str(wf)]
    result = CliRunner().invoke(main, args)
    record = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    if record:
        assert validate_record(record) == []
    return result.exit_code, record, result.output


def _req(record: dict, rid: str) -> dict:
    return next(r for r in record["requirements"] if r["id"] == rid)


ACTIVE = "- {requirement: TX-5, reason: vendor fixes codes in 2.0, expires: 2999-12-31, approver: QA Li}\n"
EXPIRED = "- {requirement: TX-5, reason: was fixed in 1.9, expires: 2020-01-01, approver: QA Li}\n"


def test_active_waiver_waives_the_failure_without_changing_findings(tmp_path: Path) -> None:
    code, record, output = _validate(tmp_path, INVALID / "bad-code.xml", waivers=ACTIVE)
    assert code == 0, output
    assert "waived / 已豁免 TX-5 until 2999-12-31 (QA Li)" in output
    req = _req(record, "TX-5")
    assert req["verdict"] == "fail" and req["waived"] is True
    bad = [f for f in req["findings"] if f["verdict"] == "fail"]
    assert bad and all(f["waiver"]["approver"] == "QA Li" for f in bad)
    assert record["summary"]["conformant"] is True and record["waivers"]["applied"] == ["TX-5"]
    assert len(record["waivers"]["sha256"]) == 64
    html, md, junit = (render(record, fmt) for fmt in ("html", "md", "junit"))
    assert 'class="tag waived"' in html and "QA Li" in html
    assert "fail (waived)" in md
    assert 'name="waived" value="true"' in junit and "WAIVED" in junit and "<failure" not in junit


def test_expired_waiver_gates_again_and_is_reported(tmp_path: Path) -> None:
    code, record, output = _validate(tmp_path, INVALID / "bad-code.xml", waivers=EXPIRED)
    assert code == 1
    assert "EXPIRED waiver / 豁免已过期 TX-5 expired on 2020-01-01" in output
    req = _req(record, "TX-5")
    assert req["waived"] is False and req["waiver"]["expired"] is True
    assert record["waivers"]["expired"][0]["requirement"] == "TX-5"
    assert "waiver expired 2020-01-01" in render(record, "md")
    assert "waiver-expired" in render(record, "html")
    assert "<failure" in render(record, "junit")


def test_subject_glob_limits_a_waiver(tmp_path: Path) -> None:
    glob = ACTIVE.replace("approver: QA Li}", "approver: QA Li, subject: '*many.xml'}")
    code, record, _ = _validate(tmp_path, INVALID / "bad-code.xml", INVALID / "many.xml", waivers=glob)
    assert code == 1  # bad-code.xml is not covered, so TX-5 still gates (and other MUSTs fail in many.xml)
    req = _req(record, "TX-5")
    assert req.get("waived") is not True
    names = {s["index"]: s["name"] for s in record["subjects"]}
    waived = [names[f["subject"]] for f in req["findings"] if "waiver" in f]
    assert waived and all(n.endswith("many.xml") for n in waived)


def test_bad_waiver_files_are_refused_with_the_entry(tmp_path: Path) -> None:
    code, _record, output = _validate(tmp_path, VALID / "basic.xml",
                                      waivers="- {requirement: TX-99, reason: r, expires: 2999-01-01, approver: a}\n")
    assert code == 2 and "TX-99" in output
    code, _record, output = _validate(tmp_path, VALID / "basic.xml",
                                      waivers="- {requirement: TX-5, reason: r, expires: soon, approver: a}\n")
    assert code == 2 and "[0].expires" in output
    with pytest.raises(Exception, match="approver"):
        parse_waivers([{"requirement": "TX-5", "reason": "r", "expires": "2999-01-01"}])


def test_apply_waivers_uses_the_given_date() -> None:
    record = {"complete": True, "subjects": [], "requirements": [
        {"id": "R", "level": "MUST", "applicable": True, "verdict": "error",
         "findings": [{"requirement": "R", "verdict": "error", "message": {"zh": "x", "en": "x"}, "location": {}}]}]}
    waivers = parse_waivers([{"requirement": "R", "reason": "r", "expires": "2026-03-01", "approver": "a"}])
    assert apply_waivers(record, waivers, today=date(2026, 3, 1))["summary"]["exit_code"] == 0
    assert apply_waivers(record, waivers, today=date(2026, 3, 2))["summary"]["exit_code"] == 3


def test_pytest_plugin_honours_waivers(pytester: pytest.Pytester, tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(ACTIVE, encoding="utf-8")
    args = ["-p", "no:cacheprovider", f"--conformance-profile={XML}", f"--conformance-subject={INVALID / 'bad-code.xml'}"]
    assert pytester.runpytest(*args).ret == 1
    record = tmp_path / "run.json"
    result = pytester.runpytest(*args, f"--conformance-waivers={waivers}", f"--conformance-record={record}")
    assert result.ret == 0
    assert "waived until 2999-12-31" in result.stdout.str()
    data = json.loads(record.read_text(encoding="utf-8"))
    assert _req(data, "TX-5")["waived"] is True and data["summary"]["conformant"] is True
    waivers.write_text(EXPIRED, encoding="utf-8")
    result = pytester.runpytest(*args, f"--conformance-waivers={waivers}")
    assert result.ret == 1 and "waiver EXPIRED on 2020-01-01" in result.stdout.str()


def test_diff_lists_regressions_fixes_and_new_failing_findings(tmp_path: Path) -> None:
    _c, good, _ = _validate(tmp_path, VALID / "basic.xml", name="good.json")
    _c, bad, _ = _validate(tmp_path, VALID / "basic.xml", INVALID / "bad-code.xml", name="bad.json")
    _c, worse, _ = _validate(tmp_path, VALID / "basic.xml", INVALID / "bad-code.xml", INVALID / "many.xml",
                             name="worse.json")
    result = CliRunner().invoke(main, ["report", "diff", str(tmp_path / "good.json"), str(tmp_path / "bad.json")])
    assert result.exit_code == 1
    assert "TX-5 §5 MUST: pass → fail" in result.output and "REGRESSED" in result.output
    result = CliRunner().invoke(main, ["report", "diff", str(tmp_path / "bad.json"), str(tmp_path / "good.json"),
                                       "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["regressed"] is False
    assert [f["requirement"] for f in data["fixes"]] == ["TX-5"]
    # TX-5 was already failing, but many.xml adds a failing finding: still a regression.
    d = diff_records(bad, worse)
    assert any(f["requirement"] == "TX-5" and f["subject"].endswith("many.xml") for f in d["new_failing_findings"])
    assert d["regressed"]
    assert diff_records(bad, bad)["regressed"] is False


def test_waived_then_expired_is_a_regression(tmp_path: Path) -> None:
    _c, waived, _ = _validate(tmp_path, INVALID / "bad-code.xml", waivers=ACTIVE, name="w.json")
    _c, expired, _ = _validate(tmp_path, INVALID / "bad-code.xml", waivers=EXPIRED, name="e.json")
    d = diff_records(waived, expired)
    assert [(r["requirement"], r["why"]) for r in d["regressions"]] == [("TX-5", "waiver ended")]


def test_ci_examples_parse_and_run_the_documented_commands() -> None:
    gh = yaml.safe_load((ROOT / "examples/ci/github-actions.yml").read_text(encoding="utf-8"))
    steps = gh["jobs"]["conformance"]["steps"]
    assert any("conformance validate" in s.get("run", "") and "--waivers" in s.get("run", "") for s in steps)
    assert any("conformance report diff" in s.get("run", "") for s in steps)
    gl = yaml.safe_load((ROOT / "examples/ci/gitlab-ci.yml").read_text(encoding="utf-8"))
    script = " ".join(gl["conformance"]["script"])
    assert "conformance validate" in script and "conformance coverage" in script
    assert gl["conformance"]["artifacts"]["reports"]["junit"] == "reports/run.junit.xml"
    waivers = yaml.safe_load((ROOT / "examples/waivers.yaml").read_text(encoding="utf-8"))
    assert parse_waivers(waivers, requirement_ids={"DX-6.2b"})[0].subject == "legacy/*.xml"


def test_pre_commit_hook_validates_the_staged_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "conformance-validate")
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    entry = shlex.split(hook["entry"])
    assert entry[0] == "conformance"
    # What pre-commit runs: entry + hook args (profile first) + the staged file names.
    ok = CliRunner().invoke(main, [*entry[1:], "dx-1.0", "--now", "2026-01-15T12:00:00+08:00",
                                   str(DX_FIX / "valid/rc01-unsigned.xml")])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(main, [*entry[1:], "dx-1.0", str(DX_FIX / "invalid/priority-4.xml")])
    assert bad.exit_code == 1 and "NOT CONFORMANT" in bad.output
