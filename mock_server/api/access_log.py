"""One access line per request: `127.0.0.1 "POST /api/paas/idcardocrapp" 200 141 3ms`.

The path is logged without its query string: GET calls carry the secret, tokens and signs there.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from mock_server import masking

log = logging.getLogger("idcard_mock.access")


def register(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.access_started = time.perf_counter()

    @app.after_request
    def _logged(response: Response) -> Response:
        if log.isEnabledFor(logging.INFO):
            started = g.get("access_started", time.perf_counter())
            took = (time.perf_counter() - started) * 1000
            size = response.content_length if response.content_length is not None else "-"
            log.info('%s "%s %s" %s %s %.0fms', request.remote_addr, request.method,
                     masking.ascii_header(request.path), response.status_code, size, took)
        return response
