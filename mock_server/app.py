"""The Flask application factory. No module-level state: two apps in one process are strangers."""

from __future__ import annotations

from flask import Flask

from mock_server.api import access_log, admin, error_handlers, front, kyc
from mock_server.backend import Backend
from mock_server.clock import Clock
from mock_server.ids import IdSource
from mock_server.settings import Settings


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, ids: IdSource | None = None
) -> Flask:
    app = Flask("mock_server")
    app.extensions["idcard_mock"] = Backend.build(settings or Settings(), clock, ids)
    app.register_blueprint(kyc.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(front.blueprint)
    error_handlers.register(app)
    access_log.register(app)
    return app
