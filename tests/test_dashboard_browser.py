"""The dashboard in a real browser: headless Chromium (the system's, /usr/bin/chromium; no
browser is downloaded) driven by Playwright against `idcard-mock serve`. Calls are made, and the
four views are checked as a user sees them, at 1280 px and at 390 px wide: rows appear live,
images load, warnings are decoded, a scenario queued from the page plays on the next call, and
no page logs a console error. Screenshots of each view are saved in build/screenshots/ (or
$IDCARD_MOCK_SCREENSHOTS); `make screenshots` copies the Requests view to docs/dashboard.png."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests

from mock_server import signing
from mock_server.served import ServedMock
from tests.support import NONCE, VERSION, Flow, card_image, new_order_no

CHROMIUM = os.environ.get("IDCARD_MOCK_CHROMIUM", "/usr/bin/chromium")
if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"browser test skipped: no Chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("IDCARD_MOCK_SCREENSHOTS", ROOT / "build" / "screenshots"))
# What the machine's closed network and a clean, repeatable run need (no first-run UI, no
# background connections, a fresh profile: launch_persistent_context's folder).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDE, NARROW = {"width": 1280, "height": 1000}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # Two workers: a browser opens several connections at once.
    mock = ServedMock(tmp_path_factory.mktemp("dashboard") / "mock.sqlite3", workers=2).start()
    yield mock
    mock.stop()


@pytest.fixture(scope="module")
def flow(served) -> Flow:
    flow = Flow(requests.Session(), base=served.base)
    flow.get_ticket()
    return flow


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    problems: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=FLAGS, viewport=WIDE)
        page = context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("response", lambda r: problems.append(f"{r.status} from {r.url}")
                if r.status >= 400 else None)
        page.on("dialog", lambda d: d.accept())  # the reset's confirmation, answered yes
        page.set_default_timeout(15_000)
        yield page, problems
        context.close()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page: Page) -> bool:
    """Nothing wider than the window: usable without scrolling sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def images_loaded(page: Page, selector: str) -> list[bool]:
    return page.eval_on_selector_all(
        selector, "els => els.map(e => e.complete && e.naturalWidth > 0)")


def test_the_four_views_in_chromium(served, flow, browser_page):
    page, problems = browser_page
    # Calls: a success, a wrong sign (userId signed), warnings queued by the API.
    good = new_order_no()
    assert flow.ocr(card_image(1, side="portrait"), good)[1]["code"] == "0"
    bad = new_order_no()
    body = flow.ocr_body(card_image(2), bad, userId="u1")
    body["sign"] = signing.sign([flow.app_id, bad, NONCE, VERSION, flow.ticket, "u1"])
    assert flow.post("/api/paas/idcardocrapp", body)[1]["code"] == "400101"
    requests.post(f"{served.base}/_mock/scenarios/next", json={"name": "warning-multiple"})
    warned = new_order_no()
    assert flow.ocr(card_image(3, side="portrait"), warned)[1]["code"] == "0"

    # Requests: rows with the code, the message and the diagnosis in words.
    page.goto(f"{served.base}/_mock/dashboard")
    failed = page.locator(f'tr.request:has-text("{bad}")')
    expect(failed.locator(".code")).to_contain_text("400101 不合法的请求")
    expect(failed.locator(".sign")).to_contain_text("✗ does not verify")
    expect(failed.locator(".sign")).to_contain_text("user-id-signed: userId was signed")
    expect(page.locator(f'tr.request:has-text("{good}") .sign')).to_contain_text("✓ verified")
    # Live: a call made while the page is open appears without a reload.
    late = new_order_no()
    flow.ocr(card_image(4, side="portrait"), late)
    expect(page.locator("tr.request").first).to_contain_text(late, timeout=10_000)
    assert fits(page)
    shoot(page, "requests-1280")
    # Filters: the sign verdict.
    page.select_option('select[name="verdict"]', "mismatch")
    page.click('form#filters button[type="submit"]')
    expect(page.locator("tr.request")).to_have_count(1)
    expect(page.locator("tr.request")).to_contain_text(bad)

    # Orders: thumbnails loaded, warning bits by name, the getOcrResult answer.
    page.goto(f"{served.base}/_mock/dashboard/orders")
    order = page.locator(f'section.order[data-order="{warned}"]')
    expect(order.locator(".warnings")).to_contain_text("bit 1 border-incomplete")
    expect(order.locator(".warnings")).to_contain_text("bit 6 occlusion")
    assert images_loaded(page, "img.thumb") and all(images_loaded(page, "img.thumb"))
    assert fits(page)
    shoot(page, "orders-1280")
    with page.expect_response(lambda r: "ocr-result" in r.url) as answered:
        order.locator("a.ocr-result").click()
    assert answered.value.json()["result"]["frontMultiWarning"] == "10010100"

    # Control: queue a scenario from the page; the next call plays it.
    page.goto(f"{served.base}/_mock/dashboard/control")
    row = page.locator('tr[data-scenario="ocr-card-expired"]')
    row.locator('input[name="count"]').fill("1")
    row.locator('select[name="endpoint"]').select_option("idcardocrapp")
    row.locator('button:has-text("Queue")').click()
    expect(page.locator('section.queue tr[data-name="ocr-card-expired"]')).to_contain_text("idcardocrapp")
    expect(page.locator("#outcome")).to_contain_text("✓ Done")
    shoot(page, "control-1280")
    assert flow.ocr(card_image(5), new_order_no())[1]["code"] == "66661003"
    page.reload()
    expect(page.locator("section.queue")).to_contain_text("The queue is empty")
    # ... and one removed from the queue before it plays.
    page.locator('tr[data-scenario="http-503"] button:has-text("Queue")').click()
    page.locator('section.queue tr[data-name="http-503"] button:has-text("Remove")').click()
    expect(page.locator("section.queue")).to_contain_text("The queue is empty")
    assert flow.ocr(card_image(6), new_order_no())[1]["code"] == "0"
    # The virtual clock moves forward by what the page asks.
    before = requests.get(f"{served.base}/_mock/clock").json()["offset"] or 0
    page.fill('section.clock input[name="seconds"]', "7200")
    page.click('section.clock button:has-text("Advance")')
    expect(page.locator("section.clock")).to_contain_text("ahead of system time")
    assert requests.get(f"{served.base}/_mock/clock").json()["offset"] - before >= 7200

    # Fixture packs: each image beside its manifest answer.
    page.goto(f"{served.base}/_mock/dashboard/fixtures")
    expect(page.locator("article.entry").first.locator("pre.answer")).to_contain_text('"result"')
    page.evaluate("document.querySelectorAll('img.thumb').forEach(i => i.loading = 'eager')")
    page.wait_for_function("[...document.querySelectorAll('img.thumb')].every(i => i.complete)")
    assert all(images_loaded(page, "img.thumb"))
    shoot(page, "fixtures-1280")

    # 390 px wide: every view fits and still reads.
    page.set_viewport_size(NARROW)
    for view in ("", "/orders", "/control", "/fixtures"):
        page.goto(f"{served.base}/_mock/dashboard{view}")
        assert fits(page), f"/_mock/dashboard{view} is wider than 390 px"
        shoot(page, f"{(view or '/requests').strip('/')}-390")
    expect(page.locator("nav")).to_be_visible()

    # Reset, confirmed: the journal is empty afterwards.
    page.goto(f"{served.base}/_mock/dashboard/control")
    page.click("section.reset button")
    expect(page.locator("#outcome")).to_contain_text("✓ Done")
    assert requests.get(f"{served.base}/_mock/requests").json()["requests"] == []

    # The front door, and no console error on any page.
    page.set_viewport_size(WIDE)
    page.goto(served.base + "/")
    expect(page.locator("h1")).to_contain_text("idcard-mock")
    assert problems == []
