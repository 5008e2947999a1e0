"""The four calls of the real service, apart from HTTP (api-facts §2, §3, §6, §7).

Each call checks its input in a fixed order that *is* the error precedence:
shape → app → credential (token / ticket + sign) → image → side, then answers. Every failure
is an `ApiError` carrying a catalogue entry; the HTTP layer renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pybase64

from mock_server import envelope, schemas
from mock_server.clock import Clock, compact_time, display_time
from mock_server.credentials import LIVE, TICKET_STATUSES, Credentials
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
from mock_server.images import decode_base64, open_image
from mock_server.orders import Orders
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

APP_ID_ALIASES = ("appId", "app_id", "webankAppId")
# Seconds of the mock's clock between two retention sweeps of one worker.
SWEEP_INTERVAL = 10.0
_WRONG_SIDE = {PORTRAIT: "NOT_PORTRAIT_SIDE", EMBLEM: "NOT_EMBLEM_SIDE"}


@dataclass(frozen=True)
class SignCheck:
    """Who signed a request, once the sign verified: the app and the SIGN ticket used."""

    app_id: str
    ticket: str


def check_shape(schema: str, instance: Any) -> None:
    error = schemas.first_error(schema, instance)
    if error is not None:
        raise ApiError("MALFORMED_REQUEST", schemas.describe(error))


def app_id_of(params: Mapping[str, Any]) -> str:
    """The app id under its current name or a legacy one (§2: appId / app_id / webankAppId)."""
    return next(params[k] for k in APP_ID_ALIASES if params.get(k) is not None)


def app_key_of(params: Mapping[str, Any]) -> str | None:
    """Which of the app id's names the request used."""
    return next((k for k in APP_ID_ALIASES if isinstance(params.get(k), str)), None)


class KycService:
    def __init__(self, settings: Settings, store: Store, clock: Clock, ids: IdSource) -> None:
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.credentials = Credentials(store, clock, ids, settings.apps)
        self.orders = Orders(store, settings.order_ttl, settings.max_image_bytes)
        self.scenarios = ScenarioDesk(store)
        self.explainer = SignExplainer(store, self.credentials, app_key_of)
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

    # -- GET /api/oauth2/access_token (§2) ---------------------------------------------------
    def access_token(self, params: Mapping[str, str], record: CallRecord | None = None) -> dict[str, Any]:
        record = record or CallRecord(ACCESS_TOKEN)
        check_shape("access_token.request.json", dict(params))
        app_id = record.app_id = self._known_app(app_id_of(params))
        if not self.credentials.secret_matches(app_id, params["secret"]):
            raise ApiError("WRONG_SECRET", f"the secret is not the secret of app {app_id}")
        self.scenarios.choose(record)
        token = self.credentials.issue_token(app_id)
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
        record = record or CallRecord(API_TICKET)
        check_shape("api_ticket.request.json", dict(params))
        app_id = record.app_id = self._known_app(app_id_of(params))
        token = self.credentials.live_token(params["access_token"])
        if token is None or token.app_id != app_id:
            raise ApiError(
                "INVALID_TOKEN", f"access_token is unknown, expired or not issued to app {app_id}"
            )
        self.scenarios.choose(record)
        kind = params["type"]
        ticket = self.credentials.issue_ticket(token, kind, params.get("user_id"))
        now = self.clock.now()
        return envelope.success(
            self.ids,
            now,
            success=True,
            tickets=[
                {
                    "value": ticket.value,
                    "expire_in": ticket.expire_in(now),
                    "expire_time": compact_time(ticket.expires_at),
                }
            ],
        )

    # -- POST /api/paas/idcardocrapp (§7) ----------------------------------------------------
    def ocr(self, body: Any, record: CallRecord | None = None) -> dict[str, Any]:
        record = record or CallRecord(OCR)
        self._check_signed_shape("idcardocrapp.request.json", body, OCR_FIELDS, record)
        app_id = record.app_id = self._known_app(app_id_of(body))
        order_no = record.order_no = body["orderNo"]
        signer = self._verify(record, body, OCR_FIELDS)
        self.scenarios.choose(record)
        requested = CARD_TYPES.get(body.get("cardType", ""))
        native = body.get("getNative") == "1"
        data = decode_base64(body["idcardStr"], accept_data_url=self.settings.accept_data_url)
        # Let go of the parsed body before the image is checked and stored: when the caller hands
        # over its only reference (the HTTP layer does), a 20 MB idcardStr is freed here instead of
        # staying alive beside the decoded image while it is hashed and written.
        del body
        image = open_image(data)
        self.scenarios.choose_from_marker(record, image.marker)
        recognition = self.recognizer.recognize(image, requested)
        if requested is not None and recognition.side != requested:
            recognition = Recognition(
                side=recognition.side, code=CATALOGUE[_WRONG_SIDE[requested]].code
            )
        recognition = self.scenarios.recognition(record, recognition)
        now = self.clock.now()
        self.orders.record(app_id, order_no, recognition, image, now)
        if recognition.code != "0":
            raise ApiError(
                OCR_FAILURES[recognition.code].name,
                f"the {recognition.side} image was answered with {recognition.code}",
            )
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
            "sign": result_sign(app_id, order_no, signer.ticket),
        }
        if native and recognition.side == PORTRAIT:
            result["nativePlace"] = native_place(recognition.fields["idcard"]) or ""
        answer = envelope.success(self.ids, now, result=result)
        answer["bizSeqNo"] = result["bizSeqNo"]
        return answer

    # -- GET /api/server/getOcrResult (§6) ---------------------------------------------------
    def ocr_result(self, params: Mapping[str, str], record: CallRecord | None = None) -> dict[str, Any]:
        record = record or CallRecord(OCR_RESULT)
        self._check_signed_shape("getOcrResult.request.json", dict(params), RESULT_FIELDS, record)
        app_id = record.app_id = self._known_app(app_id_of(params))
        order_no = record.order_no = params["order_no"]
        self._verify(record, params, RESULT_FIELDS)
        self.scenarios.choose(record)
        now = self.clock.now()
        sides = self.orders.lookup(app_id, order_no, now)
        if not sides:
            raise ApiError(
                "ORDER_NOT_FOUND",
                f"app {app_id} has no order {order_no} (never sent, or past its retention)",
            )
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
    def _known_app(self, app_id: str) -> str:
        if not self.credentials.knows(app_id):
            raise ApiError("UNKNOWN_APP", f"app {app_id} is not configured in this mock")
        return app_id

    def verify_sign(
        self, app_id: str, given: str, *, order_no: str, nonce: str, version: str
    ) -> SignCheck:
        """The sign must be the SHA-1 of appId, orderNo, nonce, version and a live SIGN ticket of
        the app (§1, §6). userId never takes part; a NONCE ticket never verifies."""
        for ticket in self.credentials.live_sign_tickets(app_id):
            if signs_equal(request_sign(app_id, order_no, nonce, version, ticket), given):
                return SignCheck(app_id, ticket)
        for ticket, status in self.credentials.recent_tickets(app_id):
            if status != LIVE and signs_equal(
                request_sign(app_id, order_no, nonce, version, ticket), given
            ):
                raise ApiError("INVALID_TICKET", f"the sign was made with {TICKET_STATUSES[status]}")
        raise ApiError("SIGN_MISMATCH", mismatch_detail(app_id))

    def _check_signed_shape(self, schema: str, request: Any, names: FieldNames, record: CallRecord) -> None:
        try:
            check_shape(schema, request)
        except ApiError as error:
            record.sign = {}
            raise self.explainer.malformed(error, schema, request, names, record.sign) from None

    def _verify(self, record: CallRecord, request: Mapping[str, Any], names: FieldNames) -> SignCheck:
        """verify_sign, with a diagnosis on failure; the nonce is remembered either way, to
        recognise it when a later request signs with it again."""
        signed = names.read(app_key_of(request) or "appId", request)
        record.sign = {}
        try:
            checked = self.verify_sign(
                signed.app_id, signed.sign, order_no=signed.order_no, nonce=signed.nonce,
                version=signed.version,
            )
        except ApiError as error:
            raise self.explainer.explained(error, signed, record.sign) from None
        finally:
            self.explainer.remember(signed)
        record.sign["verdict"] = "ok"
        return checked

    def _photos(self, prefix: str, image_file: str | None) -> dict[str, str]:
        data = self.orders.image(image_file) if image_file else None
        photo = pybase64.b64encode(data).decode("ascii") if data else ""
        # The mock does not crop: the documented "may be empty when cropping fails" (§6).
        photos = {f"{prefix}Photo": photo, f"{prefix}Crop": ""}
        if prefix == "front":
            photos["headPhoto"] = ""
        return photos

