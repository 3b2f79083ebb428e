"""Property tests of the edifact-port tokeniser and analysis (hypothesis): thousands of
random inputs never raise, and generated interchanges round-trip."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles" / "edifact-port"


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

# Text that looks like EDIFACT: service characters, tags, digits, layout, and some non-ASCII.
EDI_ALPHABET = st.sampled_from(list("UNABHTZ+:'?* .,\r\n\x1c\x1d\x1fEQDCNLOC0123456789é船\x00"))
edi_like = st.lists(st.one_of(EDI_ALPHABET, st.sampled_from(["UNA:+.? '", "UNB+UNOA:2+A+B+260101:1200+1'",
                                                             "UNH+1+BAPLIE:D:95B:UN'", "UNT+2+1'", "UNZ+1+1'",
                                                             "UNG+X'", "UNE+1'", "EQD+CN+CSQU3054383'"])),
                    max_size=80).map("".join)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=2500)
@given(edi_like)
def test_tokenise_and_analyse_never_raise_on_edifact_like_text(text: str) -> None:
    tokens = lib.tokenise(text.encode("utf-8").decode("latin-1"))
    assert [s.number for s in tokens.segments] == list(range(1, len(tokens.segments) + 1))
    for seg in tokens.segments:
        assert 0 <= seg.offset <= len(text.encode("utf-8"))
    a = lib.analyse(text.encode("utf-8"))
    for issue in a.issues:
        assert issue.requirement in lib.analysis.ALL_REQUIREMENTS
        assert issue.zh and issue.en
    lib.contrl_report(a)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=1500)
@given(st.binary(max_size=300))
def test_analyse_never_raises_on_random_bytes(data: bytes) -> None:
    a = lib.analyse(data)
    assert a.issues or a.undecided or data.startswith((b"UNA", b"UNB"))
    lib.render_contrl(lib.contrl_report(a))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.binary(max_size=60), st.binary(max_size=60))
def test_analyse_never_raises_on_damaged_interchanges(prefix: bytes, suffix: bytes) -> None:
    base = mi.interchange(message="BAPLIE", directory="D95B", containers=2).encode()
    cut = len(prefix) * 7 % len(base)
    lib.analyse(base[:cut] + suffix + base[cut:])
    lib.analyse(b"UNA:+.? '" + prefix + b"'" + suffix)


options = st.builds(
    mi.Options,
    message=st.sampled_from(["BAPLIE", "CODECO", "COARRI", "COPRAR"]),
    directory=st.sampled_from(["D95B", "D00B"]),
    containers=st.integers(0, 12),
    per_message=st.integers(1, 5),
    seed=st.integers(0, 10_000),
    una=st.booleans(),
    line_breaks=st.booleans(),
    groups=st.booleans(),
    free_text=st.booleans(),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(options)
def test_generated_interchanges_are_valid_and_round_trip(opts: Any) -> None:
    text = mi.interchange(opts)
    a = lib.analyse(text.encode("ascii"))
    if opts.containers == 0:
        # an empty equipment list still gives one message per interchange
        assert [i.requirement for i in a.issues if i.requirement not in ("EDI-STR-2",)] == []
        return
    assert a.issues == [], [(i.requirement, i.segment, i.en) for i in a.issues][:5]
    tokens = lib.tokenise(text)
    chars = tokens.chars
    rebuilt = []
    for seg in tokens.segments:
        if seg.tag == "UNA":
            continue
        parts = [seg.tag] + [":".join(lib.syntax.release(c, chars) for c in e) for e in seg.elements]
        rebuilt.append("+".join(parts) + chars.terminator)
    sep = "\n" if opts.line_breaks else ""
    head = (chars.una() + sep) if opts.una else ""
    assert head + sep.join(rebuilt) + sep == text


UNOA_DATA = st.text(alphabet=list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>"), max_size=30)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=1000)
@given(st.lists(st.lists(UNOA_DATA, min_size=1, max_size=4), min_size=1, max_size=6))
def test_released_values_come_back_exactly(elements: list[list[str]]) -> None:
    chars = lib.DEFAULT_CHARS
    body = "FTX+" + "+".join(":".join(lib.syntax.release(c, chars) for c in e) for e in elements)
    tokens = lib.tokenise(body + "'")
    (seg,) = tokens.segments
    assert tokens.problems == []
    assert seg.elements == elements
