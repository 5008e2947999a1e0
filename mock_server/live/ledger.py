"""The assumed rows of docs/fidelity.md that a drift report can confirm or refute, and which
differences touch which row. Rows are named by the start of their text (the ledger's first
column); tests/test_live_drift.py holds each to a row of the ledger."""

from __future__ import annotations

ERROR_ENVELOPE = "Error envelope: `{code, msg, bizSeqNo, transactionTime, success: false}`, no `result`"
HTTP_200 = "Every answer, errors included, is HTTP 200 with `code` in the body"
NATIVE_PLACE = "`nativePlace` (getNative=1, portrait side only)"
WARNING_RULE = "`multiWarning` carries every warning of the image; `warning` only the first"
RESULT_SIGN = "`result.sign` = SHA-1 of sorted (appId, orderNo, the SIGN ticket"
ORDER_SIDES = "getOcrResult lists a side only once it was attempted; a side's card fields only"
CROPS = "`frontCrop`, `backCrop`, `headPhoto` are empty strings"
OPERATE_TIME = "`operateTime` = time of the latest recognition of the order"
DUPLICATE_ORDER = "An orderNo holds one portrait and one emblem recognition"
LONG_TERM = "validDate by age at issue"

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
