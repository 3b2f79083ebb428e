"""Benchmark every bundled profile: harness payloads/s next to the raw validator.

    python benchmarks/run.py [--quick] [--json FILE] [--profile ID ...] [--domain]

For each profile with valid fixtures, the fixtures are replicated to N files and
validated, in the same run:

* ``raw``: the profile's own schema through the raw library (lxml XSD for XML;
  jsonschema-rs, the fastest, and python-jsonschema for JSON): read, parse, validate;
* ``schema-only``: the harness with only the profile's XSD / JSON Schema bindings
  (the comparison the targets are about: harness >= 0.8 x raw per core);
* ``full``: the harness with every binding of the profile;
* each harness case with 1 and with all cores (scaling; target >= 1.8x on 2);
* ``batch``: peak memory validating one large batch file (profiles with a batch split).

Every case runs in a fresh process, so ``peak_mb`` is that process's peak RSS.
One table is printed; ``--json`` also writes the rows (profile, case, harness_per_s,
raw_per_s, raw_validator, ratio, processes, peak_mb).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ cases (child process)


def _schema_binding(profile: Any) -> Any:
    for b in profile.bindings:
        if b.check in ("xsd", "jsonschema"):
            return b
    return None


def case_raw(profile_id: str, data_dir: str, validator: str) -> dict[str, Any]:
    from conformance.discovery import resolve_profile

    profile = resolve_profile(profile_id)
    binding = _schema_binding(profile)
    schema_path = profile.resolve(binding.params["schema"])
    files = sorted(Path(data_dir).iterdir())
    if validator == "lxml":
        from lxml import etree

        from conformance.subject import safe_xml_parser

        schema = etree.XMLSchema(etree.parse(str(schema_path), safe_xml_parser()))
        parser = safe_xml_parser()
        started = time.perf_counter()
        for f in files:
            schema.validate(etree.fromstring(f.read_bytes(), parser))
    else:
        from conformance.checks.json_checks import compile_fast_validator, compile_json_schema

        draft = binding.params.get("draft")
        if validator == "jsonschema-rs":
            check = compile_fast_validator(schema_path, draft).is_valid
        else:
            ref = compile_json_schema(schema_path, draft)

            def check(instance: Any) -> bool:
                return not any(True for _ in ref.iter_errors(instance))

        started = time.perf_counter()
        for f in files:
            check(json.loads(f.read_bytes()))
    elapsed = time.perf_counter() - started
    return {"per_s": len(files) / elapsed, "peak_mb": _peak_mb()}


def case_harness(profile_id: str, data_dir: str, schema_only: bool, jobs: int, pixit: str | None,
                 now: str | None) -> dict[str, Any]:
    import yaml

    from conformance.discovery import resolve_profile
    from conformance.runner import validate

    profile = resolve_profile(profile_id)
    if schema_only:
        keep = tuple(b for b in profile.bindings if b.check in ("xsd", "jsonschema"))
        profile = dataclasses.replace(profile, bindings=keep)
        # only the requirements those bindings test are in scope
        wanted = {r for b in keep for r in b.requirements}
        profile = dataclasses.replace(profile, requirements=tuple(r for r in profile.requirements if r.id in wanted))
    settings: dict[str, Any] = {}
    if pixit:
        settings["pixit"] = yaml.safe_load(Path(pixit).read_text(encoding="utf-8"))
        settings["pixit_dir"] = str(Path(pixit).parent)
    if now:
        from datetime import datetime

        settings["now"] = datetime.fromisoformat(now)
    files = list(Path(data_dir).iterdir())
    started = time.perf_counter()
    record = validate(profile, [data_dir], jobs=jobs, **settings)
    elapsed = time.perf_counter() - started
    return {"per_s": len(files) / elapsed, "peak_mb": _peak_mb(), "exit_code": record["summary"]["exit_code"]}


def case_batch(profile_id: str, path: str, pixit: str | None, now: str | None) -> dict[str, Any]:
    out = case_harness(profile_id, str(Path(path).parent), False, 1, pixit, now)
    out["size_mb"] = Path(path).stat().st_size / 1e6
    return out


def _child(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    fn = {"raw": case_raw, "harness": case_harness, "batch": case_batch}[spec.pop("case")]
    print(json.dumps(fn(**spec)))


def _run_child(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark case {spec} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ driver


def _replicate(files: list[Path], count: int, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        src = files[i % len(files)]
        shutil.copyfile(src, target / f"{i:07d}{src.suffix}")


def _settings(profile: Any) -> tuple[str | None, str | None]:
    import yaml

    fx = profile.fixtures_dir
    demo = (yaml.safe_load((fx / "demo.yaml").read_text(encoding="utf-8")) or {}) if fx and (fx / "demo.yaml").is_file() else {}
    pixit = fx / demo.get("pixit", "pixit.yaml") if fx else None
    now = demo.get("now")
    return (str(pixit) if pixit and pixit.is_file() else None, str(now) if now else None)


def _make_batch(profile: Any, target: Path, size_mb: float) -> Path | None:
    """A batch file of roughly ``size_mb`` built from the profile's valid single-root fixtures."""
    if profile.split is None or profile.fixtures_dir is None:
        return None
    from lxml import etree

    roots = []
    for f in sorted((profile.fixtures_dir / "valid").glob("*.xml")):
        try:
            tree = etree.parse(str(f))
        except etree.XMLSyntaxError:
            continue
        if tree.getroot().tag == profile.split.item and f.read_bytes()[:60].lower().find(b"utf-8") >= 0:
            roots.append(etree.tostring(tree.getroot(), encoding="unicode"))
    if not roots:
        return None
    ns, _, local = profile.split.container[1:].partition("}")
    target.mkdir(parents=True, exist_ok=True)
    path = target / "batch.xml"
    limit = int(size_mb * 1e6)
    count = written = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        body_start = fh.tell()
        fh.write(f'<{local} xmlns="{ns}" count="0000000000">\n')
        while written < limit:
            # Distinct MessageIDs per root (batch rule 10.4 and the like).
            item = roots[count % len(roots)]
            count += 1
            fh.write(item + "\n")
            written += len(item) + 1
        fh.write(f"</{local}>\n")
    data = path.read_bytes().replace(b'count="0000000000"', f'count="{count}"'.ljust(18).encode(), 1)
    path.write_bytes(data)
    del body_start
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        _child(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs (about a minute on 2 cores)")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON")
    ap.add_argument("--profile", action="append", help="only these profile ids")
    ap.add_argument("--files", type=int, help="payloads per case (default 1000 quick, 20000 full)")
    ap.add_argument("--batch-mb", type=float, help="batch file size for the memory case (default 20 quick, 1000 full)")
    ap.add_argument("--domain", action="store_true", help="also run each benchmarks/*_bench.py --quick")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from conformance.discovery import discover
    from conformance.engine import default_jobs
    from conformance.profile import load_profile

    n_files = args.files or (1000 if args.quick else 20000)
    batch_mb = args.batch_mb or (20 if args.quick else 1000)
    cores = default_jobs()
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="conformance-bench-"))
    try:
        for ref in sorted(discover().values(), key=lambda r: r.id):
            if ref.source != "bundled" or (args.profile and ref.id not in args.profile):
                continue
            profile = load_profile(ref.directory, source=ref.source)
            binding = _schema_binding(profile)
            valid = profile.fixtures_dir / "valid" if profile.fixtures_dir else None
            if binding is None or valid is None or not valid.is_dir():
                continue
            suffix = ".xml" if binding.check == "xsd" else ".json"
            files = [f for f in sorted(valid.iterdir()) if f.suffix == suffix and "batch" not in f.name]
            if binding.check == "jsonschema":
                files = [f for f in files if _plain_utf8_json(f)]
            if not files:
                continue
            data = tmp / profile.id
            _replicate(files, n_files, data)
            pixit, now = _settings(profile)
            raws = ["lxml"] if binding.check == "xsd" else ["jsonschema-rs", "jsonschema"]
            raw = {v: _run_child({"case": "raw", "profile_id": profile.id, "data_dir": str(data), "validator": v})
                   for v in raws}
            fastest = max(raw, key=lambda v: raw[v]["per_s"])
            for case, schema_only in (("schema-only", True), ("full", False)):
                base = None
                for jobs in sorted({1, cores}):
                    res = _run_child({"case": "harness", "profile_id": profile.id, "data_dir": str(data),
                                      "schema_only": schema_only, "jobs": jobs, "pixit": pixit, "now": now})
                    base = base or res["per_s"]
                    rows.append({
                        "profile": profile.id, "case": case, "harness_per_s": round(res["per_s"], 1),
                        "raw_per_s": round(raw[fastest]["per_s"], 1), "raw_validator": fastest,
                        "ratio": round(res["per_s"] / raw[fastest]["per_s"] / jobs, 3), "processes": jobs,
                        "peak_mb": round(res["peak_mb"], 1), "speedup": round(res["per_s"] / base, 2),
                    })
            for v, r in raw.items():
                rows.append({"profile": profile.id, "case": f"raw {v}", "harness_per_s": None,
                             "raw_per_s": round(r["per_s"], 1), "raw_validator": v, "ratio": None, "processes": 1,
                             "peak_mb": round(r["peak_mb"], 1)})
            batch = _make_batch(profile, tmp / f"{profile.id}-batch", batch_mb)
            if batch is not None:
                res = _run_child({"case": "batch", "profile_id": profile.id, "path": str(batch), "pixit": pixit,
                                  "now": now})
                rows.append({"profile": profile.id, "case": f"batch {res['size_mb']:.0f} MB", "harness_per_s": None,
                             "raw_per_s": None, "raw_validator": None, "ratio": None, "processes": 1,
                             "peak_mb": round(res["peak_mb"], 1)})
                batch.unlink()
            shutil.rmtree(data, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print(rows, n_files, cores)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.domain:
        for script in sorted((ROOT / "benchmarks").glob("*_bench.py")):
            print(f"\n== {script.name} --quick")
            subprocess.run([sys.executable, str(script), "--quick"], check=False)
    return 0


def _plain_utf8_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes().decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def _print(rows: list[dict[str, Any]], n_files: int, cores: int) -> None:
    print(f"payloads per case: {n_files}; cores: {cores}; ratio = harness/s per process / fastest raw/s")
    head = f"{'profile':<16}{'case':<18}{'proc':>5}{'harness/s':>12}{'raw/s':>12}{'raw':>15}{'ratio':>8}{'speedup':>9}{'peak MB':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        def fmt(v: Any, spec: str) -> str:
            return format(v, spec) if v is not None else "-"
        print(f"{r['profile']:<16}{r['case']:<18}{r['processes']:>5}{fmt(r['harness_per_s'], '.0f'):>12}"
              f"{fmt(r['raw_per_s'], '.0f'):>12}{(r['raw_validator'] or '-'):>15}{fmt(r['ratio'], '.2f'):>8}"
              f"{fmt(r.get('speedup'), '.2f'):>9}{fmt(r['peak_mb'], '.0f'):>9}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
