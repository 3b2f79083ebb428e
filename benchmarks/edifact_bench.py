"""edifact-port speed: EDIFACT interchanges of 10,000 containers validated per second.

    python benchmarks/edifact_bench.py [--quick] [--containers 10000] [--message BAPLIE]

Prints, for the same generated interchange in the same run:
  * the full profile through the engine (`conformance.runner.validate`, every binding,
    run record built) in interchanges/s and containers/s;
  * our analysis alone (tokenise + control counts + segment tables + codes + ISO 6346);
  * pydifact's parse of the same text (segments only, no checks): the reference figure,
    and the ratio.

(``rows()`` gives ``benchmarks/run.py`` this profile's rows: N interchange files of
``ROWS_CONTAINERS`` containers each, cycling through the four messages in both
directories, through ``conformance.runner.validate`` with 1 and all cores, next to
pydifact's parse of the same files; there is no schema validator for EDIFACT.)
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
PROFILE_DIR = ROOT / "profiles" / "edifact-port"
sys.path.insert(0, str(ROOT / "benchmarks"))

import benchkit  # noqa: E402

PROFILE_ID = "edifact-port"
QUICK_N, FULL_N = 150, 20000  # interchange files per case in rows()
ROWS_CONTAINERS = 50  # containers per interchange in rows()


def _tools() -> Any:
    spec = importlib.util.spec_from_file_location("edifact_port_make_interchanges", PROFILE_DIR / "tools" / "make_interchanges.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) if len(times) < 3 else statistics.median(times)


# ---------------------------------------------------------------- rows for benchmarks/run.py

_STATE: dict[str, Any] = {}  # what the profile's parent process loaded; its cases inherit it


def prepare(folder: str) -> list[str]:
    """Write the source interchanges (one per message and directory) and warm the profile."""
    mi = _tools()
    Path(folder).mkdir(parents=True, exist_ok=True)
    files = []
    for seed, (message, directory) in enumerate((m, d) for m in ("BAPLIE", "CODECO", "COARRI", "COPRAR")
                                                for d in ("D95B", "D00B")):
        path = Path(folder) / f"{message.lower()}-{directory.lower()}.edi"
        path.write_bytes(mi.interchange(message=message, directory=directory, containers=ROWS_CONTAINERS,
                                        seed=seed + 1).encode("ascii"))
        files.append(path)
    _STATE["profile"], _STATE["settings"] = benchkit.warm_profile(PROFILE_ID, files)
    return [str(f) for f in files]


def case_harness(data_dir: str, jobs: int) -> dict[str, Any]:
    return benchkit.time_validate(_STATE["profile"], data_dir, jobs, _STATE["settings"])


def case_raw(data_dir: str, validator: str, jobs: int = 1) -> dict[str, Any]:
    """pydifact's parse of each file (read, decode, every segment; no checks)."""
    assert validator == "pydifact", validator
    from pydifact.parser import Parser

    def failures(f: Path) -> int:
        for _ in Parser().parse(f.read_bytes().decode("latin-1")):
            pass
        return 0  # a parse, not a validation: it raises on what it cannot read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return benchkit.time_raw(data_dir, failures, validator, jobs)


def rows(quick: bool, n: int | None, cores: int, server: benchkit.Server | None = None) -> list[dict[str, Any]]:
    """This profile's rows for benchmarks/run.py (each case in its own process)."""
    n = n or (QUICK_N if quick else FULL_N)
    with benchkit.server(server) as srv, tempfile.TemporaryDirectory(prefix="edifact-bench-") as tmp:
        sources = srv.prepare(__file__, "prepare", folder=str(Path(tmp) / "sources"))
        return benchkit.compare(srv, __file__, PROFILE_ID, "interchanges", sources, n, cores, ["pydifact"],
                                Path(tmp) / "data", name=lambda src, i: f"{i:07d}-{src.name}")


# ---------------------------------------------------------------- standalone figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one timing of each (CI smoke run)")
    ap.add_argument("--containers", type=int, default=10_000)
    ap.add_argument("--message", default="BAPLIE", choices=("BAPLIE", "CODECO", "COARRI", "COPRAR"))
    ap.add_argument("--directory", default="D95B", choices=("D95B", "D00B"))
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else 5

    mi = _tools()
    lib = mi.lib
    from conformance.profile import load_profile
    from conformance.runner import validate
    from conformance.subject import Subject

    text = mi.interchange(message=args.message, directory=args.directory, containers=args.containers,
                          per_message=2000, seed=1)
    data = text.encode("ascii")
    profile = load_profile(PROFILE_DIR)
    n_segments = text.count("'\n")

    analysis = lib.analyse(data)
    assert analysis.issues == [], "the generated interchange must be valid"

    def engine() -> None:
        record = validate(profile, subjects=[Subject.from_bytes("bench.edi", data, media_type="text")], seed=1)
        assert record["summary"]["exit_code"] == 0

    t_engine = _best(engine, repeat)
    t_analyse = _best(lambda: lib.analyse(data), repeat)
    t_tokenise = _best(lambda: lib.tokenise(text), repeat)
    try:
        from pydifact.parser import Parser

        def pyd() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for _ in Parser().parse(text):
                    pass

        t_pydifact: float | None = _best(pyd, repeat)
    except ImportError:
        t_pydifact = None

    print(f"edifact-port benchmark: one {args.directory} {args.message} interchange, {args.containers:,} containers, "
          f"{n_segments:,} segments, {len(data) / 1e6:.2f} MB ({'quick' if args.quick else f'median of {repeat}'})")
    rows = [("engine validate (all bindings, run record)", t_engine),
            ("analysis only (tokenise + counts + tables + codes + ISO 6346)", t_analyse),
            ("our tokeniser only", t_tokenise)]
    if t_pydifact is not None:
        rows.append(("pydifact 0.2.3 parse, no checks (reference)", t_pydifact))
    for label, t in rows:
        print(f"  {label:<64} {t * 1000:9.1f} ms  {1 / t:7.2f} interchanges/s  {args.containers / t:12,.0f} containers/s")
    if t_pydifact is not None:
        print(f"  ratio engine validate / pydifact parse: {t_engine / t_pydifact:.2f}x the time "
              f"({t_pydifact / t_engine:.2f} interchanges validated per pydifact parse)")
    else:
        print("  pydifact is not installed: no reference figure (pip install pydifact==0.2.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
