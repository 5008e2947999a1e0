"""`idcard-mock serve` as a service a team leaves running: idle and slow clients stall nobody,
keep-alive works, a killed server restarts at once with every acknowledged order, SIGTERM lets
requests in flight finish, and a port in use is one clear line. All over real sockets."""

from __future__ import annotations

import base64
import http.client
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from mock_server.served import ServedMock
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from tests.support import VERSION, Flow, card_image

TOKEN_PARAMS = {"appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET, "grant_type": "client_credential",
                "version": VERSION}


@pytest.fixture
def served(tmp_path):
    mock = ServedMock(tmp_path / "mock.db").start()
    yield mock
    mock.stop()


def _alive(pid: int) -> bool:
    """Running (a zombie, dead and waiting to be reaped, holds no socket and answers nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _trickle(host: str, port: int, stop: threading.Event, head: bytes, body: bool) -> None:
    """A client that sends a request a byte a second, for as long as the test runs."""
    with socket.create_connection((host, port)) as conn:
        if body:
            conn.sendall(head)
            data = b"x" * 10_000
        else:
            data = head
        for byte in data:
            if stop.wait(1.0):
                return
            try:
                conn.send(bytes([byte]))
            except OSError:
                return


def test_idle_connections_and_slow_senders_stall_nobody(served: ServedMock):
    host, port = "127.0.0.1", served.port
    stop = threading.Event()
    idle = [socket.create_connection((host, port)) for _ in range(64)]
    body_head = (b"POST /api/paas/idcardocrapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 b"\r\nContent-Length: 10000\r\n\r\n")
    header_head = b"GET /api/oauth2/access_token?appId=" + b"A" * 200 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    slow = [threading.Thread(target=_trickle, args=(host, port, stop, body_head, True), daemon=True)
            for _ in range(4)]
    slow += [threading.Thread(target=_trickle, args=(host, port, stop, header_head, False), daemon=True)
             for _ in range(2)]
    try:
        for thread in slow:
            thread.start()
        time.sleep(2.5)  # every slow client has sent a few bytes and holds its connection
        for _ in range(8):  # fresh connections: each worker gets some
            answer = requests.get(f"{served.base}/api/oauth2/access_token", params=TOKEN_PARAMS,
                                  timeout=1.0)
            assert answer.json()["code"] == "0"
    finally:
        stop.set()
        for conn in idle:
            conn.close()


def test_keep_alive_serves_several_calls_on_one_connection(served: ServedMock):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=5)
    query = "&".join(f"{k}={v}" for k, v in TOKEN_PARAMS.items())
    try:
        for _ in range(3):
            conn.request("GET", f"/api/oauth2/access_token?{query}")
            response = conn.getresponse()
            assert response.status == 200 and b'"code":"0"' in response.read()
            assert (response.getheader("Connection") or "").lower() != "close"
            local = conn.sock.getsockname()
            if _ == 0:
                first = local
            assert local == first  # the same TCP connection every time
    finally:
        conn.close()


def test_sigkill_of_the_server_pid_then_immediate_restart_keeps_acknowledged_orders(tmp_path):
    db = tmp_path / "mock.db"
    first = ServedMock(db).start()
    flow = Flow(requests.Session(), first.base)
    acknowledged = {}
    for seed in range(6):
        image = card_image(500 + seed)
        status, body, _ = flow.ocr(image)
        assert status == 200 and body["code"] == "0", body
        acknowledged[body["result"]["orderNo"]] = image
    workers = first.worker_pids
    assert len(workers) == 2
    first.kill_pid()  # the PID the parent holds, not its process group
    second = ServedMock(db, port=first.port).start()  # the same port and database, no pause
    try:
        assert not [pid for pid in workers if _alive(pid)]
        flow.http = requests.Session()
        for order_no, image in acknowledged.items():
            status, body, _ = flow.ocr_result(order_no, get_file="1")
            assert body["code"] == "0", body
            assert base64.b64decode(body["result"]["frontPhoto"]) == image
        for _ in range(20):  # fresh connections: nothing of the killed server answers any
            assert requests.get(f"{second.base}/api/oauth2/access_token", params=TOKEN_PARAMS,
                                timeout=5).json()["code"] == "0"
    finally:
        second.stop()


def test_sigterm_lets_a_request_in_flight_finish(served: ServedMock):
    flow = Flow(requests.Session(), served.base)
    body = flow.ocr_body(card_image(77))
    outcome = {}

    def call() -> None:
        response = requests.post(f"{served.base}/api/paas/idcardocrapp", json=body, timeout=30,
                                 headers={"X-Mock-Scenario": "latency; ms=1500"})
        outcome["answer"] = response.status_code, response.json()["code"]

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.5)  # the call is being served
    assert served.process is not None
    started = time.monotonic()
    served.process.send_signal(signal.SIGTERM)
    returncode = served.process.wait(15)
    stopped_in = time.monotonic() - started
    thread.join(5)
    assert outcome["answer"] == (200, "0")
    assert returncode == 0 and stopped_in < 10
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served.base}/api/oauth2/access_token", params=TOKEN_PARAMS, timeout=2)


def test_a_port_in_use_is_one_clear_line_and_a_failure_at_once(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port),
             "--db", str(tmp_path / "mock.db")],
            capture_output=True, text=True, timeout=30,
        )
        took = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0] and "IDCARD_MOCK_PORT" in lines[0]
    assert took < 5  # no retries


def _pid_namespace_available() -> bool:
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "true"],
                              capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _pid_namespace_available(),
                    reason="unshare cannot make a PID namespace here (util-linux, user namespaces)")
def test_a_server_that_is_pid_1_keeps_its_workers(tmp_path):
    """As in a container, where `idcard-mock serve` is PID 1: its workers' parent is PID 1, which
    elsewhere means that the parent died; they must stay and serve."""
    mock = ServedMock(tmp_path / "mock.db")
    mock.command = ["unshare", "--user", "--map-root-user", "--pid", "--fork", *mock.command]
    mock.workers = 0  # its children are unshare's grandchildren: counted from the log below
    mock.start()
    try:
        time.sleep(1.5)  # a worker that leaves at once would have been replaced by now, and logged
        for _ in range(10):
            assert requests.get(f"{mock.base}/api/oauth2/access_token", params=TOKEN_PARAMS,
                                timeout=5).json()["code"] == "0"
        log = mock.log.read_text()
        assert "exited with code" not in log
        assert log.count("Booting worker") == 2
    finally:
        mock.stop()


def test_no_gunicorn_control_socket_is_opened(tmp_path, monkeypatch):
    """gunicorn's control socket would be one path (~/.gunicorn/gunicorn.ctl, or in
    XDG_RUNTIME_DIR) for every server of the user; the mock opens none."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    mock = ServedMock(tmp_path / "mock.db").start()
    try:
        assert requests.get(f"{mock.base}/api/oauth2/access_token", params=TOKEN_PARAMS,
                            timeout=5).json()["code"] == "0"
        time.sleep(1.5)  # gunicorn opens it a moment after its workers boot
        assert list(home.iterdir()) == []
        assert "Control socket" not in mock.log.read_text()
    finally:
        mock.stop()
