"""The engine: run a profile's checks over subjects and aggregate verdicts."""

from __future__ import annotations

import codecs
import copy
import fnmatch
import gc
import io
import itertools
import json
import os
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from .checks import get_check
from .checks.call import CheckCall, FastTest, RunContext
from .checks.xmlpath import element_xpath
from .errors import UsageError
from .findings import Finding, Location, passed_text
from .i18n import Text, text
from .ics import Ics, applicability, default_ics
from .pool import WorkerLost, WorkerPool
from .profile import Binding, Profile
from .subject import (
    DEFAULT_MAX_BYTES,
    MAX_JSON_DEPTH,
    Subject,
    SubjectError,
    _nesting_exceeds,
    _not_json,
    describe_bytes,
    read_whole,
    shared_xml_parser,
    xml_syntax_error,
)
from .verdicts import Verdict

DEFAULT_PATTERNS = {"xml": ("*.xml",), "json": ("*.json",), "text": ("*",), "binary": ("*",)}
#: one file for a worker: (index, name, path, media type, encoding, max bytes)
Work = tuple[int, str, str, str, "str | None", int]
ProgressFn = Callable[[int, int, str], None]


@dataclass
class Applicability:
    """Which requirements a run evaluates, and why the others are excluded."""

    applicable: frozenset[str]
    excluded: dict[str, tuple[Text, bool]] = field(default_factory=dict)  # id -> (reason, tested)
    kinds: dict[str, str] = field(default_factory=dict)  # id -> "role" | "option" | "not_tested"

    @classmethod
    def of(cls, profile: Profile, ics: Ics) -> "Applicability":
        applicable = set()
        excluded: dict[str, tuple[Text, bool]] = {}
        kinds: dict[str, str] = {}
        for req in profile.requirements:
            reason = applicability(req, ics)
            if reason is not None:
                excluded[req.id] = (reason, True)
                kinds[req.id] = "role" if req.roles and ics.role not in req.roles else "option"
            elif req.not_tested is not None:
                kinds[req.id] = "not_tested"
                excluded[req.id] = (
                    text(f"本工具不测试：{req.not_tested['zh']}", f"not tested by this harness: {req.not_tested['en']}"),
                    False,
                )
            else:
                applicable.add(req.id)
        return cls(frozenset(applicable), excluded, kinds)


class SubjectSource:
    """The files to validate, found lazily.

    Files are named by the paths given; directories are searched recursively for the
    profile's patterns, in sorted path order. Iterating walks the directories again and
    makes one :class:`Subject` at a time, so a folder of a million files is never held
    in memory; ``len()`` walks them once to count (for progress and the ETA).
    """

    def __init__(
        self,
        profile: Profile,
        paths: Iterable[str | Path],
        *,
        encoding: str | None = None,
        max_bytes: int | None = None,
        patterns: Sequence[str] | None = None,
        relative_to: Path | None = None,
    ):
        pats = tuple(patterns or profile.patterns or DEFAULT_PATTERNS.get(profile.media_type, ("*",)))
        self._match = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in pats)).match
        self.paths = [Path(p) for p in paths]
        for p in self.paths:
            if not (p.exists() or p.is_symlink()):
                raise UsageError(text(f"路径不存在：{p}", f"no such file or directory: {p}"))
        self.media_type = profile.media_type
        self.encoding = encoding or profile.encoding
        self.max_bytes = max_bytes or profile.max_bytes or DEFAULT_MAX_BYTES
        self.relative_to = relative_to
        self._count: int | None = None

    def files(self) -> Iterator[str]:
        for p in self.paths:
            if p.is_dir():
                yield from self._walk(str(p))
            else:
                yield str(p)

    def _walk(self, folder: str) -> Iterator[str]:
        # Sorting names with "/" after folders gives exactly the sorted order of the
        # full paths, folder by folder. Symlinked folders are not followed (os.walk's rule).
        try:
            with os.scandir(folder) as it:
                entries = []
                for e in it:
                    try:
                        is_dir = e.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        entries.append((e.name + "/", e.path, True))
                    elif self._match(e.name) and not (e.is_symlink() and _is_dir(e.path)):
                        entries.append((e.name, e.path, False))
        except OSError:
            return  # an unreadable folder is skipped, as os.walk does
        entries.sort()
        for _key, path, is_dir in entries:
            if is_dir:
                yield from self._walk(path)
            else:
                yield path

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for _ in self.files())
        return self._count

    def __iter__(self) -> Iterator[Subject]:
        for work in self.work():
            yield _subject_of(work)

    def work(self) -> Iterator[Work]:
        """What a worker process needs of each file, as plain values: a parallel run
        sends these without making a Subject per file in the main process."""
        prefix = str(self.relative_to).rstrip("/") + "/" if self.relative_to is not None else None
        for i, f in enumerate(self.files()):
            name = f
            if prefix is not None and f.startswith(prefix) and os.path.isabs(f):
                name = f[len(prefix):]
            yield i, name, f, self.media_type, self.encoding, self.max_bytes


def _is_dir(path: str) -> bool:
    try:
        return os.path.isdir(path)
    except OSError:
        return False


def collect_subjects(profile: Profile, paths: Iterable[str | Path], **options: Any) -> list[Subject]:
    """Expand files and directories (recursively, by the profile's patterns) into subjects.

    With ``relative_to``, absolute paths under it are named relative to it, so reports
    handed to a vendor do not carry the lab's local folders. ``options`` are those of
    :class:`SubjectSource`, which streams the files: prefer it for very many files.
    """
    return list(SubjectSource(profile, paths, **options))


#: (requirement, binding id) of a check's implicit pass: counted, and turned into a
#: finding only when the record keeps it (the first few per requirement)
Pass = tuple[str, str]


def evaluate_subject(subject: Subject, context: RunContext, scope: Applicability) -> list[Finding]:
    """Run every applicable binding on one subject; never raises."""
    findings, passes = evaluate_compact(subject, context, scope)
    for req, check in passes:
        findings.append(Finding(req, Verdict.PASS, passed_text(check), Location(file=subject.name), check,
                                subject.index))
    return findings


def evaluate_compact(subject: Subject, context: RunContext, scope: Applicability) -> tuple[list[Finding], list[Pass]]:
    """Like :func:`evaluate_subject`, with implicit passes as (requirement, binding) pairs:
    a bulk run over millions of payloads then builds no object for a check that passed."""
    split = context.profile.split
    if split is not None and subject.media_type == "xml" and subject.xpath_root is None:
        if _document_element(subject) == split.container:
            return _evaluate_batch(subject, context, scope)
    return _run_steps(subject, context, _plan(context, scope, "all"), scope.applicable)


#: Files up to this size are parsed whole to find their document element (the tree is
#: reused by the checks); larger ones are peeked at, so a huge batch is never loaded.
WHOLE_PARSE_LIMIT = 8 * 1024 * 1024


def _document_element(subject: Subject) -> str | None:
    """Clark name of the document element."""
    try:
        size = len(subject._data) if subject._data is not None else (
            subject.path.stat().st_size if subject.path is not None else 0)
        if size <= WHOLE_PARSE_LIMIT:
            try:
                root = subject.xml().getroot()
                return root.tag if isinstance(root.tag, str) else None
            except SubjectError:
                pass  # not well-formed: peek at the start (a broken batch still has its items checked)
        head = subject.head(1 << 16)
        for _event, el in etree.iterparse(
            io.BytesIO(head), events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
            recover=False,
        ):
            return el.tag if isinstance(el.tag, str) else None
    except (etree.XMLSyntaxError, SubjectError, ValueError, LookupError, OSError):
        return None
    return None


def _evaluate_batch(subject: Subject, context: RunContext, scope: Applicability) -> tuple[list[Finding], list[Pass]]:
    """A batch file: stream it, check each item on its own, then run the file checks on
    a skeleton of the file (the container with emptied items), so memory does not grow
    with the size of the items."""
    split = context.profile.split
    assert split is not None
    item_steps = _plan(context, scope, "item")
    findings: list[Finding] = []
    ns = dict(context.profile.raw.get("namespaces", {}))
    container_step = element_xpath(etree.Element(split.container), ns).lstrip("/")
    item_step = element_xpath(etree.Element(split.item), ns).lstrip("/")
    subject._xml = None  # a small batch may have been parsed whole to detect it: stream it instead
    root: Any = None
    count = 0
    # Pass findings of items are summed per (binding, requirement) so a batch of a
    # million roots yields its failures plus one pass line per rule, not a million.
    passes: dict[tuple[str | None, str], int] = {}

    def keep(found: tuple[list[Finding], list[Pass]]) -> None:
        explicit, implicit = found
        for f in explicit:
            if f.verdict is Verdict.PASS and f.evidence is None:
                key = (f.check, f.requirement)
                passes[key] = passes.get(key, 0) + 1
            else:
                findings.append(f)
        for req, check in implicit:
            key = (check, req)
            passes[key] = passes.get(key, 0) + 1

    source: Any = str(subject.path) if subject.path is not None and subject._data is None else io.BytesIO(subject.data())
    # Only the items' end events reach Python (the tag filter runs in C): a per-element
    # loop would cost more than validating the items.
    events = etree.iterparse(
        source, events=("end",), tag=split.item, resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=False, remove_blank_text=False,
    )
    try:
        for _event, el in events:
            parent = el.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # an item element nested deeper is part of its item, not an item
            root = parent
            count += 1
            item = Subject(
                name=subject.name, path=subject.path, media_type=subject.media_type, encoding=subject.encoding,
                max_bytes=subject.max_bytes, index=subject.index,
                xpath_root=f"/{container_step}/{item_step}[{count}]", part=count, shared=subject.shared,
            )
            item._xml = etree.ElementTree(copy.deepcopy(el))
            item._data = b""  # item checks work on the tree; file-level bytes checks are file_checks
            keep(_run_steps(item, context, item_steps, scope.applicable))
            # The skeleton keeps a bare element per item (file checks count them; a fresh
            # one carries none of the item's namespace declarations) and text between
            # items only when it is not just whitespace.
            tail = el.tail
            placeholder = root.makeelement(el.tag)
            root.replace(el, placeholder)
            if tail and not tail.isspace():
                placeholder.tail = tail
    except etree.XMLSyntaxError as exc:
        subject._xml_error = xml_syntax_error(exc, subject.name)
        if count == 0:
            keep(_run_steps(subject, context, item_steps, scope.applicable))
    except (OSError, SubjectError) as exc:
        message = exc.message if isinstance(exc, SubjectError) else text(f"无法读取文件：{exc}", f"cannot read file: {exc}")
        subject.read_error = subject._xml_error = SubjectError(message, Location(file=subject.name))
    else:
        root = events.root if root is None else root
        if root is not None:
            subject._xml = root.getroottree()
    for (check, req), n in passes.items():
        findings.append(Finding(
            req, Verdict.PASS,
            text(f"检查 {check} 在 {n} 个条目上通过", f"check {check} passed on {n} item(s)"),
            Location(file=subject.name), check, subject.index, {"items": n},
        ))
    file_findings, file_passes = _run_steps(subject, context, _plan(context, scope, "file"), scope.applicable)
    findings.extend(file_findings)
    return findings, file_passes


@dataclass(frozen=True)
class _Step:
    """One binding as a run evaluates it: resolved once per run, not once per subject."""

    binding: Binding
    spec: Any  # CheckSpec, or None when the check vanished
    targets: tuple[str, ...]


def _plan(context: RunContext, scope: Applicability, part: str) -> list[_Step]:
    """The bindings of ``part`` ("all", "item" or "file" of a batch) that apply in this run."""
    key = (part, scope.applicable)
    steps = context.plans.get(key)
    if steps is not None:
        return steps
    profile = context.profile
    bindings: Iterable[Binding] = profile.bindings
    if part != "all":
        assert profile.split is not None
        file_checks = profile.split.file_checks
        bindings = [b for b in profile.bindings if (b.id in file_checks) == (part == "file")]
    steps = []
    for binding in bindings:
        targets = tuple(r for r in binding.requirements if r in scope.applicable)
        if not targets or not all(c.holds(context.ics.options) for c in binding.conditions):
            continue
        steps.append(_Step(binding, get_check(binding.check), targets))
    context.plans[key] = steps
    return steps


def _run_steps(subject: Subject, context: RunContext, steps: list[_Step],
               applicable: frozenset[str]) -> tuple[list[Finding], list[Pass]]:
    findings: list[Finding] = []
    passes: list[Pass] = []
    media_type = subject.media_type
    for step in steps:
        binding, spec, targets = step.binding, step.spec, step.targets
        if spec is None:  # profile validation prevents this unless a plugin vanished
            findings.extend(
                Finding(r, Verdict.ERROR, text(f"未知检查 {binding.check}", f"unknown check {binding.check}"),
                        Location(file=subject.name), binding.id, subject.index) for r in targets
            )
            continue
        if spec.media_types and media_type not in spec.media_types:
            continue
        call = CheckCall(binding, subject, context, applicable)
        context.current_binding = binding.id
        try:
            produced = list(spec.func(call) or ())
        except SubjectError as exc:
            verdict = Verdict.INCONCLUSIVE if exc.limit else spec.parse_error_verdict
            produced = [
                Finding(
                    r, verdict,
                    exc.message if verdict is not Verdict.INCONCLUSIVE else text(
                        f"前提条件不满足，无法判定：{exc.message['zh']}",
                        f"precondition not met, cannot decide: {exc.message['en']}",
                    ),
                    exc.location, binding.id, subject.index, exc.evidence,
                )
                for r in targets
            ]
        except Exception as exc:  # the harness broke, not the product
            loc = Location(file=subject.name)
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8)
            produced = [
                Finding(
                    targets[0], Verdict.ERROR,
                    text(f"检查 {binding.id} 内部错误：{exc!r}", f"check {binding.id} raised an internal error: {exc!r}"),
                    loc, binding.id, subject.index, {"traceback": "".join(tb)[-4000:]},
                )
            ]
            produced.extend(
                Finding(r, Verdict.ERROR, text("同一检查内部错误", "the same check raised an internal error"),
                        loc, binding.id, subject.index)
                for r in targets[1:]
            )
        if not produced:
            if spec.implicit_pass:
                passes.extend((r, binding.id) for r in targets)
            continue
        seen = set()
        for f in produced:
            f.check = f.check or binding.id
            f.subject = subject.index if f.subject is None else f.subject
            if f.location.file is None:
                f.location.file = subject.name
            if f.requirement not in binding.requirements:
                f = Finding(
                    targets[0], Verdict.ERROR,
                    text(f"检查 {binding.id} 报告了未绑定的要求 {f.requirement}",
                         f"check {binding.id} reported requirement {f.requirement}, which it is not bound to"),
                    f.location, binding.id, subject.index,
                )
            if f.requirement not in applicable:
                continue
            seen.add(f.requirement)
            findings.append(f)
        if spec.implicit_pass:
            passes.extend((r, binding.id) for r in targets if r not in seen)
    return findings, passes


# ---------------------------------------------------------------- the schema lane

#: Set to "0" to send every payload through the checks themselves (to compare).
FAST_LANE_ENV = "CONFORMANCE_FAST_LANE"


@dataclass(frozen=True)
class _Lane:
    """The schema lane: when every binding of a run has a fast form (XSD, JSON Schema,
    well-formedness; see ``CheckSpec.fast``), a payload file is read, parsed once and
    given to the fast predicates, and a payload that satisfies them all is recorded as
    passing without a Subject or a finding. Anything else (a predicate says no, the
    file is empty, large, has a DOCTYPE, a NUL byte, a BOM, an encoding, is a batch
    file ...) goes through the checks themselves, which explain it. The record is the
    same either way (a test compares them field for field)."""

    media_type: str
    predicates: tuple[Callable[[Any], bool], ...]
    passes: tuple[Pass, ...]  # in the order the checks would report them
    container: str | None  # a batch file's document element: not for the lane
    floats: bool = False  # every predicate takes plain JSON fractions as floats (FastTest.floats)

    def accept(self, work: Work) -> dict[str, Any] | None:
        """The record's description of the file when it passes in the lane, else None."""
        index, name, path, media_type, encoding, max_bytes = work
        if media_type != self.media_type or (
                encoding and media_type == "json" and encoding.lower() not in ("utf-8", "utf8")):
            return None  # (XML documents say their own encoding)
        # (a large file goes the careful way: a batch file is streamed, never read whole)
        data = read_whole(path, min(max_bytes, WHOLE_PARSE_LIMIT))
        if data is None or b"\x00" in data[:4096]:
            return None
        try:
            if media_type == "xml":
                if b"<!DOCTYPE" in data:  # no DTD: no entity references, nothing to load
                    return None
                root = etree.fromstring(data, shared_xml_parser())
                if root.tag == self.container:
                    return None
                document: Any = root.getroottree()
            else:
                src = (data[3:] if data.startswith(codecs.BOM_UTF8) else data).decode("utf-8")
                document = (_PLAIN_JSON if self.floats else _EXACT_JSON).decode(src)
                if _nesting_exceeds(src, document, MAX_JSON_DEPTH):
                    return None
            for ok in self.predicates:
                if not ok(document):
                    return None
        except Exception:  # noqa: BLE001 - whatever it is, the checks explain it
            return None
        out = describe_bytes(index, name, media_type, path, data, encoding)
        out["verdict"] = "pass"
        return out


def _plain_float(literal: str) -> float | Decimal:
    """A JSON fraction as a float where that loses nothing a schema compares; else a
    Decimal. Plain means no exponent and at most 16 characters, so at most 15 digits:
    such floats keep their decimals' order and equality, far from the float range's ends."""
    if len(literal) <= 16 and "e" not in literal and "E" not in literal:
        return float(literal)
    return Decimal(literal)


# made once: json.loads with hooks makes a decoder per call
_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_not_json)
_PLAIN_JSON = json.JSONDecoder(parse_float=_plain_float, parse_constant=_not_json)


def _fast_lane(context: RunContext, scope: Applicability) -> _Lane | None:
    """The run's schema lane, or None when a binding has no fast form."""
    key = ("lane", scope.applicable)
    if key in context.plans:
        return context.plans[key]  # type: ignore[no-any-return]
    lane = None
    media_type = context.profile.media_type
    if os.environ.get(FAST_LANE_ENV, "1") != "0" and media_type in ("xml", "json"):
        predicates: list[Callable[[Any], bool]] = []
        passes: list[Pass] = []
        floats = True
        for step in _plan(context, scope, "all"):
            spec = step.spec
            if spec is not None and spec.media_types and media_type not in spec.media_types:
                continue  # the checks skip it too
            fast = spec.fast(step.binding, context) if spec is not None and spec.fast and spec.implicit_pass else None
            if fast is None:
                break
            if isinstance(fast, FastTest):
                floats = floats and fast.floats
                fast = fast.test
            else:
                floats = False
            predicates.append(fast)
            passes.extend((r, step.binding.id) for r in step.targets)
        else:
            split = context.profile.split
            lane = _Lane(media_type, tuple(predicates), tuple(passes), split.container if split else None, floats)
    context.plans[key] = lane
    return lane


def _evaluate_chunk(tally: Any, works: Iterable[Work], context: RunContext, scope: Applicability,
                    done: Callable[[str], None] | None = None) -> None:
    """Evaluate files in order into ``tally``: through the schema lane where it takes
    them, else through the checks. ``done(name)`` is called as each file is recorded."""
    lane = _fast_lane(context, scope)
    passing: list[dict[str, Any]] = []  # lane files not yet in the tally (added in order)
    try:
        for work in works:
            described = lane.accept(work) if lane is not None else None
            if described is not None:
                passing.append(described)
            else:
                if passing:
                    tally.add_passing(passing, lane.passes)  # type: ignore[union-attr]
                    passing = []
                subject = _subject_of(work)
                findings, passes = evaluate_compact(subject, context, scope)
                tally.add_subject(subject.describe(), findings, passes)
            if done is not None:
                done(work[1])
    finally:  # interrupted: what was evaluated (and reported done) is recorded
        if passing:
            tally.add_passing(passing, lane.passes)  # type: ignore[union-attr]


# ---------------------------------------------------------------- parallel workers

_WORKER: dict[str, Any] = {}


def _worker_init(profile: Profile | None, ctx_state: dict[str, Any] | None, max_pass: int) -> None:
    _WORKER["max_pass"] = max_pass
    if profile is None:  # forked from a parent that has set everything up already
        return
    # The profile object itself travels (an API caller may have narrowed it in memory);
    # its plugin files are imported again so their checks exist in this process.
    from .profile import _load_plugins

    assert ctx_state is not None
    _load_plugins(profile)
    ics = Ics(**ctx_state.pop("ics"))
    scope = Applicability.of(profile, ics)
    _WORKER["context"] = RunContext(profile=profile, ics=ics, **ctx_state)
    _WORKER["scope"] = scope


def _worker_chunk(args: list[Work], kept_complete: frozenset[tuple[str, str]] = frozenset()) -> dict[str, Any]:
    """Evaluate a chunk of files and return its tally: subject descriptions, counts per
    requirement and verdict, and the findings a record keeps. The main process merges
    tallies, so its work per chunk does not grow with the number of findings."""
    from .record import Tally

    context, scope = _WORKER["context"], _WORKER["scope"]
    # every subject of the chunk is listed: which ones the record lists is for the
    # main process to decide, as it merges the chunks in order
    tally = Tally(context.profile, max_pass_findings=_WORKER["max_pass"], max_listed_subjects=len(args))
    tally.kept_elsewhere = kept_complete
    _evaluate_chunk(tally, args, context, scope)
    return tally.state()


def evaluate_into(
    tally: Any,
    subjects: Iterable[Subject],
    context: RunContext,
    scope: Applicability,
    *,
    jobs: int = 1,
    total: int | None = None,
    progress: ProgressFn | None = None,
) -> None:
    """Evaluate ``subjects`` in order into ``tally`` (a :class:`conformance.record.Tally`),
    using ``jobs`` processes. ``subjects`` may be a stream (see :class:`SubjectSource`):
    nothing is kept per subject but its description in the tally."""
    if total is None and progress is not None:  # counting walks the folders once more
        total = len(subjects) if isinstance(subjects, Sized) else 0
    source = subjects if isinstance(subjects, SubjectSource) else None
    if jobs > 1:
        stream: Iterator[Subject | Work] = source.work() if source is not None else iter(subjects)
        expected = total
        if expected is None:  # enough to know whether processes are worth starting
            ahead = list(itertools.islice(stream, 2 * jobs))
            expected = len(ahead) if len(ahead) < 2 * jobs else None
            stream = itertools.chain(ahead, stream)
        if expected is None or expected >= 2 * jobs:
            _evaluate_parallel(tally, stream, context, scope, jobs=jobs, total=total or 0, expected=expected,
                               progress=progress)
            return
        subjects = list(stream)  # a handful: not worth starting processes
    total = total or 0
    if source is not None:
        count = 0

        def done(name: str) -> None:
            nonlocal count
            count += 1
            if progress:
                progress(count, total, name)

        _evaluate_chunk(tally, subjects if isinstance(subjects, list) else source.work(), context, scope, done)
        return
    it = iter(subjects)
    for n, s in enumerate(it, 1):
        _evaluate_one(tally, s, context, scope)
        if progress:
            progress(n, total, s.name)


def _evaluate_one(tally: Any, s: Subject, context: RunContext, scope: Applicability) -> None:
    findings, passes = evaluate_compact(s, context, scope)
    tally.add_subject(s.describe(), findings, passes)
    # Keep memory flat on long runs, but leave the subject reusable: an in-memory
    # subject has nowhere to re-read its bytes from, and a dropped JSON value must
    # be parsed again rather than served from the cache as None.
    if s.path is not None:
        s._data = None
    s._xml = s._json = None
    s._json_loaded = False


def _subject_of(work: Work) -> Subject:
    index, name, path, media_type, encoding, max_bytes = work
    return Subject(name=name, path=Path(path), media_type=media_type, encoding=encoding, max_bytes=max_bytes,
                   index=index)


#: files per chunk a parallel worker evaluates, once the run is under way
CHUNK = 128


def _evaluate_parallel(tally: Any, it: Iterator[Subject | Work], context: RunContext, scope: Applicability, *,
                       jobs: int, total: int, expected: int | None, progress: ProgressFn | None) -> None:
    import multiprocessing

    done = 0

    def local(s: Subject) -> None:
        nonlocal done
        _evaluate_one(tally, s, context, scope)
        done += 1
        if progress:
            progress(done, total, s.name)

    # Subjects are evaluated here up to and including the first file: it loads the
    # plugins and compiles the schemas, and forked workers inherit them ready to use.
    # (In-memory subjects cannot travel by path; they are always evaluated here.)
    for item in it:
        s = item if isinstance(item, Subject) else _subject_of(item)
        local(s)
        if s.path is not None:
            break
    # Fork when this process is single-threaded (the command line): workers then start
    # in milliseconds with everything loaded. Otherwise each worker sets itself up.
    forked = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if forked:
        _WORKER.update(context=context, scope=scope)
        mp = multiprocessing.get_context("fork")
        init_args: tuple[Any, ...] = (None, None, tally.max_pass_findings)
    else:  # threads about (a test run, a server) or no fork: workers load the profile themselves
        mp = multiprocessing.get_context()
        state = {
            "ics": {"profile": context.ics.profile, "product": context.ics.product, "role": context.ics.role,
                    "options": context.ics.options, "source": context.ics.source},
            "pixit": context.pixit, "seed": context.seed, "now": context.now, "lang": context.lang,
            "pixit_dir": context.pixit_dir,
        }
        init_args = (context.profile, state, tally.max_pass_findings)
    # Chunks: big enough that the main process only merges tallies, small enough to
    # keep every worker busy to the end and the progress bar moving. The first ones are
    # small, so that the workers start at once, not when a big chunk is gathered.
    sizes = (16, 32, 64, CHUNK)
    if expected is not None:  # a few files: share them out evenly
        sizes = tuple(max(1, min(n, (expected - done) // (jobs * 4))) for n in sizes)

    def chunks() -> Iterator[list[Work] | Subject]:
        """Chunks of files for the workers; an in-memory subject (no path to send) comes
        alone, to be evaluated here in its turn."""
        batch: list[Work] = []
        made = 0
        size = sizes[0]
        for s in it:
            if not isinstance(s, Subject):
                batch.append(s)
            elif s.path is None:
                if batch:
                    yield batch
                    batch = []
                yield s
                continue
            else:
                batch.append((s.index, s.name, str(s.path), s.media_type, s.encoding, s.max_bytes))
            if len(batch) >= size:
                yield batch
                batch = []
                made += 1
                size = sizes[min(made // jobs, len(sizes) - 1)]
        if batch:
            yield batch

    if forked:
        # What is loaded now lives as long as the run: out of the collector's sight, the
        # workers do not copy its pages by walking it, nor does this process keep walking
        # it while it merges their tallies.
        gc.freeze()
    pool = WorkerPool(jobs, mp, _worker_init, init_args, _worker_chunk)
    try:
        # Each worker holds one chunk at a time; the next is handed over as soon as it
        # is free, before its result is read. Results are merged in the files' order.
        feed = chunks()
        ready: list[Work] | Subject | None = next(feed, None)
        results: dict[int, dict[str, Any]] = {}
        sent = merged = 0

        def hand(worker: int) -> None:
            nonlocal ready, sent
            if isinstance(ready, list):
                pool.give(worker, (ready, tally.kept_complete()), (sent, ready[0][1]))
                sent += 1
                ready = next(feed, None)

        while ready is not None or pool.busy():
            worker = pool.idle()
            if isinstance(ready, list) and worker is not None:
                hand(worker)
                continue
            if isinstance(ready, Subject) and not pool.busy():
                local(ready)  # in its turn: every chunk before it is merged
                ready = next(feed, None)
                continue
            for (seq, _first), state in pool.collect(hand):
                results[seq] = state
            while merged in results:
                done = _merge(tally, results.pop(merged), done, total, progress)
                merged += 1
    except BaseException as exc:
        # Interrupted, a worker lost, or the consumer stopped: no more work is done.
        pool.close(kill=True)
        if isinstance(exc, WorkerLost):  # say which files it held (a chunk's tag: its number, first file)
            first = exc.tag[1]
            exc.message = text(f"{exc.message['zh']}，正在校验 {first} 起的一组文件",
                               f"{exc.message['en']} while validating the files from {first}")
        raise
    else:
        pool.close()
    finally:
        _WORKER.clear()
        if forked:
            gc.unfreeze()


def _merge(tally: Any, state: dict[str, Any], done: int, total: int, progress: ProgressFn | None) -> int:
    tally.merge(state)
    done += len(state["subjects"]) if "subjects" in state else 0
    if progress and state.get("last"):
        progress(done, total, state["last"])
    return done


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def make_context(
    profile: Profile,
    ics: Ics | None = None,
    *,
    pixit: dict[str, Any] | None = None,
    seed: int | None = None,
    now: datetime | None = None,
    lang: str = "en",
    pixit_dir: Path | None = None,
) -> RunContext:
    import secrets

    return RunContext(
        profile=profile,
        ics=ics or default_ics(profile),
        pixit=pixit or {},
        seed=seed if seed is not None else secrets.randbelow(2**31),
        now=now or datetime.now().astimezone(),
        lang=lang,
        pixit_dir=pixit_dir,
    )
