"""Recording through the proxy (live/recorder.py, live/pii.py) and the pack lint (live/lint.py)."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from stdnum.cn import ric

from mock_server.cli import main
from mock_server.fixtures.generate import PackError
from mock_server.fixtures.pack import load_pack
from mock_server.live.lint import lint
from mock_server.live.proxy import ProxyConfig, create_proxy_app
from mock_server.live.recorder import Recorder, finish
from mock_server.pytest_plugin import ThreadedServer
from tests.live_support import upstream
from tests.support import Flow, card_image

AS_OF = date(2026, 1, 1)
PERSONAL = ("name", "idcard", "address", "authority", "validDate", "nativePlace", "birth")


def record(tmp_path: Path, *, keep_demographics: bool = False, raw: bool = False):
    """Record a partner flow through the proxy to a stand-in; returns the pack, what the stand-in
    answered (parsed) and what the partner sent."""
    server, altered = upstream()
    target = tmp_path / "pack"
    staging = Recorder.prepare(target, upstream="http://upstream.invalid",
                               keep_demographics=keep_demographics)
    state = tmp_path / "state"
    state.mkdir()
    config = ProxyConfig(upstream=server.base_url, state_dir=state, record_staging=staging,
                         keep_demographics=keep_demographics, as_of=AS_OF,
                         raw_dir=tmp_path / "pack-raw-images" if raw else None)
    proxy = ThreadedServer(app=create_proxy_app(config)).start()
    sent: list[str] = []
    try:
        with requests.Session() as http:
            flow = Flow(http, proxy.base_url)
            sent += [flow.secret, flow.get_token(), flow.get_ticket()]
            portrait = card_image(11, side="portrait")
            body = flow.ocr_body(portrait, getNative="1")
            sent += [body["sign"], body["orderNo"], body["idcardStr"]]
            flow.post(f"/api/paas/idcardocrapp?orderNo={body['orderNo']}", body)
            flow.ocr(card_image(12, side="emblem"), order_no=body["orderNo"], cardType="1")
            flow.ocr_result(body["orderNo"], get_file="1", get_native="1")
            flow.ocr(card_image(13, side="emblem"), cardType="0")  # wrong side: 66661006
            flow.post("/api/paas/idcardocrapp", {"appId": flow.app_id})  # refused: 400101
    finally:
        proxy.stop()
        server.stop()
    finish(staging, target, as_of=AS_OF)
    answers = [json.loads(b) for b in altered.sent]
    return target, answers, sent


def _personal_values(answers) -> set[str]:
    values = set()
    for answer in answers:
        result = answer.get("result") or {}
        values |= {str(result[k]) for k in PERSONAL if result.get(k)}
        values |= {str(answer[k]) for k in ("access_token",) if answer.get(k)}
        values |= {t["value"] for t in answer.get("tickets") or ()}
        if result.get("sign"):
            values.add(result["sign"])
    return values


def _pack_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return record(tmp_path_factory.mktemp("recorded"))


def test_pack_holds_none_of_the_upstreams_personal_values_or_credentials(recorded) -> None:
    pack, answers, sent = recorded
    everything = _pack_bytes(pack)
    values = _personal_values(answers) | set(sent)
    assert len(values) > 12
    for value in values:
        assert value.encode("utf-8") not in everything, value[:6]
    images = [p.read_bytes() for p in (pack / "images").iterdir()]
    assert base64.b64decode(sent[-1]) not in images


def test_recorded_pack_loads_and_passes_the_lint(recorded) -> None:
    pack, _, _ = recorded
    assert lint(pack) == []
    loaded = load_pack(pack)
    assert [(e.side, e.code) for e in loaded.entries] == [
        ("portrait", "0"), ("emblem", "0"), ("portrait", "66661006")]


def test_same_real_value_same_synthetic_one(recorded) -> None:
    pack, answers, _ = recorded
    exchanges = json.loads((pack / "exchanges.json").read_text())
    portrait = exchanges[2]["answer"]["result"]
    emblem = exchanges[3]["answer"]["result"]
    kept = exchanges[4]["answer"]["result"]
    assert {k: kept[k] for k in ("name", "idcard", "address", "authority", "validDate")} == {
        "name": portrait["name"], "idcard": portrait["idcard"], "address": portrait["address"],
        "authority": emblem["authority"], "validDate": emblem["validDate"]}
    assert ric.is_valid(portrait["idcard"])
    assert portrait["birth"] == portrait["idcard"][6:14]
    assert portrait["nativePlace"].startswith(portrait["address"][:2])
    real = answers[2]["result"]
    assert portrait["idcard"] != real["idcard"] and portrait["name"] != real["name"]
    assert exchanges[5]["answer"]["code"] == "66661006"
    assert exchanges[6]["answer"]["code"] == "400101"
    assert exchanges[2]["answer"]["result"]["sign"] == "<redacted:hex-upper(40)>"


def test_manifest_records_latency_codes_and_biz_seq_no_shapes(recorded) -> None:
    pack, _, _ = recorded
    calls = json.loads((pack / "manifest.json").read_text())["recording"]["calls"]
    assert calls["idcardocrapp"]["count"] == 4
    assert calls["idcardocrapp"]["codes"] == {"0": 2, "66661006": 1, "400101": 1}
    assert calls["access_token"]["median_latency_ms"] > 0
    assert calls["access_token"]["bizSeqNo_shapes"] == ["digits(32), starts yyMMdd"]


def test_keep_demographics_keeps_region_birth_and_sex(tmp_path: Path) -> None:
    pack, answers, _ = record(tmp_path, keep_demographics=True)
    real = answers[2]["result"]["idcard"]
    masked = json.loads((pack / "exchanges.json").read_text())[2]["answer"]["result"]["idcard"]
    assert masked != real and masked[:14] == real[:14]
    assert int(masked[16]) % 2 == int(real[16]) % 2 and ric.is_valid(masked)
    assert lint(pack) == []


def test_raw_images_are_kept_only_outside_the_pack_and_private(tmp_path: Path) -> None:
    pack, _, sent = record(tmp_path, raw=True)
    raw = tmp_path / "pack-raw-images"
    files = sorted(raw.iterdir())
    assert base64.b64decode(sent[-1]) in [f.read_bytes() for f in files]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert lint(pack) == []
    os.rename(raw, pack / "raw-images")
    assert any("raw images" in str(f) for f in lint(pack))


def _copy(pack: Path, tmp_path: Path) -> Path:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(pack, copy)
    return copy


def test_lint_names_file_and_field_of_a_planted_real_looking_number(recorded, tmp_path) -> None:
    pack = _copy(recorded[0], tmp_path)
    exchanges = json.loads((pack / "exchanges.json").read_text())
    exchanges[2]["answer"]["result"]["idcard"] = "11010519491231002X"  # valid, not synthetic
    (pack / "exchanges.json").write_text(json.dumps(exchanges, ensure_ascii=False))
    findings = [str(f) for f in lint(pack)]
    assert findings == ["exchanges.json: 2.answer.result.idcard: an ID number the synthesizer "
                        "did not make (110105********002X)"]
    result = CliRunner().invoke(main, ["fixtures", "lint", str(pack)])
    assert result.exit_code == 1 and "2.answer.result.idcard" in result.output


def test_lint_refuses_an_image_without_the_marker_and_a_secret(recorded, tmp_path) -> None:
    pack = _copy(recorded[0], tmp_path)
    (pack / "images" / "000001-portrait.jpg").write_bytes(card_image(99))
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["recording"]["upstream"] = "x" * 20 + "Ab3" * 10
    manifest["entries"][0]["sign"] = "ABCDEF0123"
    (pack / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    findings = [str(f) for f in lint(pack)]
    assert "images/000001-portrait.jpg: an image without the idcard-mock marker (possibly a " \
           "real card)" in findings
    assert any(f.startswith("manifest.json: recording.upstream: a secret-looking") for f in findings)
    assert any(f.startswith("manifest.json: entries.0.sign: a sign value kept in clear")
               for f in findings)


def test_the_shipped_pack_passes_the_lint() -> None:
    from mock_server.fixtures.pack import default_pack_dir

    assert lint(default_pack_dir()) == []


def test_the_recorder_leaves_no_failing_pack(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    staging = Recorder.prepare(target, upstream="http://upstream.invalid", keep_demographics=False)
    (staging / "images" / "planted.jpg").write_bytes(card_image(7))
    with pytest.raises(PackError, match="planted.jpg"):
        finish(staging, target, as_of=AS_OF)
    assert not staging.exists() and not (target.exists() and any(target.iterdir()))
