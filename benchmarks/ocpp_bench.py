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
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jsonschema import Draft4Validator  # noqa: E402

from conformance import resolve_profile  # noqa: E402
from conformance.live.runner import run_live  # noqa: E402


def frames_corpus() -> list[tuple[Any, str | None]]:
    """(frame, action) pairs from the valid captures; action is the CALL's for a CALLRESULT."""
    out: list[tuple[Any, str | None]] = []
    for path in sorted((ROOT / "fixtures" / "ocpp-1.6j" / "valid").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        items = [data] if data and isinstance(data[0], int) else data
        actions: dict[str, str] = {}
        for item in items:
            frame = item["frame"] if isinstance(item, dict) else item
            if frame[0] == 2:
                actions[frame[1]] = frame[2]
                out.append((frame, frame[2]))
            elif frame[0] == 3:
                out.append((frame, actions.get(frame[1]) or (item.get("action") if isinstance(item, dict) else None)))
    return out


def bench_frames(n: int, repeat: int) -> None:
    resolve_profile("ocpp-1.6j")  # loads the plugins
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
    profile = resolve_profile("ocpp-1.6j")
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
