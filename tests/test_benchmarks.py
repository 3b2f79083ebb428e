"""benchmarks/run.py: one table of rows for every bundled profile (figures are not asserted,
only that every row is there, well-typed and consistent)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.discovery import discover

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
KEYS = {"profile", "case", "harness_per_s", "raw_per_s", "raw_validator", "ratio", "processes", "peak_mb"}
# The raw figure each bundled profile is compared with.
RAW_VALIDATORS = {
    "dx-1.0": {"lxml"},
    "pds-1.0": {"lxml"},
    "tcec102-2016": {"jsonschema-rs", "jsonschema"},
    "ocpp-1.6j": {"jsonschema-rs", "jsonschema"},
    "edifact-port": {"pydifact"},
}


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=str(ROOT))


@pytest.fixture(scope="module")
def quick_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("bench") / "rows.json"
    proc = bench("--quick", "--files", "24", "--batch-mb", "0.3", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(out.read_text(encoding="utf-8"))


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def test_every_bundled_profile_has_harness_and_raw_rows(quick_rows: Any) -> None:
    proc, rows = quick_rows
    bundled = {r.id for r in discover().values() if r.source == "bundled"}
    assert set(RAW_VALIDATORS) <= bundled
    assert {r["profile"] for r in rows} == bundled
    cores = len(os.sched_getaffinity(0))
    for profile in bundled:
        mine = [r for r in rows if r["profile"] == profile]
        harness = [r for r in mine if r["harness_per_s"] is not None and r["ratio"] is not None]
        raw = [r for r in mine if r["harness_per_s"] is None and r["raw_per_s"] is not None]
        assert harness and raw, profile
        assert {r["raw_validator"] for r in raw} == RAW_VALIDATORS.get(profile, {r["raw_validator"] for r in raw})
        # every harness case is shown with 1 and with all cores
        for case in {r["case"] for r in harness}:
            assert sorted(r["processes"] for r in harness if r["case"] == case) == sorted({1, cores}), (profile, case)
        assert profile in proc.stdout  # the table
    assert any(r["case"].startswith("batch ") and r["profile"] == "dx-1.0" for r in rows)


def test_rows_have_the_keys_and_sane_types(quick_rows: Any) -> None:
    _, rows = quick_rows
    assert rows
    for r in rows:
        assert KEYS <= set(r), r
        assert isinstance(r["profile"], str) and isinstance(r["case"], str) and r["case"], r
        assert isinstance(r["processes"], int) and r["processes"] >= 1, r
        assert _positive(r["peak_mb"]) and r["peak_mb"] < 100_000, r
        for key in ("harness_per_s", "raw_per_s", "ratio"):
            assert r[key] is None or _positive(r[key]), r
        assert r["raw_validator"] is None or isinstance(r["raw_validator"], str), r
        assert (r["raw_validator"] is None) == (r["raw_per_s"] is None), r


def test_ratio_is_harness_per_process_over_the_fastest_raw(quick_rows: Any) -> None:
    _, rows = quick_rows
    compared = [r for r in rows if r["ratio"] is not None]
    assert compared
    for r in compared:
        assert r["ratio"] == round(r["harness_per_s"] / r["raw_per_s"] / r["processes"], 3), r
        # the reference is one of the profile's one-process raw rows, and the fastest of its
        # kind (a raw row on all cores is the machine's scaling, not a per-core yardstick)
        raw = [x for x in rows if x["profile"] == r["profile"] and x["harness_per_s"] is None
               and x["raw_per_s"] is not None and x["processes"] == 1]
        same = [x for x in raw if x["raw_validator"] == r["raw_validator"] and x["raw_per_s"] == r["raw_per_s"]]
        assert same, r
        siblings = [x for x in raw if x["case"] == same[0]["case"]]
        assert r["raw_per_s"] == max(x["raw_per_s"] for x in siblings), r


def test_speedup_is_relative_to_one_process(quick_rows: Any) -> None:
    _, rows = quick_rows
    for r in rows:
        if r["ratio"] is None:
            continue
        one = [x for x in rows if x["profile"] == r["profile"] and x["case"] == r["case"] and x["processes"] == 1]
        assert len(one) == 1, r
        assert r["speedup"] == round(r["harness_per_s"] / one[0]["harness_per_s"], 2), r


def test_unknown_profile_is_a_usage_error() -> None:
    proc = bench("--quick", "--profile", "no-such-profile")
    assert proc.returncode == 2
    assert "no-such-profile" in proc.stderr and "Traceback" not in proc.stderr
