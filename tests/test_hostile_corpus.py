"""The hostile-input corpus (fixtures/hostile/MANIFEST.yaml) against every bundled profile.

Every generic case goes to every bundled profile and every profile's own cases to that
profile, through ``conformance.runner.validate`` with the ICS, PIXIT and clock of the
profile's fixtures (keys present: signatures are verified, Data is decrypted). Each run
must give a schema-valid record with the outcome class the manifest names, clear zh/en
findings that name the file, no ``error``, nothing of /etc/passwd, no connection to the
loopback canary, and finish within the time bound. The cases that attack memory run once
more in a fresh process whose peak RSS is bounded (the 200 MiB file only there), and a
few go through the CLI, which must not print a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.dom.minidom
from pathlib import Path

import pytest
import yaml

import hostile_corpus as hc

PAIRS = [(case, pid) for case in hc.cases() if not case.big for pid in case.profiles]
MEMORY_LIMIT_MIB = 300  # peak RSS of the measuring process, whatever the case
MEMORY_GROWTH_MIB = 64  # over what the loaded harness itself needs
CLI = [sys.executable, "-c", "from conformance.cli import main; main()"]  # the console script, wherever it lives


# ---------------------------------------------------------------- the manifest itself


def test_manifest_describes_every_file_and_every_file_exists() -> None:
    ids = [c.id for c in hc.cases()]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    named = {c.file for c in hc.cases() if c.file} | {c.args["template"] for c in hc.cases() if "template" in c.args}
    on_disk = {p.relative_to(hc.CORPUS).as_posix() for p in hc.CORPUS.rglob("*")
               if p.is_file() and p.name not in ("MANIFEST.yaml", "generate.py") and "__pycache__" not in p.parts}
    assert named == on_disk, f"unlisted files: {on_disk - named}; missing files: {named - on_disk}"
    for case in hc.cases():
        assert case.attacks.strip(), case.id
        assert (case.file is None) != (case.generator is None), case.id
        if case.generator:
            assert case.generator in hc.generators().GENERATORS and case.name, case.id
        for pid in case.profiles:
            media = hc.bundled_profile(pid).media_type
            assert case.for_profile(case.expect, pid, media) in hc.OUTCOMES, (case.id, pid)
        if case.big:
            assert case.memory, f"{case.id}: a big case runs only in the memory test"
        assert case.file is None or os.path.getsize(hc.CORPUS / case.file) < 64 * 1024, f"{case.id}: commit small files"
    # a generic folder is fed to every profile, a profile's folder to that profile only
    for case in hc.cases():
        if case.file:
            folder = case.file.split("/")[0]
            assert (folder in ("any", "xml", "json")) == case.generic, case.id
            assert case.generic or case.profiles == (folder,), case.id
    assert set(hc.BUNDLED) == {pid for c in hc.cases() if not c.generic for pid in c.profiles}


def test_generators_are_exact_and_reproducible(tmp_path: Path) -> None:
    gen = hc.generators()
    big = gen.generate("single_line_json", tmp_path / "a.json", {"size": 3 * 1024 * 1024 + 5})
    assert big.stat().st_size == 3 * 1024 * 1024 + 5
    data = big.read_bytes()
    assert b"\n" not in data and isinstance(json.loads(data)["items"], list)
    one = gen.generate("random_bytes", tmp_path / "r1", {"size": 1000, "seed": 7}).read_bytes()
    two = gen.generate("random_bytes", tmp_path / "r2", {"size": 1000, "seed": 7}).read_bytes()
    assert one == two and len(one) == 1000
    expanded = gen.generate("expand", tmp_path / "e.json", {"template": "ocpp-1.6j/idtag-long.json.tmpl",
                                                            "fill": "T", "count": 50}).read_bytes()
    assert json.loads(expanded) == [2, "a1", "Authorize", {"idTag": "T" * 50}]
    # the generate.py command writes the generated cases, big ones only on request
    out = subprocess.run([sys.executable, str(hc.CORPUS / "generate.py"), str(tmp_path / "gen")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    written = {p.name for p in (tmp_path / "gen").iterdir()}
    assert written == {c.name for c in hc.cases() if c.generator and not c.big}


# ---------------------------------------------------------------- every (case, profile) pair


@pytest.mark.parametrize(("case", "profile_id"), PAIRS, ids=[f"{c.id}@{p}" for c, p in PAIRS])
def test_hostile_case(case: hc.Case, profile_id: str, tmp_path: Path, canary: int) -> None:
    path = hc.materialize(case, profile_id, tmp_path, canary_port=canary)
    started = time.monotonic()
    record = hc.validate_file(profile_id, path)
    elapsed = time.monotonic() - started
    hc.check_record(record, case, profile_id, path)
    assert elapsed < hc.TIME_LIMIT_S, f"{case.id} on {profile_id} took {elapsed:.1f} s"
    assert len(json.dumps(record)) < 1_000_000, "a hostile value must not be copied into the record wholesale"


# ---------------------------------------------------------------- memory, in a fresh process


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The big cases, written once per session (per xdist worker) and shared by the profiles."""
    folder = tmp_path_factory.mktemp("hostile-big")
    return {c.id: hc.generators().generate(c.generator, folder / str(c.name), c.args)
            for c in hc.cases() if c.big}


def test_memory_stays_bounded_in_a_fresh_process(big_files: dict[str, Path], tmp_path: Path) -> None:
    pairs: list[tuple[hc.Case, str, Path]] = []
    for case in hc.cases():
        if not case.memory:
            continue
        for pid in case.profiles:
            if case.big:  # one copy, fed to each profile under the name it picks up
                path = tmp_path / pid / f"{case.id}{hc.suffix(pid)}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.symlink_to(big_files[case.id])
            else:
                path = hc.materialize(case, pid, tmp_path / pid)
            pairs.append((case, pid, path))
    out = tmp_path / "measured.json"
    proc = subprocess.run(
        [sys.executable, str(Path(hc.__file__)), "measure", str(out), *(f"{pid}={p}" for _c, pid, p in pairs)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    measured = json.loads(out.read_text(encoding="utf-8"))
    assert len(measured["runs"]) == len(pairs)
    for (case, pid, path), run in zip(pairs, measured["runs"]):
        assert run["profile"] == pid and run["path"] == str(path)
        hc.check_record(run["record"], case, pid, path)
        assert run["seconds"] < hc.TIME_LIMIT_S, f"{case.id} on {pid} took {run['seconds']:.1f} s"
        if case.big:  # refused by its size, yet still identified
            subject = run["record"]["subjects"][0]
            assert subject["size"] == path.stat().st_size and len(subject["sha256"]) == 64
    peak, base = measured["peak_kib"] / 1024, measured["baseline_kib"] / 1024
    assert peak < MEMORY_LIMIT_MIB, f"peak RSS {peak:.0f} MiB"
    assert peak - base < MEMORY_GROWTH_MIB, f"peak RSS grew by {peak - base:.0f} MiB over the loaded harness ({base:.0f} MiB)"


# ---------------------------------------------------------------- the command line


# profile -> cases run through the CLI, one invocation per profile (an XML, a JSON and the
# text profile; two of them in the worker pool, which sees the hostile files too)
CLI_CASES = {
    "dx-1.0": ["xxe-http", "billion-laughs", "dx-xxe-in-envelope", "dx-batch-xxe-item", "nul-bytes", "deep-xml"],
    "ocpp-1.6j": ["ocpp-idtag-long", "ocpp-duplicate-keys", "huge-digits", "invalid-utf8", "deep-json-arrays"],
    "edifact-port": ["edifact-binary-after-unz", "edifact-unz-count-10e400", "png-header", "empty"],
}
PARALLEL_CLI = ("dx-1.0", "ocpp-1.6j")


@pytest.mark.parametrize("profile_id", sorted(CLI_CASES))
def test_cli_reports_hostile_files_without_a_traceback(profile_id: str, tmp_path: Path, canary: int) -> None:
    by_id = {c.id: c for c in hc.cases()}
    folder = tmp_path / "payloads"
    paths = [hc.materialize(by_id[cid], profile_id, folder, canary_port=canary) for cid in CLI_CASES[profile_id]]
    fx = hc.ROOT / "fixtures" / profile_id
    demo = yaml.safe_load((fx / "demo.yaml").read_text(encoding="utf-8")) or {}
    args = [*CLI, "validate", profile_id, str(folder), "--report-dir", str(tmp_path / "reports"),
            "--format", "junit", "--format", "html", "--format", "md", "--lang", "zh", "--seed", "0",
            "-j", "2" if profile_id in PARALLEL_CLI else "1"]
    for key, option in (("ics", "--ics"), ("pixit", "--pixit")):
        if (fx / demo.get(key, f"{key}.yaml")).is_file():
            args += [option, str(fx / demo.get(key, f"{key}.yaml"))]
    if demo.get("now"):
        args += ["--now", str(demo["now"])]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.returncode in (1, 3), (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    records = list((tmp_path / "reports").glob("*.run.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert record["summary"]["exit_code"] == proc.returncode
    media = hc.bundled_profile(profile_id).media_type
    want = {p.name: by_id[cid].for_profile(by_id[cid].expect, profile_id, media)
            for cid, p in zip(CLI_CASES[profile_id], paths)}
    assert {Path(s["name"]).name: s["verdict"] for s in record["subjects"]} == want
    assert not [f for f in hc.findings(record) if f["verdict"] == "error"]
    junit = next((tmp_path / "reports").glob("*.junit.xml"))
    xml.dom.minidom.parse(str(junit))  # control characters from the payloads did not break the XML
    secret = hc.passwd_line()
    for report in (tmp_path / "reports").iterdir():
        assert not secret or secret not in report.read_text(encoding="utf-8", errors="replace"), report.name
