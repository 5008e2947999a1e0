"""The vendor's four paths. Same paths under any host name (§ host names)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from mock_server.api import exchange
from mock_server.api.respond import backend
from mock_server.errors import ApiError
from mock_server.limits import MAX_BODY_BYTES

blueprint = Blueprint("kyc", __name__)

_DRAIN_CHUNK = 1 << 20


def _query() -> dict[str, str]:
    """Query parameters, first value of each (a repeated parameter counts once)."""
    return {k: v for k, v in request.args.items()}


def _answer(endpoint: str, call, parse=_query) -> Response:
    # Scenario header, transport faults and the journal: api/exchange.py.
    return exchange.answer(endpoint, f"{endpoint}.response.json", parse, call)


@blueprint.get("/api/oauth2/access_token")
def access_token() -> Response:
    return _answer("access_token", backend().service.access_token)


@blueprint.get("/api/oauth2/api_ticket")
def api_ticket() -> Response:
    return _answer("api_ticket", backend().service.api_ticket)


@blueprint.get("/api/server/getOcrResult")
def get_ocr_result() -> Response:
    return _answer("getOcrResult", backend().service.ocr_result)


@blueprint.post("/api/paas/idcardocrapp")
def idcardocrapp() -> Response:
    # `?orderNo=` is for the vendor's latency tracing only (§8); the signed body orderNo rules.
    return _answer("idcardocrapp", backend().service.ocr, _json_body)


def _json_body() -> Any:
    """The JSON body, read at most once and never beyond the size limit (§7: 20 MB of Base64)."""
    if request.mimetype != "application/json":
        raise ApiError(
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type must be application/json, got {request.mimetype or 'none'}",
        )
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        _drain()
        raise ApiError("IMAGE_TOO_LARGE", f"body of {length} bytes exceeds {MAX_BODY_BYTES}")
    try:
        raw = request.stream.read(MAX_BODY_BYTES + 1)
    except Exception as error:  # the server's body reader refusing the client's framing (chunks)
        raise ApiError("MALFORMED_REQUEST", "the request body could not be read: "
                       f"{type(error).__name__}") from None
    if len(raw) > MAX_BODY_BYTES:
        del raw
        _drain()
        raise ApiError("IMAGE_TOO_LARGE", f"body exceeds {MAX_BODY_BYTES} bytes")
    try:
        # What json.loads(raw) does, with the bytes dropped before parsing: one copy of a 20 MB body
        # fewer at the worker's peak.
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
        del raw
        return json.loads(text)
    except RecursionError:
        raise ApiError("MALFORMED_REQUEST", "the JSON body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError("MALFORMED_REQUEST", "body is not valid UTF-8 JSON") from None


def _drain() -> None:
    """Read and discard the rest of an oversized body, chunk by chunk, so the client sees the
    answer instead of a reset connection; memory stays at one chunk."""
    while request.stream.read(_DRAIN_CHUNK):
        pass
