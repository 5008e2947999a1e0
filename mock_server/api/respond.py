"""Rendering: every answer, success or failure, leaves through here."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Response, current_app

from mock_server import envelope, masking, schemas
from mock_server.api import trust
from mock_server.backend import Backend
from mock_server.errors import ApiError
from mock_server.explain import DIAGNOSIS_HEADER, SignDiagnosisError

DETAIL_HEADER = "X-Mock-Detail"


def backend() -> Backend:
    return current_app.extensions["idcard_mock"]


def json_response(body: dict[str, Any], status: int = 200, schema: str | None = None) -> Response:
    """Serialise as the vendor does (UTF-8, Chinese unescaped); in strict mode refuse to send a
    body that `schemas/<schema>` rejects."""
    if schema is not None and backend().settings.strict:
        error = schemas.first_error(schema, body)
        if error is not None:
            raise schemas.SchemaViolation(f"{schema}: {schemas.describe(error)}")
    # orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, in UTF-8,
    # a tenth of the time for a getOcrResult answer carrying two images.
    return Response(orjson.dumps(body), status=status, content_type="application/json;charset=UTF-8")


def error_response(error: ApiError, schema: str | None = None) -> Response:
    b = backend()
    body = envelope.failure(error.spec, b.ids, b.clock.now())
    response = json_response(body, error.spec.http_status, schema)
    detail = error.detail
    if isinstance(error, SignDiagnosisError):
        # The whole diagnosis shows ticket characters and other apps' facts: loopback callers and
        # admin-token holders only (api/trust.py); anyone else is told the mistake's name.
        if trust.trusted():
            response.headers[DIAGNOSIS_HEADER] = error.diagnosis.header()
        else:
            detail = error.public_detail
            response.headers[DIAGNOSIS_HEADER] = error.public_header
    response.headers[DETAIL_HEADER] = masking.ascii_header(detail)
    return response


def mock_response(payload: dict[str, Any], status: int = 200) -> Response:
    """The mock's own answers (admin surface, control-header errors): plain JSON, never the
    vendor's envelope, so that they cannot be mistaken for the vendor's."""
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    response = Response(text + "\n", status=status, content_type="application/json;charset=UTF-8")
    if "error" in payload:
        response.headers[DETAIL_HEADER] = masking.ascii_header(str(payload["error"]))
    return response
