"""`mock_kyc`: the vendor's hosts answered in-process for requests, httpx and httpx async, over
http and https; every other host untouched; the served mock's answers, faults included."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import requests

from mock_server import service
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from mock_server.testing import VENDOR_HOSTS, mock_kyc
from tests import ekyc_style_client
from tests.support import Flow, card_image, new_order_no

TOKEN_QUERY = {"appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET,
               "grant_type": "client_credential", "version": "1.0.0"}


def requests_get(url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = requests.get(url, timeout=5, **kwargs)
    return response.status_code, response.json()


def httpx_get(url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with httpx.Client(timeout=5) as client:
        response = client.get(url, **kwargs)
    return response.status_code, response.json()


def httpx_async_get(url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async def get() -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(url, **kwargs)
        return response.status_code, response.json()

    return asyncio.run(get())


CLIENTS = {"requests": requests_get, "httpx": httpx_get, "httpx-async": httpx_async_get}


@pytest.mark.fidelity("F-HOST-1")
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize("host", VENDOR_HOSTS)
def test_every_vendor_host_is_answered(host: str, scheme: str, client: str):
    with mock_kyc() as kyc:
        status, body = CLIENTS[client](f"{scheme}://{host}/api/oauth2/access_token",
                                       params=TOKEN_QUERY)
        assert status == 200 and body["code"] == "0" and len(body["access_token"]) > 0
        kyc.assert_called("access_token", times=1)


def test_the_vendor_hosts_are_those_the_docs_name():
    from tests.test_vendor_api_doc import DOC

    text = DOC.read_text(encoding="utf-8")
    hosts_paragraph = text[text.index("Hosts seen over the years"):].split("\n\n", 1)[0]
    assert set(VENDOR_HOSTS) == {h for h in hosts_paragraph.replace("`", " ").split()
                                 if h.endswith((".com", ".cn"))}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_host_given_is_answered_too(client: str):
    with mock_kyc(hosts=["kyc-gateway.example.internal:8443", "https://Other.Example/"]) as kyc:
        assert kyc.hosts == (*VENDOR_HOSTS, "kyc-gateway.example.internal", "other.example")
        for url in ("https://kyc-gateway.example.internal:8443", "http://other.example"):
            status, body = CLIENTS[client](f"{url}/api/oauth2/access_token", params=TOKEN_QUERY)
            assert body["code"] == "0"


@pytest.mark.parametrize("client", CLIENTS)
def test_other_hosts_pass_through_untouched(client: str):
    def elsewhere(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        data = json.dumps({"served": "elsewhere", "path": environ["PATH_INFO"]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [data]

    with ThreadedServer(app=elsewhere) as server, mock_kyc() as kyc:
        status, body = CLIENTS[client](f"{server.base_url}/api/oauth2/access_token")
        assert (status, body) == (200, {"served": "elsewhere", "path": "/api/oauth2/access_token"})
        assert kyc.requests == []


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/not/a/vendor/path"),
                                              ("GET", "/api/paas/idcardocrapp"),
                                              ("DELETE", "/api/oauth2/access_token")])
def test_unknown_paths_and_methods_get_what_the_served_mock_gives(client: str, method: str, path: str):
    def fetch(base: str) -> tuple[int, str | None, dict[str, Any]]:
        if client == "requests":
            r: Any = requests.request(method, base + path, timeout=5)
        else:
            with httpx.Client() as c:
                r = c.request(method, base + path)
        return r.status_code, r.headers.get("Allow"), r.json()

    with ThreadedServer() as server:
        served = fetch(server.base_url)
    with mock_kyc():
        answered = fetch("https://kyc1.qcloud.com")
    assert served[0] in (404, 405) and served[2]["code"] == "400101"
    assert answered[:2] == served[:2]
    assert {k: answered[2][k] for k in ("code", "msg", "success")} == \
        {k: served[2][k] for k in ("code", "msg", "success")}


def test_a_client_with_hard_coded_vendor_urls_runs_unchanged(monkeypatch: pytest.MonkeyPatch):
    with mock_kyc() as kyc:
        monkeypatch.setenv("KYC_APPID", kyc.app_id)
        monkeypatch.setenv("KYC_SECRET", kyc.secret)
        portrait = kyc.fixture("portrait")
        answer = ekyc_style_client.id_card_ocr(str(portrait.image))
        assert answer["success"] is True
        assert answer["idcard"] == portrait.result["idcard"]
        assert answer["name"] == portrait.result["name"]
        order = kyc.order(answer["orderNo"])
        assert order.portrait.fields["idcard"] == portrait.result["idcard"]
        with kyc.scenario("ocr-card-expired"):
            assert ekyc_style_client.id_card_ocr(str(portrait.image)) == {
                "success": False, "code": "66661003", "error": "身份证已失效"}
        kyc.assert_called("idcardocrapp", times=2)
        assert [c["request"].get("app_id") for c in kyc.requests
                if c["endpoint"] == "access_token"] == [kyc.app_id] * 2


def test_transport_faults_reach_the_client_as_the_library_raises_them():
    with mock_kyc() as kyc:
        url = "https://kyc1.qcloud.com/api/oauth2/access_token"
        with kyc.scenario("connection-reset"):
            with pytest.raises(requests.exceptions.ConnectionError, match="reset"):
                requests.get(url, params=TOKEN_QUERY, timeout=5)
            with pytest.raises(httpx.ReadError, match="reset"):
                httpx.get(url, params=TOKEN_QUERY)
        with kyc.scenario("malformed-json"):
            with pytest.raises(requests.exceptions.JSONDecodeError):
                requests.get(url, params=TOKEN_QUERY, timeout=5).json()
        with kyc.scenario("http-502"):
            response = httpx.get(url, params=TOKEN_QUERY)
            assert response.status_code == 502 and "Bad Gateway" in response.text


def test_as_a_decorator_each_call_gets_a_fresh_mock():
    kyc = mock_kyc()
    seen: list[int] = []

    @kyc
    def recognise(seed: int) -> str:
        flow = Flow(requests.Session(), base="https://kyc.qcloud.com")
        body = flow.ocr(card_image(seed), "sameorder")[1]
        seen.append(len(kyc.orders))
        return body["result"]["idcard"]

    first = recognise(1)
    assert recognise(1) == first and seen == [1, 1]
    assert recognise.__name__ == "recognise"
    with pytest.raises(RuntimeError, match="not active"):
        kyc.requests  # noqa: B018


def test_as_a_decorator_of_an_async_function():
    kyc = mock_kyc()

    @kyc
    async def recognise() -> tuple[str, int]:
        async with httpx.AsyncClient(base_url="https://idasc.webank.com") as client:
            token = (await client.get("/api/oauth2/access_token", params=TOKEN_QUERY)).json()
        return token["code"], len(kyc.requests)

    assert asyncio.run(recognise()) == ("0", 1)
    assert not kyc.active


def test_async_with():
    async def run() -> str:
        async with mock_kyc() as kyc, httpx.AsyncClient() as client:
            kyc.queue("http-503")
            first = await client.get("https://kyc1.qcloud.com/api/oauth2/access_token",
                                     params=TOKEN_QUERY)
            second = await client.get("https://kyc1.qcloud.com/api/oauth2/access_token",
                                      params=TOKEN_QUERY)
            return f"{first.status_code} {second.json()['code']}"

    assert asyncio.run(run()) == "503 0"


def test_after_the_block_nothing_is_answered_any_more():
    # A loopback port nothing listens on, given as a host: answered inside, refused after.
    url = "http://127.0.0.1:9/api/oauth2/access_token"
    with mock_kyc(hosts=["127.0.0.1"]):
        assert requests_get(url, params=TOKEN_QUERY)[1]["code"] == "0"
        assert httpx_get(url, params=TOKEN_QUERY)[1]["code"] == "0"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, timeout=2)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_one_mock_at_a_time_per_object():
    kyc = mock_kyc()
    with kyc, pytest.raises(RuntimeError, match="already active"):
        kyc.start()


def test_apps_and_fixtures_configure_the_mock(tmp_path):
    photo = card_image(41)
    (tmp_path / "front.jpg").write_bytes(photo)
    result = {"name": "王小明", "sex": "男", "nation": "汉", "birth": "19900307",
              "address": "北京市东城区东华门街道1号", "idcard": "110101199003070014",
              "warning": "00000000", "multiWarning": "00000000", "clarity": "70", "retry": "1",
              "success": False}
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "entries": [
        {"id": "mine", "image": "front.jpg", "side": "portrait", "code": "0", "result": result},
    ]}), encoding="utf-8")
    secret = "s" * 64
    with mock_kyc(apps={"IDAX0001": secret}, fixtures=[tmp_path], default_fixtures=False) as kyc:
        assert (kyc.app_id, kyc.secret) == ("IDAX0001", secret)
        assert [e.id for e in kyc.fixtures] == ["mine"]
        flow = Flow(requests.Session(), base="https://kyc1.qcloud.com", app_id=kyc.app_id,
                    secret=kyc.secret)
        assert flow.ocr(photo, new_order_no())[1]["result"]["idcard"] == result["idcard"]
        refused = requests_get("https://kyc1.qcloud.com/api/oauth2/access_token",
                               params=TOKEN_QUERY)[1]
        assert refused["code"] == "400101"  # the development app is not one of its apps


@pytest.mark.parametrize(("given", "message"), [
    ({"apps": {}}, "apps must map"),
    ({"hosts": ["not a host"]}, "not a host name"),
    ({"strict": "yes"}, "strict must be True or False"),
])
def test_wrong_options_are_refused_at_once(given: dict[str, Any], message: str):
    with pytest.raises((TypeError, ValueError), match=message):
        mock_kyc(**given)


def test_strict_mode_fails_the_block_when_the_mock_breaks_its_schemas(monkeypatch):
    # A deliberate fault: expire_time in a format the schema refuses.
    monkeypatch.setattr(service, "compact_time", lambda ts: "soon")
    url = "https://kyc1.qcloud.com/api/oauth2/access_token"
    with pytest.raises(AssertionError, match="the mock answered HTTP 500: "
                                             "/api/oauth2/access_token answered 500"):
        with mock_kyc():
            assert requests.get(url, params=TOKEN_QUERY, timeout=5).status_code == 500
    with mock_kyc(strict=False):
        assert requests_get(url, params=TOKEN_QUERY)[1]["expire_time"] == "soon"
