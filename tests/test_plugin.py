"""The pytest plugin (mock_server/pytest_plugin.py) as a user's own suite meets it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests  # imported here so pytester's in-process runs share one copy

from contract_tests.target import DEVELOPMENT_APP, probe
from mock_server.fixtures.pack import default_pack_dir, load_pack
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

pytest_plugins = ["pytester"]


def json_app(status: str, body: Any, content_type: str = "application/json") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    return app


def test_a_users_suite_gets_a_fresh_mock_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import requests
        from mock_server.client import OrderNotFoundError

        ORDERS = []

        def test_first(idcard_mock):
            portrait = idcard_mock.fixture("portrait")
            result = idcard_mock.client.ocr(portrait.read(), order_no="shared1")
            assert result.idcard == portrait.result["idcard"]
            assert idcard_mock.base_url.startswith("http://127.0.0.1:")
            health = requests.get(idcard_mock.base_url + "/_mock/health", timeout=5).json()
            assert health["service"] == "idcard-mock"
            ORDERS.append(idcard_mock.base_url)

        def test_second_sees_nothing_of_the_first(idcard_mock):
            assert idcard_mock.base_url != ORDERS[0]
            with pytest.raises(OrderNotFoundError):
                idcard_mock.client.ocr_result("shared1")

        def test_fixtures_have_absolute_paths(idcard_mock):
            assert idcard_mock.fixtures
            assert all(f.image.is_absolute() and f.image.is_file() for f in idcard_mock.fixtures)
            assert {f.side for f in idcard_mock.fixtures} == {"portrait", "emblem"}
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_the_plugin_adds_no_options(pytester: pytest.Pytester) -> None:
    """A user's own --secret, --base-url or --app-id lives beside the plugin."""
    pytester.makeconftest(
        """
        def pytest_addoption(parser):
            parser.addoption("--secret")
            parser.addoption("--base-url")
            parser.addoption("--app-id")
        """
    )
    pytester.makepyfile(
        """
        def test_own_option(pytestconfig):
            assert pytestconfig.getoption("secret") == "mine"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", "--secret", "mine").assert_outcomes(passed=1)
    text = pytester.runpytest_inprocess("--help").stdout.str()
    assert "--kyc-" not in text


def test_the_suite_knows_the_mocks_development_app() -> None:
    assert DEVELOPMENT_APP == (DEFAULT_APP_ID, DEFAULT_SECRET)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (json_app("200 OK", {"status": "ok", "service": "idcard-mock"}), True),
        # A mock whose admin surface refuses a non-loopback caller still names itself.
        (json_app("403 FORBIDDEN", {"error": "refused", "service": "idcard-mock"}), True),
        (json_app("200 OK", {"status": "ok", "service": "something-else"}), False),
        (json_app("200 OK", ["idcard-mock"]), False),
        (json_app("404 NOT FOUND", {"code": "400101", "msg": "不合法的请求"}), False),
        (json_app("200 OK", b"<html>idcard-mock</html>", "text/html"), False),
    ],
    ids=["health", "health-refused", "other-service", "not-an-object", "vendor-404", "html"],
)
@pytest.mark.fidelity("F-KIT-1")
def test_the_suites_probe_tells_the_mock(app: Any, expected: bool) -> None:
    with ThreadedServer(app=app) as server:
        assert probe(server.base_url) == (True, expected)


@pytest.mark.fidelity("F-KIT-1")
def test_the_suites_probe_against_the_real_mock_and_nothing() -> None:
    with ThreadedServer() as server:
        assert probe(server.base_url) == (True, True)
    assert probe("http://127.0.0.1:9") == (False, False)


def test_server_errors_are_kept() -> None:
    with ThreadedServer(app=json_app("500 INTERNAL SERVER ERROR", {"x": 1})) as server:
        requests.get(server.base_url + "/api/oauth2/access_token", timeout=5)
    assert server.server_errors == ["/api/oauth2/access_token answered 500 INTERNAL SERVER ERROR"]


def test_the_default_pack_has_a_recognised_card_of_each_side() -> None:
    folder = default_pack_dir()
    assert folder is not None
    assert {e.side for e in load_pack(folder).entries if e.code == "0"} == {"portrait", "emblem"}


def test_the_documented_example_runs(pytester: pytest.Pytester) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text(encoding="utf-8")
    section = doc.split("## The pytest plugin", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None
    pytester.makepyfile(test_example=example.group(1))
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_500_the_test_asked_for_is_not_a_server_error() -> None:
    from tests.support import Flow

    server = ThreadedServer().start()
    try:
        flow = Flow(requests.Session(), base=server.base_url)
        flow.get_token()
        response = flow.http.get(
            f"{server.base_url}/api/oauth2/access_token",
            params={"appId": flow.app_id, "secret": flow.secret,
                    "grant_type": "client_credential", "version": "1.0.0"},
            headers={"X-Mock-Scenario": "http-500"},
        )
        assert response.status_code == 500
        assert server.server_errors == []
    finally:
        server.stop()


# -- configuration and scope ----------------------------------------------------------------------

def _hand_pack(pytester: pytest.Pytester, folder: str) -> None:
    from tests.support import card_image

    target = pytester.path / folder
    target.mkdir(parents=True)
    (target / "front.jpg").write_bytes(card_image(41))
    result = {"name": "王小明", "sex": "男", "nation": "汉", "birth": "19900307",
              "address": "北京市东城区东华门街道1号", "idcard": "110101199003070014",
              "warning": "00000000", "multiWarning": "00000000", "clarity": "70", "retry": "1",
              "success": False}
    (target / "manifest.json").write_text(json.dumps({"version": 1, "entries": [
        {"id": "mine", "image": "front.jpg", "side": "portrait", "code": "0", "result": result},
    ]}), encoding="utf-8")


def test_ini_options_and_the_marker_configure_both_fixtures(pytester: pytest.Pytester) -> None:
    _hand_pack(pytester, "packs/ini")
    _hand_pack(pytester, "packs/marked")
    pytester.makeini(
        """
        [pytest]
        idcard_mock_apps =
            IDAX0001:{secret}
            IDAX0002:{secret}
        idcard_mock_fixtures = packs/ini
        idcard_mock_default_fixtures = false
        idcard_mock_hosts = kyc-gateway.example.internal
        """.format(secret="s" * 64)
    )
    pytester.makepyfile(
        """
        import pytest
        import requests

        SECRET = "s" * 64

        @pytest.fixture(params=["idcard_mock", "idcard_mock_kyc"])
        def kyc(request):
            return request.getfixturevalue(request.param)

        def test_ini(kyc):
            assert (kyc.app_id, kyc.secret) == ("IDAX0001", SECRET)
            assert set(kyc.apps) == {"IDAX0001", "IDAX0002"}
            assert [e.image.parent.name for e in kyc.fixtures] == ["ini"]
            assert kyc.settings.strict is True

        @pytest.mark.idcard_mock(apps={"IDAM0001": "m" * 64}, fixtures=["packs/marked"],
                                 strict=False)
        def test_marker_wins(kyc):
            assert kyc.app_id == "IDAM0001"
            assert [e.image.parent.name for e in kyc.fixtures] == ["marked"]
            assert kyc.settings.strict is False

        def test_hosts_from_ini(idcard_mock_kyc):
            assert "kyc-gateway.example.internal" in idcard_mock_kyc.hosts
            answer = requests.get("https://kyc-gateway.example.internal/api/oauth2/access_token",
                                  params={"appId": "IDAX0002", "secret": SECRET,
                                          "grant_type": "client_credential", "version": "1.0.0"})
            assert answer.json()["code"] == "0"

        @pytest.mark.idcard_mock("packs/marked")
        def test_positional_marker(idcard_mock_kyc):
            pass

        @pytest.mark.idcard_mock(fixture=["packs/marked"])
        def test_misspelt_marker(idcard_mock):
            pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, errors=2)
    result.stdout.fnmatch_lines([
        "*@pytest.mark.idcard_mock takes keywords only*",
        "*@pytest.mark.idcard_mock: unknown option fixture; options are apps, fixtures, *",
    ])


def test_a_session_scoped_served_mock_is_reset_before_each_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nidcard_mock_scope = session\n")
    pytester.makepyfile(
        """
        import pytest

        SEEN = []

        def test_first(idcard_mock):
            idcard_mock.client.ocr(idcard_mock.fixture("portrait").read(), order_no="kept1")
            idcard_mock.queue("http-503", count=5)
            idcard_mock.advance_clock(3600)
            SEEN.append((idcard_mock.base_url, idcard_mock.now))

        def test_second_shares_the_server_not_its_state(idcard_mock):
            base_url, moved = SEEN[0]
            assert idcard_mock.base_url == base_url
            assert idcard_mock.orders == [] and idcard_mock.requests == []
            assert idcard_mock.now < moved
            assert idcard_mock.client.ocr(idcard_mock.fixture("portrait").read()).idcard

        @pytest.mark.idcard_mock(apps={"IDAM0001": "m" * 64})
        def test_a_marker_gets_a_server_of_its_own(idcard_mock):
            assert idcard_mock.base_url != SEEN[0][0]
            assert idcard_mock.client.ocr(idcard_mock.fixture("portrait").read()).idcard
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_an_unknown_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nidcard_mock_scope = module\n")
    pytester.makepyfile("def test_it(idcard_mock):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*idcard_mock_scope must be one of function, session*"])
    assert result.ret != 0


def test_mock_kyc_on_async_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from mock_server.testing import mock_kyc

        kyc = mock_kyc()

        @pytest.mark.anyio
        @kyc
        async def test_async_decorated():
            async with httpx.AsyncClient() as client:
                answer = await client.get(
                    "https://kyc1.qcloud.com/api/oauth2/access_token",
                    params={"appId": kyc.app_id, "secret": kyc.secret,
                            "grant_type": "client_credential", "version": "1.0.0"})
            assert answer.json()["code"] == "0"
            kyc.assert_called("access_token", times=1)

        @pytest.mark.anyio
        async def test_async_with_the_fixture(idcard_mock_kyc):
            with idcard_mock_kyc.scenario("http-503"):
                async with httpx.AsyncClient() as client:
                    answer = await client.get(
                        "https://kyc.qcloud.com/api/oauth2/access_token",
                        params={"appId": idcard_mock_kyc.app_id, "secret": idcard_mock_kyc.secret,
                                "grant_type": "client_credential", "version": "1.0.0"})
            assert answer.status_code == 503
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
