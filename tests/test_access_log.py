"""The access line: a vendor call's line carries its code; a failure its msg and the sign
diagnosis' name; the same fields ride on the record for the JSON format."""

from __future__ import annotations

import logging

import pytest

from mock_server import masking, signing
from mock_server.api import access_log
from tests.support import NONCE, VERSION, card_image, new_order_no

ID_NUMBER = "340621197709022835"


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.DEBUG, logger="idcard_mock.access")

    def read() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "idcard_mock.access"]

    return read


def test_a_success_carries_code_0_and_the_order(flow, lines):
    order_no = new_order_no()
    assert flow.ocr(card_image(1), order_no)[1]["code"] == "0"
    line = lines()[-1]
    assert line.getMessage().startswith("POST /api/paas/idcardocrapp 200 code=0 ")
    assert f"ms order={order_no} client=127.0.0.1 bytes=" in line.getMessage()
    assert (line.code, line.order, line.status) == ("0", order_no, 200)
    assert not hasattr(line, "sign") and not hasattr(line, "vendor_msg")


def test_a_wrong_sign_carries_the_msg_and_the_diagnosis_name(flow, lines):
    body = flow.ocr_body(card_image(2), userId="u1")
    body["sign"] = signing.sign([flow.app_id, body["orderNo"], NONCE, VERSION, flow.ticket, "u1"])
    assert flow.post("/api/paas/idcardocrapp", body)[1]["code"] == "400101"
    line = lines()[-1]
    assert line.getMessage().startswith(
        "POST /api/paas/idcardocrapp 200 code=400101 msg=不合法的请求 sign=user-id-signed ")
    assert (line.code, line.vendor_msg, line.sign) == ("400101", "不合法的请求", "user-id-signed")
    assert line.duration_ms >= 0


def test_a_scenario_and_an_order_number_that_is_an_id_number_masked(flow, lines):
    flow.http.post("/_mock/scenarios/next", json={"name": "ocr-card-expired"})
    assert flow.ocr(card_image(3), ID_NUMBER)[1]["code"] != "0"
    line = lines()[-1]
    assert "scenario=ocr-card-expired" in line.getMessage()
    assert line.order == masking.id_number(ID_NUMBER)
    assert ID_NUMBER not in line.getMessage()


def test_the_mocks_own_paths_carry_no_vendor_code_and_the_dashboard_is_quiet(flow, lines):
    flow.http.get("/_mock/health")
    flow.http.get(access_log.DASHBOARD_PATH)
    health, dashboard = lines()[-2:]
    assert health.getMessage().startswith("GET /_mock/health 200 ")
    assert health.levelno == logging.INFO and not hasattr(health, "code")
    assert dashboard.levelno == logging.DEBUG


def test_a_value_with_spaces_is_quoted_so_the_line_stays_readable():
    line = access_log.fields({"code": "x", "orderNo": 'a b"c'}, client="::1", method="GET",
                             path="/p", status=200, size=None, took_ms=1.0)
    assert access_log.text(line) == 'GET /p 200 code=x 1ms order="a b\\"c" client=::1'
