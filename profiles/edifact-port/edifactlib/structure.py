"""Message structures (segment tables) and matching a message's segments against them.

A table is data (``schemas/edifact-port/messages/<directory>/<TYPE>.yaml``): a list of
entries, each a segment ``"TAG S R"`` (status M/C, maximum repetitions) or a group
``{group: SGn, status, max, body: [...]}`` whose first entry is its trigger segment.
Matching is the usual deterministic EDIFACT reading: at each level look forward for the
segment's tag; when it is not found, the current group instance ends and the search
continues one level up; when the top level cannot take it, the segment is out of place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class Entry:
    tag: str  # segment tag, or the trigger tag of a group
    mandatory: bool
    max: int
    group: str | None = None  # "SG3" for a group entry
    body: list["Entry"] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"segment group {self.group[2:]} ({self.tag})" if self.group else self.tag

    @property
    def label_zh(self) -> str:
        return f"段组 {self.group[2:]}（{self.tag}）" if self.group else f"段 {self.tag}"


@dataclass
class Table:
    message: str
    directory: str
    body: list[Entry]
    rules: list[dict[str, Any]]
    provenance: str = ""
    tags: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class StructureError:
    requirement: str
    index: int  # 0-based index of the segment in the message (UNH = 0) where it was detected
    zh: str
    en: str
    contrl: int


def _entry(raw: Any) -> Entry:
    if isinstance(raw, str):
        tag, status, rep = raw.split()
        return Entry(tag, status == "M", int(rep))
    body = [_entry(x) for x in raw["body"]]
    return Entry(body[0].tag, raw["status"] == "M", int(raw["max"]), str(raw["group"]), body)


def _tags(entries: list[Entry]) -> set[str]:
    out: set[str] = set()
    for e in entries:
        out.add(e.tag)
        out |= _tags(e.body)
    return out


def load_table(path: Path) -> Table:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    body = [_entry(x) for x in raw["structure"]]
    return Table(str(raw["message"]), str(raw["directory"]), body, list(raw.get("rules") or []),
                 str(raw.get("provenance", "")), frozenset(_tags(body)),
                 {k: raw[k] for k in ("stowage", "equipment") if k in raw})


def load_tables(folder: Path) -> dict[tuple[str, str], Table]:
    """(directory, message type) -> table, for every YAML file under ``folder``."""
    out: dict[tuple[str, str], Table] = {}
    for p in sorted(folder.glob("*/*.yaml")):
        t = load_table(p)
        out[(t.directory, t.message)] = t
    return out


class _Frame:
    __slots__ = ("entries", "pos", "counts", "group", "start")

    def __init__(self, entries: list[Entry], group: Entry | None, start: int):
        self.entries = entries
        self.pos = 0
        self.counts = [0] * len(entries)
        self.group = group
        self.start = start


def match(tags: list[str], table: Table) -> tuple[list[StructureError], list[tuple[str, bool]]]:
    """Match the tags of one message (UNH..UNT) against ``table``.

    Returns the errors and, per segment, (group path such as "SG2/SG3", is group trigger).
    """
    errors: list[StructureError] = []
    where: list[tuple[str, bool]] = []
    stack = [_Frame(table.body, None, 0)]
    path: list[str] = []

    def close(frame: _Frame, at: int, from_pos: int) -> None:
        for k in range(from_pos, len(frame.entries)):
            e = frame.entries[k]
            if e.mandatory and frame.counts[k] == 0:
                inside = f" in {frame.group.label}" if frame.group else ""
                inside_zh = f"（在{frame.group.label_zh}中）" if frame.group else ""
                errors.append(StructureError(
                    "EDI-STR-2", at, f"缺少必备的{e.label_zh}{inside_zh}", f"mandatory {e.label}{inside} is missing",
                    13 if not e.group else 13,
                ))

    for i, tag in enumerate(tags):
        while True:
            fr = stack[-1]
            lo = max(fr.pos, 1) if fr.group is not None else fr.pos
            found = -1
            for k in range(lo, len(fr.entries)):
                if fr.entries[k].tag == tag:
                    found = k
                    break
            if found >= 0:
                # mandatory entries jumped over are missing
                for k in range(fr.pos, found):
                    e = fr.entries[k]
                    if e.mandatory and fr.counts[k] == 0 and not (fr.group is not None and k == 0):
                        inside = f" in {fr.group.label}" if fr.group else ""
                        inside_zh = f"（在{fr.group.label_zh}中）" if fr.group else ""
                        errors.append(StructureError(
                            "EDI-STR-2", i, f"缺少必备的{e.label_zh}{inside_zh}（在 {tag} 之前）",
                            f"mandatory {e.label}{inside} is missing before {tag}", 13,
                        ))
                e = fr.entries[found]
                fr.pos = found
                fr.counts[found] += 1
                if fr.counts[found] == e.max + 1:
                    inside = f" in one {fr.group.label}" if fr.group else ""
                    errors.append(StructureError(
                        "EDI-STR-3", i,
                        f"{e.label_zh}重复次数超过上限 {e.max}",
                        f"{e.label} repeats more than its maximum of {e.max}{inside}",
                        36 if e.group else 35,
                    ))
                if e.group:
                    child = _Frame(e.body, e, i)
                    child.counts[0] = 1
                    stack.append(child)
                    path.append(e.group)
                    where.append(("/".join(path), True))
                else:
                    where.append(("/".join(path), False))
                break
            if len(stack) == 1:
                known = tag in table.tags
                errors.append(StructureError(
                    "EDI-STR-1", i,
                    f"段 {tag} 不能出现在此位置（{table.directory} {table.message} 段表）" if known
                    else f"段 {tag} 不属于 {table.directory} {table.message} 报文",
                    f"segment {tag} is not allowed at this position by the {table.directory} {table.message} segment table"
                    if known else f"segment {tag} is not part of the {table.directory} {table.message} message",
                    15,
                ))
                where.append(("", False))
                break
            close(fr, i, fr.pos + 1)
            stack.pop()
            path.pop()
    end = max(len(tags) - 1, 0)
    while stack:
        fr = stack.pop()
        close(fr, end, fr.pos + 1 if fr.counts[fr.pos] else fr.pos)
        if path:
            path.pop()
    return errors, where
