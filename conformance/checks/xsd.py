"""XML Schema validation: XSD 1.0 through lxml (fast), XSD 1.1 through xmlschema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..findings import Finding, Location
from ..i18n import text
from ..subject import SubjectError, safe_xml_parser
from . import register_check
from .call import CheckCall, RunContext, process_cached, resolve_in
from .display import cap_message
from .routing import ROUTES_SCHEMA, route

if TYPE_CHECKING:
    from ..profile import Binding


class SchemaLoadError(Exception):
    pass


def compile_lxml_schema(path: Path) -> etree.XMLSchema:
    """Compile once per process. Imports resolve from local files only (no network)."""
    try:
        doc = etree.parse(str(path), safe_xml_parser())
        return etree.XMLSchema(doc)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaLoadError(str(exc)) from exc


def compile_xmlschema(path: Path, version: str) -> Any:
    import xmlschema

    cls = xmlschema.XMLSchema11 if version == "1.1" else xmlschema.XMLSchema10
    try:
        # "local" allows imports from local files only; nothing is fetched over the network.
        return cls(str(path), allow="local", defuse="always")
    except (OSError, xmlschema.XMLSchemaException) as exc:
        raise SchemaLoadError(str(exc)) from exc


def _engine(params: dict[str, Any]) -> str:
    """The validator a binding asks for: lxml for XSD 1.0 unless told otherwise."""
    return str(params.get("engine", "lxml" if params.get("version", "1.0") == "1.0" else "xmlschema"))


def _fast_xsd(binding: Binding, context: RunContext) -> Callable[[Any], bool] | None:
    """The schema lane's form of the check: lxml's verdict alone. (The lane gives it
    documents without a DOCTYPE, so without the entity references the check refuses.)"""
    p = binding.params
    if _engine(p) != "lxml":
        return None
    path = resolve_in(context.profile, p["schema"])
    try:
        schema = process_cached(("xsd-lxml", str(path)), lambda: compile_lxml_schema(path))
    except (SchemaLoadError, OSError):
        return None  # the check itself reports it
    return schema.validate  # type: ignore[no-any-return]


@register_check(
    "xsd",
    fast=_fast_xsd,
    media_types=("xml",),
    description=text("XML 模式（XSD）校验", "XML Schema (XSD) validation"),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["schema"],
        "properties": {
            "schema": {"type": "string"},
            "version": {"enum": ["1.0", "1.1"]},
            "engine": {"enum": ["lxml", "xmlschema"]},
            "routes": ROUTES_SCHEMA,
            "max_errors": {"type": "integer", "minimum": 1},
            "namespaces": {"type": "object"},
        },
    },
)
def xsd_check(call: CheckCall) -> Iterator[Finding]:
    p = call.params
    version = p.get("version", "1.0")
    engine = _engine(p)
    path = call.resolve(p["schema"])
    tree = call.subject.xml()
    # The safe parser leaves entity references unexpanded: the content they stand for is
    # unknown, so the document cannot be judged (lxml would raise an internal error).
    entity = next(tree.iter(etree.Entity), None)
    if entity is not None:
        raise SubjectError(
            text(f"文档含有未展开的实体引用 {entity.text}（安全解析器不展开实体），无法按模式校验",
                 f"the document contains the entity reference {entity.text}, which the safe parser does not "
                 "expand; it cannot be validated against the schema"),
            Location(file=call.subject.name, line=entity.sourceline),
        )
    max_errors = p.get("max_errors", 50)
    try:
        if engine == "lxml":
            schema = call.cached(("xsd-lxml", str(path)), lambda: compile_lxml_schema(path))
            errors = _lxml_errors(call, schema, tree)
        else:
            schema = call.cached(("xsd-xmlschema", str(path), version),
                                 lambda: compile_xmlschema(path, version))
            errors = _xmlschema_errors(call, schema, tree)
    except (SchemaLoadError, OSError) as exc:
        yield call.error(text(f"无法加载 XML 模式 {p['schema']}：{exc}", f"cannot load XML Schema {p['schema']}: {exc}"))
        return
    for n, (message, location, evidence) in enumerate(errors):
        if n >= max_errors:
            break
        req = route(p.get("routes"), call.requirement, path=location.xpath, message=message)
        if req not in call.applicable:
            continue
        message = cap_message(message)  # libxml2 quotes the offending value, however long
        yield call.fail(
            text(f"XML 模式校验错误：{message}", f"XML Schema error: {message}"),
            requirement=req, location=location, evidence=evidence,
        )


def _lxml_errors(call: CheckCall, schema: etree.XMLSchema, tree: Any) -> list[tuple[str, Location, Any]]:
    if schema.validate(tree):
        return []
    out = []
    # libxml2 writes error paths with the document's own prefixes; bind them for lookup.
    doc_ns = {k: v for k, v in (tree.getroot().nsmap or {}).items() if k}
    lookup_ns = {**call.namespaces, **doc_ns}
    for entry in schema.error_log:
        xpath = None
        if entry.path:
            try:
                nodes = tree.xpath(entry.path, namespaces=lookup_ns)
                if nodes:
                    xpath = call.locate(nodes[0]).xpath
            except etree.XPathError:
                xpath = entry.path
        out.append((entry.message, Location(file=call.subject.name, line=entry.line or None, column=entry.column or None, xpath=xpath),
                    {"validator": "lxml", "type": entry.type_name}))
    return out


def _xmlschema_errors(call: CheckCall, schema: Any, tree: Any) -> list[tuple[str, Location, Any]]:
    out = []
    for err in schema.iter_errors(tree):
        elem = getattr(err, "elem", None)
        line = getattr(elem, "sourceline", None) if elem is not None else None
        xpath = call.locate(elem).xpath if isinstance(elem, etree._Element) else getattr(err, "path", None)
        message = err.reason or err.message
        out.append((message, Location(file=call.subject.name, line=line, xpath=xpath),
                    {"validator": "xmlschema", "particle": str(getattr(err, "validator", ""))[:200]}))
    return out
