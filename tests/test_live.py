"""The live framework: scenarios, recorder, listeners, reference peers, transport faults."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import resolve_profile, validate_record
from conformance.cli import main
from conformance.live.runner import run_live

HERE = Path(__file__).parent
PROFILE_DIR = HERE / "data/profiles/test-live"


@pytest.fixture(scope="module")
def profile():
    return resolve_profile(PROFILE_DIR)


def _verdicts(record: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"]}


def test_reference_peer_passes_every_requirement(profile) -> None:
    record = run_live(profile, role="server", reference=True)
    assert validate_record(record) == []
    assert record["kind"] == "live"
    assert set(_verdicts(record).values()) == {"pass"}
    assert record["summary"]["exit_code"] == 0
    directions = {e["direction"] for e in record["exchanges"]}
    assert directions == {"out", "in"}  # calls to the SUT and its push to our listener
    assert all("check" in e for e in record["exchanges"])


@pytest.mark.parametrize("defect", ["accept-any-password", "short-token", "wrong-echo", "no-auth-check",
                                    "plaintext", "no-push", "slow"])
def test_each_defect_fails_exactly_the_requirements_it_breaks(profile, defect: str) -> None:
    record = run_live(profile, role="server", reference=True, defects=(defect,))
    assert validate_record(record) == []
    failed = {rid for rid, v in _verdicts(record).items() if v != "pass"}
    assert failed == set(profile.defects[defect])
    for r in record["requirements"]:
        if r["id"] in failed:
            assert all(f["verdict"] == "fail" for f in r["findings"] if f["verdict"] != "pass")


def test_secrets_and_tokens_are_redacted_everywhere(profile) -> None:
    record = run_live(profile, role="server", reference=True, pixit={"user": "lab", "password": "pa55-very-secret"})
    dump = json.dumps(record, ensure_ascii=False)
    assert "pa55-very-secret" not in dump
    assert "«redacted»" in dump
    tokens = [json.loads(e["response"]["body"]["text"]).get("token") for e in record["exchanges"]
              if e["direction"] == "out" and e["url"].endswith("/token") and e["response"]["status"] == 200]
    assert tokens == ["«redacted»"]  # the token learned at run time is redacted too
    auth = [e["request"]["headers"].get("Authorization") for e in record["exchanges"] if e["url"].endswith("/echo")]
    assert "Bearer «redacted»" in auth


def test_failing_exchange_has_a_reproduction_command(profile) -> None:
    record = run_live(profile, role="server", reference=True, defects=("wrong-echo",))
    failing = [f for r in record["requirements"] for f in r["findings"] if f["verdict"] == "fail"]
    index = failing[0]["location"]["exchange"]
    exchange = record["exchanges"][index]
    assert exchange["reproduce"].startswith("curl -sS -X POST")
    assert exchange["url"].endswith("/echo")


def test_connection_refused_is_error_with_evidence_and_the_record_is_written(profile) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    record = run_live(profile, role="server", pixit={"base_url": f"http://127.0.0.1:{port}/api/",
                                                     "user": "u", "password": "p", "timeout_s": 1})
    assert validate_record(record) == []
    verdicts = _verdicts(record)
    assert verdicts["TL-1"] == "error" and verdicts["TL-2"] == "error"
    finding = record["requirements"][0]["findings"][0]
    assert "transport fault" in finding["message"]["en"]
    assert record["exchanges"][finding["location"]["exchange"]]["error"].startswith("connection failed")
    assert record["summary"]["exit_code"] == 3


def test_reset_and_timeout_are_errors_not_crashes(profile) -> None:
    # A server that accepts and resets every connection, and one that never answers.
    def serve(sock: socket.socket, mode: str, stop: threading.Event) -> None:
        sock.settimeout(0.1)
        held = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            if mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            else:
                held.append(conn)
        for c in held:
            c.close()

    for mode in ("reset", "silent"):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        stop = threading.Event()
        t = threading.Thread(target=serve, args=(sock, mode, stop), daemon=True)
        t.start()
        try:
            started = time.monotonic()
            record = run_live(profile, role="server", pixit={
                "base_url": f"http://127.0.0.1:{sock.getsockname()[1]}/", "user": "u", "password": "p",
                "timeout_s": 0.5, "push_timeout_s": 0.5})
            assert time.monotonic() - started < 20
        finally:
            stop.set()
            t.join()
            sock.close()
        assert validate_record(record) == []
        assert _verdicts(record)["TL-1"] == "error", mode
        errors = [e.get("error", "") for e in record["exchanges"]]
        assert any(("timeout" if mode == "silent" else "connection") in e for e in errors), errors


def test_run_command_against_reference_with_defect(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    result = CliRunner().invoke(main, ["run", str(PROFILE_DIR), "--role", "server", "--reference",
                                       "--defect", "no-auth-check", "-o", str(out), "--format", "html",
                                       "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "TL-4" in result.output and "exchange #" in result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["target"]["defects"] == ["no-auth-check"]
    assert (tmp_path / "run.html").is_file()


@pytest.mark.parametrize("args, needle", [
    (["--role", "server", "--defect", "slow"], "--defect needs --reference"),
    (["--role", "server", "--reference", "--defect", "nope"], "unknown defect"),
    (["--role", "nobody", "--reference"], "no role"),
    (["--role", "server"], "no base_url"),
])
def test_run_usage_errors(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(main, ["run", str(PROFILE_DIR), *args, "--no-record"])
    assert result.exit_code == 2
    assert needle in result.output


def test_reference_command_serves_until_terminated(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "reference", str(PROFILE_DIR), "--role",
                             "server", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if line.startswith("url: "):
                url = line.split(": ", 1)[1].strip()
        assert url and url.startswith("http://127.0.0.1:")
        import requests

        resp = requests.post(url + "token", json={"user": "lab", "password": "wrong"}, timeout=5)
        assert resp.status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_listing_defects() -> None:
    result = CliRunner().invoke(main, ["reference", str(PROFILE_DIR), "--role", "server", "--list-defects"])
    assert result.exit_code == 0
    assert "wrong-echo: TL-3" in result.output
