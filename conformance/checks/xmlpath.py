"""Readable XPaths and locations for XML nodes."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..findings import Location


def element_xpath(node: Any, namespaces: dict[str, str] | None = None) -> str:
    """``/dx:root[1]/dx:header[1]/dx:MessageID[1]`` using the profile's prefixes."""
    prefixes = {uri: prefix for prefix, uri in (namespaces or {}).items() if prefix and prefix != "re"}
    attr = None
    if isinstance(node, etree._ElementUnicodeResult) or isinstance(node, str):
        parent = node.getparent() if hasattr(node, "getparent") else None
        if parent is None:
            return ""
        if getattr(node, "is_attribute", False):
            attr = node.attrname
        node = parent
    steps = []
    el = node
    while el is not None and isinstance(el, etree._Element):
        if not isinstance(el.tag, str):  # comment or PI
            steps.append("node()")
            el = el.getparent()
            continue
        qn = etree.QName(el)
        if qn.namespace:
            prefix = prefixes.get(qn.namespace)
            name = f"{prefix}:{qn.localname}" if prefix else f"*[local-name()='{qn.localname}']"
        else:
            name = qn.localname
        parent = el.getparent()
        if parent is None:
            steps.append(f"{name}")
        else:
            pos = 1 + sum(1 for sib in el.itersiblings(preceding=True) if sib.tag == el.tag)
            steps.append(f"{name}[{pos}]")
        el = parent
    path = "/" + "/".join(reversed(steps))
    if attr:
        aq = etree.QName(attr)
        if aq.namespace:
            prefix = prefixes.get(aq.namespace)
            path += f"/@{prefix}:{aq.localname}" if prefix else f"/@*[local-name()='{aq.localname}']"
        else:
            path += f"/@{aq.localname}"
    return path


def element_location(
    node: Any, file: str, namespaces: dict[str, str] | None = None, xpath_root: str | None = None
) -> Location:
    """Line and XPath of a node; ``xpath_root`` replaces the first step for an item of a batch file."""
    line = None
    target = node
    if not isinstance(target, etree._Element) and hasattr(target, "getparent"):
        target = target.getparent()
    if isinstance(target, etree._Element):
        line = target.sourceline
    xpath = element_xpath(node, namespaces) or None
    if xpath and xpath_root:
        rest = xpath[1:].partition("/")[2]
        xpath = xpath_root + ("/" + rest if rest else "")
    return Location(file=file, line=line, xpath=xpath)
