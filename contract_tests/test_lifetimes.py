"""How long tokens and tickets live, watched on the mock's own clock (vendor-api §2, §3).

Only a mock this run owns lets its clock be moved (`--kyc-may-move-clock`); these checks run
after all others, since moving the clock ages everything made before.
"""

from __future__ import annotations

import pytest
import requests

from contract_tests.client import Answer, Client
from contract_tests.kit import Kit
from contract_tests.target import Target
from contract_tests.vendor import (
    ILLEGAL_REQUEST,
    SIGN_TICKET_LIFETIME,
    TICKET_PATH,
    TOKEN_LIFETIME,
    TOKEN_OVERLAP,
)

pytestmark = [pytest.mark.moves_clock]
CLOCK_PATH = "/_mock/clock/advance"


def advance(target: Target, seconds: float) -> None:
    response = requests.post(target.base_url + CLOCK_PATH, json={"seconds": seconds}, timeout=10)
    assert response.status_code == 200, f"the mock's clock did not move: HTTP {response.status_code}"


def sign_ticket_call(client: Client, token: str) -> Answer:
    return client.request("GET", TICKET_PATH, params=client.ticket_params(token, "SIGN"))


@pytest.fixture
def fresh(kit: Kit, client: Client) -> Client:
    """A client of its own; the suite's shared client fetches new credentials afterwards."""
    yield kit.client()
    client.forget_credentials()


@pytest.mark.mock_only("the exact 60 s overlap (§2); moves the mock's clock")
def test_previous_token_dies_60_s_after_a_refresh(kit: Kit, fresh: Client, target: Target) -> None:
    old_token = fresh.fetch_access_token()
    kit.client().fetch_access_token()
    advance(target, TOKEN_OVERLAP - 1)
    before = sign_ticket_call(fresh, old_token).code_msg()[0]
    advance(target, 2)
    after = sign_ticket_call(fresh, old_token).code_msg()[0]
    assert (before, after) == ("0", ILLEGAL_REQUEST[0]), (
        f"the previous token answered {before} at {TOKEN_OVERLAP - 1} s and {after} at "
        f"{TOKEN_OVERLAP + 1} s after a refresh; expected 0 then 400101 (§2: a 60 s overlap)"
    )


@pytest.mark.mock_only("a token's lifetime on the mock's clock (§2)")
def test_token_lives_7200_s(fresh: Client, target: Target) -> None:
    token = fresh.fetch_access_token()
    advance(target, TOKEN_LIFETIME - 1)
    before = sign_ticket_call(fresh, token).code_msg()[0]
    advance(target, 2)
    after = sign_ticket_call(fresh, token).code_msg()[0]
    assert (before, after) == ("0", ILLEGAL_REQUEST[0]), (
        f"an access token answered {before} at {TOKEN_LIFETIME - 1} s and {after} at "
        f"{TOKEN_LIFETIME + 1} s; expected 0 then 400101 (§2: a token lives {TOKEN_LIFETIME} s)"
    )


@pytest.mark.mock_only("a SIGN ticket's lifetime on the mock's clock (§3)")
def test_sign_ticket_is_refused_after_3600_s(fresh: Client, target: Target) -> None:
    ticket = fresh.sign_ticket()
    image = target.portrait_image

    def ocr_code() -> object:
        body = fresh.ocr_body(image, ticket=ticket)
        return fresh.post_ocr(body).code_msg()[0]

    advance(target, SIGN_TICKET_LIFETIME - 61)
    before = ocr_code()
    advance(target, 62)
    after = ocr_code()
    assert (before, after) == ("0", ILLEGAL_REQUEST[0]), (
        f"an OCR call signed with a SIGN ticket answered {before} shortly before and {after} "
        f"after the ticket's {SIGN_TICKET_LIFETIME} s; expected 0 then 400101 (§3: a SIGN ticket "
        f"lives {SIGN_TICKET_LIFETIME} s)"
    )

