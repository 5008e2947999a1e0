"""`idcard-mock proxy` as a real server (gunicorn, a gevent worker) with --record, stopped as a
service manager stops it; then the round trip: the pack served by the mock, drift against it."""

from __future__ import annotations

import sys
from pathlib import Path

import requests
from click.testing import CliRunner

from mock_server.cli import main
from mock_server.served import ServedProcess
from tests.live_support import in_result, upstream
from tests.support import Flow, card_image


def _wrong_check_digit(result):
    number = result["idcard"]
    result["idcard"] = number[:17] + ("0" if number[17] != "0" else "1")


def test_record_through_the_proxy_then_drift_shows_nothing(tmp_path: Path) -> None:
    server, altered = upstream()
    pack = tmp_path / "pack"
    proxy = ServedProcess([sys.executable, "-m", "mock_server.cli", "proxy", "--port", "0",
                           "--upstream", server.base_url, "--record", str(pack)], workers=1)
    proxy.start()
    try:
        with requests.Session() as http:
            flow = Flow(http, proxy.base)
            flow.get_token()
            flow.get_ticket()
            _, body, _ = flow.ocr(card_image(21, side="portrait"), getNative="1")
            flow.ocr(card_image(22, side="emblem"), order_no=body["result"]["orderNo"],
                     cardType="1")
            flow.ocr_result(body["result"]["orderNo"], get_file="1")
            assert http.get(f"{proxy.base}/_mock/violations").json()["answers"] == 5
    finally:
        proxy.stop()
        server.stop()
    output = proxy.log.read_text()
    assert proxy.process.returncode == 0, output
    assert "proxy: 5 calls forwarded, 0 answers broke the contract" in output
    assert "recorded 5 exchanges, 2 pack entries" in output
    for secret in (flow.secret, flow.token, flow.ticket):
        assert secret not in output
    runner = CliRunner()
    assert runner.invoke(main, ["fixtures", "lint", str(pack)]).exit_code == 0
    result = runner.invoke(main, ["drift", "--pack", str(pack)])
    assert result.exit_code == 0, result.output
    assert "drift: 5 exchanges replayed, 0 differences" in result.output


def test_summary_on_exit_counts_each_violation_kind(tmp_path: Path) -> None:
    server, _ = upstream(in_result(_wrong_check_digit))
    proxy = ServedProcess([sys.executable, "-m", "mock_server.cli", "proxy", "--port", "0",
                           "--upstream", server.base_url], workers=1)
    proxy.start()
    try:
        with requests.Session() as http:
            flow = Flow(http, proxy.base)
            _, _, response = flow.ocr(card_image(23, side="portrait"))
            assert response.headers["X-Mock-Violations"] == "idcard-check-digit"
    finally:
        proxy.stop()
        server.stop()
    output = proxy.log.read_text()
    assert "1 answers broke the contract" in output
    assert "idcard-check-digit       1  idcardocrapp 1" in output
