"""The ``conformance`` command line."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ._version import __version__
from .errors import ConformanceError, UsageError
from .i18n import both, pick, text
from .verdicts import LEVEL_ZH, Level

EXIT_USAGE = 2
VERDICT_STYLE = {"pass": "green", "fail": "bold red", "error": "magenta", "inconclusive": "yellow",
                 "not_applicable": "dim"}
VERDICT_ZH = {"pass": "通过", "fail": "不通过", "error": "错误", "inconclusive": "无法判定", "not_applicable": "不适用"}

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def default_lang() -> str:
    env = os.environ.get("CONFORMANCE_LANG") or os.environ.get("LANG", "")
    return "zh" if env.lower().startswith("zh") else "en"


def _verdict(v: str, lang: str) -> str:
    label = VERDICT_ZH.get(v, v) if lang == "zh" else v
    return f"[{VERDICT_STYLE.get(v, '')}]{label}[/]"


def _fail(exc: ConformanceError) -> None:
    err.print(f"[bold red]error / 错误[/]: {exc.render_both()}", markup=True, highlight=False)
    sys.exit(exc.exit_code)


class _Group(click.Group):
    """Turns every ConformanceError into a zh/en message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConformanceError as exc:
            _fail(exc)


profiles_dir_option = click.option(
    "--profiles-dir", "profiles_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
    help="Extra folder of profiles (repeatable; also $CONFORMANCE_PROFILES_PATH).",
)
def lab_session_options(fn: Any) -> Any:
    """Lab session and CI gating options shared by validate and run."""
    for option in reversed((
        click.option("--lab", help="Testing lab recorded in the run record (or in --session)."),
        click.option("--operator", help="Person who ran the test (recorded)."),
        click.option("--session-note", help="Free note recorded with the run."),
        click.option("--session", "session_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="session.yaml with lab, operator, note (options win)."),
        click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Waiver file (YAML): listed failures are waived until they expire."),
    )):
        fn = option(fn)
    return fn


def _lab_inputs(prof: Any, lab: str | None, operator: str | None, session_note: str | None,
                session_file: Path | None, waivers_file: Path | None, ics_obj: Any) -> tuple[dict[str, Any], Any]:
    from .ics import default_ics
    from .session import session_block
    from .waivers import load_waivers

    ics_dict = (ics_obj or default_ics(prof)).to_dict()
    block = session_block(lab=lab, operator=operator, note=session_note, session_file=session_file, ics=ics_dict)
    waivers = load_waivers(waivers_file, requirement_ids={r.id for r in prof.requirements}) if waivers_file else None
    return block, waivers


def _load_pixit_checked(path: Path, prof: Any, *, require: bool = True) -> dict[str, Any]:
    from .pixit import load_pixit

    data, result = load_pixit(path, prof, require=require)
    for w in result.warnings:
        err.print(f"[yellow]warning / 警告[/]: {path}: {both(w)}")
    return data


def _print_waivers(record: dict[str, Any]) -> None:
    block = record.get("waivers")
    if not block:
        return
    for rid in block.get("applied", []):
        req = next((r for r in record["requirements"] if r["id"] == rid), {})
        w = req.get("waiver") or {}
        out.print(f"[blue]waived / 已豁免[/] {rid} until {w.get('expires')} ({w.get('approver')}): "
                  f"{pick(w.get('reason'), 'en')}", highlight=False)
    for w in block.get("expired", []):
        out.print(f"[bold red]EXPIRED waiver / 豁免已过期[/] {w['requirement']} expired on {w['expires']} "
                  f"({w['approver']}) — gates again / 重新计入判定", highlight=False)


lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang, show_default="from $LANG",
                           help="Language of messages and reports.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="conformance")
def main() -> None:
    """smartcity-conformance: standard-conformance testing for smart-city interfaces and data exchange.

    智慧城市接口与数据交换标准符合性测试工具。
    """


# ------------------------------------------------------------------ profiles / show


@main.command("profiles")
@profiles_dir_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@lang_option
def profiles_cmd(profiles_dirs: tuple[Path, ...], as_json: bool, lang: str) -> None:
    """List installed profiles (id, version, title, requirements by level)."""
    from .discovery import list_profiles

    items = list_profiles(list(profiles_dirs))
    if as_json:
        rows = []
        for p in items:
            if isinstance(p, ConformanceError):
                rows.append({"error": p.render("en")})
            else:
                rows.append({"id": p.id, "version": p.version, "title": p.title, "source": p.source,
                             "directory": str(p.directory), "requirements": p.counts_by_level()})
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table(title="Profiles / 测试配置")
    for col in ("id", "version", "title", "MUST", "SHOULD", "MAY", "source"):
        table.add_column(col)
    broken = []
    for p in items:
        if isinstance(p, ConformanceError):
            broken.append(p)
            continue
        c = p.counts_by_level()
        table.add_row(p.id, p.version, pick(p.title, lang), str(c["MUST"]), str(c["SHOULD"]), str(c["MAY"]), p.source)
    out.print(table)
    for b in broken:
        err.print(f"[red]broken profile / 无效配置[/]: {b.render_both()}")


@main.command("show")
@click.argument("profile")
@profiles_dir_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table")
@lang_option
def show_cmd(profile: str, profiles_dirs: tuple[Path, ...], fmt: str, lang: str) -> None:
    """Print a profile's requirement table."""
    from .discovery import resolve_profile

    p = resolve_profile(profile, list(profiles_dirs))
    if fmt == "json":
        click.echo(json.dumps(p.raw, ensure_ascii=False, indent=1, default=str))
        return
    bound: dict[str, list[str]] = {}
    for b in p.bindings:
        for r in b.requirements:
            bound.setdefault(r, []).append(f"{b.id}({b.check})")
    if fmt == "md":
        click.echo(f"# {p.id} {p.version} — {both(p.title)}\n")
        click.echo("| id | clause | level | requirement | roles / options | checks |\n|---|---|---|---|---|---|")
        for r in p.requirements:
            cond = ", ".join([*r.roles, *map(str, r.conditions)])
            checks = ", ".join(bound.get(r.id, [])) or (f"not tested: {pick(r.not_tested, lang)}" if r.not_tested else "—")
            req_text = pick(r.text, lang).replace("|", "\\|")
            click.echo(f"| {r.id} | {r.clause} | {r.level.value} | {req_text} | {cond} | {checks} |")
        return
    out.print(f"[bold]{p.id}[/] {p.version} — {both(p.title)}")
    for s in p.standards:
        out.print(f"  {s.code} {both(s.title)}" + (f" ({s.year})" if s.year else "") + ("" if s.public else "  [yellow]official text not public / 官方文本未公开[/]"))
    table = Table(show_lines=False)
    for col in ("id", "clause", "level", "requirement", "applies", "checks"):
        table.add_column(col, overflow="fold")
    for r in p.requirements:
        level = r.level.value + (f" {LEVEL_ZH[Level(r.level)]}" if lang == "zh" else "")
        cond = ", ".join([*r.roles, *map(str, r.conditions)])
        checks = ", ".join(bound.get(r.id, [])) or (f"[yellow]not tested[/]: {pick(r.not_tested, lang)}" if r.not_tested else "[red]—[/]")
        table.add_row(r.id, r.clause, level, pick(r.text, lang), cond, checks)
    out.print(table)
    c = p.counts_by_level()
    out.print(f"{len(p.requirements)} requirements: MUST {c['MUST']}, SHOULD {c['SHOULD']}, MAY {c['MAY']}")


@main.command("checks")
@lang_option
def checks_cmd(lang: str) -> None:
    """List the registered check kinds profiles can bind to."""
    from .checks import all_checks

    table = Table(title="Check kinds / 检查类型")
    table.add_column("name")
    table.add_column("media")
    table.add_column("description")
    for name, spec in sorted(all_checks().items()):
        table.add_row(name, ",".join(spec.media_types) or "*", pick(spec.description, lang))
    out.print(table)


# ------------------------------------------------------------------ validate


def _load_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(text(f"{what} 文件不存在", f"{what} file not found"), file=str(path)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(text(f"无法读取 {what}：{exc}", f"cannot read {what}: {exc}"), file=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(text(f"{what} 顶层必须是映射", f"the {what} top level must be a mapping"), file=str(path))
    return data


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(text(f"--now 不是 ISO 8601 时间：{value}", f"--now is not an ISO 8601 date-time: {value}")) from None
    return dt if dt.tzinfo else dt.astimezone()


def _write_outputs(record: dict[str, Any], report_dir: Path | None, output: Path | None,
                   formats: tuple[str, ...], lang: str) -> list[Path]:
    from .record import write_record
    from .render import render

    written: list[Path] = []
    if output is None and report_dir is None:
        return written
    stamp = record["started_at"][:19].replace(":", "").replace("-", "")
    stem = f"{record['profile']['id']}-{stamp}-{record['run_id'][:8]}"
    record_path = output or (report_dir / f"{stem}.run.json")  # type: ignore[operator]
    written.append(write_record(record, record_path))
    base = record_path.parent / record_path.name.removesuffix(".json").removesuffix(".run")
    suffix = {"html": ".html", "junit": ".junit.xml", "md": ".md"}
    for fmt in formats:
        target = base.with_name(base.name + suffix[fmt])
        target.write_text(render(record, fmt, lang=lang), encoding="utf-8")
        written.append(target)
    return written


def print_summary(record: dict[str, Any], lang: str, verbose: bool = False) -> None:
    s = record["summary"]
    prof = record["profile"]
    out.print(f"[bold]{prof['id']} {prof['version']}[/] — {pick(prof['title'], lang)}")
    n_subj = (record.get("subjects_summary") or {}).get("total", len(record["subjects"]))
    out.print(f"subjects / 被测对象: {n_subj}   requirements / 要求: {s['requirements']} "
              f"(applicable / 适用 {s['applicable']})   findings / 发现: {s.get('findings', 0)}")
    shown = 0
    exchanges = record.get("exchanges", [])
    for r in record["requirements"]:
        v = r["verdict"]
        if v == "pass" and not verbose:
            continue
        if v == "not_applicable" and not verbose:
            continue
        shown += 1
        out.print(f"  {_verdict(v, lang)}  [bold]{r['id']}[/] {r['clause']} {r['level']}  {pick(r['text'], lang)}")
        if v == "not_applicable":
            out.print(f"      {pick(r.get('reason'), lang)}", style="dim")
            continue
        bad = [f for f in r["findings"] if f["verdict"] not in ("pass", "not_applicable")]
        for f in bad[:5]:
            loc = f.get("location", {})
            where = loc.get("file", "")
            if "line" in loc:
                where += f":{loc['line']}" + (f":{loc['column']}" if "column" in loc else "")
            for key in ("xpath", "pointer"):
                if key in loc:
                    where += f" {loc[key]}"
            if "exchange" in loc and loc["exchange"] < len(exchanges):
                ex = exchanges[loc["exchange"]]
                status = ex.get("response", {}).get("status", ex.get("error", "-"))
                where += f" exchange #{loc['exchange']} {ex['method']} {ex['url']} → {status}"
            out.print(f"      {where}", style="cyan", markup=False)
            out.print(f"        {pick(f['message'], lang)}", markup=False)
        if len(bad) > 5:
            out.print(f"      … +{len(bad) - 5} more / 另有 {len(bad) - 5} 条", style="dim")
    counts = s["verdicts"]
    line = "  ".join(f"{_verdict(k, lang)} {counts.get(k, 0)}" for k in ("pass", "fail", "error", "inconclusive", "not_applicable"))
    out.print(line)
    if s["warnings"]:
        out.print(f"[yellow]warnings (SHOULD) / 警告[/]: {', '.join(s['warnings'])}")
    if not record.get("complete", True):
        out.print("[bold yellow]run incomplete / 运行未完成[/]: " + record.get("interruption", ""))
    status = {0: ("[bold green]CONFORMANT / 符合[/]"), 1: "[bold red]NOT CONFORMANT / 不符合[/]",
              3: "[bold yellow]INCONCLUSIVE / 无法判定（存在错误或无法判定的结论）[/]"}[s["exit_code"]]
    out.print(status)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


_INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def _catch_interrupts() -> tuple[Any, ...]:
    """SIGINT and SIGTERM end a run early with a record marked incomplete. Both are
    caught explicitly, and unblocked: a process started in the background of a
    non-interactive shell, or by a runner that blocks them, would otherwise inherit an
    ignored or blocked SIGINT, and a cancelled run would leave no record."""
    previous = tuple(signal.signal(s, _raise_interrupt) for s in _INTERRUPTS)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_INTERRUPTS))
    return previous


def _restore_interrupts(previous: tuple[Any, ...]) -> None:
    for s, handler in zip(_INTERRUPTS, previous):
        signal.signal(s, handler if handler is not None else signal.SIG_DFL)


@main.command("validate")
@click.argument("profile")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--ics", type=click.Path(dir_okay=False, path_type=Path), help="Implementation conformance statement (YAML).")
@click.option("--pixit", type=click.Path(dir_okay=False, path_type=Path), help="PIXIT: keys, endpoints, test data (YAML).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True,
              help="Where the run record and reports are written.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Run record path (overrides --report-dir naming).")
@click.option("--no-record", is_flag=True, help="Do not write any file (print only).")
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "junit", "md"]),
              help="Reports to render beside the run record (repeatable).")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel processes (default: all cores).")
@click.option("--seed", type=int, help="Seed for anything random (recorded; reruns reuse it).")
@click.option("--now", help="Validator clock as ISO 8601 (default: now), for reproducible time rules.")
@click.option("--encoding", help="Character encoding of JSON/text payloads (e.g. GB18030).")
@click.option("--max-bytes", type=int, help="Largest payload accepted, in bytes.")
@click.option("-v", "--verbose", is_flag=True, help="List passing and not-applicable requirements too.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the final status line.")
@lab_session_options
@profiles_dir_option
@lang_option
def validate_cmd(profile: str, paths: tuple[Path, ...], ics: Path | None, pixit: Path | None, report_dir: Path,
                 output: Path | None, no_record: bool, formats: tuple[str, ...], jobs: int | None, seed: int | None,
                 now: str | None, encoding: str | None, max_bytes: int | None, verbose: bool, quiet: bool,
                 lab: str | None, operator: str | None, session_note: str | None, session_file: Path | None,
                 waivers_file: Path | None, profiles_dirs: tuple[Path, ...], lang: str) -> None:
    """Validate payload files and directories against PROFILE.

    Exit codes: 0 conformant, 1 not conformant, 2 usage/profile/ICS error,
    3 no failure but error or inconclusive verdicts.
    """
    from .discovery import resolve_profile
    from .engine import SubjectSource, default_jobs
    from .ics import load_ics
    from .runner import validate

    prof = resolve_profile(profile, list(profiles_dirs))
    ics_obj = load_ics(ics, prof) if ics else None
    pixit_data = _load_pixit_checked(pixit, prof) if pixit else {}
    lab_session, waivers = _lab_inputs(prof, lab, operator, session_note, session_file, waivers_file, ics_obj)
    # streamed: a folder of a million files is walked, not held in memory
    subjects = SubjectSource(prof, paths, encoding=encoding, max_bytes=max_bytes, relative_to=Path.cwd())
    if len(subjects) == 0:
        raise UsageError(text("没有找到要校验的文件", "no files to validate were found"),
                         path=", ".join(map(str, paths)))
    n_jobs = jobs or default_jobs()
    previous = _catch_interrupts()
    try:
        show_progress = err.is_terminal and len(subjects) > 1 and not quiet
        if show_progress:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[rate]:.1f} files/s"), TimeRemainingColumn(), console=err,
                          transient=True) as bar:
                task = bar.add_task("validating / 校验中", total=len(subjects), rate=0.0)
                started = time.monotonic()
                shown = [0.0]

                def progress(done: int, total: int, name: str) -> None:
                    now = time.monotonic()
                    if now - shown[0] < 0.1 and done < total:  # a bar redrawn per file costs more than the file
                        return
                    shown[0] = now
                    bar.update(task, completed=done, rate=done / max(now - started, 1e-6))

                record = validate(prof, subjects=subjects, ics=ics_obj, pixit=pixit_data, seed=seed,
                                  now=_parse_now(now), jobs=n_jobs, progress=progress, lang=lang,
                                  pixit_dir=pixit.parent if pixit else None, waivers=waivers,
                                  lab_session=lab_session)
        else:
            record = validate(prof, subjects=subjects, ics=ics_obj, pixit=pixit_data, seed=seed,
                              now=_parse_now(now), jobs=n_jobs, lang=lang, pixit_dir=pixit.parent if pixit else None,
                              waivers=waivers, lab_session=lab_session)
    finally:
        _restore_interrupts(previous)
    if pixit:
        import hashlib

        record["pixit"] = {"source": str(pixit), "sha256": hashlib.sha256(pixit.read_bytes()).hexdigest()}
    from .session import attach, inputs_block

    attach(record, lab_session, inputs_block(
        kind="validate", profile=prof, profiles_dirs=profiles_dirs, ics=ics, pixit=pixit, waivers=waivers_file,
        session_file=session_file, subjects=subjects,
        options={"encoding": encoding, "max_bytes": max_bytes, "lang": lang}))
    written = [] if no_record else _write_outputs(record, report_dir, output, formats, lang)
    if not quiet:
        print_summary(record, lang, verbose)
        _print_waivers(record)
    else:
        out.print({0: "CONFORMANT", 1: "NOT CONFORMANT", 3: "INCONCLUSIVE"}[record["summary"]["exit_code"]])
    for w in written:
        err.print(f"wrote / 已写入 {w}", style="dim", markup=False)
    sys.exit(record["summary"]["exit_code"])


# ------------------------------------------------------------------ live


@main.command("run")
@click.argument("profile")
@click.option("--role", help="Role of the system under test (overrides the ICS role).")
@click.option("--ics", type=click.Path(dir_okay=False, path_type=Path), help="ICS (YAML).")
@click.option("--pixit", type=click.Path(dir_okay=False, path_type=Path), help="PIXIT: base_url, credentials, listener (YAML).")
@click.option("--reference", is_flag=True, help="Test the profile's own reference peer (self-test, demos).")
@click.option("--defect", "defects", multiple=True, help="With --reference: switch on a reference defect (repeatable).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"), show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Run record path.")
@click.option("--no-record", is_flag=True, help="Do not write any file (print only).")
@click.option("--format", "formats", multiple=True, type=click.Choice(["html", "junit", "md"]))
@click.option("--seed", type=int)
@click.option("--now", help="Harness clock as ISO 8601 (default: now).")
@click.option("-v", "--verbose", is_flag=True)
@lab_session_options
@profiles_dir_option
@lang_option
def run_cmd(profile: str, role: str | None, ics: Path | None, pixit: Path | None, reference: bool,
            defects: tuple[str, ...], report_dir: Path, output: Path | None, no_record: bool,
            formats: tuple[str, ...], seed: int | None, now: str | None, verbose: bool,
            lab: str | None, operator: str | None, session_note: str | None, session_file: Path | None,
            waivers_file: Path | None, profiles_dirs: tuple[Path, ...], lang: str) -> None:
    """Run PROFILE's live scenarios against a system under test.

    The harness plays the SUT's counterpart: it calls the SUT at PIXIT base_url and
    listens on loopback for its pushes. Exit codes as for validate.
    """
    from .discovery import resolve_profile
    from .ics import load_ics
    from .live.runner import run_live

    prof = resolve_profile(profile, list(profiles_dirs))
    if defects and not reference:
        raise UsageError(text("--defect 需与 --reference 一起使用", "--defect needs --reference"))
    ics_obj = load_ics(ics, prof) if ics else None
    # Against the reference peer, the peer supplies base_url and credentials.
    pixit_data = _load_pixit_checked(pixit, prof, require=not reference) if pixit else {}
    lab_session, waivers = _lab_inputs(prof, lab, operator, session_note, session_file, waivers_file, ics_obj)
    previous = _catch_interrupts()
    try:
        record = run_live(prof, role=role, pixit=pixit_data, ics=ics_obj, reference=reference, defects=defects,
                          seed=seed, now=_parse_now(now), lang=lang, pixit_dir=pixit.parent if pixit else None,
                          pixit_source=str(pixit) if pixit else None, waivers=waivers, lab_session=lab_session)
    finally:
        _restore_interrupts(previous)
    from .session import attach, inputs_block

    attach(record, lab_session, inputs_block(
        kind="live", profile=prof, profiles_dirs=profiles_dirs, ics=ics, pixit=pixit, waivers=waivers_file,
        session_file=session_file, options={"role": role, "reference": reference, "defects": list(defects),
                                            "lang": lang}))
    written = [] if no_record else _write_outputs(record, report_dir, output, formats, lang)
    print_summary(record, lang, verbose)
    _print_waivers(record)
    out.print(f"exchanges / 交互: {len(record.get('exchanges', []))}")
    for w in written:
        err.print(f"wrote / 已写入 {w}", style="dim", markup=False)
    sys.exit(record["summary"]["exit_code"])


@main.command("reference")
@click.argument("profile")
@click.option("--role", required=True, help="The SUT role the reference peer plays.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=0, show_default=True, help="0: any free port.")
@click.option("--defect", "defects", multiple=True, help="Switch on a defect (repeatable).")
@click.option("--pixit", type=click.Path(dir_okay=False, path_type=Path), help="Secrets and settings for the peer.")
@click.option("--list-defects", is_flag=True, help="List the defects and the requirements each breaks.")
@profiles_dir_option
@lang_option
def reference_cmd(profile: str, role: str, host: str, port: int, defects: tuple[str, ...], pixit: Path | None,
                  list_defects: bool, profiles_dirs: tuple[Path, ...], lang: str) -> None:
    """Serve PROFILE's reference implementation of ROLE until interrupted.

    Vendors develop against it; `--defect` breaks one rule at a time.
    """
    from .discovery import resolve_profile
    from .live.runner import start_reference

    prof = resolve_profile(profile, list(profiles_dirs))
    if list_defects:
        for name, breaks in sorted(prof.defects.items()):
            out.print(f"{name}: {', '.join(breaks)}", markup=False)
        return
    pixit_data = _load_yaml(pixit, "PIXIT") if pixit else {}
    peer = start_reference(prof, role, pixit=pixit_data, defects=defects, host=host, port=port)
    stop = {"now": False}

    def _stop(signum: int, frame: Any) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    out.print(f"reference peer / 参考实现: {prof.id} role={role} defects={','.join(defects) or '-'}", markup=False)
    out.print(f"url: {peer.url}", markup=False)
    out.print("pixit for the harness / 测试工具所需 PIXIT:", markup=False)
    from .pixit import console_pixit

    # The user's own secrets are in their file already; a console (a CI log) is no place for them.
    shown = console_pixit({**peer.pixit, "base_url": peer.url}, pixit_data, prof)
    click.echo(yaml.safe_dump(shown, allow_unicode=True, sort_keys=True).rstrip())
    sys.stdout.flush()
    import time

    try:
        while not stop["now"]:
            time.sleep(0.1)
    finally:
        peer.stop()
        err.print("stopped / 已停止", style="dim")


# ------------------------------------------------------------------ report


@main.group("report")
def report_group() -> None:
    """Render, and later sign and compare, run records."""


@report_group.command("render")
@click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["html", "junit", "md"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Output file (default: stdout).")
@lang_option
def render_cmd(record_path: Path, fmt: str, output: Path | None, lang: str) -> None:
    """Render RUN.json as HTML, JUnit XML or Markdown."""
    from .record import load_record
    from .render import render

    record = load_record(record_path)
    result = render(record, fmt, lang=lang)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(result, encoding="utf-8")
        err.print(f"wrote / 已写入 {output}", style="dim", markup=False)
    else:
        click.echo(result)


@report_group.command("check")
@click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
def check_record_cmd(record_path: Path) -> None:
    """Check RUN.json against the run-record schema; exit with its verdict code."""
    from .record import load_record

    record = load_record(record_path)
    out.print(f"valid run record / 运行记录有效: {record['run_id']}")
    sys.exit(record["summary"]["exit_code"])


# ------------------------------------------------------------------ schema


@main.command("schema")
@click.argument("name", type=click.Choice(["profile", "ics", "run-record"]))
def schema_cmd(name: str) -> None:
    """Print one of the engine's JSON Schemas."""
    from .resources import engine_schema

    click.echo(json.dumps(engine_schema(f"{name}.schema.json"), ensure_ascii=False, indent=2))


# ------------------------------------------------------------------ demo


@main.command("demo")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/demo"), show_default=True)
@click.option("-j", "--jobs", type=int, default=None)
@click.option("--profile", "only", multiple=True, help="Only this profile id (repeatable).")
@profiles_dir_option
@lang_option
def demo_cmd(report_dir: Path, jobs: int | None, only: tuple[str, ...], profiles_dirs: tuple[Path, ...],
             lang: str) -> None:
    """Run every bundled profile on its bundled fixtures and render all reports.

    Valid fixtures must conform; each invalid fixture must fail the requirements its
    EXPECTED.yaml lists. Exit 0 when every profile behaves so.
    """
    from .demo import run_demo

    sys.exit(run_demo(report_dir, jobs=jobs, extra_dirs=list(profiles_dirs), lang=lang, console=out,
                      only=list(only) or None))


def _register_extensions() -> None:
    from .commands import register_all

    register_all(main)


_register_extensions()


if __name__ == "__main__":  # pragma: no cover
    main()
