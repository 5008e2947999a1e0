"""`idcard-mock health`: a container's HEALTHCHECK, run against a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from mock_server.health_probe import health_url
from mock_server.served import ServedMock


def health(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IDCARD_MOCK_")}
    return subprocess.run([sys.executable, "-m", "mock_server.cli", "health", *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    mock = ServedMock(tmp_path_factory.mktemp("health") / "mock.db", "--admin-token", "s3cret",
                      workers=1).start()
    yield mock
    mock.stop()


def test_a_healthy_mock_exits_0_with_one_line(served):
    run = health("--port", str(served.port))
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"ok: http://127.0.0.1:{served.port}/_mock/health idcard-mock 0.1.0\n"


def test_the_port_and_host_come_from_the_servers_own_variables(served):
    # In the container IDCARD_MOCK_HOST is 0.0.0.0: the check goes to this host's loopback.
    run = health(IDCARD_MOCK_PORT=str(served.port), IDCARD_MOCK_HOST="0.0.0.0")
    assert run.returncode == 0, run.stderr
    assert f"127.0.0.1:{served.port}" in run.stdout


def test_the_admin_token_is_sent_when_given(served):
    assert health("--port", str(served.port), "--admin-token", "s3cret").returncode == 0
    wrong = health("--port", str(served.port), IDCARD_MOCK_ADMIN_TOKEN="nope")
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (f"unhealthy: http://127.0.0.1:{served.port}/_mock/health: HTTP 403: "
                                    "idcard-mock admin surface: the admin token is wrong")


def test_nothing_listening_is_unhealthy_at_once():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]  # bound, not listening: connections are refused
        run = health("--port", str(port))
    assert run.returncode == 1
    assert run.stderr.startswith(f"unhealthy: http://127.0.0.1:{port}/_mock/health: ")
    assert "refused" in run.stderr


def test_a_listener_that_never_answers_is_unhealthy_after_the_timeout():
    with socket.create_server(("127.0.0.1", 0)) as silent:
        run = health("--port", str(silent.getsockname()[1]), "--timeout", "0.5")
    assert run.returncode == 1 and "timed out" in run.stderr


def test_ipv6_hosts_are_bracketed():
    assert health_url("::", 8000) == "http://[::1]:8000/_mock/health"
    assert health_url("::1", 9) == "http://[::1]:9/_mock/health"
    assert health_url("mock.internal", 8000) == "http://mock.internal:8000/_mock/health"
