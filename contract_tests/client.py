"""The suite's own client for the four calls, written from the vendor's documentation.

It keeps one access token and its SIGN ticket for as long as the vendor says they live (§2, §3),
fetches a NONCE ticket per use (§3), signs with `contract_tests.signing`, and hands back every
answer as it came (`Answer`): judging answers is the checks' job, not the client's.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from contract_tests import vendor
from contract_tests.signing import request_sign

_ALNUM = string.ascii_letters + string.digits


def random_alnum(length: int = 32) -> str:
    """Letters and digits: the documented form of nonce and orderNo (§1, §7)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_order_no() -> str:
    return random_alnum(32)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status, its parsed JSON body (None when it is not JSON), its text."""

    call: str
    status: int
    body: Any
    text: str = field(default="", repr=False)

    def code_msg(self) -> tuple[Any, Any]:
        body = self.body
        return (body.get("code"), body.get("msg")) if isinstance(body, dict) else (None, None)

    @property
    def succeeded(self) -> bool:
        """code "0". A numeric 0 counts too, so that the client goes on and the schema check of
        the answer is what reports the wrong type."""
        code = self.code_msg()[0]
        return code in ("0", 0) and not isinstance(code, bool)


class Refused(Exception):
    """The target refused a token or ticket call the client needed."""

    def __init__(self, answer: Answer) -> None:
        code, msg = answer.code_msg()
        super().__init__(f"{answer.call} answered {code!r} {msg!r} (HTTP {answer.status})")
        self.answer = answer


@dataclass(frozen=True)
class _Held:
    token: str
    sign_ticket: str
    until: float


class Client:
    """One app on one target. `before_ocr()` runs before every billable OCR call (the run's
    budget); `on_answer(answer)` sees every answer."""

    def __init__(self, base_url: str, app_id: str, secret: str, *,
                 before_ocr: Callable[[], None] = lambda: None,
                 on_answer: Callable[[Answer], None] = lambda answer: None,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = secret
        self.before_ocr = before_ocr
        self.on_answer = on_answer
        self.timeout = timeout
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._held: _Held | None = None
        self._seen: set[str] = {secret}

    def __repr__(self) -> str:
        return f"Client({self.base_url!r}, {self.app_id!r})"

    def sensitive_values(self) -> frozenset[str]:
        """The secret and every token and ticket this client received, for redaction."""
        with self._lock:
            return frozenset(self._seen)

    def _keep(self, value: str) -> str:
        with self._lock:
            self._seen.add(value)
        return value

    # -- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                json_body: Any = None) -> Answer:
        """One HTTP exchange, unsigned and uninterpreted."""
        headers = {"Accept": "application/json"}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=UTF-8"
        if path == vendor.OCR_PATH:
            self.before_ocr()
        response = self._http.request(method, self.base_url + path, params=dict(params or {}),
                                      data=data, headers=headers, timeout=self.timeout)
        text = response.content.decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        answer = Answer(path.rsplit("/", 1)[-1], response.status_code, body, text)
        self.on_answer(answer)
        return answer

    # -- token and tickets (§2, §3) ----------------------------------------------------------

    def token_params(self, secret: str | None = None) -> dict[str, str]:
        return {"appId": self.app_id, "secret": self._secret if secret is None else secret,
                "grant_type": "client_credential", "version": vendor.API_VERSION}

    def fetch_access_token(self) -> str:
        answer = self.request("GET", vendor.TOKEN_PATH, params=self.token_params())
        token = answer.body.get("access_token") if isinstance(answer.body, dict) else None
        if not answer.succeeded or not isinstance(token, str) or not token:
            raise Refused(answer)
        return self._keep(token)

    def ticket_params(self, token: str, kind: str, user_id: str | None = None) -> dict[str, str]:
        params = {"appId": self.app_id, "access_token": token, "type": kind,
                  "version": vendor.API_VERSION}
        if user_id is not None:
            params["user_id"] = user_id
        return params

    def fetch_ticket(self, token: str, kind: str, user_id: str | None = None) -> str:
        answer = self.request("GET", vendor.TICKET_PATH, params=self.ticket_params(token, kind, user_id))
        tickets = answer.body.get("tickets") if isinstance(answer.body, dict) else None
        if not (answer.succeeded and isinstance(tickets, list) and tickets
                and isinstance(tickets[0], dict) and isinstance(tickets[0].get("value"), str)):
            raise Refused(answer)
        return self._keep(tickets[0]["value"])

    def _credentials(self) -> _Held:
        held = self._held
        if held is not None and time.monotonic() < held.until:
            return held
        token = self.fetch_access_token()
        ticket = self.fetch_ticket(token, "SIGN")
        # Both are used well inside the shorter life, the SIGN ticket's (§3), less a minute.
        self._held = _Held(token, ticket, time.monotonic() + vendor.SIGN_TICKET_LIFETIME - 60)
        return self._held

    def access_token(self) -> str:
        return self._credentials().token

    def sign_ticket(self) -> str:
        """The SIGN ticket, reused within its life (§3)."""
        return self._credentials().sign_ticket

    def nonce_ticket(self, user_id: str) -> str:
        """A new NONCE ticket: single use (§3)."""
        return self.fetch_ticket(self.access_token(), "NONCE", user_id)

    def forget_credentials(self) -> None:
        """The next call fetches a new token and SIGN ticket."""
        self._held = None

    # -- idcardocrapp (§7) -------------------------------------------------------------------

    def ocr_body(self, image: bytes, *, ticket: str, order_no: str | None = None,
                 user_id: str | None = None, get_native: bool = False,
                 card_type: str | None = None, nonce: str | None = None) -> dict[str, str]:
        """A signed body; userId, getNative and cardType are not signed (§1, §7)."""
        order_no = order_no or new_order_no()
        nonce = nonce or random_alnum()
        body = {
            "appId": self.app_id,
            "orderNo": order_no,
            "nonce": nonce,
            "version": vendor.API_VERSION,
            "sign": request_sign(self.app_id, order_no, nonce, vendor.API_VERSION, ticket),
            "idcardStr": base64.b64encode(image).decode("ascii"),
        }
        if user_id is not None:
            body["userId"] = user_id
        if get_native:
            body["getNative"] = "1"
        if card_type is not None:
            body["cardType"] = vendor.CARD_TYPES[card_type]
        return body

    def post_ocr(self, body: Mapping[str, str]) -> Answer:
        """POST a body, with `?orderNo=` in the URL as the vendor asks (§8)."""
        params = {"orderNo": body["orderNo"]} if "orderNo" in body else {}
        return self.request("POST", vendor.OCR_PATH, params=params, json_body=dict(body))

    # -- getOcrResult (§6) -------------------------------------------------------------------

    def ocr_result_params(self, order_no: str, *, get_file: bool = False, get_native: bool = False,
                          ticket: str | None = None) -> dict[str, str]:
        """A signed query: app_id, order_no, nonce, version and the SIGN ticket (§6)."""
        ticket = ticket if ticket is not None else self.sign_ticket()
        nonce = random_alnum()
        params = {
            "app_id": self.app_id,
            "order_no": order_no,
            "nonce": nonce,
            "version": vendor.API_VERSION,
            "sign": request_sign(self.app_id, order_no, nonce, vendor.API_VERSION, ticket),
        }
        if get_file:
            params["get_file"] = "1"
        if get_native:
            params["get_native"] = "1"
        return params

    def get_ocr_result(self, params: Mapping[str, str]) -> Answer:
        return self.request("GET", vendor.OCR_RESULT_PATH, params=params)
