"""The run's shared state: the target, the clients, every answer received, the call budget,
redaction."""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests import checks
from contract_tests.client import Answer, Client
from contract_tests.target import Target

# An 18-character resident ID number standing alone (not inside a longer run of digits such as
# a 32-digit bizSeqNo): keep the first 6 and the last 4.
_IDCARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Received:
    """One answer the suite received, and how it breaks its schema (empty: it conforms)."""

    answer: Answer
    problems: tuple[str, ...] = ()

    @property
    def call(self) -> str:
        return self.answer.call

    @property
    def body(self) -> Any:
        return self.answer.body


class Budget:
    """The cap on billable OCR calls. Past it, the check that wanted another call is skipped."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                pytest.skip(f"--kyc-max-calls {self.limit}: the budget of billable OCR calls is spent")
            self.used += 1


class Kit:
    """One per run. Clients made here record every answer and what must be redacted."""

    def __init__(self, target: Target) -> None:
        self.target = target
        # Nothing the mock answers is billed; against anything else the cap holds.
        self.budget = Budget(None if target.is_mock else target.max_calls)
        self.received: list[Received] = []
        # The answers to the run's one token and SIGN ticket fetch (the shared client's).
        self.token_answer: Received | None = None
        self.sign_ticket_answer: Received | None = None
        self._clients: list[Client] = []
        self._lock = threading.Lock()

    def _record(self, answer: Answer) -> None:
        document = f"{answer.call}.response.json"
        if answer.body is None:
            problems = [f"schemas/{document}: the answer is not JSON (HTTP {answer.status})"]
        else:
            problems = checks.schema_problems(document, answer.body, checks.answer_side(answer.body))
        with self._lock:
            self.received.append(Received(answer, tuple(problems)))

    def last(self, call: str) -> Received:
        with self._lock:
            return next(r for r in reversed(self.received) if r.call == call)

    def client(self, *, secret: str | None = None) -> Client:
        client = Client(self.target.base_url, self.target.app_id,
                        secret if secret is not None else self.target.secret,
                        before_ocr=self.budget.take, on_answer=self._record)
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
    answer: Answer = field(repr=False)

    @property
    def body(self) -> Any:
        return self.answer.body

    def result(self) -> dict[str, Any]:
        """The answer's result; fails the check when the card was not recognised."""
        code, msg = self.answer.code_msg()
        assert code == "0" and isinstance(self.body.get("result"), dict), (
            f"the {self.side} image was not recognised: code {code!r} msg {msg!r} "
            f"(HTTP {self.answer.status})"
        )
        return self.body["result"]


def ocr_call(client: Client, side: str, image: bytes, *, user: str | None = None,
             get_native: bool = False, order_no: str | None = None,
             card_type: str | None = None, lowercase_sign: bool = False) -> OcrCall:
    """Send `image` signed with the client's SIGN ticket; the answer is returned, never raised."""
    ticket = client.sign_ticket()
    body = client.ocr_body(image, ticket=ticket, user_id=user, get_native=get_native,
                           order_no=order_no, card_type=card_type)
    if lowercase_sign:
        body["sign"] = body["sign"].lower()
    return OcrCall(side, image, body["orderNo"], user, ticket, client.post_ocr(body))
