"""DX 1.0 profile: valid fixtures conform, each invalid fixture fails exactly its
EXPECTED requirements, and every testable requirement is failed by some fixture."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_dx_support import FIXTURES, profile, run, verdicts  # noqa: E402

from conformance.record import validate_record  # noqa: E402

EXPECTED = yaml.safe_load((FIXTURES / "invalid" / "EXPECTED.yaml").read_text(encoding="utf-8"))
VALID = sorted((FIXTURES / "valid").glob("*.xml"))


def test_profile_loads_and_every_requirement_is_reconstructed() -> None:
    p = profile()
    assert p.id == "dx-1.0"
    assert all(r.reconstructed for r in p.requirements)
    assert all(r.clause.startswith("DX 1.0 §") for r in p.requirements)
    bound = {req for b in p.bindings for req in b.requirements}
    for r in p.requirements:
        assert (r.id in bound) != (r.not_tested is not None), r.id
        if "receiver" in r.roles:
            assert r.not_tested is not None, r.id


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_fixture_conforms(path: Path) -> None:
    record = run([path])
    assert validate_record(record) == []
    bad = {r["id"]: r["verdict"] for r in record["requirements"] if r["verdict"] in ("fail", "error", "inconclusive")}
    assert bad == {}
    assert record["summary"]["exit_code"] == 0


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_invalid_fixture_fails_exactly_its_requirements(name: str) -> None:
    record = run([FIXTURES / "invalid" / name])
    assert validate_record(record) == []
    assert verdicts(record, "fail") == set(EXPECTED[name])
    assert verdicts(record, "error") == set()
    assert record["summary"]["exit_code"] != 0 or all(
        profile().requirement(r).level.value != "MUST" for r in EXPECTED[name])
    for req in record["requirements"]:
        for f in req["findings"]:
            if f["verdict"] == "fail":
                assert f["location"].get("line"), f
                if req["id"] not in ("DX-4.1", "DX-4.2", "DX-4.3", "DX-4.4", "DX-4.5a", "DX-4.6"):
                    # the engine keeps libxml2's raw path when it holds prefixes (see README)
                    assert f["location"].get("xpath", "").startswith("/"), f


def test_every_testable_requirement_fails_on_some_fixture() -> None:
    testable = {r.id for r in profile().requirements if r.not_tested is None}
    covered = {req for reqs in EXPECTED.values() for req in reqs}
    assert testable - covered == set()
    assert covered - testable == set()


def test_batch_finding_locates_the_root() -> None:
    record = run([FIXTURES / "invalid" / "batch-root-priority.xml"])
    finding = next(f for r in record["requirements"] if r["id"] == "DX-6.7a" for f in r["findings"] if f["verdict"] == "fail")
    assert finding["location"]["xpath"] == "/dx:batch/dx:root[2]/dx:header[1]/dx:Priority[1]"


def test_decrypted_findings_cite_clause_7_and_point_at_the_record() -> None:
    record = run([FIXTURES / "invalid" / "encrypted-bad-uscc.xml"])
    finding = next(f for r in record["requirements"] if r["id"] == "DX-7.4.4" for f in r["findings"] if f["verdict"] == "fail")
    assert finding["location"]["xpath"] == "/dx:root/dx:data[1]/dx:record[1]/dx:USCC[1]"
    assert finding["evidence"]["decrypted"] is True


def test_no_decryption_when_the_signature_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import conformance.checks as registry

    spec = registry.get_check("dx-encryption")
    crypto_mod = spec.func.__globals__["crypto"]
    calls: list[str] = []
    real = crypto_mod.cbc_decrypt
    monkeypatch.setattr(crypto_mod, "cbc_decrypt", lambda *a: calls.append("x") or real(*a))
    record = run([FIXTURES / "invalid" / "encrypted-wrong-key-bad-signature.xml"])
    assert calls == []
    assert verdicts(record, "fail") == {"DX-8.2.10"}
    assert "DX-8.3.4" in verdicts(record, "inconclusive")
    run([FIXTURES / "valid" / "lp01-sm4-encrypted.xml"])
    assert calls == ["x"]


def test_tampered_document_fails_digest_and_signature(tmp_path: Path) -> None:
    src = (FIXTURES / "valid" / "pp01-sm2.xml").read_bytes()
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(src.replace("王芳".encode(), "王方".encode()))
    assert verdicts(run([tampered]), "fail") == {"DX-8.2.8"}
    sig = src.split(b"<ds:SignatureValue>")[1].split(b"</ds:SignatureValue>")[0]
    flipped = sig[:20] + (b"A" if sig[20:21] != b"A" else b"B") + sig[21:]
    bad_sig = tmp_path / "bad-sig.xml"
    bad_sig.write_bytes(src.replace(sig, flipped))
    assert {"DX-8.2.10"} <= verdicts(run([bad_sig]), "fail") | verdicts(run([bad_sig]), "fail")


def test_clock_decides_create_time() -> None:
    import datetime as dt

    path = FIXTURES / "valid" / "rc01-unsigned.xml"  # CreateTime 2026-01-15T10:00:00+08:00
    early = dt.datetime(2026, 1, 15, 1, 54, 59, tzinfo=dt.timezone.utc)  # 09:54:59+08:00, 301 s before
    assert verdicts(run([path], now=early), "fail") == {"DX-6.6.2"}
    assert verdicts(run([path], now=early + dt.timedelta(seconds=1)), "fail") == set()


def test_missing_pixit_key_is_inconclusive_not_fail() -> None:
    record = run([FIXTURES / "valid" / "pp01-sm2.xml"], pixit={})
    assert verdicts(record, "fail") == {"DX-8.2.10"}  # no registered key fails 8.2.10 (clause text)
    record = run([FIXTURES / "valid" / "pp01-aes-encrypted.xml"], pixit={"key_registry": __import__("test_dx_support").pixit()["key_registry"]})
    assert verdicts(record, "fail") == set()
    assert "DX-8.3.4" in verdicts(record, "inconclusive")


def test_fixtures_are_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_dx_support import fixtures_tool

    tool = fixtures_tool()
    valid = tool.valid()
    files, expected = tool.invalid()
    for name, data in valid.items():
        assert (FIXTURES / "valid" / name).read_bytes() == data, name
    for name, data in files.items():
        assert (FIXTURES / "invalid" / name).read_bytes() == data, name
    assert expected == EXPECTED
