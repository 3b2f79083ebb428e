"""Third-party profiles and check kinds through entry points."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

import conformance.checks as checks_mod
import conformance.discovery as discovery

HERE = Path(__file__).parent
TEST_PROFILES = HERE / "data/profiles"


class FakeEntryPoint:
    def __init__(self, name: str, target: Any):
        self.name = name
        self._target = target

    def load(self) -> Any:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def _patch(monkeypatch: pytest.MonkeyPatch, module: Any, group: str, eps: list[FakeEntryPoint]) -> None:
    original = module.entry_points

    def fake(*, group: str | None = None, **kw: Any) -> Any:
        return eps if group == wanted else original(group=group, **kw)

    wanted = group
    monkeypatch.setattr(module, "entry_points", fake)


@pytest.mark.parametrize(
    "target",
    [
        lambda: TEST_PROFILES / "test-xml",            # a callable returning a folder
        str(TEST_PROFILES),                            # a folder of profiles
        [TEST_PROFILES / "test-xml"],                  # a list of folders
    ],
)
def test_profile_from_entry_point(monkeypatch: pytest.MonkeyPatch, target: Any) -> None:
    _patch(monkeypatch, discovery, discovery.ENTRY_POINT_GROUP, [FakeEntryPoint("vendor-pack", target)])
    refs = discovery.discover()
    assert refs["test-xml"].source == "entry-point:vendor-pack"
    assert discovery.resolve_profile("test-xml").id == "test-xml"


def test_profile_from_a_module_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("vendor_profile")
    module.__file__ = str(TEST_PROFILES / "test-xml" / "__init__.py")
    _patch(monkeypatch, discovery, discovery.ENTRY_POINT_GROUP, [FakeEntryPoint("mod", module)])
    assert discovery.discover()["test-xml"].directory == TEST_PROFILES / "test-xml"


def test_a_broken_entry_point_is_skipped_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch(monkeypatch, discovery, discovery.ENTRY_POINT_GROUP,
           [FakeEntryPoint("broken", ImportError("gone")), FakeEntryPoint("ok", TEST_PROFILES / "test-xml")])
    assert "test-xml" in discovery.discover()


def test_explicit_directory_wins_over_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    _patch(monkeypatch, discovery, discovery.ENTRY_POINT_GROUP, [FakeEntryPoint("pack", TEST_PROFILES / "test-xml")])
    refs = discovery.discover([TEST_PROFILES])
    assert refs["test-xml"].source == "directory"


def test_check_kind_from_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[str] = []

    def plugin_module() -> None:
        @checks_mod.register_check("vendor-always-fails", description="test")
        def _check(call: Any) -> Any:
            yield call.fail("nope")

        registered.append("vendor-always-fails")

    class Loader(FakeEntryPoint):
        def load(self) -> Any:
            plugin_module()
            return None

    monkeypatch.setattr(checks_mod, "_ENTRY_POINTS_LOADED", False)
    _patch(monkeypatch, checks_mod, checks_mod.ENTRY_POINT_GROUP, [Loader("vendor", None)])
    try:
        assert "vendor-always-fails" in checks_mod.known_checks()
        assert registered == ["vendor-always-fails"]
    finally:
        checks_mod._REGISTRY.pop("vendor-always-fails", None)
