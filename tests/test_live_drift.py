"""The drift report (live/drift.py): a pack recorded through the proxy from stand-ins that differ
from the mock in one planted way each, replayed against the mock serving the pack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mock_server.cli import main
from mock_server.live import drift, ledger
from mock_server.live.drift import compare
from mock_server.pytest_plugin import ThreadedServer
from tests.live_support import in_result
from tests.test_live_record import record

FIDELITY = Path(__file__).resolve().parent.parent / "docs" / "fidelity.md"


def _report(pack: Path, *allow: str) -> drift.Report:
    send, app_id, secret = drift.in_process_sender(pack)
    return drift.drift(pack, send, app_id=app_id, secret=secret, allow=allow)


def test_faithful_upstream_gives_no_drift(tmp_path: Path) -> None:
    pack, _, _ = record(tmp_path)
    report = _report(pack)
    assert report.replayed == 7 and report.differences == []


def _ocr_message(path, body):
    if path == "/api/paas/idcardocrapp" and body.get("code") == "66661006":
        body["msg"] = "非人像面"
    return body


def _extra_field(path, body):
    if path == "/api/oauth2/access_token":
        body["scope"] = "kyc"
    return body


def _numeric_expire(path, body):
    if path == "/api/oauth2/api_ticket" and body.get("tickets"):
        body["tickets"][0]["expire_in"] = "3600"
    return body


@pytest.mark.parametrize(("change", "expected"), [
    (_ocr_message, ("idcardocrapp", "msg", "message")),
    (_extra_field, ("access_token", "scope", "absent")),
    (_numeric_expire, ("api_ticket", "tickets.0.expire_in", "type")),
    (in_result(lambda r: r.update(frontMultiWarning="10010100"), "/api/server/getOcrResult"),
     ("getOcrResult", "result.frontMultiWarning", "warning-mask")),
    (in_result(lambda r: r.update(riskLevel="low"), "/api/server/getOcrResult"),
     ("getOcrResult", "result.riskLevel", "absent")),
    (in_result(lambda r: r.update(frontCrop=r.get("frontPhoto", "")), "/api/server/getOcrResult"),
     ("getOcrResult", "result.frontCrop", "format")),
])
def test_each_planted_difference_is_found_and_nothing_else(tmp_path: Path, monkeypatch,
                                                           change, expected) -> None:
    import tests.test_live_record as recording

    monkeypatch.setattr(recording, "upstream", lambda: _upstream(change))
    pack, _, _ = record(tmp_path)
    report = _report(pack)
    found = {(d.call, d.field, d.kind) for d in report.differences}
    assert found == {expected}, report.table()


def _upstream(change):
    from tests.live_support import upstream

    return upstream(change)


def test_differences_name_the_ledger_row_they_touch(tmp_path: Path, monkeypatch) -> None:
    import tests.test_live_record as recording

    monkeypatch.setattr(recording, "upstream", lambda: _upstream(in_result(
        lambda r: r.update(frontCrop=r.get("frontPhoto", "")), "/api/server/getOcrResult")))
    pack, _, _ = record(tmp_path)
    report = _report(pack)
    assert [d.ledger for d in report.differences] == [ledger.CROPS]
    assert ledger.CROPS in report.markdown() and "| 5 | getOcrResult |" in report.markdown()
    assert _report(pack, "getOcrResult:result.frontCrop").drifted is False


def test_every_ledger_row_drift_names_is_in_fidelity_md() -> None:
    text = FIDELITY.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (F-[A-Z]+-\d+) \|", text, re.M)
    for row in ledger.ROWS:
        assert row in rows, row
        assert f"`{row}`" in text.split("## Checked by drift", 1)[1], row


def test_error_envelope_difference_touches_its_row() -> None:
    live = {"code": "400101", "msg": "不合法的请求", "bizSeqNo": "1" * 32}
    mock = {"code": "400101", "msg": "不合法的请求", "bizSeqNo": "1" * 32, "success": False}
    [difference] = compare(1, "idcardocrapp", 200, live, 200, mock)
    assert (difference.field, difference.kind, difference.ledger) == (
        "success", "extra", ledger.ERROR_ENVELOPE)


def test_drift_command_against_a_served_mock_and_in_process(tmp_path: Path, monkeypatch) -> None:
    import tests.test_live_record as recording
    from mock_server.app import create_app
    from mock_server.settings import Settings

    monkeypatch.setattr(recording, "upstream", lambda: _upstream(_ocr_message))
    pack, _, _ = record(tmp_path)
    served = ThreadedServer(app=create_app(Settings(db=":memory:", fixture_dirs=(str(pack),))))
    served.start()
    try:
        runner = CliRunner()
        over_http = runner.invoke(main, ["drift", "--pack", str(pack), "--base-url",
                                         served.base_url, "--json"])
        in_process = runner.invoke(main, ["drift", "--pack", str(pack), "--json"])
        allowed = runner.invoke(main, ["drift", "--pack", str(pack),
                                       "--allow", "idcardocrapp:msg"])
    finally:
        served.stop()
    for result in (over_http, in_process):
        assert result.exit_code == 1, result.output
        assert [(d["call"], d["field"], d["live"], d["mock"])
                for d in json.loads(result.output)["drift"]] == [
            ("idcardocrapp", "msg", "非人像面", "非身份证人像面")]
    assert allowed.exit_code == 0 and "0 differences, 1 allowed" in allowed.output
