"""The error precedence: each call runs its checks in the order of `service.PRECEDENCE`, a
request that fails several checks is answered by the first, and docs/fidelity.md's tables are
that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.errors import ApiError
from mock_server.scenarios import OCR
from mock_server.service import (
    PRECEDENCE,
    base64_image,
    known_app,
    readable_image,
    requested_side,
    valid_sign,
)
from scripts.update_precedence_tables import END, START, block, update
from tests.support import Flow, b64, card_image, new_order_no

# One fault per check of idcardocrapp, each breaking that check alone.
OCR_FAULTS = {
    PRECEDENCE[OCR][0]: {"nonce": 12345},
    known_app: {"appId": "TIDA9999"},
    valid_sign: {"sign": "0" * 40},
    base64_image: {"idcardStr": "not Base64 at all!"},
    readable_image: {"idcardStr": b64(b"GIF89a, not a card")},
    requested_side: {"cardType": "1"},
}


def test_every_fault_here_breaks_a_check_of_idcardocrapp():
    assert set(OCR_FAULTS) <= set(PRECEDENCE[OCR])


@pytest.mark.parametrize("first", range(len(OCR_FAULTS)))
def test_a_request_failing_several_checks_is_answered_by_the_first(app, flow: Flow, first: int):
    """The faults of the checks from `first` on, together: the earliest check in PRECEDENCE
    answers, with one of the answers its row in the docs gives."""
    checks = [c for c in PRECEDENCE[OCR] if c in OCR_FAULTS]
    body = flow.ocr_body(card_image(7, side="portrait"))
    for check in reversed(checks[first:]):
        body.update(OCR_FAULTS[check])
    service = app.extensions["idcard_mock"].service
    with pytest.raises(ApiError) as raised:
        service.ocr(body)
    assert raised.value.name in checks[first].answers


def test_the_maintainer_script_rewrites_a_stale_block(tmp_path: Path):
    doc = tmp_path / "fidelity.md"
    doc.write_text(f"before\n{START}\n| stale |\n{END}\nafter\n", encoding="utf-8")
    update(doc)
    assert doc.read_text(encoding="utf-8") == f"before\n{block()}\nafter\n"


def test_fidelity_notes_show_the_precedence_the_service_runs():
    doc = (Path(__file__).parents[1] / "docs" / "fidelity.md").read_text(encoding="utf-8")
    assert block() in doc, (
        "docs/fidelity.md's precedence tables are stale: run "
        "`python scripts/update_precedence_tables.py docs/fidelity.md`"
    )



# The app id's spellings each call takes, from the vendor's pages (§2, §3, §6, §7); the others are
# no app id at all.
SPELLINGS = {
    "access_token": ("appId", "app_id"),
    "api_ticket": ("appId", "app_id"),
    "idcardocrapp": ("appId", "webankAppId"),
    "getOcrResult": ("app_id", "webankAppId"),
}
ALL_SPELLINGS = ("appId", "app_id", "webankAppId")
PATHS = {
    "access_token": "/api/oauth2/access_token",
    "api_ticket": "/api/oauth2/api_ticket",
    "idcardocrapp": "/api/paas/idcardocrapp",
    "getOcrResult": "/api/server/getOcrResult",
}


def _valid_request(flow: Flow, call: str) -> dict:
    """A request of `call` that succeeds as it is (an order exists for getOcrResult)."""
    if call == "access_token":
        return {"appId": flow.app_id, "secret": flow.secret, "grant_type": "client_credential",
                "version": "1.0.0"}
    if call == "api_ticket":
        return {"appId": flow.app_id, "access_token": flow.get_token(), "type": "SIGN",
                "version": "1.0.0"}
    order_no = new_order_no()
    if call == "idcardocrapp":
        return flow.ocr_body(card_image(3, side="portrait"), order_no)
    assert flow.ocr(card_image(3, side="portrait"), order_no)[1]["code"] == "0"
    return flow.result_params(order_no)


def _send(flow: Flow, call: str, request: dict):
    if call == "idcardocrapp":
        return flow.post(PATHS[call], request)
    return flow.get(PATHS[call], request)


def _respelled(request: dict, spelling: str) -> dict:
    (current,) = (k for k in ALL_SPELLINGS if k in request)
    respelled = {k: v for k, v in request.items() if k != current}
    respelled[spelling] = request[current]
    return respelled


@pytest.mark.fidelity("F-HOST-2")
@pytest.mark.parametrize("call,spelling", [(c, s) for c in SPELLINGS for s in ALL_SPELLINGS])
def test_each_call_takes_the_app_id_under_its_documented_spellings_only(flow: Flow, call, spelling):
    request = _respelled(_valid_request(flow, call), spelling)
    status, body, response = _send(flow, call, request)
    assert status == 200
    if spelling in SPELLINGS[call]:
        assert (body["code"], body["msg"]) == ("0", "请求成功"), body
    else:
        assert (body["code"], body["msg"]) == ("400101", "不合法的请求")
        names = ", ".join(SPELLINGS[call])
        assert response.headers["X-Mock-Detail"] == f"request: exactly one of {names} is required"


@pytest.mark.fidelity("F-HOST-2")
@pytest.mark.parametrize("call", SPELLINGS)
def test_two_spellings_of_the_app_id_at_once_are_refused(flow: Flow, call):
    first, second = SPELLINGS[call]
    request = _valid_request(flow, call)
    request[second] = request[first]
    _, body, _ = _send(flow, call, request)
    assert (body["code"], body["msg"]) == ("400101", "不合法的请求")
