"""The suite's pure checks (contract_tests/checks.py) and its redaction (contract_tests/kit.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from contract_tests import checks, schemas
from contract_tests.kit import redact

PORTRAIT, EMBLEM = schemas.document("idcardocrapp.response.json")["examples"]
GOOD = {"idcard": "11010519491231002X", "birth": "19491231", "sex": "女"}


def portrait(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(PORTRAIT)
    body["result"].update(changes)
    return body


@pytest.mark.parametrize(("body", "side"), [(PORTRAIT, "portrait"), (EMBLEM, "emblem")],
                         ids=["portrait", "emblem"])
def test_the_vendor_examples_conform(body: dict[str, Any], side: str) -> None:
    assert checks.schema_problems("idcardocrapp.response.json", body, side) == []
    assert checks.envelope_format_problems(body) == []
    assert checks.side_problems(body["result"], side) == []


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({**GOOD, "idcard": "110105194912310021"}, "wrong check digit (GB 11643 MOD 11-2 gives X)"),
        ({**GOOD, "sex": "男"}, "an even 17th digit means 女"),
        ({**GOOD, "birth": "19491230"}, "birth disagrees with digits 7-14 of idcard 110105********002X"),
        ({**GOOD, "idcard": "1101051949123100"}, "not 17 digits and a check character"),
        ({"idcard": "110105194902300010", "birth": "19490230", "sex": "男"},
         "digits 7-14 are not a calendar date"),
    ],
    ids=["check-digit", "sex", "birth", "length", "date"],
)
def test_idcard_problems(fields: dict[str, str], says: str) -> None:
    problems = checks.idcard_problems(fields)
    assert any(says in p for p in problems), problems
    assert all(fields["idcard"] not in p for p in problems if len(fields["idcard"]) == 18)


def test_a_good_number_has_no_problems() -> None:
    assert checks.idcard_problems(GOOD) == []
    assert checks.idcard_problems({"idcard": "440524188001010014", "birth": "18800101", "sex": "男"}) == []


@pytest.mark.parametrize(
    ("valid_date", "ok"),
    [
        ("20190128-20390128", True),
        ("20190128-20290128", True),
        ("20190128-20240128", True),
        ("20091226-长期", True),
        ("20160229-20260228", True),
        ("20160229-20260301", True),
        ("20190128-20340128", False),  # 15 years
        ("20190128-20390127", False),
        ("20190132-20390132", False),
        ("2019-01-28-2039", False),
        ("20190128-永久", False),
    ],
)
def test_valid_date_terms(valid_date: str, ok: bool) -> None:
    assert (checks.valid_date_problems({"validDate": valid_date}) == []) is ok


def test_side_problems() -> None:
    assert checks.side_problems(PORTRAIT["result"], "portrait") == []
    mixed = {**EMBLEM["result"], "name": "张三"}
    assert checks.side_problems(mixed, "emblem") == [
        "emblem answer carries name, a field of the other side"
    ]
    no_date = {k: v for k, v in EMBLEM["result"].items() if k != "validDate"}
    assert checks.side_problems(no_date, "emblem") == ["emblem answer lacks validDate"]


def test_schema_messages_name_the_field() -> None:
    doc = "idcardocrapp.response.json"
    assert checks.schema_problems(doc, portrait(clarity=64), "portrait") == [
        f"schemas/{doc}: result.clarity must be of type string"
    ]
    missing = portrait()
    del missing["result"]["ocrId"]
    assert checks.schema_problems(doc, missing, "portrait") == [
        f"schemas/{doc}: result: 'ocrId' is a required property"
    ]
    numeric = portrait()
    numeric["code"] = 0
    assert f"schemas/{doc}: code must be of type string" in checks.schema_problems(doc, numeric, "portrait")
    assert checks.schema_problems("getOcrResult.response.json", {"code": 66660020, "msg": "x"}) == [
        "schemas/getOcrResult.response.json: code must be of type string"
    ]
    assert checks.schema_problems(doc, "text") == [f"schemas/{doc}: the answer is not a JSON object"]


def test_envelope_formats() -> None:
    body = portrait(warning="0000000", transactionTime="2021-06-21")
    body["bizSeqNo"] = "123"
    assert checks.envelope_format_problems(body) == [
        "bizSeqNo is not 32 digits",
        "result.transactionTime is not yyyyMMddHHmmss",
        "result.warning is not an 8-character 0/1 warning mask",
    ]


@pytest.mark.parametrize(
    ("native", "ok"),
    [("北京市朝阳区", True), ("北京市海淀区", False), ("朝阳区", False)],
)
def test_native_place_from_python_stdnums_table(native: str, ok: bool) -> None:
    problems = checks.native_place_problems({"idcard": GOOD["idcard"], "nativePlace": native})
    assert (problems == []) is ok, problems
    assert all(GOOD["idcard"] not in p for p in problems)


@pytest.mark.fidelity("F-KIT-11")
def test_redact() -> None:
    secret, token = "S" * 64, "tok3n" * 13
    text = f"secret={secret}&token={token} idcard 11010519491231002X in 21062120001184493117265207455389"
    shown = redact(text, {secret, token})
    assert shown == ("secret=<redacted>&token=<redacted> idcard 110105********002X in "
                     "21062120001184493117265207455389")
