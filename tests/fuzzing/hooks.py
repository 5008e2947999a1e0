"""Schemathesis hooks for fuzzing idcard-mock (loaded through SCHEMATHESIS_HOOKS by `run.py`).

The mode (IDCARD_MOCK_FUZZ_MODE) decides what happens to each generated request just before it
is sent:

signed     the app id, secret and access token are made this mock's valid ones and the sign is
           computed over the request's final values with a live SIGN ticket, so that fuzzing
           reaches past authentication: image decoding, recognition, orders;
unsigned   sent as generated: no generated secret, token or sign may be accepted;
negative   Schemathesis' invalid data, with the app id made valid and a sign over its values
           where they can be signed: no invalid request may be accepted.

Three checks of the mock's own are added to Schemathesis' (no 5xx, response schemas, status
codes, content types): `no_internal_fault` (the mock answers its own faults 66661099, never a
5xx, so Schemathesis alone would not see them), `credentials_required` (unsigned mode) and
`invalid_request_refused`.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

import requests
import schemathesis

from mock_server import schemas
from mock_server.signing import request_sign

BASE = os.environ.get("IDCARD_MOCK_FUZZ_BASE", "")
APP_ID = os.environ.get("IDCARD_MOCK_FUZZ_APP_ID", "")
SECRET = os.environ.get("IDCARD_MOCK_FUZZ_SECRET", "")
MODE = os.environ.get("IDCARD_MOCK_FUZZ_MODE", "signed")
# Where to write how often each call answered each code (how far the fuzzing reached).
TALLY = os.environ.get("IDCARD_MOCK_FUZZ_TALLY")
APP_ID_SPELLINGS = ("appId", "app_id", "webankAppId")
# A generated token or ticket of the mock is valid for 60 s after a newer one is issued (the
# fuzzed calls issue them too): fetch fresh ones well within that.
REFRESH_SECONDS = 20


class LiveCredentials:
    """A live access token and SIGN ticket of the fuzzed app, fetched over HTTP like a client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetched = 0.0
        self.token = self.ticket = ""

    def current(self) -> tuple[str, str]:
        with self._lock:
            if time.monotonic() - self._fetched > REFRESH_SECONDS:
                token = requests.get(f"{BASE}/api/oauth2/access_token", params={
                    "appId": APP_ID, "secret": SECRET, "grant_type": "client_credential",
                    "version": "1.0.0"}, timeout=10).json()["access_token"]
                ticket = requests.get(f"{BASE}/api/oauth2/api_ticket", params={
                    "appId": APP_ID, "access_token": token, "type": "SIGN", "version": "1.0.0"},
                    timeout=10).json()["tickets"][0]["value"]
                self.token, self.ticket, self._fetched = token, ticket, time.monotonic()
            return self.token, self.ticket


LIVE = LiveCredentials()


def _operation(case: Any) -> str:
    return case.operation.definition.raw.get("operationId", "")


def _own_app(values: MutableMapping[str, Any]) -> None:
    for key in APP_ID_SPELLINGS:
        if isinstance(values.get(key), str):
            values[key] = APP_ID


def _sign(values: MutableMapping[str, Any], order_key: str, ticket: str) -> None:
    app_id = next((values[k] for k in APP_ID_SPELLINGS if isinstance(values.get(k), str)), None)
    signed = [app_id, values.get(order_key), values.get("nonce"), values.get("version")]
    if all(isinstance(v, str) for v in signed):
        values["sign"] = request_sign(*signed, ticket)


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    if MODE == "unsigned":
        return
    operation = _operation(case)
    query = case.query if isinstance(case.query, dict) else None
    body = case.body if isinstance(case.body, dict) else None
    token, ticket = LIVE.current()
    if operation == "getAccessToken" and query is not None:
        _own_app(query)
        if MODE == "signed" and "secret" in query:
            query["secret"] = SECRET
    elif operation == "getApiTicket" and query is not None:
        _own_app(query)
        if MODE == "signed" and "access_token" in query:
            query["access_token"] = token
    elif operation == "idcardOcr" and body is not None:
        _own_app(body)
        _sign(body, "orderNo", ticket)
    elif operation == "getOcrResult" and query is not None:
        _own_app(query)
        _sign(query, "order_no", ticket)


_answers: Counter[str] = Counter()
_answers_lock = threading.Lock()


@schemathesis.hook
def after_call(context, case, response) -> None:
    status = "" if response.status_code == 200 else f"HTTP {response.status_code} "
    with _answers_lock:
        _answers[f"{_operation(case)} {status}{_code(response)}"] += 1


@atexit.register
def _write_tally() -> None:
    if TALLY:
        with open(TALLY, "w") as out:
            json.dump(dict(sorted(_answers.items())), out, indent=1)


def _code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


@schemathesis.check
def no_internal_fault(ctx, response, case) -> None:
    """An exception inside the mock is answered 66661099 with `internal fault: …` in X-Mock-Detail;
    for generated input that is always the mock's bug."""
    detail = (response.headers.get("x-mock-detail") or [""])[0]  # lowercase keys, list values
    if detail.startswith("internal fault"):
        raise AssertionError(f"{_operation(case)} ended in an internal fault: {detail}")


@schemathesis.check
def credentials_required(ctx, response, case) -> None:
    """Unsigned mode: a generated secret, token or sign is never the right one, so no call may
    succeed."""
    if MODE == "unsigned" and _code(response) == "0":
        raise AssertionError(f"{_operation(case)} accepted a request without valid credentials")


# The OCR call's query string only repeats orderNo for the vendor's latency tracing: the mock does
# not read it, by design (fidelity notes).
_UNCHECKED = {("idcardOcr", "query")}


def _as_sent(query: dict[str, Any]) -> dict[str, str]:
    """The query as the mock reads it: each parameter's first value, as the text on the wire."""
    sent = {}
    for key, value in query.items():
        if isinstance(value, list):
            value = value[0] if value else None
        if value is not None:
            sent[str(key)] = value if isinstance(value, str) else str(value)
    return sent


def _violates_the_mocks_schema(case: Any, location: str) -> bool:
    """Whether the part is invalid for the mock's own request schema (x-query-schema, the body's
    schema). OpenAPI-level invalidity is wider: an undocumented extra parameter is "invalid" to a
    generator, while the vendor's calls accept extra parameters (schemas/)."""
    definition = case.operation.definition.raw
    if (_operation(case), location) in _UNCHECKED:
        return False
    if location == "query" and isinstance(case.query, dict):
        schema, value = definition.get("x-query-schema"), _as_sent(case.query)
    elif location == "body":
        content = definition.get("requestBody", {}).get("content", {}).get("application/json", {})
        schema, value = content.get("schema", {}).get("$ref"), case.body
    else:  # headers, cookies, path: no call reads undocumented ones
        return False
    return schema is not None and schemas.first_error(schema, value) is not None


@schemathesis.check
def invalid_request_refused(ctx, response, case) -> None:
    """A request that the mock's own request schemas reject is refused (400101 or another failure
    code), never answered "0"."""
    meta = getattr(case, "meta", None)
    if meta is None or _code(response) != "0":
        return
    invalid = sorted(str(location.value) for location, info in meta.components.items()
                     if info.mode.is_negative and _violates_the_mocks_schema(case, str(location.value)))
    if invalid:
        raise AssertionError(f"{_operation(case)} accepted a request whose {', '.join(invalid)} "
                             "violates its schema")
