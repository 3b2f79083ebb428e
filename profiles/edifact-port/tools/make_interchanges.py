"""Deterministic generator of valid UN/EDIFACT port interchanges (BAPLIE, CODECO,
COARRI, COPRAR; directories D95B and D00B).

    python profiles/edifact-port/tools/make_interchanges.py BAPLIE --directory D95B \
        --containers 10000 --seed 1 -o baplie.edi

The same arguments always give the same bytes. Container numbers carry correct ISO 6346
check digits; control counts and references are computed from the segments written.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent.parent


def load_lib() -> Any:
    name = "edifact_port_lib"
    if name in sys.modules:
        return sys.modules[name]
    init = PROFILE_DIR / "edifactlib" / "__init__.py"
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


lib = load_lib()

OWNERS = ("ABC", "TGH", "CSQ", "MSK", "OOL", "ZJP", "NBC", "SHA")
SIZE_TYPES = ("22G1", "42G1", "45G1", "45R1", "22R1", "L5G1", "22T1", "42U1")
PORTS = ("CNSHA", "CNNGB", "NLRTM", "DEHAM", "SGSIN", "USLAX", "CNTAO", "BEANR")
ASSOCIATION = {"BAPLIE": "SMDG20", "CODECO": "ITG14", "COARRI": "ITG12", "COPRAR": "ITG12"}
BGM_CODE = {"BAPLIE": "", "CODECO": "34", "COARRI": "46", "COPRAR": "45"}


@dataclass
class Options:
    message: str = "BAPLIE"
    directory: str = "D95B"
    containers: int = 20
    per_message: int = 1000
    seed: int = 0
    una: bool = True
    line_breaks: bool = True
    groups: bool = False
    syntax: str = "UNOA"
    version: str = "2"
    reference: str = "1"
    free_text: bool = True  # a free text with released service characters


class _Writer:
    def __init__(self, opts: Options):
        self.o = opts
        self.chars = lib.DEFAULT_CHARS
        self.out: list[str] = []

    def seg(self, *elements: Any) -> None:
        parts = []
        for e in elements:
            if isinstance(e, tuple):
                parts.append(":".join(lib.syntax.release(str(c), self.chars) for c in e).rstrip(":"))
            else:
                parts.append(lib.syntax.release(str(e), self.chars))
        while parts and parts[-1] == "":
            parts.pop()
        self.out.append("+".join(parts))


def _container(rng: random.Random, n: int) -> str:
    owner = OWNERS[n % len(OWNERS)]
    return lib.with_check_digit(f"{owner}U{(n * 7919 + rng.randrange(1000)) % 1_000_000:06d}")


def _message(w: _Writer, rng: random.Random, ref: str, first: int, count: int) -> int:
    o = w.o
    start = len(w.out)
    typ, d = o.message, o.directory
    voyage = f"{rng.randrange(100, 999)}E"
    dtm_long = f"2026{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(24):02d}{rng.randrange(60):02d}"
    w.seg("UNH", ref, (typ, "D", d[1:], "UN", ASSOCIATION[typ]))
    if typ == "BAPLIE":
        w.seg("BGM", "", f"BAY{ref}", "9")
        w.seg("DTM", ("137", dtm_long[2:], "201"))
        if d == "D95B":
            w.seg("RFF", ("VON", voyage))
        else:
            w.seg("RFF", ("VON", voyage))
            w.seg("DTM", ("171", dtm_long[:8], "102"))
        w.seg("NAD", "CA", ("ZJP", "172", "20"))
        w.seg("TDT", "20", voyage, "1", "", ("ZJP", "172", "20"), "", "", ("9HA1234", "103", "", "ZHE JIANG STAR"))
        w.seg("LOC", "5", ("CNSHA", "139", "6"))
        w.seg("LOC", "61", ("NLRTM", "139", "6"))
        w.seg("DTM", ("178", dtm_long[2:], "201"))
        w.seg("DTM", ("136", dtm_long[2:], "201"))
        if o.free_text:
            w.seg("FTX", "AAI", "", "", "MASTER?S NOTE: O'BRIEN + CO")
        cells = set()
        for n in range(first, first + count):
            while True:
                cell = f"{rng.randrange(1, 100):03d}{rng.randrange(0, 20):02d}{rng.choice((2, 4, 6, 8, 82, 84, 86, 88)):02d}"
                if cell not in cells:
                    cells.add(cell)
                    break
            w.seg("LOC", "147", (cell, "", "5"))
            w.seg("MEA", "WT", "", ("KGM", str(rng.randrange(2000, 32000))))
            w.seg("LOC", "9", PORTS[n % 2])
            w.seg("LOC", "11", PORTS[2 + n % 6])
            w.seg("RFF", ("BM", "1"))
            w.seg("EQD", "CN", _container(rng, n), SIZE_TYPES[n % len(SIZE_TYPES)], "", "", rng.choice(("4", "5")))
            w.seg("NAD", "CA", ("ZJP", "172", "20"))
    else:
        w.seg("BGM", BGM_CODE[typ], f"{typ[:3]}{ref}", "9")
        if d == "D00B":
            w.seg("DTM", ("137", dtm_long, "203"))
        if o.free_text:
            w.seg("FTX", "AAI", "", "", "NOTE?: RELEASED +'")
        if d == "D00B":
            w.seg("RFF", ("XXX" if False else "AAY", f"REF{ref}"))
        tdt = ("TDT", "20", voyage, "1", "", ("ZJP", "172", "20"), "", "", ("9HA1234", "103", "", "ZHE JIANG STAR"))
        w.seg(*tdt)
        if d == "D95B":
            w.seg("LOC", "11", ("CNNGB", "139", "6"))
        else:
            w.seg("LOC", "11", ("CNNGB", "139", "6"))
            w.seg("DTM", ("132", dtm_long, "203"))
        w.seg("NAD", "MS", "TERMINAL")
        w.seg("NAD", "MR", "LINE")
        for n in range(first, first + count):
            w.seg("EQD", "CN", (_container(rng, n), "6346", "5"), (SIZE_TYPES[n % len(SIZE_TYPES)], "6346", "5"),
                  "", "2", rng.choice(("4", "5")))
            w.seg("RFF", ("BN", f"BKG{n:07d}"))
            w.seg("DTM", ("7", dtm_long, "203"))
            w.seg("LOC", "9", (PORTS[n % 2], "139", "6"))
            w.seg("MEA", "AAE", "G", ("KGM", str(rng.randrange(2000, 32000))))
            w.seg("SEL", f"SL{n:06d}", "CA")
            if typ == "CODECO":
                w.seg("TDT", "1", "", "3")
        w.seg("CNT", ("16", str(count)))
    w.seg("UNT", str(len(w.out) - start + 1), ref)
    return 1


def interchange(opts: Options | None = None, **kw: Any) -> str:
    """The interchange text (ASCII) for ``opts`` (or keyword options)."""
    o = opts or Options(**kw)
    rng = random.Random(f"{o.seed}:{o.message}:{o.directory}:{o.containers}")
    w = _Writer(o)
    date = "20260115" if o.version == "4" else "260115"
    w.seg("UNB", (o.syntax, o.version), ("ZJPORT", "ZZZ"), ("LINEAGENT", "ZZZ"), (date, "1200"), o.reference)
    messages = 0
    first = 0
    n_messages = max(1, -(-o.containers // max(1, o.per_message)))
    if o.groups:
        w.seg("UNG", o.message, ("ZJPORT", "ZZZ"), ("LINEAGENT", "ZZZ"), (date, "1200"), "G1", "UN", ("D", o.directory[1:]))
    for i in range(n_messages):
        count = min(o.per_message, o.containers - first) if o.containers else 0
        messages += _message(w, rng, f"M{o.reference}{i + 1:04d}", first, count)
        first += count
    if o.groups:
        w.seg("UNE", str(messages), "G1")
    w.seg("UNZ", "1" if o.groups else str(messages), o.reference)
    sep = "\n" if o.line_breaks else ""
    head = (w.chars.una() + sep) if o.una else ""
    return head + sep.join(s + w.chars.terminator for s in w.out) + sep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("message", choices=("BAPLIE", "CODECO", "COARRI", "COPRAR"))
    ap.add_argument("--directory", default="D95B", choices=("D95B", "D00B"))
    ap.add_argument("--containers", type=int, default=20)
    ap.add_argument("--per-message", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-una", action="store_true")
    ap.add_argument("--one-line", action="store_true", help="no line break after segment terminators")
    ap.add_argument("--groups", action="store_true", help="wrap the messages in UNG/UNE")
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args(argv)
    text = interchange(Options(args.message, args.directory, args.containers, args.per_message, args.seed,
                               not args.no_una, not args.one_line, args.groups))
    if args.output:
        args.output.write_text(text, encoding="ascii", newline="")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
