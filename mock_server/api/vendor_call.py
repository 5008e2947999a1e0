"""One vendor call over HTTP: the scenario header in, the answer (or a transport fault) out, and
an entry in the journal. The blueprints in kyc.py hand every call to `answer`."""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Response, g, request

from mock_server import journal
from mock_server.api.respond import backend, error_response, json_response, mock_response
from mock_server.clock import beijing
from mock_server.errors import ApiError
from mock_server.scenarios import (
    APPLIED_HEADER,
    EMPTY_BODY,
    FAULT_KIND,
    HEADER,
    HTTP_ERROR,
    LATENCY,
    MALFORMED_JSON,
    RESET,
    STALL,
    CallRecord,
    ScenarioError,
    Selection,
    TransportFault,
    parse_header,
)

log = logging.getLogger("idcard_mock")

JSON_TYPE = "application/json;charset=UTF-8"
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
            504: "Gateway Time-out"}


def answer(
    endpoint: str,
    schema: str,
    parse: Callable[[], Any],
    call: Callable[[Any, CallRecord], dict[str, Any]],
) -> Response:
    """The call's writes (its order, the nonce, the journal entry, a retention sweep) are committed
    together, once, before the answer leaves."""
    b = backend()
    delay = [0.0]
    g.vendor_call_started = time.perf_counter()
    with b.store.batch():
        b.service.sweep()
        response = _answer(endpoint, schema, parse, call, delay)
    if delay[0]:  # latency and stall scenarios hold the answer, not the call's writes
        time.sleep(delay[0])
    return response


def _answer(
    endpoint: str,
    schema: str,
    parse: Callable[[], Any],
    call: Callable[[Any, CallRecord], dict[str, Any]],
    delay: list[float],
) -> Response:
    header = request.headers.get(HEADER)
    try:
        requested = parse_header(header) if header else None
    except ScenarioError as error:
        # The mock's own control header: a mistake in it is the mock's error, never the vendor's.
        return mock_response(error.as_json(), 400)
    record = CallRecord(endpoint, requested)
    shown: dict[str, Any] = {}

    def parsed() -> Any:
        # The request is summarised (masked) here and not kept: the call gets the only reference
        # to a body that may hold a 20 MB image.
        params = parse()
        shown.update(journal.request_summary(params))
        return params

    body: Mapping[str, Any] | None = None
    detail: str | None = None
    try:
        try:
            body = call(parsed(), record)
            response = json_response(body, schema=schema)
        except ApiError as error:
            body = {"code": error.spec.code, "msg": error.spec.msg}
            detail = error.detail
            response = error_response(error, schema)
        except TransportFault as fault:
            response = _http_error(fault.selection)
    except Exception as error:
        _record(record, shown, None, None, None, f"internal fault: {type(error).__name__}")
        raise
    selection = record.selection
    if selection is not None:
        response.headers[APPLIED_HEADER] = selection.header_value()
    fault = selection.scenario.fault if selection and selection.scenario.kind == FAULT_KIND else None
    if fault is None or fault == LATENCY or fault == STALL:
        if fault is not None:
            delay[0] = selection.param("ms") / 1000 if fault == LATENCY else selection.param("seconds")
        _record(record, shown, response.status_code, body, selection.name if fault else None, detail,
                delay[0])
        return response
    if fault == HTTP_ERROR:
        response = _http_error(selection) if selection.scenario.takes_effect else response
        _record(record, shown, response.status_code, body if selection.scenario.takes_effect else None,
                selection.name, detail)
        return response
    if fault == RESET:
        _record(record, shown, None, body, selection.name, detail)
        return Response(_Reset(request.environ), 200, content_type=JSON_TYPE)
    if fault == EMPTY_BODY:
        cut = b""
    elif fault == MALFORMED_JSON:
        text = response.get_data(as_text=True)
        cut = text[: len(text) // 2].encode("utf-8")
    else:  # a fault kind the catalogue added but this layer does not know: fail loudly
        raise AssertionError(f"unhandled fault {fault}")
    _record(record, shown, 200, body, selection.name, detail)
    mangled = Response(cut, 200, content_type=JSON_TYPE)
    mangled.headers[APPLIED_HEADER] = selection.header_value()
    return mangled


def _record(
    record: CallRecord, shown: Mapping[str, Any], status: int | None, body: Mapping[str, Any] | None,
    fault: str | None, detail: str | None, delay: float = 0.0,
) -> None:
    b = backend()
    took = (time.perf_counter() - g.vendor_call_started + delay) * 1000
    entry = journal.build_entry(
        at=b.clock.now(), method=request.method, path=request.path, record=record, request=shown,
        http_status=status, answer=body, fault=fault, detail=detail, duration_ms=took,
    )
    journal.Journal(b.store).record(entry)
    g.journal_entry = entry  # the access line reads the call's outcome from it (access_log.py)


def _http_error(selection: Selection) -> Response:
    """The page a failing server or gateway answers instead of the vendor's envelope."""
    status = selection.scenario.status or 500
    reason = _REASONS.get(status, "Error")
    if status == 500:
        # What a Java application server answers for an unhandled exception (assumed).
        stamp = beijing(backend().clock.now()).isoformat(timespec="milliseconds")
        body = {"timestamp": stamp, "status": 500, "error": reason, "path": request.path}
        response = Response(json.dumps(body), status, content_type="application/json")
    else:
        page = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n")
        response = Response(page, status, content_type="text/html")
    response.headers[APPLIED_HEADER] = selection.header_value()
    return response


class _Reset:
    """A response body that resets the TCP connection before a byte of the answer is sent.

    SO_LINGER 0 makes the connection's last close send RST. That close is done with dup2 of a
    dead socketpair end onto the connection's descriptor, so the server (a gunicorn worker, or
    werkzeug's) keeps a valid descriptor that reads EOF, and winds the request down as a
    client disconnection, without logging an error or closing a descriptor number twice.
    Without a socket (Flask's test client) the error reaches the caller.
    """

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self._environ = environ

    def __iter__(self) -> Iterator[bytes]:
        conn = self._environ.get("gunicorn.socket") or self._environ.get("werkzeug.socket")
        if isinstance(conn, socket.socket) and conn.fileno() >= 0:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            spare, peer = socket.socketpair()
            peer.close()
            os.dup2(spare.fileno(), conn.fileno())
            spare.close()
        raise ConnectionResetError(errno.ECONNRESET, "connection reset (idcard-mock scenario)")
