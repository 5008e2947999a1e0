"""Notice when the mock breaks its own schemas: in strict mode it answers HTTP 500 then."""

from __future__ import annotations

from typing import Any

from mock_server.scenarios import APPLIED_HEADER


class FaultWatch:
    """A WSGI wrapper that keeps, in `errors`, every HTTP 500 the mock answered of itself; a 500
    played by the `http-500` scenario carries the applied-scenario header and is the test's own."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def watching_start(status: str, headers: Any, exc_info: Any = None) -> Any:
            played = any(name.lower() == APPLIED_HEADER.lower() for name, _ in headers)
            if status.startswith("500") and not played:
                self.errors.append(f"{environ.get('PATH_INFO')} answered {status}")
            return start_response(status, headers, exc_info)

        return self.app(environ, watching_start)
