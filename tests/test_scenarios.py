"""Scenarios: every entry of the catalogue, applied, as the client sees it (§5, §8)."""

from __future__ import annotations

import http.client
import io
import json
from pathlib import Path

import pytest
import requests
from PIL import Image

from mock_server import marker
from mock_server.app import create_app
from mock_server.errors import OCR_FAILURES
from mock_server.pytest_plugin import ThreadedServer
from mock_server.scenarios import (
    CATALOGUE_SCENARIOS,
    FAULT_KIND,
    OCR_KIND,
    WARNING_KIND,
)
from mock_server.settings import Settings
from mock_server.warning_codes import WARNING_BITS, WARNINGS
from scripts.update_readme_scenarios import README_END, README_START, readme_block, update_readme
from tests.support import VERSION, Flow, card_image, new_order_no

ILLEGAL = ("400101", "不合法的请求")
OCR_SCENARIOS = [s for s in CATALOGUE_SCENARIOS.values() if s.kind == OCR_KIND]
WARNING_SCENARIOS = [s for s in CATALOGUE_SCENARIOS.values() if s.kind == WARNING_KIND]
FAULTS = {s.name: s for s in CATALOGUE_SCENARIOS.values() if s.kind == FAULT_KIND}


def code_msg(body):
    return body.get("code"), body.get("msg")


def marked_image(seed: int, **payload) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), (seed % 256, 90, 120)).save(
        buf, "JPEG", comment=marker.encode({"side": "portrait", **payload}).encode()
    )
    return buf.getvalue()


def scenario(name: str) -> dict[str, str]:
    return {"X-Mock-Scenario": name}


# -- the catalogue -----------------------------------------------------------------------------


def test_every_documented_ocr_code_has_a_scenario():
    codes = {s.code for s in OCR_SCENARIOS}
    assert codes == set(OCR_FAILURES)
    assert {"66661003", "66661001", "66661099", "300101", "66660020"} <= codes


@pytest.mark.fidelity("F-SCN-4")
def test_every_documented_warning_bit_has_a_scenario_and_so_do_combinations():
    masks = {s.multi_warning() for s in WARNING_SCENARIOS}
    for bit in WARNINGS:
        assert "0" * (bit - 1) + "1" + "0" * (WARNING_BITS - bit) in masks
    assert "10010100" in masks  # the documented multi-warning example (§5c)
    assert any(s.clarity and not s.bits for s in WARNING_SCENARIOS)


def test_transport_faults_are_all_there_and_answer_no_vendor_code():
    assert set(FAULTS) == {"latency", "http-500", "http-502", "http-503", "http-504",
                           "connection-reset", "empty-body", "malformed-json", "stall"}
    assert all(s.code is None for s in FAULTS.values())
    assert all(s.code == "0" for s in WARNING_SCENARIOS)


def test_every_scenario_is_exercised_by_a_test_below():
    exercised = ({s.name for s in OCR_SCENARIOS} | {s.name for s in WARNING_SCENARIOS}
                 | set(FAULT_CASES))
    assert exercised == set(CATALOGUE_SCENARIOS)


def test_listing_matches_the_catalogue(flow: Flow):
    listing = flow.http.get("/_mock/scenarios").get_json()["scenarios"]
    assert [e["name"] for e in listing] == list(CATALOGUE_SCENARIOS)
    for entry in listing:
        assert set(entry) == {"name", "description", "code"} and entry["description"]
    by_name = {e["name"]: e for e in listing}
    assert by_name["ocr-card-expired"]["code"] == "66661003"
    assert by_name["warning-photocopy"]["code"] == "0"
    assert by_name["connection-reset"]["code"] is None


def test_the_maintainer_script_rewrites_a_stale_block(tmp_path: Path):
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{README_START}\n| stale |\n{README_END}\nafter\n", encoding="utf-8")
    update_readme(readme)
    assert readme.read_text(encoding="utf-8") == f"before\n{readme_block()}\nafter\n"


def test_readme_block_is_the_catalogue_rendering():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert readme_block() in readme, (
        "README's scenarios table is stale: run `python scripts/update_readme_scenarios.py README.md`"
    )


# -- OCR codes ---------------------------------------------------------------------------------


@pytest.mark.fidelity("F-SCN-1")
@pytest.mark.parametrize("entry", [s for s in OCR_SCENARIOS if s.endpoints == {"idcardocrapp"}],
                         ids=lambda s: s.name)
def test_ocr_code_scenario_answers_the_code_and_the_order_records_it(flow: Flow, entry):
    order_no = new_order_no()
    status, body, response = flow.post(
        "/api/paas/idcardocrapp", flow.ocr_body(card_image(1), order_no), headers=scenario(entry.name)
    )
    spec = OCR_FAILURES[entry.code]
    assert status == 200 and code_msg(body) == (spec.code, spec.msg) and "result" not in body
    assert response.headers["X-Mock-Scenario-Applied"] == f"{entry.name}; source=header"
    _, stored, _ = flow.ocr_result(order_no)
    assert stored["code"] == "0" and stored["result"]["frontCode"] == spec.code
    assert "name" not in stored["result"]


@pytest.mark.fidelity("F-SCN-2")
def test_order_not_found_scenario_answers_getocrresult_although_the_order_exists(flow: Flow):
    order_no = new_order_no()
    assert flow.ocr(card_image(2), order_no)[1]["code"] == "0"
    params = flow.result_params(order_no)
    response = flow.http.get("/api/server/getOcrResult", query_string=params,
                             headers=scenario("ocr-order-not-found"))
    assert code_msg(response.get_json()) == ("66660020", "OCR 结果查询不到")
    assert flow.ocr_result(order_no)[1]["result"]["frontCode"] == "0"


def test_an_ocr_code_also_names_its_scenario(flow: Flow):
    body = flow.post("/api/paas/idcardocrapp", flow.ocr_body(card_image(1)),
                     headers=scenario("66661003"))[1]
    assert code_msg(body) == ("66661003", "身份证已失效")


# -- warnings ----------------------------------------------------------------------------------


@pytest.mark.fidelity("F-SCN-3")
@pytest.mark.parametrize("entry", WARNING_SCENARIOS, ids=lambda s: s.name)
def test_warning_scenario_recognises_with_the_warning(flow: Flow, entry):
    order_no = new_order_no()
    plain = flow.ocr(card_image(3))[1]["result"]
    status, body, _ = flow.post("/api/paas/idcardocrapp", flow.ocr_body(card_image(3), order_no),
                                headers=scenario(entry.name))
    result = body["result"]
    assert status == 200 and code_msg(body) == ("0", "请求成功")
    assert result["idcard"] == plain["idcard"]  # same person, only the warnings differ
    assert result["multiWarning"] == entry.multi_warning()
    if entry.bits:
        first = min(entry.bits)
        assert result["warning"] == "0" * (first - 1) + "1" + "0" * (WARNING_BITS - first)
        assert result["clarity"] == plain["clarity"]
    else:
        assert result["warning"] == result["multiWarning"] == "00000000"
        assert int(result["clarity"]) < 50 < int(plain["clarity"])
    stored = flow.ocr_result(order_no)[1]["result"]
    assert stored["frontWarnCode"] == result["warning"]
    assert stored["frontMultiWarning"] == result["multiWarning"]
    assert stored["frontClarity"] == result["clarity"]


@pytest.mark.fidelity("F-SCN-3")
def test_multi_warning_is_the_documented_example(flow: Flow):
    result = flow.post("/api/paas/idcardocrapp", flow.ocr_body(card_image(4)),
                       headers=scenario("warning-multiple"))[1]["result"]
    assert (result["multiWarning"], result["warning"]) == ("10010100", "10000000")


@pytest.mark.fidelity("F-SCN-5")
@pytest.mark.parametrize("side", ["portrait", "emblem"])
def test_low_clarity_is_35(flow: Flow, side):
    order_no = new_order_no()
    status, body, _ = flow.post("/api/paas/idcardocrapp",
                                flow.ocr_body(card_image(5, side=side), order_no),
                                headers=scenario("warning-low-clarity"))
    assert status == 200 and body["code"] == "0"
    assert body["result"]["clarity"] == "35"
    prefix = "front" if side == "portrait" else "back"
    assert flow.ocr_result(order_no)[1]["result"][f"{prefix}Clarity"] == "35"


# -- selection ---------------------------------------------------------------------------------


def test_unknown_scenario_header_is_a_clear_error_not_a_vendor_answer(flow: Flow):
    response = flow.http.post("/api/paas/idcardocrapp", json=flow.ocr_body(card_image(1)),
                              headers=scenario("card-expired-please"))
    body = response.get_json()
    assert response.status_code == 400 and "code" not in body
    assert "card-expired-please" in body["error"] and "ocr-card-expired" in body["scenarios"]


@pytest.mark.parametrize("header", ["latency; ms=fast", "latency; ms=999999", "http-503; ms=10",
                                    "latency; ms"])
def test_bad_scenario_parameters_are_refused(flow: Flow, header):
    response = flow.http.get("/api/oauth2/access_token", headers={"X-Mock-Scenario": header})
    assert response.status_code == 400 and "error" in response.get_json()


@pytest.mark.fidelity("F-SCN-11")
def test_a_scenario_applies_after_authentication(flow: Flow):
    body = flow.ocr_body(card_image(1))
    body["sign"] = "0" * 40
    status, answer, response = flow.post("/api/paas/idcardocrapp", body, headers=scenario("http-503"))
    assert status == 200 and code_msg(answer) == ILLEGAL
    assert "X-Mock-Scenario-Applied" not in response.headers
    params = {"appId": flow.app_id, "secret": "wrong" * 4, "grant_type": "client_credential",
              "version": VERSION}
    response = flow.http.get("/api/oauth2/access_token", query_string=params,
                             headers=scenario("connection-reset"))
    assert code_msg(response.get_json()) == ILLEGAL


@pytest.mark.fidelity("F-SCN-11")
def test_a_scenario_that_does_not_apply_to_the_call_is_ignored_by_it(flow: Flow):
    params = {"appId": flow.app_id, "secret": flow.secret, "grant_type": "client_credential",
              "version": VERSION}
    response = flow.http.get("/api/oauth2/access_token", query_string=params,
                             headers=scenario("ocr-card-expired"))
    assert code_msg(response.get_json()) == ("0", "请求成功")
    assert "X-Mock-Scenario-Applied" not in response.headers


def test_marker_scenario_applies_to_that_image_only(flow: Flow):
    body = flow.ocr(marked_image(1, scenario="ocr-card-expired"))[1]
    assert code_msg(body) == ("66661003", "身份证已失效")
    assert flow.ocr(marked_image(2))[1]["code"] == "0"


def test_marker_with_an_unknown_scenario_is_answered_normally_and_noted(flow: Flow):
    order_no = new_order_no()
    assert flow.ocr(marked_image(3, scenario="no-such-scenario"), order_no)[1]["code"] == "0"
    entry = flow.http.get(f"/_mock/requests?orderNo={order_no}").get_json()["requests"][0]
    assert entry["scenario"] is None and "no-such-scenario" in entry["detail"]


def test_queue_applies_to_the_next_calls_it_applies_to(flow: Flow):
    queued = flow.http.post("/_mock/scenarios/next", json={"name": "ocr-card-expired", "count": 2})
    assert queued.status_code == 201
    flow.get_token()  # token and ticket calls do not consume an OCR scenario
    flow.get_ticket()
    codes = [flow.ocr(card_image(i))[1]["code"] for i in range(3)]
    assert codes == ["66661003", "66661003", "0"]
    assert flow.http.get("/_mock/scenarios/next").get_json()["queue"] == []


def test_queue_for_one_endpoint_and_with_parameters(flow: Flow):
    flow.get_ticket()
    flow.http.post("/_mock/scenarios/next",
                   json={"name": "latency", "params": {"ms": 1}, "endpoint": "getOcrResult"})
    order_no = new_order_no()
    ocr = flow.ocr(card_image(1), order_no)[2]
    assert "X-Mock-Scenario-Applied" not in ocr.headers
    response = flow.ocr_result(order_no)[2]
    assert response.headers["X-Mock-Scenario-Applied"] == "latency; ms=1; source=queue"


@pytest.mark.fidelity("F-SCN-12")
def test_precedence_header_then_queue_then_marker(flow: Flow):
    flow.get_ticket()
    flow.http.post("/_mock/scenarios/next", json={"name": "warning-photocopy", "count": 2})
    image = marked_image(4, scenario="ocr-card-expired")
    by_header = flow.post("/api/paas/idcardocrapp", flow.ocr_body(image),
                          headers=scenario("warning-occlusion"))[1]
    assert by_header["result"]["multiWarning"] == "00000100"
    assert flow.http.get("/_mock/scenarios/next").get_json()["queue"][0]["remaining"] == 2
    by_queue = flow.ocr(image)[1]
    assert by_queue["result"]["multiWarning"] == "01000000"
    flow.ocr(card_image(5))
    assert code_msg(flow.ocr(image)[1]) == ("66661003", "身份证已失效")


@pytest.mark.fidelity("F-SCN-6")
def test_a_failing_image_keeps_its_failure_under_a_warning_scenario(flow: Flow):
    body = flow.ocr_body(card_image(6, side="emblem"), cardType="0")
    answer = flow.post("/api/paas/idcardocrapp", body, headers=scenario("warning-photocopy"))[1]
    assert code_msg(answer) == ("66661006", "非身份证人像面")


# -- transport faults, on the wire -------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    app = create_app(Settings(db=":memory:", strict=True))
    with ThreadedServer(app=app) as server:
        flow = Flow(requests.Session(), server.base_url)
        flow.get_ticket()
        yield flow


def raw_ocr(flow: Flow, body: dict, header: str, timeout: float = 10):
    """One idcardocrapp call with http.client: what exactly arrives, or the socket error."""
    conn = http.client.HTTPConnection(flow.base.removeprefix("http://"), timeout=timeout)
    try:
        conn.request("POST", "/api/paas/idcardocrapp", json.dumps(body),
                     {"Content-Type": "application/json", "X-Mock-Scenario": header})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def served_code(flow: Flow, order_no: str) -> str:
    """What getOcrResult says of the order afterwards: served or not."""
    return flow.ocr_result(order_no)[1]["code"]


def fault_latency(flow, body):
    status, headers, data = raw_ocr(flow, body, "latency; ms=20")
    assert status == 200 and json.loads(data)["code"] == "0"
    assert headers["X-Mock-Scenario-Applied"] == "latency; ms=20; source=header"
    with pytest.raises(requests.exceptions.ReadTimeout):
        flow.http.post(f"{flow.base}/api/paas/idcardocrapp", json=flow.ocr_body(card_image(9)),
                       headers=scenario("latency; ms=1500"), timeout=0.2)
    return True


def fault_http(status_code):
    def check(flow, body):
        status, headers, data = raw_ocr(flow, body, f"http-{status_code}")
        assert status == status_code
        if status_code == 500:
            page = json.loads(data)
            assert page["status"] == 500 and "code" not in page
        else:
            assert headers["Content-Type"].startswith("text/html")
            assert f"<h1>{status_code} ".encode() in data
        return status_code == 504  # a gateway time-out: the call was served
    return check


def fault_reset(flow, body):
    with pytest.raises(ConnectionResetError):
        raw_ocr(flow, body, "connection-reset")
    with pytest.raises(requests.exceptions.ConnectionError, match="reset"):
        flow.http.post(f"{flow.base}/api/paas/idcardocrapp", json=flow.ocr_body(card_image(9)),
                       headers=scenario("connection-reset"))
    return True


def fault_empty(flow, body):
    status, headers, data = raw_ocr(flow, body, "empty-body")
    assert (status, data, headers["Content-Length"]) == (200, b"", "0")
    assert headers["Content-Type"].startswith("application/json")
    return True


def fault_malformed(flow, body):
    status, _, data = raw_ocr(flow, body, "malformed-json")
    assert status == 200 and data.startswith(b'{"code":"0","msg":"')
    with pytest.raises(ValueError):
        json.loads(data)
    return True


def fault_stall(flow, body):
    with pytest.raises(TimeoutError):
        raw_ocr(flow, body, "stall; seconds=1", timeout=0.2)
    return True


FAULT_CASES = {
    "latency": fault_latency, "http-500": fault_http(500), "http-502": fault_http(502),
    "http-503": fault_http(503), "http-504": fault_http(504), "connection-reset": fault_reset,
    "empty-body": fault_empty, "malformed-json": fault_malformed, "stall": fault_stall,
}


@pytest.mark.fidelity("F-SCN-7", "F-SCN-8")
@pytest.mark.parametrize("name", list(FAULT_CASES))
@pytest.mark.fidelity("F-SCN-9", "F-SCN-10")
def test_transport_fault_on_the_wire(served: Flow, name):
    order_no = new_order_no()
    served_before_fault = FAULT_CASES[name](served, served.ocr_body(card_image(7), order_no))
    assert served_before_fault == FAULTS[name].takes_effect
    expected = "0" if served_before_fault else "66660020"
    assert served_code(served, order_no) == expected
    entry = served.http.get(f"{served.base}/_mock/requests",
                            params={"orderNo": order_no, "limit": 5}).json()["requests"]
    faulted = [e for e in entry if e["endpoint"] == "idcardocrapp"][0]
    assert faulted["scenario"] == name and faulted["fault"] == name


@pytest.mark.fidelity("F-SCN-8")
def test_faults_apply_to_token_and_ticket_calls_too(served: Flow):
    params = {"appId": served.app_id, "secret": served.secret, "grant_type": "client_credential",
              "version": VERSION}
    response = served.http.get(f"{served.base}/api/oauth2/access_token", params=params,
                               headers=scenario("http-502"))
    assert response.status_code == 502 and "Bad Gateway" in response.text
    params = {"appId": served.app_id, "access_token": served.get_token(), "type": "SIGN",
              "version": VERSION}
    with pytest.raises(requests.exceptions.ConnectionError):
        served.http.get(f"{served.base}/api/oauth2/api_ticket", params=params,
                        headers=scenario("connection-reset"))

