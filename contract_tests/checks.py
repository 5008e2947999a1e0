"""Pure checks of answers against the documented contract. Each returns a list of problems in
plain words that name the field and the rule; an empty list means the answer conforms.

No problem text ever carries an ID number in clear (first 6 + ******** + last 4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from contract_tests import schemas
from contract_tests.vendor import CARD_TERMS, EMBLEM_FIELDS, PORTRAIT_FIELDS

# Response documents and the branch of each that a successful answer must satisfy.
SUCCESS_BRANCH = {
    "access_token.response.json": "/$defs/success",
    "api_ticket.response.json": "/$defs/success",
    "getOcrResult.response.json": "/$defs/success",
    "idcardocrapp.response.json": None,  # per side: portraitSuccess / emblemSuccess
}
SIDE_BRANCH = {"portrait": "/$defs/portraitSuccess", "emblem": "/$defs/emblemSuccess"}
ERROR_BRANCH = "common.json#/$defs/errorEnvelope"

_COMPACT_TIME = re.compile(r"^\d{14}$")
_DISPLAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_MASK = re.compile(r"^[01]{8}$")
_BIZ_SEQ_NO = re.compile(r"^\d{32}$")
_VALID_DATE = re.compile(r"^(\d{8})-(\d{8}|长期)$")


def mask_idcard(idcard: str) -> str:
    """First 6 + ******** + last 4: the birth date and sequence never appear in a report."""
    return idcard[:6] + "********" + idcard[-4:] if len(idcard) >= 10 else "*" * len(idcard)


def schema_problems(document: str, body: Any, side: str | None = None) -> list[str]:
    """Violations of `schemas/<document>`, judged against the branch the answer claims: the
    success branch when `code` is "0" (for idcardocrapp, the branch of `side`), the error
    envelope otherwise. Messages name the field and never echo long values."""
    where = f"schemas/{document}"
    if not isinstance(body, dict):
        return [f"{where}: the answer is not a JSON object"]
    code = body.get("code")
    # A numeric 0 is judged against the success branch, so that the message names its type.
    if code == "0" or (code == 0 and not isinstance(code, bool)):
        if document == "idcardocrapp.response.json":
            pointer = SIDE_BRANCH.get(side or "")
        else:
            pointer = SUCCESS_BRANCH.get(document)
    else:
        pointer = ERROR_BRANCH
    return [f"{where}: {p}" for p in schemas.violations(document, body, pointer)]


# -- card invariants ---------------------------------------------------------------------------


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _years_later(start: date, years: int) -> set[date]:
    """The day `years` after `start`; a 29 February start may end on 28 February or 1 March."""
    try:
        return {start.replace(year=start.year + years)}
    except ValueError:
        return {date(start.year + years, 2, 28), date(start.year + years, 3, 1)}


def idcard_problems(fields: Mapping[str, Any]) -> list[str]:
    """GB 11643 invariants of a portrait side (§9): 18 characters, check digit, the
    birth field equal to digits 7-14 and a real date, sex agreeing with the 17th digit
    (odd = male)."""
    idcard = fields.get("idcard")
    if not isinstance(idcard, str):
        return ["idcard is missing"]
    shown = mask_idcard(idcard)
    if not re.fullmatch(r"\d{17}[\dX]", idcard):
        return [f"idcard {shown}: not 17 digits and a check character (digit or X)"]
    problems = []
    expected = ric.calc_check_digit(idcard)
    if idcard[-1] != expected:
        problems.append(f"idcard {shown}: wrong check digit (GB 11643 MOD 11-2 gives {expected})")
    birth = fields.get("birth")
    if _day(idcard[6:14]) is None:
        problems.append(f"idcard {shown}: digits 7-14 are not a calendar date")
    if birth != idcard[6:14]:
        problems.append(f"birth disagrees with digits 7-14 of idcard {shown}")
    if isinstance(birth, str) and (len(birth) != 8 or _day(birth) is None):
        problems.append("birth is not a YYYYMMDD calendar date")
    expected_sex = "男" if int(idcard[16]) % 2 else "女"
    if fields.get("sex") != expected_sex:
        problems.append(
            f"sex {fields.get('sex')!r} disagrees with idcard {shown}: an "
            f"{'odd' if expected_sex == '男' else 'even'} 17th digit means {expected_sex}"
        )
    return problems


def valid_date_problems(fields: Mapping[str, Any]) -> list[str]:
    """validDate is YYYYMMDD-YYYYMMDD or YYYYMMDD-长期, a term of 5, 10 or 20 years (§7, §9)."""
    value = fields.get("validDate")
    if not isinstance(value, str):
        return ["validDate is missing"]
    match = _VALID_DATE.fullmatch(value)
    if match is None:
        return [f"validDate {value!r} is not YYYYMMDD-YYYYMMDD or YYYYMMDD-长期"]
    start = _day(match.group(1))
    if start is None:
        return [f"validDate {value!r}: the start is not a calendar date"]
    if match.group(2) == "长期":
        return []
    end = _day(match.group(2))
    if end is None:
        return [f"validDate {value!r}: the end is not a calendar date"]
    if not any(end in _years_later(start, years) for years in CARD_TERMS):
        return [f"validDate {value!r}: not a term of 5, 10 or 20 years (or 长期)"]
    return []


def side_problems(result: Mapping[str, Any], side: str) -> list[str]:
    """A portrait answer carries the six portrait fields and neither authority nor validDate;
    an emblem answer carries authority and validDate and none of the portrait fields (§7)."""
    wanted, foreign = (
        (PORTRAIT_FIELDS, EMBLEM_FIELDS) if side == "portrait" else (EMBLEM_FIELDS, PORTRAIT_FIELDS)
    )
    problems = [f"{side} answer lacks {k}" for k in wanted if k not in result]
    problems += [f"{side} answer carries {k}, a field of the other side" for k in foreign
                 if k in result]
    return problems


def envelope_format_problems(body: Mapping[str, Any]) -> list[str]:
    """bizSeqNo: 32 digits; transactionTime: yyyyMMddHHmmss (§7); in `result` too, with the
    8-character 0/1 warning masks."""
    problems = []
    scopes: list[tuple[str, Any]] = [("", body)]
    if isinstance(body.get("result"), dict):
        scopes.append(("result.", body["result"]))
    for prefix, scope in scopes:
        if "bizSeqNo" in scope and not _BIZ_SEQ_NO.fullmatch(str(scope["bizSeqNo"])):
            problems.append(f"{prefix}bizSeqNo is not 32 digits")
        if "transactionTime" in scope and not (
            isinstance(scope["transactionTime"], str)
            and _COMPACT_TIME.fullmatch(scope["transactionTime"])
        ):
            problems.append(f"{prefix}transactionTime is not yyyyMMddHHmmss")
    result = body.get("result") if isinstance(body.get("result"), dict) else {}
    for key in ("warning", "multiWarning", "frontWarnCode", "backWarnCode",
                "frontMultiWarning", "backMultiWarning"):
        if key in result and not (isinstance(result[key], str) and _MASK.fullmatch(result[key])):
            problems.append(f"result.{key} is not an 8-character 0/1 warning mask")
    if "operateTime" in result and not (
        isinstance(result["operateTime"], str) and _DISPLAY_TIME.fullmatch(result["operateTime"])
    ):
        problems.append("result.operateTime is not yyyy-MM-dd HH:mm:ss")
    return problems


def answer_side(body: Any) -> str | None:
    """The side an idcardocrapp answer claims by its fields (None: no result, or no side)."""
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        return None
    if any(k in result for k in PORTRAIT_FIELDS):
        return "portrait"
    if any(k in result for k in EMBLEM_FIELDS):
        return "emblem"
    return None


def explain(problems: list[str], what: str) -> str:
    """An assertion message listing the problems, one per line."""
    return f"{what} breaks the contract:\n  - " + "\n  - ".join(problems)


# stdnum's table spells a few names in traditional characters; cards print simplified ones.
_TO_SIMPLIFIED = str.maketrans("達嶺區別門員會稜", "达岭区别门员会棱")


def native_place_problems(fields: Mapping[str, Any]) -> list[str]:
    """nativePlace, when given, names the division of the ID number's first six digits as it was
    called in the birth year, province first and county last. The vendor does not document the
    format (§7, open question 6); the names are python-stdnum's GB/T 2260 table."""
    native, idcard = fields.get("nativePlace"), fields.get("idcard")
    if not isinstance(native, str) or not isinstance(idcard, str):
        return ["nativePlace or idcard is missing"]
    try:
        place = ric.get_birth_place(idcard)
    except stdnum_errors.ValidationError:
        return [f"idcard {mask_idcard(idcard)}: its first six digits name no division python-stdnum knows"]
    province = str(place.get("province", "")).translate(_TO_SIMPLIFIED)
    county = str(place.get("county", "")).translate(_TO_SIMPLIFIED)
    if not (native.startswith(province) and native.endswith(county)):
        return [f"nativePlace {native!r} is not the division of idcard {mask_idcard(idcard)} "
                f"({province} ... {county}, GB/T 2260 via python-stdnum)"]
    return []
