"""The validating proxy (mock_server/live/proxy.py) between a partner flow and an upstream stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from mock_server.live.proxy import ProxyConfig, create_proxy_app
from mock_server.pytest_plugin import ThreadedServer
from tests.live_support import Dropping, in_result, upstream
from tests.support import Flow, card_image


def _proxy(tmp_path: Path, url: str, timeout: float = 5.0) -> ThreadedServer:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return ThreadedServer(app=create_proxy_app(ProxyConfig(upstream=url, state_dir=state,
                                                           timeout=timeout))).start()


@pytest.fixture
def session():
    with requests.Session() as http:
        yield http


def test_pass_through_is_byte_exact(tmp_path: Path, session: requests.Session) -> None:
    server, altered = upstream()
    proxy = _proxy(tmp_path, server.base_url)
    try:
        flow = Flow(session, proxy.base_url)
        flow.get_token()
        flow.get_ticket()
        status, body, response = flow.ocr(card_image(1, side="portrait"))
        received = [response.content]
        _, _, result = flow.ocr_result(body["result"]["orderNo"], get_file="1")
        received.append(result.content)
        wrong = session.post(f"{proxy.base_url}/api/paas/idcardocrapp", data=b"{not json",
                             headers={"Content-Type": "application/json"})
        received.append(wrong.content)
        assert received == altered.sent[-3:]
        assert [response.headers["Content-Type"], result.headers["Content-Type"],
                wrong.headers["Content-Type"]] == altered.content_types[-3:]
        assert wrong.status_code == 200 and json.loads(wrong.content)["code"] == "400101"
        assert all("X-Mock-Violations" not in r.headers for r in (response, result, wrong))
        assert session.get(f"{proxy.base_url}/_mock/violations").json()["with_violations"] == 0
    finally:
        proxy.stop()
        server.stop()


def _wrong_check_digit(result):
    number = result["idcard"]
    digits = "0123456789X"
    result["idcard"] = number[:17] + digits[(digits.index(number[17]) + 1) % 11]


def _swap_sex(result):
    result["sex"] = "女" if result["sex"] == "男" else "男"


@pytest.mark.parametrize(("change", "kind"), [
    (in_result(_wrong_check_digit), "idcard-check-digit"),
    (in_result(lambda r: r.update(birth="19000101")), "birth-mismatch"),
    (in_result(_swap_sex), "sex-mismatch"),
    (in_result(lambda r: r.update(idcard="12345")), "idcard-format"),
    (in_result(lambda r: r.update(authority="某公安局")), "side-fields"),
    (in_result(lambda r: r.update(warning="0000")), "envelope-format"),
    (in_result(lambda r: r.update(clarity=64)), "schema"),
    (lambda path, body: {**body, "code": 0} if path.endswith("access_token") else body, "schema"),
    (in_result(lambda r: r.update(validDate="20200101-20230101"),
               "/api/server/getOcrResult"), "valid-date"),
    (in_result(lambda r: r.update(nativePlace="火星")), "native-place"),
])
def test_each_violation_kind_is_caught(tmp_path: Path, session: requests.Session, change,
                                       kind: str) -> None:
    server, _ = upstream(change)
    proxy = _proxy(tmp_path, server.base_url)
    try:
        flow = Flow(session, proxy.base_url)
        flow.token = flow.http.get(f"{proxy.base_url}/api/oauth2/access_token", params={
            "appId": flow.app_id, "secret": flow.secret, "grant_type": "client_credential",
            "version": "1.0.0"}).json()["access_token"]
        flow.get_ticket()
        flow.ocr(card_image(2, side="portrait"), getNative="1")
        order = flow.ocr_body(card_image(3, side="emblem"), cardType="1")
        flow.post(f"/api/paas/idcardocrapp?orderNo={order['orderNo']}", order)
        flow.ocr_result(order["orderNo"])
        summary = session.get(f"{proxy.base_url}/_mock/violations").json()
        assert kind in summary["kinds"], summary
        journal = session.get(f"{proxy.base_url}/_mock/requests").json()
        assert any(kind in entry["violations"] for entry in journal)
    finally:
        proxy.stop()
        server.stop()


def test_violation_header_carries_names_only(tmp_path: Path, session: requests.Session) -> None:
    server, _ = upstream(in_result(_wrong_check_digit))
    proxy = _proxy(tmp_path, server.base_url)
    try:
        flow = Flow(session, proxy.base_url)
        _, body, response = flow.ocr(card_image(4, side="portrait"))
        assert response.headers["X-Mock-Violations"] == "idcard-check-digit"
        number = body["result"]["idcard"]
        text = json.dumps(session.get(f"{proxy.base_url}/_mock/violations").json(),
                          ensure_ascii=False)
        assert number not in text and number[:6] in text
    finally:
        proxy.stop()
        server.stop()


def test_upstream_that_drops_the_connection_gives_502(tmp_path: Path,
                                                      session: requests.Session) -> None:
    dropping = Dropping()
    proxy = _proxy(tmp_path, dropping.url)
    try:
        response = session.get(f"{proxy.base_url}/api/oauth2/access_token?appId=x")
        assert response.status_code == 502
        assert "dropped the connection" in response.headers["X-Mock-Detail"]
        assert "code" not in response.text
    finally:
        proxy.stop()
        dropping.close()


def test_slow_upstream_gives_502_after_the_timeout(tmp_path: Path,
                                                   session: requests.Session) -> None:
    server, _ = upstream(delay=1.5)
    proxy = _proxy(tmp_path, server.base_url, timeout=0.5)
    try:
        response = session.get(f"{proxy.base_url}/api/oauth2/access_token?appId=x")
        assert response.status_code == 502
        assert response.headers["X-Mock-Detail"] == "the upstream did not answer within 0.5 s"
        assert session.get(f"{proxy.base_url}/_mock/violations").json()["unanswered"] == 1
    finally:
        proxy.stop()
        server.stop()


def test_other_paths_are_not_forwarded(tmp_path: Path, session: requests.Session) -> None:
    server, altered = upstream()
    proxy = _proxy(tmp_path, server.base_url)
    try:
        response = session.get(f"{proxy.base_url}/api/server/getOcrCertId")
        assert response.status_code == 404 and not altered.sent
    finally:
        proxy.stop()
        server.stop()


def test_journal_keeps_no_secret_token_ticket_or_sign(tmp_path: Path,
                                                      session: requests.Session) -> None:
    server, _ = upstream()
    proxy = _proxy(tmp_path, server.base_url)
    try:
        flow = Flow(session, proxy.base_url)
        flow.get_token()
        flow.get_ticket()
        body = flow.ocr_body(card_image(5, side="portrait"))
        flow.post(f"/api/paas/idcardocrapp?orderNo={body['orderNo']}", body)
        text = session.get(f"{proxy.base_url}/_mock/requests").text
        for value in (flow.secret, flow.token, flow.ticket, body["sign"]):
            assert value not in text
        assert (tmp_path / "state" / "violations.jsonl").is_file()
        logged = (tmp_path / "state" / "violations.jsonl").read_text()
        assert flow.token not in logged and flow.ticket not in logged
    finally:
        proxy.stop()
        server.stop()
