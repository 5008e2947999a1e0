"""The virtual clock: tokens, tickets and times follow it, in every worker (§2, §3, §6)."""

from __future__ import annotations

import pytest
import requests

from mock_server.app import create_app
from mock_server.clock import ManualClock, StoreClock, compact_time
from mock_server.served import ServedMock
from mock_server.settings import Settings
from mock_server.store import SqliteStore
from tests.support import VERSION, Flow, card_image, new_order_no

ILLEGAL = ("400101", "不合法的请求")


class FixedClock:
    def __init__(self, now: float) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


def test_store_clock_is_shared_through_the_database(tmp_path):
    base = FixedClock(1_767_225_600.0)
    one = StoreClock(SqliteStore(tmp_path / "c.db"), base)
    two = StoreClock(SqliteStore(tmp_path / "c.db"), base)
    one.advance(90)
    assert two.now() == base.value + 90 and two.offset() == 90
    two.advance(10.5)
    assert one.now() == base.value + 100.5
    with pytest.raises(ValueError):
        one.advance(-1)
    one.reset()
    assert two.now() == base.value


@pytest.fixture
def store_clocked(tmp_path):
    """An app on the default clock: system time plus the stored offset."""
    app = create_app(Settings(db=str(tmp_path / "m.db"), strict=True))
    return Flow(app.test_client())


def advance(flow: Flow, seconds: float) -> dict:
    response = flow.http.post("/_mock/clock/advance", query_string={"seconds": seconds})
    assert response.status_code == 200
    return response.get_json()


def test_clock_endpoints_move_and_report_the_time(store_clocked: Flow):
    before = store_clocked.http.get("/_mock/clock").get_json()
    after = advance(store_clocked, 86400)
    assert after["offset"] == 86400 and after["now"] - before["now"] >= 86400
    assert store_clocked.http.post("/_mock/clock/advance?seconds=-5").status_code == 400
    assert store_clocked.http.post("/_mock/clock/advance?seconds=nan").status_code == 400
    assert store_clocked.http.post("/_mock/clock/advance").status_code == 400
    store_clocked.http.post("/_mock/reset")
    assert store_clocked.http.get("/_mock/clock").get_json()["offset"] == 0


def test_transaction_and_operate_time_follow_the_clock(store_clocked: Flow):
    order_no = new_order_no()
    advance(store_clocked, 3 * 86400)
    now = store_clocked.http.get("/_mock/clock").get_json()["now"]
    answer = store_clocked.ocr(card_image(1), order_no)[1]
    assert answer["transactionTime"][:10] == compact_time(now)[:10]
    stored = store_clocked.ocr_result(order_no)[1]["result"]
    assert stored["operateTime"].replace("-", "").replace(" ", "").replace(":", "")[:10] == \
        compact_time(now)[:10]


def test_token_expires_with_the_clock(store_clocked: Flow):
    token = store_clocked.get_token()
    params = {"appId": store_clocked.app_id, "access_token": token, "type": "SIGN",
              "version": VERSION}
    advance(store_clocked, 7199)
    assert store_clocked.get("/api/oauth2/api_ticket", params)[1]["code"] == "0"
    advance(store_clocked, 2)
    _, body, response = store_clocked.get("/api/oauth2/api_ticket", params)
    assert (body["code"], body["msg"]) == ILLEGAL and "access_token" in response.headers["X-Mock-Detail"]


def test_sign_ticket_expires_between_fetch_and_use(store_clocked: Flow):
    store_clocked.get_ticket()
    advance(store_clocked, 3599)
    assert store_clocked.ocr(card_image(1))[1]["code"] == "0"
    advance(store_clocked, 2)
    _, body, response = store_clocked.ocr(card_image(1))
    assert (body["code"], body["msg"]) == ILLEGAL
    assert response.headers["X-Mock-Sign-Diagnosis"].startswith("expired-ticket;")


def test_nonce_ticket_expires_with_the_clock(flow: Flow, clock: ManualClock):
    """A NONCE ticket never signs a server call; once its 120 s are up the explainer says it
    expired as well."""
    nonce_ticket = flow.get_ticket("NONCE", user_id="user42")
    flow.get_ticket()
    body = flow.ocr_body(card_image(1), ticket=nonce_ticket)
    response = flow.http.post("/api/paas/idcardocrapp", json=body)
    assert response.headers["X-Mock-Sign-Diagnosis"].startswith("nonce-ticket;")
    clock.advance(120)
    response = flow.http.post("/api/paas/idcardocrapp", json=body)
    assert response.headers["X-Mock-Sign-Diagnosis"].startswith("expired-nonce-ticket;")


def test_manual_clock_is_moved_by_the_admin_call(flow: Flow, clock: ManualClock):
    before = clock.now()
    answer = flow.http.post("/_mock/clock/advance?seconds=30").get_json()
    assert clock.now() == before + 30 == answer["now"] and answer["offset"] is None


# -- several server workers, one clock and one queue ------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    mock = ServedMock(tmp_path_factory.mktemp("served") / "mock.db", workers=2).start()
    yield mock
    mock.stop()


def test_workers_share_the_clock_and_the_queue(served: ServedMock):
    flow = Flow(requests.Session(), served.base)
    token = flow.get_token()
    params = {"appId": flow.app_id, "access_token": token, "type": "SIGN", "version": VERSION}
    assert requests.post(f"{served.base}/_mock/clock/advance?seconds=7201").status_code == 200
    # Fresh connections, so that both workers answer some of them.
    codes = {requests.get(f"{served.base}/api/oauth2/api_ticket", params=params).json()["code"]
             for _ in range(8)}
    assert codes == {"400101"}
    flow.get_token()
    flow.get_ticket()
    queued = requests.post(f"{served.base}/_mock/scenarios/next",
                           json={"name": "connection-reset", "count": 3, "endpoint": "getOcrResult"})
    assert queued.status_code == 201
    order_no = new_order_no()
    assert flow.ocr(card_image(1), order_no)[1]["code"] == "0"
    outcomes = []
    for _ in range(5):
        try:
            outcomes.append(requests.get(f"{served.base}/api/server/getOcrResult",
                                         params=flow.result_params(order_no)).json()["code"])
        except requests.exceptions.ConnectionError:
            outcomes.append("reset")
    assert outcomes == ["reset"] * 3 + ["0"] * 2
    journal = requests.get(f"{served.base}/_mock/requests", params={"orderNo": order_no}).json()
    assert [e["fault"] for e in journal["requests"]][:5] == [None] * 2 + ["connection-reset"] * 3


@pytest.mark.parametrize("seconds", ["2.6e11", "1e308", "253402300800"])
def test_an_advance_past_the_representable_range_is_refused(store_clocked: Flow, seconds):
    response = store_clocked.http.post("/_mock/clock/advance", query_string={"seconds": seconds})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error.startswith(f"seconds={float(seconds):g} would move the clock past 9999-12-31T21:59:59+08:00")
    assert error == response.headers["X-Mock-Detail"].replace("...", "…")
    assert store_clocked.http.get("/_mock/clock").get_json()["offset"] == 0
    assert store_clocked.http.get("/_mock/health").status_code == 200
    assert store_clocked.get_token()


@pytest.mark.fidelity("F-SCN-13")
def test_a_second_large_advance_is_refused_once_the_first_used_the_room(store_clocked: Flow):
    assert advance(store_clocked, 2.5e11)["time"].startswith("99")
    response = store_clocked.http.post("/_mock/clock/advance?seconds=2.5e11")
    assert response.status_code == 400 and "advance by at most" in response.get_json()["error"]
    assert store_clocked.http.get("/_mock/health").status_code == 200


@pytest.mark.fidelity("F-SCN-13")
def test_the_clock_goes_as_far_as_every_time_it_stamps_can_be_written(store_clocked: Flow):
    from mock_server.limits import LATEST_CLOCK_TIME

    room = LATEST_CLOCK_TIME - store_clocked.http.get("/_mock/clock").get_json()["now"] - 5
    advance(store_clocked, room)
    _, body, _ = store_clocked.get("/api/oauth2/access_token", {
        "appId": store_clocked.app_id, "secret": store_clocked.secret,
        "grant_type": "client_credential", "version": VERSION})
    assert body["code"] == "0" and body["expire_time"].startswith("99991231")
    assert body["transactionTime"].startswith("99991231")
    assert store_clocked.http.post("/_mock/clock/advance?seconds=60").status_code == 400


@pytest.mark.fidelity("F-SCN-13")
@pytest.mark.parametrize("stored", ["1e308", "5e11", "inf", "nan", "-5", "not a number"])
def test_a_stored_offset_out_of_range_never_breaks_the_server(tmp_path, stored):
    db = tmp_path / "m.db"
    store = SqliteStore(db)
    with store.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (StoreClock.KEY, stored))
    flow = Flow(create_app(Settings(db=str(db), strict=True)).test_client())
    assert flow.http.get("/_mock/health").status_code == 200
    assert flow.http.get("/_mock/clock").get_json()["offset"] == 0
    assert flow.ocr(card_image(7))[1]["code"] == "0"
    advance(flow, 60)
    assert flow.http.get("/_mock/clock").get_json()["offset"] == 60


def test_a_manual_clock_refuses_the_same_advances(clock: ManualClock):
    from mock_server.clock import ClockRangeError

    with pytest.raises(ClockRangeError):
        clock.advance(1e308)
    with pytest.raises(ClockRangeError):
        clock.advance(-1)
    clock.advance(1.5)
