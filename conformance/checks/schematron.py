"""ISO Schematron rules, compiled once per process through lxml.isoschematron."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree, isoschematron

from ..findings import Finding
from ..i18n import as_text, text
from ..subject import safe_xml_parser
from . import register_check
from .call import CheckCall
from .display import cap_message

SVRL = "http://purl.oclc.org/dsdl/svrl"


def compile_schematron(path: Path, phase: str | None) -> isoschematron.Schematron:
    doc = etree.parse(str(path), safe_xml_parser())
    return isoschematron.Schematron(doc, store_report=True, phase=phase)


@register_check(
    "schematron",
    media_types=("xml",),
    description=text("ISO Schematron 规则", "ISO Schematron rules"),
    params={
        "type": "object",
        "additionalProperties": False,
        "required": ["schema"],
        "properties": {
            "schema": {"type": "string"},
            "phase": {"type": "string"},
            "routes": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "assert/report @id -> requirement id"},
            "messages": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["zh", "en"],
                "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}}},
            "namespaces": {"type": "object"},
        },
    },
)
def schematron_check(call: CheckCall) -> Iterator[Finding]:
    """A failed assert or a fired report is a fail of the requirement its @id names.

    An assert's ``id`` may be a requirement id of the binding itself, or be mapped
    with ``routes``; otherwise the finding goes to the binding's first requirement.
    """
    p = call.params
    path = call.resolve(p["schema"])
    tree = call.subject.xml()
    try:
        schema = call.cached(("schematron", str(path), p.get("phase")),
                             lambda: compile_schematron(path, p.get("phase")))
    except (OSError, etree.XMLSyntaxError, etree.SchematronParseError, etree.XSLTError) as exc:
        yield call.error(text(f"无法加载 Schematron {p['schema']}：{exc}", f"cannot load Schematron {p['schema']}: {exc}"))
        return
    schema.validate(tree)
    report = schema.validation_report
    if report is None:
        yield call.error(text("Schematron 未生成报告", "Schematron produced no report"))
        return
    routes: dict[str, str] = p.get("routes", {})
    messages: dict[str, Any] = p.get("messages", {})
    for node in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        rule_id = node.get("id")
        req = call.requirement
        if rule_id:
            req = routes.get(rule_id, rule_id if rule_id in call.binding.requirements else call.requirement)
        if req not in call.applicable:
            continue
        svrl_text = cap_message(" ".join("".join(node.findtext(f"{{{SVRL}}}text") or "").split()))
        msg = as_text(messages[rule_id]) if rule_id in messages else text(svrl_text, svrl_text)
        location_xpath = node.get("location")
        target = None
        if location_xpath:
            try:
                found = tree.xpath(location_xpath)
                target = found[0] if isinstance(found, list) and found else None
            except etree.XPathError:
                target = None
        location = call.locate(target) if target is not None else None
        yield call.fail(msg, requirement=req, location=location,
                        evidence={"rule": rule_id, "test": node.get("test"), "text": svrl_text})
