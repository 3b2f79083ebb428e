"""The worker pool of parallel runs: results in order, failures reported, no stray processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conformance.pool import RemoteTraceback, WorkerLost, WorkerPool
from conformance.record import validate_record
from conformance.runner import validate

from conftest import plugin_check_profile

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")

_STATE: dict[str, int] = {}


def _init(base: int) -> None:
    _STATE["base"] = base


def _task(kind: str, value: int = 0) -> int:
    if kind == "add":
        return _STATE["base"] + value
    if kind == "big":  # a result far larger than a pipe's buffer
        return len(b"x" * value) + _STATE["base"]
    if kind == "sleep":
        time.sleep(value)
        return value
    if kind == "raise":
        raise ValueError(f"bad value {value}")
    if kind == "unpicklable":
        class Local(Exception):
            pass

        raise Local("cannot travel")
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError(kind)


def _pool(jobs: int = 2) -> WorkerPool:
    return WorkerPool(jobs, multiprocessing.get_context("fork"), _init, (100,), _task)


def _drain(pool: WorkerPool, tasks: list[tuple[object, ...]]) -> dict[int, int]:
    """Every task run once, each handed to whichever worker is idle."""
    results: dict[int, int] = {}
    pending = list(enumerate(tasks))
    while pending or pool.busy():
        worker = pool.idle()
        if pending and worker is not None:
            tag, task = pending.pop(0)
            pool.give(worker, task, tag)
            continue
        results.update(pool.collect())
    return results


def test_every_task_runs_once_with_its_result() -> None:
    pool = _pool(3)
    try:
        tasks = [("add", i) for i in range(50)] + [("big", 5_000_000), ("add", -100)]
        results = _drain(pool, tasks)
    finally:
        pool.close()
    assert results == {i: (100 + t[1] if t[0] == "add" else 5_000_100) for i, t in enumerate(tasks)}
    assert pool.idle() is not None and not pool.busy()


def test_a_task_that_raises_re_raises_in_the_caller_with_the_workers_traceback() -> None:
    pool = _pool()
    try:
        pool.give(0, ("raise", 7), "t")
        with pytest.raises(ValueError, match="bad value 7") as caught:
            pool.collect()
        assert isinstance(caught.value.__cause__, RemoteTraceback)
        assert "_task" in str(caught.value.__cause__)
        pool.give(0, ("unpicklable",), "u")  # its traceback still comes back, as text
        with pytest.raises(RuntimeError, match="cannot travel"):
            pool.collect()
        pool.give(0, ("add", 1), "v")  # the worker goes on serving
        assert pool.collect() == [("v", 101)]
    finally:
        pool.close()


def test_a_worker_that_dies_is_reported_with_its_task() -> None:
    pool = _pool()
    try:
        pool.give(1, ("die",), ("chunk", 3))
        with pytest.raises(WorkerLost) as lost:
            pool.collect()
    finally:
        pool.close(kill=True)
    assert lost.value.tag == ("chunk", 3)
    assert lost.value.exitcode == -signal.SIGKILL
    assert "signal 9" in lost.value.message["en"] and "工作进程" in lost.value.message["zh"]


def test_close_with_kill_ends_busy_workers_at_once() -> None:
    pool = _pool()
    pool.give(0, ("sleep", 30), "a")
    pool.give(1, ("sleep", 30), "b")
    started = time.monotonic()
    pool.close(kill=True)
    assert time.monotonic() - started < 10
    assert all(not p.is_alive() for p in pool._procs)


ORPHAN = textwrap.dedent(
    """
    import multiprocessing, os, sys, time
    sys.path.insert(0, {tests!r})
    from test_pool import _init, _task
    from conformance.pool import WorkerPool

    pool = WorkerPool(2, multiprocessing.get_context("fork"), _init, (0,), _task)
    pool.give(0, ("sleep", 0.3), "a")
    print(" ".join(str(p.pid) for p in pool._procs), flush=True)
    os._exit(0)  # no clean-up at all: the workers must notice on their own
    """
)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_workers_end_when_the_main_process_is_gone() -> None:
    out = subprocess.run([sys.executable, "-c", ORPHAN.format(tests=str(Path(__file__).parent))],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    pids = [int(p) for p in out.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


KILLER = textwrap.dedent(
    """
    import os, signal
    from conformance.checks import register_check

    @register_check("killer-test-check")
    def killer(call):
        if "boom" in call.subject.name:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        return ()
    """
)


def _killer_profile(tmp_path: Path) -> Path:
    return plugin_check_profile(tmp_path / "killer", "killer-test-check", KILLER,
                                {f"{i:03d}{'-boom' if i == 100 else ''}.xml": "<a/>" for i in range(120)})


def test_a_lost_worker_ends_the_run_with_an_incomplete_record(tmp_path: Path) -> None:
    from conformance.profile import load_profile

    profile = load_profile(_killer_profile(tmp_path))
    record = validate(profile, [tmp_path / "data"], jobs=2, seed=1)
    assert validate_record(record) == []
    assert record["complete"] is False
    assert "worker process ended unexpectedly (signal 9)" in record["interruption"]
    held = record["interruption"].rsplit("while validating the files from ", 1)[1]  # the lost chunk's first
    listed = [s["name"] for s in record["subjects"]]
    # what was merged is a prefix of the files, in order, that stops before the lost chunk
    assert 0 < len(listed) <= 100 and listed == sorted(listed)
    assert held.endswith(".xml") and all(n < held for n in listed)
    assert not any("boom" in n for n in listed)
    assert record["summary"]["exit_code"] == 3


def test_a_lost_worker_on_the_command_line_writes_the_record(tmp_path: Path) -> None:
    prof = _killer_profile(tmp_path)
    out = tmp_path / "run.json"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "validate", str(prof), str(tmp_path / "data"), "-o", str(out),
         "-j", "2", "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    record = json.loads(out.read_text(encoding="utf-8"))
    assert validate_record(record) == [] and record["complete"] is False
    assert "worker process" in record["interruption"]
    assert "worker process" in proc.stdout
