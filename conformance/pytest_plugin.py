"""pytest plugin: run a profile's requirements as pytest items, so CI can gate with pytest.

    pytest --conformance-profile dx-1.0 --conformance-subject payloads/ [--conformance-ics ics.yaml]

One item per (requirement, subject), named ``<REQ-ID> (<clause>)[<subject>]``; the
requirement id, clause, level and verdict are also recorded as JUnit properties. A
MUST requirement that is fail, error or inconclusive fails its item; a failed SHOULD
or MAY passes with a warning; a not-applicable requirement is skipped. Works with
pytest-xdist; ``--conformance-record FILE`` writes the run record on the controller.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from .errors import ConformanceError
from .i18n import pick
from .verdicts import Level, Verdict, worst

INI = {
    "conformance_profile": ("profile id or folder", "string"),
    "conformance_subjects": ("payload files or folders", "linelist"),
    "conformance_ics": ("ICS file", "string"),
    "conformance_pixit": ("PIXIT file", "string"),
    "conformance_profiles_dir": ("extra profile folders", "linelist"),
    "conformance_lang": ("message language zh|en", "string"),
    "conformance_waivers": ("waiver file (YAML)", "string"),
}


class ConformanceWarning(UserWarning):
    """A SHOULD/MAY requirement failed: reported, not gating."""


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("conformance", "smartcity-conformance")
    g.addoption("--conformance-profile", help="Profile id or folder to check subjects against.")
    g.addoption("--conformance-subject", action="append", default=[], help="Payload file or folder (repeatable).")
    g.addoption("--conformance-ics", help="ICS file (YAML).")
    g.addoption("--conformance-pixit", help="PIXIT file (YAML).")
    g.addoption("--conformance-profiles-dir", action="append", default=[], help="Extra profile folder (repeatable).")
    g.addoption("--conformance-record", help="Write the run record (JSON) here at the end of the session.")
    g.addoption("--conformance-seed", type=int, default=0, help="Seed (same on every xdist worker).")
    g.addoption("--conformance-now", help="Validator clock, ISO 8601.")
    g.addoption("--conformance-lang", choices=["zh", "en"], help="Language of failure messages.")
    g.addoption("--conformance-waivers", help="Waiver file (YAML): listed failures pass with a warning until they expire.")
    for name, (help_, kind) in INI.items():
        parser.addini(name, help_, type=kind)  # type: ignore[arg-type]


_CLI = {
    "conformance_profile": "--conformance-profile",
    "conformance_subjects": "--conformance-subject",
    "conformance_ics": "--conformance-ics",
    "conformance_pixit": "--conformance-pixit",
    "conformance_profiles_dir": "--conformance-profiles-dir",
    "conformance_lang": "--conformance-lang",
    "conformance_waivers": "--conformance-waivers",
}


def _opt(config: pytest.Config, name: str) -> Any:
    """Command-line option first, then the ini value of the same name."""
    value = config.getoption(_CLI[name])
    if value in (None, []) and name in INI:
        value = config.getini(name)
    return value


class _State:
    """Per-process: the loaded profile, context and findings per subject."""

    def __init__(self, config: pytest.Config):
        from .discovery import resolve_profile
        from .engine import Applicability, collect_subjects, make_context
        from .ics import load_ics

        self.config = config
        dirs = list(_opt(config, "conformance_profiles_dir") or [])
        self.profile = resolve_profile(_opt(config, "conformance_profile"), dirs)
        ics_path = _opt(config, "conformance_ics")
        self.ics = load_ics(ics_path, self.profile) if ics_path else None
        pixit_path = _opt(config, "conformance_pixit")
        self.pixit: dict[str, Any] = {}
        self.pixit_dir = Path(pixit_path).resolve().parent if pixit_path else None
        if pixit_path:
            import yaml

            self.pixit = yaml.safe_load(Path(pixit_path).read_text(encoding="utf-8")) or {}
        now = config.getoption("--conformance-now")
        self.context = make_context(
            self.profile, self.ics, pixit=self.pixit, seed=config.getoption("--conformance-seed"),
            now=datetime.fromisoformat(now) if now else None, lang=self.lang, pixit_dir=self.pixit_dir,
        )
        self.scope = Applicability.of(self.profile, self.context.ics)
        from .waivers import load_waivers

        waivers_path = _opt(config, "conformance_waivers")
        self.waivers_path = waivers_path or None
        self.waivers = (load_waivers(waivers_path, requirement_ids={r.id for r in self.profile.requirements})
                        if waivers_path else [])
        self.today = date.today()
        subjects = list(_opt(config, "conformance_subjects") or [])
        self.subjects = collect_subjects(self.profile, subjects)
        self._findings: dict[int, Any] = {}

    @property
    def lang(self) -> str:
        return _opt(self.config, "conformance_lang") or "en"

    def findings(self, index: int) -> list[Any]:
        from .engine import evaluate_subject

        if index not in self._findings:
            if len(self._findings) >= 16:  # a few subjects in memory, not the whole run
                self._findings.pop(next(iter(self._findings)))
            subject = self.subjects[index]
            self._findings[index] = evaluate_subject(subject, self.context, self.scope)
            subject._data = subject._xml = subject._json = None
        return self._findings[index]


_STATE_KEY = pytest.StashKey[_State]()
_REPORTS_KEY = pytest.StashKey[list[dict[str, Any]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a generated conformance requirement item")
    config.stash[_REPORTS_KEY] = []


def _state(config: pytest.Config) -> _State | None:
    if not _opt(config, "conformance_profile"):
        return None
    if _STATE_KEY not in config.stash:
        config.stash[_STATE_KEY] = _State(config)
    return config.stash[_STATE_KEY]


def _display(subject_path: Path | None, name: str, rootdir: Path) -> str:
    if subject_path is None:
        return name
    try:
        return subject_path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return subject_path.as_posix()


class ProfileCollector(pytest.Collector):
    def collect(self) -> Iterator[pytest.Item]:
        state = _state(self.config)
        assert state is not None
        # Subject-major order: consecutive items share one evaluation of their subject.
        for subject in state.subjects:
            shown = _display(subject.path, subject.name, self.config.rootpath)
            for req in state.profile.requirements:
                yield RequirementItem.from_parent(
                    self, name=f"{req.id} ({req.clause})[{shown}]", requirement=req.id, subject_index=subject.index
                )


class ConformanceFailure(Exception):
    def __init__(self, verdict: Verdict, lines: list[str]):
        self.verdict = verdict
        self.lines = lines
        super().__init__("\n".join(lines))


class RequirementItem(pytest.Item):
    def __init__(self, *, requirement: str, subject_index: int, **kw: Any):
        super().__init__(**kw)
        self.requirement = requirement
        self.subject_index = subject_index
        self.add_marker("conformance")

    def runtest(self) -> None:
        state = _state(self.config)
        assert state is not None
        req = state.profile.requirement(self.requirement)
        subject = state.subjects[self.subject_index]
        self.user_properties += [("requirement", req.id), ("clause", req.clause), ("level", req.level.value),
                                 ("subject", subject.name)]
        if req.id in state.scope.excluded:
            reason, _tested = state.scope.excluded[req.id]
            self.user_properties.append(("verdict", "not_applicable"))
            self._record(req.id, [], "not_applicable")
            pytest.skip(f"not applicable / 不适用: {pick(reason, state.lang)}")
        found = [f for f in state.findings(self.subject_index) if f.requirement == req.id]
        verdict = worst(f.verdict for f in found) or Verdict.ERROR
        self.user_properties.append(("verdict", verdict.value))
        self._record(req.id, found, verdict.value)
        if verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
            return
        lines = [f"{req.id} {req.clause} {req.level.value}: {pick(req.text, state.lang)}", f"verdict: {verdict.value}"]
        if state.waivers:
            from .waivers import match

            active, expired = match(state.waivers, req.id, subject.name, state.today)
            if active is not None:
                self.user_properties.append(("waived", "true"))
                lines.insert(1, f"waived until {active.expires} by {active.approver} / 已豁免: "
                                f"{pick(active.reason, state.lang)}")
                warnings.warn(ConformanceWarning("\n".join(lines)), stacklevel=1)
                return
            if expired is not None:
                lines.insert(1, f"waiver EXPIRED on {expired.expires} ({expired.approver}) — gates again / 豁免已过期")
        if not found:
            lines.append("no check produced a finding for this requirement / 没有检查对该要求给出结论")
        for f in found:
            if f.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
                continue
            lines.append(f"  [{f.verdict.value}] {f.location}")
            lines.append(f"      {pick(f.message, state.lang)}")
        if req.level is Level.MUST:
            raise ConformanceFailure(verdict, lines)
        warnings.warn(ConformanceWarning("\n".join(lines)), stacklevel=1)

    def _record(self, req_id: str, found: list[Any], verdict: str) -> None:
        # Carried to the xdist controller inside the report (see pytest_runtest_makereport).
        self._conformance = {"requirement": req_id, "subject": self.subject_index, "verdict": verdict,
                             "findings": [f.to_dict() for f in found]}

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)  # type: ignore[arg-type]

    def reportinfo(self) -> tuple[Any, int | None, str]:
        state = _state(self.config)
        path = state.subjects[self.subject_index].path if state else None
        return (path or self.path, None, self.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    data = getattr(item, "_conformance", None)
    if data is not None and call.when == "call":
        report = outcome.get_result()
        report.conformance = json.dumps(data, ensure_ascii=False, default=str)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        state = _state(config)
    except ConformanceError as exc:
        raise pytest.UsageError(exc.render_both()) from None
    if state is None:
        return
    name = f"conformance/{state.profile.id}"
    collector = ProfileCollector.from_parent(session, name=name, nodeid=name)
    items.extend(collector.collect())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    data = getattr(report, "conformance", None)
    if data is not None and _CONFIG is not None:
        _CONFIG.stash[_REPORTS_KEY].append(json.loads(data))


_CONFIG: pytest.Config | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _CONFIG
    _CONFIG = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    target = config.getoption("--conformance-record")
    if not target or hasattr(config, "workerinput"):
        return
    state = _state(config)
    if state is None:
        return
    from .findings import Finding
    from .record import RecordBuilder, write_record

    builder = RecordBuilder(
        state.profile, kind="pytest", ics=state.context.ics.to_dict(), seed=state.context.seed,
        clock=state.context.now, applicable=state.scope.applicable, excluded=state.scope.excluded,
        exclusion_kinds=state.scope.kinds,
    )
    reports = config.stash[_REPORTS_KEY]
    by_subject: dict[int, list[Finding]] = {}
    for r in reports:
        by_subject.setdefault(r["subject"], []).extend(Finding.from_dict(f) for f in r["findings"])
    for s in state.subjects:
        builder.add_subject(s.describe(), by_subject.get(s.index, []))
    expected = len(state.profile.requirements) * len(state.subjects)
    if len(reports) < expected:
        builder.interrupted(f"only {len(reports)} of {expected} conformance items ran")
    record = builder.build()
    if state.waivers_path:
        from .waivers import apply_waivers

        apply_waivers(record, state.waivers, today=state.today, source=state.waivers_path)
    write_record(record, target)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _opt(config, "conformance_profile"):
        return None
    try:
        state = _state(config)
    except ConformanceError:
        return None
    if state is None:
        return None
    return (f"conformance: profile {state.profile.id} {state.profile.version}, "
            f"{len(state.subjects)} subject(s), pid {os.getpid()}")
