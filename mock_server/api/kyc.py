"""The vendor's four paths. Same paths under any host name (§ host names)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask import Blueprint, Response, request

from mock_server.api import vendor_call
from mock_server.api.respond import backend
from mock_server.errors import ApiError
from mock_server.limits import MAX_BODY_BYTES

blueprint = Blueprint("kyc", __name__)

_DRAIN_CHUNK = 1 << 20
_READ_CHUNK = 1 << 18
_ORJSON_MAX = 1 << 20


def _query() -> dict[str, str]:
    """Query parameters, first value of each (a repeated parameter counts once)."""
    return {k: v for k, v in request.args.items()}


def _answer(endpoint: str, call, parse=_query) -> Response:
    # Scenario header, transport faults and the journal: api/vendor_call.py.
    return vendor_call.answer(endpoint, f"{endpoint}.response.json", parse, call)


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
        raw = _read_body(length)
    except Exception as error:  # the server's body reader refusing the client's framing (chunks)
        raise ApiError("MALFORMED_REQUEST", "the request body could not be read: "
                       f"{type(error).__name__}") from None
    if len(raw) > MAX_BODY_BYTES:
        del raw
        _drain()
        raise ApiError("IMAGE_TOO_LARGE", f"body exceeds {MAX_BODY_BYTES} bytes")
    if len(raw) <= _ORJSON_MAX:
        try:
            # orjson parses UTF-8 JSON in a fraction of json's time; whatever it refuses goes
            # through json.loads, which also reads UTF-16 and UTF-32 bodies and says what it
            # refused. A larger body goes straight to json.loads: orjson needs twice the image's
            # size beside the body while it builds the string, json.loads (below) only once.
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
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


def _read_body(length: int | None) -> bytearray:
    """At most MAX_BODY_BYTES + 1 bytes of body, read a chunk at a time into one buffer (sized
    from Content-Length when there is one): the server's reader never holds, or copies, the whole
    body at once, so a 20 MB body costs the worker 20 MB here, not three times that."""
    limit = MAX_BODY_BYTES + 1
    if length is not None:
        buffer = bytearray(min(length, limit))
        view, filled = memoryview(buffer), 0
        while filled < len(buffer):
            chunk = request.stream.read(min(_READ_CHUNK, len(buffer) - filled))
            if not chunk:
                break
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        view.release()
        del buffer[filled:]
        return buffer
    buffer = bytearray()
    while len(buffer) < limit:
        chunk = request.stream.read(min(_READ_CHUNK, limit - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer


def _drain() -> None:
    """Read and discard the rest of an oversized body, chunk by chunk, so the client sees the
    answer instead of a reset connection; memory stays at one chunk."""
    while request.stream.read(_DRAIN_CHUNK):
        pass
