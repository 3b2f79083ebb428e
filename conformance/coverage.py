"""Requirement coverage of a profile: what tests each requirement, and what proves it can fail.

For each requirement: the bindings (checks, or live scenarios) that evaluate it, the
invalid fixtures (``fixtures/<id>/invalid/EXPECTED.yaml``) and reference-peer defects
(``defects:`` in profile.yaml) that make it fail, and its ``not_tested`` reason.

Problems: a MUST requirement with neither a binding nor a ``not_tested`` reason
(always), and a bound requirement with no failing fixture and no defect (``strict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .i18n import Text, text
from .profile import Profile
from .verdicts import Level


@dataclass
class RequirementCoverage:
    id: str
    clause: str
    level: str
    checks: list[dict[str, str]] = field(default_factory=list)
    fixtures: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    not_tested: Text | None = None

    @property
    def bound(self) -> bool:
        return bool(self.checks)

    @property
    def proven(self) -> bool:
        return bool(self.fixtures or self.defects)

    @property
    def status(self) -> str:
        if self.bound and self.proven:
            return "proven"
        if self.bound:
            return "unproven"
        if self.not_tested is not None:
            return "not_tested"
        return "untested"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "clause": self.clause, "level": self.level, "status": self.status,
                               "checks": self.checks, "fixtures": self.fixtures, "defects": self.defects}
        if self.not_tested is not None:
            out["not_tested"] = dict(self.not_tested)
        return out


@dataclass
class Coverage:
    profile: str
    version: str
    requirements: list[RequirementCoverage]
    problems: list[Text]
    warnings: list[Text]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for r in self.requirements:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {"profile": self.profile, "version": self.version, "ok": self.ok, "counts": counts,
                "requirements": [r.to_dict() for r in self.requirements],
                "problems": self.problems, "warnings": self.warnings}


def _expected(profile: Profile, warnings: list[Text]) -> dict[str, list[str]]:
    """Requirement id -> invalid fixture names that must fail it."""
    out: dict[str, list[str]] = {}
    if profile.fixtures_dir is None:
        return out
    path = profile.fixtures_dir / "invalid" / "EXPECTED.yaml"
    if not path.is_file():
        return out
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        warnings.append(text(f"无法读取 {path}：{exc}", f"cannot read {path}: {exc}"))
        return out
    if not isinstance(raw, dict):
        warnings.append(text(f"{path} 顶层应为映射", f"{path}: the top level should be a mapping"))
        return out
    for name, value in raw.items():
        fails = value if isinstance(value, list) else (value or {}).get("fails", []) if isinstance(value, dict) else []
        if not (path.parent / str(name)).exists():
            warnings.append(text(f"EXPECTED.yaml 列出的样例不存在：{name}", f"EXPECTED.yaml names a missing fixture: {name}"))
            continue
        for rid in fails:
            out.setdefault(str(rid), []).append(str(name))
    return out


def coverage(profile: Profile, *, strict: bool = False) -> Coverage:
    from .checks import get_check

    warnings: list[Text] = []
    expected = _expected(profile, warnings)
    defects: dict[str, list[str]] = {}
    for name, breaks in profile.defects.items():
        for rid in breaks:
            defects.setdefault(rid, []).append(name)
    known = {r.id for r in profile.requirements}
    for rid in sorted(set(expected) - known):
        warnings.append(text(f"EXPECTED.yaml 引用了未声明的要求 {rid}", f"EXPECTED.yaml names unknown requirement {rid}"))
    rows = []
    for req in profile.requirements:
        row = RequirementCoverage(req.id, req.clause, req.level.value, not_tested=req.not_tested,
                                  fixtures=sorted(expected.get(req.id, [])), defects=sorted(defects.get(req.id, [])))
        for b in profile.bindings:
            if req.id in b.requirements:
                spec = get_check(b.check)
                kind = "scenario" if spec is not None and "live" in spec.media_types else "check"
                row.checks.append({"id": b.id, "check": b.check, "kind": kind})
        rows.append(row)
    problems: list[Text] = []
    for row in rows:
        if row.level == Level.MUST.value and row.status == "untested":
            problems.append(text(f"{row.id}（应）既没有绑定检查，也没有说明不测试的原因",
                                 f"{row.id} (MUST) has neither a bound check nor a not_tested reason"))
        if strict and row.status == "unproven":
            problems.append(text(f"{row.id} 已绑定检查，但没有能使其不通过的无效样例或参考实现缺陷",
                                 f"{row.id} is bound but no invalid fixture or reference defect proves it can fail"))
    return Coverage(profile.id, profile.version, rows, problems, warnings)


__all__ = ["Coverage", "RequirementCoverage", "coverage"]
