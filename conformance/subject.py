"""Subjects: the payloads a run checks, loaded defensively.

Payloads are hostile until parsed: no DTD loading, no entity expansion, no network,
a size limit, and every problem becomes a :class:`SubjectError` with a zh/en message
and a location instead of a traceback.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from .findings import Location
from .i18n import Text, text

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MAX_JSON_DEPTH = 500

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.S)


class _NonStandardConstant(ValueError):
    def __init__(self, token: str):
        super().__init__(token)
        self.token = token


def _not_json(token: str) -> Any:
    """Python's json module accepts NaN, Infinity and -Infinity; JSON does not."""
    raise _NonStandardConstant(token)


def _nesting_exceeds(src: str, value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit``; counting brackets spares small documents the walk."""
    if src.count("[") + src.count("{") <= limit:
        return False
    level = [value] if type(value) in (dict, list) else []
    depth = 0
    while level:  # breadth first, one level at a time: cheap next to json.loads itself
        depth += 1
        if depth > limit:
            return True
        deeper: list[Any] = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if type(child) is dict or type(child) is list:
                    deeper.append(child)
        level = deeper
    return False


def _too_deep(name: str) -> "SubjectError":
    return SubjectError(
        text(f"JSON 嵌套过深：超过本工具上限 {MAX_JSON_DEPTH} 层", f"JSON nesting is deeper than this tool's limit of {MAX_JSON_DEPTH} levels"),
        Location(file=name), limit=True,
    )


class SubjectError(Exception):
    """The subject cannot be read or parsed; the message says why and where."""

    def __init__(self, message: Text, location: Location | None = None, evidence: Any = None,
                 *, limit: bool = False):
        self.message = message
        self.location = location or Location()
        self.evidence = evidence
        #: the harness's own limit (size, depth, digits) stopped it: no evidence against
        #: the product, so the verdict is inconclusive rather than fail
        self.limit = limit
        super().__init__(message["en"])


# libxml2 messages that report its own safety limits, not a malformed document.
_LIBXML_LIMITS = ("Excessive depth", "XML_PARSE_HUGE", "amplification", "Huge input lookup", "too large")


def xml_syntax_error(exc: etree.XMLSyntaxError, name: str) -> SubjectError:
    line, col = exc.position if exc.position else (exc.lineno, None)
    msg = exc.msg or str(exc)
    loc = Location(file=name, line=line or None, column=col or None)
    if any(marker in msg for marker in _LIBXML_LIMITS):
        return SubjectError(
            text(f"超出本工具的 XML 解析上限（深度、大小或实体放大），无法判定：{msg}",
                 f"the document exceeds this tool's XML parsing limits (depth, size or entity amplification): {msg}"),
            loc, limit=True,
        )
    return SubjectError(text(f"XML 格式不良：{msg}", f"XML is not well-formed: {msg}"), loc)


def safe_xml_parser() -> etree.XMLParser:
    """A parser that never loads DTDs, expands entities or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        # Not collect_ids=False: with libxml2 < 2.15 lxml implements it by setting
        # XML_SKIP_IDS in ctxt->loadsubset, and any non-zero loadsubset makes libxml2
        # load the external DTD subset and external parameter entities from local files
        # (e.g. <!DOCTYPE d SYSTEM "file:///etc/passwd">), despite load_dtd=False.
    )


def declared_xml_encoding(data: bytes) -> str | None:
    head = data[3:1024] if data.startswith(codecs.BOM_UTF8) else data[:1024]
    m = _XML_DECL.match(head)
    return m.group(1).decode("ascii") if m else None


def describe_bytes(index: int, name: str, media_type: str, path: str | None, data: bytes,
                   encoding: str | None) -> dict[str, Any]:
    """A subject's description in the run record (see :meth:`Subject.describe`) from
    its content: the engine's schema lane describes passing files without a Subject."""
    out: dict[str, Any] = {"index": index, "name": name, "media_type": media_type}
    if path is not None:
        out["path"] = path
    out["size"] = len(data)
    out["sha256"] = hashlib.sha256(data).hexdigest()
    if encoding:
        out["encoding"] = encoding
    return out


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
if _NONBLOCK:
    import fcntl


def open_payload(path: str | Path) -> BinaryIO:
    """A payload file opened for reading. A FIFO found in a folder, which nothing
    writes to, would block ``open()`` for ever: opening without waiting, then reading
    as usual, gives such a FIFO's end at once (it is then an empty file), while a pipe
    that a writer holds open (``<(command)``) is read as it always was."""
    fd = os.open(path, os.O_RDONLY | _NONBLOCK)
    try:
        if _NONBLOCK:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_whole(path: str, max_bytes: int) -> bytes | None:
    """The bytes of a regular file of 1 to ``max_bytes`` bytes in one read, or None
    when anything is unusual (empty, too large, changing, unreadable): the caller then
    goes the careful way (:meth:`Subject.data`), which explains what is wrong."""
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)  # (a FIFO: see open_payload)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        if not 0 < size <= max_bytes:
            return None
        data = os.read(fd, size + 1)
        return data if len(data) == size else None
    except OSError:
        return None
    finally:
        os.close(fd)


_PARSERS = threading.local()


def shared_xml_parser() -> etree.XMLParser:
    """This thread's :func:`safe_xml_parser`, made once (a parser costs more to make
    than a small document costs to parse)."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = safe_xml_parser()
    return parser


@dataclass
class Subject:
    """One payload: a file on disk or bytes in memory."""

    name: str
    path: Path | None = None
    media_type: str = "xml"
    encoding: str | None = None  # given encoding for JSON/text; XML uses its prolog
    max_bytes: int = DEFAULT_MAX_BYTES
    index: int = 0
    _data: bytes | None = field(default=None, repr=False)
    _xml: Any = field(default=None, repr=False)
    _xml_error: SubjectError | None = field(default=None, repr=False)
    _json: Any = field(default=None, repr=False)
    _json_loaded: bool = field(default=False, repr=False)
    _json_error: SubjectError | None = field(default=None, repr=False)
    _sha256: str | None = field(default=None, repr=False)
    _size: int | None = field(default=None, repr=False)
    read_error: SubjectError | None = field(default=None, repr=False)
    #: for an item of a batch file: the XPath of the item in the file, e.g. /dx:batch/dx:root[3]
    xpath_root: str | None = None
    #: 1-based position of the item in its batch file
    part: int | None = None
    #: state shared by the items of one batch file and its file checks (e.g. ids seen so far)
    shared: dict[str, Any] = field(default_factory=dict)
    @classmethod
    def from_bytes(cls, name: str, data: bytes, **kw: Any) -> "Subject":
        s = cls(name=name, **kw)
        s._data = data
        return s

    @classmethod
    def from_path(cls, path: str | Path, **kw: Any) -> "Subject":
        p = path if isinstance(path, Path) else Path(path)
        return cls(name=str(p), path=p, **kw)

    # ------------------------------------------------------------------ raw bytes

    def data(self) -> bytes:
        if self._data is not None:
            return self._data
        if self.read_error is not None:
            raise self.read_error
        assert self.path is not None
        loc = Location(file=self.name)
        try:
            with open_payload(self.path) as fh:
                # Read what the file says it holds (plus one byte, to notice growth):
                # asking for max_bytes + 1 up front would allocate, then shrink, a
                # buffer of the whole limit per file, which costs more than parsing a
                # small payload. Special files report size 0 and get the limit.
                declared = os.fstat(fh.fileno()).st_size
                # A file that says it is over the limit is refused unread: reading up to
                # the limit first would cost that much memory for nothing.
                data = b""
                if declared <= self.max_bytes:
                    want = declared + 1 if declared > 0 else self.max_bytes + 1
                    data = fh.read(want)
                    if len(data) == want and want <= self.max_bytes:
                        data += fh.read(self.max_bytes + 1 - want)  # it grew since fstat
                if declared > self.max_bytes or len(data) > self.max_bytes:
                    size = max(declared, os.fstat(fh.fileno()).st_size)
                    raise SubjectError(
                        text(
                            f"文件过大：{size} 字节，超过上限 {self.max_bytes} 字节",
                            f"file too large: {size} bytes, over the limit of {self.max_bytes} bytes",
                        ),
                        loc,
                        limit=True,
                    )
        except SubjectError as exc:
            self.read_error = exc
            raise
        except OSError as exc:
            self.read_error = SubjectError(
                text(f"无法读取文件：{exc.strerror or exc}", f"cannot read file: {exc.strerror or exc}"), loc
            )
            raise self.read_error from None
        if len(data) > self.max_bytes:
            self.read_error = SubjectError(
                text(f"文件过大，超过上限 {self.max_bytes} 字节", f"file too large: over {self.max_bytes} bytes"), loc,
                limit=True,
            )
            raise self.read_error
        self._data = data
        return data

    def head(self, size: int = 65536) -> bytes:
        """The first ``size`` bytes, without reading the whole file."""
        if self._data is not None or self.path is None:
            return self.data()[:size]
        try:
            with open_payload(self.path) as fh:
                return fh.read(size)
        except OSError as exc:
            raise SubjectError(
                text(f"无法读取文件：{exc.strerror or exc}", f"cannot read file: {exc.strerror or exc}"),
                Location(file=self.name),
            ) from None

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The content in chunks, for checks that stream (memory does not grow with the file)."""
        if self._data is not None or self.path is None:
            data = self.data()
            for i in range(0, len(data), size):
                yield data[i : i + size]
            return
        try:
            with open_payload(self.path) as fh:
                yield from iter(lambda: fh.read(size), b"")
        except OSError as exc:
            raise SubjectError(
                text(f"无法读取文件：{exc.strerror or exc}", f"cannot read file: {exc.strerror or exc}"),
                Location(file=self.name),
            ) from None

    def describe(self) -> dict[str, Any]:
        """Name, size and sha256, for the run record (streams the file if it is not loaded)."""
        if self._data is not None and self.read_error is None:
            return describe_bytes(self.index, self.name, self.media_type,
                                  str(self.path) if self.path is not None else None, self._data, self.encoding)
        out: dict[str, Any] = {"index": self.index, "name": self.name, "media_type": self.media_type}
        if self.path is not None:
            out["path"] = str(self.path)
        if self._data is not None:
            out["size"] = len(self._data)
            out["sha256"] = hashlib.sha256(self._data).hexdigest()
        elif self.path is not None:
            h = hashlib.sha256()
            size = 0
            try:
                with open_payload(self.path) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                        size += len(chunk)
                out["size"] = size
                out["sha256"] = h.hexdigest()
            except OSError as exc:
                out["error"] = text(f"无法读取文件：{exc.strerror or exc}", f"cannot read file: {exc.strerror or exc}")
        if self.read_error is not None:
            out["error"] = self.read_error.message
        if self.encoding:
            out["encoding"] = self.encoding
        return out

    def _precheck(self, data: bytes) -> None:
        loc = Location(file=self.name)
        if not data or data.isspace():  # isspace() does not copy, unlike strip()
            raise SubjectError(text("文件为空", "the file is empty"), loc)
        head = data[:4096]
        if b"\x00" in head and not (head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE)):
            offset = data.index(b"\x00")
            raise SubjectError(
                text(
                    f"二进制内容：第 {offset} 字节处为 NUL，不是文本文件",
                    f"binary content: NUL byte at offset {offset}; this is not a text file",
                ),
                loc,
            )

    # ------------------------------------------------------------------ XML

    def xml(self) -> etree._ElementTree:
        """The parsed document (cached); raises SubjectError when it is not well-formed."""
        if self._xml is not None:
            return self._xml
        if self._xml_error is not None:
            raise self._xml_error
        try:
            data = self.data()
            self._precheck(data)
            try:
                root = etree.fromstring(data, shared_xml_parser())
            except etree.XMLSyntaxError as exc:
                raise xml_syntax_error(exc, self.name) from None
            except (ValueError, LookupError) as exc:  # e.g. unknown encoding name
                raise SubjectError(
                    text(f"无法解码 XML：{exc}", f"cannot decode XML: {exc}"), Location(file=self.name)
                ) from None
            self._xml = root.getroottree()
            return self._xml
        except SubjectError as exc:
            self._xml_error = exc
            raise

    # ------------------------------------------------------------------ JSON / text

    def text(self) -> str:
        data = self.data()
        self._precheck(data)
        enc = (self.encoding or "utf-8").lower()
        if enc in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        try:
            return data.decode(enc)
        except LookupError:
            raise SubjectError(
                text(f"未知的字符编码 “{self.encoding}”", f"unknown character encoding '{self.encoding}'"),
                Location(file=self.name),
            ) from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise SubjectError(
                text(
                    f"第 {exc.start} 字节不是有效的 {enc} 编码",
                    f"byte {exc.start} is not valid {enc}",
                ),
                Location(file=self.name, line=line, column=col),
                evidence={"offset": exc.start, "bytes": data[exc.start : exc.start + 8].hex()},
            ) from None

    def json(self) -> Any:
        """The parsed JSON value (cached), numbers with a fraction as Decimal."""
        if self._json_loaded:
            return self._json
        if self._json_error is not None:
            raise self._json_error
        try:
            src = self.text()
            duplicates: list[str] = []

            def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
                out: dict[str, Any] = {}
                for k, v in items:
                    if k in out:
                        duplicates.append(k)
                    out[k] = v
                return out

            try:
                value = json.loads(src, parse_float=Decimal, object_pairs_hook=pairs, parse_constant=_not_json)
            except _NonStandardConstant as exc:
                raise SubjectError(
                    text(f"JSON 格式错误：{exc.token} 不是 JSON 值（RFC 8259）",
                         f"JSON is not well-formed: {exc.token} is not a JSON value (RFC 8259)"),
                    Location(file=self.name), evidence={"token": exc.token},
                ) from None
            except json.JSONDecodeError as exc:
                raise SubjectError(
                    text(f"JSON 格式错误：{exc.msg}", f"JSON is not well-formed: {exc.msg}"),
                    Location(file=self.name, line=exc.lineno, column=exc.colno),
                ) from None
            except RecursionError:
                raise _too_deep(self.name) from None
            except ValueError as exc:  # e.g. integer with too many digits
                if "digits" in str(exc):  # the interpreter's advice (set_int_max_str_digits) is not the vendor's
                    limit = sys.get_int_max_str_digits()
                    msg = text(f"JSON 整数的位数超过本工具的处理上限（{limit} 位），无法判定",
                               f"a JSON integer has more digits than this tool's limit of {limit}; cannot decide")
                else:
                    msg = text(f"JSON 数值超出本工具的处理上限：{exc}", f"a JSON value exceeds this tool's limits: {exc}")
                raise SubjectError(msg, Location(file=self.name), limit=True) from None
            # Enforce the limit ourselves: where RecursionError strikes depends on the
            # caller's stack, and validators recurse further on what parsed.
            if _nesting_exceeds(src, value, MAX_JSON_DEPTH):
                raise _too_deep(self.name)
            self.json_duplicate_keys = duplicates
            self._json = value
            self._json_loaded = True
            return value
        except SubjectError as exc:
            self._json_error = exc
            raise

    json_duplicate_keys: list[str] = field(default_factory=list)
