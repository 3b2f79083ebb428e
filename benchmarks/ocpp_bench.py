"""ocpp-1.6j benchmarks: frames validated per second, and the Core suite's wall time.

    python benchmarks/ocpp_bench.py [--quick] [-n N]

1. N frames (default 200,000; --quick 20,000), cycled from the bundled valid captures
   (CALLs and CALLRESULTs of many actions), through the profile's frame rules
   (framing + message ids + echo + official schema + dateTime / decimal / identifier
   rules), next to plain python-jsonschema (Draft 4, the official schema of the frame's
   action) on the payloads of the same frames in the same run. Prints both rates and the
   ratio (our overhead over the bare schema validation).
2. Wall time of the Core suite (default ICS: no optional feature profile) against the
   local reference peer, for each role, with the PIXIT the tests use (heartbeat interval
   1 s; the charge-point suite waits for real boot retries and heartbeats).

(``rows()`` gives ``benchmarks/run.py`` this profile's rows: the bundled valid captures
replicated to N files through ``conformance.runner.validate`` with 1 and all cores,
next to jsonschema-rs and python-jsonschema (Draft 4, the official schema of each
frame's action) on the CALL and CALLRESULT payloads of the same files.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import benchkit  # noqa: E402

PROFILE_ID = "ocpp-1.6j"
VALID = ROOT / "fixtures" / "ocpp-1.6j" / "valid"
QUICK_N, FULL_N = 1000, 20000  # capture files per case in rows()
CALL, CALLRESULT = 2, 3


def frames_of(data: Any) -> list[tuple[Any, str | None]]:
    """(frame, action) pairs of one capture (a frame or a list of frames or of
    {frame, action} items); action is the CALL's for a CALLRESULT. CALLERRORs are left out."""
    out: list[tuple[Any, str | None]] = []
    items = [data] if data and isinstance(data[0], int) else data
    actions: dict[str, str] = {}
    for item in items:
        frame = item["frame"] if isinstance(item, dict) else item
        if frame[0] == CALL:
            actions[frame[1]] = frame[2]
            out.append((frame, frame[2]))
        elif frame[0] == CALLRESULT:
            out.append((frame, actions.get(frame[1]) or (item.get("action") if isinstance(item, dict) else None)))
    return out


def frames_corpus() -> list[tuple[Any, str | None]]:
    """(frame, action) pairs from the valid captures."""
    out: list[tuple[Any, str | None]] = []
    for path in sorted(VALID.glob("*.json")):
        out += frames_of(json.loads(path.read_text(encoding="utf-8")))
    return out


# ---------------------------------------------------------------- rows for benchmarks/run.py

_STATE: dict[str, Any] = {}  # what the profile's parent process loaded; its cases inherit it


def prepare() -> list[str]:
    files = sorted(VALID.glob("*.json"))
    _STATE["profile"], _STATE["settings"] = benchkit.warm_profile(PROFILE_ID, files)
    return [str(f) for f in files]


def case_harness(data_dir: str, jobs: int) -> dict[str, Any]:
    return benchkit.time_validate(_STATE["profile"], data_dir, jobs, _STATE["settings"])


def case_raw(data_dir: str, validator: str, jobs: int = 1) -> dict[str, Any]:
    """The official schema of each CALL / CALLRESULT payload of each file: read, parse,
    validate (python-jsonschema with exact decimals, as the harness parses them)."""
    import jsonschema_rs
    from jsonschema import Draft4Validator

    folder = resources.files("ocpp.v16").joinpath("schemas")
    if validator == "jsonschema-rs":
        def load(text: str | bytes) -> Any:
            return json.loads(text)

        make: Any = jsonschema_rs.Draft4Validator
    else:
        def load(text: str | bytes) -> Any:
            return json.loads(text, parse_float=Decimal)

        make = Draft4Validator
    schemas = {e.name[:-5]: make(load(e.read_bytes())) for e in folder.iterdir() if e.name.endswith(".json")}

    def failures(f: Path) -> int:
        bad = 0
        for frame, action in frames_of(load(f.read_bytes())):
            schema = schemas.get(action if frame[0] == CALL else f"{action}Response") if action else None
            if schema is not None:
                bad += not schema.is_valid(frame[3] if frame[0] == CALL else frame[2])
        return bad

    return benchkit.time_raw(data_dir, failures, validator, jobs)


def rows(quick: bool, n: int | None, cores: int, server: benchkit.Server | None = None) -> list[dict[str, Any]]:
    """This profile's rows for benchmarks/run.py (each case in its own process)."""
    n = n or (QUICK_N if quick else FULL_N)
    with benchkit.server(server) as srv, tempfile.TemporaryDirectory(prefix="ocpp-bench-") as tmp:
        sources = srv.prepare(__file__, "prepare")
        return benchkit.compare(srv, __file__, PROFILE_ID, "captures", sources, n, cores,
                                ["jsonschema-rs", "jsonschema"], Path(tmp) / "data")


# ---------------------------------------------------------------- standalone figures


def bench_frames(n: int, repeat: int) -> None:
    from jsonschema import Draft4Validator

    from conformance import resolve_profile

    resolve_profile(PROFILE_ID)  # loads the plugins
    fr = sys.modules["conformance_profile_plugins.ocpp_1_6j_ocpp16_frames"]
    corpus = frames_corpus()
    texts = [json.dumps(f) for f, _ in corpus]
    picks = [i % len(corpus) for i in range(n)]
    plain: dict[str, Draft4Validator] = {}
    folder = resources.files("ocpp.v16").joinpath("schemas")

    def plain_validator(action: str, kind: int) -> Draft4Validator:
        name = action if kind == 2 else action + "Response"
        if name not in plain:
            plain[name] = Draft4Validator(json.loads(folder.joinpath(name + ".json").read_text(encoding="utf-8")))
        return plain[name]

    def ours() -> int:
        issues = 0
        state = fr.StreamState()
        for i in picks:
            frame = fr.loads(texts[i])
            if frame[0] == 2:  # a fresh id per CALL, as on a real connection
                frame[1] = f"{frame[1]}-{len(state.answered)}-{i}"
                state.call_ids.clear()
                issues += len(fr.stream_issues(frame, state, sender="sut"))
            else:
                issues += len(fr.stream_issues(frame, state, sender="sut", action_hint=corpus[i][1]))
        return issues

    def raw() -> int:
        errors = 0
        for i in picks:
            frame = json.loads(texts[i])
            action = corpus[i][1]
            if action is None or (frame[0] == 2 and action not in fr.schemas().raw):
                continue
            payload = frame[3] if frame[0] == 2 else frame[2]
            errors += sum(1 for _ in plain_validator(action, frame[0]).iter_errors(payload))
        return errors

    ours()
    raw()  # warm up: compile every schema once
    t_ours, t_raw = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        raw()
        t_raw.append(time.perf_counter() - t0)
    o, r = statistics.median(t_ours), statistics.median(t_raw)
    print(f"frames: {n} ({len(corpus)} distinct CALL/CALLRESULT frames of "
          f"{len({a for _, a in corpus})} actions), median of {repeat}")
    print(f"  ocpp-1.6j frame rules (framing + ids + schema + extras): {n / o:12,.0f} frames/s")
    print(f"  plain jsonschema Draft4 (payload only, same frames):     {n / r:12,.0f} frames/s")
    print(f"  ratio ours / plain: {o / r:.2f}x the time")


def bench_suite() -> None:
    from conformance import resolve_profile
    from conformance.live.runner import run_live

    profile = resolve_profile(PROFILE_ID)
    pixit = {"timeout_s": 1, "tolerance_s": 0.5, "heartbeat_interval_s": 1, "clock_tolerance_s": 60}
    for role in ("charge-point", "central-system"):
        t0 = time.perf_counter()
        record = run_live(profile, role=role, reference=True, pixit=pixit, seed=1)
        wall = time.perf_counter() - t0
        frames = sum(1 for e in record["exchanges"] if e["method"] == "WS")
        print(f"Core suite, SUT = {role:15} reference peer: {wall:6.2f} s wall, {frames} frames, "
              f"verdicts {dict((k, v) for k, v in record['summary']['verdicts'].items() if v)}, "
              f"exit {record['summary']['exit_code']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("-n", type=int, default=None)
    args = ap.parse_args()
    n = args.n or (20_000 if args.quick else 200_000)
    bench_frames(n, 3 if args.quick else 5)
    bench_suite()


if __name__ == "__main__":
    main()
