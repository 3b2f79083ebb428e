"""Shared helpers for the engine's own tests.

Every record a test produces goes through :func:`assert_record_valid` (directly or via
the ``run`` fixture), so a change that breaks the run-record schema fails everywhere.
Paths are relative to this file, never to the working directory.
"""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.ics import Ics, ics_from_dict
from conformance.profile import Profile, load_profile
from conformance.record import validate_record
from conformance.runner import validate

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
PROFILES = DATA / "profiles"
FIXTURES = DATA / "fixtures"
TEST_PROFILES = ("test-xml", "test-json")


def assert_record_valid(record: dict[str, Any]) -> dict[str, Any]:
    """Fail the test when ``record`` does not validate against schemas/run-record.schema.json."""
    problems = validate_record(record)
    assert problems == [], "run record is not schema-valid:\n  " + "\n  ".join(problems)
    return record


def verdicts(record: dict[str, Any]) -> dict[str, str]:
    """Requirement id -> verdict."""
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def with_verdict(record: dict[str, Any], verdict: str) -> set[str]:
    return {r["id"] for r in record["requirements"] if r["verdict"] == verdict}


def requirement(record: dict[str, Any], req_id: str) -> dict[str, Any]:
    for r in record["requirements"]:
        if r["id"] == req_id:
            return r
    raise KeyError(req_id)


def all_findings(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for r in record["requirements"] for f in r["findings"]]


def make_ics(profile: Profile, role: str | None = None, options: dict[str, Any] | None = None) -> Ics:
    raw: dict[str, Any] = {"profile": profile.id, "product": {"name": "test product", "version": "1.0"}}
    if role is not None:
        raw["role"] = role
    if options:
        raw["options"] = dict(options)
    return ics_from_dict(raw, profile)


def load_expectations(folder: Path) -> dict[str, dict[str, Any]]:
    """Read a fixture folder's EXPECTED.yaml, normalised to {file: {fails, ics, encoding}}.

    A value is either a list of requirement ids (the short form) or a mapping with
    ``fails``, ``ics`` ({role, options}) and ``encoding``.
    """
    path = folder / "EXPECTED.yaml"
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        if isinstance(value, list):
            value = {"fails": value}
        out[name] = {"fails": list(value.get("fails", [])), "ics": value.get("ics"), "encoding": value.get("encoding")}
    return out


MINIMAL_PROFILE = """\
format: 1
id: {id}
version: 1.0.0
title: {{zh: 最小配置, en: minimal profile}}
standards:
  - {{code: "MIN 1", title: minimal}}
roles:
  - {{id: sender, title: sender}}
requirements:
  - {{id: M-1, clause: "1", level: MUST, text: well-formed}}
checks:
  - {{id: wf, check: xml-wellformed, requirements: [M-1]}}
"""


def plugin_check_profile(folder: Path, check: str, plugin: str, files: dict[str, str]) -> Path:
    """A profile folder whose one MUST requirement (X-1) is checked by ``check``, which
    the Python source ``plugin`` registers; and a folder ``data`` beside it with
    ``files`` (name: content) to validate."""
    folder.mkdir()
    (folder / "plugin.py").write_text(textwrap.dedent(plugin), encoding="utf-8")
    (folder / "profile.yaml").write_text(
        f"format: 1\nid: {folder.name}\nversion: '1'\ntitle: {folder.name}\nstandards: [{{code: X, title: x}}]\n"
        "roles: [{id: r, title: r}]\nplugins: [plugin.py]\n"
        "requirements: [{id: X-1, clause: '1', level: MUST, text: t}]\n"
        f"checks: [{{id: x, check: {check}, requirements: [X-1]}}]\n",
        encoding="utf-8",
    )
    data = folder.parent / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_text(content, encoding="utf-8")
    return folder


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Keep hypothesis's caches under pytest's per-run (per-xdist-worker) temporary folder
    instead of the working directory: no shared writes, nothing left in the checkout."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:  # pragma: no cover - pytest internals changed; hypothesis falls back to ./.hypothesis
        return
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(factory.getbasetemp() / "hypothesis")


@pytest.fixture(scope="session")
def xml_profile() -> Profile:
    return load_profile(PROFILES / "test-xml")


@pytest.fixture(scope="session")
def json_profile() -> Profile:
    return load_profile(PROFILES / "test-json")


@pytest.fixture
def run() -> Callable[..., dict[str, Any]]:
    """``validate`` with a fixed seed that asserts the record is schema-valid."""

    def _run(profile: Profile, paths: Any = None, **kw: Any) -> dict[str, Any]:
        kw.setdefault("seed", 1)
        return assert_record_valid(validate(profile, paths, **kw))

    return _run


@pytest.fixture
def write_profile(tmp_path: Path) -> Callable[..., Path]:
    """Write a profile folder under tmp_path: ``write_profile(yaml_text, files={rel: text})``."""
    counter = {"n": 0}

    def _write(source: str, *, name: str | None = None, files: dict[str, str] | None = None) -> Path:
        counter["n"] += 1
        folder = tmp_path / (name or f"profile{counter['n']}")
        folder.mkdir(parents=True)
        (folder / "profile.yaml").write_text(textwrap.dedent(source), encoding="utf-8")
        for rel, content in (files or {}).items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(content), encoding="utf-8")
        return folder

    return _write


@pytest.fixture
def canary() -> Iterator[int]:
    """A loopback port that records any connection: the run must not make one."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.setblocking(False)
    try:
        yield srv.getsockname()[1]
        with pytest.raises(BlockingIOError):
            conn, _ = srv.accept()  # pragma: no cover - only on failure
            conn.close()
    finally:
        srv.close()
