"""The mock answers fixture-pack images exactly: over real HTTP, by default, after a re-save."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from PIL import Image

from mock_server.app import create_app
from mock_server.cli import main
from mock_server.errors import OCR_FAILURES
from mock_server.fixtures.generate import PackGenerator, write_pack
from mock_server.fixtures.pack import default_pack_dir, load_pack
from mock_server.fixtures.variants import VARIANTS
from mock_server.served import ServedMock
from mock_server.settings import Settings
from tests.support import Flow, card_image

ROOT = Path(__file__).resolve().parents[1]
PER_CALL = {"bizSeqNo", "transactionTime", "ocrId", "orderNo", "sign"}
UGLY = [v.name for v in VARIANTS if v.name != "clean"]
COUNT = 36


def _seed_with_every_variant() -> int:
    """A seed whose first COUNT entries show every variant, found the way a user would."""
    for seed in range(10_000):
        generator = PackGenerator(seed, invalid_share=0.9)
        if {generator.variant_of(i).name for i in range(COUNT)} == {v.name for v in VARIANTS}:
            return seed
    raise AssertionError("no seed shows every variant")


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("packs") / "pack"
    write_pack(folder, COUNT, PackGenerator(_seed_with_every_variant(), invalid_share=0.9))
    return folder


@pytest.fixture(scope="module")
def manifest(pack) -> dict:
    return json.loads((pack / "manifest.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def served(pack):
    mock = ServedMock(":memory:", "--fixtures", str(pack), workers=1).start()
    yield mock
    mock.stop()


@pytest.fixture
def http_flow(served) -> Flow:
    return Flow(requests.Session(), base=served.base)


def _image(folder: Path, entry: dict) -> bytes:
    return (folder / entry["image"]).read_bytes()


def _assert_answer(body: dict, entry: dict, native: bool = False) -> None:
    assert body["code"] == entry["code"], (entry["id"], entry["variant"], body)
    assert body["msg"] == entry["msg"]
    if entry["code"] != "0":
        assert "result" not in body
        return
    result = dict(body["result"])
    assert PER_CALL <= set(result)
    if native and entry["side"] == "portrait":
        assert result.pop("nativePlace") == entry["nativePlace"]
    assert {k: v for k, v in result.items() if k not in PER_CALL} == entry["result"]


@pytest.mark.fidelity("F-PACK-1", "F-PACK-2")
def test_every_pack_entry_gets_its_manifest_answer_over_http(http_flow, pack, manifest):
    assert {e["variant"] for e in manifest["entries"]} == {v.name for v in VARIANTS}
    for entry in manifest["entries"]:
        status, body, _ = http_flow.ocr(_image(pack, entry), getNative="1")
        assert status == 200
        _assert_answer(body, entry, native=True)


@pytest.mark.fidelity("F-PACK-3", "F-PACK-7")
@pytest.mark.parametrize("variant", UGLY)
def test_each_invalid_variant_gets_its_code(http_flow, pack, manifest, variant):
    entry = next(e for e in manifest["entries"] if e["variant"] == variant)
    status, body, _ = http_flow.ocr(_image(pack, entry), order_no=f"fx{variant.replace('_', '')}")
    expected = next(v for v in VARIANTS if v.name == variant).code
    assert (status, body["code"]) == (200, expected)
    if expected != "0":
        assert body["msg"] == OCR_FAILURES[expected].msg
    else:
        assert body["result"]["multiWarning"] == entry["result"]["multiWarning"] != "00000000"
    # The order remembers the answer for getOcrResult (§6).
    _, query, _ = http_flow.ocr_result(f"fx{variant.replace('_', '')}")
    prefix = "front" if entry["side"] == "portrait" else "back"
    assert query["result"][f"{prefix}Code"] == expected


@pytest.mark.fidelity("F-PACK-4")
def test_failure_entries_are_recorded_like_a_wrong_side_failure(http_flow, pack, manifest):
    failures = [e for e in manifest["entries"] if e["code"] != "0"]
    assert {e["side"] for e in failures} == {"portrait", "emblem"}
    recognised = next(e for e in manifest["entries"] if e["code"] == "0")
    wrong_side = "fxwrongside"
    _, body, _ = http_flow.ocr(_image(pack, recognised), order_no=wrong_side,
                               cardType="1" if recognised["side"] == "portrait" else "0")
    assert body["code"] in ("66661006", "66661007")
    prefix = "front" if recognised["side"] == "portrait" else "back"
    kept = http_flow.ocr_result(wrong_side)[1]["result"]
    assert (kept[f"{prefix}WarnCode"], kept[f"{prefix}MultiWarning"], kept[f"{prefix}Clarity"]) == (
        "00000000", "00000000", "80")
    for i, entry in enumerate(failures):
        order_no = f"fxfailure{i}"
        assert http_flow.ocr(_image(pack, entry), order_no=order_no)[1]["code"] == entry["code"]
        kept = http_flow.ocr_result(order_no)[1]["result"]
        prefix = "front" if entry["side"] == "portrait" else "back"
        assert kept[f"{prefix}Code"] == entry["code"]
        assert kept[f"{prefix}WarnCode"] == kept[f"{prefix}MultiWarning"] == "00000000", entry["id"]
        assert kept[f"{prefix}Clarity"] == "80", entry["id"]
        assert not {"name", "idcard", "authority", "validDate"} & set(kept), entry["id"]


def test_card_type_still_rules_on_the_side(http_flow, pack, manifest):
    portrait = next(e for e in manifest["entries"] if e["side"] == "portrait" and e["code"] == "0")
    _, body, _ = http_flow.ocr(_image(pack, portrait), cardType="1")
    assert (body["code"], body["msg"]) == ("66661007", "非身份证国徽面")


def test_the_default_pack_loads_in_serve_by_default(monkeypatch, capsys):
    folder = default_pack_dir()
    assert folder is not None
    entries = json.loads((folder / "manifest.json").read_text("utf-8"))["entries"]
    assert {e["side"] for e in entries} == {"portrait", "emblem"}
    assert any(e["code"] != "0" for e in entries) and any(e["variant"] == "clean" for e in entries)
    mock = ServedMock(":memory:", workers=1).start()
    try:
        flow = Flow(requests.Session(), base=mock.base)
        for entry in entries:
            _assert_answer(flow.ocr(_image(folder, entry))[1], entry)
        # The README's example, as a newcomer runs it from the repository root.
        code, printed = _readme_blocks()
        monkeypatch.chdir(ROOT)
        capsys.readouterr()
        exec(compile(code.replace("http://127.0.0.1:8000", mock.base), "README.md", "exec"), {})
        assert capsys.readouterr().out == printed
    finally:
        mock.stop()
    mock = ServedMock(":memory:", "--no-default-fixtures", workers=1).start()
    try:
        body = Flow(requests.Session(), base=mock.base).ocr(_image(folder, entries[0]))[1]
        assert body["code"] == "0"
        assert body["result"]["idcard"] != entries[0]["result"]["idcard"]  # a synthetic person
    finally:
        mock.stop()


def _readme_blocks() -> tuple[str, str]:
    text = (ROOT / "fixtures" / "README.md").read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    return code, printed


def test_the_readme_lists_the_default_pack():
    text = (ROOT / "fixtures" / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| (\d{6}) \| (\S+) \| (\w+) \| (\w+) \| (\d+) \|$", text, re.M)
    entries = json.loads((ROOT / "fixtures" / "manifest.json").read_text("utf-8"))["entries"]
    assert rows == [(e["id"], e["image"], e["side"], e["variant"], e["code"]) for e in entries]


@pytest.mark.fidelity("F-PACK-10")
def test_in_process_apps_load_the_default_pack_unless_told_not_to():
    folder = default_pack_dir()
    entry = json.loads((folder / "manifest.json").read_text("utf-8"))["entries"][1]
    with_pack = Flow(create_app(Settings(db=":memory:", strict=True)).test_client())
    _assert_answer(with_pack.ocr(_image(folder, entry))[1], entry)
    without = Flow(create_app(Settings(db=":memory:", default_fixtures=False)).test_client())
    synthetic = without.ocr(_image(folder, entry))[1]["result"]
    assert synthetic != with_pack.ocr(_image(folder, entry))[1]["result"]


def _resave(data: bytes, fmt: str, **kwargs) -> bytes:
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.save(out, fmt, **{k: v(image) if callable(v) else v for k, v in kwargs.items()})
    return out.getvalue()


@pytest.mark.fidelity("F-PACK-9")
@pytest.mark.parametrize("fmt,kwargs", [("JPEG", {"quality": 75}), ("PNG", {"exif": Image.Image.getexif})],
                         ids=["jpeg-resave", "png-with-exif"])
def test_a_resaved_pack_image_gets_the_same_answer(pack, manifest, fmt, kwargs):
    flow = Flow(create_app(Settings(db=":memory:", fixture_dirs=(str(pack),))).test_client())
    for entry in manifest["entries"][:2]:
        _assert_answer(flow.ocr(_resave(_image(pack, entry), fmt, **kwargs))[1], entry)


@pytest.mark.fidelity("F-PACK-9")
def test_a_hand_written_entry_is_matched_by_its_bytes(tmp_path):
    photo = card_image(41)  # no marker at all
    (tmp_path / "front.jpg").write_bytes(photo)
    result = {"name": "王小明", "sex": "男", "nation": "汉", "birth": "19900307",
              "address": "北京市东城区东华门街道1号", "idcard": "110101199003070014",
              "warning": "00000000", "multiWarning": "00000000", "clarity": "70", "retry": "1",
              "success": False}
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "entries": [
        {"id": "mine", "image": "front.jpg", "side": "portrait", "code": "0", "result": result},
    ]}), encoding="utf-8")
    flow = Flow(create_app(Settings(db=":memory:", strict=True, fixture_dirs=(str(tmp_path),))).test_client())
    _assert_answer(flow.ocr(photo)[1], {"code": "0", "msg": "请求成功", "side": "portrait", "result": result})
    assert flow.ocr(card_image(42))[1]["result"]["idcard"] != result["idcard"]


@pytest.mark.fidelity("F-PACK-10")
def test_the_first_pack_given_wins(tmp_path, pack, manifest):
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(pack, first)
    shutil.copytree(pack, second)
    edited = json.loads(json.dumps(manifest))
    entry = next(e for e in edited["entries"] if e["code"] == "0" and e["side"] == "portrait")
    entry["result"]["name"] = "改过的名字"
    (second / "manifest.json").write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    image = _image(pack, entry)
    for order, name in (((first, second), manifest), ((second, first), edited)):
        settings = Settings(db=":memory:", fixture_dirs=tuple(map(str, order)), default_fixtures=False)
        body = Flow(create_app(settings).test_client()).ocr(image)[1]
        expected = next(e for e in name["entries"] if e["id"] == entry["id"])
        assert body["result"]["name"] == expected["result"]["name"]


@pytest.mark.parametrize("breakage,message", [
    (lambda folder: (folder / "manifest.json").unlink(), "cannot read the pack's manifest"),
    (lambda folder: (folder / "manifest.json").write_text("{", encoding="utf-8"), "not a readable JSON"),
    (lambda folder: (folder / "images" / "000001-emblem.jpg").unlink(), "entries.1: image"),
    (lambda folder: _edit(folder, lambda m: m["entries"][0].update(side="front")), "entries.0.side"),
    (lambda folder: _edit(folder, lambda m: next(e for e in m["entries"] if e["result"] is None).update(
        code="12345")), "not one of the vendor"),
    (lambda folder: _edit(folder, lambda m: m["entries"][1].update(id="000000")), "appears twice"),
    (lambda folder: _edit(folder, lambda m: m["entries"][0].update(image="../x.jpg")), "outside the pack"),
])
def test_a_broken_pack_stops_serve_with_a_clear_error(tmp_path, pack, breakage, message):
    folder = tmp_path / "broken"
    shutil.copytree(pack, folder)
    breakage(folder)
    result = CliRunner().invoke(main, ["serve", "--db", ":memory:", "--workers", "1",
                                       "--fixtures", str(folder)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert str(folder) in result.stderr


def _edit(folder: Path, change) -> None:
    path = folder / "manifest.json"
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def test_load_pack_keeps_the_key_and_the_order(pack, manifest):
    loaded = load_pack(pack)
    assert loaded.key == manifest["pack"]
    assert [e.id for e in loaded.entries] == [e["id"] for e in manifest["entries"]]
    first = loaded.entries[0].recognition
    assert (first.side, first.code) == (manifest["entries"][0]["side"], manifest["entries"][0]["code"])
