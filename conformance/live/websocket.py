"""Recording WebSocket transport: a client and a loopback server, every frame recorded.

Built on the ``websockets`` library's threaded (sync) API. Each open connection has a
reader thread; every frame becomes an :class:`Exchange` in the session recorder with
``method="WS"``, ``direction`` "out" (harness → SUT) or "in" (SUT → harness) and the
frame text as ``request_body``. The opening handshake is recorded as a ``GET``
exchange with status 101 (or the refusal), so the record shows the negotiated
subprotocol. Timeouts, refusals and closed connections raise :class:`TransportError`
with the exchange as evidence. Nothing here knows any application protocol.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect as ws_connect
from websockets.sync.server import ServerConnection, serve as ws_serve

from .exchange import Exchange, Recorder
from .http import TransportError

WS = "WS"
CLOSE = "WS-CLOSE"
MAX_FRAME = 4 * 1024 * 1024


@dataclass
class Frame:
    """One received frame: text (or bytes for a binary frame), when it came, its exchange."""

    data: str | bytes
    received_at: float
    exchange: Exchange | None = None
    position: int = 0  # 0-based position among the frames received on this connection

    @property
    def text(self) -> str:
        if isinstance(self.data, bytes):
            return self.data.decode("utf-8", errors="replace")
        return self.data

    @property
    def binary(self) -> bool:
        return isinstance(self.data, bytes)


FrameListener = Callable[["WebSocketConnection", Frame], None]


class WebSocketConnection:
    """An open WebSocket (client or server side) whose frames are all recorded.

    Received frames are kept in order (:attr:`frames`); :meth:`recv` reads them with a
    cursor, :meth:`wait_for` searches them without consuming. With ``on_frame`` set,
    each frame is also handed to that callback on the reader thread (to answer
    requests while another thread waits for something else).
    """

    def __init__(self, ws: Any, *, url: str, recorder: Recorder | None, name: str,
                 on_frame: FrameListener | None = None, start: bool = True):
        self.ws = ws
        self.url = url
        self.recorder = recorder
        self.name = name
        self.on_frame = on_frame
        self.frames: list[Frame] = []
        self.closed = threading.Event()
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.handshake: Exchange | None = None
        self._cursor = 0
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name=f"conformance-ws-{name}", daemon=True)
        if start:
            self._thread.start()

    # ---------------------------------------------------------------- handshake facts

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol

    @property
    def path(self) -> str:
        request = getattr(self.ws, "request", None)
        return request.path if request is not None else ""

    @property
    def request_headers(self) -> dict[str, str]:
        request = getattr(self.ws, "request", None)
        return _headers(request.headers) if request is not None else {}

    # ---------------------------------------------------------------- frames

    def _record(self, direction: str, data: str | bytes, *, method: str = WS, step: str | None = None,
                error: str | None = None, headers: dict[str, str] | None = None) -> Exchange | None:
        if self.recorder is None:
            return None
        body = data.encode("utf-8") if isinstance(data, str) else data
        hdrs = dict(headers or {})
        if isinstance(data, bytes) and method == WS:
            hdrs["opcode"] = "binary"
        ex = Exchange(direction=direction, method=method, url=self.url, request_headers=hdrs,
                      request_body=body, step=step or self.name, error=error)
        return self.recorder.add(ex)

    def send(self, data: str | bytes, *, step: str | None = None) -> Exchange | None:
        """Send one frame (text for str, binary for bytes) and record it."""
        if self.closed.is_set():
            ex = self._record("out", data, step=step, error="connection already closed")
            raise TransportError(ex or _orphan(self.url), "connection already closed")
        with self._send_lock:
            try:
                self.ws.send(data)
            except (ConnectionClosed, OSError) as exc:
                ex = self._record("out", data, step=step, error=f"send failed: {_short(exc)}")
                raise TransportError(ex or _orphan(self.url), f"send failed: {_short(exc)}") from exc
            return self._record("out", data, step=step)

    def _read(self) -> None:
        try:
            while True:
                data = self.ws.recv()
                frame = Frame(data=data, received_at=time.monotonic())
                frame.exchange = self._record("in", data)
                with self._cond:
                    frame.position = len(self.frames)
                    self.frames.append(frame)
                    listener = self.on_frame
                    self._cond.notify_all()
                if listener is not None:
                    try:
                        listener(self, frame)
                    except Exception:  # a broken listener must not stop reading
                        pass
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            self.close_code = rcvd.code if rcvd is not None else None
            self.close_reason = rcvd.reason if rcvd is not None else "no close frame"
        except Exception as exc:  # socket errors end the connection like a close
            self.close_code = None
            self.close_reason = _short(exc)
        finally:
            if self.recorder is not None:
                self._record("in", self.close_reason or "", method=CLOSE,
                             headers={"code": str(self.close_code)} if self.close_code is not None else {})
            with self._cond:
                self.closed.set()
                self._cond.notify_all()

    def attach(self, listener: FrameListener) -> None:
        """Set ``on_frame`` and hand it every frame received so far (none is lost or repeated)."""
        with self._cond:
            self.on_frame = listener
            backlog = list(self.frames)
        for frame in backlog:
            try:
                listener(self, frame)
            except Exception:
                pass

    def recv(self, timeout: float, *, step: str | None = None) -> Frame:
        """The next unread frame; TransportError on timeout or when the peer closed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._cursor >= len(self.frames):
                remaining = deadline - time.monotonic()
                if self.closed.is_set() or remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._cursor < len(self.frames):
                frame = self.frames[self._cursor]
                self._cursor += 1
                return frame
        reason = (f"connection closed by the peer (code {self.close_code})" if self.closed.is_set()
                  else f"timeout after {timeout} s waiting for a frame")
        ex = self._record("in", "", step=step, error=reason)
        raise TransportError(ex or _orphan(self.url), reason)

    def wait_for(self, predicate: Callable[[Frame], bool], timeout: float, start: int = 0) -> Frame | None:
        """The first received frame (from position ``start``) matching ``predicate``, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for frame in self.frames[start:]:
                    if predicate(frame):
                        return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed.is_set():
                    return None
                self._cond.wait(remaining)

    def wait_closed(self, timeout: float) -> bool:
        return self.closed.wait(timeout)

    def close(self, code: int = 1000, reason: str = "") -> None:
        try:
            self.ws.close(code, reason)
        except Exception:
            pass
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)

    def __enter__(self) -> "WebSocketConnection":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---------------------------------------------------------------- client


def connect_websocket(url: str, recorder: Recorder | None = None, *, subprotocols: Sequence[str] = (),
                      timeout: float = 10.0, headers: dict[str, str] | None = None, name: str = "websocket",
                      on_frame: FrameListener | None = None, step: str | None = None) -> WebSocketConnection:
    """Open a WebSocket to ``url`` offering ``subprotocols``; the handshake is recorded.

    Raises TransportError when the connection is refused, times out, or the server
    refuses the upgrade (the exchange carries the HTTP status then).
    """
    ex = Exchange(direction="out", method="GET", url=url, request_headers=dict(headers or {}), step=step or name)
    started = time.perf_counter()
    try:
        ws = ws_connect(url, subprotocols=list(subprotocols) or None, open_timeout=timeout, close_timeout=2,
                        additional_headers=headers, proxy=None, max_size=MAX_FRAME, compression=None,
                        ping_interval=None)
    except InvalidStatus as exc:
        ex.status = exc.response.status_code
        ex.response_headers = _headers(exc.response.headers)
        ex.response_body = bytes(exc.response.body or b"")
        ex.error = f"upgrade refused with HTTP {exc.response.status_code}"
    except TimeoutError as exc:
        ex.error = f"timeout after {timeout} s opening the WebSocket ({type(exc).__name__})"
    except (OSError, InvalidHandshake) as exc:
        ex.error = f"connection failed: {_short(exc)}"
    finally:
        ex.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    if ex.error is not None:
        if recorder is not None:
            recorder.add(ex)
        raise TransportError(ex, ex.error)
    if ws.request is not None:
        ex.request_headers = _headers(ws.request.headers)
    if ws.response is not None:
        ex.status = ws.response.status_code
        ex.response_headers = _headers(ws.response.headers)
    if recorder is not None:
        recorder.add(ex)
    conn = WebSocketConnection(ws, url=url, recorder=recorder, name=name, on_frame=on_frame)
    conn.handshake = ex
    return conn


# ---------------------------------------------------------------- server

ConnectionHandler = Callable[[WebSocketConnection], None]


class WebSocketServer:
    """A WebSocket server on ``host:port`` (port 0: any free port) in a background thread.

    Subprotocol negotiation is lenient on purpose: the first of ``subprotocols`` the
    client offers is selected, and a client that offers none is still accepted (with no
    subprotocol) so that a checker can judge the handshake instead of never seeing it.
    Every connection queues up for :meth:`accept`. A ``handler``, if given, is called
    with each new connection before any frame is read (to attach a listener); it must
    return promptly. A connection stays open until either side closes it or the server stops.
    """

    def __init__(self, handler: ConnectionHandler | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 recorder: Recorder | None = None, subprotocols: Sequence[str] = (), name: str = "ws-listener",
                 on_frame: FrameListener | None = None):
        self.handler = handler
        self.recorder = recorder
        self.subprotocols = tuple(subprotocols)
        self.name = name
        self.on_frame = on_frame
        self.connections: list[WebSocketConnection] = []
        self._accepted = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self.server = ws_serve(self._handle, host, port, select_subprotocol=self._select, compression=None,
                               ping_interval=None, close_timeout=2, max_size=MAX_FRAME, open_timeout=10)
        self.host, self.port = self.server.socket.getsockname()[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"conformance-{name}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"ws://{host}:{self.port}/"

    def _select(self, _conn: ServerConnection, offered: Sequence[str]) -> Any:
        for proto in self.subprotocols:
            if proto in offered:
                return proto
        return None

    def _handle(self, ws: ServerConnection) -> None:
        url = f"{self.url.rstrip('/')}{ws.request.path if ws.request else '/'}"
        ex = None
        if self.recorder is not None:
            ex = Exchange(direction="in", method="GET", url=url,
                          request_headers=_headers(ws.request.headers) if ws.request else {},
                          status=ws.response.status_code if ws.response else 101,
                          response_headers=_headers(ws.response.headers) if ws.response else {}, step=self.name)
            self.recorder.add(ex)
        conn = WebSocketConnection(ws, url=url, recorder=self.recorder, name=self.name, on_frame=self.on_frame,
                                   start=False)
        conn.handshake = ex
        # The reader thread starts after the connection is published, so a listener
        # attached by the acceptor sees every frame.
        with self._cond:
            self.connections.append(conn)
            self._cond.notify_all()
        if self.handler is not None:
            try:
                self.handler(conn)
            except Exception:
                conn._thread.start()
                conn.close(1011, "handler failed")
                return
        conn._thread.start()
        while not conn.closed.wait(0.1):
            if self._stopping.is_set():
                conn.close(1001, "harness stopping")
                break

    def accept(self, timeout: float) -> WebSocketConnection | None:
        """The next connection not yet accepted, waiting up to ``timeout`` s (None on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._accepted >= len(self.connections):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return None
                self._cond.wait(remaining)
            conn = self.connections[self._accepted]
            self._accepted += 1
            return conn

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
            conns = list(self.connections)
        for conn in conns:
            conn.close(1001, "server stopping")
        self.server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> "WebSocketServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _headers(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers.raw_items():
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def _orphan(url: str) -> Exchange:
    return Exchange(direction="in", method=WS, url=url)


def _short(exc: BaseException) -> str:
    msg = str(exc) or type(exc).__name__
    return msg if len(msg) < 300 else msg[:300] + "…"


__all__ = ["Frame", "WebSocketConnection", "WebSocketServer", "connect_websocket", "WS", "CLOSE"]
