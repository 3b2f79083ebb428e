"""DX 1.0 clause 10: a generated batch of 2000 roots validates by streaming, and the
memory the streaming itself takes does not grow with the number of roots."""

from __future__ import annotations

import sys
import tracemalloc

import pytest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_dx_support import NOW, fixtures_tool, pixit, profile  # noqa: E402

from conformance.checks.call import RunContext  # noqa: E402
from conformance import engine  # noqa: E402
from conformance.engine import Applicability, evaluate_subject  # noqa: E402
from conformance.ics import default_ics  # noqa: E402
from conformance.subject import Subject  # noqa: E402


def make_batch(path: Path, n: int) -> Path:
    tool = fixtures_tool()
    roots = [tool.rc01(f"stream-{i}", [tool.rec(tool.RC_OK)]) for i in range(n)]
    path.write_bytes(tool.serialize(tool.batch(roots)))
    return path


def evaluate(path: Path, applicable: set[str]) -> list:
    p = profile()
    ctx = RunContext(profile=p, ics=default_ics(p), pixit=pixit(), seed=1, now=NOW)
    return evaluate_subject(Subject.from_path(path), ctx, Applicability(frozenset(applicable)))


def test_batch_of_2000_roots_validates(tmp_path: Path) -> None:
    path = make_batch(tmp_path / "big.xml", 2000)
    # one per-root rule, one whole-file rule, the batch rules: no fail anywhere
    findings = evaluate(path, {"DX-6.7a", "DX-10.1", "DX-10.2", "DX-10.4", "DX-4.1"})
    assert findings and all(f.verdict.value == "pass" for f in findings)
    # Per-root passes are summed into one finding per rule (the engine keeps batch
    # records the size of their problems); its evidence says on how many roots.
    passes = [f for f in findings if f.requirement == "DX-6.7a"]
    assert len(passes) == 1 and passes[0].evidence == {"items": 2000}


def test_streaming_memory_does_not_grow_linearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files under WHOLE_PARSE_LIMIT are parsed whole on purpose; this is about streaming.
    monkeypatch.setattr(engine, "WHOLE_PARSE_LIMIT", 64 * 1024)
    small = make_batch(tmp_path / "small.xml", 200)
    large = make_batch(tmp_path / "large.xml", 2000)

    def peak(path: Path) -> int:
        tracemalloc.start()
        try:
            evaluate(path, {"DX-10.4", "DX-10.1", "DX-10.2"})  # whole-file rules: stream every root
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(small)  # warm caches (compiled schemas, imports)
    p_small, p_large = peak(small), peak(large)
    # Only the 10.4 MessageID set (about 150 octets a root) may grow; a parsed root
    # kept in memory would cost several kilobytes each.
    per_root = (p_large - p_small) / 1800
    assert per_root < 512, (p_small, p_large, per_root)


@pytest.mark.parametrize("colliding", [False, True])
def test_repeated_message_ids_are_found_exactly_even_when_digests_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, colliding: bool
) -> None:
    """10.4 keeps 64-bit digests of MessageIDs; a repeated digest is confirmed on the
    MessageIDs themselves. With every digest equal (a forced collision) the findings
    must be exactly those of distinct digests: roots 4 and 6 repeat roots 2 and 1."""
    p = profile()  # loads the plugin module
    checks = next(m for k, m in sys.modules.items() if "dx_checks" in k and hasattr(m, "_digest64"))
    if colliding:
        monkeypatch.setattr(checks, "_digest64", lambda mid: 7)
    tool = fixtures_tool()
    names = ["a", "b", "c", "b", "d", "a", "e"]
    path = tmp_path / "dups.xml"
    path.write_bytes(tool.serialize(tool.batch([tool.rc01(f"dup-{n}", [tool.rec(tool.RC_OK)]) for n in names])))
    ctx = RunContext(profile=p, ics=default_ics(p), pixit=pixit(), seed=1, now=NOW)
    findings = evaluate_subject(Subject.from_path(path), ctx, Applicability(frozenset({"DX-10.4"})))
    fails = [f for f in findings if f.verdict.value == "fail"]
    assert [(f.evidence["root"], f.evidence["first_root"]) for f in fails] == [(4, 2), (6, 1)]
    assert all("/dx:root[" in (f.location.xpath or "") for f in fails)
