"""Secrets never leak: every live profile and role, run through the CLI with known secrets.

Each case writes a PIXIT with freshly generated, distinctive secrets, runs
``conformance run PROFILE --role ROLE --reference --pixit ...`` (the reference peer gets
the same PIXIT, so both sides really use the secrets: a run that passes proves it),
writes the record with HTML, JUnit and Markdown beside it, renders every report format
again from the record in both languages, renders the certificate, and then searches
every byte of every output file and of the console (stdout, stderr, warnings, log
records) for every secret in every encoding that could leak it:

* a secret string: itself and, where it is used as key bytes, hex (either case) and
  Base64 (standard and URL-safe, padded or not) of its UTF-8 bytes;
* a binary key (SM2 private scalar, SM4 key): hex in either case and Base64;
* an RSA private key: the PEM, its DER in Base64 and the private numbers in hex;
* tokens the peers issue at run time (collected where they are issued).

Derived values are not secrets and are not searched: HMAC signatures, ciphertext,
public keys, SM2/RSA signatures.

A second run per profile switches on reference defects so the error paths (failing
findings, evidence, curl reproductions) and transport errors are exercised too. The
scanner itself is proved by planting secrets, and the whole chain by a run with the
harness's redaction switched off, which must be caught.

Live runs use short PIXIT timeouts and heartbeats like the profiles' own live tests.
The OCPP runs use the default ICS (no optional feature profiles): the only secret
there is the Basic-auth AuthorizationKey of the WebSocket handshake, which every run
exercises (the handshake is the first exchange of every case).
"""

from __future__ import annotations

import base64
import json
import secrets as pysecrets
import socket
import string
import sys
import traceback
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conformance.cli import main
from conformance.discovery import resolve_profile
from conformance.live.exchange import REDACTED

ROOT = Path(__file__).resolve().parents[1]
TEST_PROFILES = ROOT / "tests" / "data" / "profiles"
ALNUM = string.ascii_letters + string.digits
SM2_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)


# ------------------------------------------------------------------ secrets and their encodings


def distinctive(prefix: str, length: int = 24) -> str:
    """A random-looking value no report could contain by chance."""
    return prefix + "".join(pysecrets.choice(ALNUM) for _ in range(length - len(prefix)))


@dataclass
class Needle:
    label: str
    value: str
    nocase: bool = False  # hex: a leak in either letter case counts


@dataclass
class Secrets:
    """Every form of every secret of one run, each labelled for the failure message."""

    needles: list[Needle] = field(default_factory=list)

    def add(self, label: str, value: str, *, nocase: bool = False) -> None:
        assert len(value) >= 8, f"{label}: too short to search for without false alarms"
        if any(n.value == value for n in self.needles):
            return
        self.needles.append(Needle(label, value, nocase))
        quoted = urllib.parse.quote(value, safe="")
        if quoted != value:
            self.needles.append(Needle(f"{label}, percent-encoded", quoted, nocase))

    def text(self, label: str, value: str, *, key_bytes: bool = False) -> None:
        """A secret string; with ``key_bytes`` its UTF-8 bytes are key material too."""
        self.add(f"{label} (raw)", value)
        if key_bytes:
            self.binary(label, value.encode("utf-8"))

    def binary(self, label: str, data: bytes) -> None:
        self.add(f"{label} (hex)", data.hex(), nocase=True)
        self.add(f"{label} (base64)", base64.b64encode(data).decode("ascii").rstrip("="))
        self.add(f"{label} (base64url)", base64.urlsafe_b64encode(data).decode("ascii").rstrip("="))

    def rsa(self, label: str, key: Any, pem: str) -> None:
        self.add(f"{label} (PEM)", pem.strip())
        der_b64 = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
        self.add(f"{label} (DER base64)", der_b64)
        numbers = key.private_numbers()
        for name in ("d", "p", "q"):
            self.add(f"{label} ({name} hex)", f"{getattr(numbers, name):x}", nocase=True)


def find_leaks(secrets: Secrets, outputs: dict[str, bytes]) -> list[str]:
    """'where: what' for every secret form found in any output."""
    found = []
    for where, data in outputs.items():
        lowered = data.lower()
        for n in secrets.needles:
            hay, needle = (lowered, n.value.lower()) if n.nocase else (data, n.value)
            if needle.encode("utf-8") in hay:
                found.append(f"{where}: {n.label}")
    return found


# ------------------------------------------------------------------ running the CLI


@dataclass
class RunOutput:
    record: dict[str, Any]
    outputs: dict[str, bytes]  # output file (relative path) or console capture -> bytes
    exit_code: int


def _invoke(args: list[str], console: dict[str, bytes], name: str) -> Any:
    result = CliRunner().invoke(main, args)
    text = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        text += "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
    console[f"console: {name}"] = text.encode("utf-8")
    return result


def run_cli(workdir: Path, profile: str, role: str, pixit: dict[str, Any], *, reference: bool = True,
            defects: Iterable[str] = (), expect: Iterable[int] = (0,), extra: Iterable[str] = ()) -> RunOutput:
    """`conformance run` with every report, then every renderer again from the record."""
    inp, out = workdir / "in", workdir / "out"
    inp.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    pixit_path = inp / "pixit.yaml"
    pixit_path.write_text(yaml.safe_dump(pixit, allow_unicode=True, sort_keys=False), encoding="utf-8")
    record_path = out / "run.json"
    console: dict[str, bytes] = {}
    args = ["run", profile, "--role", role, "--pixit", str(pixit_path), "-o", str(record_path), "--format", "html",
            "--format", "junit", "--format", "md", "-v", "--seed", "7", "--lang", "en", "--operator", "secrets-test",
            *extra]
    if reference:
        args.append("--reference")
    for d in defects:
        args += ["--defect", d]
    result = _invoke(args, console, "run")
    assert result.exit_code in tuple(expect), console["console: run"].decode()
    for lang in ("zh", "en"):
        for fmt, suffix in (("html", "html"), ("junit", "junit.xml"), ("md", "md")):
            r = _invoke(["report", "render", str(record_path), "--format", fmt, "--lang", lang,
                         "-o", str(out / f"render-{lang}.{suffix}")], console, f"render {fmt} {lang}")
            assert r.exit_code == 0, r.output
        r = _invoke(["report", "certificate", str(record_path), "-o", str(out / f"certificate-{lang}.html"),
                     "--lang", lang, *extra], console, f"certificate {lang}")
        assert r.exit_code == 0, r.output
    r = _invoke(["report", "render", str(record_path), "--format", "md", "--lang", "zh"], console, "render md to stdout")
    assert r.exit_code == 0, r.output
    r = _invoke(["report", "check", str(record_path)], console, "report check")
    assert r.exit_code == result.exit_code, r.output  # a valid run record
    outputs = {str(p.relative_to(workdir)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert {"out/run.json", "out/run.html", "out/run.junit.xml", "out/run.md"} <= set(outputs), sorted(outputs)
    outputs.update(console)
    record = json.loads(record_path.read_text(encoding="utf-8"))
    return RunOutput(record, outputs, result.exit_code)


@pytest.fixture
def console_capture(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Any]:
    """What reached the process's stdout/stderr outside CliRunner (threads, subprocesses) and any log record."""

    def read() -> dict[str, bytes]:
        captured = capfd.readouterr()
        return {"process stdout/stderr": (captured.out + captured.err).encode("utf-8"),
                "log records": caplog.text.encode("utf-8")}

    yield read


def assert_no_leaks(secrets: Secrets, run: RunOutput, extra: dict[str, bytes], *, redacted: bool = True) -> None:
    leaks = find_leaks(secrets, {**run.outputs, **extra})
    assert leaks == [], "secrets leaked:\n" + "\n".join(leaks)
    if redacted:  # the secrets really flowed through the run: something was redacted
        assert REDACTED.encode("utf-8") in run.outputs["out/run.json"]


@cache
def profile_of(profile_id: str) -> Any:
    """The bundled profile (by folder: faster than discovering every profile by id)."""
    return resolve_profile(ROOT / "profiles" / profile_id)


def failed(record: dict[str, Any]) -> set[str]:
    return {r["id"] for r in record["requirements"] if r["verdict"] not in ("pass", "not_applicable")}


def plugin_module(suffix: str) -> Any:
    return next(m for name, m in list(sys.modules.items())
                if name.startswith("conformance_profile_plugins.") and name.endswith(suffix))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ the scanner can fail


def test_scanner_finds_every_planted_encoding(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    s = Secrets()
    s.text("sig_secret", distinctive("Sig", 16), key_bytes=True)
    s.binary("sm4", pysecrets.token_bytes(16))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    s.rsa("rsa", key, pem)
    s.add("with reserved characters", "a/b+c=d&e f")
    clean = {"report.html": b"<html>nothing to see \xe4\xb8\xad</html>", "console": b""}
    assert find_leaks(s, clean) == []
    for needle in s.needles:
        for planted in (needle.value, needle.value.upper() if needle.nocase else needle.value):
            outputs = {**clean, "report.md": b"before " + planted.encode() + b" after"}
            assert any(hit == f"report.md: {needle.label}" for hit in find_leaks(s, outputs)), needle.label
    labels = {n.label for n in s.needles}
    assert {"sig_secret (raw)", "sig_secret (hex)", "sig_secret (base64)", "sm4 (hex)", "rsa (PEM)",
            "rsa (d hex)", "with reserved characters, percent-encoded"} <= labels
    # a planted secret in an output file of a run is found, too
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"x": s.needles[0].value}), encoding="utf-8")
    found = find_leaks(s, {p.name: p.read_bytes() for p in out.iterdir()})
    assert found == ["run.json: sig_secret (raw)"]


def test_a_run_without_redaction_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole chain can fail: with the harness's redaction switched off the password shows."""
    import conformance.live.exchange as exchange
    import conformance.live.runner as runner

    monkeypatch.setattr(exchange.Recorder, "redact", lambda self, text: text)
    monkeypatch.setattr(exchange, "SENSITIVE_HEADERS", frozenset())
    monkeypatch.setattr(runner, "redact", lambda value, secrets: value)
    s = Secrets()
    password = distinctive("Pw")
    s.text("password", password)
    run = run_cli(tmp_path, "test-live", "server", {"user": "lab", "password": password},
                  extra=["--profiles-dir", str(TEST_PROFILES)])
    leaks = find_leaks(s, run.outputs)
    assert "out/run.json: password (raw)" in leaks
    assert any(hit.startswith(("out/render-zh.html", "out/run.md")) for hit in leaks), leaks


# ------------------------------------------------------------------ test-live


@pytest.mark.parametrize("defects, expect", [((), 0), (("accept-any-password", "wrong-echo", "plaintext"), 1)],
                         ids=["clean", "defects"])
def test_test_live_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, console_capture: Any,
                           defects: tuple[str, ...], expect: int) -> None:
    resolve_profile(TEST_PROFILES / "test-live")
    plugin = next(m for m in list(sys.modules.values())
                  if str(getattr(m, "__file__", "")).endswith("test-live/live_checks.py"))
    issued: list[str] = []

    class TokenSource:  # the reference peer's tokens are token_hex(16); record every one it issues
        def __getattr__(self, name: str) -> Any:
            return getattr(pysecrets, name)

        @staticmethod
        def token_hex(n: int | None = None) -> str:
            value = pysecrets.token_hex(n)
            if n == 16:
                issued.append(value)
            return value

    monkeypatch.setattr(plugin, "secrets", TokenSource())
    s = Secrets()
    password = distinctive("Pw")
    s.text("password", password)
    run = run_cli(tmp_path, "test-live", "server", {"user": "lab", "password": password}, defects=defects,
                  expect=(expect,), extra=["--profiles-dir", str(TEST_PROFILES)])
    assert issued, "the reference peer issued no token"
    for n, token in enumerate(issued):
        s.text(f"token #{n}", token)
    if defects:
        assert failed(run.record) == {"TL-2", "TL-3", "TL-5"}
    assert_no_leaks(s, run, console_capture())


# ------------------------------------------------------------------ tcec102-2016


def tcec_secrets() -> tuple[dict[str, Any], Secrets]:
    pixit = {"operator_id": "MA0CEC102", "sut_operator_id": "MA01H3BQ2",
             "operator_secret": distinctive("Op", 16), "data_secret": distinctive("Dk", 16),
             "data_iv": distinctive("Iv", 16), "sig_secret": distinctive("Sg", 20), "timeout_s": 2}
    s = Secrets()
    s.text("OperatorSecret", pixit["operator_secret"], key_bytes=True)
    s.text("DataSecret", pixit["data_secret"], key_bytes=True)
    s.text("DataSecretIV", pixit["data_iv"], key_bytes=True)
    s.text("SigSecret", pixit["sig_secret"], key_bytes=True)
    return pixit, s


TCEC_CASES = [
    ("provider", ()),
    ("demander", ()),
    # failing answers with evidence and curl reproductions; plaintext Data shows payloads in the clear
    ("provider", ("wrong-response-sig", "plaintext-data", "no-token-check")),
    # a token issued for a wrong OperatorSecret, an HTML 401, pushes without a token
    ("demander", ("accept-any-secret", "non-json-401", "no-bearer", "token-before-sig")),
]


@pytest.mark.parametrize("role, defects", TCEC_CASES, ids=["provider", "demander", "provider-defects",
                                                            "demander-defects"])
def test_tcec102_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, console_capture: Any, role: str,
                         defects: tuple[str, ...]) -> None:
    profile = profile_of("tcec102-2016")
    core = plugin_module("tcec102_2016_tcec_core")
    issued: list[str] = []
    original = core.Platform.issue_token

    def issue_token(self: Any) -> str:  # both the reference peer and the harness's listener issue tokens
        token = original(self)
        issued.append(token)
        return token

    monkeypatch.setattr(core.Platform, "issue_token", issue_token)
    pixit, s = tcec_secrets()
    run = run_cli(tmp_path, "tcec102-2016", role, pixit, defects=defects, expect=(1,) if defects else (0,))
    if defects:
        assert failed(run.record) == {r for d in defects for r in profile.defects[d]}
    assert len(issued) >= 2
    for n, token in enumerate(issued):
        s.text(f"AccessToken #{n}", token)
    assert_no_leaks(s, run, console_capture())


def test_tcec102_transport_error(tmp_path: Path, console_capture: Any) -> None:
    """Nothing listens at base_url: every call is a transport error with evidence."""
    pixit, s = tcec_secrets()
    pixit.update(base_url=f"http://127.0.0.1:{free_port()}/evcs/v1/", timeout_s=1)
    run = run_cli(tmp_path, "tcec102-2016", "provider", pixit, reference=False, expect=(3,))
    assert any(e.get("error", "").startswith("connection failed") for e in run.record["exchanges"])
    assert_no_leaks(s, run, console_capture(), redacted=False)


# ------------------------------------------------------------------ ocpp-1.6j

#: short protocol waits, as in the profile's own live tests
OCPP_FAST = {"timeout_s": 2, "tolerance_s": 1, "heartbeat_interval_s": 2, "clock_tolerance_s": 60,
             "id_tags": ["CONFORMANCE01"], "charge_point_id": "CP001"}


def ocpp_secrets() -> tuple[dict[str, Any], Secrets]:
    """OCPP 1.6 (security whitepaper profile 1): HTTP Basic auth, user = charge point id,
    password = AuthorizationKey."""
    key = distinctive("Ak", 20)
    s = Secrets()
    s.text("AuthorizationKey", key)
    s.binary("Basic credentials", f"CP001:{key}".encode())
    return {**OCPP_FAST, "authorization_key": key}, s


def basic_auth_headers(record: dict[str, Any]) -> set[str]:
    return {v for e in record["exchanges"] if e["method"] == "GET"
            for k, v in e["request"]["headers"].items() if k.lower() == "authorization"}


@pytest.mark.parametrize("role, defects", [
    ("charge-point", ()),
    # failing cases with evidence; every case still connects with the credentials first
    ("central-system", ("cs-wrong-echo-id", "cs-accepts-unknown-idtag")),
], ids=["charge-point", "central-system-defects"])
def test_ocpp_profile(tmp_path: Path, console_capture: Any, role: str, defects: tuple[str, ...]) -> None:
    profile = profile_of("ocpp-1.6j")
    pixit, s = ocpp_secrets()
    run = run_cli(tmp_path, "ocpp-1.6j", role, pixit, defects=defects, expect=(1,) if defects else (0,))
    if defects:
        assert failed(run.record) == {r for d in defects for r in profile.defects[d]}
    # the credentials were sent in the handshake (by the SUT, or by the harness) and redacted
    assert basic_auth_headers(run.record) == {f"Basic {REDACTED}"}
    assert_no_leaks(s, run, console_capture())


def test_ocpp_transport_error_with_credentials_in_the_url(tmp_path: Path, console_capture: Any) -> None:
    """A central system given as ws://id:key@host/ that refuses the connection."""
    pixit, s = ocpp_secrets()
    key = pixit.pop("authorization_key")
    url = f"ws://CP001:{key}@127.0.0.1:{free_port()}/ocpp"
    pixit.update(csms_url=url, base_url=url)
    run = run_cli(tmp_path, "ocpp-1.6j", "central-system", pixit, reference=False, expect=(3,))
    assert any("connection failed" in (e.get("error") or "") for e in run.record["exchanges"])
    assert_no_leaks(s, run, console_capture())


# ------------------------------------------------------------------ pds-1.0


@dataclass
class PdsParty:
    id: str
    entry: dict[str, Any]


def pds_secrets(inp: Path) -> tuple[dict[str, Any], Secrets, list[str]]:
    """Fresh keys for the platform and three participants: some in files, some inline."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    inp.mkdir(parents=True, exist_ok=True)
    profile_of("pds-1.0")  # loads the profile's modules
    s = Secrets()

    def sm2(label: str) -> str:
        d = pysecrets.randbelow(SM2_N - 2) + 1
        s.binary(f"{label} SM2 private key", d.to_bytes(32, "big"))
        return f"{d:064x}"

    def sm4(label: str) -> str:
        key = pysecrets.token_bytes(16)
        s.binary(f"{label} SM4 key", key)
        return key.hex()

    def api(label: str) -> str:
        value = pysecrets.token_hex(24)
        s.text(f"{label} api_key", value)
        return value

    ids = [f"LEAKA{pysecrets.randbelow(10**6):06d}", f"LEAKB{pysecrets.randbelow(10**6):06d}",
           f"LEAKU{pysecrets.randbelow(10**6):06d}"]
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pem = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
    s.rsa(f"{ids[0]} RSA private key", rsa_key, rsa_pem)
    files = {  # key files (absolute paths, which the reference peer reads too), upper-case hex in one
        "a-sm2.txt": sm2(ids[0]).upper(), "a-sm4.txt": sm4(ids[0]), "a-rsa.pem": rsa_pem,
        "platform-sm2.txt": sm2("platform"),
    }
    for name, content in files.items():
        (inp / name).write_text(content + "\n", encoding="ascii")
    platform_private = int(files["platform-sm2.txt"], 16)
    platform_public = plugin_module("pds_1_0_pds_crypto").public_from_private(platform_private).hex()
    pixit = {
        "platform_id": "ZJPORTHUB01",
        "platform_public_key": platform_public,
        "platform_private_key": str(inp / "platform-sm2.txt"),
        "participants": [
            {"id": ids[0], "sm2_private_key": str(inp / "a-sm2.txt"), "sm4_key": str(inp / "a-sm4.txt"),
             "api_key": api(ids[0]), "rsa_private_key": str(inp / "a-rsa.pem"), "hosted_key": True},
            {"id": ids[1], "sm2_private_key": sm2(ids[1]), "sm4_key": sm4(ids[1]).upper(), "api_key": api(ids[1]),
             "hosted_key": False},
        ],
        "unregistered_participant": {"id": ids[2], "sm2_private_key": sm2(ids[2]), "sm4_key": sm4(ids[2]),
                                     "api_key": api(ids[2]), "hosted_key": False},
        "listen_host": "127.0.0.1", "listen_port": 0,
        # a generous HTTP deadline: pure-Python SM2 is slow on a loaded CI machine
        "timeout_s": 10, "retry_wait_s": 0.05,
    }
    return pixit, s, ids


def assert_pds_keys_were_used(run: RunOutput, ids: list[str]) -> None:
    """The reference peer falls back to the fixture keys when it cannot read ours: it did not."""
    dump = run.outputs["out/run.json"]
    assert ids[0].encode() in dump
    assert b"NBCT0001" not in dump


# One run per role, with defects: every other requirement still passes, which proves both
# sides used the generated keys (signatures, SM4 bodies, API keys), and the failing ones
# give evidence and curl reproductions.
@pytest.mark.parametrize("role, defects", [
    # an API key echoed in a receipt, bad signatures and undecryptable SM4 bodies accepted, a 500
    ("platform", ("leak-api-key", "accept-bad-signature", "no-decrypt-check", "500-for-non-xml")),
    # receipts accepted unverified, a submission with a broken signature
    ("enterprise", ("no-signature-check", "bad-signature-submission")),
], ids=["platform", "enterprise"])
def test_pds_profile(tmp_path: Path, console_capture: Any, role: str, defects: tuple[str, ...]) -> None:
    profile = profile_of("pds-1.0")
    pixit, s, ids = pds_secrets(tmp_path / "in")
    run = run_cli(tmp_path, "pds-1.0", role, pixit, defects=defects, expect=(1,))
    assert failed(run.record) == {r for d in defects for r in profile.defects[d]}
    assert_pds_keys_were_used(run, ids)
    # no secret travels in the enterprise's exchanges (no API key): nothing to redact there
    assert_no_leaks(s, run, console_capture(), redacted=role == "platform")


def test_pds_enterprise_failing_trigger_command(tmp_path: Path, console_capture: Any) -> None:
    """A trigger command that prints the enterprise's keys to stderr and fails: its stderr is evidence."""
    pixit, s, ids = pds_secrets(tmp_path / "in")
    entry = pixit["participants"][0]
    script = tmp_path / "in" / "trigger.py"
    key = entry["api_key"]
    # the evidence keeps the last 2000 characters of stderr: the cut falls inside the key,
    # whose last 24 characters must not survive either
    s.text("api_key, the part left after the cut", key[-24:])
    script.write_text(f"import sys\nsys.stderr.write('api key ' + {key!r} + '\\n' + 'x' * 1975)\nsys.exit(4)\n",
                      encoding="utf-8")
    pixit["trigger_command"] = f"{sys.executable} {script}"
    pixit["timeout_s"] = 5
    run = run_cli(tmp_path, "pds-1.0", "enterprise", pixit, expect=(1, 3))
    evidence = [f.get("evidence") or {} for r in run.record["requirements"] for f in r["findings"]]
    assert any("stderr" in e for e in evidence)
    assert_no_leaks(s, run, console_capture())


# ------------------------------------------------------------------ the reference command's console


def test_console_pixit_hides_what_the_user_supplied() -> None:
    from conformance.pixit import console_pixit

    pixit, s = tcec_secrets()
    shown = {**pixit, "base_url": "http://127.0.0.1:1/evcs/v1/", "listen_port": 4}
    out = console_pixit(shown, pixit, profile_of("tcec102-2016"))
    assert find_leaks(s, {"console": yaml.safe_dump(out).encode()}) == []
    assert out["operator_id"] == pixit["operator_id"] and out["listen_port"] == 4
    # a reference peer's own TEST-ONLY values (the user gave none) are shown: the user needs them
    assert console_pixit(shown, {}, profile_of("tcec102-2016")) == shown
    # nested keys and URL user info (PDS participants, an OCPP csms_url)
    key = distinctive("Ak", 20)
    ocpp = console_pixit({"csms_url": f"ws://CP001:{key}@127.0.0.1:1/"}, {"authorization_key": key},
                         profile_of("ocpp-1.6j"))
    assert key not in ocpp["csms_url"]
    pds = console_pixit({"participants": [{"id": "A", "api_key": "0123456789abcdef"}]},
                        {"participants": [{"id": "A", "api_key": "0123456789abcdef"}]}, profile_of("pds-1.0"))
    assert pds["participants"][0] == {"id": "A", "api_key": REDACTED}


def test_reference_command_does_not_echo_the_users_secrets(tmp_path: Path) -> None:
    import signal
    import subprocess
    import threading

    pixit, s = tcec_secrets()
    path = tmp_path / "pixit.yaml"
    path.write_text(yaml.safe_dump(pixit), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "reference", "tcec102-2016", "--role", "provider",
                             "--port", "0", "--pixit", str(path), "--lang", "en"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(60, proc.kill)
    killer.start()
    try:
        head = []
        for line in proc.stdout:  # type: ignore[union-attr]
            head.append(line)
            if line.startswith("pixit for the harness"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        killer.cancel()
    console = "".join(head) + out + err
    assert "url: http://127.0.0.1:" in console
    assert find_leaks(s, {"console: conformance reference": console.encode()}) == []
