"""The request journal: what each call asked and got, newest first, bounded, never a secret."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from mock_server import masking
from mock_server.journal import LIMIT, Journal
from mock_server.signing import sign
from mock_server.store import SqliteStore
from tests.support import NONCE, VERSION, Flow, card_image, new_order_no


def journal(flow: Flow, **params) -> list[dict]:
    response = flow.http.get("/_mock/requests", query_string=params)
    assert response.status_code == 200
    return response.get_json()["requests"]


def test_each_call_is_an_entry_newest_first(flow: Flow):
    order_no = new_order_no()
    flow.ocr(card_image(1), order_no)
    flow.ocr_result(order_no)
    entries = journal(flow)
    assert [e["endpoint"] for e in entries] == ["getOcrResult", "idcardocrapp", "api_ticket",
                                               "access_token"]
    ocr = entries[1]
    assert ocr["time"] == "2026-01-01T08:00:00.000+08:00"  # the injected clock's time
    assert (ocr["orderNo"], ocr["code"], ocr["http_status"]) == (order_no, "0", 200)
    assert ocr["sign"] == {"verdict": "ok"} and ocr["scenario"] is None
    assert ocr["answer"]["result"]["side"] == "portrait"
    assert entries[3]["sign"] is None  # access_token is not signed


def test_failures_carry_the_vendor_code_and_the_mock_detail(flow: Flow):
    order_no = new_order_no()
    flow.ocr_result(order_no)
    entry = journal(flow, limit=1)[0]
    assert (entry["code"], entry["orderNo"]) == ("66660020", order_no)
    assert order_no in entry["detail"]


def test_scenario_and_order_filter(flow: Flow):
    order_no = new_order_no()
    flow.ocr(card_image(2))
    flow.post("/api/paas/idcardocrapp", flow.ocr_body(card_image(3), order_no),
              headers={"X-Mock-Scenario": "ocr-card-expired"})
    entries = journal(flow, orderNo=order_no)
    assert len(entries) == 1
    assert (entries[0]["scenario"], entries[0]["scenario_source"], entries[0]["code"]) == (
        "ocr-card-expired", "header", "66661003")


def test_delete_empties_it(flow: Flow):
    flow.get_token()
    assert flow.http.delete("/_mock/requests").status_code == 200
    assert journal(flow) == []


@pytest.mark.fidelity("F-SCN-16")
def test_it_is_bounded_and_keeps_the_newest(tmp_path):
    store = SqliteStore(tmp_path / "j.db")
    small = Journal(store, limit=3)
    for i in range(5):
        small.record({"orderNo": f"o{i}", "endpoint": "x"})
    assert [e["orderNo"] for e in small.entries()] == ["o4", "o3", "o2"]
    assert Journal(store).limit == LIMIT == 1000


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_bad_limit_is_refused(flow: Flow, limit):
    assert flow.http.get(f"/_mock/requests?limit={limit}").status_code == 400


@pytest.mark.fidelity("F-SCN-16")
def test_never_a_full_secret_token_ticket_image_or_id_number(flow: Flow):
    """A busy session: tokens, both ticket kinds, OCR with images, a wrong secret, a bad sign,
    getOcrResult with the photos. None of its secrets appears in the journal."""
    image = card_image(4)
    token = flow.get_token()
    nonce_ticket = flow.get_ticket("NONCE", user_id="user42")
    ticket = flow.get_ticket()
    order_no = new_order_no()
    answer = flow.ocr(image, order_no)[1]
    idcard = answer["result"]["idcard"]
    flow.get("/api/oauth2/access_token", {"appId": flow.app_id, "secret": "x" * 64,
                                          "grant_type": "client_credential", "version": VERSION})
    bad = flow.ocr_body(image, new_order_no())
    bad["sign"] = sign([flow.app_id, bad["orderNo"], NONCE, VERSION, nonce_ticket])
    flow.post("/api/paas/idcardocrapp", bad)
    for mistake in (ticket + "\n", quote(ticket + "+/", safe="")):
        bad["sign"] = sign([flow.app_id, bad["orderNo"], NONCE, VERSION, mistake])
        flow.post("/api/paas/idcardocrapp", bad)
    photos = flow.ocr_result(order_no, get_file="1")[1]["result"]
    assert photos["frontPhoto"] and photos["idcard"] == idcard
    text = flow.http.get("/_mock/requests").get_data(as_text=True)
    secrets = {"secret": flow.secret, "token": token, "SIGN ticket": ticket,
               "NONCE ticket": nonce_ticket, "ID number": idcard,
               "image": base64.b64encode(image).decode()[:64], "photo": photos["frontPhoto"][:64]}
    for what, value in secrets.items():
        assert value not in text, f"the journal holds a full {what}"
    # ... but shows them masked, recognisably.
    for value in (flow.secret, token, ticket):
        assert masking.secret(value) in text
    assert idcard[:6] + "********" + idcard[-4:] in text
    entries = json.loads(text)["requests"]
    mismatch = [e for e in entries if (e["sign"] or {}).get("verdict") == "mismatch"]
    assert [e["sign"]["mistakes"] for e in mismatch] == [["unknown"], ["whitespace"]]
    assert masking.secret(ticket) in mismatch[0]["sign"]["expected"]


def test_masking_formats():
    assert masking.secret("FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S") == "FxlA…(64)"
    assert masking.secret("abc") == "***(3)"
    assert masking.id_number("11010519491231002X") == "110105********002X"
    assert masking.id_number("123") == "***"
    assert masking.field("idcardStr", "QUJD" * 10) == "(40 characters, not kept)"
    assert masking.field("nonce", NONCE) == NONCE
    assert masking.field("sign", "ABCDEF0123" * 4) == "ABCDEF0123" * 4
    assert masking.field("nonce", "T" * 64) == "TTTT…(64)"  # a ticket sent in the wrong field


@pytest.mark.fidelity("F-ANS-7")
def test_header_values_are_printable_ascii_whatever_the_input():
    every = "".join(chr(c) for c in range(0x300)) + "\u2026\ud800\U0001f600"
    value = masking.ascii_header(every)
    assert all(0x20 <= ord(c) < 0x7f for c in value)
    assert masking.ascii_header("a\x00b\x7fc\r\n") == "a\\x00b\\x7fc\\x0d\\x0a"
    assert masking.ascii_header("FxlA…(64) 身") == "FxlA...(64) \\u8eab"


@pytest.mark.fidelity("F-SCN-16")
def test_an_id_number_in_any_field_is_masked(flow: Flow):
    """Not only the fields named idcard: a userId, an orderNo, and the details and diagnosis that
    repeat them."""
    number = "340621197709022835"
    flow.ocr(card_image(5), userId=number)
    order_no = f"A{number}"
    body = flow.ocr_body(card_image(5), order_no)
    body["sign"] = "0" * 40
    flow.post("/api/paas/idcardocrapp", body)
    flow.ocr_result(f"B{number}")
    text = flow.http.get("/_mock/requests").get_data(as_text=True)
    assert number not in text
    entries = json.loads(text)["requests"]
    assert entries[0]["detail"] == ("app TIDA0001 has no order B340621********2835 (never sent, or past "
                                    "its retention)")
    assert entries[1]["orderNo"] == "A340621********2835"
    assert "A340621********2835" in entries[1]["sign"]["expected"]
    assert entries[2]["request"]["userId"] == "340621********2835"
    assert flow.http.get("/_mock/requests", query_string={"orderNo": order_no}).get_json()[
        "requests"][0]["id"] == entries[1]["id"]
