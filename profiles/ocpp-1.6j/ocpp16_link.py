"""One OCPP-J endpoint over a recorded WebSocket: send CALLs, answer the peer's CALLs.

Used by the harness (as central system or as charge point, with a frame log the
checks replay) and by the reference peers (without a recorder). Answers to the peer's
CALLs go out from a worker thread after ``answer_delay`` seconds, so a peer that sends
a second CALL without waiting for the first answer shows up in the log in that order.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4

#: Reference peers that connect to the harness register here (key -> connect(url)).
DRIVERS: dict[str, Callable[[str], None]] = {}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


@dataclass
class Incoming:
    """A CALL the peer sent."""

    uid: str
    action: str
    payload: Any
    at: float
    exchange: int | None = None
    position: int = 0


@dataclass
class Reply:
    """The peer's answer to one of our CALLs (kind 3 or 4, or another type for a malformed answer)."""

    kind: Any
    frame: list[Any]
    at: float
    exchange: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind == CALLRESULT and len(self.frame) == 3 and isinstance(self.frame[2], dict)

    @property
    def payload(self) -> dict[str, Any]:
        return self.frame[2] if self.ok else {}

    @property
    def error_code(self) -> str | None:
        if self.kind == CALLERROR and len(self.frame) >= 3 and isinstance(self.frame[2], str):
            return self.frame[2]
        return None


@dataclass
class Answer:
    """What to send back for a peer's CALL: a payload, an error, or a raw frame (defects)."""

    payload: dict[str, Any] | None = None
    error: tuple[str, str] | None = None
    raw: str | None = None
    after: Callable[[], None] | None = None
    delay: float = 0.0


Handler = Callable[["Endpoint", Incoming], "Answer | None"]


@dataclass
class LogEntry:
    conn: int
    direction: str  # "in" (from the peer) | "out"
    text: str
    at: float
    exchange: int | None = None


@dataclass
class FrameLog:
    """Every frame of every connection, in order (shared between the harness endpoints)."""

    entries: list[LogEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0

    def new_connection(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections


class Endpoint:
    def __init__(self, conn: Any, *, handler: Handler | None = None, answer_delay: float = 0.0,
                 log: FrameLog | None = None, step: str | None = None, ids: Callable[[], str] | None = None):
        self.conn = conn
        self.handler = handler
        self.answer_delay = answer_delay
        self.log = log
        self.conn_no = log.new_connection() if log is not None else 0
        self.step = step
        self.ids = ids or (lambda: str(uuid.uuid4()))
        self.calls: list[Incoming] = []
        self._replies: dict[str, Reply] = {}
        self._waiting: set[str] = set()
        self._cond = threading.Condition()
        self._call_lock = threading.Lock()
        self._answers: queue.Queue[tuple[Incoming, Answer] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._answer_loop, name="ocpp-answers", daemon=True)
        self._worker.start()
        conn.attach(self._on_frame)  # also replays frames that came before we attached

    @property
    def closed(self) -> bool:
        return bool(self.conn.closed.is_set())

    # ---------------------------------------------------------------- sending

    def send_text(self, text: str) -> int | None:
        entry = None
        if self.log is not None:
            entry = LogEntry(self.conn_no, "out", text, time.monotonic())
            with self.log.lock:  # logged before it leaves, so the peer's reaction comes after it
                self.log.entries.append(entry)
        ex = self.conn.send(text, step=self.step)
        index = ex.index if ex is not None else None
        if entry is not None:
            entry.exchange = index
        return index

    def call(self, action: str, payload: Any, *, timeout: float, uid: str | None = None,
             raw: str | None = None) -> Reply | None:
        """Send a CALL (or ``raw`` text with id ``uid``) and wait for the answer; None on timeout."""
        uid = uid or self.ids()
        text = raw if raw is not None else dumps([CALL, uid, action, payload])
        with self._call_lock:  # one outstanding CALL per direction (OCPP-J §4.1.1)
            with self._cond:
                self._waiting.add(uid)
            try:
                self.send_text(text)
            except Exception:
                with self._cond:
                    self._waiting.discard(uid)
                raise
            deadline = time.monotonic() + timeout
            with self._cond:
                while uid not in self._replies:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self.closed:
                        self._waiting.discard(uid)
                        return None
                    self._cond.wait(min(remaining, 0.2))
                self._waiting.discard(uid)
                return self._replies.pop(uid)

    # ---------------------------------------------------------------- receiving

    def _on_frame(self, _conn: Any, frame: Any) -> None:
        index = frame.exchange.index if frame.exchange is not None else None
        if self.log is not None:
            with self.log.lock:
                self.log.entries.append(LogEntry(self.conn_no, "in", frame.text, frame.received_at, index))
        try:
            msg = json.loads(frame.text, parse_float=Decimal)
        except (ValueError, RecursionError):
            return
        if not isinstance(msg, list) or len(msg) < 2 or not isinstance(msg[1], str):
            return
        uid = msg[1]
        with self._cond:
            if uid in self._waiting and not (msg[0] == CALL and len(msg) == 4 and isinstance(msg[2], str)):
                self._replies[uid] = Reply(msg[0], msg, frame.received_at, index)
                self._cond.notify_all()
                return
        if msg[0] == CALL and len(msg) == 4 and isinstance(msg[2], str):
            inc = Incoming(uid, msg[2], msg[3], frame.received_at, index, frame.position)
            with self._cond:
                self.calls.append(inc)
                self._cond.notify_all()
            answer = self.handler(self, inc) if self.handler is not None else None
            if answer is not None:
                self._answers.put((inc, answer))

    def _answer_loop(self) -> None:
        while True:
            item = self._answers.get()
            if item is None:
                return
            inc, answer = item
            delay = answer.delay or self.answer_delay
            if delay:
                time.sleep(delay)
            if answer.raw is not None:
                text = answer.raw
            elif answer.error is not None:
                text = dumps([CALLERROR, inc.uid, answer.error[0], answer.error[1], {}])
            else:
                text = dumps([CALLRESULT, inc.uid, answer.payload or {}])
            try:
                self.send_text(text)
            except Exception:
                continue
            if answer.after is not None:  # on its own thread: it may send CALLs and wait
                threading.Thread(target=_quietly, args=(answer.after,), daemon=True).start()

    def wait_call(self, actions: str | Iterable[str] | None, timeout: float, start: int = 0,
                  predicate: Callable[[Incoming], bool] | None = None) -> Incoming | None:
        """The first CALL of the peer (from index ``start`` in :attr:`calls`) with one of ``actions``."""
        wanted = {actions} if isinstance(actions, str) else set(actions) if actions is not None else None
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for inc in self.calls[start:]:
                    if (wanted is None or inc.action in wanted) and (predicate is None or predicate(inc)):
                        return inc
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._cond.wait(min(remaining, 0.2))

    def mark(self) -> int:
        with self._cond:
            return len(self.calls)

    def close(self) -> None:
        self._answers.put(None)
        self.conn.close()


def _quietly(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception:
        pass
