"""The upstream stand-ins of the live tests: a mock, served on a loopback port, answering the way a
live service might differ from it. No test contacts a real host."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from mock_server.app import create_app
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import Settings

Change = Callable[[str, dict[str, Any]], dict[str, Any]]


class Altered:
    """A WSGI app around the mock that rewrites its JSON answers (`change(path, body)`) and may
    answer late; it keeps every answer it sent, as sent, for the tests to compare."""

    def __init__(self, app: Any, change: Change | None = None, delay: float = 0.0) -> None:
        self.app = app
        self.change = change
        self.delay = delay
        self.sent: list[bytes] = []
        self.content_types: list[str | None] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        if self.change is not None:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            if isinstance(document, dict):
                body = json.dumps(self.change(environ["PATH_INFO"], document),
                                  ensure_ascii=False).encode("utf-8")
        if self.delay:
            time.sleep(self.delay)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        self.sent.append(body)
        self.content_types.append(next((v for k, v in headers if k.lower() == "content-type"), None))
        start_response(captured["status"], headers)
        return [body]


def upstream(change: Change | None = None, delay: float = 0.0) -> tuple[ThreadedServer, Altered]:
    """A started stand-in: the mock (strict, in memory), altered by `change`."""
    altered = Altered(create_app(Settings(db=":memory:", strict=True)), change, delay)
    return ThreadedServer(app=altered).start(), altered


class Dropping:
    """A port that accepts each connection and closes it at once, having read the request."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.close()

    def close(self) -> None:
        self.listener.close()


def in_result(change: Callable[[dict[str, Any]], None], path: str = "/api/paas/idcardocrapp") -> Change:
    """A change applied to the `result` of successful answers on `path`."""

    def apply(where: str, body: dict[str, Any]) -> dict[str, Any]:
        if where == path and body.get("code") == "0" and isinstance(body.get("result"), dict):
            change(body["result"])
        return body

    return apply
