"""Answer the calls that `requests` and `httpx` make to some hosts with a WSGI app in this
process, with the libraries made for it: responses (requests) and respx (httpx, sync and async).
Calls to any other host go out untouched.
"""

from __future__ import annotations

import errno
import re
from typing import Any

import httpx
import requests
import responses
import respx
from requests.adapters import HTTPAdapter

from mock_server.testing import wsgi

# responses matches on the method: every method a client may send, so that a wrong one gets the
# mock's 405 envelope, as the served mock gives it.
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_RESET = "connection reset by peer (idcard-mock scenario)"


class Interception:
    def __init__(self, app: Any, pattern: re.Pattern[str]) -> None:
        self.app = app
        self.pattern = pattern
        self._requests: responses.RequestsMock | None = None
        self._httpx: respx.MockRouter | None = None

    def start(self) -> None:
        # Whatever sends requests now (the network, or an outer responses mock) gets the rest.
        self._requests = responses.RequestsMock(assert_all_requests_are_fired=False,
                                                real_adapter_send=HTTPAdapter.send)
        for method in _METHODS:
            self._requests.add_callback(method, self.pattern, callback=self._answer_requests,
                                        content_type=None)
        self._requests.add_passthru(re.compile(".*"))
        self._httpx = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        self._httpx.route(url__regex=self.pattern).mock(side_effect=self._answer_httpx)
        self._httpx.route().pass_through()
        self._requests.start()
        try:
            self._httpx.start()
        except BaseException:
            self._requests.stop()
            raise

    def stop(self) -> None:
        if self._httpx is not None:
            self._httpx.stop(quiet=True)
        if self._requests is not None:
            self._requests.stop(allow_assert=False)
        self._requests = self._httpx = None

    def _answer_requests(self, request: requests.PreparedRequest) -> tuple[int, list, bytes]:
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        try:
            answer = wsgi.call(self.app, request.method or "GET", request.url or "",
                               request.headers.items(), body)
        except ConnectionResetError as error:
            # What requests raises when the server resets the connection before answering.
            raise requests.exceptions.ConnectionError(
                ("Connection aborted.", ConnectionResetError(errno.ECONNRESET, _RESET)),
                request=request,
            ) from error
        return answer.status, answer.headers, answer.body

    def _answer_httpx(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = wsgi.call(self.app, request.method, str(request.url),
                               request.headers.multi_items(), request.read())
        except ConnectionResetError as error:
            raise httpx.ReadError(f"[Errno {errno.ECONNRESET}] {_RESET}", request=request) from error
        return httpx.Response(answer.status, headers=answer.headers, content=answer.body)
