"""ICS: what the vendor claims. It selects which requirements apply."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .errors import IcsError
from .i18n import Text, text
from .profile import Profile, Requirement, format_path
from .resources import engine_schema


@dataclass
class Ics:
    profile: str
    product: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # file it came from, None for the default ICS
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile, "product": self.product, "options": self.options}
        if self.role is not None:
            out["role"] = self.role
        if self.source is not None:
            out["source"] = self.source
        return out


def default_ics(profile: Profile) -> Ics:
    """The ICS used when none is given: every option at its default, the default role."""
    return Ics(
        profile=profile.id,
        product={},
        role=profile.default_role,
        options={o.id: o.default for o in profile.options if o.default is not None},
    )


def load_ics(path: str | Path, profile: Profile) -> Ics:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IcsError(text("ICS 文件不存在", "ICS file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise IcsError(text(f"无法读取 ICS：{exc}", f"cannot read ICS: {exc}"), file=str(path)) from None
    return ics_from_dict(raw, profile, source=str(path))


def ics_from_dict(raw: Any, profile: Profile, *, source: str | None = None) -> Ics:
    file = source or "<ics>"
    if not isinstance(raw, dict):
        raise IcsError(text("ICS 顶层必须是映射", "the ICS top level must be a mapping"), file=file)
    errors = list(Draft202012Validator(engine_schema("ics.schema.json")).iter_errors(raw))
    if errors:
        e = errors[0]
        raise IcsError(text(f"ICS 格式无效：{e.message}", f"invalid ICS: {e.message}"),
                       file=file, path=format_path(list(e.absolute_path)))
    if raw["profile"] != profile.id:
        raise IcsError(
            text(f"ICS 针对的是 “{raw['profile']}”，而不是 “{profile.id}”",
                 f"the ICS is for '{raw['profile']}', not '{profile.id}'"),
            file=file, path="profile",
        )
    role = raw.get("role", profile.default_role)
    roles = {r.id for r in profile.roles}
    if role is not None and role not in roles:
        raise IcsError(
            text(f"测试配置没有角色 “{role}”；可选：{', '.join(sorted(roles))}",
                 f"the profile has no role '{role}'; choose one of: {', '.join(sorted(roles))}"),
            file=file, path="role",
        )
    claimed = dict(raw.get("options") or {})
    by_id = {o.id: o for o in profile.options}
    for name, value in claimed.items():
        opt = by_id.get(name)
        if opt is None:
            raise IcsError(
                text(f"测试配置没有选项 “{name}”", f"the profile has no option '{name}'"),
                file=file, path=f"options.{name}",
            )
        problem = _option_problem(opt.type, opt.choices, value)
        if problem:
            raise IcsError(problem, file=file, path=f"options.{name}")
    for opt in profile.options:
        if opt.mandatory and opt.id not in claimed:
            raise IcsError(
                text(f"缺少必须声明的选项 “{opt.id}”", f"mandatory option '{opt.id}' is not stated"),
                file=file, path="options",
            )
    options = {o.id: o.default for o in profile.options if o.default is not None}
    options.update(claimed)
    return Ics(profile=profile.id, product=dict(raw["product"]), role=role, options=options, source=source, raw=raw)


def _option_problem(kind: str, choices: tuple[str, ...], value: Any) -> Text | None:
    if kind == "boolean" and not isinstance(value, bool):
        return text(f"应为 true 或 false，实际为 {value!r}", f"must be true or false, not {value!r}")
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return text(f"应为整数，实际为 {value!r}", f"must be an integer, not {value!r}")
    if kind in ("string", "choice") and not isinstance(value, str):
        return text(f"应为字符串，实际为 {value!r}", f"must be a string, not {value!r}")
    if kind == "choice" and value not in choices:
        return text(f"应为 {', '.join(choices)} 之一，实际为 {value!r}", f"must be one of {', '.join(choices)}, not {value!r}")
    return None


def applicability(req: Requirement, ics: Ics) -> Text | None:
    """None when the requirement applies under the ICS, else the reason it does not."""
    if req.roles and ics.role is not None and ics.role not in req.roles:
        return text(f"不适用于角色 {ics.role}（适用于 {', '.join(req.roles)}）",
                    f"does not apply to role {ics.role} (applies to {', '.join(req.roles)})")
    for cond in req.conditions:
        if not cond.holds(ics.options):
            return text(f"ICS 未满足条件 {cond}", f"ICS does not meet condition {cond}")
    return None
