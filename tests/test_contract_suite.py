"""The contract suite passes against the mock: started in-process, and over real HTTP against
`idcard-mock serve` (gunicorn, two workers, a database file), told apart from anything else by
the mock's own /_mock/health."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests  # noqa: F401  (imported here so pytester's in-process runs share one copy)

import contract_tests.kit  # noqa: F401  (likewise)
from contract_tests import SUITE_DIR
from mock_server.fixtures.pack import default_pack_dir, load_pack
from mock_server.served import ServedMock
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`idcard-mock serve` (2 workers, a database file) in a subprocess; stopped after."""
    server = ServedMock(tmp_path_factory.mktemp("served") / "mock.sqlite3").start()
    try:
        yield server.base
    finally:
        server.stop()


def summary_line(output: str, prefix: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(prefix))


def test_passes_against_the_mock_started_in_process(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(str(SUITE_DIR))
    output = result.stdout.str()
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "failed" not in outcomes and "errors" not in outcomes and "skipped" not in outcomes
    assert outcomes["passed"] >= 45
    assert "(the mock; /_mock/health answered)" in summary_line(output, "target ")
    assert "fixture pack (" in summary_line(output, "images ")
    assert ", 0 broke them" in summary_line(output, "calls ")
    # Every kind of check ran and was asserted.
    checks = summary_line(output, "checks ")
    for kind in ("documented", "mock choice", "mock only"):
        assert kind in checks
    assert "mock only   asserted passed  test_ocr.py::test_fixture_pack_failures_answer_their_code" in output


def test_passes_against_idcard_mock_serve_over_http(pytester: pytest.Pytester, served_mock: str) -> None:
    result = pytester.runpytest_inprocess(str(SUITE_DIR), "--kyc-base-url", served_mock)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "(the mock; /_mock/health answered)" in summary_line(output, "target ")
    assert "mock only   asserted passed  test_ocr_result.py::test_one_order_holds_both_sides" in output
    # The checks that move the mock's clock keep off a server the run does not own.
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped") == 3 and "failed" not in outcomes
    assert "only on a mock this run owns (--kyc-may-move-clock)" in output


@pytest.mark.fidelity("F-KIT-1")
def test_an_explicit_flag_overrides_the_probe(pytester: pytest.Pytester, served_mock: str) -> None:
    folder = default_pack_dir()
    assert folder is not None
    pack = load_pack(folder)
    front, back = pack.first_recognised("portrait"), pack.first_recognised("emblem")
    assert front is not None and back is not None
    result = pytester.runpytest_inprocess(
        str(SUITE_DIR), "--kyc-base-url", served_mock, "--kyc-target-is-live",
        "--kyc-app-id", DEFAULT_APP_ID, "--kyc-secret", DEFAULT_SECRET,
        "--kyc-portrait-image", str(front.image), "--kyc-emblem-image", str(back.image),
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "(not the mock: only the documented contract is asserted; --kyc-target-is-live)" in output
    assert "mock only   asserted" not in output
