"""Test sessions: who ran a run, where, on what product, and every input needed to repeat it.

A run record gets two blocks:

- ``session``: lab, operator, note (from ``--lab/--operator/--session-note`` or a
  ``session.yaml``), and vendor, product and version from the ICS;
- ``inputs``: what ``conformance rerun`` needs: the profile (id, folder, digest), the ICS,
  PIXIT, waiver and session files with their sha256, every subject file with its sha256,
  the run options (role, reference peer, defects, encoding, limits), the working folder.
  Paths are absolute. Seed and clock are in the record itself.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .i18n import text

SESSION_FIELDS = ("lab", "operator", "note")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_input(path: str | Path | None) -> dict[str, Any] | None:
    """``{path (absolute), sha256}`` of an input file, or None."""
    if path is None:
        return None
    p = Path(path).resolve()
    out: dict[str, Any] = {"path": str(p)}
    try:
        out["sha256"] = file_sha256(p)
    except OSError:
        pass
    return out


def load_session_file(path: str | Path) -> dict[str, str]:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(text("会话文件不存在", "session file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(text(f"无法读取会话文件：{exc}", f"cannot read the session file: {exc}"), file=str(path)) from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(text("会话文件顶层必须是映射", "the session file top level must be a mapping"), file=str(path))
    unknown = sorted(set(map(str, raw)) - set(SESSION_FIELDS))
    if unknown:
        raise UsageError(text(f"会话文件含未知字段：{', '.join(unknown)}（可用：lab、operator、note）",
                              f"unknown session field(s): {', '.join(unknown)} (known: lab, operator, note)"),
                         file=str(path), path=unknown[0])
    return {k: str(v) for k, v in raw.items() if v is not None}


def session_block(*, lab: str | None = None, operator: str | None = None, note: str | None = None,
                  session_file: str | Path | None = None, ics: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record's ``session``: command-line values win over the session file."""
    values: dict[str, str] = load_session_file(session_file) if session_file else {}
    for key, value in (("lab", lab), ("operator", operator), ("note", note)):
        if value:
            values[key] = value
    product = (ics or {}).get("product") or {}
    out: dict[str, Any] = {k: values[k] for k in SESSION_FIELDS if values.get(k)}
    for key, src in (("vendor", "vendor"), ("product", "name"), ("version", "version")):
        if isinstance(product, dict) and product.get(src) is not None:
            out[key] = str(product[src])
    return out


#: runs over more files than this record the paths given, not every file
MAX_LISTED_INPUTS = 10_000


def inputs_block(*, kind: str, profile: Any, profiles_dirs: Sequence[str | Path] = (), ics: str | Path | None = None,
                 pixit: str | Path | None = None, waivers: str | Path | None = None,
                 session_file: str | Path | None = None, subjects: Any = (),
                 options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record's ``inputs``: everything ``conformance rerun`` needs, with digests."""
    digest = profile.digest()
    out: dict[str, Any] = {
        "kind": kind,
        "cwd": os.getcwd(),
        "profile": {"id": profile.id, "version": profile.version, "path": str(profile.directory),
                    "source": profile.source, "sha256": digest["value"],
                    "profiles_dirs": [str(Path(d).resolve()) for d in profiles_dirs]},
    }
    for key, value in (("ics", ics), ("pixit", pixit), ("waivers", waivers), ("session", session_file)):
        block = file_input(value)
        if block is not None:
            out[key] = block
    given = getattr(subjects, "paths", None)  # a SubjectSource: the paths named on the command line
    if given is not None and len(subjects) > MAX_LISTED_INPUTS:
        # A bulk run: rerun walks the same paths again; files are not listed one by one.
        out["paths"] = [str(Path(p).resolve()) for p in given]
        out["subjects_total"] = len(subjects)
    else:
        files = []
        for s in subjects:
            if getattr(s, "path", None) is None:
                continue
            desc: dict[str, Any] = {"path": str(Path(s.path).resolve())}
            files.append(desc)
        if files:
            out["subjects"] = files
    out["options"] = {k: v for k, v in (options or {}).items() if v not in (None, (), [])}
    return out


def attach(record: dict[str, Any], session: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Add ``session`` and ``inputs`` to a record; subject digests come from the record's subjects."""
    by_path = {str(Path(s["path"]).resolve()): s.get("sha256") for s in record.get("subjects") or [] if s.get("path")}
    for item in inputs.get("subjects") or []:
        sha = by_path.get(item["path"])
        if sha:
            item["sha256"] = sha
    if isinstance(record.get("waivers"), dict) and inputs.get("waivers"):
        record["waivers"]["source"] = inputs["waivers"]["path"]
        if inputs["waivers"].get("sha256"):
            record["waivers"]["sha256"] = inputs["waivers"]["sha256"]
    record["session"] = session
    record["inputs"] = inputs
    return record


__all__ = ["attach", "file_input", "file_sha256", "inputs_block", "load_session_file", "session_block"]
