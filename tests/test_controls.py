"""The controls a test has over the mock, the same on each way of running it: `mock_kyc()`, the
in-process fixture `idcard_mock_kyc` and the served fixture `idcard_mock`. Each test drives the
mock with real HTTP calls (requests) the way a partner backend does, and checks what the
controls say and do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests

from mock_server import limits
from mock_server.controls import Controls
from mock_server.scenarios import ScenarioError
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from mock_server.testing import mock_kyc
from tests.support import Flow, card_image, new_order_no

WAYS = ["mock_kyc", "idcard_mock_kyc", "idcard_mock"]


@dataclass
class Way:
    kyc: Controls
    base: str  # where the code under test sends its calls

    def flow(self) -> Flow:
        return Flow(requests.Session(), base=self.base, app_id=self.kyc.app_id,
                    secret=self.kyc.secret)


@pytest.fixture(params=WAYS)
def way(request: pytest.FixtureRequest) -> Iterator[Way]:
    if request.param == "mock_kyc":
        with mock_kyc() as kyc:
            yield Way(kyc, "https://kyc1.qcloud.com")
    elif request.param == "idcard_mock_kyc":
        yield Way(request.getfixturevalue("idcard_mock_kyc"), "http://miniprogram-kyc.tencentcloudapi.com")
    else:
        mock = request.getfixturevalue("idcard_mock")
        yield Way(mock, mock.base_url)


def test_the_credentials_are_the_mocks(way: Way):
    assert (way.kyc.app_id, way.kyc.secret) == (DEFAULT_APP_ID, DEFAULT_SECRET)
    assert way.kyc.apps == {DEFAULT_APP_ID: DEFAULT_SECRET}
    assert way.flow().ocr(card_image(1))[1]["code"] == "0"
    assert hasattr(way.kyc, "base_url") == (way.base.startswith("http://127.0.0.1:"))


def test_a_scenario_plays_for_the_calls_inside_the_block(way: Way):
    flow = way.flow()
    flow.get_ticket()
    with way.kyc.scenario("ocr-card-expired"):
        assert flow.ocr(card_image(2))[1]["code"] == "66661003"
        assert flow.ocr(card_image(3))[1]["code"] == "66661003"
        with way.kyc.scenario("latency", ms=0):  # the inner block wins
            assert flow.ocr(card_image(2))[1]["code"] == "0"
        assert flow.ocr(card_image(2))[1]["code"] == "66661003"
    assert flow.ocr(card_image(2))[1]["code"] == "0"
    played = [(c["scenario"], c["scenario_source"]) for c in way.kyc.requests
              if c["endpoint"] == "idcardocrapp"]
    assert played == [("ocr-card-expired", "current")] * 2 + [("latency", "current"),
                                                             ("ocr-card-expired", "current"),
                                                             (None, None)]


def test_a_scenario_block_ends_when_the_block_fails(way: Way):
    with pytest.raises(RuntimeError, match="the test's own failure"), way.kyc.scenario("http-503"):
        raise RuntimeError("the test's own failure")
    assert way.flow().get_token()


def test_queue_plays_the_next_calls_it_applies_to(way: Way):
    flow = way.flow()
    flow.get_ticket()
    way.kyc.queue("http-503", count=2, endpoint="getOcrResult")
    assert flow.ocr(card_image(4), "q1")[1]["code"] == "0"  # not the endpoint asked for
    assert [flow.ocr_result("q1")[0] for _ in range(3)] == [503, 503, 200]
    way.kyc.queue("ocr-not-id-card")
    assert flow.ocr(card_image(4))[1]["code"] == "66661001"
    assert flow.ocr(card_image(4))[1]["code"] == "0"


@pytest.mark.parametrize(("call", "message"), [
    (lambda kyc: kyc.queue("no-such-scenario"), "unknown scenario"),
    (lambda kyc: kyc.queue("latency", ms=-5), "between"),
    (lambda kyc: kyc.queue("ocr-card-expired", endpoint="access_token"), "does not apply"),
    (lambda kyc: kyc.scenario("no-such-scenario").__enter__(), "unknown scenario"),
])
def test_a_scenario_the_mock_cannot_honour_is_refused(way: Way, call, message):
    with pytest.raises(ScenarioError, match=message):
        call(way.kyc)


def test_the_clock_moves_tokens_toward_expiry(way: Way):
    flow = way.flow()
    token = flow.get_token()
    before = way.kyc.now
    assert before.utcoffset() == timedelta(hours=8)  # Beijing time, as the vendor stamps it
    after = way.kyc.advance_clock(limits.ACCESS_TOKEN_TTL + 1)
    assert after - before >= timedelta(seconds=limits.ACCESS_TOKEN_TTL + 1)
    assert way.kyc.now >= after
    answer = flow.get("/api/oauth2/api_ticket", {"appId": flow.app_id, "access_token": token,
                                                 "type": "SIGN", "version": "1.0.0"})[1]
    assert answer["code"] == "400101"
    with pytest.raises(ValueError, match="negative"):
        way.kyc.advance_clock(-1)


def test_requests_is_the_journal_oldest_first(way: Way):
    flow = way.flow()
    order_no = new_order_no()
    flow.ocr(card_image(5), order_no)
    flow.ocr_result(order_no)
    calls = way.kyc.requests
    assert [c["endpoint"] for c in calls] == ["access_token", "api_ticket", "idcardocrapp",
                                              "getOcrResult"]
    assert calls[2]["orderNo"] == order_no and calls[2]["code"] == "0"
    assert calls[2]["sign"]["verdict"] == "ok"
    assert calls[0]["request"]["secret"].startswith(DEFAULT_SECRET[:4])
    assert DEFAULT_SECRET not in str(calls)  # masked, as the journal always is


def test_assert_called_says_what_was_called(way: Way):
    flow = way.flow()
    flow.ocr(card_image(6), "shown1")
    way.kyc.assert_called("idcardocrapp")
    way.kyc.assert_called("idcardocrapp", times=1)
    way.kyc.assert_called("getOcrResult", times=0)
    with pytest.raises(AssertionError) as failure:
        way.kyc.assert_called("idcardocrapp", times=2)
    assert str(failure.value) == (
        "expected idcardocrapp to be called 2 times, it was called 1 time\n"
        "the mock received 3 vendor calls, oldest first:\n"
        "  1. GET /api/oauth2/access_token (access_token) -> HTTP 200 code=0\n"
        "  2. GET /api/oauth2/api_ticket (api_ticket) -> HTTP 200 code=0\n"
        "  3. POST /api/paas/idcardocrapp (idcardocrapp) -> HTTP 200 code=0 sign=ok orderNo=shown1"
    )
    with pytest.raises(AssertionError, match="at least once, it was called 0 times"):
        way.kyc.assert_called("getOcrResult")
    with pytest.raises(ValueError, match="unknown endpoint"):
        way.kyc.assert_called("/api/paas/idcardocrapp")


def test_orders_say_what_each_order_recorded(way: Way):
    flow = way.flow()
    portrait = flow.ocr(card_image(7, side="portrait"), "both")[1]["result"]
    with way.kyc.scenario("warning-photocopy"):
        emblem = flow.ocr(card_image(8, side="emblem"), "both")[1]["result"]
    flow.ocr(card_image(9), "other")
    assert [o.order_no for o in way.kyc.orders] == ["both", "other"]
    order = way.kyc.order("both")
    assert order.app_id == DEFAULT_APP_ID
    assert order.portrait.fields["idcard"] == portrait["idcard"]
    assert order.portrait.code == "0" and order.portrait.warning == "00000000"
    assert order.emblem.fields["validDate"] == emblem["validDate"]
    assert order.emblem.warning == "01000000"
    assert way.kyc.order("other").emblem is None
    with pytest.raises(LookupError, match="no order 'missing'; orders recorded: TIDA0001/both"):
        way.kyc.order("missing")


def test_reset_forgets_everything(way: Way):
    flow = way.flow()
    flow.ocr(card_image(10), "gone")
    way.kyc.queue("http-503")
    way.kyc.advance_clock(60)
    way.kyc.reset()
    assert way.kyc.requests == [] and way.kyc.orders == []
    assert abs(way.kyc.now.timestamp() - time.time()) < 30
    assert way.flow().get_token()  # the queued 503 went too


def test_fixtures_are_the_packs_the_mock_answers_exactly(way: Way):
    portrait = way.kyc.fixture("portrait")
    assert portrait in way.kyc.fixtures and portrait.image.is_absolute()
    body = way.flow().ocr(portrait.read())[1]
    assert body["result"]["idcard"] == portrait.result["idcard"]
