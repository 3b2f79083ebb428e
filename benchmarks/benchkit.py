"""What every benchmark script shares: fresh processes per case, rows, the table.

A benchmark case runs in a fresh process so that its peak memory is its own. Starting
a fresh interpreter per case costs a second or more of CPU before the first payload
(importing the libraries; the profile loads its plugins, YAML and schemas), which would
dwarf a one-minute ``--quick`` run. So a
:class:`Server` process imports the heavy libraries once; :meth:`Server.prepare` forks
from it a parent for one profile's cases (it loads the profile once), and every
:meth:`Server.run` forks a fresh case process from that parent. A forked process starts
with what its parent had loaded and counts its own peak RSS from there; nothing a
previous case did is in it.

Rows (one dict per table line, also what ``--json`` writes):
``profile, case, harness_per_s, raw_per_s, raw_validator, ratio, processes, peak_mb``
(+ ``speedup`` on harness rows, ``payloads``: inputs per case). ``ratio`` is the
harness's payloads/s per process over the fastest raw validator's payloads/s, both
as rounded in the row.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
CASE_TIMEOUT_S = 3600.0


def peak_mb() -> float:
    """Peak RSS of this process or of any of its finished children (pool workers), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


# ------------------------------------------------------------------ server side


def load_script(path: str | Path, name: str) -> ModuleType:
    """A Python file imported by path as module ``name`` (once per process)."""
    mod = sys.modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(name, Path(path).resolve())
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return mod


def _call(req: dict[str, Any]) -> Any:
    module = load_script(req["script"], "bench_" + Path(req["script"]).stem)
    return getattr(module, req["fn"])(**req.get("kwargs", {}))


def _fork(body: Callable[[IO[str], IO[str]], None], keep: list[int]) -> tuple[int, IO[str], IO[str]]:
    """Fork a process running ``body(requests, replies)``; return its pid and our ends.
    The child closes the descriptors in ``keep`` (its parent's own channels) and sends
    stray prints to stderr, so only replies travel on the channels."""
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 0
        try:
            for fd in (*keep, down_w, up_r):
                os.close(fd)
            os.dup2(2, 1)
            sys.stdout = sys.stderr
            body(os.fdopen(down_r, "r"), os.fdopen(up_w, "w"))
        except BaseException:  # noqa: BLE001 - reported to the parent, never raised further
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(down_r)
    os.close(up_w)
    return pid, os.fdopen(down_w, "w"), os.fdopen(up_r, "r")


def _reply(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload) + "\n")
    out.flush()


def _run_case(req: dict[str, Any], keep: list[int]) -> str:
    """One case in a fresh forked process; its reply line (result with peak_mb, or error)."""

    def body(_requests: IO[str], replies: IO[str]) -> None:
        try:
            result = _call(req)
            if isinstance(result, dict):
                result = {**result, "peak_mb": peak_mb()}
            _reply(replies, {"ok": result})
        except BaseException:  # noqa: BLE001
            _reply(replies, {"error": traceback.format_exc()})

    pid, to_child, from_child = _fork(body, keep)
    to_child.close()
    line = from_child.readline()
    from_child.close()
    _, status = os.waitpid(pid, 0)
    return line or json.dumps({"error": f"the case process died (wait status {status})"}) + "\n"


def _serve(requests: IO[str], replies: IO[str], *, root: bool) -> None:
    """Answer one JSON request per line. The root forks one parent per ``prepare`` and
    passes the following cases to it; a parent (or a root without one) forks each case."""
    keep = [requests.fileno(), replies.fileno()]
    parent: tuple[int, IO[str], IO[str]] | None = None

    def stop_parent() -> None:
        nonlocal parent
        if parent is not None:
            pid, to_parent, from_parent = parent
            to_parent.close()
            from_parent.close()
            os.waitpid(pid, 0)
            parent = None

    for line in requests:
        req = json.loads(line)
        if req["op"] == "prepare" and root:
            stop_parent()

            def body(sub_requests: IO[str], sub_replies: IO[str], req: dict[str, Any] = req) -> None:
                try:
                    result = _call(req)
                except BaseException:  # noqa: BLE001
                    _reply(sub_replies, {"error": traceback.format_exc()})
                    return
                _reply(sub_replies, {"ok": result})
                _serve(sub_requests, sub_replies, root=False)

            parent = _fork(body, keep)
            answer = parent[2].readline()
            if not answer or "error" in json.loads(answer):
                stop_parent()
                answer = answer or json.dumps({"error": "the profile's parent process died while preparing"}) + "\n"
        elif req["op"] == "unprepare" and root:
            stop_parent()
            answer = json.dumps({"ok": None}) + "\n"
        elif parent is not None:
            parent[1].write(line)
            parent[1].flush()
            answer = parent[2].readline() or json.dumps({"error": "the profile's parent process died"}) + "\n"
        else:
            answer = _run_case(req, keep)
        replies.write(answer)
        replies.flush()
    stop_parent()


def _serve_main() -> None:
    # The channels are our own copies of stdin/stdout; fd 1 then points at stderr so
    # that a library's print cannot corrupt a reply.
    requests = os.fdopen(os.dup(0), "r")
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(ROOT))
    # What every case needs, imported once: the engine and the validators it measures.
    import jsonschema  # noqa: F401
    import jsonschema_rs  # noqa: F401
    import lxml.etree  # noqa: F401

    import conformance.discovery  # noqa: F401
    import conformance.runner  # noqa: F401

    _serve(requests, replies, root=True)


# ------------------------------------------------------------------ driver side


class CaseError(RuntimeError):
    """A benchmark case failed in its process."""


class Server:
    """The process that forks the benchmark cases (see the module docstring)."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
        self._proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, env=env, cwd=str(ROOT),
                                      start_new_session=True)

    def _ask(self, req: dict[str, Any], timeout: float) -> Any:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(req) + "\n")
        self._proc.stdin.flush()
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        line = self._proc.stdout.readline() if ready else ""
        if not line:
            self.close(kill=True)
            raise CaseError(f"benchmark case {req} {'timed out' if not ready else 'ended the server'}")
        answer = json.loads(line)
        if "error" in answer:
            raise CaseError(f"benchmark case {req['fn']} {req.get('kwargs', {})} failed:\n{answer['error']}")
        return answer["ok"]

    def prepare(self, script: str | Path, fn: str, **kwargs: Any) -> Any:
        """Fork the parent of the next cases, run ``fn(**kwargs)`` of ``script`` in it and
        return its result (the parent keeps what it loaded; its cases inherit it)."""
        return self._ask({"op": "prepare", "script": str(script), "fn": fn, "kwargs": kwargs}, CASE_TIMEOUT_S)

    def unprepare(self) -> None:
        """Cases fork from the server itself again."""
        self._ask({"op": "unprepare"}, CASE_TIMEOUT_S)

    def run(self, script: str | Path, fn: str, **kwargs: Any) -> Any:
        """``fn(**kwargs)`` of ``script`` in a fresh process; a dict result gains ``peak_mb``."""
        return self._ask({"op": "case", "script": str(script), "fn": fn, "kwargs": kwargs}, CASE_TIMEOUT_S)

    def close(self, kill: bool = False) -> None:
        if self._proc.poll() is not None:
            return
        if kill:
            os.killpg(self._proc.pid, signal.SIGKILL)
        else:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(kill=exc[0] is not None)


class _Borrowed:
    """A caller's server, not closed on exit."""

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> Server:
        return self.server

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.server.unprepare()


def server(given: Server | None) -> Server | _Borrowed:
    """``with server(given) as srv``: the caller's server, or a new one closed at the end."""
    return Server() if given is None else _Borrowed(given)


def fixture_settings(profile: Any) -> dict[str, Any]:
    """The ICS, PIXIT and clock ``conformance demo`` validates the profile's fixtures
    with, as ``validate()`` keywords (run in a case's process)."""
    from conformance.demo import _settings

    st = _settings(profile)
    return {"ics": st["ics"], "pixit": st["pixit"], "now": st["now"], "pixit_dir": st.get("pixit_base"), "seed": 0}


def warm_profile(profile: Any, files: list[Path], variants: tuple[Any, ...] = ()) -> tuple[Any, dict[str, Any]]:
    """A profile (object or id) with its fixture settings, after validating ``files``
    once with it (and with each of ``variants``), so that the schemas are compiled
    before any case is timed, as on the raw side. Run in a profile's parent process:
    its cases inherit all of it."""
    from conformance.discovery import resolve_profile
    from conformance.runner import validate

    profile = resolve_profile(profile) if isinstance(profile, str) else profile
    settings = fixture_settings(profile)
    for variant in (profile, *variants):
        code = validate(variant, files, **settings)["summary"]["exit_code"]
        if code != 0:
            raise CaseError(f"{profile.id}: the benchmark's source inputs do not conform (exit code {code})")
    return profile, settings


#: a case is timed again while its timings so far, plus one more, fit in this many
#: seconds (at most REPEATS times), and the best timing counts: a shared machine's
#: hiccups only ever make a run slower. A slow case runs once.
BUDGET_S = 0.6
REPEATS = 5


def best_rate(once: Callable[[], tuple[int, float]]) -> tuple[float, float]:
    """The best (payloads/s, seconds) of the runs ``once()`` (which returns payloads
    done, seconds) makes, repeated as BUDGET_S allows."""
    runs = [once()]
    while len(runs) < REPEATS and sum(t for _, t in runs) + min(t for _, t in runs) <= BUDGET_S:
        runs.append(once())
    n, t = max(runs, key=lambda r: r[0] / r[1])
    return n / t, t


#: a raw case over one process stops after this many seconds: a slow reference
#: validator (python-jsonschema) is timed on the first files only, not for minutes
TIME_BOX_S = 0.5


def time_validate(profile: Any, data_dir: str, jobs: int, settings: dict[str, Any]) -> dict[str, Any]:
    """The harness case: ``validate()`` over every file of ``data_dir`` with ``jobs`` processes."""
    from conformance.runner import validate

    n = sum(1 for _ in Path(data_dir).iterdir())
    codes = set()

    def once() -> tuple[int, float]:
        started = time.perf_counter()
        record = validate(profile, [data_dir], jobs=jobs, **settings)
        elapsed = time.perf_counter() - started
        codes.add(record["summary"]["exit_code"])
        return n, elapsed

    per_s, elapsed = best_rate(once)
    return {"per_s": per_s, "seconds": elapsed, "exit_code": max(codes)}


def time_raw(data_dir: str, failures: Callable[[Path], int], validator: str, jobs: int = 1) -> dict[str, Any]:
    """A raw case: ``failures(file)`` (read, parse, validate; the number of validations
    that failed) over the files of ``data_dir`` (all, or as many as TIME_BOX_S allows),
    timed; with ``jobs`` > 1, all the files
    dealt out to that many forked processes, which run at once (what the machine gives
    a loop with no coordination at all: the yardstick for the harness's scaling).
    The inputs are valid, so a failure means the raw side does not check what the
    harness checks."""
    files = sorted(Path(data_dir).iterdir())

    def share(part: list[Path]) -> int:
        return sum(failures(f) for f in part)

    def once() -> tuple[int, float]:
        invalid = done = 0
        started = time.perf_counter()
        if jobs == 1:
            for start in range(0, len(files), 64):
                invalid += share(files[start:start + 64])
                done = min(len(files), start + 64)
                if time.perf_counter() - started > TIME_BOX_S:
                    break
        else:
            # Out of the collector's sight, the inherited heap is not copied page by
            # page in each child (as the harness does before it forks its workers).
            gc.freeze()
            pids = []
            for k in range(jobs):
                pid = os.fork()
                if pid == 0:  # pragma: no cover - runs in the child
                    code = 1
                    try:
                        code = 0 if share(files[k::jobs]) == 0 else 3
                    finally:
                        os._exit(code)
                pids.append(pid)
            invalid = sum(os.waitpid(pid, 0)[1] != 0 for pid in pids)
            gc.unfreeze()
            done = len(files)
        elapsed = time.perf_counter() - started
        if invalid:
            raise CaseError(f"{validator}: validations of valid inputs failed")
        return done, elapsed

    per_s, elapsed = best_rate(once)
    return {"per_s": per_s, "seconds": elapsed, "jobs": jobs}


def json_is_valid(schema_path: Path, draft: str | None, validator: str) -> Callable[[Any], bool]:
    """A raw ``is_valid`` for one JSON Schema, compiled the way the engine compiles it
    (local references only, format checks): ``jsonschema-rs`` or ``jsonschema``."""
    from conformance.checks.json_checks import compile_fast_validator, compile_json_schema

    if validator == "jsonschema-rs":
        fast = compile_fast_validator(schema_path, draft)
        if fast is None:
            raise CaseError(f"jsonschema-rs cannot compile {schema_path} (or CONFORMANCE_JSON_VALIDATOR=reference)")
        return fast.is_valid  # type: ignore[no-any-return]
    return compile_json_schema(schema_path, draft).is_valid  # type: ignore[no-any-return]


#: every case of a comparison runs this many times, in turn with the others, and its
#: best run counts: the raw and the harness side then meet the machine in the same
#: moods (a shared virtual machine's speed drifts by half within a minute). A case
#: whose run took over REPEAT_BELOW_S is not run again.
ROUNDS = 3
REPEAT_BELOW_S = 0.6


def measure(srv: Server, script: str | Path, validators: list[str], cores: int, *,
            raw_kwargs: dict[str, Any] | None = None, harness_kwargs: dict[str, Any] | None = None,
            harness: bool = True) -> tuple[dict[str, dict[str, Any]], dict[int, dict[str, Any]]]:
    """The raw cases of ``script`` (``case_raw(validator=v)`` for each validator, and the
    fastest one again on ``cores`` processes, as its result's ``parallel``) and its
    harness case (``case_harness(jobs=j)``, 1 and ``cores`` processes), each in its own
    process, in ROUNDS interleaved rounds: (raw results by validator, harness results by
    processes). The inputs are valid, so a harness run that is not conformant measures
    the wrong thing."""
    specs: dict[tuple[str, str, int], tuple[str, dict[str, Any]]] = {
        ("raw", v, 1): ("case_raw", {**(raw_kwargs or {}), "validator": v}) for v in validators}
    if harness:
        specs.update({("harness", "", j): ("case_harness", {**(harness_kwargs or {}), "jobs": j})
                      for j in sorted({1, cores})})
    best: dict[tuple[str, str, int], dict[str, Any]] = {}
    for round_ in range(ROUNDS):
        for key, (fn, kwargs) in list(specs.items()):
            mine = best.get(key)
            if mine is not None and mine["seconds"] > REPEAT_BELOW_S:
                continue
            res = srv.run(script, fn, **kwargs)
            if key[0] == "harness" and res.get("exit_code", 0) != 0:
                raise CaseError(f"{Path(script).name} {fn} {kwargs}: exit code {res['exit_code']} on inputs that "
                                "should conform")
            if mine is None or res["per_s"] > mine["per_s"]:
                best[key] = {**res, "peak_mb": max(res["peak_mb"], mine["peak_mb"] if mine else 0)}
            else:
                mine["peak_mb"] = max(mine["peak_mb"], res["peak_mb"])
        if round_ == 0 and cores > 1 and validators:
            fastest = max(validators, key=lambda v: best[("raw", v, 1)]["per_s"])
            specs[("raw", fastest, cores)] = ("case_raw", {**(raw_kwargs or {}), "validator": fastest,
                                                           "jobs": cores})
    raw = {v: best[("raw", v, 1)] for v in validators}
    for (kind, v, jobs), res in best.items():
        if kind == "raw" and jobs > 1:
            raw[v]["parallel"] = res
    return raw, {jobs: res for (kind, _, jobs), res in best.items() if kind == "harness"}


def compare(srv: Server, script: str | Path, profile_id: str, case: str, sources: list[str], n: int, cores: int,
            validators: list[str], data: Path, *, raw_case: str = "raw",
            name: Callable[[Path, int], str] | None = None,
            harness_kwargs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``sources`` replicated to ``n`` files in ``data``; the raw cases and the harness
    case (1 and ``cores`` processes) of ``script`` on them; their rows."""
    replicate([Path(s) for s in sources], n, data, name)
    try:
        raw, by_jobs = measure(srv, script, validators, cores, raw_kwargs={"data_dir": str(data)},
                               harness_kwargs={**(harness_kwargs or {}), "data_dir": str(data)})
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return harness_rows(profile_id, case, by_jobs, raw, n) + raw_rows(profile_id, raw_case, raw, n)


# ------------------------------------------------------------------ rows


def _per_s(value: float) -> float:
    return round(value, 2)


def harness_rows(profile: str, case: str, by_jobs: dict[int, dict[str, Any]], raw: dict[str, dict[str, Any]],
                 payloads: int) -> list[dict[str, Any]]:
    """One row per process count of a harness case, against the fastest raw validator."""
    fastest = max(raw, key=lambda v: raw[v]["per_s"]) if raw else None
    raw_per_s = _per_s(raw[fastest]["per_s"]) if fastest else None
    base = _per_s(by_jobs[min(by_jobs)]["per_s"])
    out = []
    for jobs in sorted(by_jobs):
        res = by_jobs[jobs]
        per_s = _per_s(res["per_s"])
        out.append({
            "profile": profile, "case": case, "harness_per_s": per_s, "raw_per_s": raw_per_s,
            "raw_validator": fastest, "ratio": round(per_s / raw_per_s / jobs, 3) if raw_per_s else None,
            "processes": jobs, "peak_mb": round(res["peak_mb"], 1), "speedup": round(per_s / base, 2),
            "payloads": payloads,
        })
    return out


def raw_rows(profile: str, case: str, raw: dict[str, dict[str, Any]], payloads: int) -> list[dict[str, Any]]:
    """One row per raw validator (one process each), and one for the fastest on all
    cores, whose ``speedup`` is what this machine gives the harness's to compare with."""
    out = []
    for v, r in raw.items():
        out.append({"profile": profile, "case": case, "harness_per_s": None, "raw_per_s": _per_s(r["per_s"]),
                    "raw_validator": v, "ratio": None, "processes": 1, "peak_mb": round(r["peak_mb"], 1),
                    "payloads": payloads})
        par = r.get("parallel")
        if par is not None:
            out.append({**out[-1], "raw_per_s": _per_s(par["per_s"]), "processes": par["jobs"],
                        "peak_mb": round(par["peak_mb"], 1), "speedup": round(par["per_s"] / r["per_s"], 2)})
    return out


def print_table(rows: list[dict[str, Any]], cores: int, notes: list[str] | None = None) -> None:
    print(f"cores: {cores}; ratio = harness payloads/s per process / fastest raw payloads/s; "
          "each case in its own process")
    head = (f"{'profile':<14}{'case':<18}{'payloads':>9}{'proc':>5}{'harness/s':>11}{'raw/s':>11}{'raw':>15}"
            f"{'ratio':>8}{'speedup':>8}{'peak MB':>8}")
    print(head)
    print("-" * len(head))

    def fmt(v: Any, spec: str) -> str:
        return format(v, spec) if v is not None else "-"

    for r in rows:
        print(f"{r['profile']:<14}{r['case']:<18}{fmt(r.get('payloads'), 'd'):>9}{r['processes']:>5}"
              f"{fmt(r['harness_per_s'], '.0f'):>11}{fmt(r['raw_per_s'], '.0f'):>11}{(r['raw_validator'] or '-'):>15}"
              f"{fmt(r['ratio'], '.3f'):>8}{fmt(r.get('speedup'), '.2f'):>8}{fmt(r['peak_mb'], '.0f'):>8}")
    for note in notes or []:
        print(f"note: {note}")


def replicate(files: list[Path], count: int, target: Path, name: Callable[[Path, int], str] | None = None) -> None:
    """``count`` copies cycling through ``files`` in ``target`` (named by ``name``)."""
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        src = files[i % len(files)]
        data = src.read_bytes()
        (target / (name(src, i) if name else f"{i:07d}{src.suffix}")).write_bytes(data)


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve_main()
