"""Tokens, tickets and the request sign (§1-§3, §5b)."""

from __future__ import annotations

import pytest

from contract_tests.client import Client, Refused
from contract_tests.kit import Kit, OcrCall, ocr_call, user_id
from contract_tests.signing import request_sign
from contract_tests.target import Target
from contract_tests.vendor import (
    ILLEGAL_REQUEST,
    NONCE_TICKET_LIFETIME,
    SIGN_TICKET_LIFETIME,
    TICKET_PATH,
    TOKEN_LIFETIME,
    TOKEN_PATH,
)


@pytest.fixture(scope="session")
def wrong_sign_call(client: Client, target: Target) -> OcrCall:
    """An OCR call whose sign covers a nonce other than the one sent: a wrong sign (§1)."""
    ticket = client.sign_ticket()
    body = client.ocr_body(target.portrait_image, ticket=ticket)
    body["sign"] = request_sign(client.app_id, body["orderNo"], body["nonce"][::-1] + "x",
                                body["version"], ticket)
    return OcrCall("portrait", target.portrait_image, body["orderNo"], None, ticket,
                   client.post_ocr(body))


def test_access_token_answer(client: Client, kit: Kit) -> None:
    """code "0", a token, and expire_in the token's lifetime of 7200 s (§2)."""
    assert kit.token_answer is not None, "no access_token answer was recorded"
    body = kit.token_answer.body
    assert body.get("code") == "0", f"access_token answered {kit.token_answer.answer.code_msg()}"
    assert isinstance(body.get("access_token"), str) and body["access_token"], "no access_token"
    expire_in = body.get("expire_in")
    assert isinstance(expire_in, int) and expire_in == TOKEN_LIFETIME, (
        f"access_token expire_in {expire_in!r}: a new token lives {TOKEN_LIFETIME} s (§2)"
    )


def test_sign_ticket_answer(client: Client, kit: Kit) -> None:
    """Exactly one SIGN ticket, living 3600 s (§3)."""
    assert kit.sign_ticket_answer is not None, "no SIGN ticket answer was recorded"
    body = kit.sign_ticket_answer.body
    assert body.get("code") == "0", (
        f"api_ticket (SIGN) answered {kit.sign_ticket_answer.answer.code_msg()}"
    )
    tickets = body.get("tickets")
    assert isinstance(tickets, list) and len(tickets) == 1, "tickets must hold exactly one ticket"
    expire_in = tickets[0].get("expire_in")
    assert isinstance(expire_in, int) and expire_in == SIGN_TICKET_LIFETIME, (
        f"SIGN ticket expire_in {expire_in!r}: a SIGN ticket lives {SIGN_TICKET_LIFETIME} s (§3)"
    )


def test_nonce_ticket_is_fresh_per_use(client: Client, kit: Kit) -> None:
    """A NONCE ticket per use (single use, 120 s), never the SIGN ticket (§3)."""
    user = user_id()
    first, second = client.nonce_ticket(user), client.nonce_ticket(user)
    assert first != second, "two NONCE ticket calls gave the same ticket; they are single use"
    assert client.sign_ticket() not in (first, second), "a NONCE ticket equals the SIGN ticket"
    expire_in = kit.last("api_ticket").body["tickets"][0].get("expire_in")
    assert isinstance(expire_in, int) and expire_in == NONCE_TICKET_LIFETIME, (
        f"NONCE ticket expire_in {expire_in!r}: a NONCE ticket lives {NONCE_TICKET_LIFETIME} s (§3)"
    )


def test_wrong_secret_is_refused(kit: Kit, target: Target) -> None:
    """A secret that is not the app's gets no token: a non-zero code (§2)."""
    wrong = kit.client(secret=("0" if target.secret[:1] != "0" else "1") + target.secret[1:])
    with pytest.raises(Refused) as refused:
        wrong.fetch_access_token()
    code = refused.value.answer.code_msg()[0]
    assert code is not None and str(code) not in ("", "0"), (
        f"a wrong secret was answered with code {code!r}, not an error code (§2)"
    )


def test_missing_parameters_are_400101(client: Client) -> None:
    """The token call without parameters answers 400101 不合法的请求 (§2, §5b)."""
    answer = client.request("GET", TOKEN_PATH)
    assert answer.code_msg() == ILLEGAL_REQUEST, (
        f"access_token without parameters answered {answer.code_msg()}, expected 400101"
    )


def test_wrong_sign_is_refused_with_400101(wrong_sign_call: OcrCall) -> None:
    """A sign over other values than those sent is refused: 400101 不合法的请求 (§1, §5b)."""
    assert wrong_sign_call.answer.code_msg() == ILLEGAL_REQUEST, (
        f"a wrong sign was answered {wrong_sign_call.answer.code_msg()}, expected 400101 不合法的请求"
    )


def test_signed_call_is_accepted(emblem_call: OcrCall) -> None:
    """An OCR call signed by the recipe of §1 is accepted. The suite's recipe is held to the
    vendor's worked examples A-E (test_sign_recipe.py)."""
    got = emblem_call.answer.code_msg()
    assert got[0] != ILLEGAL_REQUEST[0], (
        f"an OCR call signed as §1 prescribes was refused with {got}: the target's sign recipe is "
        "not SHA-1 over the sorted appId, orderNo, nonce, version and SIGN ticket (§1)"
    )


def test_user_id_is_not_signed(portrait_call: OcrCall) -> None:
    """The portrait call carried a userId that its sign left out, and was accepted (§1)."""
    assert portrait_call.user_id is not None, "the portrait call was sent without a userId"
    assert portrait_call.answer.code_msg()[0] == "0", (
        f"a call with an unsigned userId was answered {portrait_call.answer.code_msg()}: "
        "userId must not be part of the sign"
    )


def test_sign_is_case_insensitive(client: Client, target: Target) -> None:
    """The same sign in lowercase hex is accepted (§1: the comparison ignores case)."""
    call = ocr_call(client, "portrait", target.portrait_image, lowercase_sign=True)
    assert call.answer.code_msg()[0] == "0", (
        f"a lowercase sign was answered {call.answer.code_msg()}; the sign is case-insensitive (§1)"
    )


def test_nonce_ticket_is_refused_for_server_calls(client: Client, target: Target) -> None:
    """A sign made with a NONCE ticket does not authorise a server call: 400101 (§1, §3)."""
    ticket = client.nonce_ticket(user_id())
    answer = client.post_ocr(client.ocr_body(target.portrait_image, ticket=ticket))
    assert answer.code_msg() == ILLEGAL_REQUEST, (
        f"an OCR call signed with a NONCE ticket was answered {answer.code_msg()}, expected 400101"
    )


@pytest.mark.observe("error envelope shape, fidelity notes: Answers")
def test_error_envelope(wrong_sign_call: OcrCall) -> None:
    """An error is HTTP 200 with {code, msg, bizSeqNo, transactionTime, success: false} and no
    result (observed HTTP status, §8; envelope assumed, §5 open question 4)."""
    body = wrong_sign_call.body
    status = wrong_sign_call.answer.status
    assert status == 200, f"an error came with HTTP {status}"
    assert isinstance(body, dict), "the error answer is not a JSON object"
    assert "result" not in body, "an error envelope carries result"
    assert body.get("success") is False, "an error envelope without success: false"
    for key in ("bizSeqNo", "transactionTime"):
        assert key in body, f"an error envelope without {key}"


@pytest.mark.observe("the vendor gives no finer code than 400101, fidelity notes: errors")
def test_wrong_secret_is_400101(kit: Kit, target: Target) -> None:
    wrong = kit.client(secret=target.secret[::-1] + "x")
    answer = wrong.request("GET", TOKEN_PATH, params=wrong.token_params())
    assert answer.code_msg() == ILLEGAL_REQUEST, f"a wrong secret was answered {answer.code_msg()}"


@pytest.mark.mock_only("a new token shortens every other token of the app to 60 s (§2)")
def test_previous_token_keeps_working_right_after_a_refresh(kit: Kit, client: Client) -> None:
    first = kit.client()
    old_token = first.fetch_access_token()
    kit.client().fetch_access_token()
    answer = first.request("GET", TICKET_PATH, params=first.ticket_params(old_token, "SIGN"))
    # The suite's own client lost its token to the refresh above; let it fetch a new one.
    client.forget_credentials()
    assert answer.code_msg()[0] == "0", (
        f"the previous token was refused right after a refresh: {answer.code_msg()} (§2: it "
        "keeps 60 s)"
    )
