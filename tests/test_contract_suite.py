"""The contract suite passes against the mock: started in-process, and over real HTTP against
`idcard-mock serve` (gunicorn, two workers, a database file), told apart from anything else by
the mock's own /_mock/health."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests  # imported here so pytester's in-process runs share one copy

import contract_tests.kit  # noqa: F401  (likewise)
from contract_tests import SUITE_DIR
from mock_server.pytest_plugin import first_recognised, load_fixture_pack
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

pytest_plugins = ["pytester"]


def start_serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    """`idcard-mock serve` on port 0: the OS picks a free port and gunicorn reports it, so no
    other process on this machine can take the port between choosing and binding it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", "0", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    found: queue.Queue[str] = queue.Queue()

    def drain() -> None:  # read gunicorn's log to the end, so its pipe never fills
        assert process.stderr is not None
        for line in process.stderr:
            match = re.search(r"Listening at: (http://\S+)", line)
            if match:
                found.put(match.group(1))
        found.put("")

    threading.Thread(target=drain, daemon=True).start()
    try:
        base_url = found.get(timeout=60)
    except queue.Empty:
        base_url = ""
    if not base_url:
        process.kill()
        process.wait()
        pytest.fail("idcard-mock serve did not start")
    return process, base_url


@pytest.fixture(scope="module")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`idcard-mock serve` (2 workers, a database file) in a subprocess; stopped after, and only
    that process."""
    db = tmp_path_factory.mktemp("served") / "mock.sqlite3"
    process, base_url = start_serve("--db", str(db), "--workers", "2")
    try:
        for _ in range(200):
            try:
                if requests.get(base_url + "/_mock/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, "idcard-mock serve exited"
            time.sleep(0.05)
        else:
            pytest.fail("idcard-mock serve did not answer /_mock/health")
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def summary_line(output: str, prefix: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(prefix))


def test_passes_against_the_mock_started_in_process(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(str(SUITE_DIR))
    output = result.stdout.str()
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "failed" not in outcomes and "errors" not in outcomes and "skipped" not in outcomes
    assert outcomes["passed"] >= 45
    assert "(the mock; started in-process)" in summary_line(output, "target ")
    assert "default fixture pack (" in summary_line(output, "images ")
    assert ", 0 broke them" in summary_line(output, "calls ")
    # Every kind of check ran and was asserted.
    checks = summary_line(output, "checks ")
    for kind in ("documented", "mock choice", "mock only"):
        assert kind in checks
    assert "mock only   asserted passed  test_ocr.py::test_fixture_pack_failures_answer_their_code" in output


def test_passes_against_idcard_mock_serve_over_http(pytester: pytest.Pytester, served_mock: str) -> None:
    result = pytester.runpytest_inprocess(str(SUITE_DIR), "--base-url", served_mock)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "(the mock; /_mock/health answered)" in summary_line(output, "target ")
    assert "mock only   asserted passed  test_ocr_result.py::test_one_order_holds_both_sides" in output
    # The one check that moves the mock's clock keeps off a server the run did not start.
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped") == 1 and "failed" not in outcomes
    assert "only on a mock this run started itself" in output


def test_an_explicit_flag_overrides_the_probe(pytester: pytest.Pytester, served_mock: str) -> None:
    pack = load_fixture_pack()
    front, back = first_recognised(pack, "portrait"), first_recognised(pack, "emblem")
    assert front is not None and back is not None
    result = pytester.runpytest_inprocess(
        str(SUITE_DIR), "--base-url", served_mock, "--target-is-live", "--app-id", DEFAULT_APP_ID,
        "--secret", DEFAULT_SECRET, "--portrait-image", str(front.image),
        "--emblem-image", str(back.image),
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "(not the mock: only the documented contract is asserted; --target-is-live)" in output
    assert "mock only   asserted" not in output
