"""Recorded exchanges: what was sent and received, when, with secrets redacted."""

from __future__ import annotations

import re
import shlex
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

REDACTED = "«redacted»"
MAX_BODY = 64 * 1024
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
#: the password of a URL's user info (``scheme://user:password@host``)
_URL_PASSWORD = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@?#]*):([^@\s/?#]+)@")


def url_passwords(text: str) -> set[str]:
    """The passwords in the user info of the URLs in ``text``, as written and percent-decoded."""
    from urllib.parse import unquote

    found: set[str] = set()
    for m in _URL_PASSWORD.finditer(text):
        found |= {m.group(2), unquote(m.group(2))}
    return found


def redact_url_passwords(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` replaced."""
    if "@" not in text:
        return text
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


@dataclass
class Exchange:
    """One request/response pair, outbound (harness → SUT) or inbound (SUT → harness).

    When ``error`` is set the transport broke (the status and a partial body may still
    be there as evidence): scenarios must not judge the product on such an exchange.
    """

    direction: str  # "out" | "in"
    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    started_at: str = field(default_factory=_now)
    duration_ms: float | None = None
    error: str | None = None
    step: str | None = None
    check: str | None = None
    index: int = -1

    def json_body(self, which: str = "response") -> Any:
        import json

        body = self.response_body if which == "response" else self.request_body
        return json.loads(body.decode("utf-8"))


class Recorder:
    """Thread-safe list of exchanges (listeners record from their own threads)."""

    def __init__(self) -> None:
        self._items: list[Exchange] = []
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.current_check: str | None = None
        self.current_check_fn = None  # callable giving the binding being evaluated

    def add_secret(self, value: Any) -> None:
        """Never write this value into a report (keys, passwords, tokens learned at run time)."""
        if value is None:
            return
        s = str(value)
        if len(s) >= 4:
            with self._lock:
                self._secrets.add(s)

    def secrets(self) -> frozenset[str]:
        """Every value registered so far (PIXIT secrets, tokens and keys learned at run time)."""
        with self._lock:
            return frozenset(self._secrets)

    def add(self, exchange: Exchange) -> Exchange:
        with self._lock:
            exchange.index = len(self._items)
            if exchange.check is None:
                exchange.check = self.current_check_fn() if self.current_check_fn else self.current_check
            self._items.append(exchange)
        return exchange

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(list(self._items))

    def get(self, index: int) -> Exchange:
        return self._items[index]

    # ---------------------------------------------------------------- redaction / output

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets(), key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return redact_url_passwords(text)

    def _headers(self, headers: dict[str, str]) -> dict[str, str]:
        out = {}
        for k, v in headers.items():
            if k.lower() in SENSITIVE_HEADERS:
                scheme = v.split(" ", 1)[0] if " " in v else ""
                out[k] = f"{scheme} {REDACTED}".strip()
            else:
                out[k] = self.redact(v)
        return out

    def _body(self, body: bytes) -> dict[str, Any]:
        text = body[:MAX_BODY].decode("utf-8", errors="replace")
        out: dict[str, Any] = {"text": self.redact(text), "size": len(body)}
        if len(body) > MAX_BODY:
            out["truncated"] = True
        return out

    def to_records(self, failing: set[int] | None = None) -> list[dict[str, Any]]:
        records = []
        for ex in self:
            rec: dict[str, Any] = {
                "index": ex.index, "direction": ex.direction, "method": ex.method, "url": self.redact(ex.url),
                "started_at": ex.started_at,
                "request": {"headers": self._headers(ex.request_headers), "body": self._body(ex.request_body)},
            }
            if ex.status is not None:
                rec["response"] = {"status": ex.status, "headers": self._headers(ex.response_headers),
                                   "body": self._body(ex.response_body)}
            for key in ("duration_ms", "error", "step", "check"):
                value = getattr(ex, key)
                if value is not None:
                    rec[key] = self.redact(value) if isinstance(value, str) else value
            if failing is not None and ex.index in failing and ex.direction == "out":
                rec["reproduce"] = self.curl(ex)
            records.append(rec)
        return records

    def curl(self, ex: Exchange) -> str:
        """A shell command that repeats the request; secrets stay placeholders to fill in."""
        parts = ["curl", "-sS", "-X", ex.method, shlex.quote(self.redact(ex.url))]
        for k, v in self._headers(ex.request_headers).items():
            if k.lower() in ("content-length", "host", "accept-encoding", "connection", "user-agent"):
                continue
            parts += ["-H", shlex.quote(f"{k}: {v}")]
        if ex.request_body:
            parts += ["--data-binary", shlex.quote(self.redact(ex.request_body.decode("utf-8", errors="replace")))]
        return " ".join(parts)
