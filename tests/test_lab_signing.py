"""Lab keys, signed run records, verification that names what was altered, certificates (item 3)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.record import validate_record
from conformance.signing import (
    canonical,
    generate_key,
    load_private_key,
    load_public_key,
    record_digest,
    sign_record,
    verify_signature,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DX_FIX = ROOT / "fixtures/dx-1.0"
NOW = "2026-01-15T12:00:00+08:00"


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


@pytest.fixture
def run_json(tmp_path: Path) -> Path:
    """A dx-1.0 run over one valid and one invalid payload (copied, so a test may change them)."""
    payloads = tmp_path / "payloads"
    payloads.mkdir()
    shutil.copy(DX_FIX / "valid/rc01-unsigned.xml", payloads)
    shutil.copy(DX_FIX / "invalid/priority-4.xml", payloads)
    out = tmp_path / "run.json"
    code, output = _run(["validate", "dx-1.0", str(payloads), "--ics", str(DX_FIX / "ics.yaml"), "--pixit",
                         str(DX_FIX / "pixit.yaml"), "--now", NOW, "--seed", "1", "-o", str(out), "--lab", "Lab Z",
                         "--operator", "op"])
    assert code == 1, output
    return out


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    for alg in ("ed25519", "sm2"):
        code, output = _run(["keygen", "--out", str(folder), "--alg", alg])
        assert code == 0, output
    return folder


def _edit(path: Path, fn) -> None:  # type: ignore[no-untyped-def]
    record = json.loads(path.read_text(encoding="utf-8"))
    fn(record)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def test_keygen_writes_private_key_readable_only_by_owner(keys: Path) -> None:
    for alg in ("ed25519", "sm2"):
        priv, pub = keys / f"lab-{alg}.key", keys / f"lab-{alg}.pub"
        assert stat.S_IMODE(priv.stat().st_mode) == 0o600
        key = load_private_key(priv)
        assert key.alg == alg and load_public_key(pub).key_id == key.public.key_id
    code, output = _run(["keygen", "--out", str(keys)])
    assert code == 2 and "--force" in output


@pytest.mark.parametrize("alg", ["ed25519", "sm2"])
def test_sign_and_verify_round_trip(run_json: Path, keys: Path, alg: str) -> None:
    code, output = _run(["report", "sign", str(run_json), "--key", str(keys / f"lab-{alg}.key")])
    assert code == 0, output
    record = json.loads(run_json.read_text(encoding="utf-8"))
    assert validate_record(record) == []
    sig = record["signature"]
    assert sig["alg"] == {"ed25519": "ed25519", "sm2": "sm2-sm3"}[alg]
    assert sig["key_id"] == load_public_key(keys / f"lab-{alg}.pub").key_id
    assert sig["signer"] == "Lab Z" and sig["manifest"]["record_sha256"] == record_digest(record)
    code, output = _run(["report", "verify", str(run_json), "--key", str(keys / f"lab-{alg}.pub")])
    assert code == 0, output
    assert "valid" in output and "profile files match the digest" in output and "2 subject file(s) checked" in output
    code, output = _run(["report", "verify", str(run_json)])  # embedded key: valid, but says it is not pinned
    assert code == 0 and "give --key" in output


def test_verify_names_the_altered_requirement_verdict_and_summary(run_json: Path, keys: Path) -> None:
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-ed25519.key")])

    def forge(record: dict) -> None:
        for r in record["requirements"]:
            if r["id"] == "DX-6.7a":
                r["verdict"] = "pass"
        record["summary"]["exit_code"] = 0
        record["summary"]["conformant"] = True

    _edit(run_json, forge)
    code, output = _run(["report", "verify", str(run_json), "--key", str(keys / "lab-ed25519.pub"), "--json"])
    assert code == 1
    problems = [p["en"] for p in json.loads(output)["problems"]]
    assert "the run record was altered after signing" in problems
    assert "requirements[DX-6.7a].verdict changed: signed fail, now pass" in problems
    assert "summary.exit_code changed: signed 1, now 0" in problems
    assert "summary.conformant changed: signed False, now True" in problems


def test_verify_names_altered_sections_findings_and_digests(run_json: Path, keys: Path) -> None:
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-sm2.key")])
    _edit(run_json, lambda r: r["session"].update(lab="Other Lab"))
    code, output = _run(["report", "verify", str(run_json), "--json"])
    assert code == 1 and "section 'session' changed after signing" in output
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-sm2.key")])  # re-sign the altered record

    def findings(record: dict) -> None:
        for r in record["requirements"]:
            if r["id"] == "DX-6.7a":
                r["findings"][0]["message"]["en"] = "nothing to see"

    _edit(run_json, findings)
    code, output = _run(["report", "verify", str(run_json), "--json"])
    assert code == 1 and "requirements[DX-6.7a] changed (same verdict: findings, text or evidence)" in output


def test_verify_detects_wrong_key_forged_value_and_unsigned(run_json: Path, keys: Path, tmp_path: Path) -> None:
    code, output = _run(["report", "verify", str(run_json)])
    assert code == 1 and "not signed" in output
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-ed25519.key")])
    code, output = _run(["report", "verify", str(run_json), "--key", str(keys / "lab-sm2.pub")])
    assert code == 1 and "not with the given key" in output
    other = generate_key("ed25519")
    _edit(run_json, lambda r: r["signature"].update(signer="Somebody else"))
    code, output = _run(["report", "verify", str(run_json), "--key", str(keys / "lab-ed25519.pub")])
    assert code == 1 and "does not verify" in output
    # Re-signing with another key and swapping the embedded key: only --key catches it.
    record = json.loads(run_json.read_text(encoding="utf-8"))
    sign_record(record, other, signer="Lab Z")
    run_json.write_text(json.dumps(record), encoding="utf-8")
    assert _run(["report", "verify", str(run_json)])[0] == 0
    assert _run(["report", "verify", str(run_json), "--key", str(keys / "lab-ed25519.pub")])[0] == 1


def test_verify_checks_subject_files_and_profile_digest(run_json: Path, keys: Path) -> None:
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-ed25519.key")])
    payload = run_json.parent / "payloads/priority-4.xml"
    payload.write_bytes(payload.read_bytes() + b"\n")
    code, output = _run(["report", "verify", str(run_json), "--json"])
    assert code == 1 and "priority-4.xml does not match its recorded sha256" in output
    payload.write_bytes(payload.read_bytes()[:-1])
    assert _run(["report", "verify", str(run_json)])[0] == 0

    def digest(record: dict) -> None:
        files = record["profile"]["digest"]["files"]
        files["profile/profile.yaml"] = "0" * 64

    _edit(run_json, digest)
    code, output = _run(["report", "verify", str(run_json), "--json"])
    problems = [p["en"] for p in json.loads(output)["problems"]]
    assert code == 1
    assert "profile.digest.value does not match profile.digest.files (the record was altered)" in problems
    assert "section 'profile' changed after signing" in problems


def test_sm2_signature_is_standard_sm2_with_sm3_and_default_user_id() -> None:
    """Checked by gmssl, an implementation independent of conformance.crypto."""
    from gmssl import sm2 as gm

    key = generate_key("sm2")
    message = canonical({"a": 1})
    sig = key.sign(message)
    other = gm.CryptSM2(private_key="00", public_key="00" * 64)
    other.public_key = key.public.sm2_xy  # set after construction: gmssl lstrip("04")s what it is given
    # gmssl computes Z_A itself, with the default user id 1234567812345678
    assert other.verify_with_sm3(sig.hex(), message)
    assert not other.verify_with_sm3(sig.hex(), message + b" ")
    assert key.public.verify(sig, message) and not key.public.verify(sig, message + b" ")


def test_canonical_form_is_jcs_like() -> None:
    # Keys sort by UTF-16 code units: U+1F600 (D83D DE00) before U+FF5E, unlike code points.
    assert canonical({"b": [1.0, 2.5, 1e-7, 0.000001, 1e21], "a": "é\n", "\uff5e": 1, "\U0001f600": 2}) == (
        '{"a":"é\\n","b":[1,2.5,1e-7,0.000001,1e+21],"\U0001f600":2,"\uff5e":1}'.encode())
    record = {"x": 1, "signature": {"anything": True}}
    assert record_digest(record) == record_digest({"x": 1})
    assert verify_signature({"x": 1}).problems[0]["en"] == "the run record is not signed"


def test_certificate_shows_product_lab_groups_digest_and_signature(run_json: Path, keys: Path, tmp_path: Path) -> None:
    cert = tmp_path / "cert.html"
    code, output = _run(["report", "certificate", str(run_json), "-o", str(cert), "--lang", "zh"])
    assert code == 0, output
    html = cert.read_text(encoding="utf-8")
    assert "dx-fixture-sender" in html and "Lab Z" in html and "DX 1.0" in html
    assert "根结构" in html and "控制信息元素" in html  # group titles
    assert "not signed" in html and "NOT CONFORMANT" in html
    assert "DX-6.7a" in html  # the group that is not met names its gating requirement
    assert "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html
    _run(["report", "sign", str(run_json), "--key", str(keys / "lab-ed25519.key")])
    record = json.loads(run_json.read_text(encoding="utf-8"))
    _run(["report", "certificate", str(run_json), "-o", str(cert), "--key", str(keys / "lab-ed25519.pub")])
    html = cert.read_text(encoding="utf-8")
    assert f"sha256:{record_digest(record)}" in html and record["signature"]["key_id"] in html
    assert 'class="sig-valid"' in html
    _edit(run_json, lambda r: r["session"].update(lab="Forged"))
    _run(["report", "certificate", str(run_json), "-o", str(cert)])
    assert 'class="sig-invalid"' in cert.read_text(encoding="utf-8")
