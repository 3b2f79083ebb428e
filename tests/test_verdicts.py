"""Verdict aggregation: worst-of per requirement, no finding is an error, and the run's
exit code (0 conformant, 1 a MUST failed, 3 a MUST erred or was inconclusive)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import register_check
from conformance.checks.call import CheckCall
from conformance.findings import Finding
from conformance.profile import Profile, load_profile
from conformance.record import summarise
from conformance.verdicts import BLOCKING, Level, Verdict, severity, worst

from conftest import requirement, verdicts

EMIT = "test-verdicts-emit"
SILENT = "test-verdicts-silent"


@register_check(EMIT, params={"type": "object", "properties": {"emit": {"type": "object"}}})
def _emit(call: CheckCall) -> Iterator[Finding]:
    """Yield the verdicts params.emit lists per requirement; the subject's name picks a row."""
    table: dict[str, Any] = call.params.get("emit", {})
    row = table.get(Path(call.subject.name).stem, table.get("*", {}))
    for req, vs in row.items():
        for v in vs if isinstance(vs, list) else [vs]:
            yield call.finding(v, {"zh": f"给定 {v}", "en": f"given {v}"}, requirement=req)


@register_check(SILENT, implicit_pass=False)
def _silent(call: CheckCall) -> Iterator[Finding]:
    """Completes without saying anything (and without an implicit pass)."""
    return iter(())


PROFILE = """\
format: 1
id: test-verdicts
version: 1.0.0
title: {{zh: 判定测试, en: verdict test}}
standards: [{{code: V, title: v}}]
roles: [{{id: r, title: r}}]
requirements:
  - {{id: V-MUST, clause: "1", level: MUST, text: must}}
  - {{id: V-MUST2, clause: "2", level: MUST, text: must too}}
  - {{id: V-SHOULD, clause: "3", level: SHOULD, text: should}}
  - {{id: V-MAY, clause: "4", level: MAY, text: may}}
  - {{id: V-SILENT, clause: "5", level: {silent_level}, text: nobody answers}}
  - {{id: V-UNBOUND, clause: "6", level: {unbound_level}, text: no check at all}}
checks:
  - id: emit
    check: {emit}
    requirements: [V-MUST, V-MUST2, V-SHOULD, V-MAY]
    params: {{emit: {emit_table}}}
  - {{id: quiet, check: {silent}, requirements: [V-SILENT]}}
"""


@pytest.fixture
def scenario(tmp_path: Path, run: Callable[..., dict]) -> Callable[..., dict]:
    """Run the verdict profile where ``emit`` says which verdicts each requirement gets.

    ``emit`` maps a subject stem (or ``*``) to {requirement: verdict or [verdicts]}.
    V-SILENT and V-UNBOUND never get a finding; their level is MAY unless given.
    """
    counter = itertools.count()

    def _scenario(emit: dict[str, Any], *, subjects: tuple[str, ...] = ("s",), silent_level: str = "MAY",
                  unbound_level: str = "MAY") -> dict:
        n = next(counter)
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        (folder / "profile.yaml").write_text(
            PROFILE.format(emit=EMIT, silent=SILENT, silent_level=silent_level, unbound_level=unbound_level,
                           emit_table=json.dumps(emit)),
            encoding="utf-8",
        )
        profile: Profile = load_profile(folder)
        paths = []
        for stem in subjects:
            p = tmp_path / f"{n}-{stem}" / f"{stem}.xml"
            p.parent.mkdir()
            p.write_text("<x/>", encoding="utf-8")
            paths.append(p)
        return run(profile, paths)

    return _scenario


ALL_PASS = {"V-MUST": "pass", "V-MUST2": "pass", "V-SHOULD": "pass", "V-MAY": "pass"}


# ------------------------------------------------------------------ the order itself


def test_severity_order() -> None:
    order = [Verdict.NOT_APPLICABLE, Verdict.PASS, Verdict.INCONCLUSIVE, Verdict.ERROR, Verdict.FAIL]
    assert sorted(Verdict, key=severity) == order
    for lower, higher in itertools.pairwise(order):
        assert worst([lower, higher]) is higher
        assert worst([higher, lower]) is higher
    assert worst([]) is None
    assert worst(["pass", "pass"]) is Verdict.PASS
    assert BLOCKING == {Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE}


@pytest.mark.parametrize("combo", list(itertools.permutations(["pass", "inconclusive", "error", "fail", "not_applicable"], 3)))
def test_worst_of_is_order_independent(combo: tuple[str, ...]) -> None:
    expected = max(combo, key=lambda v: severity(Verdict(v)))
    assert worst(combo) is Verdict(expected)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        (["pass", "pass"], "pass"),
        (["pass", "not_applicable"], "pass"),
        (["not_applicable"], "not_applicable"),
        (["pass", "inconclusive"], "inconclusive"),
        (["inconclusive", "error"], "error"),
        (["error", "fail", "pass"], "fail"),
        (["fail", "inconclusive"], "fail"),
    ],
)
def test_requirement_verdict_is_the_worst_of_its_findings(scenario: Callable[..., dict], findings: list[str], expected: str) -> None:
    record = scenario({"*": {**ALL_PASS, "V-MUST": findings}})
    entry = requirement(record, "V-MUST")
    assert entry["verdict"] == expected
    assert sorted(f["verdict"] for f in entry["findings"]) == sorted(findings)
    assert sum(entry["counts"].values()) == len(findings)


def test_worst_of_across_subjects(scenario: Callable[..., dict]) -> None:
    record = scenario({"a": ALL_PASS, "b": {**ALL_PASS, "V-MUST": "fail"}, "c": ALL_PASS}, subjects=("a", "b", "c"))
    assert verdicts(record)["V-MUST"] == "fail"
    assert [s["verdict"] for s in record["subjects"]] == ["pass", "fail", "pass"]
    assert {f["subject"] for f in requirement(record, "V-MUST")["findings"]} == {0, 1, 2}
    assert record["summary"]["exit_code"] == 1


# ------------------------------------------------------------------ no finding


def test_no_finding_is_an_error_never_a_pass(scenario: Callable[..., dict]) -> None:
    record = scenario(ALL_PASS)
    for rid in ("V-SILENT", "V-UNBOUND"):
        entry = requirement(record, rid)
        assert entry["verdict"] == "error" and entry["applicable"] is True
        assert len(entry["findings"]) == 1
        assert "no check produced a finding" in entry["findings"][0]["message"]["en"]
        assert entry["findings"][0]["message"]["zh"]
    # both are MAY here, so the run is still conformant
    assert record["summary"]["exit_code"] == 0


@pytest.mark.parametrize("which", ["silent_level", "unbound_level"])
def test_a_must_with_no_finding_makes_the_run_exit_3(scenario: Callable[..., dict], which: str) -> None:
    record = scenario(ALL_PASS, **{which: "MUST"})
    assert record["summary"]["exit_code"] == 3
    assert record["summary"]["conformant"] is False


def test_no_subjects_at_all_is_not_conformant(scenario: Callable[..., dict]) -> None:
    record = scenario(ALL_PASS, subjects=())
    assert record["subjects"] == []
    assert set(verdicts(record).values()) == {"error"}
    assert record["summary"]["exit_code"] == 3


# ------------------------------------------------------------------ exit codes


@pytest.mark.parametrize(
    ("emit", "exit_code", "warnings"),
    [
        (ALL_PASS, 0, []),
        ({**ALL_PASS, "V-MUST": "fail"}, 1, []),
        ({**ALL_PASS, "V-MUST": "inconclusive"}, 3, []),
        ({**ALL_PASS, "V-MUST": "error"}, 3, []),
        ({**ALL_PASS, "V-MUST": "fail", "V-MUST2": "error"}, 1, []),
        ({**ALL_PASS, "V-MUST": "inconclusive", "V-MUST2": "fail"}, 1, []),
        ({**ALL_PASS, "V-SHOULD": "fail"}, 0, ["V-SHOULD"]),
        ({**ALL_PASS, "V-SHOULD": "error"}, 0, []),
        ({**ALL_PASS, "V-SHOULD": "inconclusive"}, 0, []),
        ({**ALL_PASS, "V-MAY": "fail"}, 0, []),
        ({**ALL_PASS, "V-MAY": "error"}, 0, []),
        ({**ALL_PASS, "V-SHOULD": "fail", "V-MUST": "inconclusive"}, 3, ["V-SHOULD"]),
        ({**ALL_PASS, "V-MUST": "not_applicable"}, 0, []),
    ],
)
def test_exit_code_and_warnings(scenario: Callable[..., dict], emit: dict, exit_code: int, warnings: list[str]) -> None:
    record = scenario({"*": emit})
    summary = record["summary"]
    assert summary["exit_code"] == exit_code
    assert summary["conformant"] is (exit_code == 0)
    assert summary["warnings"] == warnings
    for rid, v in emit.items():
        assert verdicts(record)[rid] == v
    assert sum(summary["verdicts"].values()) == summary["requirements"] == 6
    assert summary["by_level"]["MUST"]["fail"] == sum(1 for r in ("V-MUST", "V-MUST2") if emit[r] == "fail")


def test_subject_verdict_counts_only_must_findings(scenario: Callable[..., dict]) -> None:
    record = scenario({"*": {**ALL_PASS, "V-SHOULD": "fail", "V-MAY": "error"}})
    assert record["subjects"][0]["verdict"] == "pass"
    record = scenario({"*": {**ALL_PASS, "V-MUST2": "inconclusive"}})
    assert record["subjects"][0]["verdict"] == "inconclusive"


def test_summarise_ignores_waived_must_failures() -> None:
    reqs = [
        {"id": "A", "level": "MUST", "verdict": "fail", "applicable": True, "findings": [{}], "waived": True},
        {"id": "B", "level": "SHOULD", "verdict": "fail", "applicable": True, "findings": [{}, {}]},
        {"id": "C", "level": "MAY", "verdict": "not_applicable", "applicable": False, "findings": []},
    ]
    s = summarise(reqs)
    assert s["exit_code"] == 0 and s["warnings"] == ["B"]
    assert s["applicable"] == 2 and s["findings"] == 3
    assert s["by_level"]["MUST"]["fail"] == 1 and s["verdicts"]["not_applicable"] == 1
    reqs[0]["waived"] = False
    assert summarise(reqs)["exit_code"] == 1


def test_levels_and_their_chinese_modal_verbs() -> None:
    from conformance.verdicts import LEVEL_ZH

    assert [LEVEL_ZH[lv] for lv in Level] == ["应", "宜", "可"]
    assert str(Verdict.NOT_APPLICABLE) == "not_applicable" and str(Level.MUST) == "MUST"
