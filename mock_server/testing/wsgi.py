"""One HTTP request, as an HTTP client library prepared it, answered by a WSGI app in this
process: no socket, no thread."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder, run_wsgi_app

# Set by the client library from the body it sends.
_SKIPPED = {"content-length", "transfer-encoding", "host"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def call(app: Any, method: str, url: str, headers: Iterable[tuple[str, str]],
         body: bytes | None) -> Answer:
    """The app's answer to the request, read whole. A transport fault the app plays (a reset
    connection) is raised as ConnectionResetError."""
    parts = urlsplit(url)
    data = body or b""
    builder = EnvironBuilder(
        path=parts.path or "/",
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=method,
        headers=[(k, v) for k, v in headers if k.lower() not in _SKIPPED],
        input_stream=io.BytesIO(data),
        content_length=len(data),
        # The caller is this process: the mock's /_mock/ surface answers it, as on loopback.
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=False)
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return Answer(int(status.split(" ", 1)[0]), list(response_headers.items()), content)
