"""Shared helpers of the PDS 1.0 tests (no tests here; imported by the test_pds_* files)."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PROFILE_DIR = REPO / "profiles" / "pds-1.0"
FIXTURES = REPO / "fixtures" / "pds-1.0"


def load_module(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def model() -> Any:
    # the same module name the profile's plugins use, so classes are shared
    return load_module("conformance_profile_plugins.pds_1_0_pds_model", PROFILE_DIR / "pds_model.py")


def samples() -> Any:
    return load_module("conformance_profile_plugins.pds_1_0_pds_samples", PROFILE_DIR / "pds_samples.py")


def tool() -> Any:
    return load_module("pds_make_messages_tests", PROFILE_DIR / "tools" / "make_messages.py")


@cache
def profile() -> Any:
    from conformance.discovery import resolve_profile

    return resolve_profile(PROFILE_DIR)


@cache
def pixit() -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8"))


def run(paths: list[Path], **kw: Any) -> dict[str, Any]:
    from conformance.runner import validate

    kw.setdefault("pixit", pixit())
    kw.setdefault("pixit_dir", str(FIXTURES))
    return validate(profile(), paths, seed=0, jobs=1, **kw)


def verdicts(record: dict[str, Any], verdict: str) -> set[str]:
    return {r["id"] for r in record["requirements"] if r["verdict"] == verdict}


# A generous HTTP deadline: on a loaded 2-core CI machine pure-Python SM2 is slow, and a
# timeout would turn into `error` verdicts that are not the defect under test.
LIVE_PIXIT = {"retry_wait_s": 0.05, "timeout_s": 10}


def live(role: str, defects: tuple[str, ...] = (), **kw: Any) -> dict[str, Any]:
    from conformance.live.runner import run_live

    return run_live(profile(), role=role, reference=True, defects=defects, pixit=dict(LIVE_PIXIT), **kw)


def role_defects(role: str) -> list[str]:
    return sorted(d for d, spec in profile().raw["defects"].items() if spec["role"] == role)


def check_defect(role: str, defect: str) -> None:
    """The suite against the reference peer with one defect fails exactly what it breaks."""
    from conformance.record import validate_record

    record = live(role, (defect,))
    assert validate_record(record) == []
    assert verdicts(record, "fail") == set(profile().defects[defect]), defect
    assert verdicts(record, "error") == set() and verdicts(record, "inconclusive") == set()
    assert record["summary"]["exit_code"] in (0, 1)
