"""The /_mock/ admin surface: who may use it, reset, health, the scenario queue, the scenario in
effect, the orders."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mock_server import limits, server
from mock_server.app import create_app
from mock_server.cli import main
from mock_server.clock import ManualClock
from mock_server.settings import DEFAULT_APP_ID, Settings
from tests.support import Flow, card_image, new_order_no

ADMIN_CALLS = [
    ("get", "/_mock/health"), ("post", "/_mock/reset"), ("get", "/_mock/scenarios"),
    ("get", "/_mock/scenarios/next"), ("post", "/_mock/scenarios/next"),
    ("delete", "/_mock/scenarios/next"), ("get", "/_mock/clock"),
    ("post", "/_mock/clock/advance?seconds=1"), ("get", "/_mock/requests"),
    ("delete", "/_mock/requests"), ("get", "/_mock/scenarios/current"),
    ("post", "/_mock/scenarios/current"), ("delete", "/_mock/scenarios/current"),
    ("get", "/_mock/orders"),
]
REMOTE = {"REMOTE_ADDR": "192.0.2.10"}  # TEST-NET-1: an address that is not this machine's
TOKEN = "s3cr3t-admin-token"


@pytest.fixture
def guarded(clock: ManualClock):
    return create_app(Settings(db=":memory:", admin_token=TOKEN), clock=clock)


@pytest.mark.fidelity("F-SCN-18")
@pytest.mark.parametrize(("method", "path"), ADMIN_CALLS)
def test_non_loopback_caller_is_refused_without_a_token(app, method, path):
    response = getattr(app.test_client(), method)(path, environ_base=REMOTE, json={"name": "latency"})
    body = response.get_json()
    assert response.status_code == 403 and "code" not in body
    assert "loopback" in body["error"] and body["service"] == "idcard-mock"


def test_refused_caller_changed_nothing(app, clock):
    before = clock.now()
    app.test_client().post("/_mock/clock/advance?seconds=3600", environ_base=REMOTE)
    assert clock.now() == before


@pytest.mark.parametrize("address", ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_callers_are_served(app, address):
    response = app.test_client().get("/_mock/health", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


@pytest.mark.fidelity("F-SCN-18")
@pytest.mark.parametrize("headers", [{"X-Mock-Admin-Token": TOKEN},
                                     {"Authorization": f"Bearer {TOKEN}"}])
def test_token_opens_the_surface_to_other_callers(guarded, headers):
    client = guarded.test_client()
    assert client.get("/_mock/health", environ_base=REMOTE, headers=headers).status_code == 200
    assert client.get("/_mock/health", environ_base=REMOTE).status_code == 403


@pytest.mark.fidelity("F-SCN-18")
def test_a_wrong_token_is_refused_even_from_loopback(guarded):
    response = guarded.test_client().get("/_mock/health", headers={"X-Mock-Admin-Token": "guess"})
    assert response.status_code == 403 and "wrong" in response.get_json()["error"]
    assert guarded.test_client().get("/_mock/health").status_code == 200


@pytest.mark.fidelity("F-SCN-18")
@pytest.mark.parametrize("headers", [{"X-Mock-Admin-Token": "guess"},
                                     {"Authorization": "Bearer guess"}])
def test_a_token_is_refused_from_loopback_when_the_server_has_none(app, headers):
    """No token configured: any token sent is a wrong one (fidelity notes)."""
    response = app.test_client().get("/_mock/health", headers=headers)
    assert response.status_code == 403
    assert response.get_json()["error"] == (
        "idcard-mock admin surface: the admin token is wrong (this server has none; send no token)")
    assert app.test_client().get("/_mock/health").status_code == 200


def test_vendor_calls_are_not_guarded(app):
    response = app.test_client().get("/api/oauth2/access_token", environ_base=REMOTE)
    assert response.get_json()["code"] == "400101"


def test_serve_admin_token_option_and_environment(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(server, "serve", lambda settings, listener, workers, log_kind: (
        listener.close(), started.append((settings,))))
    db = str(tmp_path / "m.db")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", db, "--admin-token", TOKEN])
    assert result.exit_code == 0 and TOKEN not in result.output, result.output
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", db],
                                env={"IDCARD_MOCK_ADMIN_TOKEN": "t2"})
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--db", db])
    assert [s[0].admin_token for s in started] == [TOKEN, "t2", None]


def test_health_names_the_mock(flow: Flow):
    body = flow.http.get("/_mock/health").get_json()
    assert body["service"] == "idcard-mock" and body["apps"] == [DEFAULT_APP_ID]


def test_reset_forgets_state_and_keeps_apps(flow: Flow):
    order_no = new_order_no()
    token = flow.get_token()
    flow.ocr(card_image(1), order_no)
    flow.http.post("/_mock/scenarios/next", json={"name": "http-503"})
    flow.http.post("/_mock/scenarios/current", json={"name": "http-502"})
    assert flow.http.post("/_mock/reset").get_json() == {"reset": True, "apps": [DEFAULT_APP_ID]}
    assert flow.http.get("/_mock/requests").get_json()["requests"] == []
    assert flow.http.get("/_mock/scenarios/next").get_json()["queue"] == []
    assert flow.http.get("/_mock/scenarios/current").get_json()["current"] == []
    assert flow.http.get("/_mock/orders").get_json()["orders"] == []
    answer = flow.get("/api/oauth2/api_ticket", {"appId": flow.app_id, "access_token": token,
                                                 "type": "SIGN", "version": "1.0.0"})[1]
    assert answer["code"] == "400101"  # the token is gone
    flow.token = flow.ticket = ""
    assert flow.ocr_result(order_no)[1]["code"] == "66660020"  # and so is the order
    assert flow.ocr(card_image(1))[1]["code"] == "0"  # the app still works


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "nope"}, "unknown scenario"),
    ({}, "name is required"),
    ({"name": "latency", "count": 0}, "count"),
    ({"name": "latency", "count": 1.5}, "whole number"),
    ({"name": "latency", "params": {"ms": -1}}, "between"),
    ({"name": "latency", "params": {"seconds": 1}}, "no parameter"),
    ({"name": "ocr-card-expired", "endpoint": "access_token"}, "does not apply"),
    ({"name": "latency", "endpoint": "nowhere"}, "unknown endpoint"),
])
def test_queue_refuses_what_it_cannot_honour(flow: Flow, body, message):
    response = flow.http.post("/_mock/scenarios/next", json=body)
    answer = response.get_json()
    assert response.status_code == 400 and message in answer["error"]
    assert "ocr-card-expired" in answer["scenarios"]
    assert flow.http.get("/_mock/scenarios/next").get_json()["queue"] == []


@pytest.mark.fidelity("F-SCN-10")
def test_queue_from_query_parameters_and_its_listing(flow: Flow):
    response = flow.http.post("/_mock/scenarios/next?name=stall&count=3&endpoint=getOcrResult")
    assert response.status_code == 201
    assert response.get_json()["queue"] == [
        {"id": 1, "name": "stall", "remaining": 3, "endpoint": "getOcrResult", "params": {"seconds": 35.0}}]
    assert flow.http.delete("/_mock/scenarios/next").get_json()["queue"] == []


def test_one_queued_scenario_is_removed_by_its_id(flow: Flow):
    flow.http.post("/_mock/scenarios/next", json={"name": "ocr-card-expired"})
    queue = flow.http.post("/_mock/scenarios/next", json={"name": "http-503"}).get_json()["queue"]
    first = queue[0]["id"]
    remaining = flow.http.delete(f"/_mock/scenarios/next/{first}").get_json()["queue"]
    assert [e["name"] for e in remaining] == ["http-503"]
    again = flow.http.delete(f"/_mock/scenarios/next/{first}")
    assert again.status_code == 404 and f"no queued scenario has id {first}" in again.get_json()["error"]


def test_unknown_admin_path_is_the_mocks_own_404_listing_the_admin_paths(flow: Flow):
    response = flow.http.get("/_mock/helth")
    assert response.status_code == 404
    body = response.get_json()
    assert "code" not in body and body["error"] == "idcard-mock: no such path /_mock/helth under /_mock/"
    assert {"method": "GET", "path": "/_mock/health"} in body["admin_paths"]
    assert {"method": "GET", "path": "/_mock/dashboard"} in body["admin_paths"]
    assert response.headers["X-Mock-Detail"] == body["error"]


def test_a_wrong_method_under_the_admin_surface_is_the_mocks_own_405(flow: Flow):
    response = flow.http.get("/_mock/reset")
    assert response.status_code == 405 and response.headers["Allow"] == "OPTIONS, POST"
    assert "code" not in response.get_json()


def test_vendor_paths_keep_the_vendors_404_and_405(flow: Flow):
    for response in (flow.http.get("/api/oauth2/acess_token"), flow.http.get("/api/paas/idcardocrapp")):
        assert response.get_json()["code"] == "400101"


@pytest.mark.parametrize("path", ["/_mock/scenarios/next", "/_mock/clock/advance"])
def test_a_deeply_nested_admin_body_is_a_clear_400(flow: Flow, path):
    response = flow.http.post(path, data="[" * 100_000 + "]" * 100_000,
                              content_type="application/json")
    assert response.status_code == 400
    assert response.headers["X-Mock-Detail"] == "the JSON body is nested too deeply"


def test_the_scenario_in_effect_plays_until_it_is_ended(flow: Flow):
    flow.get_ticket()
    pushed = flow.http.post("/_mock/scenarios/current", json={"name": "ocr-card-expired"})
    assert pushed.status_code == 201
    assert pushed.get_json()["current"] == [{"name": "ocr-card-expired", "params": {}}]
    for _ in range(2):
        status, body, response = flow.ocr(card_image(5))
        assert body["code"] == "66661003"
        assert response.headers["X-Mock-Scenario-Applied"] == "ocr-card-expired; source=current"
    # It does not apply to the token call, which is answered as usual.
    assert flow.get_token()
    # An inner one wins until it is ended; the header a call carries wins over both.
    flow.http.post("/_mock/scenarios/current", json={"name": "latency", "params": {"ms": 0}})
    assert flow.ocr(card_image(5))[1]["code"] == "0"
    body = flow.post("/api/paas/idcardocrapp", flow.ocr_body(card_image(5)),
                     headers={"X-Mock-Scenario": "ocr-bad-dates"})[1]
    assert body["code"] == "66661004"
    assert flow.http.delete("/_mock/scenarios/current").get_json()["current"] == [
        {"name": "ocr-card-expired", "params": {}}]
    assert flow.ocr(card_image(5))[1]["code"] == "66661003"
    assert flow.http.delete("/_mock/scenarios/current").get_json()["current"] == []
    assert flow.ocr(card_image(5))[1]["code"] == "0"
    sources = [e["scenario_source"] for e in flow.http.get("/_mock/requests").get_json()["requests"]
               if e["endpoint"] == "idcardocrapp"]
    assert sources == [None, "current", "header", "current", "current", "current"]


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "nope"}, "unknown scenario"),
    ({}, "name is required"),
    ({"name": "latency", "params": {"ms": -1}}, "between"),
    ({"name": "latency", "params": "ms=1"}, "params must be an object"),
])
def test_the_scenario_in_effect_refuses_what_it_cannot_honour(flow: Flow, body, message):
    response = flow.http.post("/_mock/scenarios/current", json=body)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert flow.http.get("/_mock/scenarios/current").get_json()["current"] == []


def test_orders_lists_what_each_order_recorded(flow: Flow, clock: ManualClock):
    order_no = new_order_no()
    portrait = flow.ocr(card_image(7, side="portrait"), order_no)[1]["result"]
    flow.http.post("/_mock/scenarios/next", json={"name": "warning-photocopy"})
    flow.ocr(card_image(8, side="emblem"), order_no)
    flow.ocr(card_image(9), "another")
    orders = flow.http.get("/_mock/orders").get_json()["orders"]
    assert [(o["appId"], o["orderNo"]) for o in orders] == [
        (DEFAULT_APP_ID, order_no), (DEFAULT_APP_ID, "another")]
    sides = orders[0]["sides"]
    assert sides["portrait"]["fields"]["idcard"] == portrait["idcard"]
    assert sides["portrait"]["code"] == "0" and sides["portrait"]["warning"] == "00000000"
    assert sides["emblem"]["warning"] == "01000000"
    assert sides["emblem"]["fields"]["authority"]
    # Orders past their retention are not listed (getOcrResult no longer finds them either).
    clock.advance(limits.ORDER_TTL + 1)
    assert flow.http.get("/_mock/orders").get_json()["orders"] == []
