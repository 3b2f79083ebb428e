"""Certification-lab and CI commands: ICS/PIXIT templates, rerun, keys, signed records,
certificates, coverage and record diffs."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError
from ..i18n import Text, both, pick, text


def _cli() -> Any:
    from .. import cli

    return cli


def _profiles_dir_option(fn: Any) -> Any:
    return click.option("--profiles-dir", "profiles_dirs", multiple=True,
                        type=click.Path(file_okay=False, path_type=Path),
                        help="Extra folder of profiles (repeatable).")(fn)


def _lang_option(fn: Any) -> Any:
    cli = _cli()
    return click.option("--lang", type=click.Choice(["zh", "en"]), default=cli.default_lang,
                        show_default="from $LANG")(fn)


# --------------------------------------------------------------------------- ics


def _ics_group() -> click.Group:
    @click.group("ics")
    def ics_group() -> None:
        """ICS and PIXIT: templates, derived schemas, checks."""

    @ics_group.command("template")
    @click.argument("profile")
    @click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Folder to write ics.yaml and pixit.yaml into (default: print both).")
    @click.option("--force", is_flag=True, help="Overwrite existing files.")
    @_profiles_dir_option
    def template_cmd(profile: str, out_dir: Path | None, force: bool, profiles_dirs: tuple[Path, ...]) -> None:
        """Write a commented ICS and PIXIT template for PROFILE."""
        from ..discovery import resolve_profile
        from ..ics import ics_template
        from ..pixit import pixit_template

        prof = resolve_profile(profile, list(profiles_dirs))
        files = {"ics.yaml": ics_template(prof), "pixit.yaml": pixit_template(prof)}
        if out_dir is None:
            for name, body in files.items():
                click.echo(f"# ---- {name}\n{body}")
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            target = out_dir / name
            if target.exists() and not force:
                raise UsageError(text(f"文件已存在（用 --force 覆盖）：{target}", f"file exists (use --force to overwrite): {target}"))
            target.write_text(body, encoding="utf-8")
            _cli().err.print(f"wrote / 已写入 {target}", style="dim", markup=False)

    @ics_group.command("schema")
    @click.argument("profile")
    @click.option("--pixit", "which", flag_value="pixit", help="The PIXIT schema instead of the ICS schema.")
    @click.option("--ics", "which", flag_value="ics", default=True, help="The ICS schema (default).")
    @_profiles_dir_option
    def schema_cmd(profile: str, which: str, profiles_dirs: tuple[Path, ...]) -> None:
        """Print the JSON Schema PROFILE derives for its ICS (or PIXIT)."""
        from ..discovery import resolve_profile
        from ..ics import ics_schema
        from ..pixit import pixit_schema

        prof = resolve_profile(profile, list(profiles_dirs))
        schema = pixit_schema(prof) if which == "pixit" else ics_schema(prof)
        click.echo(json.dumps(schema, ensure_ascii=False, indent=2, default=str))

    @ics_group.command("check")
    @click.argument("profile")
    @click.option("--ics", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--pixit", type=click.Path(dir_okay=False, path_type=Path))
    @_profiles_dir_option
    def check_cmd(profile: str, ics: Path | None, pixit: Path | None, profiles_dirs: tuple[Path, ...]) -> None:
        """Validate an ICS and/or a PIXIT against PROFILE (exit 2 when refused)."""
        from ..discovery import resolve_profile
        from ..ics import load_ics
        from ..pixit import load_pixit

        cli = _cli()
        prof = resolve_profile(profile, list(profiles_dirs))
        if ics is None and pixit is None:
            raise UsageError(text("请给出 --ics 或 --pixit", "give --ics or --pixit"))
        if ics is not None:
            obj = load_ics(ics, prof)
            cli.out.print(f"ICS OK / ICS 有效: {ics} (role {obj.role}, options {obj.options})", markup=False)
        if pixit is not None:
            _data, result = load_pixit(pixit, prof)
            for w in result.warnings:
                cli.err.print(f"warning / 警告: {pixit}: {both(w)}", markup=False)
            cli.out.print(f"PIXIT OK / PIXIT 有效: {pixit}", markup=False)

    return ics_group


# --------------------------------------------------------------------------- rerun


def _verdict_map(record: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {r["id"]: (r["verdict"], bool(r.get("waived"))) for r in record["requirements"]}


def _resolve_recorded_profile(record: dict[str, Any], profiles_dirs: list[Path]) -> Any:
    from ..discovery import resolve_profile

    inputs = record.get("inputs") or {}
    recorded = inputs.get("profile") or {}
    dirs = [*profiles_dirs, *[Path(d) for d in recorded.get("profiles_dirs") or [] if Path(d).is_dir()]]
    path = recorded.get("path")
    if path and Path(path).is_dir():
        return resolve_profile(path, dirs)
    return resolve_profile(record["profile"]["id"], dirs)


def _profile_changes(record: dict[str, Any], prof: Any) -> list[str]:
    """Files of the profile whose sha256 differs from the record's (added, removed, changed)."""
    old = (record.get("profile") or {}).get("digest", {}).get("files") or {}
    new = prof.digest()["files"]
    out = []
    for rel in sorted(set(old) | set(new)):
        if rel not in new:
            out.append(f"{rel} (removed / 已删除)")
        elif rel not in old:
            out.append(f"{rel} (added / 新增)")
        elif old[rel] != new[rel]:
            out.append(f"{rel} (changed / 已修改)")
    return out


def _input_changes(inputs: dict[str, Any]) -> list[str]:
    from ..session import file_sha256

    changed = []
    entries = [(k, inputs[k]) for k in ("ics", "pixit", "waivers", "session") if k in inputs]
    entries += [("subject", s) for s in inputs.get("subjects") or []]
    for what, item in entries:
        path = Path(item["path"])
        if not path.is_file():
            changed.append(f"{what} {path}: missing / 不存在")
            continue
        want = item.get("sha256")
        if want and file_sha256(path) != want:
            changed.append(f"{what} {path}: sha256 changed / 摘要已变化")
    return changed


def rerun_record(record: dict[str, Any], *, profiles_dirs: list[Path] | None = None,
                 allow_profile_change: bool = False, allow_input_change: bool = False,
                 record_path: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Repeat the run ``record`` describes; returns (new record, changed inputs).

    Refuses (UsageError) when the profile's digest or an input's sha256 differs, unless allowed.
    """
    from ..engine import SubjectSource
    from ..ics import load_ics
    from ..pixit import load_pixit
    from ..runner import validate
    from ..session import attach, inputs_block
    from ..waivers import load_waivers

    inputs = record.get("inputs")
    if not isinstance(inputs, dict):
        raise UsageError(text("运行记录没有 inputs 块（由旧版本或 pytest 插件生成），无法重跑",
                              "the run record has no inputs block (written by an older version or by the pytest plugin); "
                              "it cannot be rerun"))
    prof = _resolve_recorded_profile(record, list(profiles_dirs or []))
    notes: list[str] = []
    if prof.digest()["value"] != record["profile"]["digest"]["value"]:
        files = _profile_changes(record, prof)
        listing = "; ".join(files) or "-"
        if not allow_profile_change:
            raise UsageError(text(
                f"测试配置 {prof.id} 已与运行时不同（摘要不符）：{listing}。如确需重跑请加 --allow-profile-change",
                f"profile {prof.id} differs from the one of the run (digest mismatch): {listing}. "
                "Use --allow-profile-change to rerun anyway"))
        notes.append(f"profile changed / 测试配置已变化: {listing}")
    changed = _input_changes(inputs)
    if changed and not allow_input_change:
        raise UsageError(text("输入已变化：" + "; ".join(changed) + "。如确需重跑请加 --allow-input-change",
                              "inputs changed: " + "; ".join(changed) + ". Use --allow-input-change to rerun anyway"))
    notes.extend(changed)
    options = inputs.get("options") or {}
    ics_path = (inputs.get("ics") or {}).get("path")
    pixit_path = (inputs.get("pixit") or {}).get("path")
    waivers_path = (inputs.get("waivers") or {}).get("path")
    ics_obj = load_ics(ics_path, prof) if ics_path else None
    reference = bool(options.get("reference"))
    pixit: dict[str, Any] = {}
    if pixit_path:
        pixit, _ = load_pixit(pixit_path, prof, require=not reference)
    waivers = load_waivers(waivers_path, requirement_ids={r.id for r in prof.requirements}) if waivers_path else None
    today = None
    if waivers is not None and (record.get("waivers") or {}).get("evaluated_on"):
        today = date.fromisoformat(record["waivers"]["evaluated_on"])
    now = datetime.fromisoformat(record["clock"])
    lab_session = dict(record.get("session") or {})
    lang = str(options.get("lang") or "en")
    if inputs["kind"] == "live":
        from ..live.runner import run_live

        new = run_live(prof, role=options.get("role"), pixit=pixit, ics=ics_obj, reference=reference,
                       defects=tuple(options.get("defects") or ()), seed=record["seed"], now=now, lang=lang,
                       pixit_dir=Path(pixit_path).parent if pixit_path else None, pixit_source=pixit_path,
                       waivers=waivers, waivers_today=today, lab_session=lab_session)
        subjects: list[Any] = []
    else:
        files = [s["path"] for s in inputs.get("subjects") or []] + list(inputs.get("paths") or [])
        cwd = Path(inputs.get("cwd") or ".")
        subjects = SubjectSource(prof, [f for f in files if Path(f).exists()], encoding=options.get("encoding"),
                                 max_bytes=options.get("max_bytes"), relative_to=cwd)
        if len(subjects) == 0:
            raise UsageError(text("没有可重跑的测试对象文件", "none of the run's subject files is present"))
        new = validate(prof, subjects=subjects, ics=ics_obj, pixit=pixit, seed=record["seed"], now=now,
                       lang=lang, pixit_dir=Path(pixit_path).parent if pixit_path else None,
                       waivers=waivers, waivers_today=today, lab_session=lab_session)
        if pixit_path:
            from ..session import file_sha256

            new["pixit"] = {"source": pixit_path, "sha256": file_sha256(pixit_path)}
    attach(new, lab_session, inputs_block(
        kind=inputs["kind"], profile=prof, profiles_dirs=(inputs.get("profile") or {}).get("profiles_dirs") or [],
        ics=ics_path, pixit=pixit_path, waivers=waivers_path, session_file=(inputs.get("session") or {}).get("path"),
        subjects=subjects, options=options))
    new["inputs"]["cwd"] = inputs.get("cwd", new["inputs"]["cwd"])
    same = _verdict_map(new) == _verdict_map(record)
    new["rerun_of"] = {"run_id": record["run_id"], "same_verdicts": same,
                       **({"record": str(record_path)} if record_path else {})}
    return new, notes


# --------------------------------------------------------------------------- verify helpers


def check_internal_digests(record: dict[str, Any], profiles_dirs: list[Path]) -> tuple[list[Text], list[Text]]:
    """Profile digest vs its files list and vs the installed profile; subject and input
    files vs their recorded sha256 (when present). Returns (problems, notes)."""
    import hashlib

    from ..errors import ConformanceError
    from ..session import file_sha256

    problems: list[Text] = []
    notes: list[Text] = []
    digest = (record.get("profile") or {}).get("digest") or {}
    files = digest.get("files") or {}
    overall = hashlib.sha256()
    for rel in sorted(files):
        overall.update(f"{rel}\0{files[rel]}\n".encode())
    if files and overall.hexdigest() != digest.get("value"):
        problems.append(text("profile.digest.value 与 profile.digest.files 不一致（记录被修改）",
                             "profile.digest.value does not match profile.digest.files (the record was altered)"))
    try:
        prof = _resolve_recorded_profile(record, profiles_dirs)
    except ConformanceError:
        prof = None
    if prof is None:
        notes.append(text("测试配置未安装，未核对其文件", "the profile is not installed here; its files were not checked"))
    elif prof.version != record["profile"].get("version"):
        notes.append(text(f"已安装的测试配置版本为 {prof.version}，记录为 {record['profile'].get('version')}；未核对文件",
                          f"the installed profile is version {prof.version}, the record's is "
                          f"{record['profile'].get('version')}; files not checked"))
    elif prof.digest()["value"] != digest.get("value"):
        for change in _profile_changes(record, prof):
            problems.append(text(f"测试配置文件与记录的摘要不符：{change}", f"profile file differs from the record's digest: {change}"))
    else:
        notes.append(text(f"测试配置文件与摘要一致（{len(files)} 个文件）", f"profile files match the digest ({len(files)} files)"))
    cwd = Path((record.get("inputs") or {}).get("cwd") or ".")
    checked = missing = 0
    for s in record.get("subjects") or []:
        if not s.get("path") or not s.get("sha256"):
            continue
        p = Path(s["path"])
        if not p.is_absolute():
            p = cwd / p
        if not p.is_file():
            missing += 1
            continue
        checked += 1
        if file_sha256(p) != s["sha256"]:
            problems.append(text(f"测试对象 #{s['index']} {s['name']} 与记录的 sha256 不符（文件在运行后被修改，或记录被修改）",
                                 f"subject #{s['index']} {s['name']} does not match its recorded sha256 "
                                 "(the file changed after the run, or the record was altered)"))
    if checked or missing:
        notes.append(text(f"核对了 {checked} 个测试对象文件，{missing} 个不在本机", f"{checked} subject file(s) checked, {missing} not present"))
    return problems, notes


# --------------------------------------------------------------------------- register


def register(main: click.Group) -> None:
    cli = _cli()
    main.add_command(_ics_group())
    report = main.commands["report"]
    assert isinstance(report, click.Group)

    @main.command("rerun")
    @click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Write the new run record (and --format reports) here.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="New run record path.")
    @click.option("--format", "formats", multiple=True, type=click.Choice(["html", "junit", "md"]))
    @click.option("--allow-profile-change", is_flag=True, help="Rerun even when the profile's digest differs.")
    @click.option("--allow-input-change", is_flag=True, help="Rerun even when an input file changed.")
    @_profiles_dir_option
    @_lang_option
    def rerun_cmd(record_path: Path, report_dir: Path | None, output: Path | None, formats: tuple[str, ...],
                  allow_profile_change: bool, allow_input_change: bool, profiles_dirs: tuple[Path, ...],
                  lang: str) -> None:
        """Repeat RUN.json with the same profile, inputs, seed and clock; compare verdicts.

        Exit 0 when the verdicts are the same, 1 when they differ, 2 when refused.
        """
        from ..record import load_record

        record = load_record(record_path)
        new, notes = rerun_record(record, profiles_dirs=list(profiles_dirs), allow_profile_change=allow_profile_change,
                                  allow_input_change=allow_input_change, record_path=str(record_path))
        for n in notes:
            cli.err.print(f"warning / 警告: {n}", markup=False)
        written = cli._write_outputs(new, report_dir, output, formats, lang)
        for w in written:
            cli.err.print(f"wrote / 已写入 {w}", style="dim", markup=False)
        old_v, new_v = _verdict_map(record), _verdict_map(new)
        if old_v == new_v:
            cli.out.print(f"[bold green]same verdicts / 结论相同[/] ({len(new_v)} requirements, seed {new['seed']}, "
                          f"clock {new['clock']})")
            sys.exit(0)
        cli.out.print("[bold red]verdicts differ / 结论不同[/]")
        for rid in sorted(set(old_v) | set(new_v)):
            if old_v.get(rid) != new_v.get(rid):
                a, b = old_v.get(rid, ("-", False)), new_v.get(rid, ("-", False))
                cli.out.print(f"  {rid}: {a[0]}{' (waived)' if a[1] else ''} → {b[0]}{' (waived)' if b[1] else ''}",
                              markup=False)
        sys.exit(1)

    @main.command("keygen")
    @click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
                  help="Folder for the key pair.")
    @click.option("--alg", type=click.Choice(["ed25519", "sm2"]), default="ed25519", show_default=True)
    @click.option("--name", default="lab", show_default=True, help="File name stem.")
    @click.option("--force", is_flag=True, help="Overwrite existing key files.")
    def keygen_cmd(out_dir: Path, alg: str, name: str, force: bool) -> None:
        """Make a lab signing key pair: NAME-ALG.key (private, mode 600) and NAME-ALG.pub."""
        from ..signing import generate_key, write_key_pair

        key = generate_key(alg)
        priv, pub = write_key_pair(key, out_dir, name, force=force)
        cli.out.print(f"private key / 私钥: {priv}", markup=False)
        cli.out.print(f"public key / 公钥: {pub}", markup=False)
        cli.out.print(f"key id / 密钥编号 (sha256): {key.public.key_id}", markup=False)

    @report.command("sign")
    @click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Private key (from conformance keygen).")
    @click.option("--signer", help="Who signs (lab, person); recorded in the signature.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the signed record here (default: in place).")
    def sign_cmd(record_path: Path, key_path: Path, signer: str | None, output: Path | None) -> None:
        """Sign RUN.json with the lab's key (signature stored in the record)."""
        from ..record import load_record, write_record
        from ..signing import load_private_key, sign_record

        record = load_record(record_path)
        key = load_private_key(key_path)
        if signer is None:
            signer = str((record.get("session") or {}).get("lab") or "")
        sign_record(record, key, signer=signer)
        target = write_record(record, output or record_path)
        cli.out.print(f"signed / 已签名: {target} ({record['signature']['alg']}, key {key.public.key_id[:16]}…)",
                      markup=False)

    @report.command("verify")
    @click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="The lab's public key (without it the key in the record is used).")
    @click.option("--json", "as_json", is_flag=True)
    @_profiles_dir_option
    @_lang_option
    def verify_cmd(record_path: Path, key_path: Path | None, as_json: bool, profiles_dirs: tuple[Path, ...],
                   lang: str) -> None:
        """Check RUN.json's signature and internal digests; name what was altered.

        Exit 0 when the signature is valid and every digest matches, 1 otherwise.
        """
        result, problems, notes = _verify(record_path, key_path, list(profiles_dirs))
        if as_json:
            click.echo(json.dumps({"ok": not problems, "signature": result.status, "key_id": result.key_id,
                                   "signer": result.signer, "signed_at": result.signed_at, "pinned": result.pinned,
                                   "problems": problems, "notes": notes}, ensure_ascii=False, indent=1))
            sys.exit(0 if not problems else 1)
        style = {"valid": "bold green", "invalid": "bold red", "unsigned": "bold yellow"}[result.status]
        cli.out.print(f"signature / 签名: [{style}]{result.status}[/]"
                      + (f"  key {result.key_id}" if result.key_id else "")
                      + (f"  signer {result.signer}" if result.signer else ""))
        for p in problems:
            cli.out.print(f"  [red]✗[/] {pick(p, lang)}", highlight=False)
        for n in notes:
            cli.out.print(f"  · {pick(n, lang)}", style="dim", highlight=False)
        cli.out.print("[bold green]OK: record intact / 记录完整[/]" if not problems
                      else "[bold red]FAILED / 核验失败[/]")
        sys.exit(0 if not problems else 1)

    @report.command("certificate")
    @click.argument("record_path", metavar="RUN.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="The lab's public key to check the signature with.")
    @_profiles_dir_option
    @_lang_option
    def certificate_cmd(record_path: Path, output: Path, key_path: Path | None, profiles_dirs: tuple[Path, ...],
                        lang: str) -> None:
        """Render a printable certificate (self-contained HTML) from RUN.json."""
        from ..record import load_record
        from ..render.certificate import render_certificate

        record = load_record(record_path)
        result, problems, _notes = _verify(record_path, key_path, list(profiles_dirs), record=record,
                                           files=False)
        status = result.status if result.status != "valid" or not problems else "invalid"
        html = render_certificate(record, lang=lang, signature={
            "status": status, "key_id": result.key_id, "signer": result.signer, "signed_at": result.signed_at,
            "alg": (record.get("signature") or {}).get("alg", ""), "pinned": result.pinned})
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
        cli.err.print(f"wrote / 已写入 {output} (signature: {status})", style="dim", markup=False)

    @report.command("diff")
    @click.argument("old_path", metavar="OLD.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("new_path", metavar="NEW.json", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True)
    @_lang_option
    def diff_cmd(old_path: Path, new_path: Path, as_json: bool, lang: str) -> None:
        """List regressions and fixes between two run records; exit 1 on a regression."""
        from ..diff import diff_records
        from ..record import load_record

        result = diff_records(load_record(old_path), load_record(new_path))
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False, indent=1, default=str))
            sys.exit(1 if result["regressed"] else 0)
        if not result["same_profile"]:
            cli.err.print(f"warning / 警告: different profiles / 测试配置不同: {result['old']['profile']} → "
                          f"{result['new']['profile']}", markup=False)

        def flag(v: str | None, waived: bool) -> str:
            return f"{v}{' (waived)' if waived else ''}"

        for title, key, style in (("regressions / 退化", "regressions", "bold red"), ("fixes / 修复", "fixes", "green"),
                                  ("other changes / 其他变化", "changed", "dim")):
            rows = result[key]
            cli.out.print(f"[{style}]{title}: {len(rows)}[/]")
            for r in rows:
                cli.out.print(f"  {r['requirement']} {r['clause']} {r['level']}: {flag(r['old'], r['old_waived'])} → "
                              f"{flag(r['new'], r['new_waived'])}", markup=False)
        nf = result["new_failing_findings"]
        cli.out.print(f"[{'bold red' if nf else 'dim'}]new failing findings / 新增不通过发现: {len(nf)}[/]")
        for f in nf[:50]:
            from ..render import location_text

            cli.out.print(f"  {f['requirement']} [{f['verdict']}] {f['subject']} {location_text(f['location'], lang)}: "
                          f"{pick(f['message'], lang)}", markup=False)
        cli.out.print("[bold red]REGRESSED / 出现退化[/]" if result["regressed"] else "[bold green]no regression / 无退化[/]")
        sys.exit(1 if result["regressed"] else 0)

    @main.command("coverage")
    @click.argument("profile")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--strict", is_flag=True, help="Also fail when a bound requirement has no failing fixture or defect.")
    @_profiles_dir_option
    @_lang_option
    def coverage_cmd(profile: str, as_json: bool, strict: bool, profiles_dirs: tuple[Path, ...], lang: str) -> None:
        """List each requirement with its checks/scenarios and the fixtures or defects that prove it can fail.

        Exit 1 when a MUST requirement has neither a check nor a not_tested reason (with
        --strict also when a bound requirement is not proven able to fail).
        """
        from rich.table import Table

        from ..coverage import coverage
        from ..discovery import resolve_profile

        prof = resolve_profile(profile, list(profiles_dirs))
        cov = coverage(prof, strict=strict)
        if as_json:
            click.echo(json.dumps(cov.to_dict(), ensure_ascii=False, indent=1))
            sys.exit(0 if cov.ok else 1)
        table = Table(title=f"Coverage / 覆盖 {prof.id} {prof.version}")
        for col in ("id", "level", "status", "checks / scenarios", "proven by (fixtures, defects)"):
            table.add_column(col, overflow="fold")
        style = {"proven": "green", "unproven": "yellow", "not_tested": "dim", "untested": "bold red"}
        for r in cov.requirements:
            checks = ", ".join(f"{c['id']}({c['check']}{', scenario' if c['kind'] == 'scenario' else ''})" for c in r.checks)
            if r.not_tested is not None and not r.checks:
                checks = f"not tested: {pick(r.not_tested, lang)}"
            proof = ", ".join([*r.fixtures[:3], *(f"+{len(r.fixtures) - 3}" for _ in [0] if len(r.fixtures) > 3),
                               *(f"defect:{d}" for d in r.defects)])
            table.add_row(r.id, r.level, f"[{style[r.status]}]{r.status}[/]", checks or "—", proof or "—")
        cli.out.print(table)
        counts = cov.to_dict()["counts"]
        cli.out.print("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        for w in cov.warnings:
            cli.err.print(f"warning / 警告: {both(w)}", markup=False)
        for p in cov.problems:
            cli.out.print(f"[red]✗[/] {pick(p, lang)}", highlight=False)
        sys.exit(0 if cov.ok else 1)


def _verify(record_path: Path, key_path: Path | None, profiles_dirs: list[Path], *,
            record: dict[str, Any] | None = None, files: bool = True) -> tuple[Any, list[Text], list[Text]]:
    """Signature, manifest and (with ``files``) internal digests of a record on disk."""
    from ..record import load_record
    from ..signing import load_public_key, verify_signature

    if record is None:
        record = load_record(record_path)
    key = load_public_key(key_path) if key_path else None
    result = verify_signature(record, key)
    problems = list(result.problems)
    notes = list(result.notes)
    if files:
        more_problems, more_notes = check_internal_digests(record, profiles_dirs)
        problems += more_problems
        notes += more_notes
    return result, problems, notes


__all__ = ["check_internal_digests", "register", "rerun_record"]
