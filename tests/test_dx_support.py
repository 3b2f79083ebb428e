"""Shared helpers of the DX 1.0 profile tests (no tests here; imported by the test_dx_* files)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
PROFILE_DIR = REPO / "profiles" / "dx-1.0"
FIXTURES = REPO / "fixtures" / "dx-1.0"
NOW = dt.datetime.fromisoformat("2026-01-15T12:00:00+08:00")


def load_module(name: str, path: Path) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def crypto() -> Any:
    return load_module("dx_crypto_tests", PROFILE_DIR / "dx_crypto.py")


def fixtures_tool() -> Any:
    return load_module("dx_make_fixtures_tests", PROFILE_DIR / "tools" / "make_fixtures.py")


@cache
def profile() -> Any:
    from conformance.discovery import resolve_profile

    return resolve_profile(PROFILE_DIR)


@cache
def pixit() -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / "pixit.yaml").read_text(encoding="utf-8"))


def ics() -> Any:
    from conformance.ics import load_ics

    return load_ics(FIXTURES / "ics.yaml", profile())


def run(paths: list[Path], **kw: Any) -> dict[str, Any]:
    from conformance.runner import validate

    kw.setdefault("pixit", pixit())
    kw.setdefault("now", NOW)
    return validate(profile(), [str(p) for p in paths], ics=ics(), seed=1, **kw)


def verdicts(record: dict[str, Any], verdict: str) -> set[str]:
    return {r["id"] for r in record["requirements"] if r["verdict"] == verdict}
