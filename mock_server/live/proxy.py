"""The validating reverse proxy: the four vendor calls forwarded to the upstream as sent, its answers
returned unchanged and judged by the contract kit (validate.py), optionally recorded (recorder.py).

A partner backend pointed at the proxy sees exactly the upstream: the same status, body and
Content-Type. The proxy adds only headers of its own: `X-Mock-Violations` (the kinds of contract
violation found in this answer, names only) and, when the upstream could not be reached or did not
answer in time, a 502 with `X-Mock-Detail` saying so; it never makes up a vendor answer.

Its own surface, loopback callers only: `GET /_mock/health`, `GET /_mock/violations` (the summary)
and `GET /_mock/requests` (the journal: each call's request and answer outline, masked as the
mock's journal masks them, with its violations).
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import requests
from flask import Flask, Response, jsonify, request

from mock_server import journal, masking
from mock_server.api.trust import is_loopback

from .calls import PATHS
from .recorder import Recorder
from .validate import Violation, names, parse, violations
from .violations import ViolationLog

VIOLATIONS_HEADER = "X-Mock-Violations"
DETAIL_HEADER = "X-Mock-Detail"
JOURNAL_LIMIT = 1000
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

log = logging.getLogger("idcard_mock")


@dataclass(frozen=True)
class ProxyConfig:
    upstream: str
    state_dir: Path
    timeout: float = 30.0
    record_staging: Path | None = None
    keep_demographics: bool = False
    raw_dir: Path | None = None
    as_of: Any = None  # the recording's as-of day (a date)


def _request_summary(params: dict[str, Any]) -> dict[str, Any]:
    """The mock journal's outline of a request, with the sign and nonce masked too: the proxy
    carries a partner's live credentials, and a sign with its nonce is one of them."""
    summary = journal.request_summary(params)
    for key in ("sign", "nonce"):
        if isinstance(summary.get(key), str):
            summary[key] = masking.secret(summary[key])
    return summary


def _journal_entry(call: str, method: str, params: dict[str, Any], status: int | None,
                   answer: Any, found: list[Violation], latency_ms: float) -> dict[str, Any]:
    return masking.id_numbers_everywhere({
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "endpoint": call,
        "method": method,
        "http_status": status,
        "code": answer.get("code") if isinstance(answer, dict) else None,
        "latency_ms": latency_ms,
        "violations": names(found),
        "details": [f"{v.kind}: {v.detail}" for v in found],
        "request": _request_summary(params),
        "answer": journal.answer_summary(answer) if isinstance(answer, dict) else None,
    })


def create_proxy_app(config: ProxyConfig) -> Flask:
    app = Flask("idcard_mock_proxy")
    session = requests.Session()
    session.trust_env = False  # the upstream given, never a proxy from the environment
    violation_log = ViolationLog(config.state_dir)
    entries: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LIMIT)
    recorder = None
    if config.record_staging is not None:
        recorder = Recorder(config.record_staging, as_of=config.as_of,
                            keep_demographics=config.keep_demographics, raw_dir=config.raw_dir)
    base = config.upstream.rstrip("/")

    def unanswered(call: str, detail: str) -> Response:
        violation_log.add(call=call, status=None, found=[])
        log.info("proxy %s %s -> 502 (%s)", request.method, request.path, detail)
        response = Response(f"idcard-mock proxy: {detail}\n", status=502, mimetype="text/plain")
        response.headers[DETAIL_HEADER] = masking.ascii_header(detail)
        return response

    @app.route("/api/<path:rest>", methods=_METHODS)
    def forward(rest: str) -> Response:
        path = request.path
        call = PATHS.get(path)
        if call is None:
            response = Response("idcard-mock proxy: not one of the four vendor calls\n", 404,
                                mimetype="text/plain")
            response.headers[DETAIL_HEADER] = f"the proxy forwards only {', '.join(PATHS)}"
            return response
        body = request.get_data(cache=False)
        query = request.environ.get("QUERY_STRING", "")
        url = base + path + (f"?{query}" if query else "")
        headers = {"Content-Type": request.content_type} if request.content_type else {}
        started = time.monotonic()
        try:
            upstream = session.request(request.method, url, data=body or None, headers=headers,
                                       timeout=config.timeout, allow_redirects=False)
            content = upstream.content
        except requests.Timeout:
            return unanswered(call, f"the upstream did not answer within {config.timeout:g} s")
        except requests.RequestException as error:
            kind = type(error).__name__
            return unanswered(call, f"the upstream could not be reached or dropped the "
                                    f"connection ({kind})")
        latency = time.monotonic() - started
        params = dict(parse_qsl(query, keep_blank_values=True))
        sent = parse(body) if body else None
        native = params.get("get_native") == "1" or (
            isinstance(sent, dict) and sent.get("getNative") == "1")
        found = violations(call, content, native_asked=native)
        violation_log.add(call=call, status=upstream.status_code, found=found)
        answer = parse(content)
        entries.append(_journal_entry(call, request.method,
                                      {**params, **(sent if isinstance(sent, dict) else {})},
                                      upstream.status_code, answer, found,
                                      round(latency * 1000, 1)))
        if recorder is not None:
            recorder.record(call=call, method=request.method, query=params, body=sent,
                            status=upstream.status_code,
                            content_type=upstream.headers.get("Content-Type"), answer=content,
                            latency_s=latency)
        log.info("proxy %s %s -> %s %.1f ms%s", request.method, path, upstream.status_code,
                 latency * 1000, f" violations: {','.join(names(found))}" if found else "")
        response = Response(content, status=upstream.status_code)
        content_type = upstream.headers.get("Content-Type")
        if content_type:
            response.headers["Content-Type"] = content_type
        else:
            del response.headers["Content-Type"]
        if found:
            response.headers[VIOLATIONS_HEADER] = ",".join(names(found))
        return response

    @app.before_request
    def admin_loopback_only() -> Response | None:
        if request.path.startswith("/_mock/") and not is_loopback(request.remote_addr):
            return Response("the proxy's /_mock/ surface answers loopback clients only\n", 403,
                            mimetype="text/plain")
        return None

    @app.get("/_mock/health")
    def health() -> Response:
        return jsonify({"status": "ok", "proxy": True, "recording": recorder is not None})

    @app.get("/_mock/violations")
    def violations_summary() -> Response:
        return jsonify(violation_log.summary())

    @app.get("/_mock/requests")
    def requests_journal() -> Response:
        return Response(json.dumps(list(reversed(entries)), ensure_ascii=False),
                        mimetype="application/json")

    return app
