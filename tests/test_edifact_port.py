"""The edifact-port profile: fixtures, locations, CONTRL summary, ICS options, hostile input,
and agreement with pydifact on generated interchanges."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.ics import ics_from_dict
from conformance.profile import load_profile
from conformance.runner import validate
from conformance.subject import Subject

from conftest import assert_record_valid

ROOT = Path(__file__).resolve().parent.parent
PROFILE_DIR = ROOT / "profiles" / "edifact-port"
FIXTURES = ROOT / "fixtures" / "edifact-port"


def _tools() -> Any:
    name = "edifact_port_make_interchanges"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROFILE_DIR / "tools" / "make_interchanges.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


mi = _tools()
lib = mi.lib
PROFILE = load_profile(PROFILE_DIR)
EXPECTED = yaml.safe_load((FIXTURES / "invalid" / "EXPECTED.yaml").read_text(encoding="utf-8"))


def _files(kind: str) -> list[Path]:
    return sorted(p for p in (FIXTURES / kind).iterdir() if p.suffix in (".edi", ".txt"))


def _run(paths: list[Path] | None = None, *, data: bytes | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
    ics = None
    if options is not None:
        ics = ics_from_dict({"profile": "edifact-port", "product": {"name": "t", "version": "1"}, "options": options}, PROFILE)
    if data is not None:
        subjects = [Subject.from_bytes("memory.edi", data, media_type="text")]
        return assert_record_valid(validate(PROFILE, subjects=subjects, ics=ics, seed=1))
    return assert_record_valid(validate(PROFILE, paths, ics=ics, seed=1))


def _verdicts(record: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def _findings(record: dict[str, Any], req: str, verdict: str = "fail") -> list[dict[str, Any]]:
    return [f for r in record["requirements"] if r["id"] == req for f in r["findings"] if f["verdict"] == verdict]


# ------------------------------------------------------------------ fixtures


def test_fixture_folders_agree_with_expected() -> None:
    assert {p.name for p in _files("invalid")} == set(EXPECTED)
    known = {r.id for r in PROFILE.requirements}
    for name, fails in EXPECTED.items():
        assert fails and set(fails) <= known, name
    assert len(_files("valid")) >= 8


@pytest.mark.parametrize("path", _files("valid"), ids=lambda p: p.name)
def test_valid_fixture_passes_every_requirement(path: Path) -> None:
    record = _run([path])
    bad = {k: v for k, v in _verdicts(record).items() if v != "pass"}
    assert bad == {}, [(f["requirement"], f["message"]["en"]) for r in record["requirements"] for f in r["findings"]
                       if f["verdict"] != "pass"]


@pytest.mark.parametrize("path", _files("invalid"), ids=lambda p: p.name)
def test_invalid_fixture_fails_exactly_its_expected_requirements(path: Path) -> None:
    record = _run([path])
    verdicts = _verdicts(record)
    assert {k for k, v in verdicts.items() if v == "fail"} == set(EXPECTED[path.name])
    assert "error" not in verdicts.values(), {k: v for k, v in verdicts.items() if v == "error"}


def test_every_requirement_fails_on_some_fixture() -> None:
    bound = {r for b in PROFILE.bindings for r in b.requirements}
    tested = {r.id for r in PROFILE.requirements if r.not_tested is None}
    assert tested <= bound
    shown = set().union(*(set(v) for v in EXPECTED.values()))
    assert tested - shown == set()


# ------------------------------------------------------------------ locations and messages


def test_finding_names_segment_number_line_and_element_position() -> None:
    record = _run([FIXTURES / "invalid" / "container-check-digit.edi"])
    (f,) = _findings(record, "EDI-CTR-2")
    text = (FIXTURES / "invalid" / "container-check-digit.edi").read_text(encoding="latin-1")
    lines = text.splitlines()
    seg = f["location"]["segment"]
    # one segment per line after UNA: segment n is on line n
    assert lines[seg - 1].startswith("EQD+CN+") and f["location"]["line"] == seg
    assert f["evidence"]["element"] == "2.1" and f["evidence"]["tag"] == "EQD"
    assert f"segment {seg} (EQD), element 2.1" in f["message"]["en"]
    assert f"第 {seg} 段（EQD），数据元 2.1" in f["message"]["zh"]
    assert f["evidence"]["message"]["position"] == seg - 2  # UNA and UNB precede UNH


def test_unt_count_is_read_from_the_raw_segments() -> None:
    record = _run([FIXTURES / "invalid" / "unt-count-excludes-unh-unt.edi"])
    (f,) = _findings(record, "EDI-UNT-1")
    assert f["evidence"]["contrl"] == {"level": "UCM", "error": 29, "action": "4"}
    assert "inclusive" in f["message"]["en"]


def test_line_breaks_and_crlf_after_terminators_are_layout() -> None:
    base = mi.interchange(message="COPRAR", directory="D95B", containers=3)
    for variant in (base, base.replace("\n", "\r\n"), base.replace("\n", ""), base.replace("\n", "\n\n")):
        assert _verdicts(_run(data=variant.encode()))["EDI-LAY-1"] == "pass"
    inside = base.replace("EQD+CN+", "EQD+CN\n+", 1)
    assert _verdicts(_run(data=inside.encode()))["EDI-LAY-1"] == "fail"


def test_too_many_findings_are_summed_up() -> None:
    text = mi.interchange(message="BAPLIE", directory="D95B", containers=60, seed=9)
    broken = "\n".join(line.replace("U", "X", 1) if line.startswith("EQD+CN+") else line for line in text.split("\n"))
    record = _run(data=broken.replace("EQD+CN+", "EQD+CN+").encode())
    fails = _findings(record, "EDI-CTR-1")
    assert len(fails) == 26 and fails[-1]["evidence"] == {"total": 60}


# ------------------------------------------------------------------ CONTRL


def test_contrl_report_and_text() -> None:
    data = (FIXTURES / "invalid" / "tdt-qualifier-21.edi").read_bytes()
    report = lib.contrl_report(data)
    assert report["rejected"] and report["interchange"]["action"] == "7"
    (msg,) = report["messages"]
    assert msg["action"] == "4" and msg["segments"][0]["elements"][0]["error"] == 12
    assert msg["segments"][0]["tag"] == "TDT"
    text = lib.render_contrl(report)
    assert "UCM+M10001+BAPLIE:D:95B:UN+4'" in text and f"UCS+{msg['segments'][0]['position']}'" in text
    assert "UCD+12+1'" in text
    # the CONTRL text is itself a well-formed interchange for our tokeniser
    tokens = lib.tokenise(text)
    assert tokens.problems == [] and [s.tag for s in tokens.segments][-1] == "UNZ"
    good = lib.contrl_report((FIXTURES / "valid" / "baplie-d95b.edi").read_bytes())
    assert not good["rejected"] and good["messages"][0]["segments"] == []


def test_contrl_report_is_evidence_of_the_interchange_binding() -> None:
    record = _run([FIXTURES / "invalid" / "unz-count.edi"])
    (f,) = [f for f in record["requirements"][0]["findings"] if "contrl_report" in (f.get("evidence") or {})] or [
        f for r in record["requirements"] for f in r["findings"] if "contrl_report" in (f.get("evidence") or {})]
    assert f["evidence"]["contrl_report"]["interchange"]["action"] == "4"
    assert f["evidence"]["contrl_report"]["interchange"]["errors"][0]["error"] == 29


def test_iso6346_check_digit() -> None:
    assert lib.check_digit("CSQU305438") == 3
    assert lib.with_check_digit("ABCU123456") == "ABCU1234560" or lib.check_digit("ABCU123456") in range(10)
    assert lib.iso6346.problem("CSQU3054383") is None
    assert lib.iso6346.problem("CSQU3054384")[0] == "check"
    assert lib.iso6346.problem("CSQX3054383")[0] == "form"


# ------------------------------------------------------------------ ICS options


def test_ics_message_types_and_directories_select() -> None:
    codeco = FIXTURES / "valid" / "coprar-d95b.edi"
    record = _run([codeco], options={"BAPLIE": True, "CODECO": False, "COARRI": False, "COPRAR": False})
    v = _verdicts(record)
    assert v["EDI-MSG-1"] == "fail" and v["EDI-STR-1"] == "inconclusive"
    assert v["EDI-BAP-1"] == "inconclusive"  # applies (BAPLIE claimed) but no BAPLIE was judged
    record = _run([FIXTURES / "valid" / "baplie-d00b-one-line-no-una.edi"], options={"DIRECTORIES": "D95B"})
    assert _verdicts(record)["EDI-MSG-2"] == "fail"
    record = _run([FIXTURES / "valid" / "coprar-d95b.edi"], options={"BAPLIE": False})
    assert _verdicts(record)["EDI-BAP-1"] == "not_applicable"


# ------------------------------------------------------------------ hostile input


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02\xff" * 50, b"UNA", b"UNA:+.? ", b"UNB", b"UNB+",
                                  b"\xef\xbb\xbfUNB+UNOA:2+A+B+260101:1200+1'", "UNB+UNOW:4+A+B".encode() + b"\xff'",
                                  b"UNA:+.? 'UNB+UNOA:2+A+B+260101:1200+1'UNH+1+BAPLIE:D:95B:UN'?"])
def test_hostile_input_gives_findings_not_tracebacks(data: bytes) -> None:
    record = _run(data=data)
    verdicts = _verdicts(record)
    assert "error" not in verdicts.values()
    assert "fail" in verdicts.values()


def test_every_truncation_of_an_interchange_is_judged() -> None:
    data = mi.interchange(message="CODECO", directory="D00B", containers=2).encode()
    for cut in range(0, len(data), 7):
        a = lib.analyse(data[:cut])
        assert {"EDI-SYN-1", "EDI-SYN-2"} & {i.requirement for i in a.issues}, cut
    assert lib.analyse(data).issues == []
    for cut in (len(data) // 3, len(data) // 2):
        assert "error" not in _verdicts(_run(data=data[:cut])).values()


# ------------------------------------------------------------------ pydifact as the reference reader


@pytest.mark.parametrize(("message", "directory"), [("BAPLIE", "D95B"), ("CODECO", "D00B"), ("COARRI", "D95B"),
                                                    ("COPRAR", "D00B")])
def test_tokens_agree_with_pydifact(message: str, directory: str) -> None:
    parser_mod = pytest.importorskip("pydifact.parser")
    import warnings

    text = mi.interchange(message=message, directory=directory, containers=5, seed=random.Random(message).randrange(99))
    ours = [s for s in lib.tokenise(text).segments if s.tag != "UNA"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = [s for s in parser_mod.Parser().parse(text) if s.tag != "UNA"]
    assert [s.tag for s in ours] == [s.tag for s in theirs]
    for a, b in zip(ours, theirs):
        norm = [e if isinstance(e, list) else [e] for e in b.elements]
        # pydifact drops trailing empty components; the generator writes none
        assert a.elements == norm, a.raw
