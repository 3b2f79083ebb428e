"""The engine's schema lane: payloads that pass every fast predicate are recorded without
a Subject or findings. The record must be exactly the one the checks themselves make."""

from __future__ import annotations

import dataclasses
import random
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import engine
from conformance.discovery import resolve_profile
from conformance.engine import FAST_LANE_ENV, Applicability, _fast_lane, make_context
from conformance.ics import default_ics
from conformance.profile import Profile
from conformance.record import Tally
from conformance.runner import validate

from conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent

SCHEMA_CHECKS = ("xml-wellformed", "json-wellformed", "xsd", "jsonschema")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
HOSTILE = ROOT / "fixtures" / "hostile"


def schema_only(profile: Profile, drop: tuple[str, ...] = ()) -> Profile:
    keep = tuple(b for b in profile.bindings if b.check in SCHEMA_CHECKS and b.id not in drop)
    wanted = {r for b in keep for r in b.requirements}
    return dataclasses.replace(profile, bindings=keep,
                               requirements=tuple(r for r in profile.requirements if r.id in wanted))


def lane_of(profile: Profile) -> Any:
    ics = default_ics(profile)
    return _fast_lane(make_context(profile, ics, seed=1), Applicability.of(profile, ics))


def corpus(tmp_path: Path, suffix: str, sources: list[Path]) -> Path:
    """Every fixture of ``suffix`` under ``sources`` plus the small hostile files, in
    a shuffled order of names, with a few made-up edge cases."""
    files = [f for src in sources for f in sorted(src.rglob(f"*{suffix}")) if f.stat().st_size < 1 << 20]
    files += [f for f in sorted(HOSTILE.rglob(f"*{suffix}")) if f.stat().st_size < 1 << 20]
    out = tmp_path / "corpus"
    out.mkdir()
    order = list(range(len(files)))
    random.Random(7).shuffle(order)
    for n, f in zip(order, files):
        shutil.copyfile(f, out / f"{n:04d}-{f.name}")
    (out / f"empty{suffix}").write_bytes(b"")
    (out / f"spaces{suffix}").write_bytes(b"  \n")
    (out / f"nul{suffix}").write_bytes(b"\x00\x00")
    return out


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("run_id", "started_at", "finished_at")}


def both_ways(monkeypatch: pytest.MonkeyPatch, profile: Profile, folder: Path, **kw: Any) -> tuple[dict, dict, int]:
    """The record with the lane, the record without it, and how many files the lane took."""
    taken = 0
    accept = engine._Lane.accept

    def counting(self: Any, work: Any) -> Any:
        nonlocal taken
        out = accept(self, work)
        taken += out is not None
        return out

    monkeypatch.setattr(engine._Lane, "accept", counting)
    kw.update(seed=3, now=NOW)
    with_lane = validate(profile, [folder], **kw)
    monkeypatch.setenv(FAST_LANE_ENV, "0")
    without = validate(profile, [folder], **kw)
    monkeypatch.delenv(FAST_LANE_ENV)
    return with_lane, without, taken


@pytest.mark.parametrize("profile_id,suffix", [("dx-1.0", ".xml"), ("pds-1.0", ".xml")])
def test_lane_records_equal_the_checks_records_on_bundled_schemas(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile_id: str, suffix: str) -> None:
    full = resolve_profile(profile_id)
    assert lane_of(full) is None  # the profile's own checks have no fast form
    profile = schema_only(full)
    lane = lane_of(profile)
    assert lane is not None and lane.passes
    folder = corpus(tmp_path, suffix, [ROOT / "fixtures" / profile_id])
    with_lane, without, taken = both_ways(monkeypatch, profile, folder, max_bytes=1 << 20)
    assert taken > 5  # the lane did take the valid fixtures
    passing = sum(1 for s in without["subjects"] if s["verdict"] == "pass")
    assert taken <= passing < len(without["subjects"])
    assert comparable(with_lane) == comparable(without)


@pytest.mark.parametrize("which", ["xml", "json"])
def test_lane_records_equal_the_checks_records_on_test_profiles(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xml_profile: Profile, json_profile: Profile,
        which: str) -> None:
    base, suffix = (xml_profile, ".xml") if which == "xml" else (json_profile, ".json")
    # the XSD 1.1 binding runs in xmlschema and the duplicate-key rule needs the careful parse
    drop = ("xsd11", "dups")
    assert lane_of(schema_only(base)) is None
    profile = schema_only(base, drop)
    assert lane_of(profile) is not None
    folder = corpus(tmp_path, suffix, [FIXTURES / f"test-{which}"])
    for jobs in (1, 2):
        with_lane, without, taken = both_ways(monkeypatch, profile, folder, jobs=jobs)
        assert comparable(with_lane) == comparable(without)
        if jobs == 1:
            assert taken >= 3


def test_lane_does_not_take_what_a_check_would_report(xml_profile: Profile, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    lane = lane_of(schema_only(xml_profile, ("xsd11",)))
    valid = next(iter(sorted((FIXTURES / "test-xml/valid").glob("*.xml"))))
    data = valid.read_bytes()

    def work(content: bytes, name: str = "f.xml", max_bytes: int = 1 << 20) -> Any:
        path = tmp_path / name
        path.write_bytes(content)
        return (0, name, str(path), "xml", None, max_bytes)

    assert lane.accept(work(data)) is not None
    described = lane.accept(work(data))
    assert described["sha256"] and described["size"] == len(data) and described["verdict"] == "pass"
    assert lane.accept(work(data, max_bytes=len(data) - 1)) is None  # over the size limit
    assert lane.accept(work(data.replace(b"?>", b"?><!DOCTYPE x>", 1))) is None
    assert lane.accept(work(data[: len(data) // 2])) is None  # truncated
    assert lane.accept(work(b"")) is None
    assert lane.accept((0, "gone.xml", str(tmp_path / "gone.xml"), "xml", None, 1 << 20)) is None
    assert lane.accept((0, "f.xml", str(tmp_path / "f.xml"), "json", None, 1 << 20)) is None
    # a large file is never read whole by the lane (a batch file is streamed by the checks)
    monkeypatch.setattr(engine, "WHOLE_PARSE_LIMIT", len(data) - 1)
    assert lane.accept(work(data)) is None


# Tally.add_passing must make exactly what add_subject makes one subject at a time,
# whatever the pass cap, the order and the requirements shared between checks.
PAIRS = st.lists(st.tuples(st.sampled_from(["R1", "R2", "R3"]), st.sampled_from(["a", "b"])), min_size=1,
                 max_size=4, unique=True)


@settings(max_examples=150, deadline=None)
@given(passes=PAIRS, batches=st.lists(st.integers(0, 6), min_size=1, max_size=6), cap=st.integers(1, 5),
       first=st.booleans())
def test_add_passing_equals_adding_subjects_one_by_one(json_profile: Profile, passes: list[tuple[str, str]],
                                                      batches: list[int], cap: int, first: bool) -> None:
    profile = dataclasses.replace(json_profile, requirements=tuple(
        dataclasses.replace(json_profile.requirements[0], id=r) for r in ("R1", "R2", "R3")))
    one, bulk = Tally(profile, max_pass_findings=cap), Tally(profile, max_pass_findings=cap)
    index = 0
    if first:  # a failing subject first: its finding stays ahead of the passes
        failing = {"requirement": "R1", "verdict": "fail", "message": {"zh": "x", "en": "x"}, "location": {}}
        for t in (one, bulk):
            t.add_subject({"index": 0, "name": "0"}, [failing])
        index = 1
    for size in batches:
        descriptions = [{"index": i, "name": str(i)} for i in range(index, index + size)]
        index += size
        for d in descriptions:
            one.add_subject(d, [], passes)
        bulk.add_passing([{**d, "verdict": "pass"} for d in descriptions], passes)
    assert bulk.state() == one.state() and bulk.subjects_total == one.subjects_total


# The JSON lane hands jsonschema-rs plain fractions as floats (FastTest.floats): that
# must never turn a value the exact (Decimal) reading rejects into one it accepts.
@pytest.mark.parametrize("literal,exact", [
    ("1.5", False), ("-0.25", False), ("0.000123", False), ("1234567890123.45", False),
    ("1.0000000000000001", True), ("1e5", True), ("2.5E-3", True), ("12345678901234567.5", True),
    ("0.0000000000000001", True),
])
def test_only_plain_fractions_become_floats(literal: str, exact: bool) -> None:
    value = engine._plain_float(literal)
    assert isinstance(value, Decimal) is exact
    assert Decimal(literal) == (value if exact else Decimal(repr(value)))


FRACTION = st.builds(lambda neg, whole, frac: f"{'-' if neg else ''}{whole}.{frac}", st.booleans(),
                     st.integers(0, 10**7), st.text("0123456789", min_size=1, max_size=8))
SCHEMA_NUMBER = st.one_of(st.integers(-10**7, 10**7), FRACTION.map(float))


@settings(max_examples=3000, deadline=None)
@given(literal=FRACTION, keyword=st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                                  "multipleOf", "const", "enum", "type"]),
       bound=SCHEMA_NUMBER)
def test_jsonschema_rs_decides_alike_on_plain_fractions_as_float_or_decimal(literal: str, keyword: str,
                                                                            bound: Any) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    value = engine._plain_float(literal)
    if isinstance(value, Decimal) or (keyword == "multipleOf" and bound <= 0):
        return
    schema = {"enum": [bound, 7]} if keyword == "enum" else {"type": "integer"} if keyword == "type" else {
        keyword: bound}
    validator = jsonschema_rs.Draft202012Validator(schema)
    assert validator.is_valid(value) == validator.is_valid(Decimal(literal)), (literal, schema)
