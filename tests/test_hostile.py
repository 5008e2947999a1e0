"""Hostile input over the wire against `idcard-mock serve`: every answer is the vendor's envelope
with a clear X-Mock-Detail, the journal records what the client got, and the server's output
never carries a secret, token, ticket, sign or ID number."""

from __future__ import annotations

import json
import re
import socket

import pytest
import requests

from mock_server import masking, signing
from mock_server.served import ServedMock
from tests.support import NONCE, VERSION, Flow, card_image, new_order_no

APP_ID = "TIDA0042"
SECRET = "Hostile0Secret" + "9" * 50
ID_NUMBER = "340621197709022835"
CONTROL = [chr(c) for c in range(0x20)] + ["\x7f"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    mock = ServedMock(tmp_path_factory.mktemp("hostile") / "mock.sqlite3", "--app",
                      f"{APP_ID}:{SECRET}", workers=1).start()
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def flow(served) -> Flow:
    flow = Flow(requests.Session(), base=served.base, app_id=APP_ID, secret=SECRET)
    flow.get_ticket()
    return flow


def raw(served: ServedMock, data: bytes) -> bytes:
    """Send bytes as they are (no client library would send most of these) and read the answer."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


def last_entry(flow: Flow) -> dict:
    return flow.http.get(f"{flow.base}/_mock/requests?limit=1").json()["requests"][0]


# -- finding 1: control characters copied into headers -------------------------------------


@pytest.mark.fidelity("F-ANS-7")
@pytest.mark.parametrize("char", CONTROL, ids=[f"0x{ord(c):02x}" for c in CONTROL])
def test_every_control_character_in_a_detail_header_is_answered_cleanly(flow, char):
    response = requests.get(f"{flow.base}/api/oauth2/access_token", params={
        "appId": char, "secret": "x", "grant_type": "client_credential", "version": VERSION})
    assert response.status_code == 200
    assert (response.json()["code"], response.json()["msg"]) == ("400101", "不合法的请求")
    assert response.headers["X-Mock-Detail"] == (
        f"app \\x{ord(char):02x} is not configured in this mock")
    entry = last_entry(flow)
    assert (entry["endpoint"], entry["http_status"], entry["code"]) == ("access_token", 200, "400101")


def test_a_del_byte_in_a_signed_value_reaches_the_diagnosis_header_cleanly(flow):
    body = flow.ocr_body(card_image(1), version="\x7f")
    response = requests.post(f"{flow.base}/api/paas/idcardocrapp", json=body)
    assert response.status_code == 200 and response.json()["code"] == "400101"
    assert response.headers["X-Mock-Sign-Diagnosis"].startswith("wrong-version; expected=[")
    assert '"\\x7f"' in response.headers["X-Mock-Sign-Diagnosis"]
    assert "\\x7f" in response.headers["X-Mock-Detail"]
    entry = last_entry(flow)
    assert (entry["http_status"], entry["code"]) == (200, "400101")


# -- finding 5: malformed requests are the client's fault ----------------------------------


@pytest.mark.fidelity("F-ANS-6")
def test_json_nested_100000_deep_is_a_malformed_request(flow):
    body = '{"a":' * 100_000 + "1" + "}" * 100_000
    response = requests.post(f"{flow.base}/api/paas/idcardocrapp", data=body,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert (response.json()["code"], response.json()["msg"]) == ("400101", "不合法的请求")
    assert response.headers["X-Mock-Detail"] == "the JSON body is nested too deeply"


@pytest.mark.fidelity("F-ANS-6")
def test_an_invalid_chunk_size_is_a_malformed_request(served):
    answer = raw(served, b"POST /api/paas/idcardocrapp HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"ZZ\r\nabc\r\n0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["code"] == "400101"
    assert re.search(rb"\r\nX-Mock-Detail: the request body could not be read: [^\r]*chunk", head,
                     re.IGNORECASE), head


def test_malformed_input_never_reached_the_internal_fault_path(served, flow):
    """Run after the tests above: none of their requests was answered 66661099 or logged a
    traceback."""
    codes = [e["code"] for e in flow.http.get(f"{flow.base}/_mock/requests").json()["requests"]]
    assert "66661099" not in codes
    assert "Traceback" not in served.log.read_text(errors="replace")


# -- finding 3: nothing secret in the server's output --------------------------------------


def hostile_batch(served: ServedMock, flow: Flow) -> dict[str, str]:
    """Requests whose credentials and ID numbers a careless server would log; the full values
    that must not appear in its output, by name."""
    order_no = new_order_no()
    assert flow.ocr(card_image(2), order_no, userId=ID_NUMBER)[1]["code"] == "0"
    sign = flow.ocr_body(card_image(2), order_no)["sign"]
    # A failed call, whose access line carries the vendor's msg and the sign diagnosis: userId
    # (an ID number) signed, an ID number as the orderNo.
    wrong = flow.ocr_body(card_image(3), ID_NUMBER, userId=ID_NUMBER)
    wrong["sign"] = signing.sign([APP_ID, ID_NUMBER, NONCE, VERSION, flow.ticket, ID_NUMBER])
    assert flow.post("/api/paas/idcardocrapp", wrong)[1]["code"] == "400101"
    query = (f"appId={APP_ID}&secret={SECRET}&access_token={flow.token}&ticket={flow.ticket}"
             f"&sign={sign}&userId={ID_NUMBER}&nonce={NONCE}")
    encoded = query.replace("secret=", "%73ecret=").replace("sign=", "%73ign=")
    batch = [
        # A control character in the request line: the server refuses the line and logs it.
        f"GET /api/oauth2/access_token?{query}\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /api/oauth2/access_token?{encoded}\x7f HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /api/server/getOcrResult/{flow.ticket}/{SECRET}\x02 HTTP/1.1\r\nHost: x\r\n\r\n",
        # A request line the server cannot parse for other reasons.
        f"GET /api/oauth2/access_token?{query} HTTP/1.1 trailing\r\nHost: x\r\n\r\n",
        f"GET /api/oauth2/access_token?{query} HTTP/9.9\r\nHost: x\r\n\r\n",
        # Control characters and credentials in header values.
        f"GET /_mock/health HTTP/1.1\r\nHost: x\r\nX-Mock-Admin-Token: {SECRET}\x01\r\n\r\n",
        f"GET /api/oauth2/access_token?{query} HTTP/1.1\r\nHost: x\r\nX-A: {flow.token}\x00\r\n\r\n",
        # Bodies that cannot be read.
        "POST /api/paas/idcardocrapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Transfer-Encoding: chunked\r\n\r\n{SECRET}\r\n{ID_NUMBER}\r\n0\r\n\r\n",
    ]
    for request in batch:
        raw(served, request.encode("latin-1"))
    return {"secret": SECRET, "token": flow.token, "SIGN ticket": flow.ticket, "sign": sign,
            "ID number": ID_NUMBER}


def assert_nothing_secret(log: str, secrets: dict[str, str], shown: str | None = None) -> None:
    """`log` as written; `shown` the text it shows (JSON escapes decoded)."""
    shown = log if shown is None else shown
    assert "Invalid request" in shown  # the batch did reach the log
    for what, value in secrets.items():
        assert value not in log and value not in shown, f"the server output holds a full {what}"
    assert masking.secret(SECRET) in shown
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", log), "a raw control character was logged"


@pytest.mark.fidelity("F-SCN-17")
def test_the_server_output_holds_no_secret_after_a_hostile_batch(served, flow):
    secrets = hostile_batch(served, flow)
    log = served.log.read_text(errors="replace")
    assert_nothing_secret(log, secrets)
    masked = masking.id_number(ID_NUMBER)
    assert ("POST /api/paas/idcardocrapp 200 code=400101 msg=不合法的请求 sign=user-id-signed "
            in log)
    assert re.search(rf"sign=user-id-signed \d+ms order={re.escape(masked)} ", log)


@pytest.mark.fidelity("F-SCN-17")
def test_the_json_log_holds_no_secret_after_a_hostile_batch(tmp_path):
    served = ServedMock(tmp_path / "mock.sqlite3", "--app", f"{APP_ID}:{SECRET}", "--log-format",
                        "json", workers=1).start()
    try:
        flow = Flow(requests.Session(), base=served.base, app_id=APP_ID, secret=SECRET)
        flow.get_ticket()
        secrets = hostile_batch(served, flow)
    finally:
        served.stop()
    log = served.log.read_text(errors="replace")
    records = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line a JSON object
    assert_nothing_secret(log, secrets, "\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    failed = [r for r in records if r.get("logger") == "idcard_mock.access" and "sign" in r]
    assert len(failed) == 1, failed
    assert failed[0]["sign"] == "user-id-signed"
    assert (failed[0]["code"], failed[0]["vendor_msg"]) == ("400101", "不合法的请求")
    assert failed[0]["order"] == masking.id_number(ID_NUMBER)
    assert failed[0]["status"] == 200 and isinstance(failed[0]["duration_ms"], float)
