"""Batch files: the engine streams a container and checks each item on its own."""

from __future__ import annotations

import textwrap
import tracemalloc
from pathlib import Path

import pytest

from conformance import engine, load_profile, validate, validate_record

PROFILE = textwrap.dedent(
    """
    format: 1
    id: test-batch
    version: 0.1.0
    title: {zh: 批量测试, en: batch test}
    standards: [{code: T, title: t}]
    roles: [{id: sender, title: sender}]
    namespaces: {b: "urn:batch"}
    subjects:
      media_type: xml
      split: {container: "b:batch", item: "b:doc", file_checks: [wf, count]}
    requirements:
      - {id: B-1, clause: "1", level: MUST, text: well-formed}
      - {id: B-2, clause: "2", level: MUST, text: count attribute equals the number of docs}
      - {id: B-3, clause: "3", level: MUST, text: each doc has an id of 3 digits}
    checks:
      - {id: wf, check: xml-wellformed, requirements: [B-1]}
      - id: count
        check: xpath
        requirements: [B-2]
        params: {assertions: [{context: "/b:batch", test: "number(@count) = count(b:doc)"}]}
      - id: docid
        check: xpath
        requirements: [B-3]
        params: {assertions: [{context: "/b:doc", test: "re:test(b:id, '^[0-9]{3}$')"}]}
    """
)


def _profile(tmp_path: Path):
    d = tmp_path / "profile"
    d.mkdir()
    (d / "profile.yaml").write_text(PROFILE, encoding="utf-8")
    return load_profile(d)


def _batch(path: Path, ids: list[str], count: int | None = None, payload: str = "") -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<batch xmlns="urn:batch" count="{count if count is not None else len(ids)}">\n')
        for i in ids:
            fh.write(f"  <doc>\n    <id>{i}</id>{payload}\n  </doc>\n")
        fh.write("</batch>\n")
    return path


def test_each_item_checked_on_its_own_with_position(tmp_path: Path) -> None:
    prof = _profile(tmp_path)
    f = _batch(tmp_path / "b.xml", ["001", "002", "x3", "004"])
    record = validate(prof, [f])
    assert validate_record(record) == []
    req = {r["id"]: r for r in record["requirements"]}
    assert req["B-1"]["verdict"] == "pass" and req["B-2"]["verdict"] == "pass"
    fails = [x for x in req["B-3"]["findings"] if x["verdict"] == "fail"]
    assert len(fails) == 1
    loc = fails[0]["location"]
    assert loc["xpath"] == "/b:batch/b:doc[3]"
    assert loc["line"] == 9  # the third <doc> starts on line 9 of the file


def test_file_checks_see_the_batch(tmp_path: Path) -> None:
    prof = _profile(tmp_path)
    record = validate(prof, [_batch(tmp_path / "b.xml", ["001", "002"], count=3)])
    req = {r["id"]: r for r in record["requirements"]}
    assert req["B-2"]["verdict"] == "fail"
    assert req["B-3"]["verdict"] == "pass"


def test_a_single_item_document_is_checked_whole(tmp_path: Path) -> None:
    prof = _profile(tmp_path)
    f = tmp_path / "one.xml"
    f.write_text('<doc xmlns="urn:batch"><id>12</id></doc>', encoding="utf-8")
    record = validate(prof, [f])
    req = {r["id"]: r for r in record["requirements"]}
    assert req["B-3"]["verdict"] == "fail"
    assert req["B-3"]["findings"][0]["location"]["xpath"] == "/b:doc"


def test_broken_batch_fails_wellformedness_after_checking_earlier_items(tmp_path: Path) -> None:
    prof = _profile(tmp_path)
    f = _batch(tmp_path / "b.xml", ["001", "0x2"])
    f.write_bytes(f.read_bytes().replace(b"</batch>", b"</batc"))
    record = validate(prof, [f])
    assert validate_record(record) == []
    req = {r["id"]: r for r in record["requirements"]}
    assert req["B-1"]["verdict"] == "fail"
    assert req["B-1"]["findings"][0]["location"]["line"] >= 8
    assert req["B-3"]["verdict"] == "fail"  # the second item was checked before the break


def test_memory_does_not_grow_with_the_number_of_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files under WHOLE_PARSE_LIMIT are parsed whole on purpose; this is about streaming.
    monkeypatch.setattr(engine, "WHOLE_PARSE_LIMIT", 64 * 1024)
    prof = _profile(tmp_path)
    filler = "<pad>" + "x" * 2000 + "</pad>"
    small = _batch(tmp_path / "small.xml", [f"{i % 1000:03d}" for i in range(200)], payload=filler)
    large = _batch(tmp_path / "large.xml", [f"{i % 1000:03d}" for i in range(4000)], payload=filler)

    def peak(path: Path) -> int:
        tracemalloc.start()
        record = validate(prof, [path])
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert record["summary"]["exit_code"] == 0
        return top

    p_small, p_large = peak(small), peak(large)
    # 20x the items (~8 MB more input) must not cost anywhere near 20x the memory.
    assert p_large < p_small * 4 + 2_000_000, (p_small, p_large)
