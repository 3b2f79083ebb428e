"""Generic JSON checks: well-formedness and JSON Schema (draft 2020-12 and older drafts)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlparse

from jsonschema import validators
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from ..findings import Finding, Location
from ..i18n import text
from ..subject import SubjectError
from ..verdicts import Verdict
from . import register_check
from .call import CheckCall, FastTest, RunContext, parsed_is_enough, process_cached, resolve_in
from .display import cap_message
from .jsonpos import line_col, pointer_offset, to_pointer
from .routing import ROUTES_SCHEMA, route

if TYPE_CHECKING:
    from ..profile import Binding

DRAFTS = {
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "7": "http://json-schema.org/draft-07/schema#",
    "6": "http://json-schema.org/draft-06/schema#",
    "4": "http://json-schema.org/draft-04/schema#",
    "3": "http://json-schema.org/draft-03/schema#",
}


def _fast_wellformed(binding: Binding, _context: RunContext) -> FastTest | None:
    # what the schema lane parsed is well-formed; duplicate keys need the careful parse
    return None if binding.params.get("forbid_duplicate_keys") else parsed_is_enough


@register_check(
    "json-wellformed",
    fast=_fast_wellformed,
    media_types=("json",),
    parse_error_verdict=Verdict.FAIL,
    description=text("JSON 格式良好", "JSON is well-formed"),
    params={
        "type": "object",
        "additionalProperties": False,
        "properties": {"forbid_duplicate_keys": {"type": "boolean"}},
    },
)
def json_wellformed(call: CheckCall) -> Iterator[Finding]:
    call.subject.json()
    dups = getattr(call.subject, "json_duplicate_keys", [])
    if call.params.get("forbid_duplicate_keys") and dups:
        # Keys are payload text: a lone surrogate ("\ud800") cannot be printed or written
        # as UTF-8, so it is shown as its escape.
        keys = sorted({k.encode("utf-8", "backslashreplace").decode("utf-8") for k in dups})
        yield call.fail(
            text(f"JSON 对象含有重复的键：{', '.join(keys)}", f"JSON object has duplicate keys: {', '.join(keys)}"),
            evidence={"keys": keys},
        )


def _local_registry(base: Path) -> Registry:
    """Resolve $ref to files beside the schema only; never fetch from the network."""
    base_uri = base.parent.resolve().as_uri() + "/"

    def retrieve(uri: str) -> Resource:
        parsed = urlparse(urljoin(base_uri, uri))
        if parsed.scheme != "file":
            raise NoSuchResource(ref=uri)
        path = Path(parsed.path)
        try:
            path.resolve().relative_to(base.parent.resolve())
        except ValueError:
            raise NoSuchResource(ref=uri) from None
        return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")))

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def compile_json_schema(path: Path, draft: str | None) -> Any:
    schema = json.loads(path.read_text(encoding="utf-8"))
    if draft:
        cls = validators.validator_for({"$schema": DRAFTS[draft]})
    else:
        cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    cls.check_schema(schema)
    schema = dict(schema)
    schema.setdefault("$id", path.resolve().as_uri())
    return cls(schema, registry=_local_registry(path), format_checker=cls.FORMAT_CHECKER)


# jsonschema-rs validator classes by draft (draft 3 has none: the reference decides alone).
_FAST_CLASSES = {"2020-12": "Draft202012Validator", "2019-09": "Draft201909Validator", "7": "Draft7Validator",
                 "6": "Draft6Validator", "4": "Draft4Validator"}
FAST_ENV = "CONFORMANCE_JSON_VALIDATOR"  # "reference" turns the fast validator off


def _draft_of(schema: dict[str, Any], draft: str | None) -> str:
    if draft:
        return draft
    uri = str(schema.get("$schema", DRAFTS["2020-12"])).rstrip("#")
    for name, known in DRAFTS.items():
        if known.rstrip("#") == uri:
            return name
    return "2020-12"


def compile_fast_validator(path: Path, draft: str | None) -> Any:
    """A jsonschema-rs validator for the same schema, or None where it cannot stand in.

    The fast validator only decides valid/invalid; every failure is explained by the
    reference validator (python-jsonschema), which also has the last word: the fast
    one is trusted only when it says valid (a test asserts both agree on every fixture).
    """
    if os.environ.get(FAST_ENV, "").lower() == "reference":
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    name = _FAST_CLASSES.get(_draft_of(schema, draft))
    if name is None:
        return None
    root = path.parent.resolve()

    def retriever(uri: str) -> Any:
        parsed = urlparse(uri)
        target = Path(parsed.path).resolve()
        if parsed.scheme != "file" or root not in target.parents:
            raise ValueError(f"reference {uri} is not a local file beside the schema")
        return json.loads(target.read_text(encoding="utf-8"))

    try:
        return getattr(jsonschema_rs, name)(schema, validate_formats=True, retriever=retriever,
                                            base_uri=path.resolve().as_uri())
    except Exception:  # a schema the fast validator cannot compile: the reference decides alone
        return None


def _fast_jsonschema(binding: Binding, context: RunContext) -> FastTest | None:
    """The schema lane's form of the check: the fast validator's "valid" (the reference
    validator's where there is no fast one), which the check also trusts. jsonschema-rs
    decides alike on a plain fraction as float or Decimal (a property test says so);
    python-jsonschema does not (1.0 is an integer, Decimal("1.0") is not)."""
    p = binding.params
    path = resolve_in(context.profile, p["schema"])
    try:
        validator = process_cached(("jsonschema", str(path), p.get("draft")),
                                   lambda: compile_json_schema(path, p.get("draft")))
    except Exception:  # the check itself reports it
        return None
    fast = process_cached(("jsonschema-rs", str(path), p.get("draft")),
                          lambda: compile_fast_validator(path, p.get("draft")))
    if fast is not None:
        return FastTest(fast.is_valid, floats=True)
    return FastTest(validator.is_valid)


@register_check(
    "jsonschema",
    fast=_fast_jsonschema,
    media_types=("json",),
    description=text("JSON Schema 校验", "JSON Schema validation"),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["schema"],
        "properties": {
            "schema": {"type": "string"},
            "draft": {"enum": sorted(DRAFTS)},
            "routes": ROUTES_SCHEMA,
            "max_errors": {"type": "integer", "minimum": 1},
        },
    },
)
def jsonschema_check(call: CheckCall) -> Iterator[Finding]:
    """Each error goes to the requirement its subschema names with ``x-requirement``,
    else the first matching route, else the binding's first requirement."""
    p = call.params
    path = call.resolve(p["schema"])
    instance = call.subject.json()
    try:
        validator = call.cached(("jsonschema", str(path), p.get("draft")),
                                lambda: compile_json_schema(path, p.get("draft")))
    except Exception as exc:  # unreadable file, bad JSON, invalid schema
        yield call.error(text(f"无法加载 JSON Schema {p['schema']}：{exc}", f"cannot load JSON Schema {p['schema']}: {exc}"))
        return
    fast = call.cached(("jsonschema-rs", str(path), p.get("draft")),
                       lambda: compile_fast_validator(path, p.get("draft")))
    if fast is not None:
        try:
            if fast.is_valid(instance):
                return  # valid: every bound requirement passes implicitly
        except Exception:
            pass  # e.g. a value type it does not take: let the reference decide
    src: str | None = None
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(x) for x in e.absolute_path])
    except RecursionError:  # a recursive schema over a deep (but allowed) document
        raise SubjectError(
            text("JSON 嵌套过深，模式校验器无法处理", "JSON nesting is too deep for the schema validator"),
            Location(file=call.subject.name), limit=True,
        ) from None
    except Unresolvable as exc:  # $ref to the network or outside the schema folder: refused
        yield call.error(text(
            f"无法解析 JSON Schema 引用 {exc.ref!r}（只允许模式目录内的本地文件）",
            f"cannot resolve JSON Schema reference {exc.ref!r} (only local files beside the schema are allowed)",
        ), evidence={"schema": p["schema"], "ref": str(exc.ref)})
        return
    for n, err in enumerate(errors):
        if n >= p.get("max_errors", 50):
            break
        tokens = list(err.absolute_path)
        pointer = to_pointer(tokens)
        req = None
        if isinstance(err.schema, dict):
            req = err.schema.get("x-requirement")
        if req not in call.binding.requirements:
            req = route(p.get("routes"), call.requirement, path=pointer, message=err.message, keyword=str(err.validator))
        if req not in call.applicable:
            continue
        loc = Location(file=call.subject.name, pointer=pointer)
        try:
            if src is None:
                src = call.subject.text()
            off = pointer_offset(src, tokens)
            if off is not None:
                loc.line, loc.column = line_col(src, off)
        except (SubjectError, ValueError):
            pass
        shown = cap_message(err.message)  # the message embeds the instance, which may be huge
        yield call.fail(
            text(f"JSON Schema 校验错误（{err.validator}）：{shown}", f"JSON Schema error ({err.validator}): {shown}"),
            requirement=req, location=loc,
            evidence={"keyword": str(err.validator), "schema_path": "/".join(map(str, err.absolute_schema_path))},
        )
