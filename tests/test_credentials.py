"""Access token and ticket lifecycles (§2, §3), driven by the injected clock."""

from __future__ import annotations

import re

import pytest

from mock_server.app import create_app
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings
from tests.support import VERSION, Flow, card_image

ILLEGAL = ("400101", "不合法的请求")


def token_params(**overrides):
    params = {"appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET,
              "grant_type": "client_credential", "version": VERSION}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def code_msg(body):
    return body["code"], body["msg"]


@pytest.mark.fidelity("F-TOK-1", "F-TOK-3", "F-TOK-9", "F-ANS-13")
def test_token_answer_has_the_documented_envelope(flow: Flow):
    status, body, _ = flow.get("/api/oauth2/access_token", token_params())
    assert status == 200
    assert body["code"] == "0" and body["msg"] == "请求成功" and body["success"] is True
    assert body["expire_in"] == 7200
    assert re.fullmatch(r"[A-Za-z0-9]{64}", body["access_token"])
    assert re.fullmatch(r"\d{32}", body["bizSeqNo"])
    # expire_time = transactionTime + 2 h exactly, as in the captured answer (§2).
    assert body["transactionTime"] == "20260101080000"
    assert body["expire_time"] == "20260101100000"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({}, "required"),
        (token_params(secret="x" * 64), "secret"),
        (token_params(appId="NOSUCHAP"), "not configured"),
        (token_params(grant_type="CLIENT_CREDENTIAL"), "grant_type"),
        (token_params(secret=None), "secret"),
        (token_params(version=None), "version"),
        (token_params(appId="TOOLONGAPPID"), "appId"),
    ],
    ids=["no-params", "wrong-secret", "unknown-app", "grant-type-case", "no-secret",
         "no-version", "app-id-too-long"],
)
@pytest.mark.fidelity("F-TOK-10")
def test_bad_token_requests_get_400101_and_no_token(flow: Flow, params, detail):
    status, body, response = flow.get("/api/oauth2/access_token", params)
    assert status == 200  # errors travel in-body (§8)
    assert code_msg(body) == ILLEGAL
    assert "access_token" not in body
    assert detail in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-TOK-2")
def test_previous_token_overlaps_the_new_one_for_60_seconds(flow: Flow, clock):
    first = flow.get_token()
    clock.advance(600)
    second = flow.get_token()
    assert flow.get_ticket() and first != second
    clock.advance(59)
    flow.token = first
    assert flow.get_ticket()  # still inside the minute
    clock.advance(2)
    _, body, response = flow.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": first, "type": "SIGN", "version": VERSION})
    assert code_msg(body) == ILLEGAL and "access_token" in response.headers["X-Mock-Detail"]
    flow.token = second
    assert flow.get_ticket()


@pytest.mark.fidelity("F-TOK-1")
def test_token_expires_after_7200_seconds(flow: Flow, clock):
    flow.get_token()
    clock.advance(7199)
    assert flow.get_ticket()
    clock.advance(1)
    _, body, _ = flow.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": flow.token, "type": "SIGN", "version": VERSION})
    assert code_msg(body) == ILLEGAL


@pytest.mark.fidelity("F-TOK-5", "F-TOK-9")
def test_sign_ticket_answer(flow: Flow):
    flow.get_token()
    _, body, _ = flow.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": flow.token, "type": "SIGN", "version": VERSION})
    assert body["code"] == "0" and body["success"] is True
    (ticket,) = body["tickets"]
    assert ticket["expire_in"] == 3600 and re.fullmatch(r"[A-Za-z0-9]{64}", ticket["value"])
    # expire_time = transactionTime + 1 h - 1 s, as in the captured answer (§3).
    assert body["transactionTime"] == "20260101080000"
    assert ticket["expire_time"] == "20260101085959"


@pytest.mark.fidelity("F-TOK-5", "F-TOK-6")
def test_nonce_ticket_needs_user_id_and_lives_120_seconds(flow: Flow):
    flow.get_token()
    params = {"appId": DEFAULT_APP_ID, "access_token": flow.token, "type": "NONCE",
              "version": VERSION}
    _, body, _ = flow.get("/api/oauth2/api_ticket", params)
    assert code_msg(body) == ILLEGAL
    _, body, _ = flow.get("/api/oauth2/api_ticket", {**params, "user_id": "user0001"})
    assert body["code"] == "0" and body["tickets"][0]["expire_in"] == 120
    assert body["tickets"][0]["expire_time"] == "20260101080159"


@pytest.mark.fidelity("F-TOK-5", "F-TOK-7")
def test_a_capped_ticket_says_so_in_expire_in_and_expire_time(flow: Flow, clock):
    """A SIGN ticket fetched 6000 s into its token's life lives the 1200 s the token has left."""
    flow.get_token()
    clock.advance(6000)
    _, body, _ = flow.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": flow.token, "type": "SIGN", "version": VERSION})
    (ticket,) = body["tickets"]
    assert body["transactionTime"] == "20260101094000"
    assert ticket["expire_in"] == 1200 and ticket["expire_time"] == "20260101095959"


@pytest.mark.fidelity("F-TOK-10")
@pytest.mark.parametrize(
    ("overrides", "detail"),
    [({"type": "sign"}, "type"), ({"type": "OTHER"}, "type"),
     ({"access_token": "nosuchtoken"}, "access_token"), ({"appId": "NOSUCHAP"}, "not configured")],
    ids=["lowercase-type", "unknown-type", "unknown-token", "unknown-app"],
)
def test_bad_ticket_requests_get_400101(flow: Flow, overrides, detail):
    flow.get_token()
    params = {"appId": DEFAULT_APP_ID, "access_token": flow.token, "type": "SIGN",
              "version": VERSION, **overrides}
    _, body, response = flow.get("/api/oauth2/api_ticket", params)
    assert code_msg(body) == ILLEGAL and "tickets" not in body
    assert detail in response.headers["X-Mock-Detail"]


def test_token_of_another_app_does_not_buy_a_ticket(clock):
    apps = {DEFAULT_APP_ID: DEFAULT_SECRET, "TIDA0002": "s" * 64}
    app = create_app(Settings(db=":memory:", strict=True, apps=apps), clock=clock)
    other = Flow(app.test_client(), app_id="TIDA0002", secret="s" * 64)
    other.get_token()
    _, body, _ = other.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": other.token, "type": "SIGN", "version": VERSION})
    assert code_msg(body) == ILLEGAL


@pytest.mark.fidelity("F-TOK-4")
def test_sign_ticket_expires_after_3600_seconds(flow: Flow, clock):
    flow.get_ticket()
    clock.advance(3599)
    assert flow.ocr(card_image())[1]["code"] == "0"
    clock.advance(1)
    _, body, response = flow.ocr(card_image())
    assert code_msg(body) == ILLEGAL
    assert "expired SIGN ticket" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-TOK-7")
def test_a_ticket_dies_with_its_token(flow: Flow, clock):
    flow.get_ticket()
    clock.advance(1000)
    flow.get_token()  # refresh: the old token keeps 60 s
    clock.advance(61)
    _, body, response = flow.ocr(card_image())
    assert code_msg(body) == ILLEGAL
    assert "access_token has expired" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-TOK-4")
def test_previous_sign_ticket_overlaps_the_new_one_for_60_seconds(flow: Flow, clock):
    old = flow.get_ticket()
    new = flow.get_ticket()
    assert old != new
    flow.ticket = old
    clock.advance(59)
    assert flow.ocr(card_image())[1]["code"] == "0"
    clock.advance(2)
    assert code_msg(flow.ocr(card_image())[1]) == ILLEGAL
    flow.ticket = new
    assert flow.ocr(card_image())[1]["code"] == "0"


@pytest.mark.fidelity("F-TOK-8")
def test_changing_the_secret_invalidates_tokens_across_a_restart(tmp_path, clock):
    db = str(tmp_path / "mock.sqlite3")
    first = Flow(create_app(Settings(db=db), clock=clock).test_client())
    first.get_ticket()
    same = Flow(create_app(Settings(db=db), clock=clock).test_client(), token=first.token)
    assert same.get_ticket()
    changed_app = create_app(Settings(db=db, apps={DEFAULT_APP_ID: "n" * 64}), clock=clock)
    changed = Flow(changed_app.test_client(), secret="n" * 64, token=first.token)
    _, body, _ = changed.get("/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": first.token, "type": "SIGN", "version": VERSION})
    assert code_msg(body) == ILLEGAL


@pytest.mark.fidelity("F-SIGN-3")
@pytest.mark.parametrize("live", [64, 65])
@pytest.mark.parametrize("apart", [0.0, 0.5])
def test_a_sign_is_tried_against_the_64_newest_live_sign_tickets(flow: Flow, clock, live, apart):
    """All `live` SIGN tickets are within their 60 s overlap (F-TOK-4); a sign made with any of
    the 64 newest verifies, one made with an older live ticket does not."""
    tickets = []
    for _ in range(live):
        tickets.append(flow.get_ticket())
        clock.advance(apart)
    assert len(set(tickets)) == live
    oldest, *_, newest = tickets

    def ocr_code(ticket: str) -> str:
        flow.ticket = ticket
        return flow.ocr(card_image())[1]["code"]

    assert ocr_code(newest) == "0"
    assert ocr_code(tickets[-64]) == "0"
    if live > 64:
        assert ocr_code(oldest) == ILLEGAL[0]
