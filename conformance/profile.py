"""Profiles: the versioned, machine-checkable encoding of one standard.

A profile is a folder with ``profile.yaml`` (validated against
``schemas/profile.schema.json``) and, optionally, Python plugin files that register
the domain's own checks. This module loads and validates one profile folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .errors import ProfileError
from .i18n import Text, as_text, text
from .resources import engine_schema
from .verdicts import Level

PROFILE_FILE = "profile.yaml"


@dataclass(frozen=True)
class Standard:
    code: str
    title: Text
    year: int | None = None
    public: bool = True
    source: str | None = None


@dataclass(frozen=True)
class Role:
    id: str
    title: Text


@dataclass(frozen=True)
class Option:
    id: str
    title: Text
    type: str
    choices: tuple[str, ...] = ()
    default: Any = None
    mandatory: bool = False


@dataclass(frozen=True)
class PixitKey:
    """One PIXIT key a profile asks the lab for (``pixit:`` in profile.yaml)."""

    id: str
    type: str
    description: Text
    required: bool = False
    secret: bool = False
    default: Any = None
    example: Any = None


@dataclass(frozen=True)
class Condition:
    """One ICS condition: ``OPT``, ``!OPT`` or ``OPT=value``."""

    option: str
    negate: bool = False
    value: str | None = None

    @classmethod
    def parse(cls, raw: str) -> "Condition":
        negate = raw.startswith("!")
        body = raw[1:] if negate else raw
        opt, _, value = body.partition("=")
        return cls(opt, negate, value or None)

    def holds(self, options: dict[str, Any]) -> bool:
        actual = options.get(self.option)
        if self.value is not None:
            result = actual is not None and str(actual).lower() == self.value.lower()
        else:
            result = bool(actual)
        return not result if self.negate else result

    def __str__(self) -> str:
        return ("!" if self.negate else "") + self.option + (f"={self.value}" if self.value else "")


@dataclass(frozen=True)
class Requirement:
    id: str
    clause: str
    level: Level
    text: Text
    roles: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    group: str | None = None
    reconstructed: bool = False
    not_tested: Text | None = None


@dataclass(frozen=True)
class Split:
    """Batch files: a container element whose item children are checked one by one."""

    container: str  # Clark notation {uri}local
    item: str
    file_checks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Binding:
    """A requirement-to-check binding from ``checks:`` in profile.yaml."""

    id: str
    check: str
    requirements: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    description: Text | None = None


@dataclass
class Profile:
    id: str
    version: str
    title: Text
    standards: tuple[Standard, ...]
    roles: tuple[Role, ...]
    options: tuple[Option, ...]
    requirements: tuple[Requirement, ...]
    bindings: tuple[Binding, ...]
    directory: Path
    raw: dict[str, Any]
    description: Text | None = None
    default_role: str | None = None
    media_type: str = "xml"
    patterns: tuple[str, ...] = ()
    encoding: str | None = None
    max_bytes: int | None = None
    split: "Split | None" = None
    schemas_dir: Path | None = None
    fixtures_dir: Path | None = None
    plugins: tuple[Path, ...] = ()
    groups: dict[str, Text] = field(default_factory=dict)
    defects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pixit_keys: tuple[PixitKey, ...] = ()
    source: str = "bundled"
    _digest: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def file(self) -> Path:
        return self.directory / PROFILE_FILE

    def requirement(self, req_id: str) -> Requirement:
        for r in self.requirements:
            if r.id == req_id:
                return r
        raise KeyError(req_id)

    def counts_by_level(self) -> dict[str, int]:
        counts = {lv.value: 0 for lv in Level}
        for r in self.requirements:
            counts[r.level.value] += 1
        return counts

    def resolve(self, relative: str) -> Path:
        """Resolve a path a binding names: against the schemas folder, then the profile folder."""
        p = Path(relative)
        if p.is_absolute():
            return p
        for base in (self.schemas_dir, self.directory):
            if base is not None and (base / p).exists():
                return (base / p).resolve()
        base = self.schemas_dir or self.directory
        return (base / p).resolve()

    def digest(self) -> dict[str, Any]:
        """sha256 of every file the profile consists of (its folder and its schemas)."""
        if self._digest is None:
            files: dict[str, str] = {}
            roots = [("profile", self.directory)]
            if self.schemas_dir and self.schemas_dir.is_dir() and self.schemas_dir != self.directory:
                roots.append(("schemas", self.schemas_dir))
            for label, root in roots:
                for path in sorted(root.rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts:
                        rel = f"{label}/{path.relative_to(root).as_posix()}"
                        files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            overall = hashlib.sha256()
            for rel in sorted(files):
                overall.update(f"{rel}\0{files[rel]}\n".encode())
            self._digest = {"algorithm": "sha256", "value": overall.hexdigest(), "files": files}
        return self._digest


# --------------------------------------------------------------------------- loading


def _yaml_line(document: str, path: list[Any]) -> int | None:
    """Best-effort 1-based line of the node at ``path`` in a YAML document."""
    try:
        node = yaml.compose(document, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == key:
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    if node is not None:
        line = node.start_mark.line + 1
    return line


def format_path(path: list[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


def _fail(file: Path, message: Text, path: list[Any] | None = None, source: str | None = None) -> ProfileError:
    where = format_path(path or [])
    if source is not None and path:
        line = _yaml_line(source, path)
        if line:
            where += f" (line {line})"
    return ProfileError(message, file=str(file), path=where if path is not None else None)


class StrictYamlLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping: plain YAML keeps
    the last one silently, and a profile would lose, say, half its PIXIT keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
                seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the constructor below reports it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"duplicate key {key!r} (first at line {first})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_profile(directory: str | Path, *, source: str = "directory") -> Profile:
    """Load and validate the profile in ``directory`` (or the profile.yaml path itself)."""
    directory = Path(directory)
    if directory.is_file():
        directory = directory.parent
    file = directory / PROFILE_FILE
    try:
        raw_text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(text("缺少 profile.yaml", "profile.yaml is missing"), file=str(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(text(f"无法读取：{exc}", f"cannot read: {exc}"), file=str(file)) from None
    try:
        raw = yaml.load(raw_text, Loader=StrictYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise ProfileError(
            text(f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}"), file=str(file), path=where
        ) from None
    if not isinstance(raw, dict):
        raise _fail(file, text("顶层必须是映射", "the top level must be a mapping"), [])

    validator = Draft202012Validator(engine_schema("profile.schema.json"))
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise _fail(
            file,
            text(f"不符合测试配置格式：{err.message}{more}", f"not a valid profile: {err.message}{more}"),
            list(err.absolute_path),
            raw_text,
        )
    return _build(raw, directory, file, raw_text, source)


def _build(raw: dict[str, Any], directory: Path, file: Path, raw_text: str, source: str) -> Profile:
    roles = tuple(Role(r["id"], as_text(r["title"])) for r in raw["roles"])
    role_ids = {r.id for r in roles}
    options = tuple(
        Option(
            o["id"], as_text(o["title"]), o["type"], tuple(o.get("choices", ())), o.get("default"),
            bool(o.get("mandatory", False)),
        )
        for o in raw.get("options", [])
    )
    option_ids = {o.id for o in options}

    def conditions(items: list[str], path: list[Any]) -> tuple[Condition, ...]:
        conds = tuple(Condition.parse(c) for c in items)
        for i, c in enumerate(conds):
            if c.option not in option_ids:
                raise _fail(
                    file,
                    text(f"未声明的选项 “{c.option}”", f"unknown option '{c.option}'"),
                    path + [i],
                    raw_text,
                )
        return conds

    seen: set[str] = set()
    requirements = []
    for i, r in enumerate(raw["requirements"]):
        if r["id"] in seen:
            raise _fail(file, text(f"重复的要求编号 “{r['id']}”", f"duplicate requirement id '{r['id']}'"),
                        ["requirements", i, "id"], raw_text)
        seen.add(r["id"])
        for j, role in enumerate(r.get("roles", [])):
            if role not in role_ids:
                raise _fail(file, text(f"未声明的角色 “{role}”", f"unknown role '{role}'"),
                            ["requirements", i, "roles", j], raw_text)
        requirements.append(
            Requirement(
                id=r["id"], clause=r["clause"], level=Level(r["level"]), text=as_text(r["text"]),
                roles=tuple(r.get("roles", ())),
                conditions=conditions(r.get("options", []), ["requirements", i, "options"]),
                group=r.get("group"), reconstructed=bool(r.get("reconstructed", False)),
                not_tested=as_text(r["not_tested"]) if r.get("not_tested") else None,
            )
        )

    bindings = []
    check_ids: set[str] = set()
    for i, b in enumerate(raw["checks"]):
        if b["id"] in check_ids:
            raise _fail(file, text(f"重复的检查编号 “{b['id']}”", f"duplicate check id '{b['id']}'"),
                        ["checks", i, "id"], raw_text)
        check_ids.add(b["id"])
        for j, req in enumerate(b["requirements"]):
            if req not in seen:
                raise _fail(file, text(f"绑定了未声明的要求 “{req}”", f"binds unknown requirement '{req}'"),
                            ["checks", i, "requirements", j], raw_text)
        bindings.append(
            Binding(
                id=b["id"], check=b["check"], requirements=tuple(b["requirements"]),
                params=dict(b.get("params", {})),
                conditions=conditions(b.get("options", []), ["checks", i, "options"]),
                description=as_text(b["description"]) if b.get("description") else None,
            )
        )

    default_role = raw.get("default_role")
    if default_role is not None and default_role not in role_ids:
        raise _fail(file, text(f"未声明的角色 “{default_role}”", f"unknown role '{default_role}'"),
                    ["default_role"], raw_text)

    for name, d in (raw.get("defects") or {}).items():
        for j, req in enumerate(d["breaks"]):
            if req not in seen:
                raise _fail(file, text(f"缺陷引用了未声明的要求 “{req}”", f"defect names unknown requirement '{req}'"),
                            ["defects", name, "breaks", j], raw_text)

    paths = raw.get("paths", {})

    def folder(key: str) -> Path | None:
        if key in paths:
            return (directory / paths[key]).resolve()
        local = directory / key
        return local.resolve() if local.is_dir() else None

    plugins = []
    for i, rel in enumerate(raw.get("plugins", [])):
        p = (directory / rel).resolve()
        if not p.is_file():
            raise _fail(file, text(f"插件文件不存在：{rel}", f"plugin file not found: {rel}"), ["plugins", i], raw_text)
        plugins.append(p)

    subjects = raw.get("subjects", {})
    split = None
    if "split" in subjects:
        namespaces = raw.get("namespaces", {})
        sp = subjects["split"]

        def clark(name: str, key: str) -> str:
            prefix, _, local = name.rpartition(":")
            if prefix and prefix not in namespaces:
                raise _fail(file, text(f"未声明的命名空间前缀 “{prefix}”", f"undeclared namespace prefix '{prefix}'"),
                            ["subjects", "split", key], raw_text)
            return f"{{{namespaces[prefix]}}}{local}" if prefix else local

        for j, bid in enumerate(sp.get("file_checks", [])):
            if bid not in check_ids:
                raise _fail(file, text(f"未知的检查编号 “{bid}”", f"unknown check id '{bid}'"),
                            ["subjects", "split", "file_checks", j], raw_text)
        split = Split(clark(sp["container"], "container"), clark(sp["item"], "item"), frozenset(sp.get("file_checks", [])))
    profile = Profile(
        id=raw["id"], version=str(raw["version"]), title=as_text(raw["title"]),
        standards=tuple(
            Standard(s["code"], as_text(s["title"]), s.get("year"), bool(s.get("public", True)), s.get("source"))
            for s in raw["standards"]
        ),
        roles=roles, options=options, requirements=tuple(requirements), bindings=tuple(bindings),
        directory=directory.resolve(), raw=raw,
        description=as_text(raw["description"]) if raw.get("description") else None,
        default_role=default_role,
        media_type=subjects.get("media_type", "xml"),
        patterns=tuple(subjects.get("patterns", ())),
        encoding=subjects.get("encoding"),
        max_bytes=subjects.get("max_bytes"),
        split=split,
        schemas_dir=folder("schemas"), fixtures_dir=folder("fixtures"),
        plugins=tuple(plugins),
        groups={g["id"]: as_text(g["title"]) for g in raw.get("groups", [])},
        defects={k: tuple(v["breaks"]) for k, v in (raw.get("defects") or {}).items()},
        pixit_keys=_pixit_keys(raw, file, raw_text),
        source=source,
    )
    _load_plugins(profile)
    _check_bindings(profile, file, raw_text)
    return profile


def _pixit_keys(raw: dict[str, Any], file: Path, raw_text: str) -> tuple[PixitKey, ...]:
    keys: list[PixitKey] = []
    seen: set[str] = set()
    for i, k in enumerate(raw.get("pixit") or []):
        if k["id"] in seen:
            raise _fail(file, text(f"重复的 PIXIT 键 “{k['id']}”", f"duplicate PIXIT key '{k['id']}'"),
                        ["pixit", i, "id"], raw_text)
        seen.add(k["id"])
        keys.append(PixitKey(id=k["id"], type=k["type"], description=as_text(k["description"]),
                             required=bool(k.get("required", False)), secret=bool(k.get("secret", False)),
                             default=k.get("default"), example=k.get("example")))
    return tuple(keys)


PLUGIN_PACKAGE = "conformance_profile_plugins"


def load_sibling(plugin_file: str | Path, name: str, *, prefix: str) -> Any:
    """Import ``<name>.py`` beside a profile plugin file, once per process.

    Profile folders are not packages, so a plugin reaches its helper modules through
    this; the module is registered as ``conformance_profile_plugins.<prefix>_<name>``
    so every plugin of the profile (and its tests) shares one instance.
    """
    modname = f"{PLUGIN_PACKAGE}.{prefix}_{name}"
    module = sys.modules.get(modname)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(modname, Path(plugin_file).with_name(f"{name}.py"))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {name}.py beside {plugin_file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[modname]
        raise
    return module


def _load_plugins(profile: Profile) -> None:
    """Import the profile's plugin files so the checks they register exist."""
    for path in profile.plugins:
        safe = re.sub(r"\W", "_", f"{profile.id}_{path.stem}")
        name = f"conformance_profile_plugins.{safe}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - guarded by is_file above
            raise ProfileError(text("无法加载插件", "cannot load plugin"), file=str(path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise ProfileError(
                text(f"插件加载失败：{exc!r}", f"plugin failed to load: {exc!r}"), file=str(path)
            ) from exc


def _check_bindings(profile: Profile, file: Path, raw_text: str) -> None:
    from .checks import get_check, known_checks

    for i, b in enumerate(profile.bindings):
        spec = get_check(b.check)
        if spec is None:
            raise _fail(
                file,
                text(
                    f"未知的检查类型 “{b.check}”；可用：{', '.join(known_checks())}",
                    f"unknown check kind '{b.check}'; available: {', '.join(known_checks())}",
                ),
                ["checks", i, "check"], raw_text,
            )
        problem = spec.validate_params(b.params)
        if problem:
            path, message = problem
            raise _fail(
                file,
                text(f"检查参数无效：{message}", f"invalid check parameters: {message}"),
                ["checks", i, "params", *path], raw_text,
            )
