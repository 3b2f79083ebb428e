"""UN/EDIFACT lexical layer: service string advice, tokenising, character repertoires.

Our own tokeniser rather than pydifact's: a conformance finding must name the segment
number and the element position, and the control counts must be read from the segments
exactly as they were sent. pydifact 0.2.3 keeps neither positions nor trailing empty
components ("A:B:" comes back as ["A", "B"]), turns a one-component element into a
plain string, and raises a position-less error on a truncated interchange. pydifact stays
the reference for tests (the element values of every generated interchange must equal
pydifact's) and for the benchmark's reference figure.

Nothing here imports the conformance engine: the functions are usable on their own.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

#: ISO 9735 level A repertoire (UNOA): capitals, digits, space and these marks.
_UNOA = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")
#: UNOB: this profile accepts the printable ISO 646 characters and IS1-IS4.
_UNOB = frozenset(range(0x20, 0x7F)) | frozenset(range(0x1C, 0x20))
#: UNOC..UNOK: ISO 8859 parts; the codec judges the bytes >= 0xA0.
ISO8859 = {
    "UNOC": "iso8859_1", "UNOD": "iso8859_2", "UNOE": "iso8859_5", "UNOF": "iso8859_7",
    "UNOG": "iso8859_3", "UNOH": "iso8859_4", "UNOI": "iso8859_6", "UNOJ": "iso8859_8",
    "UNOK": "iso8859_9",
}
UTF8_IDS = ("UNOW", "UNOY")
SYNTAX_IDS = ("UNOA", "UNOB", *ISO8859, *UTF8_IDS)
LAYOUT = "\r\n"
_TAG = re.compile(r"[A-Z][A-Z0-9]{2}\Z")


@dataclass(frozen=True)
class ServiceChars:
    component: str = ":"
    data: str = "+"
    decimal: str = "."
    release: str | None = "?"
    reserved: str = " "
    terminator: str = "'"

    def una(self) -> str:
        return "UNA" + self.component + self.data + self.decimal + (self.release or " ") + self.reserved + self.terminator

    def specials(self) -> frozenset[str]:
        out = {self.component, self.data, self.terminator}
        if self.release:
            out.add(self.release)
        return frozenset(out)


DEFAULT_CHARS = ServiceChars()
#: UNOB without UNA: information separators, no release character.
UNOB_CHARS = ServiceChars("\x1f", "\x1d", ".", None, " ", "\x1c")


@dataclass(frozen=True)
class Problem:
    """A lexical fault found while tokenising."""

    requirement: str
    segment: int | None
    element: str | None
    zh: str
    en: str
    contrl: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class Segment:
    number: int  # 1-based ordinal in the file; UNA, when present, is number 1
    tag: str
    elements: list[list[str]]  # data elements after the tag, each a list of components (releases removed)
    offset: int  # character offset of the tag (= byte offset: the text is decoded as latin-1)
    raw: str  # as sent, without terminator and without leading layout
    terminated: bool = True

    def get(self, element: int, component: int = 1) -> str:
        """1-based element and component; '' when absent."""
        if element < 1 or element > len(self.elements):
            return ""
        comps = self.elements[element - 1]
        return comps[component - 1] if 0 < component <= len(comps) else ""

    def has(self, element: int) -> bool:
        return 0 < element <= len(self.elements) and any(self.elements[element - 1])


@dataclass
class Tokens:
    chars: ServiceChars
    una: bool
    segments: list[Segment]
    problems: list[Problem] = field(default_factory=list)
    #: text after the last terminator that is not layout (a truncated last segment)
    tail: str = ""
    _lines: list[int] | None = None
    text: str = ""

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = [m.end() for m in re.finditer("\n", self.text)]
        i = bisect.bisect_right(self._lines, offset)
        start = self._lines[i - 1] if i else 0
        return i + 1, offset - start + 1


def check_una(svc: str) -> list[tuple[str, str]]:
    """Problems (zh, en) with the six characters of a service string advice."""
    out: list[tuple[str, str]] = []
    if len(svc) < 6:
        return [("UNA 不足 6 个服务字符", f"UNA has {len(svc)} service characters, not 6")]
    comp, data, dec, rel, res, term = svc
    names = {"component separator": comp, "data element separator": data, "segment terminator": term}
    if rel != " ":
        names["release character"] = rel
    seen: dict[str, str] = {}
    for name, ch in names.items():
        if ch.isalnum() or ch in " \r\n" or ord(ch) < 0x1C:
            out.append((f"UNA 的{name}“{ch!r}”不可用（不得为字母、数字、空格或控制字符）",
                        f"UNA {name} {ch!r} is not usable (no letter, digit, space or control character)"))
        if ch in seen:
            out.append((f"UNA 中 {seen[ch]} 与 {name} 相同（{ch!r}）",
                        f"UNA {seen[ch]} and {name} are the same character {ch!r}"))
        seen.setdefault(ch, name)
    if dec not in ".,":
        out.append((f"UNA 小数点字符应为“.”或“,”，实际为 {dec!r}", f"UNA decimal mark must be '.' or ',', not {dec!r}"))
    if res != " " and (res.isalnum() or res in seen.keys() | {dec}):
        out.append((f"UNA 第 5 位（保留/重复分隔符）{res!r} 不可用", f"UNA position 5 (reserved / repetition separator) {res!r} is not usable"))
    return out


def _split_released(body: str, chars: ServiceChars) -> tuple[list[list[str]], list[int]]:
    """Split one segment body that contains release characters; returns (elements, bad release offsets)."""
    rel, ds, cs = chars.release, chars.data, chars.component
    allowed = {ds, cs, chars.terminator, rel}
    if chars.reserved != " ":
        allowed.add(chars.reserved)
    elements: list[list[str]] = []
    comps: list[str] = []
    buf: list[str] = []
    bad: list[int] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == rel:
            if i + 1 >= n or body[i + 1] not in allowed:
                bad.append(i)
                i += 1
                continue
            buf.append(body[i + 1])
            i += 2
            continue
        if ch == ds:
            comps.append("".join(buf))
            elements.append(comps)
            comps, buf = [], []
        elif ch == cs:
            comps.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    comps.append("".join(buf))
    elements.append(comps)
    return elements, bad


def element_position(body: str, index: int, chars: ServiceChars) -> str:
    """The 'element.component' position (1-based, after the tag) of character ``index`` of ``body``."""
    e, c, i = 0, 1, 0
    rel = chars.release
    while i < index and i < len(body):
        ch = body[i]
        if rel and ch == rel:
            i += 2
            continue
        if ch == chars.data:
            e, c = e + 1, 1
        elif ch == chars.component:
            c += 1
        i += 1
    return f"{e}.{c}" if e else "tag"


def tokenise(text: str) -> Tokens:
    """Split an interchange (decoded 1:1, e.g. as latin-1) into segments. Never raises."""
    chars = DEFAULT_CHARS
    problems: list[Problem] = []
    segments: list[Segment] = []
    pos = 0
    number = 0
    una = False
    if text.startswith("UNA"):
        una = True
        number = 1
        svc = text[3:9]
        for zh, en in check_una(svc):
            problems.append(Problem("EDI-UNA-1", 1, None, zh, en, 20, 0))
        if len(svc) == 6:
            comp, data, dec, rel, res, term = svc
            chars = ServiceChars(comp, data, dec, None if rel == " " else rel, res, term)
        segments.append(Segment(1, "UNA", [[svc]], 0, text[:9]))
        pos = 9
    elif len(text) > 3 and text.startswith("UNB") and text[3] == "\x1d":
        chars = UNOB_CHARS
    term, rel = chars.terminator, chars.release
    if len(set(chars.specials())) < len([c for c in (chars.component, chars.data, term, rel) if c]):
        # unusable advice (reported above): tokenise with the defaults so later checks still run
        chars = DEFAULT_CHARS
        term, rel = chars.terminator, chars.release
    tail = ""
    rest = text[pos:]
    # Segment boundaries: unreleased terminators.
    bounds: list[int] = []
    if rel and rel in rest:
        pat = re.compile(re.escape(rel) + r".|" + re.escape(rel) + r"\Z|" + re.escape(term), re.S)
        bounds = [m.start() for m in pat.finditer(rest) if m.group() == term]
    else:
        i = rest.find(term)
        while i != -1:
            bounds.append(i)
            i = rest.find(term, i + 1)
    start = 0
    ds, cs = chars.data, chars.component
    for end in bounds + [len(rest)]:
        chunk = rest[start:end]
        last = end == len(rest)
        lead = len(chunk) - len(chunk.lstrip(LAYOUT))
        body = chunk[lead:]
        offset = pos + start + lead
        start = end + 1
        if last:
            if not body:
                break
            tail = body
        number += 1
        if body.startswith("UNA") and (len(body) == 3 or body[3] != ds):
            # a service string advice where only the first one may stand
            problems.append(Problem(
                "EDI-UNA-2", number, None,
                "UNA 只能作为交换的开头出现一次", "UNA may appear only once, at the very start of the interchange",
                33, offset,
            ))
            segments.append(Segment(number, "UNA", [], offset, body, not last))
            continue
        if rel and rel in body:
            elements, bad = _split_released(body, chars)
            for b in bad:
                problems.append(Problem(
                    "EDI-REL-1", number, element_position(body, b, chars),
                    "释放字符后应紧跟服务字符" if b + 1 < len(body) or not last else "释放字符位于数据末尾",
                    f"release character {rel!r} is not followed by a service character"
                    if b + 1 < len(body) else f"release character {rel!r} ends the data",
                    22, offset + b,
                ))
        else:
            elements = [e.split(cs) for e in body.split(ds)]
        tag_comps = elements[0]
        tag = tag_comps[0]
        if "\n" in body or "\r" in body:
            k = min(x for x in (body.find("\n"), body.find("\r")) if x != -1)
            problems.append(Problem(
                "EDI-LAY-1", number, element_position(body, k, chars),
                "换行符只能出现在段终止符之后（作为版式），不得出现在段内",
                "a line break may only follow a segment terminator (layout), not appear inside a segment",
                21, offset + k,
            ))
            tag = tag.strip(LAYOUT)
        if not _TAG.match(tag) or len(tag_comps) > 1:
            problems.append(Problem(
                "EDI-SYN-2", number, "tag",
                f"段标签“{tag[:12]}”应为 3 个大写字母或数字", f"segment tag {tag[:12]!r} is not 3 capital letters or digits",
                None, offset,
            ))
        seg = Segment(number, tag, elements[1:], offset, body, not last)
        if last:
            problems.append(Problem(
                "EDI-SYN-2", number, None,
                f"最后一个段（{tag[:12]}）没有段终止符 {term!r}：交换被截断",
                f"the last segment ({tag[:12]}) has no segment terminator {term!r}: the interchange is truncated",
                None, offset,
            ))
        segments.append(seg)
    return Tokens(chars, una, segments, problems, tail, None, text)


def check_repertoire(data: bytes, syntax_id: str, chars: ServiceChars) -> tuple[int, str, str] | None:
    """The first byte outside the repertoire of ``syntax_id``: (offset, zh, en), or None."""
    if syntax_id in UTF8_IDS:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start, f"第 {exc.start} 字节不是有效的 UTF-8（{syntax_id}）", f"byte {exc.start} is not valid UTF-8 ({syntax_id})"
        m = re.search(rb"[\x00-\x09\x0b\x0c\x0e-\x1b\x7f]", data)
        if m:
            return m.start(), f"第 {m.start()} 字节为控制字符", f"byte {m.start()} is a control character (0x{data[m.start()]:02x})"
        return None
    extra = {ord(c) for c in chars.specials() if ord(c) < 256} | {0x0D, 0x0A}
    if syntax_id == "UNOA":
        allowed = _UNOA | extra
    elif syntax_id == "UNOB":
        allowed = _UNOB | extra
    elif syntax_id in ISO8859:
        allowed = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100)) | extra
        try:
            data.decode(ISO8859[syntax_id])
        except UnicodeDecodeError as exc:
            return exc.start, f"第 {exc.start} 字节不在 {syntax_id} 字符集中", f"byte {exc.start} is not in the {syntax_id} repertoire"
    else:
        return None
    table = bytes(range(256))
    leftover = data.translate(table, bytes(allowed))
    if not leftover:
        return None
    bad = leftover[0]
    off = data.index(bytes([bad]))
    hint = "（UNOA 只允许大写字母）" if syntax_id == "UNOA" and 0x61 <= bad <= 0x7A else ""
    return (off, f"第 {off} 字节 0x{bad:02x} 不在 {syntax_id} 字符集中{hint}",
            f"byte {off} (0x{bad:02x}) is outside the {syntax_id} repertoire")


def display(value: str, syntax_id: str) -> str:
    """A value for messages: UTF-8 families are re-decoded from the 1:1 text."""
    if syntax_id in UTF8_IDS:
        try:
            return value.encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return value
    return value


def release(value: str, chars: ServiceChars) -> str:
    """Escape a value for writing (the inverse of tokenising)."""
    if not chars.release:
        return value
    out = value.replace(chars.release, chars.release * 2)
    for ch in (chars.component, chars.data, chars.terminator):
        out = out.replace(ch, chars.release + ch)
    return out


def to_jsonable(seg: Segment) -> dict[str, Any]:
    return {"segment": seg.number, "tag": seg.tag, "text": seg.raw[:240]}
