"""A fault-injecting HTTP proxy on loopback, to prove the harness survives a broken SUT.

It sits between the harness and a peer, forwards each HTTP/1.1 request to the
upstream and, for the responses it is told to, misbehaves:

- ``delay``: answer after ``delay_s`` seconds;
- ``reset``: send half of the response, then reset the connection (RST);
- ``truncate``: send the headers and half of the body, then close;
- ``duplicate``: send the response twice, then close (the copy must be ignored);
- ``reorder``: send the header fields in reverse order, split into 1-byte TCP
  segments (HTTP allows any order; a correct client is unaffected);
- ``slowloris``: drip the response one byte every ``drip_s`` seconds.

``only`` limits the fault to the n-th response (1-based); by default every response.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("none", "delay", "reset", "truncate", "duplicate", "reorder", "slowloris")


class FaultProxy:
    def __init__(self, upstream: str, fault: str = "none", *, only: int | None = None, delay_s: float = 3.0,
                 drip_s: float = 0.05, host: str = "127.0.0.1", port: int = 0):
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.fault = fault
        self.only = only
        self.delay_s = delay_s
        self.drip_s = drip_s
        self.count = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.create_server((host, port))
        self._sock.settimeout(0.1)
        self.host, self.port = self._sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, daemon=True, name="fault-proxy")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def __enter__(self) -> "FaultProxy":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ serving

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = lines[0].split(" ", 2)
                headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
                length = next((int(v) for k, v in headers if k.strip().lower() == "content-length"), 0)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                response = self._forward(method, target, headers, body)
                with self._lock:
                    self.count += 1
                    n = self.count
                faulty = self.fault != "none" and (self.only is None or self.only == n)
                if not self._send(conn, response, faulty):
                    return
        except (OSError, ValueError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _forward(self, method: str, target: str, headers: list[tuple[str, ...]], body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        up = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            skip = {"host", "connection", "content-length", "keep-alive", "accept-encoding"}
            up.request(method, target, body=body,
                       headers={k.strip(): v.strip() for k, v in headers if k.strip().lower() not in skip})
            resp = up.getresponse()
            payload = resp.read()
            return resp.status, resp.reason, [(k, v) for k, v in resp.getheaders()
                                               if k.lower() not in ("content-length", "connection", "transfer-encoding")], payload
        finally:
            up.close()

    def _send(self, conn: socket.socket, response: tuple[int, str, list[tuple[str, str]], bytes], faulty: bool) -> bool:
        """Write the response (with the fault); False when the connection is finished."""
        status, reason, headers, payload = response
        if faulty and self.fault == "reorder":
            headers = list(reversed(headers))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        head += f"Content-Length: {len(payload)}\r\n\r\n"
        raw = head.encode("latin-1") + payload
        if not faulty:
            conn.sendall(raw)
            return True
        if self.fault == "delay":
            time.sleep(self.delay_s)
            conn.sendall(raw)
            return True
        if self.fault == "reset":
            conn.sendall(raw[: len(raw) // 2])
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if self.fault == "truncate":
            conn.sendall(raw[: len(head) + len(payload) // 2])
            conn.shutdown(socket.SHUT_WR)
            return False
        if self.fault == "duplicate":
            conn.sendall(raw + raw)
            return False
        if self.fault == "reorder":
            for i in range(len(raw)):
                conn.sendall(raw[i : i + 1])
            return True
        if self.fault == "slowloris":
            for i in range(len(raw)):
                if self._stop.is_set():
                    return False
                conn.sendall(raw[i : i + 1])
                time.sleep(self.drip_s)
            return True
        conn.sendall(raw)  # pragma: no cover - every fault is handled above
        return True
