"""The engine: run a profile's checks over subjects and aggregate verdicts."""

from __future__ import annotations

import copy
import fnmatch
import io
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from .checks import get_check
from .checks.call import CheckCall, RunContext
from .checks.xmlpath import element_xpath
from .errors import UsageError
from .findings import Finding, Location
from .i18n import Text, text
from .ics import Ics, applicability, default_ics
from .profile import Binding, Profile
from .subject import DEFAULT_MAX_BYTES, Subject, SubjectError, xml_syntax_error
from .verdicts import Verdict

DEFAULT_PATTERNS = {"xml": ("*.xml",), "json": ("*.json",), "text": ("*",), "binary": ("*",)}
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


def collect_subjects(
    profile: Profile,
    paths: Iterable[str | Path],
    *,
    encoding: str | None = None,
    max_bytes: int | None = None,
    patterns: Sequence[str] | None = None,
    relative_to: Path | None = None,
) -> list[Subject]:
    """Expand files and directories (recursively, by the profile's patterns) into subjects.

    With ``relative_to``, absolute paths under it are named relative to it, so reports
    handed to a vendor do not carry the lab's local folders.
    """
    pats = tuple(patterns or profile.patterns or DEFAULT_PATTERNS.get(profile.media_type, ("*",)))
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            # os.walk is several times cheaper than Path.rglob + is_file per entry.
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames.sort()
                for name in filenames:
                    if any(fnmatch.fnmatch(name, pat) for pat in pats):
                        found.append(os.path.join(dirpath, name))
            files.extend(Path(f) for f in sorted(found))
        elif p.exists() or p.is_symlink():
            files.append(p)
        else:
            raise UsageError(text(f"路径不存在：{p}", f"no such file or directory: {p}"))
    limit = max_bytes or profile.max_bytes or DEFAULT_MAX_BYTES
    subjects = []
    for i, f in enumerate(files):
        s = Subject.from_path(f, media_type=profile.media_type, encoding=encoding or profile.encoding,
                              max_bytes=limit, index=i)
        if relative_to is not None and f.is_absolute():
            try:
                s.name = f.relative_to(relative_to).as_posix()
            except ValueError:
                pass
        subjects.append(s)
    return subjects


def evaluate_subject(subject: Subject, context: RunContext, scope: Applicability) -> list[Finding]:
    """Run every applicable binding on one subject; never raises."""
    split = context.profile.split
    if split is not None and subject.media_type == "xml" and subject.xpath_root is None:
        if _document_element(subject) == split.container:
            return _evaluate_batch(subject, context, scope)
    return _run_bindings(subject, context, scope, context.profile.bindings)


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


def _evaluate_batch(subject: Subject, context: RunContext, scope: Applicability) -> list[Finding]:
    """A batch file: stream it, check each item on its own, then run the file checks on
    a skeleton of the file (the container with emptied items), so memory does not grow
    with the size of the items."""
    split = context.profile.split
    assert split is not None
    file_bindings = [b for b in context.profile.bindings if b.id in split.file_checks]
    item_bindings = [b for b in context.profile.bindings if b.id not in split.file_checks]
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

    def keep(found: list[Finding]) -> None:
        for f in found:
            if f.verdict is Verdict.PASS and f.evidence is None:
                key = (f.check, f.requirement)
                passes[key] = passes.get(key, 0) + 1
            else:
                findings.append(f)

    source: Any = str(subject.path) if subject.path is not None and subject._data is None else io.BytesIO(subject.data())
    try:
        for event, el in etree.iterparse(
            source, events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
            huge_tree=False, remove_blank_text=False,
        ):
            if event == "start":
                if root is None:
                    root = el
                continue
            if el.getparent() is not root or el.tag != split.item:
                continue
            count += 1
            item = Subject(
                name=subject.name, path=subject.path, media_type=subject.media_type, encoding=subject.encoding,
                max_bytes=subject.max_bytes, index=subject.index,
                xpath_root=f"/{container_step}/{item_step}[{count}]", part=count, shared=subject.shared,
            )
            item._xml = etree.ElementTree(copy.deepcopy(el))
            item._data = b""  # item checks work on the tree; file-level bytes checks are file_checks
            keep(_run_bindings(item, context, scope, item_bindings))
            el.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        subject._xml_error = xml_syntax_error(exc, subject.name)
        if count == 0:
            keep(_run_bindings(subject, context, scope, item_bindings))
    except (OSError, SubjectError) as exc:
        message = exc.message if isinstance(exc, SubjectError) else text(f"无法读取文件：{exc}", f"cannot read file: {exc}")
        subject.read_error = subject._xml_error = SubjectError(message, Location(file=subject.name))
    else:
        if root is not None:
            subject._xml = root.getroottree()
    for (check, req), n in passes.items():
        findings.append(Finding(
            req, Verdict.PASS,
            text(f"检查 {check} 在 {n} 个条目上通过", f"check {check} passed on {n} item(s)"),
            Location(file=subject.name), check, subject.index, {"items": n},
        ))
    findings.extend(_run_bindings(subject, context, scope, file_bindings))
    return findings


_PASSED: dict[str, Text] = {}


def _passed_text(binding_id: str) -> Text:
    """The implicit pass message, made once per binding (it is the same for every subject)."""
    msg = _PASSED.get(binding_id)
    if msg is None:
        msg = _PASSED[binding_id] = text(f"检查 {binding_id} 通过", f"check {binding_id} passed")
    return msg


def _run_bindings(
    subject: Subject, context: RunContext, scope: Applicability, bindings: Iterable[Binding]
) -> list[Finding]:
    profile = context.profile
    findings: list[Finding] = []
    for binding in bindings:
        targets = [r for r in binding.requirements if r in scope.applicable]
        if not targets:
            continue
        if not all(c.holds(context.ics.options) for c in binding.conditions):
            continue
        spec = get_check(binding.check)
        loc = Location(file=subject.name)
        if spec is None:  # profile validation prevents this unless a plugin vanished
            findings.extend(
                Finding(r, Verdict.ERROR, text(f"未知检查 {binding.check}", f"unknown check {binding.check}"),
                        loc, binding.id, subject.index) for r in targets
            )
            continue
        if spec.media_types and subject.media_type not in spec.media_types:
            continue
        call = CheckCall(binding, subject, context, scope.applicable)
        context.current_binding = binding.id
        produced: list[Finding] = []
        try:
            for f in spec.func(call) or ():
                produced.append(f)
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
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8)
            produced.append(
                Finding(
                    targets[0], Verdict.ERROR,
                    text(f"检查 {binding.id} 内部错误：{exc!r}", f"check {binding.id} raised an internal error: {exc!r}"),
                    loc, binding.id, subject.index, {"traceback": "".join(tb)[-4000:]},
                )
            )
            produced.extend(
                Finding(r, Verdict.ERROR, text("同一检查内部错误", "the same check raised an internal error"),
                        loc, binding.id, subject.index)
                for r in targets[1:]
            )
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
            if f.requirement not in scope.applicable:
                continue
            seen.add(f.requirement)
            findings.append(f)
        if spec.implicit_pass:
            passed = _passed_text(binding.id)
            for r in targets:
                if r not in seen:
                    findings.append(Finding(r, Verdict.PASS, passed, Location(file=subject.name), binding.id,
                                            subject.index))
    return findings


# ---------------------------------------------------------------- parallel workers

_WORKER: dict[str, Any] = {}


def _worker_init(profile: Profile, ctx_state: dict[str, Any]) -> None:
    # The profile object itself travels (an API caller may have narrowed it in memory);
    # its plugin files are imported again so their checks exist in this process.
    from .profile import _load_plugins

    _load_plugins(profile)
    ics = Ics(**ctx_state.pop("ics"))
    scope = Applicability.of(profile, ics)
    _WORKER["context"] = RunContext(profile=profile, ics=ics, **ctx_state)
    _WORKER["scope"] = scope


def _worker_eval(args: tuple[int, str, str, str, str | None, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    index, name, path, media_type, encoding, max_bytes = args
    subject = Subject.from_path(path, media_type=media_type, encoding=encoding, max_bytes=max_bytes, index=index)
    subject.name = name
    findings = evaluate_subject(subject, _WORKER["context"], _WORKER["scope"])
    return subject.describe(), [f.to_dict() for f in findings]


def evaluate_all(
    subjects: Sequence[Subject],
    context: RunContext,
    scope: Applicability,
    *,
    jobs: int = 1,
    progress: ProgressFn | None = None,
) -> Iterator[tuple[dict[str, Any], list[Finding] | list[dict[str, Any]]]]:
    """Yield (subject description, findings) per subject, in order, using ``jobs`` processes.

    In parallel runs the findings arrive as record dicts (what the workers sent), which
    ``RecordBuilder`` takes as they are: rebuilding objects only to serialise them again
    would make the main process the bottleneck.
    """
    total = len(subjects)
    if jobs <= 1 or total < 2 or any(s.path is None for s in subjects):
        for n, s in enumerate(subjects, 1):
            findings = evaluate_subject(s, context, scope)
            desc = s.describe()
            # Keep memory flat on long runs, but leave the subject reusable: an in-memory
            # subject has nowhere to re-read its bytes from, and a dropped JSON value must
            # be parsed again rather than served from the cache as None.
            if s.path is not None:
                s._data = None
            s._xml = s._json = None
            s._json_loaded = False
            if progress:
                progress(n, total, s.name)
            yield desc, findings
        return
    state = {
        "ics": {"profile": context.ics.profile, "product": context.ics.product, "role": context.ics.role,
                "options": context.ics.options, "source": context.ics.source},
        "pixit": context.pixit, "seed": context.seed, "now": context.now, "lang": context.lang,
        "pixit_dir": context.pixit_dir,
    }
    args = [(s.index, s.name, str(s.path), s.media_type, s.encoding, s.max_bytes) for s in subjects]
    chunk = max(1, min(32, total // (jobs * 16) or 1))
    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_worker_init,
        initargs=(context.profile, state),
    )
    try:
        for n, (desc, found) in enumerate(pool.map(_worker_eval, args, chunksize=chunk), 1):
            if progress:
                progress(n, total, desc["name"])
            yield desc, found  # record dicts: the builder takes them as they are
    except BaseException:
        # Interrupted (or the consumer stopped): drop queued work instead of finishing it.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown()


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
