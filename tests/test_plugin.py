"""The pytest plugin (mock_server/pytest_plugin.py) as a user's own suite meets it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests  # imported here so pytester's in-process runs share one copy

from mock_server.pytest_plugin import MockServer, is_mock, load_fixture_pack

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


def test_idcard_target_defaults_to_an_in_process_mock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_target(idcard_target):
            assert idcard_target.is_mock and idcard_target.started_here
            assert idcard_target.detected_by == "started in-process"
            client = idcard_target.client()
            assert client.ocr(idcard_target.emblem_image).side == "emblem"
            assert idcard_target.max_calls == 6
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_options_are_registered_once(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    text = result.stdout.str()
    for option in ("--base-url=URL", "--app-id=ID", "--secret=SECRET", "--portrait-image=FILE",
                   "--emblem-image=FILE", "--max-calls=N", "--target-is-mock", "--target-is-live"):
        assert text.count(option) == 1, option


def test_secret_from_the_environment(pytester: pytest.Pytester,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDCARD_MOCK_CONTRACT_APP_ID", "ENVAPP01")
    monkeypatch.setenv("IDCARD_MOCK_CONTRACT_SECRET", "e" * 64)
    pytester.makepyfile(
        """
        def test_target(idcard_target):
            assert idcard_target.app_id == "ENVAPP01"
            assert idcard_target.client().access_token()
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


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
def test_is_mock(app: Any, expected: bool) -> None:
    with MockServer(app=app) as server:
        assert is_mock(server.base_url) is expected


def test_is_mock_against_the_real_mock_and_nothing() -> None:
    with MockServer() as server:
        assert is_mock(server.base_url + "/")
    assert not is_mock("http://127.0.0.1:9", timeout=2)


def test_server_errors_are_kept() -> None:
    with MockServer(app=json_app("500 INTERNAL SERVER ERROR", {"x": 1})) as server:
        requests.get(server.base_url + "/api/oauth2/access_token", timeout=5)
    assert server.server_errors == ["/api/oauth2/access_token answered 500 INTERNAL SERVER ERROR"]


def test_the_default_pack_has_a_recognised_card_of_each_side() -> None:
    pack = load_fixture_pack()
    assert {e.side for e in pack if e.code == "0"} == {"portrait", "emblem"}


def test_the_documented_example_runs(pytester: pytest.Pytester) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text(encoding="utf-8")
    section = doc.split("## The pytest plugin", 1)[1]
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None
    pytester.makepyfile(test_example=example.group(1))
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_500_the_test_asked_for_is_not_a_server_error() -> None:
    from tests.support import Flow

    server = MockServer().start()
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
