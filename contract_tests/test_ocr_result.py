"""GET /api/server/getOcrResult: what the service kept of each OCR call (§6)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_tests import checks
from contract_tests.client import Client, new_order_no
from contract_tests.kit import Kit, OcrCall, ocr_call
from contract_tests.target import Target
from contract_tests.vendor import (
    EMBLEM_FIELDS,
    ILLEGAL_REQUEST,
    ORDER_NOT_FOUND,
    PORTRAIT_FIELDS,
)
from contract_tests.vendor import (
    RESULT_PREFIX as PREFIX,
)

# The vendor notes that images may lag about a second behind the OCR answer (§6).
IMAGE_LAG_S = 6.0


def _query(client: Client, order_no: str, **flags: bool) -> Any:
    return client.get_ocr_result(client.ocr_result_params(order_no, **flags)).body


def _result(body: Any, what: str) -> dict[str, Any]:
    code = body.get("code") if isinstance(body, dict) else None
    assert code == "0" and isinstance(body.get("result"), dict), (
        f"getOcrResult for {what} answered code {code!r} "
        f"msg {body.get('msg') if isinstance(body, dict) else None!r}"
    )
    return body["result"]


def _decoded(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    return base64.b64decode(value + "=" * (-len(value) % 4))


@pytest.fixture(params=["portrait", "emblem"])
def call(request: pytest.FixtureRequest) -> OcrCall:
    return request.getfixturevalue(f"{request.param}_call")


@dataclass
class Kept:
    """What getOcrResult holds for one order. Its repr shows no card data: pytest prints the
    arguments of a failing check."""

    order_no: str
    result: dict[str, Any] = field(repr=False)


@pytest.fixture
def with_files(call: OcrCall, client: Client, target: Target) -> Kept:
    """getOcrResult with get_file=1 for the call's order, waiting out the documented image lag
    against a target that is not the mock."""
    call.result()
    key = PREFIX[call.side] + "Photo"
    deadline = time.monotonic() + (0 if target.is_mock else IMAGE_LAG_S)
    while True:
        result = _result(_query(client, call.order_no, get_file=True), f"the {call.side} order")
        if result.get(key) or time.monotonic() >= deadline:
            return Kept(call.order_no, result)
        time.sleep(1.0)


def test_images_round_trip(call: OcrCall, with_files: Kept) -> None:
    """get_file=1 gives back the uploaded image byte for byte (§6)."""
    key = PREFIX[call.side] + "Photo"
    assert key in with_files.result, f"getOcrResult with get_file=1 has no {key} for the {call.side} order"
    photo = _decoded(with_files.result[key])
    assert photo == call.image, (
        f"{key} is not the {call.side} image sent, byte for byte "
        f"({len(photo or b'')} bytes back, {len(call.image)} sent)"
    )


def test_result_holds_the_recognised_side(call: OcrCall, with_files: Kept) -> None:
    """frontCode / backCode "0" and the same card fields as the OCR answer (§6)."""
    code_key = PREFIX[call.side] + "Code"
    assert with_files.result.get(code_key) == "0", (
        f"{code_key} is {with_files.result.get(code_key)!r} for a recognised {call.side} side"
    )
    names = PORTRAIT_FIELDS if call.side == "portrait" else EMBLEM_FIELDS
    answered = call.result()
    differing = [k for k in names if with_files.result.get(k) != answered.get(k)]
    assert not differing, f"getOcrResult differs from the OCR answer in {differing}"
    assert with_files.result.get("orderNo") == call.order_no, "getOcrResult does not echo order_no"


def test_result_formats(call: OcrCall, with_files: Kept, kit: Kit) -> None:
    """operateTime yyyy-MM-dd HH:mm:ss, masks of 8 × 0/1, bizSeqNo, transactionTime (§6)."""
    body = kit.last("getOcrResult").body
    problems = checks.envelope_format_problems(body)
    if call.side == "portrait":
        problems += checks.idcard_problems(with_files.result)
    else:
        problems += checks.valid_date_problems(with_files.result)
    assert not problems, checks.explain(problems, "the getOcrResult answer")


def test_no_images_without_get_file(portrait_call: OcrCall, client: Client) -> None:
    """Images only with get_file=1 (§6)."""
    portrait_call.result()
    result = _result(_query(client, portrait_call.order_no), "the portrait order")
    present = [k for k in ("frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto")
               if result.get(k)]
    assert not present, f"getOcrResult without get_file=1 returned {present}"


def test_signed_query_is_accepted(portrait_call: OcrCall, client: Client) -> None:
    """A query signed over app_id, order_no, nonce, version and the SIGN ticket is answered (§6)."""
    portrait_call.result()
    got = client.get_ocr_result(client.ocr_result_params(portrait_call.order_no)).code_msg()
    assert got[0] == "0", (
        f"getOcrResult signed over app_id, order_no, nonce, version and the SIGN ticket answered "
        f"{got} (§6: those five values make its sign)"
    )


def test_unknown_order_is_66660020(client: Client) -> None:
    got = client.get_ocr_result(client.ocr_result_params(new_order_no())).code_msg()
    assert got == ORDER_NOT_FOUND, (
        f"getOcrResult for an order never sent answered {got}, expected 66660020 OCR 结果查询不到"
    )


def test_wrong_sign_is_refused(portrait_call: OcrCall, client: Client) -> None:
    params = client.ocr_result_params(portrait_call.order_no)
    params["sign"] = params["sign"][::-1]
    got = client.get_ocr_result(params).code_msg()
    assert got == ILLEGAL_REQUEST, f"getOcrResult with a wrong sign answered {got} (§6, §5b)"


@pytest.mark.observe("crops, fidelity notes: Orders and getOcrResult")
def test_crops_are_present_and_may_be_empty(call: OcrCall, with_files: Kept) -> None:
    """The mock does not crop: frontCrop/backCrop (and headPhoto) are empty strings (§6 "may be
    empty")."""
    keys = [PREFIX[call.side] + "Crop"] + (["headPhoto"] if call.side == "portrait" else [])
    assert all(with_files.result.get(k) == "" for k in keys), f"{keys} are not empty strings"


@pytest.mark.mock_only("one orderNo holds both sides, fidelity notes: Orders")
def test_one_order_holds_both_sides(client: Client, target: Target) -> None:
    order_no = new_order_no()
    front = ocr_call(client, "portrait", target.portrait_image, order_no=order_no)
    back = ocr_call(client, "emblem", target.emblem_image, order_no=order_no)
    result = _result(_query(client, order_no, get_file=True), "an order with both sides")
    codes = (result.get("frontCode"), result.get("backCode"))
    assert codes == ("0", "0"), f"frontCode, backCode are {codes} for an order with both sides"
    assert _decoded(result.get("frontPhoto")) == front.image, "frontPhoto is not the portrait image"
    assert _decoded(result.get("backPhoto")) == back.image, "backPhoto is not the emblem image"
    assert result.get("idcard") == front.result()["idcard"], "idcard differs from the portrait answer"
    assert result.get("validDate") == back.result()["validDate"], (
        "validDate differs from the emblem answer"
    )


@pytest.mark.mock_only("a repeated side replaces the earlier one, fidelity notes: Orders")
def test_same_side_again_replaces_it(client: Client, target: Target) -> None:
    order_no = new_order_no()
    ocr_call(client, "portrait", target.portrait_image, order_no=order_no)
    again = ocr_call(client, "portrait", target.portrait_image, order_no=order_no)
    assert again.body.get("code") == "0", "a repeated orderNo was refused"
    result = _result(_query(client, order_no), "a repeated order")
    assert result.get("frontCode") == "0" and "backCode" not in result, (
        "a repeated portrait call did not leave one portrait side and no emblem side"
    )


@pytest.mark.mock_only("nativePlace on getOcrResult, fidelity notes: Answers")
def test_native_place_on_request(portrait_call: OcrCall, client: Client) -> None:
    result = _result(_query(client, portrait_call.order_no, get_native=True), "the portrait order")
    assert result.get("nativePlace") == portrait_call.result().get("nativePlace"), (
        "getOcrResult with get_native=1 does not give the OCR answer's nativePlace"
    )
