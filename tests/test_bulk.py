"""Bulk validation: streamed file discovery, bounded subject lists, bulk inputs for rerun."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance import session
from conformance.cli import main
from conformance.engine import SubjectSource, collect_subjects
from conformance.profile import Profile
from conformance.record import Tally, validate_record
from conformance.render import render

from conftest import FIXTURES, PROFILES

XML_VALID = FIXTURES / "test-xml/valid"
XML_INVALID = FIXTURES / "test-xml/invalid"


def _tree(root: Path) -> list[str]:
    """A folder whose names sort differently folder-by-folder than as full paths."""
    names = ["a.xml", "a/x.xml", "a/b/y.xml", "a0.xml", "a-b.xml", "b/z.xml", "B.xml", "c.txt", "a/c.json"]
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("<d/>", encoding="utf-8")
    return sorted(str(root / n) for n in names if n.endswith(".xml"))


def test_source_streams_files_in_sorted_full_path_order(xml_profile: Profile, tmp_path: Path) -> None:
    expected = _tree(tmp_path)
    source = SubjectSource(xml_profile, [tmp_path])
    assert len(source) == len(expected)
    first = [s.name for s in source]
    assert first == expected
    assert [s.index for s in source] == list(range(len(expected)))  # iterable again, same indexes
    assert [s.name for s in collect_subjects(xml_profile, [tmp_path])] == expected
    # a file named directly comes as given, before or after folders as listed
    assert [s.name for s in SubjectSource(xml_profile, [tmp_path / "B.xml", tmp_path / "b"])] == [
        str(tmp_path / "B.xml"), str(tmp_path / "b/z.xml")]


def test_source_does_not_follow_symlinked_folders_but_keeps_file_links(xml_profile: Profile, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real/r.xml").write_text("<d/>", encoding="utf-8")
    (tmp_path / "top").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "top/linked-dir.xml")  # a folder that matches *.xml
    os.symlink(tmp_path / "real/r.xml", tmp_path / "top/link.xml")
    os.symlink(tmp_path / "missing.xml", tmp_path / "top/dangling.xml")
    names = [Path(s.name).name for s in SubjectSource(xml_profile, [tmp_path / "top"])]
    assert names == ["dangling.xml", "link.xml"]


def test_source_refuses_a_missing_path(xml_profile: Profile, tmp_path: Path) -> None:
    from conformance.errors import UsageError

    with pytest.raises(UsageError) as info:
        SubjectSource(xml_profile, [tmp_path / "nope"])
    assert "nope" in str(info.value.message["en"]) and info.value.message["zh"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("jobs, lane", [(1, "1"), (1, "0"), (2, "1")])
def test_a_fifo_in_a_folder_is_reported_not_waited_for(tmp_path: Path, jobs: int, lane: str) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    for i in range(6):
        shutil.copyfile(next(XML_VALID.glob("*.xml")), data / f"{i}.xml")
    os.mkfifo(data / "3-fifo.xml")  # nothing ever writes to it: open() alone would wait for ever
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "validate", str(PROFILES / "test-xml"), str(data), "-o", str(out),
         "-j", str(jobs), "--lang", "en"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "CONFORMANCE_FAST_LANE": lane})
    assert "Traceback" not in proc.stderr, proc.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert validate_record(record) == [] and record["complete"] is True
    verdicts = {Path(s["name"]).name: s["verdict"] for s in record["subjects"]}
    assert len(verdicts) == 7 and verdicts.pop("3-fifo.xml") != "pass"
    assert set(verdicts.values()) == {"pass"}
    messages = [f["message"]["en"] for r in record["requirements"] for f in r["findings"]
                if f.get("location", {}).get("file", "").endswith("3-fifo.xml")]
    assert any("empty" in m for m in messages), messages


def _payloads(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "payloads"
    folder.mkdir()
    sources = sorted(XML_VALID.glob("*.xml")) + sorted(XML_INVALID.glob("*.xml"))[:3]
    for i in range(n):
        src = sources[i % len(sources)]
        shutil.copyfile(src, folder / f"{i:04d}-{src.name}")
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_bulk_runs_list_failing_subjects_and_count_passing_ones(
    xml_profile: Profile, run: Callable[..., dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    folder = _payloads(tmp_path, 60)
    full = run(xml_profile, [folder], jobs=1)
    monkeypatch.setattr(Tally, "max_listed_subjects", 7)
    bulk = run(xml_profile, [folder], jobs=jobs)
    summary = bulk["subjects_summary"]
    failing = [s for s in full["subjects"] if s["verdict"] != "pass"]
    assert failing and summary["total"] == 60
    listed_indexes = [s["index"] for s in bulk["subjects"]]
    assert listed_indexes[:7] == list(range(7))
    assert {s["index"] for s in failing} <= set(listed_indexes)  # every problem stays visible
    assert summary["listed"] == len(bulk["subjects"]) and summary["unlisted_pass"] == 60 - summary["listed"]
    # verdicts and counts do not depend on how many subjects are listed
    assert [r["verdict"] for r in bulk["requirements"]] == [r["verdict"] for r in full["requirements"]]
    assert [r.get("counts") for r in bulk["requirements"]] == [r.get("counts") for r in full["requirements"]]
    assert bulk["summary"] == full["summary"]
    html = render(bulk, "html", lang="en")
    assert ">60<" in html.replace(" ", "") or "(60)" in html
    assert "60 subjects" in render(bulk, "md", lang="en")


def test_html_report_of_a_huge_run_shows_failing_subjects_first(
    xml_profile: Profile, run: Callable[..., dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.render import html

    folder = _payloads(tmp_path, 30)
    record = run(xml_profile, [folder])
    monkeypatch.setattr(html, "HTML_SUBJECT_ROWS", 4)
    page = render(record, "html", lang="en")
    failing = [s["name"] for s in record["subjects"] if s["verdict"] != "pass"]
    assert len(failing) >= 4
    for name in failing[:4]:
        assert name in page
    assert "26 more subjects are not listed here" in page


def test_bulk_inputs_name_the_paths_and_rerun_walks_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _payloads(tmp_path, 12)
    monkeypatch.setattr(session, "MAX_LISTED_INPUTS", 5)
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["validate", str(PROFILES / "test-xml"), str(folder), "-o", str(out),
                                       "--seed", "4", "-j", "1", "--lang", "en"])
    assert result.exit_code == 1, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert validate_record(record) == []
    assert record["inputs"]["paths"] == [str(folder.resolve())] and record["inputs"]["subjects_total"] == 12
    assert "subjects" not in record["inputs"]
    again = tmp_path / "again.json"
    result = CliRunner().invoke(main, ["rerun", str(out), "-o", str(again)])
    assert result.exit_code == 0 and "same verdicts" in result.output, result.output
    second: dict[str, Any] = json.loads(again.read_text(encoding="utf-8"))
    assert second["rerun_of"]["same_verdicts"] is True
    assert [s["sha256"] for s in second["subjects"]] == [s["sha256"] for s in record["subjects"]]


def test_in_memory_subjects_among_files_are_evaluated_in_their_turn(
    xml_profile: Profile, run: Callable[..., dict], tmp_path: Path
) -> None:
    from conformance.subject import Subject

    folder = _payloads(tmp_path, 24)
    files = sorted(folder.iterdir())
    subjects = []
    for i, f in enumerate(files):
        if i % 7 == 3:  # bytes with no file behind them cannot travel to a worker
            subjects.append(Subject.from_bytes(f.name, f.read_bytes(), media_type="xml", index=i))
        else:
            subjects.append(Subject.from_path(f, media_type="xml", index=i))
    one = run(xml_profile, subjects=subjects, jobs=1)
    two = run(xml_profile, subjects=subjects, jobs=2)
    assert [s["index"] for s in two["subjects"]] == list(range(24))
    assert [s["verdict"] for s in two["subjects"]] == [s["verdict"] for s in one["subjects"]]
    assert [r.get("counts") for r in two["requirements"]] == [r.get("counts") for r in one["requirements"]]


@pytest.mark.parametrize("secret", ["S3cretValue", 'with "quotes"', "back\\slash", "line\nbreak", "密钥值1234"])
def test_redaction_finds_secrets_anywhere_with_its_one_pass_precheck(secret: str) -> None:
    """Redaction first looks for the secrets in one JSON text of the whole record; a
    secret with characters JSON escapes must still be found and replaced everywhere."""
    from conformance.pixit import REDACTED, redact

    record = {"subjects": [{"name": f"a-{secret}-b"}] * 3, "n": 1,
              "requirements": [{"findings": [{"message": {"en": secret, "zh": "x"}}], secret: [secret]}]}
    def strings(v: Any) -> list[str]:
        if isinstance(v, str):
            return [v]
        if isinstance(v, dict):
            return [t for k, x in v.items() for t in strings(k) + strings(x)]
        return [t for x in v for t in strings(x)] if isinstance(v, list) else []

    texts = strings(redact(record, {secret}))
    assert not [t for t in texts if secret in t] and sum(REDACTED in t for t in texts) == 6
    untouched = {"subjects": [{"name": "clean"}]}
    assert redact(untouched, {secret}) == untouched
    # only in a subject, as a value or deeper: the precheck joins subjects' values
    # instead of dumping them, and must still see it
    for subject in ({"index": 1, "name": f"x{secret}y"}, {"index": 1, "error": {"en": secret, "zh": "z"}}):
        texts = strings(redact({"subjects": [{"index": 0, "name": "a"}, subject], "n": 2}, {secret}))
        assert not [t for t in texts if secret in t] and sum(REDACTED in t for t in texts) == 1
