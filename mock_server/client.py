"""A reference client for the WeBank kyc ID-card OCR server API (§1-§7).

Self-contained apart from `mock_server.signing` (the one signing function) and `requests`, so it
can be lifted into a partner backend::

    from mock_server.client import KycClient

    client = KycClient("https://kyc1.qcloud.com", app_id, secret)
    portrait = client.ocr(Path("front.jpg").read_bytes())
    print(portrait.name, portrait.masked_idcard)

What it does for you:

- **Access token** cached and refreshed ahead of expiry: every `refresh_interval` seconds (the
  vendor recommends 20 minutes, §2) and in any case `refresh_margin` seconds before the
  `expire_in` the vendor answered. Only one refresh runs at a time, whatever the number of
  threads: the vendor asks for no concurrent refreshes, and a refresh leaves the previous token
  only 60 s of life (§2).
- **SIGN ticket** fetched with each new token and reused within its life (§3); a **NONCE
  ticket** is fetched fresh on every `nonce_ticket()` call (single use, §3).
- **Signing** with `mock_server.signing.request_sign` (§1, §6); `userId` is never signed.
- **The vendor envelope** turned into typed results, or into a `KycError` subclass carrying the
  vendor `code` and `msg`. No automatic retries: a retried OCR call may be billed twice.
- **`result.sign`** checked against `signing.result_sign` (appId, orderNo, SIGN ticket; §4). That
  recipe is documented for the OCR SDK result only, so by default a mismatch warns
  (`verify_result_sign="warn"`) instead of raising.

Secrets, tokens and tickets never appear in `repr()`, exception messages or log records.
Note that `requests`/`urllib3` DEBUG logging prints request URLs, and the token call carries the
secret in its query string (as documented, §2): keep those loggers above DEBUG in production.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import string
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import requests

from mock_server import masking, signing

__all__ = [
    "API_VERSION",
    "CallBudget",
    "CallBudgetExceeded",
    "KycClient",
    "KycError",
    "OcrError",
    "OcrQueryResult",
    "OcrResult",
    "OrderNotFoundError",
    "RawResponse",
    "ResponseError",
    "ResultSignError",
    "ResultSignWarning",
    "SignError",
    "check_envelope",
    "mask_idcard",
]

log = logging.getLogger("idcard_mock.client")

API_VERSION = "1.0.0"
TOKEN_PATH = "/api/oauth2/access_token"
TICKET_PATH = "/api/oauth2/api_ticket"
OCR_PATH = "/api/paas/idcardocrapp"
OCR_RESULT_PATH = "/api/server/getOcrResult"

PORTRAIT_FIELDS = ("name", "sex", "nation", "birth", "address", "idcard")
EMBLEM_FIELDS = ("authority", "validDate")
# Legacy `cardType` values (§7 version history).
CARD_TYPES = {"portrait": "0", "emblem": "1"}
# 400101 不合法的请求: the vendor's answer to a wrong sign and to missing parameters (§5b).
ILLEGAL_REQUEST = "400101"
ORDER_NOT_FOUND = "66660020"

_ALNUM = string.ascii_letters + string.digits


def mask_idcard(idcard: str) -> str:
    """First 6 + ******** + last 4: the birth date and sequence never leave in clear."""
    return masking.id_number(idcard)


# -- errors -------------------------------------------------------------------------------------


class KycError(Exception):
    """The vendor answered with a non-zero `code` (or with something that is not an envelope)."""

    def __init__(self, code: str, msg: str, http_status: int | None = None, body: Any = None) -> None:
        super().__init__(f"{code} {msg}" + (f" (HTTP {http_status})" if http_status else ""))
        self.code = code
        self.msg = msg
        self.http_status = http_status
        self.body = body


class SignError(KycError):
    """400101 不合法的请求: a wrong sign, a dead or NONCE ticket, or a missing or malformed
    parameter. The vendor gives them all one code (§5b)."""


class OcrError(KycError):
    """A 6666xxxx / 300101 answer: the image was not recognised (§5a; not billed)."""


class OrderNotFoundError(OcrError):
    """66660020 OCR 结果查询不到: getOcrResult for an orderNo with no OCR result (§6)."""


class ResponseError(KycError):
    """The answer is not a vendor envelope (not JSON, no `code`, no `result`). `code` is ""."""


class ResultSignError(KycError):
    """`result.sign` is not SHA-1 of appId, orderNo and the SIGN ticket (§4)."""


class ResultSignWarning(UserWarning):
    """Emitted instead of `ResultSignError` when `verify_result_sign="warn"`."""


class CallBudgetExceeded(Exception):
    """A `CallBudget` refused another billable OCR call."""


def _error_class(code: str) -> type[KycError]:
    if code == ILLEGAL_REQUEST:
        return SignError
    if code == ORDER_NOT_FOUND:
        return OrderNotFoundError
    if code.startswith("6666") or code == "300101":
        return OcrError
    return KycError


def check_envelope(body: Any, http_status: int | None = None) -> dict[str, Any]:
    """The envelope itself when `code` is "0"; otherwise the matching `KycError` subclass.

    Lenient where leniency is harmless: a numeric `code` is read as its decimal string (the
    vendor documents a string, §7; the contract suite is where that gets enforced).
    """
    if not isinstance(body, dict) or "code" not in body:
        raise ResponseError("", "the answer is not a vendor envelope", http_status, body)
    code = body["code"]
    code = str(code) if isinstance(code, int | str) and not isinstance(code, bool) else ""
    msg = body.get("msg") if isinstance(body.get("msg"), str) else ""
    if code == "0":
        return body
    if not code:
        raise ResponseError("", "the envelope's code is not a string", http_status, body)
    raise _error_class(code)(code, msg, http_status, body)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawResponse:
    """One HTTP exchange: status and parsed JSON body (None when the body is not JSON)."""

    status: int
    body: Any
    text: str = field(default="", repr=False)


@dataclass(frozen=True, repr=False)
class OcrResult:
    """A recognised side of a card (POST idcardocrapp, §7). `raw` is the whole envelope."""

    order_no: str
    side: Literal["portrait", "emblem"]
    fields: Mapping[str, str]
    biz_seq_no: str
    transaction_time: str
    ocr_id: str
    warning: str
    multi_warning: str
    clarity: str
    sign: str
    sign_verified: bool | None
    native_place: str | None
    raw: Mapping[str, Any]

    @property
    def name(self) -> str | None:
        return self.fields.get("name")

    @property
    def sex(self) -> str | None:
        return self.fields.get("sex")

    @property
    def nation(self) -> str | None:
        return self.fields.get("nation")

    @property
    def birth(self) -> str | None:
        return self.fields.get("birth")

    @property
    def address(self) -> str | None:
        return self.fields.get("address")

    @property
    def idcard(self) -> str | None:
        return self.fields.get("idcard")

    @property
    def masked_idcard(self) -> str | None:
        return mask_idcard(self.idcard) if self.idcard else None

    @property
    def authority(self) -> str | None:
        return self.fields.get("authority")

    @property
    def valid_date(self) -> str | None:
        return self.fields.get("validDate")

    def __repr__(self) -> str:
        shown = {k: (mask_idcard(v) if k == "idcard" else v) for k, v in self.fields.items()}
        return f"OcrResult(order_no={self.order_no!r}, side={self.side!r}, fields={shown!r})"


@dataclass(frozen=True, repr=False)
class OcrQueryResult:
    """What getOcrResult holds for an order (§6). Photos are decoded bytes, None when absent or
    empty (the vendor may leave crops empty)."""

    order_no: str
    front_code: str | None
    back_code: str | None
    fields: Mapping[str, str]
    operate_time: str | None
    native_place: str | None
    front_photo: bytes | None
    back_photo: bytes | None
    front_crop: bytes | None
    back_crop: bytes | None
    head_photo: bytes | None
    raw: Mapping[str, Any]

    def __repr__(self) -> str:
        return (
            f"OcrQueryResult(order_no={self.order_no!r}, front_code={self.front_code!r}, "
            f"back_code={self.back_code!r})"
        )


# -- the client ---------------------------------------------------------------------------------


class Session(Protocol):
    """What the client needs from `requests.Session` (tests may pass an adapter)."""

    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


class CallBudget:
    """A cap on billable OCR calls, shareable by several clients (thread-safe)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                raise CallBudgetExceeded(f"the budget of {self.limit} billable OCR calls is spent")
            self.used += 1


@dataclass(frozen=True)
class _Credentials:
    token: str
    sign_ticket: str
    refresh_at: float


ResponseHook = Callable[[str, RawResponse], None]


def _random_alnum(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_order_no() -> str:
    """32 letters and digits, the documented orderNo form (§7)."""
    return _random_alnum(32)


def _encode_image(image: bytes | str | os.PathLike[str]) -> str:
    """idcardStr: raw bytes and files are Base64-encoded; a str is taken as Base64 already."""
    if isinstance(image, str):
        return image
    if isinstance(image, bytes | bytearray):
        return base64.b64encode(image).decode("ascii")
    with open(image, "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def _photo(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4))
    except ValueError:
        return None


class KycClient:
    """Client for one app id on one host. Thread-safe; reuse one instance per app.

    `clock` is a monotonic-seconds callable (injectable so tests move time); `session` anything
    with `requests.Session.request`. `budget` caps billable OCR calls; `on_response(call, raw)`
    sees every exchange (call is "access_token", "api_ticket", "idcardocrapp" or
    "getOcrResult").
    """

    def __init__(
        self,
        base_url: str,
        app_id: str,
        secret: str,
        *,
        session: Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_interval: float = 1200.0,
        refresh_margin: float = 60.0,
        timeout: float = 30.0,
        version: str = API_VERSION,
        verify_result_sign: bool | Literal["warn"] = "warn",
        budget: CallBudget | None = None,
        on_response: ResponseHook | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = secret
        self._session: Session = session if session is not None else requests.Session()
        self._clock = clock
        self.refresh_interval = refresh_interval
        self.refresh_margin = refresh_margin
        self.timeout = timeout
        self.version = version
        self.verify_result_sign = verify_result_sign
        self.budget = budget
        self.on_response = on_response
        self._lock = threading.Lock()
        self._cached: _Credentials | None = None
        self._sensitive: set[str] = {secret}
        self._counts_lock = threading.Lock()
        self.ocr_calls = 0

    def __repr__(self) -> str:
        return f"KycClient(base_url={self.base_url!r}, app_id={self.app_id!r})"

    # -- credentials -------------------------------------------------------------------------

    def sensitive_values(self) -> frozenset[str]:
        """The secret and every token and ticket this client has seen, for redacting reports."""
        with self._counts_lock:
            return frozenset(self._sensitive)

    def _remember(self, value: str) -> str:
        with self._counts_lock:
            self._sensitive.add(value)
        return value

    def invalidate(self) -> None:
        """Forget the cached token and SIGN ticket; the next call fetches new ones."""
        with self._lock:
            self._cached = None

    def _credentials(self) -> _Credentials:
        now = self._clock()
        cached = self._cached
        if cached is not None and now < cached.refresh_at:
            return cached
        # Single flight: whoever waited for the lock finds the fresh pair and returns it.
        with self._lock:
            started = self._clock()
            cached = self._cached
            if cached is not None and started < cached.refresh_at:
                return cached
            token, token_life = self.fetch_access_token()
            ticket, ticket_life = self.fetch_ticket(token, "SIGN")
            # A fixed interval (§2 recommends 20 minutes) unless the vendor's expire_in is
            # shorter; refresh_margin keeps a refresh from racing the expiry itself.
            life = min(self.refresh_interval, token_life - self.refresh_margin,
                       ticket_life - self.refresh_margin)
            self._cached = _Credentials(token, ticket, started + max(life, 0.0))
            return self._cached

    def access_token(self) -> str:
        """The cached access token, refreshed when due."""
        return self._credentials().token

    def sign_ticket(self) -> str:
        """The cached SIGN ticket (reusable within its life, §3), refreshed with the token."""
        return self._credentials().sign_ticket

    def nonce_ticket(self, user_id: str) -> str:
        """A new NONCE ticket for `user_id` (single use, 120 s; for the front-end SDK, §3)."""
        value, _ = self.fetch_ticket(self.access_token(), "NONCE", user_id=user_id)
        return value

    def fetch_access_token(self) -> tuple[str, float]:
        """GET access_token (§2), uncached: (token, expire_in seconds)."""
        raw = self.request(
            "GET",
            TOKEN_PATH,
            params={"appId": self.app_id, "secret": self._secret,
                    "grant_type": "client_credential", "version": self.version},
        )
        body = check_envelope(raw.body, raw.status)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ResponseError("", "access_token missing from the answer", raw.status, None)
        return self._remember(token), _seconds(body.get("expire_in"), 7200)

    def fetch_ticket(self, token: str, kind: Literal["SIGN", "NONCE"], *,
                     user_id: str | None = None) -> tuple[str, float]:
        """GET api_ticket (§3), uncached: (ticket value, expire_in seconds)."""
        params = {"appId": self.app_id, "access_token": token, "type": kind, "version": self.version}
        if user_id is not None:
            params["user_id"] = user_id
        raw = self.request("GET", TICKET_PATH, params=params)
        body = check_envelope(raw.body, raw.status)
        tickets = body.get("tickets")
        if not (isinstance(tickets, list) and tickets and isinstance(tickets[0], dict)
                and isinstance(tickets[0].get("value"), str)):
            raise ResponseError("", "tickets missing from the answer", raw.status, None)
        default = 3600 if kind == "SIGN" else 120
        return self._remember(tickets[0]["value"]), _seconds(tickets[0].get("expire_in"), default)

    # -- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                json_body: Any = None) -> RawResponse:
        """One unsigned HTTP exchange, no interpretation. OCR calls go through the budget."""
        call = path.rsplit("/", 1)[-1]
        data = None
        headers = {"Accept": "application/json"}
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=UTF-8"
        if path == OCR_PATH:
            if self.budget is not None:
                self.budget.take()
            with self._counts_lock:
                self.ocr_calls += 1
        response = self._session.request(
            method, self.base_url + path, params=dict(params or {}), data=data,
            headers=headers, timeout=self.timeout,
        )
        text = response.content.decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        raw = RawResponse(response.status_code, body, text)
        log.debug("%s %s -> HTTP %s code %s", method, path, raw.status,
                  body.get("code") if isinstance(body, dict) else None)
        if self.on_response is not None:
            self.on_response(call, raw)
        return raw

    # -- idcardocrapp ------------------------------------------------------------------------

    def ocr_body(
        self,
        image: bytes | str | os.PathLike[str],
        *,
        order_no: str | None = None,
        user_id: str | None = None,
        get_native: bool = False,
        card_type: Literal["portrait", "emblem"] | None = None,
        nonce: str | None = None,
        ticket: str | None = None,
    ) -> dict[str, str]:
        """The signed JSON body of an OCR call (§7). `ticket` defaults to the cached SIGN ticket."""
        order_no = order_no or new_order_no()
        nonce = nonce or _random_alnum()
        ticket = ticket if ticket is not None else self.sign_ticket()
        body = {
            "appId": self.app_id,
            "orderNo": order_no,
            "nonce": nonce,
            "version": self.version,
            # userId is deliberately left out of the sign (§1).
            "sign": signing.request_sign(self.app_id, order_no, nonce, self.version, ticket),
            "idcardStr": _encode_image(image),
        }
        if user_id is not None:
            body["userId"] = user_id
        if get_native:
            body["getNative"] = "1"
        if card_type is not None:
            body["cardType"] = CARD_TYPES[card_type]
        return body

    def post_ocr(self, body: Mapping[str, str]) -> RawResponse:
        """POST a prepared body; `?orderNo=` is appended for the vendor's tracing (§8)."""
        params = {"orderNo": body["orderNo"]} if "orderNo" in body else {}
        return self.request("POST", OCR_PATH, params=params, json_body=dict(body))

    def ocr(
        self,
        image: bytes | str | os.PathLike[str],
        *,
        order_no: str | None = None,
        user_id: str | None = None,
        get_native: bool = False,
        card_type: Literal["portrait", "emblem"] | None = None,
    ) -> OcrResult:
        """Recognise one side of a card. `image` is bytes, a path, or a Base64 str.

        Raises `OcrError` (image not recognised), `SignError` (400101), `ResponseError`, and
        `ResultSignError` when `verify_result_sign=True` and `result.sign` does not verify.
        """
        ticket = self.sign_ticket()
        body = self.ocr_body(image, order_no=order_no, user_id=user_id, get_native=get_native,
                             card_type=card_type, ticket=ticket)
        raw = self.post_ocr(body)
        envelope = check_envelope(raw.body, raw.status)
        return self.parse_ocr(envelope, body["orderNo"], ticket, raw.status)

    def parse_ocr(self, envelope: Mapping[str, Any], order_no: str, ticket: str,
                  http_status: int | None = None) -> OcrResult:
        result = envelope.get("result")
        if not isinstance(result, dict):
            raise ResponseError("", "a successful OCR answer without result", http_status, None)
        side: Literal["portrait", "emblem"] = (
            "emblem" if any(k in result for k in EMBLEM_FIELDS) else "portrait"
        )
        names = EMBLEM_FIELDS if side == "emblem" else PORTRAIT_FIELDS
        fields = {k: result[k] for k in names if isinstance(result.get(k), str)}
        given_sign = result.get("sign") if isinstance(result.get("sign"), str) else ""
        verified: bool | None = None
        if self.verify_result_sign:
            expected = signing.result_sign(self.app_id, order_no, ticket)
            verified = bool(given_sign) and signing.signs_equal(expected, given_sign)
            if not verified:
                message = "result.sign is not SHA-1 of appId, orderNo and the SIGN ticket"
                if self.verify_result_sign == "warn":
                    warnings.warn(message, ResultSignWarning, stacklevel=3)
                else:
                    raise ResultSignError("0", message, http_status, None)
        native = result.get("nativePlace")

        def text(key: str) -> str:
            value = result.get(key)
            return value if isinstance(value, str) else ""

        return OcrResult(
            order_no=order_no, side=side, fields=fields, biz_seq_no=text("bizSeqNo"),
            transaction_time=text("transactionTime"), ocr_id=text("ocrId"),
            warning=text("warning"), multi_warning=text("multiWarning"), clarity=text("clarity"),
            sign=given_sign, sign_verified=verified,
            native_place=native if isinstance(native, str) else None, raw=envelope,
        )

    # -- getOcrResult ------------------------------------------------------------------------

    def ocr_result_params(self, order_no: str, *, get_file: bool = False, get_native: bool = False,
                          nonce: str | None = None, ticket: str | None = None) -> dict[str, str]:
        """The signed query of getOcrResult (§6): app_id, order_no, nonce, version, sign."""
        nonce = nonce or _random_alnum()
        ticket = ticket if ticket is not None else self.sign_ticket()
        params = {
            "app_id": self.app_id,
            "order_no": order_no,
            "nonce": nonce,
            "version": self.version,
            "sign": signing.request_sign(self.app_id, order_no, nonce, self.version, ticket),
        }
        if get_file:
            params["get_file"] = "1"
        if get_native:
            params["get_native"] = "1"
        return params

    def get_ocr_result(self, params: Mapping[str, str]) -> RawResponse:
        return self.request("GET", OCR_RESULT_PATH, params=params)

    def ocr_result(self, order_no: str, *, get_file: bool = False,
                   get_native: bool = False) -> OcrQueryResult:
        """What the service holds for `order_no`; images only with `get_file` (§6).

        Raises `OrderNotFoundError` (66660020) for an order with no OCR result.
        """
        raw = self.get_ocr_result(
            self.ocr_result_params(order_no, get_file=get_file, get_native=get_native)
        )
        envelope = check_envelope(raw.body, raw.status)
        result = envelope.get("result")
        if not isinstance(result, dict):
            raise ResponseError("", "a successful getOcrResult answer without result",
                                raw.status, None)
        fields = {k: result[k] for k in PORTRAIT_FIELDS + EMBLEM_FIELDS
                  if isinstance(result.get(k), str)}

        def code(key: str) -> str | None:
            value = result.get(key)
            return str(value) if isinstance(value, int | str) and value != "" else None

        native = result.get("nativePlace")
        operate = result.get("operateTime")
        return OcrQueryResult(
            order_no=order_no, front_code=code("frontCode"), back_code=code("backCode"),
            fields=fields, operate_time=operate if isinstance(operate, str) else None,
            native_place=native if isinstance(native, str) else None,
            front_photo=_photo(result.get("frontPhoto")), back_photo=_photo(result.get("backPhoto")),
            front_crop=_photo(result.get("frontCrop")), back_crop=_photo(result.get("backCrop")),
            head_photo=_photo(result.get("headPhoto")), raw=envelope,
        )


def _seconds(value: Any, default: float) -> float:
    """expire_in is a JSON number in real answers, a string in an older doc example (§2)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return float(default)
    return seconds if seconds > 0 else float(default)
