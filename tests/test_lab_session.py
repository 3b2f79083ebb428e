"""Sessions (lab, operator, product) in the record, input digests and `conformance rerun` (item 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from conformance.record import validate_record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
XML = HERE / "data/profiles/test-xml"
XML_FIX = HERE / "data/fixtures/test-xml"
LIVE = HERE / "data/profiles/test-live"
DX_FIX = ROOT / "fixtures/dx-1.0"
NOW = "2026-01-15T12:00:00+08:00"


def _load(path: Path) -> dict:
    record = json.loads(path.read_text(encoding="utf-8"))
    assert validate_record(record) == []
    return record


def _copy_fixtures(tmp_path: Path) -> Path:
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    for name in ("basic.xml", "signed.xml"):
        shutil.copy(XML_FIX / "valid" / name, payloads / name)
    shutil.copy(XML_FIX / "invalid" / "bad-code.xml", payloads / "bad-code.xml")
    return payloads


def _validate(tmp_path: Path, *extra: str, profile: str = str(XML), paths: tuple[str, ...] = ()) -> tuple[int, Path, str]:
    out = tmp_path / f"run{len(list(tmp_path.glob('run*.json')))}.json"
    args = ["validate", profile, *(paths or (str(tmp_path / "payloads"),)), "-o", str(out), "--seed", "5",
            "--now", NOW, *extra]
    result = CliRunner().invoke(main, args)
    return result.exit_code, out, result.output


def test_session_options_and_ics_product_are_recorded_with_every_input_digest(tmp_path: Path) -> None:
    payloads = _copy_fixtures(tmp_path)
    code, out, output = _validate(
        tmp_path, "--ics", str(DX_FIX / "ics.yaml"), "--pixit", str(DX_FIX / "pixit.yaml"), "--lab", "浙江检测实验室",
        "--operator", "alice", "--session-note", "first submission", profile="dx-1.0",
        paths=(str(DX_FIX / "valid/rc01-unsigned.xml"),))
    assert code == 0, output
    record = _load(out)
    assert record["session"] == {"lab": "浙江检测实验室", "operator": "alice", "note": "first submission",
                                 "vendor": "smartcity-conformance (test)", "product": "dx-fixture-sender",
                                 "version": "1.0.0"}
    inputs = record["inputs"]
    assert inputs["kind"] == "validate"
    assert inputs["profile"]["id"] == "dx-1.0" and inputs["profile"]["sha256"] == record["profile"]["digest"]["value"]
    for key in ("ics", "pixit"):
        assert Path(inputs[key]["path"]).is_absolute() and len(inputs[key]["sha256"]) == 64
    assert inputs["subjects"][0]["sha256"] == record["subjects"][0]["sha256"]
    assert record["ics"]["sha256"] == inputs["ics"]["sha256"]
    assert payloads.is_dir()


def test_session_file_and_options_override(tmp_path: Path) -> None:
    _copy_fixtures(tmp_path)
    session = tmp_path / "session.yaml"
    session.write_text("lab: Lab A\noperator: bob\nnote: from file\n", encoding="utf-8")
    code, out, output = _validate(tmp_path, "--session", str(session), "--operator", "carol")
    assert code == 1, output
    record = _load(out)
    assert record["session"]["lab"] == "Lab A" and record["session"]["operator"] == "carol"
    assert record["inputs"]["session"]["sha256"]
    session.write_text("lab: x\nlaboratory: typo\n", encoding="utf-8")
    code, _out, output = _validate(tmp_path, "--session", str(session))
    assert code == 2 and "laboratory" in output


def test_rerun_repeats_with_same_seed_clock_and_verdicts(tmp_path: Path) -> None:
    _copy_fixtures(tmp_path)
    code, out, _ = _validate(tmp_path, "--lab", "L")
    assert code == 1
    result = CliRunner().invoke(main, ["rerun", str(out), "-o", str(tmp_path / "again.json")])
    assert result.exit_code == 0, result.output
    assert "same verdicts" in result.output
    again = _load(tmp_path / "again.json")
    first = _load(out)
    assert again["seed"] == first["seed"] == 5 and again["clock"] == first["clock"]
    assert again["rerun_of"] == {"run_id": first["run_id"], "same_verdicts": True, "record": str(out)}
    assert again["session"]["lab"] == "L"
    assert [s["name"] for s in again["subjects"]] == [s["name"] for s in first["subjects"]]


def test_rerun_refuses_changed_inputs_and_names_them(tmp_path: Path) -> None:
    payloads = _copy_fixtures(tmp_path)
    code, out, _ = _validate(tmp_path)
    assert code == 1
    # Fix the failing payload: the input changed, so rerun refuses unless allowed.
    (payloads / "bad-code.xml").write_bytes((XML_FIX / "valid/basic.xml").read_bytes())
    refused = CliRunner().invoke(main, ["rerun", str(out)])
    assert refused.exit_code == 2
    assert "bad-code.xml" in refused.output and "sha256 changed" in refused.output
    allowed = CliRunner().invoke(main, ["rerun", str(out), "--allow-input-change"])
    assert allowed.exit_code == 1
    assert "verdicts differ" in allowed.output and "TX-5: fail → pass" in allowed.output


def test_rerun_refuses_a_changed_profile_unless_allowed(tmp_path: Path) -> None:
    _copy_fixtures(tmp_path)
    profile = tmp_path / "test-xml"
    shutil.copytree(XML, profile)
    code, out, _ = _validate(tmp_path, profile=str(profile))
    assert code == 1
    yaml_file = profile / "profile.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["rerun", str(out)])
    assert refused.exit_code == 2
    assert "digest mismatch" in refused.output and "profile/profile.yaml (changed" in refused.output
    allowed = CliRunner().invoke(main, ["rerun", str(out), "--allow-profile-change"])
    assert allowed.exit_code == 0 and "same verdicts" in allowed.output


def test_rerun_of_a_live_run_against_the_reference_peer(tmp_path: Path) -> None:
    out = tmp_path / "live.json"
    result = CliRunner().invoke(main, ["run", str(LIVE), "--role", "server", "--reference", "--defect", "wrong-echo",
                                       "-o", str(out), "--seed", "3", "--lab", "L", "--operator", "o"])
    assert result.exit_code == 1, result.output
    record = _load(out)
    assert record["inputs"]["options"] == {"role": "server", "reference": True, "defects": ["wrong-echo"], "lang": "en"}
    assert record["session"] == {"lab": "L", "operator": "o"}
    again = CliRunner().invoke(main, ["rerun", str(out)])
    assert again.exit_code == 0, again.output
    assert "same verdicts" in again.output


def test_rerun_refuses_a_record_without_inputs(tmp_path: Path) -> None:
    _copy_fixtures(tmp_path)
    _code, out, _ = _validate(tmp_path)
    record = _load(out)
    del record["inputs"]
    out.write_text(json.dumps(record), encoding="utf-8")
    result = CliRunner().invoke(main, ["rerun", str(out)])
    assert result.exit_code == 2 and "no inputs block" in result.output
