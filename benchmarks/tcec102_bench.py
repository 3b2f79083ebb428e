"""tcec102-2016 benchmarks: static validation throughput and the live suite's wall time.

    python benchmarks/tcec102_bench.py [--quick] [-n N]

1. N decrypted StationInfo payloads (default 100,000; --quick 5,000) through the harness
   (``conformance.runner.validate`` with ICS MESSAGE_TYPE=StationInfo), next to the raw
   validators on the same payloads in the same run: python-jsonschema (the schema the
   harness uses, compiled once) and jsonschema-rs when it is installed.
2. N signed and encrypted request envelopes (notification_stationStatus) through the
   harness with the PIXIT secrets (envelope schema, Sig, AES, payload schema), next to
   the raw pipeline on the same envelopes (json.loads + envelope schema + HMAC-MD5 +
   AES-128-CBC + payload schema, nothing else) and raw jsonschema on the envelope alone.
3. The live suite against the local reference peers, both roles (wall time).

Prints figures; asserts nothing about speed.

(``rows()`` gives ``benchmarks/run.py`` this profile's rows: the bundled valid business
payloads, and separately the valid envelopes, replicated to N files through
``conformance.runner.validate`` with 1 and all cores, next to jsonschema-rs and
python-jsonschema on the same files with the schemas the harness applies: the
payload's type schema; for an envelope its envelope schema and the schema of its
Data, decrypted beforehand since decryption is not a validator's job, while the
harness also decrypts and checks the signature.)
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import benchkit  # noqa: E402

PROFILE_ID = "tcec102-2016"
VALID = ROOT / "fixtures" / "tcec102-2016" / "valid"
QUICK_N, FULL_N = 1000, 20000  # files per case in rows()
QUICK_SCHEMA_N = 5000  # the schema-only case is some thirty times cheaper per file
SCHEMAS = ROOT / "schemas" / "tcec102-2016"
PIXIT = {"operator_secret": "TESTONLYsecret01", "data_secret": "TESTONLYdatakey1", "data_iv": "TESTONLYdataiv01",
         "sig_secret": "TESTONLYsigkey01"}
# Loaded by _load() (the standalone run) or prepare() (rows): the profile and its plugin modules.
PROFILE: Any = None
core: Any = None
samples: Any = None


def _load(profile: Any = None) -> None:
    global PROFILE, core, samples
    if profile is None:
        from conformance.profile import load_profile

        profile = load_profile(ROOT / "profiles" / PROFILE_ID)  # loads the plugins
    PROFILE = profile
    core = sys.modules["conformance_profile_plugins.tcec102_2016_tcec_core"]
    samples = sys.modules["conformance_profile_plugins.tcec102_2016_tcec_samples"]


# ---------------------------------------------------------------- rows for benchmarks/run.py

_STATE: dict[str, Any] = {}  # what the profile's parent process loaded; its cases inherit it


def _raw_steps(path: Path, pixit: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The schemas the harness applies to one valid file, in order, with the text each
    one gets (None: the file itself; else the decrypted Data of the envelope)."""
    value = json.loads(path.read_bytes())
    kind = core.envelope_kind(value)
    if kind is None:
        return [(str(core.schema_file(core.type_from_name(path.name) or core.type_from_content(value))), None)]
    steps: list[tuple[str, str | None]] = [(str(SCHEMAS / f"envelope.{kind}.schema.json"), None)]
    if value.get("Data"):  # a rejection carries none
        plain = core.decrypt_data(value["Data"], pixit["data_secret"], pixit["data_iv"])
        msg_type = core.type_from_name(path.name, kind) or core.type_from_content(json.loads(plain))
        steps.append((str(core.schema_file(msg_type)), plain))
    return steps


#: the JSON-Schema-only case: payloads of one type against that type's schema
SCHEMA_ONLY_TYPE = "StationInfo"


def _x_requirements(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["x-requirement"]] if isinstance(node.get("x-requirement"), str) else []
        return own + [r for v in node.values() for r in _x_requirements(v)]
    return [r for v in node for r in _x_requirements(v)] if isinstance(node, list) else []


def schema_only(profile: Any) -> Any:
    """A JSON-Schema-only profile from this one: well-formedness and the generic
    ``jsonschema`` check with one payload type's schema (its ``x-requirement``s say
    where each error goes), so that the engine's schema lane, not the T/CEC checks,
    handles the payloads."""
    from conformance.profile import Binding

    schema = f"{SCHEMA_ONLY_TYPE}.schema.json"
    reqs = tuple(dict.fromkeys(_x_requirements(json.loads((SCHEMAS / schema).read_text(encoding="utf-8")))))
    bindings = (Binding("wellformed", "json-wellformed", ("CEC-4.3-JSON",)),
                Binding("schema", "jsonschema", reqs, {"schema": schema}))
    wanted = {"CEC-4.3-JSON", *reqs}
    return dataclasses.replace(profile, bindings=bindings,
                               requirements=tuple(r for r in profile.requirements if r.id in wanted))


def prepare() -> dict[str, list[str]]:
    from conformance.runner import validate

    files = sorted(VALID.glob("*.json"))
    profile, settings = benchkit.warm_profile(PROFILE_ID, files)
    _load(profile)
    only = schema_only(profile)
    typed = [f for f in files if f.stem == SCHEMA_ONLY_TYPE]
    if validate(only, typed, **settings)["summary"]["exit_code"] != 0:
        raise benchkit.CaseError(f"{PROFILE_ID}: {SCHEMA_ONLY_TYPE} fixtures do not pass the schema-only profile")
    _STATE.update(profile=profile, settings=settings, variants={"full": profile, "schema-only": only},
                  steps={f.stem: _raw_steps(f, settings["pixit"]) for f in files})
    return {"payloads": [str(f) for f in files if ".envelope" not in f.name],
            "envelopes": [str(f) for f in files if ".envelope" in f.name],
            "schema-only": [str(f) for f in typed]}


def case_harness(data_dir: str, jobs: int, variant: str = "full") -> dict[str, Any]:
    return benchkit.time_validate(_STATE["variants"][variant], data_dir, jobs, _STATE["settings"])


def case_raw(data_dir: str, validator: str, jobs: int = 1) -> dict[str, Any]:
    """The schemas the harness applies to each file (see _raw_steps): read, parse, validate."""
    steps = _STATE["steps"]
    check = {schema: benchkit.json_is_valid(Path(schema), None, validator)
             for plan in steps.values() for schema, _ in plan}

    def failures(f: Path) -> int:
        return sum(not check[schema](json.loads(f.read_bytes() if text is None else text))
                   for schema, text in steps[f.name.rsplit(".", 2)[0]])  # <source stem>.<n>.json

    return benchkit.time_raw(data_dir, failures, validator, jobs)


def rows(quick: bool, n: int | None, cores: int, server: benchkit.Server | None = None) -> list[dict[str, Any]]:
    """This profile's rows for benchmarks/run.py (each case in its own process)."""
    n_schema = n or (QUICK_SCHEMA_N if quick else FULL_N)
    n = n or (QUICK_N if quick else FULL_N)
    out: list[dict[str, Any]] = []
    with benchkit.server(server) as srv, tempfile.TemporaryDirectory(prefix="tcec102-bench-") as tmp:
        sources = srv.prepare(__file__, "prepare")
        for kind in ("schema-only", "payloads", "envelopes"):
            count = n_schema if kind == "schema-only" else n
            out += benchkit.compare(srv, __file__, PROFILE_ID, kind, sources[kind], count, cores,
                                    ["jsonschema-rs", "jsonschema"], Path(tmp) / kind, raw_case=f"raw {kind}",
                                    name=lambda src, i: f"{src.stem}.{i:07d}.json",
                                    harness_kwargs={"variant": "schema-only" if kind == "schema-only" else "full"})
    return out


# ---------------------------------------------------------------- standalone figures


def inline_schema(name: str) -> dict[str, Any]:
    """One self-contained schema (refs to defs.schema.json made local), for jsonschema-rs."""
    defs = json.loads((SCHEMAS / "defs.schema.json").read_text(encoding="utf-8"))["$defs"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs, "$ref": f"#/$defs/{name}"}


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f} /s  ({seconds:6.2f} s)"


def ics(msg_type: str) -> Any:
    from conformance.ics import ics_from_dict

    return ics_from_dict({"profile": PROFILE.id, "product": {"name": "bench", "version": "1"}, "role": "provider",
                          "options": {"MESSAGE_TYPE": msg_type}}, PROFILE)


def bench_payloads(n: int) -> None:
    from conformance.runner import validate
    from conformance.subject import Subject

    base = samples.station_info(1)
    blobs = []
    for i in range(n):
        st = copy.deepcopy(base)
        st["StationID"] = f"ST{i:08d}"
        st["ParkNums"] = i % 50
        blobs.append(json.dumps(st, ensure_ascii=False).encode("utf-8"))
    subjects = [Subject.from_bytes(f"StationInfo-{i}.json", b, media_type="json", index=i) for i, b in enumerate(blobs)]
    print(f"\n[1] {n:,} decrypted StationInfo payloads")
    t = time.perf_counter()
    record = validate(PROFILE, subjects=subjects, ics=ics("StationInfo"), pixit=PIXIT, seed=0)
    harness = time.perf_counter() - t
    assert record["summary"]["exit_code"] == 0, record["summary"]
    print(f"  harness (conformance validate, 1 process)   {rate(n, harness)}")
    v = core.validator("StationInfo")
    t = time.perf_counter()
    bad = sum(1 for b in blobs if not v.is_valid(json.loads(b)))
    raw = time.perf_counter() - t
    assert bad == 0
    print(f"  raw python-jsonschema (json.loads+is_valid) {rate(n, raw)}   harness/raw = {harness / raw:.1f}x")
    try:
        import jsonschema_rs
        from importlib.metadata import version
    except ImportError:
        print("  jsonschema-rs: not installed (pip install jsonschema-rs)")
        return
    rs = jsonschema_rs.Draft202012Validator(inline_schema("StationInfo"))
    t = time.perf_counter()
    bad = sum(1 for b in blobs if not rs.is_valid(json.loads(b)))
    rs_time = time.perf_counter() - t
    assert bad == 0
    print(f"  raw jsonschema-rs {version('jsonschema-rs'):<8} (json.loads+is_valid) {rate(n, rs_time)}"
          f"   harness/rs = {harness / rs_time:.1f}x")


def bench_envelopes(n: int) -> None:
    from conformance.runner import validate
    from conformance.subject import Subject

    sec = core.Secrets.from_pixit(PIXIT)
    blobs = []
    for i in range(n):
        payload = {"ConnectorStatusInfo": samples.connector_status(f"EQ{i:08d}", i % 5)}
        env = core.build_request(samples.PROVIDER_ID, payload, sec, seq=i, ts="20240501100000")
        blobs.append(json.dumps(env).encode("utf-8"))
    subjects = [Subject.from_bytes(f"notification_stationStatus-{i}.json", b, media_type="json", index=i)
                for i, b in enumerate(blobs)]
    print(f"\n[2] {n:,} signed, encrypted request envelopes (notification_stationStatus)")
    t = time.perf_counter()
    record = validate(PROFILE, subjects=subjects, ics=ics("auto"), pixit=PIXIT, seed=0)
    harness = time.perf_counter() - t
    assert record["summary"]["exit_code"] == 0, record["summary"]
    print(f"  harness (envelope+Sig+AES+payload)          {rate(n, harness)}")
    ev, pv = core.validator("envelope.request"), core.validator("notification_stationStatus.req")
    t = time.perf_counter()
    for b in blobs:
        env = json.loads(b)
        ok = ev.is_valid(env) and core.signature_problem(env, "request", sec.sig_secret) is None
        ok = ok and pv.is_valid(json.loads(core.decrypt_data(env["Data"], sec.data_secret, sec.data_iv)))
        assert ok
    raw = time.perf_counter() - t
    print(f"  raw pipeline (same steps, no harness)       {rate(n, raw)}   harness/raw = {harness / raw:.1f}x")
    t = time.perf_counter()
    assert all(ev.is_valid(json.loads(b)) for b in blobs)
    schema_only = time.perf_counter() - t
    print(f"  raw python-jsonschema, envelope schema only {rate(n, schema_only)}")
    try:
        import jsonschema_rs
    except ImportError:
        return
    schema = json.loads((SCHEMAS / "envelope.request.schema.json").read_text(encoding="utf-8"))
    rs = jsonschema_rs.Draft202012Validator(schema)
    t = time.perf_counter()
    assert all(rs.is_valid(json.loads(b)) for b in blobs)
    print(f"  raw jsonschema-rs, envelope schema only     {rate(n, time.perf_counter() - t)}")


def bench_live() -> None:
    from conformance.live.runner import run_live

    print("\n[3] live suite against the local reference peers (timeout_s 2)")
    for role in ("provider", "demander"):
        t = time.perf_counter()
        record = run_live(PROFILE, role=role, reference=True, pixit={"timeout_s": 2}, seed=0)
        wall = time.perf_counter() - t
        assert record["summary"]["exit_code"] == 0
        print(f"  --role {role:<9} {wall:6.2f} s wall, {len(record['exchanges'])} exchanges")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 of each instead of 100,000")
    ap.add_argument("-n", type=int, help="number of payloads and of envelopes")
    args = ap.parse_args()
    n = args.n or (5_000 if args.quick else 100_000)
    import platform

    _load()
    print(f"tcec102-2016 benchmark: Python {platform.python_version()}, n = {n:,}")
    bench_payloads(n)
    bench_envelopes(n)
    bench_live()
    return 0


if __name__ == "__main__":
    sys.exit(main())
