"""Finding installed profiles: bundled, directories, environment, entry points."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from .errors import ConformanceError, ProfileError, profile_not_found
from .i18n import text
from .profile import PROFILE_FILE, Profile, load_profile
from .resources import bundled_path

ENV_VAR = "CONFORMANCE_PROFILES_PATH"
ENTRY_POINT_GROUP = "conformance.profiles"


@dataclass(frozen=True)
class ProfileRef:
    id: str
    directory: Path
    source: str  # "directory", "env", "bundled", "entry-point:<name>"


def _profile_dirs(root: Path) -> list[Path]:
    if (root / PROFILE_FILE).is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / PROFILE_FILE).is_file())


def _peek_id(directory: Path) -> str | None:
    try:
        raw = yaml.safe_load((directory / PROFILE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    pid = raw.get("id") if isinstance(raw, dict) else None
    return pid if isinstance(pid, str) else None


def _entry_point_dirs() -> list[tuple[Path, str]]:
    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            target: Any = ep.load()
            if callable(target) and not isinstance(target, ModuleType):
                target = target()
            if isinstance(target, ModuleType):
                target = Path(target.__file__ or "").parent
            targets = target if isinstance(target, (list, tuple)) else [target]
            for t in targets:
                out.append((Path(t), f"entry-point:{ep.name}"))
        except Exception:
            continue  # a broken third-party package is skipped, not fatal
    return out


def search_path(extra_dirs: list[str | Path] | None = None) -> list[tuple[Path, str]]:
    roots: list[tuple[Path, str]] = [(Path(d), "directory") for d in extra_dirs or ()]
    env = os.environ.get(ENV_VAR)
    if env:
        roots += [(Path(d), "env") for d in env.split(os.pathsep) if d]
    roots.append((bundled_path("profiles"), "bundled"))
    roots += _entry_point_dirs()
    return roots


def discover(extra_dirs: list[str | Path] | None = None) -> dict[str, ProfileRef]:
    """Profile id -> where it is. Earlier roots win: explicit dirs, env, bundled, entry points."""
    found: dict[str, ProfileRef] = {}
    for root, source in search_path(extra_dirs):
        for d in _profile_dirs(root):
            pid = _peek_id(d) or d.name
            found.setdefault(pid, ProfileRef(pid, d, source))
    return found


def resolve_profile(name: str | Path, extra_dirs: list[str | Path] | None = None) -> Profile:
    """Load a profile by id, or by the path of its folder or profile.yaml."""
    p = Path(name)
    if (p.is_dir() and (p / PROFILE_FILE).is_file()) or (p.is_file() and p.name == PROFILE_FILE):
        return load_profile(p, source="directory")
    refs = discover(extra_dirs)
    ref = refs.get(str(name))
    if ref is None:
        raise profile_not_found(str(name), sorted(refs))
    return load_profile(ref.directory, source=ref.source)


def list_profiles(extra_dirs: list[str | Path] | None = None) -> list[Profile | ConformanceError]:
    out: list[Profile | ConformanceError] = []
    for ref in sorted(discover(extra_dirs).values(), key=lambda r: r.id):
        try:
            out.append(load_profile(ref.directory, source=ref.source))
        except ConformanceError as exc:
            out.append(exc)
        except Exception as exc:  # pragma: no cover - defensive: listing must not crash
            out.append(ProfileError(text(f"无法加载：{exc!r}", f"cannot load: {exc!r}"), file=str(ref.directory)))
    return out
