"""The wheel carries the bundled profiles, schemas and fixtures, and finds them installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{proc.stdout}\n{proc.stderr}")
    (whl,) = out.glob("*.whl")
    return whl


def test_wheel_contains_engine_schemas_and_bundled_profiles(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "conformance/_bundled/schemas/run-record.schema.json" in names
    assert "conformance/_bundled/schemas/profile.schema.json" in names
    assert "conformance/templates/report.html.j2" in names
    assert "conformance/py.typed" in names
    for profile_yaml in (ROOT / "profiles").glob("*/profile.yaml"):
        rel = profile_yaml.relative_to(ROOT).as_posix()
        assert f"conformance/_bundled/{rel}" in names
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    entry_points = zipfile.ZipFile(wheel).read(meta).decode()
    assert "conformance = conformance.cli:main" in entry_points
    assert "[pytest11]" in entry_points


def test_installed_wheel_finds_its_bundled_resources(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from conformance.resources import bundled_root, engine_schema;"
        "import conformance; assert conformance.__file__.startswith(sys.argv[1]), conformance.__file__;"
        "print(bundled_root()); engine_schema('run-record.schema.json')"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(target / "conformance" / "_bundled")


def test_same_profile_from_two_folders_loads_in_one_process(tmp_path: Path) -> None:
    """An installed wheel and a checkout hold the same profile: both must load together."""
    import shutil

    from conformance import load_profile

    for part in ("profiles", "schemas"):
        shutil.copytree(ROOT / part / "dx-1.0", tmp_path / part / "dx-1.0")
    first = load_profile(ROOT / "profiles" / "dx-1.0")
    second = load_profile(tmp_path / "profiles" / "dx-1.0")
    assert first.id == second.id == "dx-1.0"
    assert first.digest()["value"] == second.digest()["value"]
