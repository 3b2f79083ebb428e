"""The recording HTTP client the harness uses to call a SUT."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urljoin

import requests

from ..findings import Location
from ..i18n import text
from ..subject import SubjectError
from .exchange import Exchange, Recorder


class TransportError(SubjectError):
    """The exchange did not complete (refused, reset, timeout): an ``error``, not a product fail."""

    def __init__(self, exchange: Exchange, reason: str):
        self.exchange = exchange
        super().__init__(
            text(f"传输故障：{reason}", f"transport fault: {reason}"),
            Location(exchange=exchange.index),
            evidence={"exchange": exchange.index, "error": reason},
        )


class HttpClient:
    """requests.Session that records every exchange, with a per-request timeout."""

    def __init__(self, base_url: str, recorder: Recorder, *, timeout: float = 10.0,
                 headers: dict[str, str] | None = None, max_response: int = 16 * 1024 * 1024,
                 keep_alive: bool = False):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.recorder = recorder
        self.timeout = timeout
        self.max_response = max_response
        self.session = requests.Session()
        self.session.trust_env = False  # never route through a proxy from the environment
        self.keep_alive = keep_alive
        if not keep_alive:
            # One connection per exchange: a peer that desynchronises a connection (a
            # duplicated or stray response) cannot corrupt the next, unrelated exchange.
            self.session.headers["Connection"] = "close"
        if headers:
            self.session.headers.update(headers)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def request(self, method: str, path: str, *, body: bytes | str | None = None, json_body: Any = None,
                headers: dict[str, str] | None = None, step: str | None = None,
                timeout: float | None = None) -> Exchange:
        """Send and record. Raises TransportError when no HTTP response came back."""
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"))
            headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        url = self.url(path)
        req = requests.Request(method, url, data=data, headers=headers or {})
        prepared = self.session.prepare_request(req)
        ex = Exchange(direction="out", method=method, url=url, request_headers=dict(prepared.headers),
                      request_body=data, step=step)
        started = time.perf_counter()
        limit = timeout or self.timeout
        try:
            # Stream the body against a total deadline: a per-read timeout alone never
            # fires when a hostile peer drips one byte at a time (slowloris).
            resp = self.session.send(prepared, timeout=limit, allow_redirects=False, stream=True)
            ex.status = resp.status_code
            ex.response_headers = dict(resp.headers)
            deadline = started + limit
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in resp.iter_content(8192):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_response:
                        ex.error = f"response larger than {self.max_response} bytes"
                        break
                    if time.perf_counter() > deadline:
                        ex.error = f"timeout: the response took longer than {limit} s in total"
                        break
            finally:
                resp.close()
                if not self.keep_alive:
                    self.session.close()  # drop pooled connections: the next exchange starts afresh
            ex.response_body = b"".join(chunks)
        except requests.Timeout as exc:
            ex.error = f"timeout after {limit} s ({type(exc).__name__})"
        except requests.ConnectionError as exc:
            ex.error = f"connection failed: {_short(exc)}"
        except requests.RequestException as exc:
            ex.error = f"{type(exc).__name__}: {_short(exc)}"
        finally:
            ex.duration_ms = round((time.perf_counter() - started) * 1000, 1)
            self.recorder.add(ex)
        if ex.error is not None:
            raise TransportError(ex, ex.error)
        return ex

    def post(self, path: str, **kw: Any) -> Exchange:
        return self.request("POST", path, **kw)

    def get(self, path: str, **kw: Any) -> Exchange:
        return self.request("GET", path, **kw)

    def close(self) -> None:
        self.session.close()


def _short(exc: BaseException) -> str:
    msg = str(exc)
    return msg if len(msg) < 300 else msg[:300] + "…"
