"""Finding profiles: by id in given folders, through CONFORMANCE_PROFILES_PATH, by path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.discovery import ENV_VAR, discover, list_profiles, resolve_profile
from conformance.errors import ConformanceError, ProfileError
from conformance.profile import Profile

from conftest import MINIMAL_PROFILE, PROFILES


@pytest.fixture(autouse=True)
def _no_ambient_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # the developer's own CONFORMANCE_PROFILES_PATH must not leak into these tests
    monkeypatch.delenv(ENV_VAR, raising=False)


def _make(root: Path, folder: str, pid: str) -> Path:
    d = root / folder
    d.mkdir(parents=True)
    (d / "profile.yaml").write_text(MINIMAL_PROFILE.format(id=pid), encoding="utf-8")
    return d


def test_by_id_from_an_extra_directory(tmp_path: Path) -> None:
    root = tmp_path / "extra"
    _make(root, "one", "disc-one")
    _make(root, "two-folder", "disc-two")
    (root / "not-a-profile").mkdir()
    refs = discover([root])
    assert refs["disc-one"].directory == root / "one" and refs["disc-one"].source == "directory"
    # the id comes from profile.yaml, not from the folder name
    assert "disc-two" in refs and "two-folder" not in refs
    assert "not-a-profile" not in refs
    p = resolve_profile("disc-two", [root])
    assert isinstance(p, Profile) and p.id == "disc-two" and p.source == "directory"


def test_an_extra_directory_may_be_a_profile_folder_itself(tmp_path: Path) -> None:
    d = _make(tmp_path, "single", "disc-single")
    assert resolve_profile("disc-single", [d]).directory == d.resolve()


def test_by_id_from_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _make(a, "p", "disc-env-a")
    _make(b, "p", "disc-env-b")
    with pytest.raises(ProfileError):
        resolve_profile("disc-env-b")
    monkeypatch.setenv(ENV_VAR, os.pathsep.join([str(a), "", str(b)]))
    p = resolve_profile("disc-env-b")
    assert p.id == "disc-env-b" and p.source == "env"
    assert discover()["disc-env-a"].source == "env"


def test_explicit_directories_win_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = _make(tmp_path / "explicit", "p", "disc-same")
    env = _make(tmp_path / "env", "p", "disc-same")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert resolve_profile("disc-same").directory == env.resolve()
    assert resolve_profile("disc-same", [tmp_path / "explicit"]).directory == explicit.resolve()


@pytest.mark.parametrize("form", ["folder", "file", "str"])
def test_by_path(form: str) -> None:
    folder = PROFILES / "test-json"
    name = {"folder": folder, "file": folder / "profile.yaml", "str": str(folder)}[form]
    p = resolve_profile(name)
    assert p.id == "test-json" and p.source == "directory"


def test_not_found_lists_the_installed_ids(tmp_path: Path) -> None:
    _make(tmp_path, "x", "disc-listed-1")
    _make(tmp_path, "y", "disc-listed-2")
    with pytest.raises(ProfileError) as info:
        resolve_profile("disc-missing", [tmp_path])
    en, zh = info.value.render("en"), info.value.render("zh")
    assert "'disc-missing' not found" in en
    assert "disc-listed-1" in en and "disc-listed-2" in en
    assert "disc-missing" in zh and "disc-listed-1" in zh
    assert info.value.exit_code == 2


def test_a_nonexistent_path_is_looked_up_as_an_id(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        resolve_profile(tmp_path / "nowhere", [tmp_path])
    assert "not found" in info.value.render("en")


def test_broken_profile_is_listed_as_an_error_not_a_crash(tmp_path: Path) -> None:
    _make(tmp_path, "good", "disc-good")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "profile.yaml").write_text("id: disc-bad\nformat: 1\n", encoding="utf-8")  # schema violation
    ugly = tmp_path / "ugly"
    ugly.mkdir()
    (ugly / "profile.yaml").write_text("{ not: [yaml\n", encoding="utf-8")  # YAML error: id from folder name
    refs = discover([tmp_path])
    assert {"disc-good", "disc-bad", "ugly"} <= set(refs)
    listed = list_profiles([tmp_path])
    by_kind = {
        (item.id if isinstance(item, Profile) else Path(item.file or "").parent.name): item for item in listed
    }
    assert isinstance(by_kind["disc-good"], Profile)
    assert isinstance(by_kind["bad"], ConformanceError)
    assert isinstance(by_kind["ugly"], ConformanceError)


def test_discovery_in_a_missing_directory_is_harmless(tmp_path: Path) -> None:
    refs = discover([tmp_path / "does-not-exist"])
    assert all(ref.source != "directory" for ref in refs.values())


def test_resolved_profile_checks_still_work(tmp_path: Path, run: Callable[..., dict]) -> None:
    d = _make(tmp_path, "p", "disc-run")
    f = tmp_path / "ok.xml"
    f.write_text("<a/>", encoding="utf-8")
    record = run(resolve_profile("disc-run", [tmp_path]), [f])
    assert record["profile"]["id"] == "disc-run" and record["profile"]["source"] == "directory"
    assert record["summary"]["exit_code"] == 0
    assert d.is_dir()
