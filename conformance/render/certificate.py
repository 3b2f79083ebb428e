"""A printable conformance certificate (self-contained HTML) from a run record.

It summarises what a lab attests: profile and standards, product, lab and operator,
verdicts per requirement group, conformant or not, the record's digest and the status
of its signature. The run record stays the authoritative document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..i18n import as_text, text
from . import STATUS_TEXT, VERDICT_TEXT, VERDICTS, check_lang, is_gating, run_status, xml_safe
from .html import _environment

TEMPLATE = "certificate.html.j2"


def build_certificate_context(record: Mapping[str, Any], *, lang: str = "en",
                              signature: Mapping[str, Any] | None = None) -> dict[str, Any]:
    from ..signing import record_digest

    profile = record.get("profile") or {}
    ics = record.get("ics") or {}
    product = ics.get("product") if isinstance(ics.get("product"), Mapping) else {}
    session = record.get("session") or {}
    titles = {str(k): as_text(v) for k, v in (profile.get("groups") or {}).items()}
    groups: dict[str, dict[str, Any]] = {}
    for req in record.get("requirements") or []:
        gid = str(req.get("group") or "")
        g = groups.setdefault(gid, {"id": gid, "title": titles.get(gid) or (as_text(gid) if gid else text("其他", "Other")),
                                     "counts": {v: 0 for v in VERDICTS}, "gating": [], "waived": 0, "total": 0})
        verdict = str(req.get("verdict"))
        g["counts"][verdict] = g["counts"].get(verdict, 0) + 1
        g["total"] += 1
        if req.get("waived"):
            g["waived"] += 1
        if is_gating(req):
            g["gating"].append(str(req.get("id")))
    rows = []
    for g in groups.values():
        g["met"] = not g["gating"]
        rows.append(g)
    status = run_status(record)
    sig = dict(signature or {})
    return {
        "lang": lang,
        "status": status,
        "status_text": STATUS_TEXT[status],
        "profile": {"id": str(profile.get("id", "")), "version": str(profile.get("version", "")),
                    "title": as_text(profile.get("title")),
                    "digest": str((profile.get("digest") or {}).get("value", ""))},
        "standards": [{"code": str(s.get("code", "")), "title": as_text(s.get("title")) if s.get("title") else None,
                       "year": str(s.get("year") or "")} for s in profile.get("standards") or [] if isinstance(s, Mapping)],
        "product": {"name": str((product or {}).get("name", "") or session.get("product", "")),
                    "version": str((product or {}).get("version", "") or session.get("version", "")),
                    "vendor": str((product or {}).get("vendor", "") or session.get("vendor", ""))},
        "role": str(ics.get("role") or ""),
        "lab": str(session.get("lab", "")),
        "operator": str(session.get("operator", "")),
        "note": str(session.get("note", "")),
        "run_id": str(record.get("run_id", "")),
        "kind": str(record.get("kind", "")),
        "started_at": str(record.get("started_at", "")).replace("T", " ", 1),
        "tool": f"{(record.get('tool') or {}).get('name', '')} {(record.get('tool') or {}).get('version', '')}".strip(),
        "groups": rows,
        "verdicts": [{"key": v, "text": VERDICT_TEXT[v]} for v in VERDICTS],
        "record_sha256": record_digest(dict(record)),
        "complete": bool(record.get("complete", True)),
        "waived": [str(r.get("id")) for r in record.get("requirements") or [] if r.get("waived")],
        "signature": {
            "status": str(sig.get("status", "unsigned")),
            "key_id": str(sig.get("key_id", "")),
            "signer": str(sig.get("signer", "")),
            "signed_at": str(sig.get("signed_at", "")),
            "alg": str(sig.get("alg", "")),
            "pinned": bool(sig.get("pinned", False)),
        },
    }


def render_certificate(record: Mapping[str, Any], *, lang: str = "en", signature: Mapping[str, Any] | None = None) -> str:
    check_lang(lang)
    context = build_certificate_context(record, lang=lang, signature=signature)
    return xml_safe(_environment().get_template(TEMPLATE).render(**context))


__all__ = ["build_certificate_context", "render_certificate"]
