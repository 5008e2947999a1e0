"""The whole flow over real HTTP against `idcard-mock serve` (gunicorn, several workers)."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mock_server.served import ServedMock
from tests.support import Flow, card_image, new_order_no


@pytest.fixture
def served(tmp_path):
    mock = ServedMock(tmp_path / "mock.sqlite3").start()
    yield mock
    mock.stop()


def session_flow(mock: ServedMock) -> Flow:
    return Flow(requests.Session(), base=mock.base)


def test_every_endpoint_round_trips_over_http(served):
    flow = session_flow(served)
    order_no = new_order_no()
    front, back = card_image(100), card_image(101)
    _, portrait, response = flow.ocr(front, order_no, getNative="1")
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert portrait["code"] == "0" and portrait["result"]["nativePlace"]
    _, emblem, _ = flow.ocr(back, order_no, cardType="1")
    assert emblem["code"] == "0" and emblem["result"]["validDate"]
    _, stored, _ = flow.ocr_result(order_no, get_file="1")
    assert stored["result"]["idcard"] == portrait["result"]["idcard"]
    assert base64.b64decode(stored["result"]["frontPhoto"]) == front
    assert base64.b64decode(stored["result"]["backPhoto"]) == back
    wrong = requests.get(f"{served.base}/api/paas/idcardocrapp")
    assert wrong.status_code == 405 and wrong.json()["code"] == "400101"


def test_a_hard_kill_loses_no_acknowledged_order(served, tmp_path):
    flow = session_flow(served)
    orders = {}
    for i in range(5):
        order_no = new_order_no()
        image = card_image(200 + i)
        assert flow.ocr(image, order_no)[1]["code"] == "0"
        orders[order_no] = image
    served.kill()
    restarted = ServedMock(served.db).start()
    try:
        again = Flow(requests.Session(), base=restarted.base, token=flow.token, ticket=flow.ticket)
        for order_no, image in orders.items():
            _, body, _ = again.ocr_result(order_no, get_file="1")
            assert body["code"] == "0", body
            assert base64.b64decode(body["result"]["frontPhoto"]) == image
    finally:
        restarted.stop()


def test_eight_threads_of_25_calls_are_all_answered_correctly(served):
    flow = session_flow(served)
    flow.get_ticket()

    def worker(n: int) -> list[tuple[str, str, str]]:
        mine = Flow(requests.Session(), base=served.base, token=flow.token, ticket=flow.ticket)
        answers = []
        for i in range(25):
            order_no = f"t{n}c{i}x{new_order_no()}"[:32]
            _, body, _ = mine.ocr(card_image(1000 + n * 25 + i, size=(320, 200)), order_no)
            answers.append((order_no, body["code"], body.get("result", {}).get("orderNo")))
        return answers

    with ThreadPoolExecutor(8) as pool:
        results = [a for batch in pool.map(worker, range(8)) for a in batch]
    assert len(results) == 200
    assert all(code == "0" and echoed == order_no for order_no, code, echoed in results)
    reference = session_flow(served)
    reference.token, reference.ticket = flow.token, flow.ticket
    sample = results[::40]
    for order_no, _, _ in sample:
        assert reference.ocr_result(order_no)[1]["code"] == "0"


@pytest.mark.fidelity("F-SCN-17")
def test_the_server_output_never_shows_secrets_tokens_or_signs(tmp_path):
    secret = "s3cr3t" * 10
    served = ServedMock(tmp_path / "mock.sqlite3", "--app", f"TIDA0009:{secret}").start()
    flow = Flow(requests.Session(), base=served.base, app_id="TIDA0009", secret=secret)
    order_no = new_order_no()
    try:
        assert flow.ocr(card_image(300), order_no)[1]["code"] == "0"
        flow.ocr_result(order_no)
    finally:
        served.stop()
    log = served.log.read_text()
    assert "GET /api/oauth2/access_token" in log and "POST /api/paas/idcardocrapp" in log
    for secret in (flow.secret, flow.token, flow.ticket, "sign="):
        assert secret not in log


@pytest.mark.fidelity("F-REQ-10")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_oversized_body_is_refused_over_the_wire(served, chunked):
    from mock_server.limits import MAX_BODY_BYTES

    size = MAX_BODY_BYTES + (1 << 20)
    chunk = b" " * (1 << 20)

    def stream():
        for _ in range(size // len(chunk)):
            yield chunk

    data = stream() if chunked else b" " * size
    response = requests.post(f"{served.base}/api/paas/idcardocrapp", data=data,
                             headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 200
    assert (response.json()["code"], response.json()["msg"]) == ("66660015", "视频或图片异常")
