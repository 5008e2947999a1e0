"""One place turns every failure outside the calls themselves into the vendor envelope; under
/_mock/ a missing path or a wrong method is the mock's own answer (api/front.py)."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from mock_server.api import front
from mock_server.api.respond import error_response
from mock_server.errors import ApiError
from mock_server.schemas import SchemaViolation
from mock_server.store import StoreUnavailable

log = logging.getLogger("idcard_mock")


def register(app: Flask) -> None:
    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        if front.is_admin_path(request.path):
            return front.admin_not_found()
        return error_response(ApiError("NOT_FOUND", "no such path"))

    @app.errorhandler(MethodNotAllowed)
    def method_not_allowed(error: MethodNotAllowed) -> Response:
        allowed = ", ".join(sorted(error.valid_methods or []))
        if front.is_admin_path(request.path):
            return front.admin_method_not_allowed(sorted(error.valid_methods or []))
        response = error_response(ApiError("METHOD_NOT_ALLOWED", f"use {allowed}"))
        response.headers["Allow"] = allowed
        return response

    @app.errorhandler(HTTPException)
    def other_http(error: HTTPException) -> Response:
        return error_response(ApiError("MALFORMED_REQUEST", error.description or error.name))

    @app.errorhandler(SchemaViolation)
    def schema_violation(error: SchemaViolation) -> Response:
        # Strict mode only: the mock itself is wrong, so say so loudly.
        log.error("response violates its schema: %s", error)
        return Response(f"idcard-mock strict mode: {error}\n", status=500, mimetype="text/plain")

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> Response:
        # The database is gone (it names itself, password masked): the vendor's internal fault,
        # at once, and the reason in X-Mock-Detail; the store logs when it goes and comes back.
        return error_response(ApiError("PROCESSING_FAILED", f"internal fault: {error}"))

    @app.errorhandler(Exception)
    def internal(error: Exception) -> Response:
        # Never a 500 for the client: the vendor's generic failure, with the fault in the log.
        log.exception("internal fault")
        return error_response(ApiError("PROCESSING_FAILED", f"internal fault: {type(error).__name__}"))
