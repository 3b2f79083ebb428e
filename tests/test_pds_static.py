"""PDS 1.0 message files: valid fixtures conform, each invalid fixture fails exactly its
EXPECTED requirements, every message-file requirement is failed by some fixture, the
generator is deterministic, and the SM2 wrapper meets the GB/T 32918 vector."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pds_support import FIXTURES, PROFILE_DIR, model, profile, run, tool, verdicts  # noqa: E402

from conformance.record import validate_record  # noqa: E402

EXPECTED = yaml.safe_load((FIXTURES / "invalid" / "EXPECTED.yaml").read_text(encoding="utf-8"))
VALID = sorted((FIXTURES / "valid").glob("*.xml"))


def test_profile_loads_and_every_requirement_is_reconstructed() -> None:
    p = profile()
    assert p.id == "pds-1.0"
    assert all(r.reconstructed for r in p.requirements)
    assert all(r.clause.startswith("PDS 1.0 §") for r in p.requirements)
    bound = {req for b in p.bindings for req in b.requirements}
    for r in p.requirements:
        assert (r.id in bound) != (r.not_tested is not None), r.id
        assert len(r.roles) == 1, r.id


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_fixture_conforms(path: Path) -> None:
    record = run([path])
    assert validate_record(record) == []
    bad = {r["id"]: r["verdict"] for r in record["requirements"] if r["verdict"] in ("fail", "error", "inconclusive")}
    assert bad == {}
    assert record["summary"]["exit_code"] == 0
    assert verdicts(record, "pass") >= {"PDS-2.4", "PDS-4.2", "PDS-4.4"}


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_invalid_fixture_fails_exactly_its_requirements(name: str) -> None:
    record = run([FIXTURES / "invalid" / name])
    assert validate_record(record) == []
    assert verdicts(record, "fail") == set(EXPECTED[name])
    assert verdicts(record, "error") == set()
    must = any(profile().requirement(r).level.value == "MUST" for r in EXPECTED[name])
    assert (record["summary"]["exit_code"] == 1) == must
    for req in record["requirements"]:
        for f in req["findings"]:
            if f["verdict"] == "fail":
                assert f["message"]["zh"] and f["message"]["en"]
                assert f["location"].get("line") or f["location"].get("xpath"), f


def test_every_message_requirement_fails_on_some_fixture() -> None:
    file_reqs = {r.id for r in profile().requirements if r.roles == ("sender",) or list(r.roles) == ["sender"]}
    covered = {req for reqs in EXPECTED.values() for req in reqs}
    assert file_reqs - covered == set()
    assert covered - file_reqs == set()


def test_business_rule_finding_points_at_the_element() -> None:
    record = run([FIXTURES / "invalid" / "container-check-digit.xml"])
    f = next(f for r in record["requirements"] if r["id"] == "PDS-5.7" for f in r["findings"] if f["verdict"] == "fail")
    assert f["location"]["xpath"].endswith("pds:ContainerNo[1]")
    assert "check digit must be 3" in f["message"]["en"] and "校验位" in f["message"]["zh"]


def test_decrypted_dgdecl_findings_say_so() -> None:
    record = run([FIXTURES / "invalid" / "un-number-range.xml"])
    f = next(f for r in record["requirements"] if r["id"] == "PDS-5.11" for f in r["findings"] if f["verdict"] == "fail")
    assert f["evidence"]["decrypted"] is True
    assert f["evidence"]["path"] == "/DangerousGoodsDeclaration/Items/Item/UNNumber"


def test_without_pixit_keys_signatures_are_inconclusive_not_failed() -> None:
    record = run([FIXTURES / "valid" / "gate.xml"], pixit={}, pixit_dir=None)
    v = {r["id"]: r["verdict"] for r in record["requirements"]}
    assert v["PDS-7.2"] == "inconclusive" and v["PDS-6.10.5"] == "inconclusive"
    assert v["PDS-5.7"] == "pass"
    assert record["summary"]["exit_code"] == 3


def test_cli_validate_with_pixit(tmp_path: Path) -> None:
    from conformance.cli import main

    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["validate", "pds-1.0", str(FIXTURES / "invalid" / "tampered-body.xml"),
                                       "--pixit", str(FIXTURES / "pixit.yaml"), "-o", str(out), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "PDS-7.2" in result.output
    text = out.read_text(encoding="utf-8")
    secret = (FIXTURES / "keys" / "NBCT0001-sm4-TEST-ONLY.txt").read_text().strip()
    assert secret not in text


def test_generator_is_deterministic(tmp_path: Path) -> None:
    t = tool()
    valid, invalid, expected = t.fixtures(FIXTURES)
    for name, data in valid.items():
        assert (FIXTURES / "valid" / name).read_bytes() == data, name
    for name, data in invalid.items():
        assert (FIXTURES / "invalid" / name).read_bytes() == data, name
    assert expected == EXPECTED
    t.write_many(tmp_path, 2)
    files = sorted(tmp_path.glob("*.xml"))
    assert len(files) == 12
    record = run(files)
    assert record["summary"]["exit_code"] == 0


# GB/T 32918.5-2017 Annex A (recommended curve, ID 1234567812345678, message "message digest"),
# as reproduced in public test suites (OpenSSL sm2_internal_test.c, BouncyCastle SM2SignerTest).
GBT_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
GBT_PUB = ("04" "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
           "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
GBT_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
GBT_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
GBT_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA


def test_sm2_gbt32918_vector() -> None:
    C = model().crypto
    assert C.public_from_private(GBT_D).hex().upper() == GBT_PUB.upper()
    assert C.sm2_sign(GBT_D, b"message digest", k=GBT_K) == (GBT_R, GBT_S)
    assert C.sm2_verify(GBT_PUB, b"message digest", GBT_R, GBT_S)
    assert not C.sm2_verify(GBT_PUB, b"message digesT", GBT_R, GBT_S)
    assert not C.sm2_verify(GBT_PUB, b"message digest", GBT_R, C.SM2P256V1.n)
    r, s = C.sm2_sign(GBT_D, b"other")  # derived k: reproducible and valid
    assert C.sm2_sign(GBT_D, b"other") == (r, s) and C.sm2_verify(GBT_PUB, b"other", r, s)


def test_key_formats_and_der() -> None:
    C = model().crypto
    pub = C.public_from_private(GBT_D)
    assert C.parse_sm2_public(C.sm2_public_pem(pub)) == pub
    assert C.parse_sm2_public(pub.hex()) == pub
    assert C.parse_sm2_private(f"{GBT_D:064x}") == GBT_D
    der = C.der_encode(GBT_R, GBT_S)
    assert C.der_decode(der) == (GBT_R, GBT_S)
    for bad in (der + b"\x00", der[:-1]):
        with pytest.raises(ValueError):
            C.der_decode(bad)
    with pytest.raises(ValueError):
        C.parse_sm4_key("00" * 15)


def test_check_digits() -> None:
    M = model()
    assert M.imo_valid("9074729") and not M.imo_valid("9074728")
    assert M.container_valid("CSQU3054383") and not M.container_valid("CSQU3054384")
    assert M.parse_datetime("2026-02-29T00:00:00Z") is None and M.parse_datetime("2028-02-29T00:00:00+14:00")
    assert M.parse_datetime("2026-01-01T00:00:00+14:01") is None
