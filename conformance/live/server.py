"""A small threaded HTTP server on loopback: listeners for SUT pushes and reference peers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .exchange import Exchange, Recorder

MAX_REQUEST = 16 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        import json

        return json.loads(self.body.decode("utf-8"))

    def header(self, name: str, default: str | None = None) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return default


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (slow-peer defects)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, value: Any, status: int = 200, **kw: Any) -> "Response":
        import json

        return cls(status, json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                   {"Content-Type": "application/json; charset=utf-8"}, **kw)


Handler = Callable[[Request], Response]


class LoopbackServer:
    """Serves ``handler`` on ``host:port`` (port 0: any free port) in a background thread.

    With a ``recorder`` every request is recorded as an inbound exchange, and
    :meth:`wait_for` lets a scenario wait for a push from the SUT.
    """

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0,
                 recorder: Recorder | None = None, name: str = "listener"):
        self.handler = handler
        self.recorder = recorder
        self.name = name
        self.received: list[tuple[Request, Exchange | None]] = []
        self._cond = threading.Condition()
        self._closed = False
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_REQUEST:
                    self.send_error(413)
                    return
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, self.path, dict(self.headers.items()), body)
                started = time.perf_counter()
                try:
                    resp = outer.handler(req)
                except Exception as exc:  # a broken handler answers 500, never kills the server
                    resp = Response(500, f"handler error: {exc!r}")
                if resp.delay:
                    time.sleep(resp.delay)
                ex = None
                if outer.recorder is not None:
                    ex = Exchange(direction="in", method=req.method, url=f"{outer.url.rstrip('/')}{req.path}",
                                  request_headers=req.headers, request_body=body, step=outer.name)
                if resp.drop:
                    self.close_connection = True
                    if ex is not None:
                        ex.error = "connection dropped by the harness"
                else:
                    payload = resp.body.encode("utf-8") if isinstance(resp.body, str) else resp.body
                    self.send_response(resp.status)
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    if (req.header("Connection") or "").lower() == "close":
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    try:
                        self.wfile.write(payload)
                    except OSError:
                        pass
                    if ex is not None:
                        ex.status = resp.status
                        ex.response_headers = dict(resp.headers)
                        ex.response_body = payload
                if ex is not None:
                    ex.duration_ms = round((time.perf_counter() - started) * 1000, 1)
                    outer.recorder.add(ex)  # type: ignore[union-attr]
                with outer._cond:
                    outer.received.append((req, ex))
                    outer._cond.notify_all()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self.httpd = ThreadingHTTPServer((host, port), _H)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"conformance-{name}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"http://{host}:{self.port}/"

    def wait_for(self, predicate: Callable[[Request], bool], timeout: float, start: int = 0
                 ) -> tuple[Request, Exchange | None] | None:
        """The first request (from index ``start``) matching ``predicate``, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.received[start:]:
                    if predicate(item[0]):
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return None
                self._cond.wait(remaining)

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LoopbackServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
