"""Analyse one interchange: envelope and control counts, structures, codes, containers.

The result is a list of :class:`Issue` (each names the requirement it violates, the
segment number in the file and the element position) plus the requirements that could
not be judged. It does not import the conformance engine; ``contrl.py`` turns the same
result into a CONTRL-like report.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import iso6346
from .structure import Table, load_tables, match
from .syntax import SYNTAX_IDS, UTF8_IDS, Segment, Tokens, check_repertoire, display, tokenise

PROFILE_DIR = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROFILE_DIR.parent.parent / "schemas" / "edifact-port"
SUPPORTED_TYPES = ("BAPLIE", "CODECO", "COARRI", "COPRAR")

_TABLES: dict[Path, dict[tuple[str, str], Table]] = {}


def tables(folder: Path | None = None) -> dict[tuple[str, str], Table]:
    folder = (folder or SCHEMAS_DIR / "messages").resolve()
    if folder not in _TABLES:
        _TABLES[folder] = load_tables(folder)
    return _TABLES[folder]


@dataclass
class Issue:
    requirement: str
    segment: int | None  # segment number in the file
    element: str | None  # "2.1" = data element 2, component 1 (after the tag); "tag"
    zh: str
    en: str
    contrl: int | None = None  # UN/EDIFACT syntax error code (0085), None = not a CONTRL matter
    message: int | None = None  # index of the message in the interchange (0-based)
    position: int | None = None  # position of the segment in its message (UNH = 1)
    verdict: str = "fail"


@dataclass
class MessageInfo:
    index: int
    reference: str
    type: str
    version: str
    release: str
    agency: str
    unh: int  # segment number of UNH
    unt: int | None = None
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Analysis:
    issues: list[Issue] = field(default_factory=list)
    #: requirement -> (zh, en) reason it could not be judged
    undecided: dict[str, tuple[str, str]] = field(default_factory=dict)
    messages: list[MessageInfo] = field(default_factory=list)
    interchange: dict[str, Any] = field(default_factory=dict)
    tokens: Tokens | None = None
    containers: int = 0

    def add(self, req: str, seg: Segment | int | None, element: str | None, zh: str, en: str,
            contrl: int | None = None, msg: MessageInfo | None = None) -> None:
        number = seg.number if isinstance(seg, Segment) else seg
        position = None
        if msg is not None and number is not None:
            position = number - msg.unh + 1
        self.issues.append(Issue(req, number, element, zh, en, contrl, msg.index if msg else None, position))

    def undecide(self, reqs: tuple[str, ...] | list[str], zh: str, en: str) -> None:
        for r in reqs:
            self.undecided.setdefault(r, (zh, en))


ALL_REQUIREMENTS = (
    "EDI-CHR-1", "EDI-SYN-1", "EDI-SYN-2", "EDI-UNA-1", "EDI-UNA-2", "EDI-REL-1", "EDI-LAY-1",
    "EDI-UNB-1", "EDI-UNB-2", "EDI-UNZ-1", "EDI-UNZ-2", "EDI-UNG-1", "EDI-UNH-1", "EDI-UNT-1", "EDI-UNH-2",
    "EDI-UNH-3", "EDI-SEQ-1", "EDI-MSG-1", "EDI-MSG-2", "EDI-STR-1", "EDI-STR-2", "EDI-STR-3",
    "EDI-COD-1", "EDI-DTM-1", "EDI-BAP-1", "EDI-BAP-2", "EDI-BAP-3", "EDI-CNT-1",
    "EDI-CTR-1", "EDI-CTR-2", "EDI-CTR-3", "EDI-CTR-4",
)
_MESSAGE_LEVEL = tuple(r for r in ALL_REQUIREMENTS if r.split("-")[1] in ("MSG", "STR", "COD", "DTM", "BAP", "CNT", "CTR"))

_DTM_FORMATS = {
    "101": ("%y%m%d", 6), "102": ("%Y%m%d", 8), "201": ("%y%m%d%H%M", 10), "203": ("%Y%m%d%H%M", 12),
    "204": ("%Y%m%d%H%M%S", 14), "301": ("%y%m%d%H%M", 10), "303": ("%Y%m%d%H%M", 12),
}
_DIGITS = re.compile(r"[0-9]+\Z")
_STOWAGE = re.compile(r"[0-9]{6,7}\Z")


def _valid_datetime(value: str, fmt: str, length: int) -> bool:
    if len(value) < length or not _DIGITS.match(value[:length]):
        return False
    try:
        dt.datetime.strptime(value[:length], fmt)
    except ValueError:
        return False
    rest = value[length:]
    return rest == "" or (length in (10, 12) and re.fullmatch(r"[+-]?[0-9]{2,4}|Z", rest) is not None and fmt.endswith("M"))


def analyse(data: bytes, *, claimed_types: tuple[str, ...] = SUPPORTED_TYPES,
            claimed_directories: tuple[str, ...] = ("D95B", "D00B"),
            schemas: Path | None = None) -> Analysis:
    """Analyse one interchange. Never raises on any input."""
    a = Analysis()
    if not data.strip():
        a.add("EDI-SYN-1", None, None, "文件为空，不是 EDIFACT 交换", "the file is empty: it is not an EDIFACT interchange", 32)
        a.undecide([r for r in ALL_REQUIREMENTS if r != "EDI-SYN-1"], "文件为空", "the file is empty")
        return a
    text = data.decode("latin-1")
    if not (text.startswith("UNA") or text.startswith("UNB")):
        head = data[:16]
        binary = b"\x00" in data[:4096]
        a.add("EDI-SYN-1", None, None,
              ("二进制内容，" if binary else "") + f"交换应以 UNA 或 UNB 开头，实际开头为 {head!r}",
              ("binary content; " if binary else "") + f"an interchange starts with UNA or UNB, this one with {head!r}", 33)
        a.undecide([r for r in ALL_REQUIREMENTS if r != "EDI-SYN-1"],
                   "不是 EDIFACT 交换，无法判定", "not an EDIFACT interchange: cannot be judged")
        return a
    tok = tokenise(text)
    a.tokens = tok
    for p in tok.problems:
        a.add(p.requirement, p.segment, p.element, p.zh, p.en, p.contrl)
    segs = [s for s in tok.segments if s.tag != "UNA" or s.number != 1]
    if not segs or segs[0].tag != "UNB":
        first = segs[0] if segs else None
        a.add("EDI-SYN-1", first, None, "UNA 之后应为 UNB", "the interchange does not begin with UNB (after the optional UNA)", 13)
        a.undecide([r for r in ALL_REQUIREMENTS if r not in ("EDI-SYN-1", "EDI-SYN-2", "EDI-UNA-1", "EDI-UNA-2",
                                                              "EDI-REL-1", "EDI-LAY-1")],
                   "没有 UNB，无法判定", "no UNB: cannot be judged")
        return a
    unb = segs[0]
    _check_unb(a, unb, data, tok)
    syntax_id = unb.get(1, 1)
    _envelope(a, segs, tok, claimed_types, claimed_directories, tables(schemas / "messages" if schemas else None),
              syntax_id)
    return a


def _check_unb(a: Analysis, unb: Segment, data: bytes, tok: Tokens) -> None:
    sid, ver = unb.get(1, 1), unb.get(1, 2)
    a.interchange = {"syntax": sid, "version": ver, "sender": unb.get(2, 1), "recipient": unb.get(3, 1),
                     "date": unb.get(4, 1), "time": unb.get(4, 2), "reference": unb.get(5, 1)}
    if sid not in SYNTAX_IDS or ver not in ("1", "2", "3", "4") or (sid in UTF8_IDS and ver != "4"):
        a.add("EDI-UNB-2", unb, "1.1" if sid not in SYNTAX_IDS else "1.2",
              f"语法标识“{sid}:{ver}”不受支持（UNOA–UNOK 版本 1–4，UNOW/UNOY 仅版本 4）",
              f"syntax identifier {sid}:{ver} is not supported (UNOA-UNOK with version 1-4; UNOW/UNOY with version 4)", 2)
        a.undecide(["EDI-CHR-1"], "语法标识未知，字符集无法确定", "unknown syntax identifier: the repertoire is unknown")
    else:
        bad = check_repertoire(data, sid, tok.chars)
        if bad is not None:
            off, zh, en = bad
            seg = _segment_at(tok, off)
            a.add("EDI-CHR-1", seg, None, zh, en, 21)
    missing = []
    for pos, name in ((1, "S001 syntax identifier"), (2, "S002 interchange sender"), (3, "S003 interchange recipient"),
                      (4, "S004 date/time of preparation"), (5, "0020 interchange control reference")):
        if not unb.has(pos):
            missing.append((pos, name))
    for pos, name in missing:
        a.add("EDI-UNB-1", unb, str(pos), f"UNB 缺少必备数据元 {name}", f"UNB lacks the mandatory {name}", 13)
    if unb.has(4):
        date, time = unb.get(4, 1), unb.get(4, 2)
        fmt = ("%Y%m%d", 8) if ver == "4" else ("%y%m%d", 6)
        ok = len(date) == fmt[1] and _valid_datetime(date, *fmt) and len(time) == 4 and _valid_datetime(time, "%H%M", 4)
        if not ok:
            a.add("EDI-UNB-1", unb, "4", f"UNB 日期/时间“{date}:{time}”无效（{'CCYYMMDD' if ver == '4' else 'YYMMDD'}:HHMM）",
                  f"UNB date/time {date}:{time} is not a valid {'CCYYMMDD' if ver == '4' else 'YYMMDD'}:HHMM", 12)
    ref = unb.get(5, 1)
    if unb.has(5) and (len(ref) > 14 or not ref.strip()):
        a.add("EDI-UNB-1", unb, "5", f"交换控制参考号“{ref}”应为 1–14 个字符", f"interchange control reference {ref!r} must have 1-14 characters", 39)


def _segment_at(tok: Tokens, offset: int) -> Segment | None:
    best = None
    for s in tok.segments:
        if s.offset <= offset:
            best = s
        else:
            break
    return best


def _envelope(a: Analysis, segs: list[Segment], tok: Tokens, claimed_types: tuple[str, ...],
              claimed_dirs: tuple[str, ...], tbls: dict[tuple[str, str], Table], syntax_id: str) -> None:
    unb = segs[0]
    msg: MessageInfo | None = None
    group: dict[str, Any] | None = None
    groups_used = False
    loose_messages = 0
    groups = 0
    messages_total = 0
    refs: dict[str, int] = {}
    unz: Segment | None = None
    after_unz: Segment | None = None
    for s in segs[1:]:
        tag = s.tag
        if unz is not None:
            after_unz = after_unz or s
            continue
        if tag in ("UNH", "UNG", "UNE", "UNZ") and msg is not None:
            a.add("EDI-SEQ-1", s, None, f"报文（UNH 段 {msg.unh}）未以 UNT 结束就出现了 {tag}",
                  f"{tag} before the message opened at segment {msg.unh} (UNH) was closed by UNT", 13)
            msg = None
        if tag == "UNG":
            if group is not None:
                a.add("EDI-UNG-1", s, None, "上一个功能组未以 UNE 结束", "the previous functional group was not closed by UNE", 13)
            if loose_messages:
                a.add("EDI-UNG-1", s, None, "交换中功能组与组外报文混用", "functional groups and messages outside groups are mixed", 30)
            groups_used = True
            groups += 1
            group = {"seg": s, "ref": s.get(5, 1), "count": 0}
        elif tag == "UNE":
            if group is None:
                a.add("EDI-UNG-1", s, None, "UNE 没有对应的 UNG", "UNE without a matching UNG", 33)
                continue
            if s.get(2, 1) != group["ref"]:
                a.add("EDI-UNG-1", s, "2", f"UNE 组参考号“{s.get(2, 1)}”与 UNG（段 {group['seg'].number}）的“{group['ref']}”不一致",
                      f"UNE group reference {s.get(2, 1)!r} does not match {group['ref']!r} of UNG (segment {group['seg'].number})", 28)
            if s.get(1, 1) != str(group["count"]):
                a.add("EDI-UNG-1", s, "1", f"UNE 报文数“{s.get(1, 1)}”应为组内报文数 {group['count']}",
                      f"UNE message count {s.get(1, 1)!r} does not equal the {group['count']} message(s) in the group", 29)
            group = None
        elif tag == "UNH":
            if groups_used and group is None:
                a.add("EDI-UNG-1", s, None, "使用功能组时报文应位于 UNG…UNE 之内", "with functional groups in use, a message must be inside UNG...UNE", 30)
            if not groups_used:
                loose_messages += 1
            messages_total += 1
            if group is not None:
                group["count"] += 1
            msg = MessageInfo(len(a.messages), s.get(1, 1), s.get(2, 1), s.get(2, 2), s.get(2, 3), s.get(2, 4), s.number)
            msg.segments.append(s)
            a.messages.append(msg)
            ref = msg.reference
            if ref in refs:
                a.add("EDI-UNH-2", s, "1", f"报文参考号“{ref}”与段 {refs[ref]} 的 UNH 重复",
                      f"message reference {ref!r} repeats the one of UNH at segment {refs[ref]}", 26, msg)
            else:
                refs[ref] = s.number
        elif tag == "UNT":
            if msg is None:
                a.add("EDI-SEQ-1", s, None, "UNT 没有对应的 UNH", "UNT without an open message (UNH)", 33)
                continue
            msg.segments.append(s)
            msg.unt = s.number
            if s.get(2, 1) != msg.reference:
                a.add("EDI-UNH-1", s, "2", f"UNT 报文参考号“{s.get(2, 1)}”与 UNH（段 {msg.unh}）的“{msg.reference}”不一致",
                      f"UNT message reference {s.get(2, 1)!r} does not match {msg.reference!r} of UNH (segment {msg.unh})", 28, msg)
            count = len(msg.segments)
            if s.get(1, 1) != str(count):
                a.add("EDI-UNT-1", s, "1", f"UNT 段数“{s.get(1, 1)}”应为 {count}（含 UNH 与 UNT）",
                      f"UNT segment count {s.get(1, 1)!r} does not equal the {count} segments from UNH to UNT inclusive", 29, msg)
            _message(a, msg, claimed_types, claimed_dirs, tbls, syntax_id)
            msg = None
        elif tag == "UNZ":
            unz = s
        elif tag in ("UNB", "UNA"):
            if tag == "UNB":
                a.add("EDI-SEQ-1", s, None, "一个文件只能含一个交换（第二个 UNB）", "a second UNB: one file holds one interchange", 33)
        elif msg is None:
            a.add("EDI-SEQ-1", s, None, f"段 {tag} 位于报文（UNH…UNT）之外", f"segment {tag} is outside any message (UNH...UNT)", 33)
        else:
            msg.segments.append(s)
    if after_unz is not None:
        a.add("EDI-SYN-1", after_unz, None, "UNZ 之后还有段", "segments follow UNZ", 33)
    if unz is None:
        last = segs[-1]
        open_msg = f"，报文（UNH 段 {msg.unh}）未结束" if msg is not None else ""
        open_en = f"; the message opened at segment {msg.unh} is not closed" if msg is not None else ""
        a.add("EDI-SYN-1", last, None, f"交换没有以 UNZ 结束（被截断）{open_msg}", f"the interchange does not end with UNZ (truncated){open_en}", 13)
        a.undecide(["EDI-UNZ-1", "EDI-UNZ-2"], "没有 UNZ", "there is no UNZ")
    else:
        if group is not None:
            a.add("EDI-UNG-1", unz, None, "功能组未以 UNE 结束", "the functional group was not closed by UNE", 13)
        if unz.get(2, 1) != unb.get(5, 1):
            a.add("EDI-UNZ-1", unz, "2", f"UNZ 控制参考号“{unz.get(2, 1)}”与 UNB 的“{unb.get(5, 1)}”不一致",
                  f"UNZ control reference {unz.get(2, 1)!r} does not match {unb.get(5, 1)!r} of UNB (segment {unb.number})", 28)
        want = groups if groups_used else messages_total
        if unz.get(1, 1) != str(want):
            what = ("功能组", "functional groups") if groups_used else ("报文", "messages")
            a.add("EDI-UNZ-2", unz, "1", f"UNZ 控制计数“{unz.get(1, 1)}”应为{what[0]}数 {want}",
                  f"UNZ control count {unz.get(1, 1)!r} does not equal the {want} {what[1]} of the interchange", 29)
    if not a.messages:
        a.add("EDI-SYN-1", unb, None, "交换中没有报文", "the interchange holds no message", 32)
    if not any(m.unt for m in a.messages):
        a.undecide(list(_MESSAGE_LEVEL) + ["EDI-UNH-1", "EDI-UNT-1", "EDI-UNH-2", "EDI-UNH-3"],
                   "交换中没有完整的报文", "no complete message in the interchange")


def _message(a: Analysis, msg: MessageInfo, claimed_types: tuple[str, ...], claimed_dirs: tuple[str, ...],
             tbls: dict[tuple[str, str], Table], syntax_id: str) -> None:
    unh = msg.segments[0]
    s009 = {"0065 message type": msg.type, "0052 version": msg.version, "0054 release": msg.release,
            "0051 controlling agency": msg.agency}
    bad = [k for k, v in s009.items() if not v]
    if not unh.has(1):
        bad.insert(0, "0062 message reference")
    if bad:
        a.add("EDI-UNH-3", unh, "2", f"UNH 缺少 {', '.join(bad)}", f"UNH lacks {', '.join(bad)}", 13, msg)
    elif msg.version != "D" or msg.agency != "UN" or not re.fullmatch(r"[0-9]{2}[AB]", msg.release):
        a.add("EDI-UNH-3", unh, "2", f"UNH 报文标识“{msg.type}:{msg.version}:{msg.release}:{msg.agency}”应为 类型:D:发布号:UN",
              f"UNH message identifier {msg.type}:{msg.version}:{msg.release}:{msg.agency} is not TYPE:D:release:UN", 12, msg)
    reason = ("报文类型或目录不受支持，无法判定其结构", "message type or directory not supported: its structure cannot be judged")
    if msg.type not in claimed_types:
        a.add("EDI-MSG-1", unh, "2.1",
              f"报文类型“{msg.type}”不在 ICS 声明的类型（{', '.join(claimed_types) or '无'}）之中",
              f"message type {msg.type!r} is not one the ICS claims ({', '.join(claimed_types) or 'none'})", 14, msg)
        a.undecide(list(_MESSAGE_LEVEL[2:]), *reason)
        return
    directory = f"{msg.version}{msg.release}"
    table = tbls.get((directory, msg.type))
    if directory not in claimed_dirs or table is None:
        a.add("EDI-MSG-2", unh, "2.2",
              f"目录版本“{directory}”不在 ICS 声明的目录（{', '.join(claimed_dirs)}）或本配置支持的目录之中",
              f"directory {directory!r} is not one the ICS claims ({', '.join(claimed_dirs)}) with a segment table in this profile", 2, msg)
        a.undecide(list(_MESSAGE_LEVEL[2:]), *reason)
        return
    tags = [s.tag for s in msg.segments]
    errors, where = match(tags, table)
    for e in errors:
        a.add(e.requirement, msg.segments[e.index], None, e.zh, e.en, e.contrl, msg)
    _rules(a, msg, table, where, syntax_id)


def _rules(a: Analysis, msg: MessageInfo, table: Table, where: list[tuple[str, bool]], syntax_id: str) -> None:
    raw_rules = table.rules
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for r in raw_rules:
        by_tag.setdefault(r["tag"], []).append(r)
    stowage_group = _table_attr(table, "stowage")
    equipment_group = _table_attr(table, "equipment")
    cells: dict[str, int] = {}
    containers: dict[str, int] = {}
    eqd_groups = 0
    cnt16: list[Segment] = []
    for seg, (path, trigger) in zip(msg.segments, where):
        tag = seg.tag
        for r in by_tag.get(tag, ()):
            if "group" in r and r["group"] != path:
                continue
            if r.get("trigger") and not trigger:
                continue
            el, comp = int(r["element"]), int(r.get("component", 1))
            value = seg.get(el, comp)
            if value == "" and not r.get("trigger"):
                continue  # conditional element not sent: the rule is about the value when present
            if value not in r["codes"]:
                codes = r["codes"]
                shown = ", ".join(codes[:8]) + (" ..." if len(codes) > 8 else "")
                a.add(r.get("requirement", "EDI-COD-1"), seg, f"{el}.{comp}",
                      f"{r['name']}：“{display(value, syntax_id)}”不是此处允许的代码（{shown}）",
                      f"{r['name']}: {display(value, syntax_id)!r} is not a code allowed here ({shown})", 12, msg)
        if tag == "DTM":
            _dtm(a, msg, seg)
        elif tag == "EQD":
            if path == equipment_group and trigger:
                eqd_groups += 1
            if seg.get(1, 1) == "CN":
                _container(a, msg, seg, containers)
        elif tag == "CNT" and seg.get(1, 1) == "16":
            cnt16.append(seg)
        if stowage_group and path == stowage_group and trigger and seg.get(1, 1) == "147":
            cell = seg.get(2, 1)
            if not _STOWAGE.match(cell) or (seg.get(2, 3) not in ("", "5")):
                a.add("EDI-BAP-2", seg, "2.1", f"积载位置“{cell}”应为 ISO 9711 贝-列-层数字（BBBRRTT，代码表 5）",
                      f"stowage location {cell!r} is not an ISO 9711 bay-row-tier number (BBBRRTT, code list agency 5)", None, msg)
            elif cell in cells:
                a.add("EDI-BAP-3", seg, "2.1", f"积载位置“{cell}”在段 {cells[cell]} 已出现",
                      f"stowage location {cell!r} was already used at segment {cells[cell]}", None, msg)
            else:
                cells[cell] = seg.number
    a.containers += len(containers)
    for seg in cnt16:
        if seg.get(1, 2) != str(eqd_groups):
            a.add("EDI-CNT-1", seg, "1.2", f"CNT 16（设备总数）“{seg.get(1, 2)}”应为 EQD 组数 {eqd_groups}",
                  f"CNT 16 (total number of equipment) {seg.get(1, 2)!r} does not equal the {eqd_groups} EQD group(s)", None, msg)


def _table_attr(table: Table, name: str) -> str | None:
    value = table.extra.get(name)
    return str(value) if value else None


def _dtm(a: Analysis, msg: MessageInfo, seg: Segment) -> None:
    value, fmt = seg.get(1, 2), seg.get(1, 3)
    if not value:
        return
    if fmt == "":
        fmt = "102" if len(value) == 8 else ""
    spec = _DTM_FORMATS.get(fmt)
    if spec is None:
        a.add("EDI-DTM-1", seg, "1.3", f"DTM 格式代码“{fmt}”不受支持（101、102、201、203、204、301、303）",
              f"DTM format code {fmt!r} is not one of 101, 102, 201, 203, 204, 301, 303", 12, msg)
    elif not _valid_datetime(value, *spec) or (len(value) != spec[1] and fmt not in ("301", "303")):
        a.add("EDI-DTM-1", seg, "1.2", f"DTM 值“{value}”不符合格式 {fmt} 或不是有效日期时间",
              f"DTM value {value!r} does not match format {fmt} or is not a valid date/time", 12, msg)


def _container(a: Analysis, msg: MessageInfo, seg: Segment, seen: dict[str, int]) -> None:
    number = seg.get(2, 1)
    p = iso6346.problem(number)
    if p is not None:
        kind, zh, en = p
        a.add("EDI-CTR-1" if kind == "form" else "EDI-CTR-2", seg, "2.1", zh, en, None, msg)
    elif number in seen:
        a.add("EDI-CTR-4", seg, "2.1", f"集装箱号“{number}”在本报文段 {seen[number]} 已出现",
              f"container number {number!r} already appears in this message at segment {seen[number]}", None, msg)
    else:
        seen[number] = seg.number
    size_type = seg.get(3, 1)
    if size_type and not iso6346.SIZE_TYPE.match(size_type):
        a.add("EDI-CTR-3", seg, "3.1", f"尺寸类型代码“{size_type}”不是 ISO 6346 代码",
              f"size-type code {size_type!r} is not an ISO 6346 code", None, msg)
