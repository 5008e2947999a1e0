"""The dashboard's pages as served HTML (the browser test, test_dashboard_browser.py, drives them
in Chromium): what each view shows, in words, and who may see it."""

from __future__ import annotations

import re

import pytest

from mock_server import masking, signing
from mock_server.dashboard import requests_view
from tests.support import NONCE, VERSION, card_image, new_order_no

ID_NUMBER = "340621197709022835"
REMOTE = {"REMOTE_ADDR": "192.0.2.10"}


def page(flow, path: str) -> str:
    response = flow.http.get(path)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="request.*?</tr>', html, re.S)


def wrong_sign(flow, order_no: str) -> None:
    body = flow.ocr_body(card_image(9), order_no, userId="u1")
    body["sign"] = signing.sign([flow.app_id, order_no, NONCE, VERSION, flow.ticket, "u1"])
    assert flow.post("/api/paas/idcardocrapp", body)[1]["code"] == "400101"


def test_requests_newest_first_with_code_message_sign_words_scenario_and_latency(flow):
    good = new_order_no()
    assert flow.ocr(card_image(1), good)[1]["code"] == "0"
    bad = new_order_no()
    wrong_sign(flow, bad)
    flow.http.post("/_mock/scenarios/next", json={"name": "ocr-card-expired"})
    expired = new_order_no()
    flow.ocr(card_image(2), expired)
    shown = rows(page(flow, "/_mock/dashboard"))
    assert [re.search(r'data-call="(\w+)"', r).group(1) for r in shown][:3] == ["idcardocrapp"] * 3
    newest, failed, ok = shown[:3]
    assert expired in newest and "66661003" in newest and "身份证已失效" in newest
    assert "ocr-card-expired" in newest
    assert bad in failed and "✗ 400101</strong> 不合法的请求" in failed
    assert "✗ does not verify" in failed and "<code>user-id-signed</code>: userId was signed" in failed
    assert good in ok and "✓ 0</strong>" in ok and "✓ verified" in ok
    assert re.search(r'class="latency">\d+ ms<', ok)


def test_filters_by_call_code_order_and_verdict(flow):
    order_no = new_order_no()
    flow.ocr(card_image(3), order_no)
    wrong_sign(flow, new_order_no())

    def calls(query: str) -> list[str]:
        return [re.search(r'data-call="(\w+)"', r).group(1)
                for r in rows(page(flow, f"/_mock/dashboard/requests/rows?{query}"))]

    assert set(calls("call=access_token")) == {"access_token"}
    assert calls("code=400101") == ["idcardocrapp"]
    assert calls(f"order={order_no}") == ["idcardocrapp"]
    assert calls("verdict=mismatch") == ["idcardocrapp"]
    assert set(calls("verdict=not-checked")) == {"access_token", "api_ticket"}
    assert "No vendor call recorded, or none matches" in page(flow, "/_mock/dashboard/requests/rows?code=1")


def test_requests_are_masked_as_in_the_journal(flow):
    flow.ocr(card_image(4), ID_NUMBER, userId=ID_NUMBER)
    html = page(flow, "/_mock/dashboard")
    for value in (ID_NUMBER, flow.secret, flow.token, flow.ticket):
        assert value not in html
    assert masking.id_number(ID_NUMBER) in html


def test_unknown_filter_values_are_ignored_not_an_error():
    assert requests_view.Filters.from_query({"call": "<x>", "verdict": "maybe"}) == requests_view.Filters()


def test_orders_show_images_fields_decoded_warnings_and_the_ocr_result(flow):
    flow.http.post("/_mock/scenarios/next", json={"name": "warning-multiple"})
    order_no = new_order_no()
    image = card_image(5, side="portrait")
    assert flow.ocr(image, order_no)[1]["code"] == "0"
    html = page(flow, "/_mock/dashboard/orders")
    section = re.search(rf'<section class="order" data-order="{order_no}">.*?</section>', html, re.S).group()
    for words in ("bit 1 <strong>border-incomplete</strong>", "bit 4 <strong>screen-reshoot</strong>",
                  "bit 6 <strong>occlusion</strong>"):
        assert words in section
    assert "<dt>idcard</dt>" in section and "✓ code 0</strong> success" in section
    src = re.search(r'<img class="thumb"[^>]*src="([^"]+)"', section).group(1).replace("&amp;", "&")
    thumb = flow.http.get(src)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data == image
    link = re.search(r'href="([^"]*ocr-result[^"]*)"', section).group(1).replace("&amp;", "&")
    answer = flow.http.get(link).get_json()
    signed = flow.ocr_result(order_no)[1]
    assert answer["result"]["idcard"] == signed["result"]["idcard"]
    assert answer["result"]["frontMultiWarning"] == "10010100" == signed["result"]["frontMultiWarning"]


def test_an_unknown_order_or_image_is_a_404_not_a_fault(flow):
    assert flow.http.get("/_mock/dashboard/orders/image?app=x&order=y&side=portrait").status_code == 404
    assert flow.http.get("/_mock/dashboard/orders/ocr-result?app=x&order=y").status_code == 404
    assert flow.http.get("/_mock/dashboard/fixtures/image?pack=x&entry=y").status_code == 404
    assert flow.http.get("/_mock/dashboard/fixtures/image?pack=7&entry=000000").status_code == 404


def test_control_lists_the_catalogue_the_queue_the_clock_and_reset(flow):
    flow.http.post("/_mock/scenarios/next", json={"name": "http-503", "count": 2})
    html = page(flow, "/_mock/dashboard/control")
    assert html.count('<form class="action queue-form"') >= 30
    assert 'data-scenario="warning-photocopy"' in html
    queued = re.search(r'<tr data-name="http-503">.*?</tr>', html, re.S).group()
    assert '<td data-label="Calls left">2</td>' in queued
    entry_id = flow.http.get("/_mock/scenarios/next").get_json()["queue"][0]["id"]
    assert f'data-method="DELETE" data-url="/_mock/scenarios/next/{entry_id}"' in queued
    assert 'data-url="/_mock/clock/advance"' in html
    assert 'data-url="/_mock/reset"' in html and "data-confirm=" in html


def test_fixture_packs_show_each_image_beside_its_manifest_answer(flow):
    html = page(flow, "/_mock/dashboard/fixtures")
    entry = re.search(r'<article class="entry" data-entry="000000">.*?</article>', html, re.S).group()
    assert "&#34;name&#34;: " in entry and "&#34;code&#34;: &#34;0&#34;" in entry
    src = re.search(r'src="([^"]+)"', entry).group(1).replace("&amp;", "&")
    assert flow.http.get(src).mimetype in ("image/jpeg", "image/png")


@pytest.mark.parametrize("path", ["/_mock/dashboard", "/_mock/dashboard/orders", "/_mock/dashboard/control",
                                  "/_mock/dashboard/fixtures", "/_mock/dashboard/requests/rows"])
def test_the_dashboard_follows_the_admin_access_rule(app, path):
    assert app.test_client().get(path, environ_base=REMOTE).status_code == 403


def test_the_front_door_names_the_mock_in_html_and_json(flow):
    html = page(flow, "/")
    assert "idcard-mock" in html and 'href="/_mock/dashboard"' in html and 'href="/_mock/health"' in html
    assert "POST /api/paas/idcardocrapp" in html
    about = flow.http.get("/", headers={"Accept": "application/json"}).get_json()
    assert about["service"] == "idcard-mock" and about["dashboard"] == "/_mock/dashboard"
    assert about["health"] == "/_mock/health" and about["version"]
    assert {"method": "GET", "path": "/api/server/getOcrResult"} in about["vendor_paths"]
    assert "docs/" in about["docs"]


def test_a_browser_asking_for_a_favicon_gets_nothing_rather_than_an_error(flow):
    response = flow.http.get("/favicon.ico")
    assert response.status_code == 204 and response.data == b""


def test_the_readme_shows_the_dashboard_as_the_browser_test_takes_it():
    from pathlib import Path

    from PIL import Image

    root = Path(__file__).resolve().parents[1]
    assert "](docs/dashboard.png)" in (root / "README.md").read_text(encoding="utf-8")
    with Image.open(root / "docs" / "dashboard.png") as picture:
        assert picture.format == "PNG" and picture.width == 1280  # the browser test's wide view
