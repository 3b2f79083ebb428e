"""Regenerate fixtures/edifact-port/** deterministically (valid and invalid interchanges
and invalid/EXPECTED.yaml).

    python profiles/edifact-port/tools/make_fixtures.py

Each invalid fixture is a valid generated interchange with one defect; the UNT segment
counts are recomputed after the edit unless the defect is about them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_interchanges as mi  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "fixtures" / "edifact-port"


def segs(**kw: object) -> list[str]:
    """A generated interchange as segment strings (no UNA, no terminators)."""
    text = mi.interchange(mi.Options(**{"containers": 3, "per_message": 3, **kw}))  # type: ignore[arg-type]
    assert text.startswith("UNA")
    return [s for s in text[10:].split("'\n") if s]


def join(items: list[str], una: bool = True, fix_counts: bool = True) -> bytes:
    items = list(items)
    if fix_counts:
        start = None
        for i, s in enumerate(items):
            if s.startswith("UNH+"):
                start = i
            elif s.startswith("UNT+") and start is not None:
                ref = s.split("+")[2]
                items[i] = f"UNT+{i - start + 1}+{ref}"
                start = None
    text = ("UNA:+.? '\n" if una else "") + "".join(s + "'\n" for s in items)
    return text.encode("latin-1")


def join_utf8(items: list[str]) -> bytes:
    """Like join, for text with characters beyond latin-1 (written as UTF-8)."""
    return join(items).decode("latin-1").encode("latin-1") if all(ord(c) < 256 for s in items for c in s) else \
        join([s.encode("utf-8").decode("latin-1") for s in items])


def replace(items: list[str], prefix: str, new: str, nth: int = 0) -> list[str]:
    out = list(items)
    hits = [i for i, s in enumerate(out) if s.startswith(prefix)]
    out[hits[nth]] = new
    return out


def index(items: list[str], prefix: str, nth: int = 0) -> int:
    return [i for i, s in enumerate(items) if s.startswith(prefix)][nth]


def valid() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    out["baplie-d95b.edi"] = mi.interchange(message="BAPLIE", directory="D95B", containers=12, seed=1).encode()
    out["baplie-d00b-one-line-no-una.edi"] = mi.interchange(
        message="BAPLIE", directory="D00B", containers=8, seed=2, una=False, line_breaks=False).encode()
    out["codeco-d95b-groups.edi"] = mi.interchange(message="CODECO", directory="D95B", containers=6, per_message=3,
                                                   seed=3, groups=True).encode()
    out["coarri-d00b-unoc.txt"] = mi.interchange(message="COARRI", directory="D00B", containers=5, seed=4,
                                                 syntax="UNOC", version="3").encode()
    out["coprar-d95b.edi"] = mi.interchange(message="COPRAR", directory="D95B", containers=5, seed=5).encode()
    out["codeco-d00b-crlf.edi"] = mi.interchange(message="CODECO", directory="D00B", containers=4, seed=6).replace(
        "\n", "\r\n").encode()
    # own service characters: component |, data ^, release !, terminator ~
    text = mi.interchange(message="COARRI", directory="D95B", containers=3, seed=7, free_text=False)
    text = text.replace("UNA:+.? '", "UNA|^.! ~").replace(":", "|").replace("+", "^").replace("'", "~")
    out["coarri-d95b-own-separators.edi"] = text.encode()
    # Latin-1 text under UNOC, UTF-8 text under UNOW (syntax version 4)
    items = segs(message="CODECO", directory="D95B", syntax="UNOC", version="3")
    out["codeco-d95b-unoc-latin1.edi"] = join(replace(items, "FTX", "FTX+AAI+++Dépôt à Saint-Étienne"))
    items = segs(message="BAPLIE", directory="D00B", syntax="UNOW", version="4")
    out["baplie-d00b-unow-utf8.edi"] = join_utf8(replace(items, "FTX", "FTX+AAI+++宁波舟山港 船图"))
    return out


Mutation = Callable[[], tuple[bytes, list[str]]]


def invalid() -> dict[str, tuple[bytes, list[str]]]:
    b = segs(message="BAPLIE", directory="D95B")
    c = segs(message="CODECO", directory="D95B")
    two = segs(message="COARRI", directory="D95B", containers=4, per_message=2)
    g = segs(message="CODECO", directory="D95B", containers=4, per_message=2, groups=True)
    cases: dict[str, tuple[bytes, list[str]]] = {}

    def add(name: str, data: bytes, fails: list[str]) -> None:
        cases[name] = (data, fails)

    add("empty.edi", b"", ["EDI-SYN-1"])
    add("binary.edi", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["EDI-SYN-1"])
    full = join(b)
    add("truncated.edi", full[: full.index(b"EQD+CN+") + 12], ["EDI-SYN-1", "EDI-SYN-2"])
    add("unterminated-last-segment.edi", full.rstrip(b"'\n"), ["EDI-SYN-2"])
    add("content-after-unz.edi", full + b"UNH+X+BAPLIE:D:95B:UN'\n", ["EDI-SYN-1"])
    add("no-message.edi", join([b[0], b[-1].replace("UNZ+1", "UNZ+0")]), ["EDI-SYN-1"])
    add("unz-count.edi", join(replace(b, "UNZ", "UNZ+2+1")), ["EDI-UNZ-2"])
    add("unz-reference.edi", join(replace(b, "UNZ", "UNZ+1+2")), ["EDI-UNZ-1"])
    unt = index(b, "UNT")
    add("unt-count-excludes-unh-unt.edi", join(replace(b, "UNT", f"UNT+{unt - 2}+M10001"), fix_counts=False), ["EDI-UNT-1"])
    add("unt-reference.edi", join(replace(b, "UNT", "UNT+0+M19999")), ["EDI-UNH-1"])
    add("unh-duplicate-reference.edi", join(replace(replace(two, "UNH", two[index(two, "UNH")], 1), "UNT", "UNT+0+M10001", 1)),
        ["EDI-UNH-2"])
    add("unh-no-agency.edi", join(replace(b, "UNH", "UNH+M10001+BAPLIE:D:95B")), ["EDI-UNH-3"])
    add("missing-unt.edi", join(two[: index(two, "UNT")] + two[index(two, "UNT") + 1:]), ["EDI-SEQ-1"])
    add("segment-outside-message.edi", join(b[:-1] + ["FTX+AAI+++STRAY"] + b[-1:]), ["EDI-SEQ-1"])
    add("una-bad-advice.edi", join(b).replace(b"UNA:+.? '", b"UNA:+.?:'", 1), ["EDI-UNA-1"])
    add("una-twice.edi", join(b[:1] + ["UNA:+.? "] + b[1:]), ["EDI-UNA-2"])
    add("release-before-letter.edi", join(replace(b, "FTX", "FTX+AAI+++NOTE ?A")), ["EDI-REL-1"])
    add("line-break-inside-segment.edi", join(replace(b, "FTX", "FTX+AAI+++MASTER\nNOTE")), ["EDI-LAY-1"])
    add("segment-tag-two-letters.edi", join(replace(b, "FTX", "FT+AAI+++NOTE")), ["EDI-SYN-2", "EDI-STR-1"])
    add("unoa-lowercase.edi", join(replace(b, "FTX", "FTX+AAI+++Master note")), ["EDI-CHR-1"])
    add("unoa-utf8-text.edi", join_utf8(replace(b, "FTX", "FTX+AAI+++船图")), ["EDI-CHR-1"])
    w = segs(message="BAPLIE", directory="D00B", syntax="UNOW", version="4")
    add("unow-invalid-utf8.edi", join(replace(w, "FTX", "FTX+AAI+++\xe8\x88")), ["EDI-CHR-1"])
    add("unb-invalid-date.edi", join(replace(b, "UNB", b[0].replace("260115:1200", "261332:1200"))), ["EDI-UNB-1"])
    add("unb-unknown-syntax.edi", join(replace(b, "UNB", b[0].replace("UNOA:2", "UNOZ:2"))), ["EDI-UNB-2"])
    add("une-count.edi", join(replace(g, "UNE", "UNE+3+G1")), ["EDI-UNG-1"])
    add("message-type-iftmin.edi", join(replace(b, "UNH", "UNH+M10001+IFTMIN:D:95B:UN")), ["EDI-MSG-1"])
    add("directory-d96a.edi", join(replace(b, "UNH", "UNH+M10001+BAPLIE:D:96A:UN:SMDG20")), ["EDI-MSG-2"])
    rff, nad = index(b, "RFF+VON"), index(b, "NAD")
    moved = b[:rff] + [b[nad], b[rff]] + b[nad + 1:]
    add("segment-out-of-order.edi", join(moved), ["EDI-STR-1"])
    add("mandatory-dtm-missing.edi", join(b[: index(b, "DTM")] + b[index(b, "DTM") + 1:]), ["EDI-STR-2"])
    d = index(b, "DTM")
    add("dtm-repeated.edi", join(b[: d + 1] + [b[d]] + b[d + 1:]), ["EDI-STR-3"])
    add("tdt-qualifier-21.edi", join(replace(b, "TDT", "TDT+21" + b[index(b, "TDT")][6:])), ["EDI-COD-1"])
    eqd = b[index(b, "EQD")]
    add("eqd-full-empty-7.edi", join(replace(b, "EQD", eqd[: eqd.rfind("+")] + "+7")), ["EDI-COD-1"])
    add("dtm-february-30.edi", join(replace(b, "DTM", "DTM+137:2602301200:201")), ["EDI-DTM-1"])
    add("stowage-loc-not-147.edi", join(replace(b, "LOC+147", b[index(b, "LOC+147")].replace("LOC+147", "LOC+148"))),
        ["EDI-BAP-1"])
    add("stowage-cell-format.edi", join(replace(b, "LOC+147", "LOC+147+12AB::5")), ["EDI-BAP-2"])
    add("stowage-cell-twice.edi", join(replace(b, "LOC+147", b[index(b, "LOC+147")], 1)), ["EDI-BAP-3"])
    add("cnt-16-mismatch.edi", join(replace(c, "CNT", "CNT+16:5")), ["EDI-CNT-1"])
    add("container-number-form.edi", join(replace(b, "EQD", eqd.replace(eqd.split("+")[2], "ABC1234567"))), ["EDI-CTR-1"])
    num = eqd.split("+")[2]
    wrong = num[:10] + str((int(num[10]) + 1) % 10)
    add("container-check-digit.edi", join(replace(b, "EQD", eqd.replace(num, wrong))), ["EDI-CTR-2"])
    add("container-size-type.edi", join(replace(b, "EQD", eqd.replace(eqd.split("+")[3], "99ZZ"))), ["EDI-CTR-3"])
    add("container-twice.edi", join(replace(b, "EQD", b[index(b, "EQD")], 1)), ["EDI-CTR-4"])
    return cases


def main() -> int:
    for kind in ("valid", "invalid"):
        folder = OUT / kind
        folder.mkdir(parents=True, exist_ok=True)
        for p in folder.iterdir():
            if p.suffix in (".edi", ".txt"):
                p.unlink()
    for name, data in valid().items():
        (OUT / "valid" / name).write_bytes(data)
    expected: dict[str, list[str]] = {}
    for name, (data, fails) in sorted(invalid().items()):
        (OUT / "invalid" / name).write_bytes(data)
        expected[name] = fails
    header = ("# Generated by profiles/edifact-port/tools/make_fixtures.py: each invalid fixture -> the\n"
              "# requirement ids whose verdict must be `fail` (exactly these; others may be inconclusive).\n")
    (OUT / "invalid" / "EXPECTED.yaml").write_text(header + yaml.safe_dump(expected, sort_keys=True, allow_unicode=True),
                                                   encoding="utf-8")
    (OUT / "demo.yaml").write_text("# Settings `conformance demo` uses for this profile's fixtures (default ICS:\n"
                                   "# every message type, directories D95B and D00B).\nics: ics.yaml\n", encoding="utf-8")
    (OUT / "ics.yaml").write_text(
        "profile: edifact-port\nproduct: {name: 港口 EDI 网关, version: 1.0.0, vendor: 示例}\nrole: sender\n"
        "options: {DIRECTORIES: \"D95B D00B\", BAPLIE: true, CODECO: true, COARRI: true, COPRAR: true}\n",
        encoding="utf-8")
    print(f"wrote {len(valid())} valid and {len(expected)} invalid fixtures to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
