"""Tokens, tickets and the request sign (api-facts §1-§3, §5b)."""

from __future__ import annotations

import pytest
import requests

from contract_tests.kit import Kit, OcrCall, ocr_call, user_id
from mock_server import signing
from mock_server.client import TICKET_PATH, TOKEN_PATH, KycClient, KycError
from mock_server.pytest_plugin import Target

ILLEGAL_REQUEST = ("400101", "不合法的请求")


def _code_msg(body: object) -> tuple[object, object]:
    return (body.get("code"), body.get("msg")) if isinstance(body, dict) else (None, None)


@pytest.fixture(scope="session")
def wrong_sign_call(client: KycClient, target: Target) -> OcrCall:
    """An OCR call whose sign covers a nonce other than the one sent: a wrong sign (§1)."""
    ticket = client.sign_ticket()
    body = client.ocr_body(target.portrait_image, ticket=ticket)
    body["sign"] = signing.request_sign(client.app_id, body["orderNo"], body["nonce"][::-1] + "x",
                                        client.version, ticket)
    return OcrCall("portrait", target.portrait_image, body["orderNo"], None, ticket,
                   client.post_ocr(body))


def test_access_token_answer(client: KycClient, kit: Kit) -> None:
    """code "0", a token, and expire_in a number of seconds of at most 7200 (§2)."""
    assert kit.token_exchange is not None, "no access_token answer was recorded"
    body = kit.token_exchange.body
    assert body.get("code") == "0", f"access_token answered {_code_msg(body)}"
    assert isinstance(body.get("access_token"), str) and body["access_token"], "no access_token"
    expire_in = body.get("expire_in")
    assert isinstance(expire_in, int) and 0 < expire_in <= 7200, (
        f"access_token expire_in {expire_in!r}: expected seconds, at most 7200 (§2)"
    )


def test_sign_ticket_answer(client: KycClient, kit: Kit) -> None:
    """Exactly one SIGN ticket, living at most 3600 s (§3)."""
    assert kit.sign_ticket_exchange is not None, "no SIGN ticket answer was recorded"
    body = kit.sign_ticket_exchange.body
    assert body.get("code") == "0", f"api_ticket (SIGN) answered {_code_msg(body)}"
    tickets = body.get("tickets")
    assert isinstance(tickets, list) and len(tickets) == 1, "tickets must hold exactly one ticket"
    expire_in = tickets[0].get("expire_in")
    assert isinstance(expire_in, int) and 0 < expire_in <= 3600, (
        f"SIGN ticket expire_in {expire_in!r}: expected seconds, at most 3600 (§3)"
    )


def test_nonce_ticket_is_fresh_per_use(client: KycClient, kit: Kit) -> None:
    """A NONCE ticket per use (single use, 120 s), never the SIGN ticket (§3)."""
    user = user_id()
    first, second = client.nonce_ticket(user), client.nonce_ticket(user)
    assert first != second, "two NONCE ticket calls gave the same ticket; they are single use"
    assert client.sign_ticket() not in (first, second), "a NONCE ticket equals the SIGN ticket"
    expire_in = kit.last("api_ticket").body["tickets"][0].get("expire_in")
    assert isinstance(expire_in, int) and 0 < expire_in <= 120, (
        f"NONCE ticket expire_in {expire_in!r}: expected seconds, at most 120 (§3)"
    )


def test_wrong_secret_is_refused(kit: Kit, target: Target) -> None:
    """A secret that is not the app's gets no token: a non-zero code (§2)."""
    wrong = kit.client(secret=("0" if target.secret[:1] != "0" else "1") + target.secret[1:])
    with pytest.raises(KycError) as refused:
        wrong.fetch_access_token()
    assert refused.value.code not in ("", "0"), "a wrong secret was not answered with an error code"


def test_missing_parameters_are_400101(client: KycClient) -> None:
    """The token call without parameters answers 400101 不合法的请求 (§2, §5b)."""
    raw = client.request("GET", TOKEN_PATH)
    assert _code_msg(raw.body) == ILLEGAL_REQUEST, (
        f"access_token without parameters answered {_code_msg(raw.body)}, expected 400101"
    )


def test_wrong_sign_is_refused_with_400101(wrong_sign_call: OcrCall) -> None:
    """A sign over other values than those sent is refused: 400101 不合法的请求 (§1, §5b)."""
    assert _code_msg(wrong_sign_call.body) == ILLEGAL_REQUEST, (
        f"a wrong sign was answered {_code_msg(wrong_sign_call.body)}, expected 400101 不合法的请求"
    )


def test_user_id_is_not_signed(portrait_call: OcrCall) -> None:
    """The portrait call carried a userId that its sign left out, and was accepted (§1)."""
    assert portrait_call.user_id is not None, "the portrait call was sent without a userId"
    assert _code_msg(portrait_call.body)[0] == "0", (
        f"a call with an unsigned userId was answered {_code_msg(portrait_call.body)}: "
        "userId must not be part of the sign"
    )


def test_sign_is_case_insensitive(client: KycClient, target: Target) -> None:
    """The same sign in lowercase hex is accepted (§1: the comparison ignores case)."""
    call = ocr_call(client, "portrait", target.portrait_image, lowercase_sign=True)
    assert _code_msg(call.body)[0] == "0", (
        f"a lowercase sign was answered {_code_msg(call.body)}; the sign is case-insensitive"
    )


def test_nonce_ticket_is_refused_for_server_calls(client: KycClient, target: Target) -> None:
    """A sign made with a NONCE ticket does not authorise a server call: 400101 (§1, §3)."""
    ticket = client.nonce_ticket(user_id())
    body = client.ocr_body(target.portrait_image, ticket=ticket)
    raw = client.post_ocr(body)
    assert _code_msg(raw.body) == ILLEGAL_REQUEST, (
        f"an OCR call signed with a NONCE ticket was answered {_code_msg(raw.body)}, expected 400101"
    )


@pytest.mark.observe("error envelope shape, fidelity notes: Answers")
def test_error_envelope(wrong_sign_call: OcrCall) -> None:
    """An error is HTTP 200 with {code, msg, bizSeqNo, transactionTime, success: false} and no
    result (observed HTTP status, §8; envelope assumed, §5 open question 4)."""
    body = wrong_sign_call.body
    assert wrong_sign_call.raw.status == 200, f"an error came with HTTP {wrong_sign_call.raw.status}"
    assert isinstance(body, dict), "the error answer is not a JSON object"
    assert "result" not in body, "an error envelope carries result"
    assert body.get("success") is False, "an error envelope without success: false"
    for key in ("bizSeqNo", "transactionTime"):
        assert key in body, f"an error envelope without {key}"


@pytest.mark.observe("the vendor gives no finer code than 400101, fidelity notes: errors")
def test_wrong_secret_is_400101(kit: Kit, target: Target) -> None:
    wrong = kit.client(secret=target.secret[::-1] + "x")
    raw = wrong.request("GET", TOKEN_PATH, params={
        "appId": target.app_id, "secret": target.secret[::-1] + "x",
        "grant_type": "client_credential", "version": "1.0.0"})
    assert _code_msg(raw.body) == ILLEGAL_REQUEST, f"a wrong secret was answered {_code_msg(raw.body)}"


@pytest.mark.mock_only("a new token shortens every other token of the app to 60 s (§2)")
def test_previous_token_keeps_working_right_after_a_refresh(kit: Kit, client: KycClient) -> None:
    first = kit.client()
    old_token, _ = first.fetch_access_token()
    kit.client().fetch_access_token()
    raw = first.request("GET", TICKET_PATH, params={
        "appId": first.app_id, "access_token": old_token, "type": "SIGN", "version": "1.0.0"})
    # The suite's own client lost its token to the refresh above; let it fetch a new one.
    client.invalidate()
    assert _code_msg(raw.body)[0] == "0", (
        f"the previous token was refused right after a refresh: {_code_msg(raw.body)} (§2: it "
        "keeps 60 s)"
    )


@pytest.mark.mock_only("the exact 60 s overlap (§2); moves the mock's clock")
def test_previous_token_dies_60_s_after_a_refresh(kit: Kit, client: KycClient, target: Target) -> None:
    if not target.started_here:
        pytest.skip("moves the clock of the mock: only on a mock this run started itself")
    first = kit.client()
    old_token, _ = first.fetch_access_token()
    kit.client().fetch_access_token()

    def ticket_code() -> object:
        raw = first.request("GET", TICKET_PATH, params={
            "appId": first.app_id, "access_token": old_token, "type": "SIGN", "version": "1.0.0"})
        return _code_msg(raw.body)[0]

    def advance(seconds: float) -> None:
        response = requests.post(f"{target.base_url}/_mock/clock/advance", json={"seconds": seconds},
                                 timeout=10)
        assert response.status_code == 200, f"the mock's clock did not move: HTTP {response.status_code}"

    try:
        advance(59)
        at_59 = ticket_code()
        advance(2)
        at_61 = ticket_code()
    finally:
        client.invalidate()
    assert (at_59, at_61) == ("0", "400101"), (
        f"the previous token answered {at_59} at 59 s and {at_61} at 61 s after a refresh; "
        "expected 0 then 400101 (§2: a 60 s overlap)"
    )
