"""Benchmark every bundled profile: harness payloads/s next to the raw validator.

    python benchmarks/run.py [--quick] [--json FILE] [--profile ID ...] [--files N] [--batch-mb MB] [--domain]

One table for all bundled profiles; in the same run and on the same inputs:

* ``raw``: the raw validator on the payloads: lxml XSD for XML; jsonschema-rs and
  python-jsonschema for JSON (the fastest is the reference); pydifact's parse for
  EDIFACT (there is no schema validator for EDIFACT): read, parse, validate;
* harness cases (``conformance.runner.validate`` over N payload files), each with 1 and
  with all cores (``speedup``: scaling from 1 to N processes); the fastest raw
  validator also runs on all cores (the files dealt out to forked processes, no
  coordination): its ``speedup`` is what the machine gives, to judge the harness's by;
* each case is timed again while its repetitions fit in a few seconds, and the best
  timing counts (a shared machine only ever slows a run down);
* ``ratio`` = harness payloads/s per process / fastest raw payloads/s.

Profiles with a plain ``xsd`` / ``jsonschema`` binding (dx-1.0, pds-1.0) get the generic
cases below; the others get theirs from ``rows()`` in their ``benchmarks/*_bench.py``
(tcec102-2016, ocpp-1.6j, edifact-port), which use the same machinery and row keys.
Generic cases, on the valid fixtures replicated to N files:

* ``schema-only``: the harness with only the profile's well-formedness and XSD / JSON
  Schema bindings (the engine's schema lane), on ``--quick``'s 5,000 files;
* ``full``: the harness with every binding of the profile;
* ``batch N MB``: one large batch file streamed by the full profile, one process: items/s
  and peak memory (profiles with a batch split; ``BATCH_ROOTS`` builds the items where
  the fixtures cannot simply be repeated).

Every case runs in a fresh process (see ``benchkit``), so ``peak_mb`` is that case's
peak RSS (the largest of its processes). Schemas are compiled before the timing on
both sides. ``--json`` also writes the rows (profile, case, harness_per_s, raw_per_s,
raw_validator, ratio, processes, peak_mb, and speedup, payloads).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import benchkit  # noqa: E402

# Scripts whose rows() cover one profile each (module-level PROFILE_ID).
DOMAIN_SCRIPTS = ("edifact_bench", "ocpp_bench", "tcec102_bench")
QUICK_FILES, FULL_FILES = 500, 20000
# Schema-only cases are some fifty times cheaper per file than full profiles: with as
# few files, the run's fixed costs (and starting the processes) would be what is timed.
QUICK_SCHEMA_FILES = 5000
QUICK_ROUNDS = 2  # rounds of every comparison (benchkit.ROUNDS) with --quick
QUICK_BATCH_MB, FULL_BATCH_MB = 2.0, 1000.0


# ------------------------------------------------------------------ cases (forked processes)

_STATE: dict[str, Any] = {}  # what a profile's parent loaded; its cases inherit it


def bundled() -> dict[str, Any]:
    """The bundled profiles' ids and the number of cores the harness would use."""
    from conformance.discovery import discover
    from conformance.engine import default_jobs

    return {"ids": sorted(r.id for r in discover().values() if r.source == "bundled"), "cores": default_jobs()}


def _schema_binding(profile: Any) -> Any:
    for b in profile.bindings:
        if b.check in ("xsd", "jsonschema"):
            return b
    return None


#: what a schema-only profile binds: well-formedness and the schema
SCHEMA_CHECKS = ("xml-wellformed", "json-wellformed", "xsd", "jsonschema")


def _schema_only(profile: Any) -> Any:
    keep = tuple(b for b in profile.bindings if b.check in SCHEMA_CHECKS)
    wanted = {r for b in keep for r in b.requirements}  # only the requirements those bindings test
    return dataclasses.replace(profile, bindings=keep,
                               requirements=tuple(r for r in profile.requirements if r.id in wanted))


def _plain_utf8_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes().decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def prepare(profile_id: str) -> dict[str, Any] | None:
    """In the profile's parent: load it, pick its valid fixtures of the schema's type and
    compile what the cases use (a warm-up run of each harness case). None when the
    profile has no plain schema binding or no such fixtures."""
    from conformance.discovery import resolve_profile

    profile = resolve_profile(profile_id)
    binding = _schema_binding(profile)
    valid = profile.fixtures_dir / "valid" if profile.fixtures_dir else None
    if binding is None or valid is None or not valid.is_dir():
        return None
    suffix = ".xml" if binding.check == "xsd" else ".json"
    files = [f for f in sorted(valid.iterdir()) if f.suffix == suffix and "batch" not in f.name]
    if binding.check == "jsonschema":
        files = [f for f in files if _plain_utf8_json(f)]
    if not files:
        return None
    variants = {"full": profile, "schema-only": _schema_only(profile)}
    _, settings = benchkit.warm_profile(profile, files, (variants["schema-only"],))
    _STATE.update(profile=profile, binding=binding, settings=settings, variants=variants)
    return {"check": binding.check, "files": [str(f) for f in files], "split": profile.split is not None}


def case_raw(data_dir: str, validator: str, jobs: int = 1) -> dict[str, Any]:
    profile, binding = _STATE["profile"], _STATE["binding"]
    schema_path = profile.resolve(binding.params["schema"])
    if validator == "lxml":
        from lxml import etree

        from conformance.subject import safe_xml_parser

        schema = etree.XMLSchema(etree.parse(str(schema_path), safe_xml_parser()))
        parser = safe_xml_parser()
        return benchkit.time_raw(data_dir, lambda f: not schema.validate(etree.fromstring(f.read_bytes(), parser)),
                                 validator, jobs)
    check = benchkit.json_is_valid(schema_path, binding.params.get("draft"), validator, jobs)
    return benchkit.time_raw(data_dir, lambda f: not check(json.loads(f.read_bytes())), validator, jobs)


def case_harness(data_dir: str, variant: str, jobs: int) -> dict[str, Any]:
    return benchkit.time_validate(_STATE["variants"][variant], data_dir, jobs, _STATE["settings"])


def _fixture_roots(profile: Any) -> Iterator[str]:
    """Batch items by default: the profile's valid single-root UTF-8 fixtures, in turn."""
    from lxml import etree

    roots = []
    for f in sorted((profile.fixtures_dir / "valid").glob("*.xml")):
        try:
            tree = etree.parse(str(f))
        except etree.XMLSyntaxError:
            continue
        if tree.getroot().tag == profile.split.item and f.read_bytes()[:60].lower().find(b"utf-8") >= 0:
            roots.append(etree.tostring(tree.getroot(), encoding="unicode"))
    return itertools.cycle(roots) if roots else iter(())


def _dx_roots(profile: Any) -> Iterator[str]:
    """DX 1.0 batch rule 10.4 wants a distinct MessageID per root, and a signed root
    cannot take a new one: unsigned RC01 roots from the profile's fixture generator
    (as tests/test_dx_batch.py builds them), each with its own MessageID."""
    from lxml import etree

    tool = benchkit.load_script(profile.directory / "tools" / "make_fixtures.py", "bench_dx_make_fixtures")
    template = etree.tostring(tool.rc01("bench", [tool.rec(tool.RC_OK)]), encoding="unicode")
    ids = (tool.mid("bench"), tool.mid("bench:ref"))
    assert all(template.count(i) == 1 for i in ids)
    for n in itertools.count():
        yield template.replace(ids[0], tool.mid(f"bench-{n}")).replace(ids[1], tool.mid(f"bench-{n}:ref"))


BATCH_ROOTS = {"dx-1.0": _dx_roots}  # profiles whose fixtures cannot simply be repeated in a batch


def make_batch(folder: str, size_mb: float) -> dict[str, Any] | None:
    """A batch file of roughly ``size_mb`` (profiles with a batch split): its path and
    number of items."""
    profile = _STATE["profile"]
    if profile.split is None:
        return None
    items = BATCH_ROOTS.get(profile.id, _fixture_roots)(profile)
    ns, _, local = profile.split.container[1:].partition("}")
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / "batch.xml"
    limit = int(size_mb * 1e6)
    count = written = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f'<{local} xmlns="{ns}" count="0000000000">\n')
        for item in items:
            if written >= limit:
                break
            count += 1
            fh.write(item + "\n")
            written += len(item) + 1
        fh.write(f"</{local}>\n")
    if not count:
        return None
    data = path.read_bytes().replace(b'count="0000000000"', f'count="{count}"'.ljust(18).encode(), 1)
    path.write_bytes(data)
    return {"path": str(path), "items": count}


def case_batch(path: str, items: int) -> dict[str, Any]:
    """The full profile over one batch file, one process; per_s counts its items."""
    out = case_harness(str(Path(path).parent), "full", 1)
    return {**out, "per_s": out["per_s"] * items, "size_mb": Path(path).stat().st_size / 1e6}


# ------------------------------------------------------------------ driver


def schema_rows(srv: benchkit.Server, profile_id: str, n: int, n_schema: int, batch_mb: float, cores: int, tmp: Path,
                notes: list[str]) -> list[dict[str, Any]] | None:
    """The generic cases of one profile; None when it has no plain schema binding.
    Schema-only and raw cases run on ``n_schema`` files, the full profile on ``n`` of
    the same mix."""
    info = srv.prepare(__file__, "prepare", profile_id=profile_id)
    if info is None:
        srv.unprepare()
        return None
    sources = [Path(f) for f in info["files"]]
    validators = ["lxml"] if info["check"] == "xsd" else ["jsonschema-rs", "jsonschema"]
    rows: list[dict[str, Any]] = []
    raw: dict[str, dict[str, Any]] = {}
    for variant, count in (("schema-only", n_schema), ("full", n)):
        data = tmp / f"{profile_id}-{variant}"
        benchkit.replicate(sources, count, data)
        if variant == "schema-only":  # raw and schema-only on the same files, in turn
            raw, by_jobs = benchkit.measure(srv, __file__, validators, cores, raw_kwargs={"data_dir": str(data)},
                                            harness_kwargs={"data_dir": str(data), "variant": variant})
        else:
            _, by_jobs = benchkit.measure(srv, __file__, [], cores,
                                          harness_kwargs={"data_dir": str(data), "variant": variant})
        rows += benchkit.harness_rows(profile_id, variant, by_jobs, raw, count)
        shutil.rmtree(data, ignore_errors=True)
    rows += benchkit.raw_rows(profile_id, "raw", raw, n_schema)
    if info["split"]:
        batch = srv.run(__file__, "make_batch", folder=str(tmp / f"{profile_id}-batch"), size_mb=batch_mb)
        if batch is not None:
            res = srv.run(__file__, "case_batch", path=batch["path"], items=batch["items"])
            Path(batch["path"]).unlink()
            if res["exit_code"] != 0:  # its memory would be that of the findings, not of streaming
                notes.append(f"{profile_id}: the generated batch file is not conformant (exit code "
                             f"{res['exit_code']}): no batch row")
            else:
                rows.append({"profile": profile_id, "case": f"batch {res['size_mb']:.0f} MB",
                             "harness_per_s": round(res["per_s"], 2), "raw_per_s": None, "raw_validator": None,
                             "ratio": None, "processes": 1, "peak_mb": round(res["peak_mb"], 1),
                             "payloads": batch["items"]})
    srv.unprepare()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs (about a minute on 2 cores)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    ap.add_argument("--profile", action="append", help="only these profile ids")
    ap.add_argument("--files", type=int,
                    help=f"payloads per case for every profile (default {QUICK_FILES} quick, {QUICK_SCHEMA_FILES} "
                         f"for schema-only cases; {FULL_FILES} full for dx-1.0 and pds-1.0; each *_bench.py has its "
                         "own)")
    ap.add_argument("--batch-mb", type=float,
                    help=f"batch file size for the memory case (default {QUICK_BATCH_MB:.0f} quick, "
                         f"{FULL_BATCH_MB:.0f} full)")
    ap.add_argument("--domain", action="store_true", help="also run each benchmarks/*_bench.py --quick")
    args = ap.parse_args(argv)
    if args.files is not None and args.files < 1:
        ap.error("--files 至少为 1 / must be at least 1")
    n_files = args.files or (QUICK_FILES if args.quick else FULL_FILES)
    n_schema = args.files or (QUICK_SCHEMA_FILES if args.quick else FULL_FILES)
    if args.quick:
        benchkit.ROUNDS = QUICK_ROUNDS
    batch_mb = args.batch_mb or (QUICK_BATCH_MB if args.quick else FULL_BATCH_MB)
    domain = {mod.PROFILE_ID: mod for mod in (importlib.import_module(name) for name in DOMAIN_SCRIPTS)}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="conformance-bench-"))
    try:
        with benchkit.Server() as srv:
            found = srv.run(__file__, "bundled")
            cores = found["cores"]
            unknown = sorted(set(args.profile or ()) - set(found["ids"]))
            if unknown:
                ap.error(f"不是内置配置 / not a bundled profile: {', '.join(unknown)} "
                         f"(内置 / bundled: {', '.join(found['ids'])})")
            for profile_id in found["ids"]:
                if args.profile and profile_id not in args.profile:
                    continue
                if profile_id in domain:
                    got = domain[profile_id].rows(args.quick, args.files, cores, server=srv)
                else:
                    got = schema_rows(srv, profile_id, n_files, n_schema, batch_mb, cores, tmp, notes)
                if not got:
                    notes.append(f"{profile_id}: no rows (no plain XSD / JSON Schema binding with valid fixtures, "
                                 "and no benchmarks/*_bench.py rows() for it)")
                rows += got or []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    benchkit.print_table(rows, cores, notes)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.domain:
        for script in sorted(BENCH.glob("*_bench.py")):
            print(f"\n== {script.name} --quick", flush=True)
            subprocess.run([sys.executable, str(script), "--quick"], check=False)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
