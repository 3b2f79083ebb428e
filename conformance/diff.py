"""Compare two run records: regressions, fixes and new failing findings.

A requirement *regresses* when its verdict gets worse (order not_applicable < pass <
inconclusive < error < fail) to a non-passing verdict that is not waived in the new run;
it is *fixed* when a non-passing (or waived) verdict becomes pass. A *new failing
finding* is a fail or error finding of the new run with no equal in the old one
(same requirement, verdict, subject name, location and message), on a requirement that
is not waived; it counts as a regression too, even when the requirement was already
failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .i18n import pick

ORDER = {"not_applicable": 0, "pass": 1, "inconclusive": 2, "error": 3, "fail": 4}
BAD = ("fail", "error", "inconclusive")


def _finding_key(f: Mapping[str, Any], names: Mapping[Any, str]) -> tuple[Any, ...]:
    loc = f.get("location") or {}
    message = f.get("message") or {}
    return (
        f.get("requirement"), f.get("verdict"), names.get(f.get("subject"), ""),
        tuple(sorted((k, str(v)) for k, v in loc.items() if k != "exchange")),
        pick(message, "en") if message else "",
    )


def diff_records(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Regressions, fixes, changes and new failing findings between two records."""
    old_req = {r["id"]: r for r in old.get("requirements") or []}
    new_req = {r["id"]: r for r in new.get("requirements") or []}
    old_names = {s.get("index"): str(s.get("name", "")) for s in old.get("subjects") or []}
    new_names = {s.get("index"): str(s.get("name", "")) for s in new.get("subjects") or []}
    regressions, fixes, changed, new_findings = [], [], [], []
    for rid, b in new_req.items():
        a = old_req.get(rid)
        va, vb = (a or {}).get("verdict"), b.get("verdict")
        wa, wb = bool((a or {}).get("waived")), bool(b.get("waived"))
        row = {"requirement": rid, "level": b.get("level"), "clause": b.get("clause"), "old": va, "new": vb,
               "old_waived": wa, "new_waived": wb}
        if a is None:
            if vb in BAD and not wb:
                regressions.append({**row, "why": "new requirement not met"})
            continue
        worse = ORDER.get(str(vb), 0) > ORDER.get(str(va), 0)
        if vb in BAD and not wb and (worse or wa):
            regressions.append({**row, "why": "waiver ended" if (wa and not worse) else "verdict worse"})
        elif vb == "pass" and (va in BAD):
            fixes.append(row)
        elif va != vb or wa != wb:
            changed.append(row)
        if vb in BAD and not wb:
            before = {_finding_key(f, old_names) for f in (a.get("findings") or [])}
            for f in b.get("findings") or []:
                if f.get("verdict") in ("fail", "error") and _finding_key(f, new_names) not in before:
                    new_findings.append({"requirement": rid, "verdict": f.get("verdict"),
                                         "subject": new_names.get(f.get("subject"), ""),
                                         "location": f.get("location") or {}, "message": f.get("message")})
    removed = [rid for rid in old_req if rid not in new_req]
    old_p, new_p = old.get("profile") or {}, new.get("profile") or {}
    return {
        "old": {"run_id": old.get("run_id"), "profile": f"{old_p.get('id')} {old_p.get('version')}",
                "exit_code": (old.get("summary") or {}).get("exit_code")},
        "new": {"run_id": new.get("run_id"), "profile": f"{new_p.get('id')} {new_p.get('version')}",
                "exit_code": (new.get("summary") or {}).get("exit_code")},
        "same_profile": old_p.get("id") == new_p.get("id"),
        "regressions": regressions,
        "new_failing_findings": new_findings,
        "fixes": fixes,
        "changed": changed,
        "removed": removed,
        "regressed": bool(regressions or new_findings),
    }


__all__ = ["diff_records"]
