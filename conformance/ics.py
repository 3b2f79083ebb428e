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
    derived = list(Draft202012Validator(ics_schema(profile)).iter_errors(raw))
    if derived:
        e = derived[0]
        raise IcsError(text(f"ICS 不符合测试配置：{e.message}", f"the ICS does not fit the profile: {e.message}"),
                       file=file, path=format_path(list(e.absolute_path)))
    options = {o.id: o.default for o in profile.options if o.default is not None}
    options.update(claimed)
    return Ics(profile=profile.id, product=dict(raw["product"]), role=role, options=options, source=source, raw=raw)


_OPTION_SCHEMA = {"boolean": {"type": "boolean"}, "integer": {"type": "integer"}, "string": {"type": "string"},
                  "choice": {"type": "string"}}


def ics_schema(profile: Profile) -> dict[str, Any]:
    """The JSON Schema (2020-12) of an ICS for ``profile``: its id, its roles, its options
    with their types and choices, the mandatory options required, nothing else."""
    base = engine_schema("ics.schema.json")
    options: dict[str, Any] = {}
    for o in profile.options:
        prop = dict(_OPTION_SCHEMA[o.type])
        if o.type == "choice":
            prop["enum"] = list(o.choices)
        prop["description"] = f"{o.title['en']} / {o.title['zh']}"
        if o.default is not None:
            prop["default"] = o.default
        options[o.id] = prop
    props = dict(base["properties"])
    props["profile"] = {"const": profile.id}
    props["role"] = {"enum": [r.id for r in profile.roles]}
    props["options"] = {"type": "object", "additionalProperties": False, "properties": options,
                        "required": [o.id for o in profile.options if o.mandatory]}
    schema = {**base, "$id": f"urn:smartcity-conformance:ics:{profile.id}:{profile.version}",
              "title": f"ICS of {profile.id} {profile.version}", "properties": props}
    if any(o.mandatory for o in profile.options):
        schema["required"] = [*base["required"], "options"]
    return schema


def ics_template(profile: Profile) -> str:
    """A commented ICS for the vendor to fill in; it loads as it is (placeholders)."""

    def dump(value: Any) -> str:
        return yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()

    lines = [
        f"# ICS (implementation conformance statement) for {profile.id} {profile.version}",
        f"# {profile.title['en']} / {profile.title['zh']}",
        "# What the vendor claims: product, role, supported options. It selects the requirements that apply.",
        "# 实现一致性声明：厂商声明的产品、角色与所支持的选项，用于确定适用的要求。",
        "# Options marked MANDATORY must be stated; an option the profile does not have is refused.",
        "# 标为 MANDATORY（必选）的选项必须声明；测试配置没有的选项会被拒绝。",
        f"profile: {dump(profile.id)}",
        f"profile_version: {dump(profile.version)}",
        "product:",
        "  name: CHANGE-ME            # product name 产品名称",
        "  version: 0.0.0             # product version 产品版本",
        "  vendor: CHANGE-ME          # vendor 厂商",
        "",
        "# Role of the system under test 被测系统角色: " + "; ".join(
            f"{r.id} ({r.title['en']} / {r.title['zh']})" for r in profile.roles),
    ]
    role = profile.default_role or profile.roles[0].id
    lines.append(f"role: {dump(role)}")
    lines.append("")
    if not profile.options:
        lines.append("# This profile has no ICS options. 本测试配置没有 ICS 选项。")
        lines.append("options: {}")
    else:
        if any(o.mandatory for o in profile.options):
            lines.append("options:")
        else:
            lines.append("# To claim an option, uncomment it (and drop the {}). 声明选项时取消注释（并删去 {}）。")
            lines.append("options: {}")
        for o in profile.options:
            kind = o.type + (f" [{' | '.join(o.choices)}]" if o.choices else "")
            flag = "MANDATORY 必选" if o.mandatory else "optional 可选"
            default = "" if o.default is None else f", default 默认 {dump(o.default)}"
            lines.append(f"  # {o.id}: {o.title['en']} / {o.title['zh']} — {kind}, {flag}{default}")
            value = o.default
            if value is None:
                value = {"boolean": False, "integer": 0, "string": "", "choice": o.choices[0] if o.choices else ""}[o.type]
            entry = f"{o.id}: {dump(value)}"
            lines.append(f"  {entry}" if o.mandatory else f"  # {entry}")
    lines.append("")
    lines.append("notes: \"\"                      # anything the lab should know 其他说明")
    return "\n".join(lines) + "\n"


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
