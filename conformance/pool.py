"""Worker processes for bulk validation: each takes one task at a time over its own pipe.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: its queue feeder and result
threads share the main process's interpreter lock with the loop that walks the folders
and merges tallies, and a submit waits for them; on two cores that main process then
takes a fifth of a core and delays the workers' next chunk. Here the main process
alone talks to the workers, a task goes to a worker only when it is idle (so neither
side can block the other on a full pipe, whatever a task's or a result's size), and
the next task is sent before the last result is unpickled.

A worker that dies (killed, out of memory) is reported as :class:`WorkerLost`, with
the task it held, so the caller can still write what it has.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from .i18n import text


class WorkerLost(Exception):
    """A worker process ended while it held a task (a signal, out of memory, an exit)."""

    def __init__(self, exitcode: int | None, tag: Any):
        self.exitcode = exitcode
        self.tag = tag  # what the task was given with (see WorkerPool.give)
        how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
        self.message = text(f"工作进程意外退出（{how}）", f"a worker process ended unexpectedly ({how})")
        super().__init__(self.message["en"])


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (the ``__cause__`` of the
    exception re-raised in the main process)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _serve(conn: Connection, inherited: Sequence[int], init: Callable[..., None], init_args: tuple[Any, ...],
           run: Callable[..., Any]) -> None:
    # The main process decides when a run ends: an interrupt from the terminal goes to
    # the whole process group, and a worker that raised it too would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A forked worker holds copies of the main process's ends of the other workers'
    # pipes: closed, so that each worker sees its pipe end when the main process does.
    for fd in inherited:
        try:
            os.close(fd)
        except OSError:
            pass
    init(*init_args)
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):  # the main process is gone
            return
        if message is None:
            return
        try:
            reply: tuple[bool, Any] = (True, run(*message))
        except BaseException as exc:  # noqa: BLE001 - goes back to the main process
            reply = (False, _portable(exc))
        try:
            conn.send_bytes(_dumps(reply))
        except (BrokenPipeError, OSError):
            return


def _dumps(value: Any) -> bytes:
    # plain pickle: Connection.send makes a ForkingPickler per message, whose dispatch
    # table copy costs more than a chunk's few thousand bytes
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _portable(exc: BaseException) -> tuple[BaseException | None, str]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception that cannot travel: its traceback does
        return None, tb
    return exc, tb


class WorkerPool:
    """``jobs`` processes, each running ``init(*init_args)`` once and then ``run(*task)``
    for each task it is given. Use :meth:`idle` to find a worker with no task, :meth:`give`
    to hand it one, and :meth:`collect` to wait for results."""

    def __init__(self, jobs: int, mp: Any, init: Callable[..., None], init_args: tuple[Any, ...],
                 run: Callable[..., Any]):
        forked = mp.get_start_method() == "fork"
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        self._tasks: list[Any] = []  # per worker: (tag,) of the task it holds, or None when idle
        self._closed = False
        try:
            for _ in range(jobs):
                mine, theirs = mp.Pipe()
                inherited = [c.fileno() for c in self._conns] + [mine.fileno()] if forked else []
                proc = mp.Process(target=_serve, args=(theirs, inherited, init, init_args, run), daemon=True)
                proc.start()
                theirs.close()
                self._conns.append(mine)
                self._procs.append(proc)
                self._tasks.append(None)
        except BaseException:
            self.close(kill=True)
            raise

    def idle(self) -> int | None:
        """A worker holding no task, or None."""
        for i, task in enumerate(self._tasks):
            if task is None:
                return i
        return None

    def busy(self) -> bool:
        return any(task is not None for task in self._tasks)

    def give(self, worker: int, task: tuple[Any, ...], tag: Any) -> None:
        """Hand an idle worker ``task`` (the arguments of ``run``); its result comes back
        from :meth:`collect` with ``tag``."""
        assert self._tasks[worker] is None
        try:
            self._conns[worker].send_bytes(_dumps(task))
        except OSError:  # the worker is gone; collect() says how
            pass
        self._tasks[worker] = (tag,)

    def collect(self, on_free: Callable[[int], None] | None = None) -> list[tuple[Any, Any]]:
        """Wait until at least one worker has finished; return (tag, result) for each
        one that has. ``on_free(worker)`` is called as each worker is freed, before its
        result is unpickled (the caller can hand it its next task meanwhile). A task
        that raised re-raises here; a worker that died raises :class:`WorkerLost`."""
        holding = {self._conns[i]: i for i, t in enumerate(self._tasks) if t is not None}
        if not holding:
            return []
        results = []
        for conn in wait(list(holding)):
            i = holding[conn]  # type: ignore[index]
            (tag,) = self._tasks[i]
            try:
                raw = conn.recv_bytes()
            except (EOFError, OSError):
                self._procs[i].join(timeout=5)
                raise WorkerLost(self._procs[i].exitcode, tag) from None
            self._tasks[i] = None
            if on_free is not None:
                on_free(i)
            results.append((tag, raw))
        out = []
        for tag, raw in results:
            ok, value = pickle.loads(raw)
            if not ok:
                exc, tb = value
                if exc is None:
                    raise RuntimeError(tb)
                raise exc from RemoteTraceback(tb)
            out.append((tag, value))
        return out

    def close(self, *, kill: bool = False) -> None:
        """End the workers: politely when the run is done, at once (``kill``) when it was
        interrupted or failed."""
        if self._closed:
            return
        self._closed = True
        for conn, proc in zip(self._conns, self._procs):
            if not kill:
                try:
                    conn.send_bytes(_dumps(None))
                except OSError:
                    pass
            elif proc.is_alive():
                proc.terminate()
        for conn, proc in zip(self._conns, self._procs):
            proc.join(timeout=5 if kill else 60)  # (a worker stuck on its way out is not waited for)
            if proc.is_alive():
                proc.kill()
                proc.join()
            conn.close()
