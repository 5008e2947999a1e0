"""The reference client (mock_server/client.py) against the mock over real HTTP."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, PngImagePlugin

from mock_server import marker, signing
from mock_server.client import (
    CallBudget,
    CallBudgetExceeded,
    KycClient,
    KycError,
    OcrError,
    OrderNotFoundError,
    RawResponse,
    ResponseError,
    ResultSignError,
    ResultSignWarning,
    SignError,
    check_envelope,
    mask_idcard,
)
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from mock_server.testing import IdcardMock
from tests.stand_in import OCR, RESULT, TICKET, TOKEN, BrokenTarget, loosely_typed


def card(side: str) -> bytes:
    """A small PNG whose idcard-mock marker names its side (any such image is a card to the mock)."""
    info = PngImagePlugin.PngInfo()
    info.add_text(marker.KEY, marker.encode({"side": side}))
    out = io.BytesIO()
    Image.new("RGB", (200, 126), (210, 200, 190)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


class Clock:
    """A monotonic clock the test moves; counts how often the client reads it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.reads += 1
            return self.now


class Calls:
    """on_response hook: counts exchanges by call, and by ticket type."""

    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.bodies: list[tuple[str, Any]] = []

    def __call__(self, call: str, raw: RawResponse) -> None:
        self.count[call] += 1
        self.bodies.append((call, raw.body))


def make_client(mock: IdcardMock, **kwargs: Any) -> tuple[KycClient, Calls]:
    calls = Calls()
    return KycClient(mock.base_url, DEFAULT_APP_ID, DEFAULT_SECRET, on_response=calls, **kwargs), calls


# -- credentials -------------------------------------------------------------------------------


def test_token_and_sign_ticket_are_cached_and_reused(idcard_mock: IdcardMock) -> None:
    client, calls = make_client(idcard_mock)
    ticket = client.sign_ticket()
    client.ocr(card("portrait"))
    client.ocr(card("emblem"))
    assert client.sign_ticket() == ticket
    assert calls.count == Counter({"access_token": 1, "api_ticket": 1, "idcardocrapp": 2})


@pytest.mark.fidelity("F-KIT-7")
def test_refresh_every_interval(idcard_mock: IdcardMock) -> None:
    """Refreshed on the documented 20-minute rhythm (§2), token and SIGN ticket together."""
    clock = Clock()
    client, calls = make_client(idcard_mock, clock=clock)
    first = client.sign_ticket()
    clock.now += 1199
    assert client.sign_ticket() == first
    clock.now += 1
    second = client.sign_ticket()
    assert second != first
    assert calls.count == Counter({"access_token": 2, "api_ticket": 2})


@pytest.mark.fidelity("F-KIT-7")
def test_refresh_ahead_of_expire_in(idcard_mock: IdcardMock) -> None:
    """With a long interval the vendor's expire_in rules: the SIGN ticket's 3600 s, less the
    margin (§3)."""
    clock = Clock()
    client, calls = make_client(idcard_mock, clock=clock, refresh_interval=86400, refresh_margin=60)
    first = client.access_token()
    clock.now += 3539
    assert client.access_token() == first
    clock.now += 1
    assert client.access_token() != first
    assert calls.count["access_token"] == 2


@pytest.mark.fidelity("F-KIT-7")
def test_concurrent_callers_share_one_refresh(idcard_mock: IdcardMock) -> None:
    """Eight threads ask at once while the token call is in flight: one refresh (§2 forbids
    concurrent refreshes)."""
    threads_n = 8
    clock = Clock()
    released = threading.Event()

    class SlowTokenSession:
        def __init__(self) -> None:
            import requests

            self._session = requests.Session()

        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            if url.endswith("/access_token"):
                # Hold the token call until every other thread has read the clock on entering
                # the credential check (the refreshing thread reads it twice).
                for _ in range(1000):
                    if clock.reads >= 2 + (threads_n - 1):
                        break
                    released.wait(0.01)
            return self._session.request(method, url, **kwargs)

    calls = Calls()
    client = KycClient(idcard_mock.base_url, DEFAULT_APP_ID, DEFAULT_SECRET, clock=clock,
                       session=SlowTokenSession(), on_response=calls)
    tickets: list[str] = []
    workers = [threading.Thread(target=lambda: tickets.append(client.sign_ticket()))
               for _ in range(threads_n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert clock.reads >= 2 + (threads_n - 1), "the threads never met at the refresh"
    assert calls.count == Counter({"access_token": 1, "api_ticket": 1})
    assert len(set(tickets)) == 1 and len(tickets) == threads_n


def test_nonce_ticket_is_fetched_per_use(idcard_mock: IdcardMock) -> None:
    client, calls = make_client(idcard_mock)
    first, second = client.nonce_ticket("user1"), client.nonce_ticket("user1")
    assert first != second
    assert client.sign_ticket() not in (first, second)
    assert calls.count == Counter({"access_token": 1, "api_ticket": 3})


def test_invalidate_fetches_new_credentials(idcard_mock: IdcardMock) -> None:
    client, calls = make_client(idcard_mock)
    first = client.sign_ticket()
    client.invalidate()
    assert client.sign_ticket() != first
    assert calls.count["access_token"] == 2


# -- idcardocrapp ------------------------------------------------------------------------------


def test_ocr_portrait(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    result = client.ocr(card("portrait"), order_no="order1", user_id="user1", get_native=True)
    assert result.side == "portrait" and result.order_no == "order1"
    assert set(result.fields) == {"name", "sex", "nation", "birth", "address", "idcard"}
    assert result.birth == result.idcard[6:14]
    assert result.native_place
    assert result.sign_verified is True
    assert result.raw["code"] == "0"
    assert result.idcard not in repr(result) and mask_idcard(result.idcard) in repr(result)


def test_ocr_emblem(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    result = client.ocr(card("emblem"))
    assert result.side == "emblem"
    assert set(result.fields) == {"authority", "validDate"}
    assert result.valid_date and result.authority
    assert result.idcard is None and result.native_place is None


def test_ocr_accepts_a_path_and_base64(idcard_mock: IdcardMock, tmp_path: Path) -> None:
    client, _ = make_client(idcard_mock)
    image = card("portrait")
    (tmp_path / "front.png").write_bytes(image)
    by_path = client.ocr(tmp_path / "front.png")
    by_text = client.ocr(base64.b64encode(image).decode("ascii"))
    assert by_path.idcard == by_text.idcard == client.ocr(image).idcard


def test_sign_leaves_user_id_out(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    ticket = client.sign_ticket()
    body = client.ocr_body(b"x", order_no="o1", nonce="n1", user_id="someone", ticket=ticket)
    assert body["sign"] == signing.request_sign(DEFAULT_APP_ID, "o1", "n1", "1.0.0", ticket)
    assert body["userId"] == "someone"


def test_wrong_side_is_an_ocr_error(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    with pytest.raises(OcrError) as raised:
        client.ocr(card("portrait"), card_type="emblem")
    assert (raised.value.code, raised.value.msg) == ("66661007", "非身份证国徽面")
    assert raised.value.http_status == 200


def test_wrong_secret_is_a_sign_error(idcard_mock: IdcardMock) -> None:
    client = KycClient(idcard_mock.base_url, DEFAULT_APP_ID, "not-the-secret")
    with pytest.raises(SignError) as raised:
        client.ocr(card("portrait"))
    assert (raised.value.code, raised.value.msg) == ("400101", "不合法的请求")
    assert "not-the-secret" not in str(raised.value)


@pytest.mark.fidelity("F-KIT-10")
def test_result_sign_check(idcard_mock: IdcardMock) -> None:
    """A tampered result.sign raises when asked to, warns by default (the recipe is known only
    by analogy, §4), and is not looked at when switched off."""

    class TamperingSession:
        def __init__(self) -> None:
            import requests

            self._session = requests.Session()

        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            response = self._session.request(method, url, **kwargs)
            if url.endswith("/idcardocrapp"):
                body = response.json()
                body["result"]["sign"] = "0" * 40
                response._content = json.dumps(body).encode("utf-8")
            return response

    def client(mode: Any) -> KycClient:
        return KycClient(idcard_mock.base_url, DEFAULT_APP_ID, DEFAULT_SECRET,
                         session=TamperingSession(), verify_result_sign=mode)

    with pytest.raises(ResultSignError):
        client(True).ocr(card("portrait"))
    with pytest.warns(ResultSignWarning):
        assert client("warn").ocr(card("portrait")).sign_verified is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client(False).ocr(card("portrait")).sign_verified is None


def test_budget_refuses_before_sending(idcard_mock: IdcardMock) -> None:
    budget = CallBudget(1)
    client, calls = make_client(idcard_mock, budget=budget)
    client.ocr(card("portrait"))
    with pytest.raises(CallBudgetExceeded):
        client.ocr(card("emblem"))
    assert calls.count["idcardocrapp"] == 1 and client.ocr_calls == 1 and budget.used == 1


# -- getOcrResult ------------------------------------------------------------------------------


def test_ocr_result_round_trip(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    front, back = card("portrait"), card("emblem")
    portrait = client.ocr(front, order_no="both1")
    emblem = client.ocr(back, order_no="both1")
    kept = client.ocr_result("both1", get_file=True, get_native=True)
    assert (kept.front_code, kept.back_code) == ("0", "0")
    assert kept.front_photo == front and kept.back_photo == back
    assert kept.fields["idcard"] == portrait.idcard
    assert kept.fields["validDate"] == emblem.valid_date
    assert kept.native_place and kept.operate_time
    assert kept.front_crop is None and kept.head_photo is None  # empty: the mock does not crop
    without = client.ocr_result("both1")
    assert without.front_photo is None and without.back_photo is None


def test_unknown_order_is_order_not_found(idcard_mock: IdcardMock) -> None:
    client, _ = make_client(idcard_mock)
    with pytest.raises(OrderNotFoundError) as raised:
        client.ocr_result("neverSent")
    assert (raised.value.code, raised.value.msg) == ("66660020", "OCR 结果查询不到")


# -- no retries, no refresh on 400101, lenient reading ----------------------------------------


@pytest.fixture
def stand_in() -> Iterator[tuple[BrokenTarget, str]]:
    """The mock behind a layer that counts what it receives, on a loopback port: a target that is
    not the mock's in-process test client."""
    target = BrokenTarget()
    with ThreadedServer(app=target) as server:
        yield target, server.base_url


FAULTED_CALLS: dict[str, tuple[str, Callable[[KycClient, str], Any]]] = {
    "access_token": (TOKEN, lambda client, order_no: client.access_token()),
    "idcardocrapp": (OCR, lambda client, order_no: client.ocr(card("portrait"))),
    "getOcrResult": (RESULT, lambda client, order_no: client.ocr_result(order_no)),
}


@pytest.mark.fidelity("F-KIT-8")
@pytest.mark.parametrize("fault", ["http-503", "http-504", "connection-reset", "malformed-json"])
@pytest.mark.parametrize("call", list(FAULTED_CALLS))
def test_the_client_never_retries_on_its_own(stand_in: tuple[BrokenTarget, str], call: str,
                                             fault: str) -> None:
    """A failed exchange is the caller's to retry: a retried OCR call may be billed twice."""
    target, base_url = stand_in
    order_no = KycClient(base_url, DEFAULT_APP_ID, DEFAULT_SECRET).ocr(card("portrait")).order_no
    queued = requests.post(f"{base_url}/_mock/scenarios/next",
                           json={"name": fault, "count": 1, "endpoint": call}, timeout=10)
    assert queued.status_code == 201
    before = target.requests.copy()
    client = KycClient(base_url, DEFAULT_APP_ID, DEFAULT_SECRET)
    path, make_call = FAULTED_CALLS[call]
    with pytest.raises((KycError, requests.RequestException)):
        make_call(client, order_no)
    sent = target.requests - before
    expected = Counter({path: 1}) if call == "access_token" else Counter({TOKEN: 1, TICKET: 1, path: 1})
    assert sent == expected
    # The fault is spent: the same call goes through when the caller makes it again.
    make_call(client, order_no)


@pytest.mark.fidelity("F-KIT-8")
def test_a_400101_leaves_the_token_and_ticket_in_place() -> None:
    """The vendor answers 400101 to every request fault, not only to a dead credential: the
    client keeps its token and SIGN ticket, and `invalidate()` is the caller's choice."""

    def refuse_the_first_ocr(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
        if path == OCR and target.requests[OCR] == 1:
            for key in ("result", "bizSeqNo"):
                body.pop(key, None)
            body.update(code="400101", msg="不合法的请求", success=False)

    target = BrokenTarget(refuse_the_first_ocr)
    with ThreadedServer(app=target) as server:
        client = KycClient(server.base_url, DEFAULT_APP_ID, DEFAULT_SECRET)
        token, ticket = client.access_token(), client.sign_ticket()
        with pytest.raises(SignError):
            client.ocr(card("portrait"))
        assert (client.access_token(), client.sign_ticket()) == (token, ticket)
        assert client.ocr(card("portrait")).idcard
    assert (target.requests[TOKEN], target.requests[TICKET], target.requests[OCR]) == (1, 1, 2)


@pytest.mark.fidelity("F-KIT-9")
def test_a_numeric_code_and_a_string_expire_in_are_read_leniently() -> None:
    """Answers whose `code` is a JSON number and whose `expire_in` is a string (they fail the
    contract suite: tests/test_contract_teeth.py) are read for what they say."""
    target = BrokenTarget(loosely_typed)
    with ThreadedServer(app=target) as server:
        client = KycClient(server.base_url, DEFAULT_APP_ID, DEFAULT_SECRET)
        assert client.ocr(card("portrait")).idcard
        assert client.ocr_result(client.ocr(card("emblem")).order_no).back_code == "0"
        with pytest.raises(OcrError) as wrong_side:
            client.ocr(card("portrait"), card_type="emblem")
        assert wrong_side.value.code == "66661007"
        with pytest.raises(OrderNotFoundError):
            client.ocr_result("neverSent")
        token, token_life = client.fetch_access_token()
        assert token_life == 7200
        # A ticket of a token with 600 s left lives 600 s: the string's value is read, not a
        # default put in its place.
        advanced = requests.post(f"{server.base_url}/_mock/clock/advance",
                                 json={"seconds": 6600}, timeout=10)
        assert advanced.status_code == 200
        _, ticket_life = client.fetch_ticket(token, "SIGN")
        assert 599 <= ticket_life <= 600
    assert target.requests[OCR] == 3


# -- envelope and secrecy ----------------------------------------------------------------------


def test_check_envelope() -> None:
    assert check_envelope({"code": "0", "msg": "请求成功"})["code"] == "0"
    # A numeric code is read leniently; the contract suite is where the type is enforced.
    assert check_envelope({"code": 0})["code"] == 0
    with pytest.raises(SignError):
        check_envelope({"code": 400101, "msg": "不合法的请求"})
    with pytest.raises(OrderNotFoundError):
        check_envelope({"code": "66660020", "msg": "OCR 结果查询不到"})
    with pytest.raises(OcrError):
        check_envelope({"code": "66661005", "msg": "图像解码异常"})
    with pytest.raises(KycError) as other:
        check_envelope({"code": "400504", "msg": "操作过于频繁"})
    assert type(other.value) is KycError
    for not_an_envelope in (None, [], {"msg": "x"}, {"code": None}, {"code": True}):
        with pytest.raises(ResponseError):
            check_envelope(not_an_envelope, 502)


def test_secrets_stay_out_of_reprs_and_logs(idcard_mock: IdcardMock,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="idcard_mock.client")
    client, _ = make_client(idcard_mock)
    client.ocr(card("portrait"))
    client.nonce_ticket("user1")
    sensitive = client.sensitive_values()
    assert DEFAULT_SECRET in sensitive and len(sensitive) == 4  # secret, token, SIGN, NONCE
    shown = repr(client) + caplog.text
    assert caplog.records, "the client logged nothing at DEBUG"
    assert not [v for v in sensitive if v in shown]


def test_mask_idcard() -> None:
    assert mask_idcard("11010519491231002X") == "110105********002X"
    assert mask_idcard("12345") == "*****"
