"""POST /api/paas/idcardocrapp: both sides of a card (§7, §9)."""

from __future__ import annotations

import re

import pytest

from contract_tests import checks
from contract_tests.client import Client
from contract_tests.kit import OcrCall, ocr_call
from contract_tests.signing import result_sign
from contract_tests.target import Target
from contract_tests.vendor import NOT_EMBLEM_SIDE, NOT_PORTRAIT_SIDE, OCR_CODES


@pytest.fixture(params=["portrait", "emblem"])
def call(request: pytest.FixtureRequest) -> OcrCall:
    return request.getfixturevalue(f"{request.param}_call")


def _assert_none(problems: list[str], what: str) -> None:
    assert not problems, checks.explain(problems, what)


def test_portrait_answer_matches_schema(portrait_call: OcrCall) -> None:
    """The portrait answer against the portrait-side success branch of schemas/."""
    _assert_none(checks.schema_problems("idcardocrapp.response.json", portrait_call.body, "portrait"),
                 "the portrait answer")
    portrait_call.result()


def test_emblem_answer_matches_schema(emblem_call: OcrCall) -> None:
    """The emblem answer against the emblem-side success branch of schemas/."""
    _assert_none(checks.schema_problems("idcardocrapp.response.json", emblem_call.body, "emblem"),
                 "the emblem answer")
    emblem_call.result()


def test_portrait_id_number_invariants(portrait_call: OcrCall) -> None:
    """Check digit, birth = digits 7-14, sex from the 17th digit (GB 11643, §9)."""
    _assert_none(checks.idcard_problems(portrait_call.result()), "the portrait answer")


def test_portrait_carries_portrait_fields_only(portrait_call: OcrCall) -> None:
    _assert_none(checks.side_problems(portrait_call.result(), "portrait"), "the portrait answer")


def test_emblem_image_comes_back_as_the_emblem_side(emblem_call: OcrCall) -> None:
    """authority and validDate, none of the portrait fields (§7)."""
    _assert_none(checks.side_problems(emblem_call.result(), "emblem"), "the emblem answer")


def test_emblem_valid_date_is_a_card_term(emblem_call: OcrCall) -> None:
    """YYYYMMDD-YYYYMMDD over 5, 10 or 20 years, or YYYYMMDD-长期 (§7, §9)."""
    _assert_none(checks.valid_date_problems(emblem_call.result()), "the emblem answer")


def test_order_no_is_echoed(call: OcrCall) -> None:
    assert call.result().get("orderNo") == call.order_no, (
        f"the {call.side} answer's result.orderNo does not echo the orderNo sent"
    )


def test_times_masks_and_sequence_numbers(call: OcrCall) -> None:
    """bizSeqNo 32 digits, transactionTime yyyyMMddHHmmss, warning masks of 8 × 0/1 (§5c, §7)."""
    call.result()
    _assert_none(checks.envelope_format_problems(call.body), f"the {call.side} answer")


def test_native_place_when_asked(portrait_call: OcrCall) -> None:
    """getNative=1 asks for nativePlace (§7)."""
    native = portrait_call.result().get("nativePlace")
    assert isinstance(native, str) and native, "getNative=1 and no nativePlace in the portrait answer"


@pytest.mark.observe("result.sign recipe, §4 (documented for the OCR SDK result only)")
def test_result_sign_recipe(call: OcrCall, client: Client) -> None:
    """result.sign = SHA-1 of the sorted appId, orderNo and SIGN ticket, uppercase hex (§4)."""
    given = call.result().get("sign")
    expected = result_sign(client.app_id, call.order_no, call.ticket)
    assert isinstance(given, str) and given == expected, (
        f"the {call.side} answer's result.sign is not SHA-1(sorted appId, orderNo, SIGN ticket)"
    )


@pytest.mark.observe("bizSeqNo structure, observed in six samples (§7)")
def test_biz_seq_no_structure(call: OcrCall) -> None:
    """yyMMdd + 20001184 + 4 digits + HHmmss + 8 digits, matching transactionTime; the top-level
    bizSeqNo equals result.bizSeqNo."""
    body, result = call.body, call.result()
    biz, when = result.get("bizSeqNo", ""), result.get("transactionTime", "")
    assert re.fullmatch(r"\d{6}20001184\d{4}\d{6}\d{8}", biz), (
        "result.bizSeqNo is not yyMMdd + 20001184 + node + HHmmss + 8 digits"
    )
    assert biz[:6] == when[2:8], "result.bizSeqNo does not start with the date of transactionTime"
    assert body.get("bizSeqNo") == biz, "the top-level bizSeqNo differs from result.bizSeqNo"


@pytest.mark.observe("ocrId, retry and success formats of the vendor's examples (§7)")
def test_reserved_fields_as_in_the_examples(call: OcrCall) -> None:
    result = call.result()
    assert result.get("retry") == "1", "result.retry is not \"1\" as in both vendor examples"
    assert result.get("success") is False, "result.success is not false as in the vendor examples"


@pytest.mark.observe("nativePlace format, fidelity notes: Answers")
def test_native_place_names_the_region_of_the_number(portrait_call: OcrCall) -> None:
    """The division of the number's first six digits, in its birth year (python-stdnum's GB/T
    2260 table; the vendor documents no format, §7)."""
    _assert_none(checks.native_place_problems(portrait_call.result()), "the portrait answer")


@pytest.mark.mock_only("the mock's answers for its own fixture pack")
@pytest.mark.parametrize("side", ["portrait", "emblem"])
def test_default_pack_images_answer_as_the_manifest_says(
    side: str, target: Target, request: pytest.FixtureRequest
) -> None:
    if not target.uses_pack_images:
        pytest.skip("images given on the command line; the manifest does not describe them")
    call: OcrCall = request.getfixturevalue(f"{side}_call")
    entry = next(e for e in target.pack if e.side == side and e.code == "0")
    expected = dict(entry.result)
    if side == "portrait" and entry.native_place is not None:
        expected["nativePlace"] = entry.native_place  # the portrait call asked with getNative=1
    result = call.result()
    differing = sorted(k for k in expected if result.get(k) != expected[k])
    assert not differing, f"fixture {entry.id}: the answer differs from the manifest in {differing}"


@pytest.mark.mock_only("legacy cardType, fidelity notes: Hosts, paths and parameter names")
@pytest.mark.parametrize(
    ("image_side", "card_type", "expected"),
    [("portrait", "emblem", NOT_EMBLEM_SIDE), ("emblem", "portrait", NOT_PORTRAIT_SIDE)],
    ids=["portrait-sent-as-emblem", "emblem-sent-as-portrait"],
)
def test_card_type_of_the_other_side(client: Client, target: Target, image_side: str,
                                     card_type: str, expected: tuple[str, str]) -> None:
    image = target.portrait_image if image_side == "portrait" else target.emblem_image
    got = ocr_call(client, image_side, image, card_type=card_type).answer.code_msg()
    assert got == expected, f"a {image_side} image sent as cardType {card_type} answered {got} (§5a)"


@pytest.mark.mock_only("fixture pack failure entries")
def test_fixture_pack_failures_answer_their_code(client: Client, target: Target) -> None:
    """Each failure entry answers its code with the message the vendor documents for it (§5a)."""
    failures = [e for e in target.pack if e.code != "0"]
    if not failures:
        pytest.skip("the fixture pack has no failure entries")
    wrong = []
    for entry in failures:
        got = ocr_call(client, entry.side, entry.read()).answer.code_msg()
        expected = (entry.code, OCR_CODES.get(entry.code))
        if got != expected:
            wrong.append(f"{entry.id}: expected {expected}, got {got}")
    assert not wrong, "fixture failure entries answered otherwise:\n" + "\n".join(wrong)
