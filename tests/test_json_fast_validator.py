"""The fast JSON Schema validator (jsonschema-rs) decides; the reference one explains.

This proves they agree on every JSON fixture of every profile that binds `jsonschema`,
so the fast path can never turn a failure into a pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.checks.json_checks import compile_fast_validator, compile_json_schema
from conformance.discovery import discover
from conformance.profile import load_profile
from conformance.subject import Subject, SubjectError

HERE = Path(__file__).parent
jsonschema_rs = pytest.importorskip("jsonschema_rs")


def _profiles():
    dirs = {ref.directory for ref in discover([HERE / "data/profiles"]).values()}
    for d in sorted(dirs):
        profile = load_profile(d)
        bindings = [b for b in profile.bindings if b.check == "jsonschema"]
        if bindings:
            yield profile, bindings


def _json_files(profile) -> list[Path]:
    roots = [profile.fixtures_dir] if profile.fixtures_dir else []
    roots.append(HERE / "data/fixtures" / profile.id)
    files: list[Path] = []
    for root in roots:
        if root and root.is_dir():
            files += sorted(p for p in root.rglob("*.json"))
    return files


CASES = [
    pytest.param(profile, binding, f, id=f"{profile.id}:{binding.id}:{f.name}")
    for profile, bindings in _profiles()
    for binding in bindings
    for f in _json_files(profile)
]


def test_there_is_something_to_compare() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize(("profile", "binding", "path"), CASES)
def test_fast_and_reference_validators_agree(profile, binding, path: Path) -> None:
    schema = profile.resolve(binding.params["schema"])
    draft = binding.params.get("draft")
    fast = compile_fast_validator(schema, draft)
    if fast is None:
        pytest.skip("the fast validator does not cover this schema (the reference decides alone)")
    reference = compile_json_schema(schema, draft)
    encoding = "gb18030" if "gb18030" in path.name.lower() else None
    try:
        instance = Subject.from_path(path, media_type="json", encoding=encoding).json()
    except SubjectError:
        pytest.skip("not parseable JSON: neither validator runs")
    reference_valid = not any(True for _ in reference.iter_errors(instance))
    assert fast.is_valid(instance) == reference_valid
