"""Waivers: approved, dated exceptions that stop a known failure from gating CI.

A waiver file is YAML, a list (or ``{waivers: [...]}``) of::

    - requirement: DX-6.2b
      reason: vendor fixes MessageID generation in 2.4 (ticket 123)
      expires: 2026-06-30
      approver: Li Lei (lab QA)
      subject: "legacy/*.xml"      # optional glob on the subject name

A listed requirement whose verdict is fail, error or inconclusive becomes
``waived: true`` (its findings keep their verdict and gain ``waiver: {...}``), so it no
longer gates. A waiver past its expiry date does nothing but mark the findings with
``waiver: {..., expired: true}``: the requirement gates again and is reported as expired.
With ``subject`` the waiver covers only findings on matching subjects; the requirement is
waived only when every non-passing finding is covered.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .i18n import Text, as_text, text

BLOCKING = ("fail", "error", "inconclusive")
_FIELDS = {"requirement", "reason", "expires", "approver", "subject"}


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: Text
    expires: date
    approver: str
    subject: str | None = None

    def active(self, today: date) -> bool:
        return today <= self.expires

    def covers(self, subject_name: str | None) -> bool:
        if self.subject is None:
            return True
        return subject_name is not None and fnmatch.fnmatchcase(subject_name, self.subject)

    def to_dict(self, today: date | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"requirement": self.requirement, "reason": dict(self.reason),
                               "expires": self.expires.isoformat(), "approver": self.approver}
        if self.subject is not None:
            out["subject"] = self.subject
        if today is not None and not self.active(today):
            out["expired"] = True
        return out


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_waivers(raw: Any, *, source: str = "<waivers>", requirement_ids: set[str] | None = None) -> list[Waiver]:
    """Waivers from parsed YAML; refuses (naming the entry and field) anything malformed."""
    if isinstance(raw, dict) and "waivers" in raw:
        raw = raw["waivers"]
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise UsageError(text("豁免文件应为列表（或含 waivers 列表的映射）", "a waiver file is a list (or a mapping with a waivers list)"),
                         file=source)
    out = []
    for i, item in enumerate(raw):
        where = f"[{i}]"
        if not isinstance(item, dict):
            raise UsageError(text("每条豁免应为映射", "each waiver is a mapping"), file=source, path=where)
        unknown = sorted(set(map(str, item)) - _FIELDS)
        if unknown:
            raise UsageError(text(f"未知的豁免字段：{', '.join(unknown)}", f"unknown waiver field(s): {', '.join(unknown)}"),
                             file=source, path=where)
        missing = [f for f in ("requirement", "reason", "expires", "approver") if not item.get(f)]
        if missing:
            raise UsageError(text(f"豁免缺少字段：{', '.join(missing)}", f"the waiver misses field(s): {', '.join(missing)}"),
                             file=source, path=where)
        req = str(item["requirement"])
        if requirement_ids is not None and req not in requirement_ids:
            raise UsageError(text(f"测试配置没有要求 “{req}”", f"the profile has no requirement '{req}'"),
                             file=source, path=f"{where}.requirement")
        expires = _date(item["expires"])
        if expires is None:
            raise UsageError(text(f"expires 不是日期（YYYY-MM-DD）：{item['expires']!r}",
                                  f"expires is not a date (YYYY-MM-DD): {item['expires']!r}"),
                             file=source, path=f"{where}.expires")
        subject = item.get("subject")
        out.append(Waiver(req, as_text(item["reason"]), expires, str(item["approver"]),
                          str(subject) if subject is not None else None))
    return out


def load_waivers(path: str | Path, *, requirement_ids: set[str] | None = None) -> list[Waiver]:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(text("豁免文件不存在", "waiver file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(text(f"无法读取豁免文件：{exc}", f"cannot read the waiver file: {exc}"), file=str(path)) from None
    return parse_waivers(raw, source=str(path), requirement_ids=requirement_ids)


def match(waivers: list[Waiver], requirement: str, subject_name: str | None, today: date) -> tuple[Waiver | None, Waiver | None]:
    """(active waiver, expired waiver) covering one finding of ``requirement`` on ``subject_name``."""
    active = expired = None
    for w in waivers:
        if w.requirement != requirement or not w.covers(subject_name):
            continue
        if w.active(today):
            active = active or w
        else:
            expired = expired or w
    return active, expired


def apply_waivers(record: dict[str, Any], waivers: list[Waiver], *, today: date | None = None,
                  source: str | None = None) -> dict[str, Any]:
    """Mark waived requirements and findings in ``record`` (in place), recompute the summary,
    and add a ``waivers`` block (applied, expired, unused). Returns the record."""
    from .record import summarise

    today = today or date.today()
    names = {s.get("index"): str(s.get("name", "")) for s in record.get("subjects") or []}
    applied: list[str] = []
    expired_ids: list[dict[str, Any]] = []
    used: set[int] = set()
    for req in record.get("requirements") or []:
        if not req.get("applicable", True) or req.get("verdict") not in BLOCKING:
            continue
        mine = [w for w in waivers if w.requirement == req["id"]]
        if not mine:
            continue
        bad = [f for f in req.get("findings") or [] if f.get("verdict") in BLOCKING]
        covered = True
        first_active: Waiver | None = None
        first_expired: Waiver | None = None
        for f in bad:
            subject = names.get(f.get("subject")) if f.get("subject") is not None else None
            active, expired = match(mine, req["id"], subject, today)
            if active is not None:
                f["waiver"] = active.to_dict(today)
                first_active = first_active or active
                used.add(id(active))
            else:
                covered = False
                if expired is not None:
                    f["waiver"] = expired.to_dict(today)
                    first_expired = first_expired or expired
                    used.add(id(expired))
        if bad and covered and first_active is not None:
            req["waived"] = True
            req["waiver"] = first_active.to_dict(today)
            applied.append(req["id"])
        elif first_expired is not None:
            req["waived"] = False
            req["waiver"] = first_expired.to_dict(today)
            expired_ids.append(first_expired.to_dict(today))
    unused = [w.to_dict(today) for w in waivers if id(w) not in used]
    block: dict[str, Any] = {"evaluated_on": today.isoformat(), "count": len(waivers), "applied": applied,
                             "expired": expired_ids, "unused": unused}
    if source:
        block["source"] = str(source)
        try:
            block["sha256"] = hashlib.sha256(Path(source).read_bytes()).hexdigest()
        except OSError:
            pass
    record["waivers"] = block
    record["summary"] = summarise(record["requirements"], complete=bool(record.get("complete", True)))
    return record


__all__ = ["Waiver", "apply_waivers", "load_waivers", "match", "parse_waivers"]
