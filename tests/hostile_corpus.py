"""The hostile-input corpus (fixtures/hostile/) for the tests: its cases, the files they
become for each bundled profile, and the checks every resulting run record must pass.

Run as a script, it validates files in a fresh process and reports the peak RSS, so a
test can bound the memory a hostile case costs::

    python tests/hostile_corpus.py measure OUT.json PROFILE=FILE [PROFILE=FILE ...]
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "hostile"
MANIFEST = CORPUS / "MANIFEST.yaml"
BUNDLED = ("dx-1.0", "pds-1.0", "edifact-port", "tcec102-2016", "ocpp-1.6j")
#: every case must finish within this many seconds (the harness's own bound, not a benchmark)
TIME_LIMIT_S = 10.0
OUTCOMES = {"fail": 1, "inconclusive": 3, "pass": 0}  # expected class -> exit code


@dataclass(frozen=True)
class Case:
    id: str
    attacks: str
    profiles: tuple[str, ...]
    expect: Any
    says: Any = None
    file: str | None = None
    generator: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    memory: bool = False
    big: bool = False

    @property
    def generic(self) -> bool:
        return self.profiles == BUNDLED

    def for_profile(self, value: Any, profile_id: str, media_type: str) -> Any:
        """``value`` (``expect`` or ``says``) as it applies to one profile."""
        if not isinstance(value, dict):
            return value
        for key in (profile_id, media_type, "default"):
            if key in value:
                return value[key]
        return None


@cache
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


@cache
def cases() -> tuple[Case, ...]:
    out = []
    for raw in manifest()["cases"]:
        raw = dict(raw)
        profiles = raw.pop("profiles")
        out.append(Case(profiles=BUNDLED if profiles == "all" else tuple(profiles), **raw))
    return tuple(out)


@cache
def generators() -> Any:
    spec = importlib.util.spec_from_file_location("hostile_generate", CORPUS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- profiles as a lab runs them


@cache
def bundled_profile(profile_id: str) -> Any:
    from conformance.discovery import discover
    from conformance.profile import load_profile

    ref = discover(None)[profile_id]
    return load_profile(ref.directory, source=ref.source)


@cache
def run_settings(profile_id: str) -> dict[str, Any]:
    """The ICS, PIXIT and clock the profile's own fixtures use (fixtures/<id>/demo.yaml):
    keys are present, so signatures are verified and Data is decrypted."""
    from conformance.demo import _settings

    st = _settings(bundled_profile(profile_id))
    return {"ics": st["ics"], "pixit": st["pixit"], "now": st["now"], "pixit_dir": st.get("pixit_base"), "seed": 0}


def suffix(profile_id: str) -> str:
    """The extension under which the profile picks a file up (its first subject pattern)."""
    patterns = bundled_profile(profile_id).patterns or ("*.xml",)
    return Path(patterns[0]).suffix


def materialize(case: Case, profile_id: str, folder: Path, canary_port: int | None = None) -> Path:
    """Write ``case`` as the file ``profile_id`` is fed and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    if case.generic:
        target = folder / f"{case.id}{suffix(profile_id)}"
    else:
        target = folder / (case.name or Path(case.file or "").name)
    if case.generator:
        generators().generate(case.generator, target, case.args)
    else:
        data = (CORPUS / str(case.file)).read_bytes()
        placeholder = manifest()["canary_placeholder"].encode()
        if canary_port is not None:
            data = data.replace(placeholder, str(canary_port).encode())
        target.write_bytes(data)
    return target


def validate_file(profile_id: str, path: Path) -> dict[str, Any]:
    from conformance.runner import validate

    return validate(bundled_profile(profile_id), [path], **run_settings(profile_id))


# ---------------------------------------------------------------- what every record must show


def passwd_line() -> str | None:
    """The first line of /etc/passwd: no record may contain it (it would mean a file was read)."""
    try:
        with open("/etc/passwd", encoding="utf-8", errors="replace") as fh:
            return fh.readline().strip() or None
    except OSError:
        return None


def findings(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for r in record["requirements"] for f in r["findings"]]


@cache
def _fast_record_validator() -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - an optional speed-up
        return None
    from conformance.record import record_validator

    return jsonschema_rs.validator_for(record_validator().schema, validate_formats=True)


def record_problems(record: dict[str, Any]) -> list[str]:
    """The run-record schema's verdict on ``record``. Hundreds of records are checked, so
    a compiled validator screens them; the reference one decides and explains any doubt."""
    from conformance.record import validate_record

    fast = _fast_record_validator()
    if fast is not None and fast.is_valid(record):
        return []
    return validate_record(record)


def check_record(record: dict[str, Any], case: Case, profile_id: str, path: Path) -> None:
    """The assertions of the corpus for one (case, profile) run; see MANIFEST.yaml."""
    label = f"{case.id} on {profile_id}"
    problems = record_problems(record)
    assert problems == [], f"{label}: record is not schema-valid: {problems}"
    found = findings(record)
    errors = [f for f in found if f["verdict"] == "error"]
    assert errors == [], f"{label}: the harness reported an error: {errors[:3]}"
    for f in found:
        assert f["message"]["zh"].strip() and f["message"]["en"].strip(), f"{label}: {f}"
        if f.get("subject") is not None:  # the file, or a part of it ("x.json#Data")
            assert f["location"].get("file", "").split("#")[0].endswith(path.name), f"{label}: location {f['location']}"
    about = [f for f in found if f.get("subject") == 0]
    assert about, f"{label}: no finding about the subject"
    media = bundled_profile(profile_id).media_type
    expected = case.for_profile(case.expect, profile_id, media)
    exit_code = record["summary"]["exit_code"]
    assert exit_code == OUTCOMES[expected], (
        f"{label}: expected {expected} (exit {OUTCOMES[expected]}), got exit {exit_code}: "
        + "; ".join(f"{f['requirement']} {f['verdict']}: {f['message']['en'][:160]}"
                    for f in about if f["verdict"] in ("fail", "inconclusive"))[:2000])
    decisive = [f for f in about if f["verdict"] == expected] if expected != "pass" else about
    assert decisive, f"{label}: no {expected} finding about the subject"
    says = case.for_profile(case.says, profile_id, media)
    if says:
        wanted = [says] if isinstance(says, str) else list(says)
        messages = [f["message"]["en"] for f in about if f["verdict"] in ("fail", "inconclusive")]
        assert any(w.lower() in m.lower() for w in wanted for m in messages), (
            f"{label}: no failing or inconclusive message says {wanted!r}: {[m[:160] for m in messages][:8]}")
    dumped = json.dumps(record, ensure_ascii=False)
    secret = passwd_line()
    if secret:
        assert secret not in dumped, f"{label}: the record holds the first line of /etc/passwd"
    assert "TOP-SECRET" not in dumped


# ---------------------------------------------------------------- measuring a fresh process


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(out: Path, pairs: list[tuple[str, Path]]) -> None:
    """Validate each (profile, file) here; write the records, times and peak RSS to ``out``."""
    for profile_id in {p for p, _ in pairs}:  # load everything first: the baseline is the harness itself
        run_settings(profile_id)
    validate_file(pairs[0][0], Path(__file__))  # warm the engine's lazy imports on a harmless file
    baseline = _peak_rss_kib()
    results = []
    for profile_id, path in pairs:
        started = time.monotonic()
        record = validate_file(profile_id, path)
        results.append({"profile": profile_id, "path": str(path), "seconds": time.monotonic() - started,
                        "record": record})
    out.write_text(json.dumps({"baseline_kib": baseline, "peak_kib": _peak_rss_kib(), "runs": results},
                              ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "measure":
        print(__doc__)
        sys.exit(2)
    sys.path.insert(0, str(ROOT))
    measure(Path(sys.argv[2]), [(a.split("=", 1)[0], Path(a.split("=", 1)[1])) for a in sys.argv[3:]])
