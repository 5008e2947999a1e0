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
def test_the_suites_probe_tells_the_mock(app: Any, expected: bool) -> None:
    with ThreadedServer(app=app) as server:
        assert probe(server.base_url) == (True, expected)


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
