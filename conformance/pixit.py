"""PIXIT: what the lab needs to reach or decode the system under test.

A profile lists its PIXIT keys in ``pixit:`` (type, required, secret, description).
From that list the engine derives a JSON Schema, a commented template, validation
(unknown keys warn, missing required keys are refused, naming them) and the set of
values that must never appear in a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .errors import ConformanceError
from .i18n import Text, text
from .profile import PixitKey, Profile, format_path

_JSON_TYPE = {
    "string": {"type": "string"},
    "url": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*://"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "object": {"type": "object"},
    "array": {"type": "array"},
}
_PLACEHOLDER: dict[str, Any] = {
    "string": "", "url": "http://127.0.0.1:8080/", "integer": 0, "number": 0, "boolean": False, "object": {},
    "array": [],
}


class PixitError(ConformanceError):
    pass


@dataclass
class PixitCheck:
    """Outcome of validating a PIXIT: problems refuse it, warnings do not."""

    warnings: list[Text]


def pixit_schema(profile: Profile) -> dict[str, Any]:
    """The JSON Schema (2020-12) of ``profile``'s PIXIT. Unknown keys are allowed (they warn)."""
    props: dict[str, Any] = {}
    for key in profile.pixit_keys:
        prop = dict(_JSON_TYPE[key.type])
        prop["description"] = f"{key.description['en']} / {key.description['zh']}"
        if key.secret:
            prop["x-secret"] = True
        if key.default is not None:
            prop["default"] = key.default
        props[key.id] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:smartcity-conformance:pixit:{profile.id}:{profile.version}",
        "title": f"PIXIT of {profile.id} {profile.version}",
        "type": "object",
        "properties": props,
        "required": [k.id for k in profile.pixit_keys if k.required],
        "additionalProperties": True,
    }


def check_pixit(data: Any, profile: Profile, *, source: str | None = None, require: bool = True) -> PixitCheck:
    """Validate a PIXIT mapping against the profile's keys.

    Raises :class:`PixitError` naming the missing required keys (when ``require``) or the
    first key of the wrong type; returns the warnings (unknown keys). A profile without
    a ``pixit:`` section accepts any mapping.
    """
    file = source or "<pixit>"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PixitError(text("PIXIT 顶层必须是映射", "the PIXIT top level must be a mapping"), file=file)
    if not profile.pixit_keys:
        return PixitCheck([])
    known = {k.id for k in profile.pixit_keys}
    if require:
        missing = [k.id for k in profile.pixit_keys if k.required and k.id not in data]
        if missing:
            names = ", ".join(missing)
            raise PixitError(text(f"PIXIT 缺少必填键：{names}", f"the PIXIT misses required key(s): {names}"),
                             file=file, path=", ".join(missing))
    schema = pixit_schema(profile)
    schema["required"] = []
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        e = errors[0]
        where = format_path(list(e.absolute_path))
        raise PixitError(text(f"PIXIT 键 {where} 无效：{e.message}", f"PIXIT key {where} is invalid: {e.message}"),
                         file=file, path=where)
    warnings = [text(f"PIXIT 含测试配置未声明的键 “{k}”（已忽略检查）", f"the PIXIT has key '{k}', which the profile does not declare")
                for k in data if k not in known]
    return PixitCheck(warnings)


def load_pixit(path: str | Path, profile: Profile, *, require: bool = True) -> tuple[dict[str, Any], PixitCheck]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PixitError(text("PIXIT 文件不存在", "PIXIT file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PixitError(text(f"无法读取 PIXIT：{exc}", f"cannot read PIXIT: {exc}"), file=str(path)) from None
    result = check_pixit(data, profile, source=str(path), require=require)
    return dict(data or {}), result


def secret_values(pixit: dict[str, Any], profile: Profile) -> set[str]:
    """Every value under a key the profile marks secret (``pixit:`` secret or ``pixit_secrets``)."""
    names = {k.id for k in profile.pixit_keys if k.secret} | set(profile.raw.get("pixit_secrets") or ())
    found: set[str] = set()

    def leaves(value: Any) -> Iterable[str]:
        if isinstance(value, dict):
            for v in value.values():
                yield from leaves(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from leaves(v)
        elif value is not None and not isinstance(value, bool):
            yield str(value)

    for name in names:
        if name in pixit:
            found.update(v for v in leaves(pixit[name]) if len(v) >= 4)
    return found


REDACTED = "«redacted»"
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _text_of(value: Any) -> str:
    """Text in which every string of ``value`` (but a subject's keys) appears verbatim,
    unless JSON escapes it: the JSON text, but a run record's list of subjects (maybe
    a hundred thousand small dicts of names and digests) as its values joined, which
    costs a fraction of dumping them."""
    subjects = value.get("subjects") if isinstance(value, dict) else None
    if not isinstance(subjects, list):
        return json.dumps(value, ensure_ascii=False, default=str)
    parts = [json.dumps({k: v for k, v in value.items() if k != "subjects"}, ensure_ascii=False, default=str)]
    for subject in subjects:
        for v in subject.values() if type(subject) is dict else (subject,):
            if type(v) is str:
                parts.append(v)
            elif type(v) is not int:
                parts.append(json.dumps(v, ensure_ascii=False, default=str))
    return "\n".join(parts)


def redact(value: Any, secrets: set[str]) -> Any:
    """``value`` (a record or any JSON value) with every secret string replaced."""
    if not secrets:
        return value
    if not any(_JSON_ESCAPED.search(s) for s in secrets):
        # One pass in C over the whole value: a record of a bulk run holds hundreds of
        # thousands of strings, and usually none of them carries a secret. A secret
        # without characters JSON escapes appears verbatim in the text of any string
        # that contains it, so when the text has none of them there is nothing to do.
        dumped = _text_of(value)
        if not any(s in dumped for s in secrets):
            return value
    ordered = sorted(secrets, key=len, reverse=True)

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            for s in ordered:
                if s in v:
                    v = v.replace(s, REDACTED)
            return v
        if isinstance(v, dict):
            return {walk(k) if isinstance(k, str) else k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)


def console_pixit(shown: dict[str, Any], supplied: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """``shown`` (a PIXIT a command prints, e.g. what a reference peer tells the harness)
    with every secret of the user's own PIXIT ``supplied`` redacted: the user has them in
    their file, and a console (a CI log) is no place for them. Values the tool chose
    itself (a reference peer's TEST-ONLY defaults) stay: the user needs them."""
    from .live.session import pixit_secrets

    found = secret_values(supplied, profile) | pixit_secrets(supplied, tuple(profile.raw.get("pixit_secrets") or ()))
    return redact(shown, {s for s in found if len(s) >= 4})


# --------------------------------------------------------------------------- templates


def _comment(lines: Iterable[str], indent: str = "") -> str:
    return "".join(f"{indent}# {line}".rstrip() + "\n" for line in lines)


def _yaml_value(value: Any) -> str:
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000).strip()
    return dumped.removesuffix("...").strip()


def pixit_template(profile: Profile) -> str:
    """A commented PIXIT for the lab to fill in: required keys set to a placeholder,
    optional ones commented out."""
    out = [
        f"# PIXIT for {profile.id} {profile.version} — {profile.title['en']} / {profile.title['zh']}\n",
        "# Protocol implementation extra information for testing (PIXIT): what the lab needs\n",
        "# to reach or decode the system under test. 测试所需的补充信息（地址、凭据、密钥、测试数据、超时）。\n",
        "# Values of keys marked SECRET never appear in a report or run record (only this file's sha256 does).\n",
        "# 标为 SECRET 的键，其值不会出现在任何报告或运行记录中。\n",
    ]
    if not profile.pixit_keys:
        out.append("# This profile declares no PIXIT keys. 本测试配置未声明 PIXIT 键。\n{}\n")
        return "".join(out)
    for key in profile.pixit_keys:
        flags = [key.type, "REQUIRED 必填" if key.required else "optional 可选"]
        if key.secret:
            flags.append("SECRET 保密")
        lines = [f"{key.id} ({', '.join(flags)})", key.description["en"], key.description["zh"]]
        if key.default is not None:
            lines.append(f"default 默认: {_yaml_value(key.default)}")
        out.append("\n" + _comment(lines))
        value = key.example if key.example is not None else key.default
        if value is None:
            value = _PLACEHOLDER[key.type]
        body = yaml.safe_dump({key.id: value}, allow_unicode=True, sort_keys=False, width=100).rstrip("\n")
        if key.required:
            out.append(body + "\n")
        else:
            out.append("".join(f"# {line}\n" for line in body.splitlines()))
    return "".join(out)


def required_keys(profile: Profile) -> list[PixitKey]:
    return [k for k in profile.pixit_keys if k.required]


__all__ = ["PixitCheck", "PixitError", "check_pixit", "console_pixit", "load_pixit", "pixit_schema", "pixit_template",
           "redact", "secret_values"]
