"""The run's shared state: the target, the clients, every exchange, the call budget, redaction."""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests import checks
from mock_server.client import CallBudget, KycClient, RawResponse
from mock_server.pytest_plugin import Target

# An 18-character resident ID number standing alone (not inside a longer run of digits such as
# a 32-digit bizSeqNo): keep the first 6 and the last 4.
_IDCARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Exchange:
    """One answer the suite received, and how it breaks its schema (empty: it conforms)."""

    call: str
    status: int
    body: Any
    text: str = field(repr=False)
    problems: tuple[str, ...] = ()


class SkippingBudget(CallBudget):
    """Past the cap, the check that wanted another billable call is skipped, not failed."""

    def take(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                pytest.skip(f"--max-calls {self.limit}: the budget of billable OCR calls is spent")
            self.used += 1


class Kit:
    """One per run. Clients made here record every answer and register what must be redacted."""

    def __init__(self, target: Target) -> None:
        self.target = target
        # Nothing the mock answers is billed; against anything else the cap holds.
        self.budget = SkippingBudget(None if target.is_mock else target.max_calls)
        self.exchanges: list[Exchange] = []
        # The answers to the run's one token and SIGN ticket fetch (the shared client's).
        self.token_exchange: Exchange | None = None
        self.sign_ticket_exchange: Exchange | None = None
        self._clients: list[KycClient] = []
        self._lock = threading.Lock()

    def _record(self, call: str, raw: RawResponse) -> None:
        document = f"{call}.response.json"
        if raw.body is None:
            problems = [f"schemas/{document}: the answer is not JSON (HTTP {raw.status})"]
        else:
            problems = checks.schema_problems(document, raw.body, checks.answer_side(raw.body))
        with self._lock:
            self.exchanges.append(Exchange(call, raw.status, raw.body, raw.text, tuple(problems)))

    def last(self, call: str) -> Exchange:
        with self._lock:
            return next(e for e in reversed(self.exchanges) if e.call == call)

    def client(self, *, app_id: str | None = None, secret: str | None = None) -> KycClient:
        client = KycClient(
            self.target.base_url,
            app_id or self.target.app_id,
            secret if secret is not None else self.target.secret,
            verify_result_sign=False,  # checked by its own test, where the recipe is known
            budget=self.budget,
            on_response=self._record,
        )
        with self._lock:
            self._clients.append(client)
        return client

    def sensitive_values(self) -> set[str]:
        values = {self.target.secret}
        with self._lock:
            for client in self._clients:
                values |= client.sensitive_values()
        return {v for v in values if v and len(v) >= 6}

    def redact(self, text: str) -> str:
        return redact(text, self.sensitive_values())


def redact(text: str, sensitive: set[str]) -> str:
    """`text` without the given secrets, tokens and tickets, and with ID numbers masked."""
    for value in sorted(sensitive, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return _IDCARD.sub(r"\1********\2", text)


def user_id() -> str:
    """A userId of the documented form (letters and digits, at most 32)."""
    return "contract" + secrets.token_hex(8)


@dataclass
class OcrCall:
    """One idcardocrapp exchange the suite made: what was sent and what came back."""

    side: str
    image: bytes = field(repr=False)
    order_no: str
    user_id: str | None
    ticket: str = field(repr=False)
    raw: RawResponse = field(repr=False)

    @property
    def body(self) -> Any:
        return self.raw.body

    def result(self) -> dict[str, Any]:
        """The answer's result; fails the check when the card was not recognised."""
        body = self.raw.body
        code = body.get("code") if isinstance(body, dict) else None
        msg = body.get("msg") if isinstance(body, dict) else None
        assert code == "0" and isinstance(body.get("result"), dict), (
            f"the {self.side} image was not recognised: code {code!r} msg {msg!r} "
            f"(HTTP {self.raw.status})"
        )
        return body["result"]


def ocr_call(client: KycClient, side: str, image: bytes, *, user: str | None = None,
             get_native: bool = False, order_no: str | None = None,
             card_type: Any = None, lowercase_sign: bool = False) -> OcrCall:
    """Send `image` signed with the client's SIGN ticket; the answer is returned, never raised."""
    ticket = client.sign_ticket()
    body = client.ocr_body(image, user_id=user, get_native=get_native, ticket=ticket,
                           order_no=order_no, card_type=card_type)
    if lowercase_sign:
        body["sign"] = body["sign"].lower()
    return OcrCall(side, image, body["orderNo"], user, ticket, client.post_ocr(body))
