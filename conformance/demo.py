"""``conformance demo``: every bundled profile against its own fixtures.

This is the harness proving itself on a fresh machine: valid fixtures must conform,
each invalid fixture must fail (at least) the requirements its ``EXPECTED.yaml`` names.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from .discovery import discover
from .engine import default_jobs
from .ics import load_ics
from .pixit import load_pixit
from .profile import Profile, load_profile
from .record import write_record
from .render import render
from .runner import validate

SUFFIXES = {"html": ".html", "junit": ".junit.xml", "md": ".md"}


def expected_failures(invalid_dir: Path) -> dict[str, list[str]]:
    path = invalid_dir / "EXPECTED.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for name, entry in data.items():
        # Short form: [ids]; long form: {fails: [ids], ics: ..., encoding: ...}.
        ids = entry.get("fails", []) if isinstance(entry, dict) else entry
        out[str(name)] = [str(i) for i in ids or []]
    return out


def failed_by_subject(record: dict[str, Any]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for r in record["requirements"]:
        for f in r["findings"]:
            if f["verdict"] == "fail" and "subject" in f:
                out.setdefault(f["subject"], set()).add(r["id"])
    return out


def _settings(profile: Profile) -> dict[str, Any]:
    fx = profile.fixtures_dir
    settings: dict[str, Any] = {"ics": None, "pixit": {}, "now": None}
    if fx is None:
        return settings
    demo = fx / "demo.yaml"
    conf = yaml.safe_load(demo.read_text(encoding="utf-8")) if demo.is_file() else {}
    conf = conf or {}
    ics_file = fx / conf.get("ics", "ics.yaml")
    pixit_file = fx / conf.get("pixit", "pixit.yaml")
    if ics_file.is_file():
        settings["ics"] = load_ics(ics_file, profile)
    if pixit_file.is_file():
        # Checked against the profile's PIXIT keys like any lab's PIXIT (required keys, types).
        settings["pixit"], _check = load_pixit(pixit_file, profile)
        settings["pixit_base"] = str(pixit_file.parent)
    if conf.get("now"):
        now = conf["now"]
        settings["now"] = now if isinstance(now, datetime) else datetime.fromisoformat(str(now))
    return settings


def _write(record: dict[str, Any], report_dir: Path, stem: str, lang: str) -> None:
    # Profile ids contain dots (dx-1.0): build names by concatenation, not with_suffix.
    write_record(record, report_dir / f"{stem}.run.json")
    for fmt, suffix in SUFFIXES.items():
        (report_dir / f"{stem}{suffix}").write_text(render(record, fmt, lang=lang), encoding="utf-8")


def run_demo(report_dir: Path, *, jobs: int | None = None, extra_dirs: list[str | Path] | None = None,
             lang: str = "en", console: Console | None = None, only: list[str] | None = None) -> int:
    console = console or Console()
    refs = [r for r in discover(extra_dirs).values() if not only or r.id in only]
    if not refs:
        console.print("[red]no profiles installed / 未安装任何测试配置[/]")
        return 2
    report_dir.mkdir(parents=True, exist_ok=True)
    table = Table(title="demo: bundled profiles on their fixtures / 演示：内置配置与样例")
    for col in ("profile", "fixtures", "files", "expected", "got", "ok"):
        table.add_column(col)
    all_ok = True
    problems: list[str] = []
    n_jobs = jobs or default_jobs()
    for ref in sorted(refs, key=lambda r: r.id):
        profile = load_profile(ref.directory, source=ref.source)
        fx = profile.fixtures_dir
        if fx is None or not fx.is_dir():
            table.add_row(profile.id, "-", "0", "-", "no fixtures / 无样例", "[yellow]skip[/]")
            continue
        st = _settings(profile)
        common = {"ics": st["ics"], "pixit": st["pixit"], "now": st["now"], "jobs": n_jobs, "lang": lang, "seed": 0,
                  "pixit_dir": st.get("pixit_base")}
        valid = fx / "valid"
        if valid.is_dir():
            record = validate(profile, [valid], **common)
            _write(record, report_dir, f"{profile.id}-valid", lang)
            ok = record["summary"]["exit_code"] == 0
            all_ok &= ok
            bad = [r["id"] for r in record["requirements"] if r["verdict"] not in ("pass", "not_applicable")]
            table.add_row(profile.id, "valid", str(len(record["subjects"])), "conformant / 符合",
                          "conformant / 符合" if ok else f"not conformant: {', '.join(bad[:6])}",
                          "[green]ok[/]" if ok else "[red]FAILED[/]")
        invalid = fx / "invalid"
        if invalid.is_dir():
            record = validate(profile, [invalid], **common)
            _write(record, report_dir, f"{profile.id}-invalid", lang)
            expected = expected_failures(invalid)
            failed = failed_by_subject(record)
            good = 0
            for subj in record["subjects"]:
                name = Path(subj["name"]).name
                want = set(expected.get(name, []))
                got = failed.get(subj["index"], set())
                ok = bool(got) and want <= got if want else bool(got)
                all_ok &= ok
                good += ok
                if not ok:  # list only the fixtures that do not fail as they should
                    problems.append(f"{profile.id}: invalid/{name}: expected / 应不通过 "
                                    f"{', '.join(sorted(want)) or '(any)'}; got / 实际 {', '.join(sorted(got)) or '-'}")
            n = len(record["subjects"])
            covered = set().union(*failed.values()) if failed else set()
            table.add_row(profile.id, "invalid", str(n), "each fails its EXPECTED ids / 各自不通过",
                          f"{good}/{n} as expected; {len(covered)} requirements shown to fail",
                          "[green]ok[/]" if good == n else "[red]FAILED[/]")
    console.print(table)
    for line in problems:
        console.print(f"[red]FAILED[/] {line}", markup=True, highlight=False, soft_wrap=True)
    console.print(f"reports / 报告: {report_dir}")
    console.print("[bold green]demo passed / 演示通过[/]" if all_ok else "[bold red]demo failed / 演示失败[/]")
    return 0 if all_ok else 1
