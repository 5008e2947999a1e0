"""Serving the app with gunicorn (a production WSGI server), N worker processes."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from mock_server import logsafe
from mock_server.app import create_app
from mock_server.settings import Settings


class MockServer(BaseApplication):
    """Each worker builds its own app (and its own SQLite connection) after the fork."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self._settings)


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    logsafe.install("gunicorn.error", "gunicorn.access", "idcard_mock", "mock_server")
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        # A 20 MB body on a slow link must not be cut off by the default 30 s.
        "timeout": 120,
        "accesslog": "-",
        # Path without the query string: GET calls carry the secret, tokens and signs there.
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "errorlog": "-",
        "loglevel": "info",
    }
    MockServer(settings, options).run()
