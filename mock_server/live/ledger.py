"""The rows of docs/fidelity.md that a drift report can confirm or refute, by their identifiers,
and which differences touch which row; tests/test_live_drift.py holds each to a row of the ledger
and to its "Checked by drift" list."""

from __future__ import annotations

ERROR_ENVELOPE = "F-ANS-3"
HTTP_200 = "F-ANS-1"
NATIVE_PLACE = "F-ANS-12"
WARNING_RULE = "F-PACK-5"
RESULT_SIGN = "F-SIGN-5"
ORDER_SIDES = "F-ORD-4"
CROPS = "F-ORD-6"
OPERATE_TIME = "F-ORD-7"
DUPLICATE_ORDER = "F-ORD-1"
LONG_TERM = "F-PPL-3"

ROWS = (ERROR_ENVELOPE, HTTP_200, NATIVE_PLACE, WARNING_RULE, RESULT_SIGN, ORDER_SIDES, CROPS,
        OPERATE_TIME, DUPLICATE_ORDER, LONG_TERM)

_CARD_FIELDS = frozenset({"name", "sex", "nation", "birth", "address", "idcard", "authority",
                          "validDate"})


def row_for(call: str, field: str, kind: str, live_code: object) -> str | None:
    """The ledger row a difference in `field` (dotted path) of `call` touches, if any."""
    leaf = field.rsplit(".", 1)[-1]
    if kind == "status":
        return HTTP_200
    if live_code not in ("0", None) and kind in ("absent", "extra") and "." not in field:
        return ERROR_ENVELOPE
    if leaf == "nativePlace":
        return NATIVE_PLACE
    if leaf in ("warning", "multiWarning", "frontWarnCode", "backWarnCode"):
        return WARNING_RULE
    if field == "result.sign":
        return RESULT_SIGN
    if leaf in ("frontCrop", "backCrop", "headPhoto"):
        return CROPS
    if leaf == "operateTime":
        return OPERATE_TIME
    if leaf == "validDate" and kind == "format":
        return LONG_TERM
    if call == "getOcrResult" and leaf in _CARD_FIELDS | {"frontCode", "backCode"}:
        return ORDER_SIDES
    return None
