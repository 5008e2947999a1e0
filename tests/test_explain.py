"""The sign explainer: each diagnosis, produced by a client that makes exactly that mistake."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from mock_server import explain
from mock_server.app import create_app
from mock_server.cli import main
from mock_server.clock import ManualClock
from mock_server.explain import SignedRequest, TicketCandidate, diagnose
from mock_server.explain import diagnosis as pure_diagnosis
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings
from mock_server.signing import request_sign, sign
from tests.support import VERSION, Flow, card_image, new_order_no

ILLEGAL = ("400101", "不合法的请求")
NONCE_1 = "N1onceN1onceN1onceN1onceN1once01"
NONCE_2 = "N2onceN2onceN2onceN2onceN2once02"
OTHER_APP = ("TIDB0002", "otherappsecret" * 4)


@pytest.fixture
def two_apps(clock: ManualClock):
    apps = {DEFAULT_APP_ID: DEFAULT_SECRET, OTHER_APP[0]: OTHER_APP[1]}
    return create_app(Settings(db=":memory:", strict=True, apps=apps), clock=clock)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


def body_for(flow: Flow, signed_with, *, nonce: str = NONCE_1, order_no: str | None = None, **extra):
    """An OCR body whose sign is `signed_with(app, order, nonce, version, ticket)`."""
    order_no = order_no or new_order_no()
    ticket = flow.ticket or flow.get_ticket()
    body = flow.ocr_body(card_image(1), order_no, **extra)
    body["nonce"] = nonce
    body["sign"] = signed_with(flow.app_id, order_no, nonce, VERSION, ticket)
    return body


def diagnosed(flow: Flow, body: dict, path: str = "/api/paas/idcardocrapp"):
    """Send the body; return (mistakes from the header, expected values, journal sign entry)."""
    if path.endswith("getOcrResult"):
        response = flow.http.get(path, query_string=body)
    else:
        response = flow.http.post(path, json=body)
    answer = response.get_json()
    assert (answer["code"], answer["msg"]) == ILLEGAL and "result" not in answer
    header = response.headers[explain.DIAGNOSIS_HEADER]
    mistakes, _, expected = header.partition("; expected=")
    entry = flow.http.get("/_mock/requests?limit=1").get_json()["requests"][0]
    assert entry["sign"]["mistakes"] == mistakes.split("+")
    assert entry["sign"]["explanation"] in response.headers["X-Mock-Detail"]
    return mistakes, json.loads(expected), entry["sign"]


# Each case: a client's way of signing, and the diagnosis that names it.
LIVE_TICKET_MISTAKES = {
    "sha256": lambda a, o, n, v, t: hashlib.sha256("".join(sorted([a, o, n, v, t])).encode()).hexdigest(),
    "md5": lambda a, o, n, v, t: hashlib.md5("".join(sorted([a, o, n, v, t])).encode()).hexdigest(),
    "hmac": lambda a, o, n, v, t: hmac.new(t.encode(), "".join(sorted([a, o, n, v])).encode(),
                                           hashlib.sha1).hexdigest(),
    "sign-signed": lambda a, o, n, v, t: sign([a, o, n, v, t, sign([a, o, n, v, t])]),
    "sorted-by-key": lambda a, o, n, v, t: sha1(a + n + o + t + v),  # appId nonce orderNo ticket version
    "not-sorted": lambda a, o, n, v, t: sha1(a + o + n + v + t),  # the documented parameter order
    "separator": lambda a, o, n, v, t: sha1(",".join(sorted([a, o, n, v, t]))),
    "key-value-pairs": lambda a, o, n, v, t: sha1(
        f"appId={a}&nonce={n}&orderNo={o}&ticket={t}&version={v}"),
    "missing-value": lambda a, o, n, v, t: sign([a, o, v, t]),  # nonce left out
    "wrong-version": lambda a, o, n, v, t: sign([a, o, n, "1.0", t]),
    "whitespace": lambda a, o, n, v, t: sign([a, o, n, v, t + "\n"]),  # ticket read from a file
}


@pytest.mark.fidelity("F-SCN-14")
@pytest.mark.parametrize("mistake", list(LIVE_TICKET_MISTAKES))
def test_mistake_with_the_live_ticket(flow: Flow, mistake):
    body = body_for(flow, LIVE_TICKET_MISTAKES[mistake])
    mistakes, expected, journal = diagnosed(flow, body)
    assert mistakes == mistake
    assert journal["verdict"] == ("malformed" if mistake in ("sha256", "md5") else "mismatch")
    masked_ticket = flow.ticket[:4] + "...(64)"
    assert masked_ticket in expected and flow.ticket not in json.dumps(expected)
    assert [v for v in expected if v != masked_ticket] == sorted(
        [flow.app_id, body["orderNo"], NONCE_1, VERSION])  # the request's own values, sorted


def test_expected_values_are_in_hash_order(flow: Flow):
    _, expected, _ = diagnosed(flow, body_for(flow, LIVE_TICKET_MISTAKES["not-sorted"]))
    real = [flow.ticket if v.endswith("...(64)") else v for v in expected]
    assert real == sorted(real)


def test_user_id_signed(flow: Flow):
    body = body_for(flow, lambda a, o, n, v, t: sign([a, o, n, v, t, "user42"]), userId="user42")
    assert diagnosed(flow, body)[0] == "user-id-signed"


def test_sdk_recipe_userid_instead_of_order_no(flow: Flow):
    body = body_for(flow, lambda a, o, n, v, t: sign([a, "user42", n, v, t]), userId="user42")
    assert diagnosed(flow, body)[0] == "sdk-recipe"


def test_extra_field_signed(flow: Flow):
    body = body_for(flow, lambda a, o, n, v, t: sign([a, o, n, v, t, "1"]), getNative="1")
    mistakes, _, journal = diagnosed(flow, body)
    assert mistakes == "extra-field-signed" and "getNative" in journal["explanation"]


def test_stale_nonce(flow: Flow):
    assert flow.post("/api/paas/idcardocrapp", body_for(flow, request_sign))[1]["code"] == "0"
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, NONCE_1, v, t), nonce=NONCE_2)
    mistakes, _, journal = diagnosed(flow, body)
    assert mistakes == "stale-nonce" and NONCE_1 in journal["explanation"]


def test_reused_sign_of_an_earlier_request(flow: Flow):
    first = body_for(flow, request_sign)
    assert flow.post("/api/paas/idcardocrapp", first)[1]["code"] == "0"
    body = body_for(flow, lambda *_: first["sign"], nonce=NONCE_2)
    assert diagnosed(flow, body)[0] == "reused-sign"


def test_nonce_ticket(flow: Flow):
    nonce_ticket = flow.get_ticket("NONCE", user_id="user42")
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, nonce_ticket))
    mistakes, _, journal = diagnosed(flow, body)
    assert mistakes == "nonce-ticket" and journal["verdict"] == "invalid-ticket"


def test_nonce_ticket_with_the_sdk_recipe(flow: Flow):
    nonce_ticket = flow.get_ticket("NONCE", user_id="user42")
    body = body_for(flow, lambda a, o, n, v, t: sign([a, "user42", n, v, nonce_ticket]), userId="user42")
    assert diagnosed(flow, body)[0] == "nonce-ticket+sdk-recipe"


def test_expired_nonce_ticket(flow: Flow, clock: ManualClock):
    nonce_ticket = flow.get_ticket("NONCE", user_id="user42")
    flow.get_ticket()
    clock.advance(121)
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, nonce_ticket))
    assert diagnosed(flow, body)[0] == "expired-nonce-ticket"


def test_expired_sign_ticket_after_a_refresh(flow: Flow, clock: ManualClock):
    old = flow.get_ticket()
    flow.get_ticket()  # the previous SIGN ticket keeps 60 s (§3)
    clock.advance(61)
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, old))
    mistakes, expected, journal = diagnosed(flow, body)
    assert mistakes == "expired-ticket" and journal["verdict"] == "invalid-ticket"
    assert flow.ticket[:4] + "...(64)" in expected  # what the mock expected: the live ticket


def test_ticket_of_an_expired_token(flow: Flow, clock: ManualClock):
    old_ticket = flow.get_ticket()
    flow.get_token()  # the previous token keeps 60 s (§2); its ticket dies with it
    flow.get_ticket()
    clock.advance(61)
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, old_ticket))
    assert diagnosed(flow, body)[0] == "ticket-of-expired-token"


def test_ticket_of_another_app(two_apps):
    flow, other = Flow(two_apps.test_client()), Flow(two_apps.test_client(), app_id=OTHER_APP[0],
                                                      secret=OTHER_APP[1])
    foreign = other.get_ticket()
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, foreign))
    assert diagnosed(flow, body)[0] == "other-app-ticket"


def test_no_live_ticket(flow: Flow, clock: ManualClock):
    flow.get_ticket()
    clock.advance(3601)  # the SIGN ticket expired; the token (7200 s) lives on
    body = body_for(flow, lambda *_: "AB" * 20)
    mistakes, expected, _ = diagnosed(flow, body)
    assert mistakes == "no-live-ticket" and expected[-1] == "(no live SIGN ticket)"


def test_unknown_mistake(flow: Flow):
    assert diagnosed(flow, body_for(flow, lambda *_: "AB" * 20))[0] == "unknown"


def test_getocrresult_is_diagnosed_with_its_own_parameter_names(flow: Flow):
    order_no = new_order_no()
    params = flow.result_params(order_no)
    params["sign"] = sha1(f"app_id={flow.app_id}&nonce={params['nonce']}&order_no={order_no}"
                          f"&ticket={flow.ticket}&version={VERSION}")
    assert diagnosed(flow, params, "/api/server/getOcrResult")[0] == "key-value-pairs"


def test_a_correct_sign_is_not_diagnosed(flow: Flow):
    status, body, response = flow.ocr(card_image(1))
    assert body["code"] == "0" and explain.DIAGNOSIS_HEADER not in response.headers
    entry = flow.http.get("/_mock/requests?limit=1").get_json()["requests"][0]
    assert entry["sign"] == {"verdict": "ok"}


def test_other_shape_failures_are_not_diagnosed(flow: Flow):
    body = body_for(flow, request_sign)
    body["nonce"] = "not a nonce!"
    response = flow.http.post("/api/paas/idcardocrapp", json=body)
    assert response.get_json()["code"] == "400101"
    assert explain.DIAGNOSIS_HEADER not in response.headers


# -- the pure function and the command line ----------------------------------------------------

# A ticket with characters that URL-encoding changes (the vendor's ticket alphabet is undocumented;
# the mock's own tickets are alphanumeric, so this mistake shows only with such values).
ODD_TICKET = "ab+cd/ef=gh" * 4
REQUEST = dict(app_id="appId001", order_no="aabc1457895464", nonce="kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
               version=VERSION)


def test_url_encoded_value():
    given = sign([*REQUEST.values(), quote(ODD_TICKET, safe="")])
    diagnosis = diagnose(SignedRequest(**REQUEST, sign=given), [TicketCandidate(ODD_TICKET)])
    assert diagnosis.mistakes == ("url-encoded",)


def test_every_diagnosis_is_covered_by_a_test_here():
    request = SignedRequest(**REQUEST, sign="0" * 40, user_id="u1", extras={"getNative": "1"})
    produced = {m for m, _, _ in pure_diagnosis._attempts(request, ODD_TICKET, [("o1", "n1")], live=True)}
    produced |= set(explain.TICKET_MISTAKES) | {explain.NO_LIVE_TICKET, explain.UNKNOWN}
    tested = set(LIVE_TICKET_MISTAKES) | {
        "user-id-signed", "sdk-recipe", "extra-field-signed", "stale-nonce", "reused-sign",
        "nonce-ticket", "expired-nonce-ticket", "expired-ticket", "ticket-of-expired-token",
        "other-app-ticket", "no-live-ticket", "unknown", "url-encoded",
    }
    assert produced == tested


def run_explain(*args):
    return CliRunner().invoke(main, ["sign", "explain", "--app-id", REQUEST["app_id"],
                                     "--order-no", REQUEST["order_no"], "--nonce", REQUEST["nonce"],
                                     *args])


def test_cli_explains_a_mistake_and_exits_1():
    ticket = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S"
    given = sign([*REQUEST.values(), ticket, "user42"])
    result = run_explain("--ticket", ticket, "--sign", given, "--user-id", "user42")
    assert result.exit_code == 1
    assert "user-id-signed" in result.output and "993D057C652D97FD90D5D298F2E5DC4B8D893CBC" in result.output
    assert ticket not in result.output and "FxlA…(64)" in result.output


def test_cli_accepts_the_documented_example_and_exits_0():
    result = run_explain("--ticket", "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S",
                         "--sign", "993d057c652d97fd90d5d298f2e5dc4b8d893cbc")
    assert result.exit_code == 0 and "correct" in result.output


def test_cli_knows_other_tickets_and_earlier_nonces():
    ticket, stale = "T" * 64, "S" * 64
    result = run_explain("--ticket", ticket, "--expired-ticket", stale,
                         "--sign", sign([*REQUEST.values(), stale]))
    assert result.exit_code == 1 and "expired-ticket" in result.output
    stale_sign = sign([REQUEST["app_id"], REQUEST["order_no"], "oldnonce", VERSION, ticket])
    result = run_explain("--ticket", ticket, "--previous", "aabc1457895464=oldnonce", "--sign", stale_sign)
    assert "stale-nonce" in result.output
    encoded_sign = sign([*REQUEST.values(), quote(ODD_TICKET, safe="")])
    result = run_explain("--ticket", ODD_TICKET, "--sign", encoded_sign)
    assert "url-encoded" in result.output


def test_sign_values_still_prints_a_sign():
    result = CliRunner().invoke(main, ["sign", "a", "b", "c"])
    assert result.exit_code == 0 and result.output.strip() == sign(["a", "b", "c"])


def test_every_ticket_status_has_a_diagnosis():
    from mock_server.credentials import TICKET_STATUSES
    from mock_server.explain import TICKET_MISTAKES

    assert set(TICKET_MISTAKES) == set(TICKET_STATUSES)


# -- what strangers are told ----------------------------------------------------------------

STRANGER = {"REMOTE_ADDR": "192.0.2.10"}  # TEST-NET-1: not loopback
ADMIN_TOKEN = "explain-admin-token"


@pytest.fixture
def guarded_apps(clock: ManualClock):
    apps = {DEFAULT_APP_ID: DEFAULT_SECRET, OTHER_APP[0]: OTHER_APP[1]}
    return create_app(Settings(db=":memory:", strict=True, apps=apps, admin_token=ADMIN_TOKEN),
                      clock=clock)


def told(app, body: dict, **kwargs) -> tuple[str, str]:
    response = app.test_client().post("/api/paas/idcardocrapp", json=body, **kwargs)
    assert (response.get_json()["code"], response.get_json()["msg"]) == ILLEGAL
    return response.headers[explain.DIAGNOSIS_HEADER], response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-SCN-15")
def test_a_stranger_gets_the_diagnosis_name_without_ticket_characters(guarded_apps):
    flow = Flow(guarded_apps.test_client())
    ticket = flow.get_ticket()
    body = body_for(flow, LIVE_TICKET_MISTAKES["separator"])
    header, detail = told(guarded_apps, body, environ_base=STRANGER)
    assert header == "separator"
    assert detail == ("sign is not SHA-1 of the sorted appId, orderNo, nonce, version and a live "
                      "SIGN ticket of app TIDA0001; likely mistake: separator")
    assert ticket[:4] not in header + detail
    full, _ = told(guarded_apps, body)  # loopback: the whole account
    assert full.startswith("separator; expected=[") and f'"{ticket[:4]}...(64)"' in full
    with_token, _ = told(guarded_apps, body, environ_base=STRANGER,
                         headers={"X-Mock-Admin-Token": ADMIN_TOKEN})
    assert with_token == full


@pytest.mark.fidelity("F-SCN-15")
def test_a_stranger_is_not_told_that_a_ticket_belongs_to_another_app(guarded_apps):
    flow = Flow(guarded_apps.test_client())
    other = Flow(guarded_apps.test_client(), app_id=OTHER_APP[0], secret=OTHER_APP[1])
    flow.get_ticket()
    foreign = other.get_ticket()
    body = body_for(flow, lambda a, o, n, v, t: request_sign(a, o, n, v, foreign))
    header, detail = told(guarded_apps, body, environ_base=STRANGER)
    assert header == "unknown"
    assert "another app" not in detail and "other" not in detail and foreign[:4] not in detail
    assert detail.endswith("ticket of app TIDA0001; likely mistake: unknown")
    assert told(guarded_apps, body)[0].startswith("other-app-ticket; expected=")
