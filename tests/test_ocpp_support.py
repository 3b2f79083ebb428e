"""Helpers shared by the tests of the ocpp-1.6j profile (this module holds no tests)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from conformance import resolve_profile, validate_record
from conformance.ics import default_ics
from conformance.live.runner import run_live
from conformance.profile import Profile

HERE = Path(__file__).parent
ROOT = HERE.parent
PROFILE_DIR = ROOT / "profiles" / "ocpp-1.6j"
FIXTURES = ROOT / "fixtures" / "ocpp-1.6j"
OPTIONS = ("FP_FIRMWARE", "FP_LOCAL_AUTH_LIST", "FP_RESERVATION", "FP_SMART_CHARGING", "FP_REMOTE_TRIGGER")
#: short protocol waits: heartbeat interval 2 s, answers within 2 s, time tolerance 1 s
#: (with 1 s / 1 s / 0.5 s, a stall of the loaded 2-core CI machine failed a timing
#: window now and then)
FAST = {"timeout_s": 2, "tolerance_s": 1, "heartbeat_interval_s": 2, "clock_tolerance_s": 60,
        "id_tags": ["CONFORMANCE01"]}

_PROFILE: list[Profile] = []


def profile() -> Profile:
    if not _PROFILE:
        _PROFILE.append(resolve_profile(PROFILE_DIR))
    return _PROFILE[0]


def plugin(name: str) -> Any:
    """A module of the profile folder, as the profile loaded it."""
    profile()
    return sys.modules[f"conformance_profile_plugins.ocpp_1_6j_{name}"]


def all_features(role: str) -> Any:
    ics = default_ics(profile())
    ics.role = role
    ics.options.update({k: True for k in OPTIONS})
    return ics


def run(role: str, *, reference: bool = True, defects: tuple[str, ...] = (), pixit: dict[str, Any] | None = None,
        features: bool = True) -> dict[str, Any]:
    record = run_live(profile(), role=role, reference=reference, defects=defects,
                      ics=all_features(role) if features else None, pixit={**FAST, **(pixit or {})}, seed=5)
    assert validate_record(record) == []
    return record


def verdicts(record: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def not_passed(record: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in verdicts(record).items() if v not in ("pass", "not_applicable")}


def defects_of(role: str) -> list[str]:
    raw = profile().raw["defects"]
    return [name for name in raw if raw[name]["role"] == role]


def assert_defect_caught(name: str) -> None:
    role = profile().raw["defects"][name]["role"]
    record = run(role, defects=(name,))
    got = not_passed(record)
    assert got == {r: "fail" for r in profile().defects[name]}, (name, got)
    # every failing finding points at the evidence: an exchange of the run
    for r in record["requirements"]:
        for f in r["findings"]:
            if f["verdict"] == "fail" and "exchange" in f["location"]:
                assert 0 <= f["location"]["exchange"] < len(record["exchanges"])
