"""The run record: one JSON document per run, the source of every report."""

from __future__ import annotations

import copy
import functools
import json
import platform
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ._version import __version__
from .findings import Finding, implicit_pass
from .i18n import text
from .profile import Profile
from .resources import engine_schema
from .verdicts import BLOCKING, Level, Verdict, severity, worst

RECORD_FORMAT = 1
RECORD_SCHEMA = "run-record.schema.json"
_LIBS = ("lxml", "xmlschema", "jsonschema", "cryptography")


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


def tool_info() -> dict[str, Any]:
    return copy.deepcopy(_tool_info())


@functools.lru_cache(maxsize=1)
def _tool_info() -> dict[str, Any]:
    # reading package metadata costs milliseconds: once per process
    libs = {}
    for lib in _LIBS:
        try:
            libs[lib] = version(lib)
        except PackageNotFoundError:
            pass
    return {
        "name": "smartcity-conformance",
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "libraries": libs,
    }


class Tally:
    """Findings of a run as they arrive: per requirement, the count of each verdict, the
    worst verdict and the findings kept; and one description per subject.

    Parallel workers each fill a tally for a chunk of subjects and send its
    :meth:`state`; the main process :meth:`merge` them in order, which gives exactly
    what one tally fed every subject in order would hold.
    """

    #: pass findings kept per requirement; the rest are only counted, so a run over
    #: millions of payloads keeps a record (and memory) the size of its problems.
    max_pass_findings = 20

    #: subjects listed one by one; past this, subjects that passed are only counted, so
    #: memory and the record stay the size of the problems on a run over millions of files
    max_listed_subjects = 100_000

    #: (requirement, verdict) pairs, verdict "pass" or "not_applicable", of which the
    #: tally this one is merged into keeps all the findings it will keep: here they are
    #: only counted (a worker's chunk then carries no findings that would be thrown away)
    kept_elsewhere: frozenset[tuple[str, str]] = frozenset()

    def __init__(self, profile: Profile, *, max_pass_findings: int | None = None,
                 max_listed_subjects: int | None = None):
        if max_pass_findings is not None:
            self.max_pass_findings = max_pass_findings
        if max_listed_subjects is not None:
            self.max_listed_subjects = max_listed_subjects
        self.subjects: list[dict[str, Any]] = []
        self.subjects_total = 0
        self.unlisted_pass = 0
        self.findings: dict[str, list[dict[str, Any]]] = {r.id: [] for r in profile.requirements}
        self.counts: dict[str, dict[str, int]] = {r.id: {} for r in profile.requirements}
        self.worst: dict[str, str] = {}
        self._must = frozenset(r.id for r in profile.requirements if r.level is Level.MUST)

    def add_subject(self, description: dict[str, Any], findings: Sequence[Finding] | Sequence[dict[str, Any]],
                    passes: Sequence[tuple[str, str]] = ()) -> None:
        """Findings as objects or as record dicts; ``passes`` are implicit passes as
        (requirement, check) pairs (see :func:`conformance.engine.evaluate_compact`)."""
        description = dict(description)
        must = self._must
        verdict = "pass"
        for f in findings:
            req, v = (f["requirement"], f["verdict"]) if type(f) is dict else (f.requirement, f.verdict.value)  # type: ignore[index, union-attr]
            if req in must and severity(v) > severity(verdict):
                verdict = v
        description["verdict"] = verdict
        self._list([description])
        self.add_findings(findings)
        if passes:
            self.add_passes(passes, description.get("name"), description.get("index"))

    def _list(self, descriptions: list[dict[str, Any]]) -> None:
        self.subjects_total += len(descriptions)
        room = self.max_listed_subjects - len(self.subjects)
        if room >= len(descriptions):
            self.subjects.extend(descriptions)
            return
        for d in descriptions:
            if room > 0 or d.get("verdict") != "pass":
                self.subjects.append(d)
                room -= 1
            else:
                self.unlisted_pass += 1

    def add_findings(self, findings: Iterable[Finding] | Iterable[dict[str, Any]]) -> None:
        for f in findings:
            as_dict = type(f) is dict
            req, v = (f["requirement"], f["verdict"]) if as_dict else (f.requirement, f.verdict.value)  # type: ignore[index, union-attr]
            counts = self.counts.setdefault(req, {})
            n = counts[v] = counts.get(v, 0) + 1
            current = self.worst.get(req)
            if current is None or severity(v) > severity(current):
                self.worst[req] = v
            if v in ("pass", "not_applicable") and (n > self.max_pass_findings or (req, v) in self.kept_elsewhere):
                self.findings.setdefault(req, [])
                continue
            self.findings.setdefault(req, []).append(f if as_dict else f.to_dict())  # type: ignore[arg-type, union-attr]

    def add_passes(self, passes: Iterable[tuple[str, str]], file: str | None, subject: int | None) -> None:
        cap = self.max_pass_findings
        for req, check in passes:
            counts = self.counts.setdefault(req, {})
            n = counts["pass"] = counts.get("pass", 0) + 1
            if req not in self.worst:
                self.worst[req] = "pass"
            if n <= cap and (req, "pass") not in self.kept_elsewhere:
                self.findings.setdefault(req, []).append(implicit_pass(req, check, file, subject))

    def add_passing(self, descriptions: list[dict[str, Any]], passes: Sequence[tuple[str, str]]) -> None:
        """Subjects, in order, on which every check passed implicitly (``passes`` each):
        what :meth:`add_subject` would make of them one by one, in one step."""
        if not descriptions:
            return
        self._list(descriptions)
        if len({req for req, _ in passes}) < len(passes):  # a requirement of two checks: interleave them
            for d in descriptions:
                self.add_passes(passes, d["name"], d["index"])
            return
        cap, n = self.max_pass_findings, len(descriptions)
        for req, check in passes:
            counts = self.counts.setdefault(req, {})
            before = counts.get("pass", 0)
            counts["pass"] = before + n
            if req not in self.worst:
                self.worst[req] = "pass"
            if before < cap and (req, "pass") not in self.kept_elsewhere:
                self.findings.setdefault(req, []).extend(
                    implicit_pass(req, check, d["name"], d["index"]) for d in descriptions[: cap - before])

    def kept_complete(self) -> frozenset[tuple[str, str]]:
        """The (requirement, verdict) pairs that keep no more findings (see ``kept_elsewhere``)."""
        cap = self.max_pass_findings
        return frozenset((req, v) for req, counts in self.counts.items() for v in ("pass", "not_applicable")
                         if counts.get(v, 0) >= cap)

    def state(self) -> dict[str, Any]:
        """Plain data for another process to :meth:`merge`."""
        return {"subjects": self.subjects, "counts": {k: v for k, v in self.counts.items() if v},
                "worst": self.worst, "findings": {k: v for k, v in self.findings.items() if v},
                "last": self.subjects[-1]["name"] if self.subjects else None}

    def merge(self, state: dict[str, Any]) -> None:
        """Add a tally made after everything this one holds."""
        self._list(state["subjects"])
        cap = self.max_pass_findings
        for req, counts in state["counts"].items():
            mine = self.counts.setdefault(req, {})
            # how many pass / not_applicable findings are kept already (at most the cap)
            kept = {v: min(mine.get(v, 0), cap) for v in ("pass", "not_applicable")}
            for v, n in counts.items():
                mine[v] = mine.get(v, 0) + n
            worst = state["worst"][req]
            current = self.worst.get(req)
            if current is None or severity(worst) > severity(current):
                self.worst[req] = worst
            target = self.findings.setdefault(req, [])
            for f in state["findings"].get(req, ()):
                v = f["verdict"]
                if v in kept:
                    if kept[v] >= cap:
                        continue
                    kept[v] += 1
                target.append(f)


class RecordBuilder(Tally):
    """Accumulates findings per requirement while a run goes, then writes the record."""

    def __init__(self, profile: Profile, *, kind: str, ics: dict[str, Any], seed: int, clock: datetime,
                 applicable: Iterable[str], excluded: dict[str, tuple[dict[str, str], bool]],
                 extra: dict[str, Any] | None = None, exclusion_kinds: dict[str, str] | None = None):
        super().__init__(profile)
        self.profile = profile
        self.kind = kind
        self.ics = ics
        self.seed = seed
        self.clock = clock
        self.applicable = set(applicable)
        self.excluded = excluded
        self.extra = extra or {}
        self.exclusion_kinds = exclusion_kinds or {}
        self.started_at = _now()
        self.run_id = str(uuid.uuid4())
        self.complete = True
        self.interruption: str | None = None

    def interrupted(self, why: str) -> None:
        self.complete = False
        self.interruption = why

    def build(self) -> dict[str, Any]:
        requirements = []
        for req in self.profile.requirements:
            entry: dict[str, Any] = {
                "id": req.id, "clause": req.clause, "level": req.level.value, "text": dict(req.text),
            }
            if req.group:
                entry["group"] = req.group
            if req.reconstructed:
                entry["reconstructed"] = True
            found = self.findings.get(req.id, [])
            if req.id in self.excluded:
                reason, tested = self.excluded[req.id]
                entry.update(applicable=False, tested=tested, reason=dict(reason), verdict="not_applicable", findings=[])
                entry["exclusion"] = self.exclusion_kinds.get(req.id, "option" if tested else "not_tested")
            else:
                entry["applicable"] = True
                entry["tested"] = True
                counts = dict(self.counts.get(req.id, {}))
                if found:
                    entry["verdict"] = self.worst[req.id]
                else:
                    entry["verdict"] = Verdict.ERROR.value
                    found = [{
                        "requirement": req.id, "verdict": "error",
                        "message": text("没有任何检查对该要求给出结论（可能未绑定检查或运行被中断）",
                                        "no check produced a finding for this requirement "
                                        "(no check is bound to it, or the run was interrupted)"),
                        "location": {},
                    }]
                    counts = {"error": 1}
                entry["findings"] = found
                entry["counts"] = counts
            requirements.append(entry)
        summary = summarise(requirements, complete=self.complete)
        digest = self.profile.digest()
        record: dict[str, Any] = {
            "record_format": RECORD_FORMAT,
            "run_id": self.run_id,
            "kind": self.kind,
            "complete": self.complete,
            "tool": tool_info(),
            "profile": {
                "id": self.profile.id, "version": self.profile.version, "title": dict(self.profile.title),
                "source": self.profile.source,
                "standards": [{"code": s.code, "title": dict(s.title), **({"year": s.year} if s.year else {})}
                              for s in self.profile.standards],
                "digest": {"algorithm": "sha256", "value": digest["value"], "files": digest["files"]},
                "groups": {gid: dict(title) for gid, title in self.profile.groups.items()},
                "roles": {r.id: dict(r.title) for r in self.profile.roles},
            },
            "ics": self.ics,
            "seed": self.seed,
            "clock": self.clock.isoformat(),
            "started_at": self.started_at,
            "finished_at": _now(),
            "subjects": self.subjects,
            **({"subjects_summary": {"total": self.subjects_total, "listed": len(self.subjects),
                                     "unlisted_pass": self.unlisted_pass}} if self.unlisted_pass else {}),
            "summary": summary,
            "requirements": requirements,
        }
        if self.interruption:
            record["interruption"] = self.interruption
        record.update(self.extra)
        return record


def summarise(requirements: list[dict[str, Any]], *, complete: bool = True) -> dict[str, Any]:
    """Counts and the run's exit code. An incomplete run is never conformant."""
    counts = {v.value: 0 for v in Verdict}
    by_level: dict[str, dict[str, int]] = {lv.value: {v.value: 0 for v in Verdict} for lv in Level}
    blocking_fail = blocking_other = False
    warnings = []
    findings = 0
    for r in requirements:
        v = Verdict(r["verdict"])
        counts[v.value] += 1
        by_level[r["level"]][v.value] += 1
        findings += sum(r.get("counts", {}).values()) if r.get("counts") else len(r.get("findings", []))
        waived = r.get("waived", False)
        if r["level"] == Level.MUST.value and v in BLOCKING and not waived:
            if v is Verdict.FAIL:
                blocking_fail = True
            else:
                blocking_other = True
        if r["level"] == Level.SHOULD.value and v is Verdict.FAIL:
            warnings.append(r["id"])
    exit_code = 1 if blocking_fail else 3 if (blocking_other or not complete) else 0
    return {
        "conformant": exit_code == 0,
        "exit_code": exit_code,
        "requirements": len(requirements),
        "applicable": sum(1 for r in requirements if r.get("applicable")),
        "findings": findings,
        "verdicts": counts,
        "by_level": by_level,
        "warnings": warnings,
    }


def record_validator() -> Draft202012Validator:
    return Draft202012Validator(engine_schema(RECORD_SCHEMA))


def validate_record(record: dict[str, Any]) -> list[str]:
    """Schema problems of a run record, as 'path: message' strings (empty when valid)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in record_validator().iter_errors(record)
    ]


def write_record(record: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    # A hostile JSON payload can put lone surrogates ("\ud800") into findings; UTF-8
    # cannot encode them, and backslashreplace writes exactly the JSON escape for them,
    # so the record round-trips instead of failing to be written.
    with tmp.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        json.dump(record, fh, ensure_ascii=False, indent=1, default=str)
        fh.write("\n")
    tmp.replace(path)
    return path


def load_record(path: str | Path) -> dict[str, Any]:
    from .errors import UsageError

    try:
        with Path(path).open(encoding="utf-8") as fh:
            record = json.load(fh)
    except FileNotFoundError:
        raise UsageError(text(f"运行记录不存在：{path}", f"run record not found: {path}")) from None
    except (OSError, ValueError) as exc:
        raise UsageError(text(f"无法读取运行记录 {path}：{exc}", f"cannot read run record {path}: {exc}")) from None
    problems = validate_record(record) if isinstance(record, dict) else ["(root): not an object"]
    if problems:
        raise UsageError(text(f"不是有效的运行记录 {path}：{problems[0]}", f"not a valid run record {path}: {problems[0]}"))
    return record


