"""Two `idcard-mock serve` replicas on different ports sharing one real PostgreSQL database: one
mock, whichever replica a call reaches; and what a replica does when the database goes and comes
back."""

from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mock_server.pg_store import masked_url
from mock_server.served import ServedMock
from tests.postgres import PASSWORD
from tests.support import VERSION, Flow, card_image, new_order_no

APPLIED = "X-Mock-Scenario-Applied"
DETAIL = "X-Mock-Detail"


@pytest.fixture(scope="module")
def database(postgres) -> str:
    return postgres.new_database()


@pytest.fixture(scope="module")
def replicas(database):
    """A and B, started at the same moment on an empty database (both create the schema)."""
    mocks = [ServedMock(database, workers=1), ServedMock(database, workers=1)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda m: m.start(), mocks))
    yield mocks
    for mock in mocks:
        mock.stop()


def flow(mock: ServedMock, other: Flow | None = None) -> Flow:
    """The partner flow against `mock`, sharing `other`'s token and ticket if given."""
    f = Flow(requests.Session(), base=mock.base)
    if other is not None:
        f.token, f.ticket = other.token, other.ticket
    return f


def test_a_token_ticket_order_and_image_are_one_across_replicas(replicas):
    a, b = replicas
    on_a = flow(a)
    on_a.get_token()
    on_b = flow(b, on_a)
    on_b.get_ticket()  # on B, with A's token
    on_a.ticket = on_b.ticket
    image, order_no = card_image(7, side="portrait"), new_order_no()
    _, body, _ = on_a.ocr(image, order_no)
    assert body["code"] == "0", body
    _, result, _ = on_b.ocr_result(order_no, get_file="1")
    assert result["code"] == "0", result
    assert base64.b64decode(result["result"]["frontPhoto"]) == image


def test_a_queued_scenario_is_played_exactly_its_count_across_replicas(replicas):
    a, b = replicas
    on_a = flow(a)
    on_a.get_ticket()
    on_b = flow(b, on_a)
    queued = requests.post(f"{a.base}/_mock/scenarios/next",
                           json={"name": "ocr-card-expired", "count": 3})
    assert queued.status_code == 201
    barrier = threading.Barrier(12)

    def call(i: int) -> bool:
        f = (on_a, on_b)[i % 2]
        body = f.ocr_body(card_image(i, side="portrait"))
        barrier.wait()
        response = f.http.post(f"{f.base}/api/paas/idcardocrapp", json=body)
        return response.headers.get(APPLIED, "").startswith("ocr-card-expired")

    with ThreadPoolExecutor(12) as pool:
        played = sum(pool.map(call, range(12)))
    assert played == 3
    assert requests.get(f"{b.base}/_mock/scenarios/next").json()["queue"] == []


def test_a_nonce_ticket_issued_on_one_replica_is_known_and_never_accepted_on_either(replicas):
    """A NONCE ticket starts the vendor's front-end SDK once; no server call accepts one, on A or
    B, however many present it at once: each is diagnosed as a NONCE ticket."""
    a, b = replicas
    on_a = flow(a)
    nonce_ticket = on_a.get_ticket("NONCE", user_id="user0001")
    on_b = flow(b, on_a)
    barrier = threading.Barrier(4)

    def call(i: int):
        f = (on_a, on_b)[i % 2]
        body = f.ocr_body(card_image(100 + i, side="portrait"), ticket=nonce_ticket)
        barrier.wait()
        response = f.http.post(f"{f.base}/api/paas/idcardocrapp", json=body)
        return response.json()["code"], response.headers.get(DETAIL, "")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(call, range(4)))
    assert [code for code, _ in answers] == ["400101"] * 4
    assert all("NONCE ticket" in detail for _, detail in answers), answers


def test_advancing_the_clock_on_one_replica_expires_tickets_on_the_other(replicas):
    a, b = replicas
    on_b = flow(b)
    on_b.get_ticket()
    assert on_b.ocr(card_image(1, side="portrait"))[1]["code"] == "0"
    moved = requests.post(f"{a.base}/_mock/clock/advance", json={"seconds": 3601})
    assert moved.status_code == 200
    _, body, response = on_b.ocr(card_image(2, side="portrait"))
    assert body["code"] == "400101" and "expired SIGN ticket" in response.headers[DETAIL]
    assert requests.get(f"{b.base}/_mock/clock").json()["offset"] == 3601


def test_health_names_the_backend_without_the_password(replicas, database):
    for mock in replicas:
        health = requests.get(f"{mock.base}/_mock/health")
        assert health.status_code == 200
        assert health.json()["storage"] == {
            "backend": "postgresql", "location": masked_url(database), "reachable": True}
        assert PASSWORD not in health.text and ":***@" in health.text


def test_replicas_answer_the_internal_fault_while_the_database_is_down_and_recover(replicas, postgres):
    a, b = replicas
    flows = [flow(a), flow(b)]
    for f in flows:
        f.get_ticket()
    pids = [m.worker_pids for m in replicas]
    postgres.stop()
    try:
        for f in flows:
            for _ in range(3):  # the first on connections opened before, then on none
                started = time.monotonic()
                _, body, response = f.ocr(card_image(3, side="portrait"))
                assert time.monotonic() - started < 5
                assert response.status_code == 200 and body["code"] == "66661099", body
                detail = response.headers[DETAIL]
                assert "database unreachable (postgresql://mock:***@127.0.0.1:" in detail, detail
                assert PASSWORD not in detail
            health = f.http.get(f"{f.base}/_mock/health")
            assert health.status_code == 503 and health.json()["storage"]["reachable"] is False
    finally:
        postgres.start()
    for f in flows:
        deadline = time.monotonic() + 30
        while True:
            _, body, _ = f.ocr(card_image(4, side="portrait"))
            if body["code"] == "0" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert body["code"] == "0", body
    assert [m.worker_pids for m in replicas] == pids  # recovered, nothing restarted
    for mock in replicas:
        assert PASSWORD not in mock.log.read_text(errors="replace")
        assert PASSWORD not in requests.get(f"{mock.base}/_mock/requests").text
        assert f"db={masked_url(mock.db)}" in mock.log.read_text(errors="replace")


def test_a_replica_started_while_the_database_is_down_serves_once_it_is_back(postgres):
    url = postgres.new_database()
    postgres.stop()
    try:
        mock = ServedMock(url, workers=1).start()
        f = flow(mock)
        _, body, _ = f.get("/api/oauth2/access_token", {
            "appId": f.app_id, "secret": f.secret, "grant_type": "client_credential",
            "version": VERSION})
        assert body["code"] == "66661099"
    finally:
        postgres.start()
    try:
        deadline = time.monotonic() + 30
        while f.get("/_mock/health", {})[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        f.get_ticket()
        assert f.ocr(card_image(5, side="portrait"))[1]["code"] == "0"
    finally:
        mock.stop()


def test_a_database_url_is_shown_with_its_password_masked():
    assert masked_url("postgresql://mock:s%40cret@db.internal:5432/kyc?sslmode=require&password=p2") \
        == "postgresql://mock:***@db.internal:5432/kyc?sslmode=require&password=***"
    assert masked_url("postgresql://db.internal/kyc") == "postgresql://db.internal/kyc"
