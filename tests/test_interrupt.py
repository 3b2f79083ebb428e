"""Interrupting a run (SIGTERM / SIGINT) still writes a record, marked incomplete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conformance.record import validate_record

from conftest import plugin_check_profile

PLUGIN = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from conformance.checks import register_check

    @register_check("slow-test-check")
    def slow(call):
        Path(os.environ["SLOW_MARKER"]).touch()  # tells the test that checking has begun
        time.sleep(0.2)
        return ()
    """
)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a non-interactive shell does for `cmd &`


@pytest.mark.parametrize("sig, jobs, inherited", [
    (signal.SIGTERM, 1, None), (signal.SIGINT, 1, None), (signal.SIGTERM, 2, None),
    (signal.SIGINT, 1, "ignored"),  # started with SIGINT ignored: a cancel must still leave a record
])
def test_interrupted_run_writes_incomplete_record(
    tmp_path: Path, sig: signal.Signals, jobs: int, inherited: str | None
) -> None:
    prof = plugin_check_profile(tmp_path / "slow", "slow-test-check", PLUGIN,
                                {f"{i:03d}.xml": "<a/>" for i in range(200)})
    data = tmp_path / "data"
    record = tmp_path / "run.json"
    marker = tmp_path / "started"
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "validate", str(prof), str(data), "-o", str(record),
         "-j", str(jobs), "--lang", "en"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SLOW_MARKER": str(marker)},
        preexec_fn=_ignore_sigint if inherited == "ignored" else None,
    )
    deadline = time.monotonic() + 60  # start-up is slow on a loaded machine: wait for checking to begin
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0 if jobs == 1 else 2.5)  # parallel results arrive in chunks of a few files
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode == 3, (out, err)
    data_ = json.loads(record.read_text(encoding="utf-8"))
    assert validate_record(data_) == []
    assert data_["complete"] is False
    assert "interrupted" in data_["interruption"]
    assert 0 < len(data_["subjects"]) < 200
    assert data_["summary"]["conformant"] is False
