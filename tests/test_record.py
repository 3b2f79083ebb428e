"""The run record: schema-valid, traceable (profile digest, subject digests, seed,
clock), reproducible, and the same whether the run is sequential or parallel."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import UsageError
from conformance.profile import Profile, load_profile
from conformance.record import load_record, validate_record, write_record
from conformance.subject import Subject

from conftest import FIXTURES, PROFILES, assert_record_valid, make_ics, verdicts

XML_VALID = FIXTURES / "test-xml/valid"
XML_INVALID = FIXTURES / "test-xml/invalid"
JSON_INVALID = FIXTURES / "test-json/invalid"


def _finding_keys(record: dict[str, Any]) -> list[tuple]:
    return sorted(
        (f["requirement"], f["verdict"], f.get("subject", -1), json.dumps(f["location"], sort_keys=True), f["message"]["en"])
        for r in record["requirements"] for f in r["findings"]
    )


# ------------------------------------------------------------------ content


def test_record_content_is_traceable(xml_profile: Profile, run: Callable[..., dict]) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    files = sorted(XML_VALID.glob("*.xml"))
    record = run(xml_profile, [XML_VALID], seed=1234, now=now)
    assert record["record_format"] == 1 and record["kind"] == "validate" and record["complete"] is True
    assert record["seed"] == 1234 and record["clock"] == now.isoformat()
    assert record["tool"]["name"] == "smartcity-conformance" and record["tool"]["version"]
    prof = record["profile"]
    assert (prof["id"], prof["version"]) == ("test-xml", "0.1.0")
    assert prof["digest"]["value"] == xml_profile.digest()["value"]
    assert "profile/profile.yaml" in prof["digest"]["files"]
    assert [s["name"] for s in record["subjects"]] == [str(f) for f in files]
    for s, f in zip(record["subjects"], files):
        data = f.read_bytes()
        assert s["size"] == len(data) and s["sha256"] == hashlib.sha256(data).hexdigest()
    assert [r["id"] for r in record["requirements"]] == [r.id for r in xml_profile.requirements]
    assert record["summary"]["requirements"] == len(xml_profile.requirements)


def test_run_ids_are_unique(xml_profile: Profile, run: Callable[..., dict]) -> None:
    ids = {run(xml_profile, [XML_VALID / "basic.xml"])["run_id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_random_seed_is_recorded_when_none_is_given(xml_profile: Profile, run: Callable[..., dict]) -> None:
    record = run(xml_profile, [XML_VALID / "basic.xml"], seed=None)
    assert isinstance(record["seed"], int) and record["seed"] >= 0


def test_validate_record_reports_problems() -> None:
    # the helper used everywhere must be able to fail
    from conformance.runner import validate

    profile = load_profile(PROFILES / "test-xml")
    good = validate(profile, [XML_VALID / "basic.xml"], seed=1)
    assert validate_record(good) == []
    for mutate in (
        lambda r: r.pop("summary"),
        lambda r: r["requirements"][0].update(verdict="passed"),
        lambda r: r["requirements"][0].update(findings=[]),  # applicable without a finding
        lambda r: r["requirements"][7].pop("reason"),  # TX-8 is not applicable: it needs a reason
        lambda r: r["profile"]["digest"].update(value="xyz"),
        lambda r: r["requirements"][0]["findings"][0]["location"].update(row=3),
        lambda r: r["summary"].update(exit_code=2),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert validate_record(bad) != []
        with pytest.raises(AssertionError):
            assert_record_valid(bad)


def test_write_and_load_round_trip(tmp_path: Path, json_profile: Profile, run: Callable[..., dict]) -> None:
    record = run(json_profile, [FIXTURES / "test-json/valid/gb18030.json"], encoding="gb18030")
    path = write_record(record, tmp_path / "out" / "r.run.json")
    assert path.is_file() and not path.with_suffix(".json.tmp").exists()
    loaded = assert_record_valid(load_record(path))
    assert loaded == json.loads(json.dumps(record))
    with pytest.raises(UsageError):
        load_record(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"record_format": 1}', encoding="utf-8")
    with pytest.raises(UsageError) as info:
        load_record(broken)
    assert "not a valid run record" in info.value.render("en")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\x01not json")
    with pytest.raises(UsageError):
        load_record(garbage)


def test_records_with_unencodable_text_are_written_losslessly(
    tmp_path: Path, json_profile: Profile, run: Callable[..., dict]
) -> None:
    # a plugin check may put payload text with lone surrogates into a finding
    record = run(json_profile, [FIXTURES / "test-json/invalid/bad-id.json"])
    record["requirements"][3]["findings"][0]["evidence"] = {"value": "bad \udc80 text"}
    path = write_record(record, tmp_path / "s.run.json")
    path.read_bytes().decode("utf-8")  # valid UTF-8 on disk
    assert load_record(path) == record


def test_interrupted_run_still_writes_a_valid_record(xml_profile: Profile, run: Callable[..., dict]) -> None:
    seen = []

    def progress(n: int, total: int, name: str) -> None:
        seen.append(name)
        if n == 2:
            raise KeyboardInterrupt

    record = run(xml_profile, [XML_INVALID], progress=progress)
    assert record["complete"] is False and "interrupt" in record["interruption"]
    # progress reports a subject once it is recorded: both are in, the third never ran
    assert len(record["subjects"]) == 2 and len(seen) == 2
    assert record["summary"]["exit_code"] != 0


# ------------------------------------------------------------------ profile digest


def test_profile_digest_changes_when_a_schema_file_changes(tmp_path: Path) -> None:
    copy_dir = tmp_path / "test-json"
    shutil.copytree(PROFILES / "test-json", copy_dir)
    before = load_profile(copy_dir).digest()
    again = load_profile(copy_dir).digest()
    assert before == again  # stable
    schema = copy_dir / "schemas" / "common.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"maximum": 90', '"maximum": 89'), encoding="utf-8")
    after = load_profile(copy_dir).digest()
    assert after["value"] != before["value"]
    changed = {k for k in after["files"] if after["files"][k] != before["files"].get(k)}
    assert changed and all(k.endswith("common.schema.json") for k in changed)
    # adding a file changes it too
    (copy_dir / "schemas" / "extra.json").write_text("{}", encoding="utf-8")
    assert load_profile(copy_dir).digest()["value"] not in (before["value"], after["value"])


def test_digest_follows_a_schemas_folder_outside_the_profile(tmp_path: Path) -> None:
    prof = tmp_path / "prof"
    shutil.copytree(PROFILES / "test-json", prof)
    shutil.move(str(prof / "schemas"), str(tmp_path / "shared-schemas"))
    text_ = (prof / "profile.yaml").read_text(encoding="utf-8")
    (prof / "profile.yaml").write_text(text_ + "paths: {schemas: ../shared-schemas}\n", encoding="utf-8")
    p = load_profile(prof)
    assert p.schemas_dir == (tmp_path / "shared-schemas").resolve()
    files = p.digest()["files"]
    assert "schemas/order.schema.json" in files
    before = p.digest()["value"]
    (tmp_path / "shared-schemas" / "ack.schema.json").write_text("{}", encoding="utf-8")
    assert load_profile(prof).digest()["value"] != before


# ------------------------------------------------------------------ reproducibility


def test_parallel_run_gives_the_same_verdicts_as_sequential(xml_profile: Profile, run: Callable[..., dict]) -> None:
    ics = make_ics(xml_profile, role="receiver", options={"SIGNED": True, "DIALECT": "b"})
    paths = [XML_VALID, XML_INVALID]
    one = run(xml_profile, paths, ics=ics, jobs=1)
    two = run(xml_profile, paths, ics=ics, jobs=2)
    assert len(one["subjects"]) >= 15
    assert verdicts(one) == verdicts(two)
    assert _finding_keys(one) == _finding_keys(two)
    strip = ("path",)
    assert [{k: v for k, v in s.items() if k not in strip} for s in one["subjects"]] == [
        {k: v for k, v in s.items() if k not in strip} for s in two["subjects"]
    ]
    assert one["summary"] == two["summary"]


@pytest.mark.parametrize("start", ["fork", "fresh"])
def test_parallel_tallies_merge_into_exactly_the_sequential_record(
    xml_profile: Profile, run: Callable[..., dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """Workers send per-chunk tallies; merged in order they must give the record a
    sequential run gives: same subjects, counts, worst verdicts, and the same findings
    kept in the same order (including which of the capped pass findings are kept)."""
    from conformance import engine

    sources = sorted(XML_VALID.glob("*.xml")) + sorted(XML_INVALID.glob("*.xml"))
    for i in range(90):  # many chunks, and more passes than the record keeps
        src = sources[i % len(sources)]
        (tmp_path / f"{i:03d}-{src.name}").write_bytes(src.read_bytes())
    # "fork": workers inherit the loaded run (the command line); "fresh": each sets itself up.
    monkeypatch.setattr(engine.threading, "active_count", (lambda: 1) if start == "fork" else (lambda: 2))
    one = run(xml_profile, [tmp_path], jobs=1, seed=3)
    two = run(xml_profile, [tmp_path], jobs=2, seed=3)
    assert len(one["subjects"]) == 90
    strip = ("finished_at", "started_at", "run_id", "clock")
    assert {k: v for k, v in one.items() if k not in strip} == {k: v for k, v in two.items() if k not in strip}
    capped = [r for r in one["requirements"] if r.get("counts", {}).get("pass", 0) > 20]
    assert capped, "the pass cap must be exercised"


def test_parallel_json_run_matches_sequential(json_profile: Profile, run: Callable[..., dict]) -> None:
    one = run(json_profile, [JSON_INVALID], jobs=1)
    two = run(json_profile, [JSON_INVALID], jobs=2)
    assert verdicts(one) == verdicts(two) and _finding_keys(one) == _finding_keys(two)


def test_same_input_same_findings(json_profile: Profile, run: Callable[..., dict]) -> None:
    a = run(json_profile, [JSON_INVALID], seed=5)
    b = run(json_profile, [JSON_INVALID], seed=5)
    assert _finding_keys(a) == _finding_keys(b)
    assert a["summary"] == b["summary"]


@pytest.mark.parametrize("media", ["xml", "json"])
def test_the_same_subjects_can_be_validated_twice(
    media: str, xml_profile: Profile, json_profile: Profile, run: Callable[..., dict]
) -> None:
    """Subject objects (files or in-memory bytes) reused for a second run give the same result."""
    profile = xml_profile if media == "xml" else json_profile
    folder = FIXTURES / f"test-{media}/invalid"
    files = sorted(folder.glob(f"*.{media}"))[:4]
    for subjects in (
        [Subject.from_path(f, media_type=media, index=i) for i, f in enumerate(files)],
        [Subject.from_bytes(f.name, f.read_bytes(), media_type=media, index=i) for i, f in enumerate(files)],
    ):
        first = run(profile, subjects=subjects)
        second = run(profile, subjects=subjects)
        assert verdicts(first) == verdicts(second)
        assert _finding_keys(first) == _finding_keys(second)
        assert [s.get("sha256") for s in first["subjects"]] == [s.get("sha256") for s in second["subjects"]]
