"""State of one live run: PIXIT, the exchange recorder, clients and listeners."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .exchange import Recorder, url_passwords
from .http import HttpClient
from .server import Handler, LoopbackServer

SECRET_KEY = re.compile(r"secret|password|passwd|token|private|(^|_)iv$|(^|_)key$", re.I)
PUBLIC_KEY = re.compile(r"public", re.I)  # a public key is evidence, not a secret


def pixit_secrets(pixit: dict[str, Any], extra_keys: tuple[str, ...] = ()) -> set[str]:
    """Values in PIXIT that must never appear in a report: those under secret-sounding
    keys or ``extra_keys``, and the password of any URL with user info."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            if key in extra_keys or (SECRET_KEY.search(key) and not PUBLIC_KEY.search(key)):
                found.add(str(value))
            elif isinstance(value, str) and "@" in value:
                found.update(url_passwords(value))

    walk(pixit)
    return found


class LiveSession:
    """What live scenarios share: the SUT's address, PIXIT, the recorder, listeners."""

    def __init__(self, *, pixit: dict[str, Any], role: str | None, target_url: str | None,
                 timeout: float = 10.0, secret_keys: tuple[str, ...] = (),
                 current_check: Callable[[], str | None] | None = None):
        self.pixit = pixit
        self.role = role
        self.target_url = target_url
        self.timeout = float(pixit.get("timeout_s", timeout))
        self.recorder = Recorder()
        self.recorder.current_check_fn = current_check
        for value in pixit_secrets(pixit, secret_keys):
            self.recorder.add_secret(value)
        self.shared: dict[str, Any] = {}  # state scenarios pass on (tokens, ids)
        self._listeners: list[LoopbackServer] = []
        self._clients: list[HttpClient] = []

    def client(self, base_url: str | None = None, **kw: Any) -> HttpClient:
        url = base_url or self.target_url
        if not url:
            raise ValueError("no target URL: give PIXIT base_url or run against the reference peer")
        client = HttpClient(url, self.recorder, timeout=kw.pop("timeout", self.timeout), **kw)
        self._clients.append(client)
        return client

    def listen(self, handler: Handler, *, name: str = "listener", host: str | None = None,
               port: int | None = None) -> LoopbackServer:
        """A listener for the SUT's pushes, on PIXIT listen_host/listen_port (default 127.0.0.1, any port)."""
        server = LoopbackServer(
            handler,
            host=host or str(self.pixit.get("listen_host", "127.0.0.1")),
            port=int(port if port is not None else self.pixit.get("listen_port", 0)),
            recorder=self.recorder, name=name,
        )
        self._listeners.append(server)
        return server

    def secret(self, value: Any) -> None:
        self.recorder.add_secret(value)

    def mark(self) -> int:
        """Index the next exchange will get (to find the exchanges of one step)."""
        return len(self.recorder)

    def close(self) -> None:
        for server in self._listeners:
            try:
                server.stop()
            except Exception:
                pass
        for client in self._clients:
            client.close()
        self._listeners.clear()
        self._clients.clear()
