"""A stand-in target: the real mock behind a small WSGI layer that can break or count what it
answers. Served on a free loopback port, it is a target that is not the mock for the contract suite
(`--kyc-target-is-live`) and for the reference client."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections import Counter
from collections.abc import Callable
from typing import Any

from mock_server import signing
from mock_server.app import create_app
from mock_server.settings import Settings

TOKEN = "/api/oauth2/access_token"
TICKET = "/api/oauth2/api_ticket"
OCR = "/api/paas/idcardocrapp"
RESULT = "/api/server/getOcrResult"

Mutation = Callable[["BrokenTarget", str, dict[str, Any]], None]


class BrokenTarget:
    """The mock, with every JSON answer passed through `mutate(self, path, body)`; with
    `accept_any_sign` every signed request is re-signed correctly before the mock sees it.
    `requests` counts the requests received, by path."""

    def __init__(self, mutate: Mutation | None = None, accept_any_sign: bool = False) -> None:
        self.app = create_app(Settings(db=":memory:", strict=True))
        self.mutate = mutate
        self.accept_any_sign = accept_any_sign
        self.credentials: set[str] = set()
        self.sign_tickets: list[str] = []
        self.ocr_posts = 0
        self.requests: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        self.requests[path] += 1
        if path == OCR and environ["REQUEST_METHOD"] == "POST":
            self.ocr_posts += 1
        if self.accept_any_sign and self.sign_tickets:
            self._resign(environ, path, query)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured.update(status=status, headers=headers)
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            payload = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        try:
            body = json.loads(payload)
        except ValueError:
            body = None
        if isinstance(body, dict):
            self._remember(path, query, body)
            if self.mutate is not None:
                self.mutate(self, path, body)
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(payload)))])
        return [payload]

    def _remember(self, path: str, query: dict[str, str], body: dict[str, Any]) -> None:
        if isinstance(body.get("access_token"), str):
            self.credentials.add(body["access_token"])
        for ticket in body.get("tickets") or []:
            self.credentials.add(ticket["value"])
            if path == TICKET and query.get("type") == "SIGN":
                self.sign_tickets.append(ticket["value"])

    def _resign(self, environ: dict[str, Any], path: str, query: dict[str, str]) -> None:
        ticket = self.sign_tickets[-1]
        if path == OCR:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
            body["sign"] = signing.request_sign(body["appId"], body["orderNo"], body["nonce"],
                                                body["version"], ticket)
            data = json.dumps(body).encode("utf-8")
            environ["wsgi.input"] = io.BytesIO(data)
            environ["CONTENT_LENGTH"] = str(len(data))
        elif path == RESULT:
            query["sign"] = signing.request_sign(query["app_id"], query["order_no"], query["nonce"],
                                                 query["version"], ticket)
            environ["QUERY_STRING"] = urllib.parse.urlencode(query)


def code_as_number(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    """`code` a JSON number: schemas/ documents a string (§7)."""
    if "code" in body:
        body["code"] = int(body["code"])


def expire_in_as_string(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    """The token's and tickets' `expire_in` a string, as in an old example of the vendor's (§2);
    schemas/ documents a JSON number."""
    for holder in (body, *(body.get("tickets") or [])):
        if isinstance(holder.get("expire_in"), int):
            holder["expire_in"] = str(holder["expire_in"])


def loosely_typed(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    """Both of the above."""
    code_as_number(target, path, body)
    expire_in_as_string(target, path, body)
