"""Every entry of the error catalogue is reachable by a request, and answers its code and msg."""

from __future__ import annotations

import pytest

from mock_server.errors import CATALOGUE, OCR_FAILURES
from mock_server.limits import MAX_BODY_BYTES
from mock_server.recognizer import Recognition
from tests.support import Flow, card_image
from tests.test_images import rle8_bmp

OCR_PATH = "/api/paas/idcardocrapp"


class CodeRecognizer:
    """A plug-in recognizer (as fixture packs are) that answers the code its image's marker names;
    `raise` in the marker makes it fail, to show an internal fault never becomes a 500."""

    def recognize(self, image, requested_side):
        wanted = (image.marker or {}).get("code")
        if wanted == "raise":
            raise RuntimeError("recognizer fault")
        if wanted is None:
            return None
        return Recognition(side="portrait", code=wanted)


def marked_image(code: str) -> bytes:
    import io

    from PIL import Image

    from mock_server import marker

    buf = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buf, "JPEG", comment=marker.encode({"code": code}))
    return buf.getvalue()


def _body(flow: Flow, **change):
    body = flow.ocr_body(card_image(300))
    body.update(change)
    return body


TRIGGERS = {
    "MALFORMED_REQUEST": lambda f: f.post(OCR_PATH, _body(f, nonce=7)),
    "UNSUPPORTED_MEDIA_TYPE": lambda f: _raw(f, data="{}", content_type="text/plain"),
    "UNKNOWN_APP": lambda f: f.post(OCR_PATH, _body(f, appId="NOSUCHAP")),
    "WRONG_SECRET": lambda f: f.get("/api/oauth2/access_token", {
        "appId": f.app_id, "secret": "wrong", "grant_type": "client_credential", "version": "1.0.0"}),
    "INVALID_TOKEN": lambda f: f.get("/api/oauth2/api_ticket", {
        "appId": f.app_id, "access_token": "nosuch", "type": "SIGN", "version": "1.0.0"}),
    "INVALID_TICKET": lambda f: f.post(OCR_PATH, f.ocr_body(
        card_image(301), ticket=f.get_ticket("NONCE", user_id="u1"))),
    "SIGN_MISMATCH": lambda f: f.post(OCR_PATH, _body(f, sign="0" * 40)),
    "METHOD_NOT_ALLOWED": lambda f: _raw(f, method="get"),
    "NOT_FOUND": lambda f: _raw(f, path="/nowhere"),
    "IMAGE_TOO_LARGE": lambda f: _raw(f, data=b" " * (MAX_BODY_BYTES + 1),
                                      content_type="application/json"),
    "IMAGE_TOO_MANY_PIXELS": lambda f: f.ocr(rle8_bmp(9400, 9400)),
    "ORDER_NOT_FOUND": lambda f: f.ocr_result("neverSeen"),
    "IMAGE_DECODE_FAILED": lambda f: f.ocr("%%%"),
    "NOT_PORTRAIT_SIDE": lambda f: f.ocr(card_image(302, side="emblem"), cardType="0"),
    "NOT_EMBLEM_SIDE": lambda f: f.ocr(card_image(303, side="portrait"), cardType="1"),
    "NOT_AN_IMAGE": lambda f: f.ocr(b"not an image"),
    "PROCESSING_FAILED": lambda f: f.ocr(marked_image("raise")),
}
# The recognizer's own verdicts (what an image "says"), reached through a plug-in recognizer.
for _code, _spec in OCR_FAILURES.items():
    TRIGGERS.setdefault(_spec.name, lambda f, c=_code: f.ocr(marked_image(c)))


def _raw(flow: Flow, method: str = "post", path: str = OCR_PATH, **kwargs):
    response = getattr(flow.http, method)(path, **kwargs)
    return response.status_code, response.get_json(), response


def test_every_catalogue_entry_has_a_trigger():
    assert set(TRIGGERS) == set(CATALOGUE)


@pytest.mark.fidelity("F-ANS-1", "F-ANS-3", "F-ANS-4", "F-ANS-5")
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_catalogue_entry_is_answered_as_catalogued(app, flow: Flow, name):
    app.extensions["idcard_mock"].service.recognizer.add(CodeRecognizer())
    spec = CATALOGUE[name]
    status, body, response = TRIGGERS[name](flow)
    assert status == spec.http_status
    assert (body["code"], body["msg"]) == (spec.code, spec.msg)
    assert body["success"] is False and "result" not in body
    assert response.headers["X-Mock-Detail"]
