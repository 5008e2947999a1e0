"""The four calls of the real service, apart from HTTP (§2, §3, §6, §7).

Each call runs its checks in a fixed order that *is* the error precedence: one list per call in
PRECEDENCE, shape → app → credential (token / ticket + sign) → scenario → image → side. A check is
a small function that raises the catalogue's `ApiError` (the HTTP layer renders it) and leaves
what it established on the `Call` for the checks after it and for the answer. The precedence
tables of docs/fidelity.md are rendered from PRECEDENCE (scripts/update_precedence_tables.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pybase64

from mock_server import envelope, schemas
from mock_server.clock import Clock, compact_time, display_time
from mock_server.credentials import LIVE, TICKET_STATUSES, Credential, Credentials
from mock_server.errors import CATALOGUE, OCR_FAILURES, ApiError
from mock_server.explain import (
    OCR_FIELDS,
    RESULT_FIELDS,
    FieldNames,
    SignExplainer,
    mismatch_detail,
)
from mock_server.fixtures.pack import recognizers_for
from mock_server.ids import IdSource
from mock_server.images import CardImage, decode_base64, open_image
from mock_server.limits import TICKET_EXPIRE_TIME_EARLY
from mock_server.orders import Orders, SideRecord
from mock_server.recognizer import (
    CARD_TYPES,
    EMBLEM,
    PORTRAIT,
    Recognition,
    RecognizerChain,
    SyntheticRecognizer,
)
from mock_server.regions import native_place
from mock_server.scenarios import ACCESS_TOKEN, API_TICKET, OCR, OCR_RESULT, CallRecord, ScenarioDesk
from mock_server.settings import Settings
from mock_server.signing import request_sign, result_sign, signs_equal
from mock_server.store import Store

# Each call's request schema, and the spellings of the app id it accepts: its schema's, as the
# vendor's pages give them (appId / app_id for the token and tickets, §2, §3; appId / webankAppId in
# the OCR body, §7; app_id / webankAppId for getOcrResult, §6). Any other spelling is no app id:
# the request is malformed (400101).
REQUEST_SCHEMAS = {
    ACCESS_TOKEN: "access_token.request.json",
    API_TICKET: "api_ticket.request.json",
    OCR: "idcardocrapp.request.json",
    OCR_RESULT: "getOcrResult.request.json",
}
APP_ID_ALIASES: dict[str, tuple[str, ...]] = {
    endpoint: schemas.app_id_spellings(schema) for endpoint, schema in REQUEST_SCHEMAS.items()
}
# Seconds of the mock's clock between two retention sweeps of one worker.
SWEEP_INTERVAL = 10.0
_WRONG_SIDE = {PORTRAIT: "NOT_PORTRAIT_SIDE", EMBLEM: "NOT_EMBLEM_SIDE"}


def check_shape(schema: str, instance: Any) -> None:
    error = schemas.first_error(schema, instance)
    if error is not None:
        raise ApiError("MALFORMED_REQUEST", schemas.describe(error))


def app_key_of(params: Mapping[str, Any], endpoint: str) -> str | None:
    """Which of the call's spellings of the app id the request used."""
    return schemas.app_id_key(REQUEST_SCHEMAS[endpoint], params)


def app_id_of(params: Mapping[str, Any], endpoint: str) -> str:
    """The app id of a request of the call that passed its shape check."""
    return params[app_key_of(params, endpoint)]


# -- the checks --------------------------------------------------------------------------------


@dataclass
class Call:
    """One vendor call going through its checks: the request, the journal's record of the call,
    and what the checks established, for the checks after them and for the answer."""

    record: CallRecord
    request: Any  # the query parameters, or the JSON body as parsed
    names: FieldNames | None = None  # where a signed call keeps its signed values
    token: Credential | None = None
    sign_ticket: str | None = None  # the SIGN ticket that verified the request's sign
    image_bytes: bytes | None = None
    image: CardImage | None = None
    recognition: Recognition | None = None
    sides: dict[str, SideRecord] | None = None
    now: float | None = None


CheckRun = Callable[["KycService", Call], None]


@dataclass(frozen=True)
class Check:
    """One step of a call's precedence: `run` raises when the call fails it. `rule`, `answers`
    (catalogue names) and `answered` (an answer that is not one catalogue entry) are its row in
    the docs."""

    rule: str
    run: CheckRun
    answers: tuple[str, ...] = ()
    answered: str = ""


def check(rule: str, *answers: str, answered: str = "") -> Callable[[CheckRun], Check]:
    def make(run: CheckRun) -> Check:
        return Check(rule, run, answers, answered)

    return make


def request_shape(schema: str) -> Check:
    """The request against its schema. For a signed call, a shape failure caused by the sign alone
    (a SHA-256 or MD5 hex string) is diagnosed like a wrong sign."""

    def run(service: KycService, call: Call) -> None:
        try:
            check_shape(schema, call.request)
        except ApiError as error:
            if call.names is None:
                raise
            call.record.sign = {}
            raise service.explainer.malformed(
                error, schema, call.request, call.names, call.record.sign
            ) from None

    return Check(f"the request has the shape of `schemas/{schema}`", run, ("MALFORMED_REQUEST",))


@check("the app id is an app configured in the mock", "UNKNOWN_APP")
def known_app(service: KycService, call: Call) -> None:
    app_id = app_id_of(call.request, call.record.endpoint)
    if not service.credentials.knows(app_id):
        raise ApiError("UNKNOWN_APP", f"app {app_id} is not configured in this mock")
    call.record.app_id = app_id


@check("the secret is the app's", "WRONG_SECRET")
def app_secret(service: KycService, call: Call) -> None:
    app_id = call.record.app_id
    if not service.credentials.secret_matches(app_id, call.request["secret"]):
        raise ApiError("WRONG_SECRET", f"the secret is not the secret of app {app_id}")


@check("access_token is live and was issued to the app", "INVALID_TOKEN")
def live_token(service: KycService, call: Call) -> None:
    app_id = call.record.app_id
    token = service.credentials.live_token(call.request["access_token"])
    if token is None or token.app_id != app_id:
        raise ApiError(
            "INVALID_TOKEN", f"access_token is unknown, expired or not issued to app {app_id}"
        )
    call.token = token


@check("sign is the SHA-1 of the sorted appId, orderNo, nonce, version and a SIGN ticket of the "
       "app; the ticket is live", "INVALID_TICKET", "SIGN_MISMATCH")
def valid_sign(service: KycService, call: Call) -> None:
    call.record.order_no = call.request[call.names.order_no]
    call.sign_ticket = service.verify_request_sign(call.record, call.request, call.names)


@check("a scenario from the `X-Mock-Scenario` header or the queue applies to the call",
       answered="the scenario's: a transport fault that pre-empts the call, or an OCR scenario's "
                "code (on idcardocrapp that code replaces the recognition's, last check)")
def scenario(service: KycService, call: Call) -> None:
    service.scenarios.choose(call.record)


@check("idcardStr is Base64 (a `data:` URL prefix only with `--accept-data-url`)", "IMAGE_DECODE_FAILED")
def base64_image(service: KycService, call: Call) -> None:
    call.image_bytes = decode_base64(
        call.request["idcardStr"], accept_data_url=service.settings.accept_data_url
    )
    # Let go of the parsed body before the image is checked and stored: when the caller handed
    # over its only reference (the HTTP layer does), a 20 MB idcardStr is freed here instead of
    # staying alive beside the decoded image while it is hashed and written.
    call.request = {k: v for k, v in call.request.items() if k != "idcardStr"}


@check("the decoded bytes are a sound JPEG, PNG or BMP image", "NOT_AN_IMAGE")
def readable_image(service: KycService, call: Call) -> None:
    call.image = open_image(call.image_bytes)
    call.image_bytes = None


@check("the image's idcard-mock marker names a scenario, if no scenario was chosen",
       answered="the scenario's: a transport fault, or an OCR scenario's code (last check)")
def marker_scenario(service: KycService, call: Call) -> None:
    service.scenarios.choose_from_marker(call.record, call.image.marker)


@check("the image is the side `cardType` asks for, when it asks (the wrong side is recorded with "
       "the order, then answered by the last check)", "NOT_PORTRAIT_SIDE", "NOT_EMBLEM_SIDE")
def requested_side(service: KycService, call: Call) -> None:
    requested = CARD_TYPES.get(call.request.get("cardType", ""))
    recognition = service.recognizer.recognize(call.image, requested)
    if requested is not None and recognition.side != requested:
        recognition = Recognition(side=recognition.side, code=CATALOGUE[_WRONG_SIDE[requested]].code)
    call.recognition = recognition


@check("the card is read with code 0: the order records the recognition and the image whatever "
       "the code, then a failure code is the answer",
       answered="the recognition's code (§5a): the wrong side's, an OCR scenario's (it wins over "
                "any other), or the one the image's fixture entry gives")
def card_read(service: KycService, call: Call) -> None:
    recognition = call.recognition = service.scenarios.recognition(call.record, call.recognition)
    call.now = service.clock.now()
    service.orders.record(call.record.app_id, call.record.order_no, recognition, call.image, call.now)
    if recognition.code != "0":
        raise ApiError(
            OCR_FAILURES[recognition.code].name,
            f"the {recognition.side} image was answered with {recognition.code}",
        )


@check("the app has the order, within its retention", "ORDER_NOT_FOUND")
def order_found(service: KycService, call: Call) -> None:
    app_id, order_no = call.record.app_id, call.record.order_no
    call.now = service.clock.now()
    call.sides = service.orders.lookup(app_id, order_no, call.now)
    if not call.sides:
        raise ApiError(
            "ORDER_NOT_FOUND",
            f"app {app_id} has no order {order_no} (never sent, or past its retention)",
        )


# The error precedence: each call runs its checks in this order; the first that fails answers.
PRECEDENCE: dict[str, tuple[Check, ...]] = {
    ACCESS_TOKEN: (request_shape(REQUEST_SCHEMAS[ACCESS_TOKEN]), known_app, app_secret, scenario),
    API_TICKET: (request_shape(REQUEST_SCHEMAS[API_TICKET]), known_app, live_token, scenario),
    OCR: (
        request_shape(REQUEST_SCHEMAS[OCR]), known_app, valid_sign, scenario, base64_image,
        readable_image, marker_scenario, requested_side, card_read,
    ),
    OCR_RESULT: (request_shape(REQUEST_SCHEMAS[OCR_RESULT]), known_app, valid_sign, scenario, order_found),
}


class KycService:
    def __init__(self, settings: Settings, store: Store, clock: Clock, ids: IdSource) -> None:
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.credentials = Credentials(store, clock, ids, settings.apps)
        self.orders = Orders(store, settings.order_ttl, settings.max_image_bytes)
        self.scenarios = ScenarioDesk(store)
        self.explainer = SignExplainer(store, self.credentials)
        # Fixture packs answer their own images exactly; every other image gets a synthetic person.
        self.recognizer = RecognizerChain(
            recognizers_for(settings),
            SyntheticRecognizer(settings.identity_as_of, settings.default_side),
        )
        self._last_sweep = float("-inf")
        self.orders.sweep_orphan_files()

    def sweep(self) -> None:
        """Retention on the request path, cheap: at most every SWEEP_INTERVAL of the mock's clock
        (so an advanced clock sweeps at the next call), expired credentials and orders are
        deleted in the current write (the request's batch)."""
        now = self.clock.now()
        if self._last_sweep <= now < self._last_sweep + SWEEP_INTERVAL:
            return
        self._last_sweep = now
        self.credentials.sweep(now)
        self.orders.sweep(now)

    def _run(self, endpoint: str, call: Call) -> None:
        for step in PRECEDENCE[endpoint]:
            step.run(self, call)

    # -- GET /api/oauth2/access_token (§2) ---------------------------------------------------
    def access_token(self, params: Mapping[str, str], record: CallRecord | None = None) -> dict[str, Any]:
        call = Call(record or CallRecord(ACCESS_TOKEN), dict(params))
        self._run(ACCESS_TOKEN, call)
        token = self.credentials.issue_token(call.record.app_id)
        now = self.clock.now()
        return envelope.success(
            self.ids,
            now,
            success=True,
            access_token=token.value,
            expire_in=token.expire_in(now),
            expire_time=compact_time(token.expires_at),
        )

    # -- GET /api/oauth2/api_ticket (§3) -----------------------------------------------------
    def api_ticket(self, params: Mapping[str, str], record: CallRecord | None = None) -> dict[str, Any]:
        call = Call(record or CallRecord(API_TICKET), dict(params))
        self._run(API_TICKET, call)
        ticket = self.credentials.issue_ticket(call.token, call.request["type"], call.request.get("user_id"))
        now = self.clock.now()
        return envelope.success(
            self.ids,
            now,
            success=True,
            tickets=[
                {
                    "value": ticket.value,
                    "expire_in": ticket.expire_in(now),
                    "expire_time": compact_time(ticket.expires_at - TICKET_EXPIRE_TIME_EARLY),
                }
            ],
        )

    # -- POST /api/paas/idcardocrapp (§7) ----------------------------------------------------
    def ocr(self, body: Any, record: CallRecord | None = None) -> dict[str, Any]:
        call = Call(record or CallRecord(OCR), body, OCR_FIELDS)
        del body  # the call holds the body from here, and lets go of idcardStr once decoded
        self._run(OCR, call)
        app_id, order_no = call.record.app_id, call.record.order_no
        recognition, now = call.recognition, call.now
        result = {
            **envelope.stamp(self.ids, now),
            "ocrId": self.ids.ocr_id(),
            "orderNo": order_no,
            **recognition.fields,
            "warning": recognition.warning,
            "multiWarning": recognition.multi_warning,
            "clarity": recognition.clarity,
            "retry": "1",
            "success": False,
            "sign": result_sign(app_id, order_no, call.sign_ticket),
        }
        if call.request.get("getNative") == "1" and recognition.side == PORTRAIT:
            result["nativePlace"] = native_place(recognition.fields["idcard"]) or ""
        answer = envelope.success(self.ids, now, result=result)
        answer["bizSeqNo"] = result["bizSeqNo"]
        return answer

    # -- GET /api/server/getOcrResult (§6) ---------------------------------------------------
    def ocr_result(self, params: Mapping[str, str], record: CallRecord | None = None) -> dict[str, Any]:
        call = Call(record or CallRecord(OCR_RESULT), dict(params), RESULT_FIELDS)
        self._run(OCR_RESULT, call)
        return self.result_answer(call.record.order_no, call.sides, call.now, call.request)

    def result_answer(
        self, order_no: str, sides: Mapping[str, SideRecord], now: float, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What getOcrResult answers for an order's recorded `sides` (§6), `get_file` and
        `get_native` read from `params`; the dashboard shows it for an order without a sign."""
        result: dict[str, Any] = {"orderNo": order_no}
        with_files = params.get("get_file") == "1"
        for side, prefix in ((PORTRAIT, "front"), (EMBLEM, "back")):
            record = sides.get(side)
            if record is None:
                continue
            result[f"{prefix}Code"] = record.code
            if record.code == "0":
                result.update(record.fields)
            result[f"{prefix}WarnCode"] = record.warning
            result[f"{prefix}MultiWarning"] = record.multi_warning
            result[f"{prefix}Clarity"] = record.clarity
            if with_files:
                result.update(self._photos(prefix, record.image_file))
        if params.get("get_native") == "1" and "idcard" in result:
            result["nativePlace"] = native_place(result["idcard"]) or ""
        result["operateTime"] = display_time(max(r.operate_time for r in sides.values()))
        result["success"] = False
        result.update(envelope.stamp(self.ids, now))
        answer = envelope.success(self.ids, now, result=result)
        answer["bizSeqNo"] = result["bizSeqNo"]
        return answer

    # -- shared steps ------------------------------------------------------------------------
    def verify_sign(
        self, app_id: str, given: str, *, order_no: str, nonce: str, version: str
    ) -> str:
        """The live SIGN ticket of the app the sign was made with. The sign must be the SHA-1 of
        appId, orderNo, nonce, version and that ticket (§1, §6). userId never takes part; a NONCE
        ticket never verifies."""
        for ticket in self.credentials.live_sign_tickets(app_id):
            if signs_equal(request_sign(app_id, order_no, nonce, version, ticket), given):
                return ticket
        for ticket, status in self.credentials.recent_tickets(app_id):
            if status != LIVE and signs_equal(
                request_sign(app_id, order_no, nonce, version, ticket), given
            ):
                raise ApiError("INVALID_TICKET", f"the sign was made with {TICKET_STATUSES[status]}")
        raise ApiError("SIGN_MISMATCH", mismatch_detail(app_id))

    def verify_request_sign(
        self, record: CallRecord, request: Mapping[str, Any], names: FieldNames
    ) -> str:
        """verify_sign, with a diagnosis on failure; the nonce is remembered either way, to
        recognise it when a later request signs with it again."""
        signed = names.read(app_key_of(request, record.endpoint), request)
        record.sign = {}
        try:
            ticket = self.verify_sign(
                signed.app_id, signed.sign, order_no=signed.order_no, nonce=signed.nonce,
                version=signed.version,
            )
        except ApiError as error:
            raise self.explainer.explained(error, signed, record.sign) from None
        finally:
            self.explainer.remember(signed)
        record.sign["verdict"] = "ok"
        return ticket

    def _photos(self, prefix: str, image_file: str | None) -> dict[str, str]:
        data = self.orders.image(image_file) if image_file else None
        photo = pybase64.b64encode(data).decode("ascii") if data else ""
        # The mock does not crop: the documented "may be empty when cropping fails" (§6).
        photos = {f"{prefix}Photo": photo, f"{prefix}Crop": ""}
        if prefix == "front":
            photos["headPhoto"] = ""
        return photos
