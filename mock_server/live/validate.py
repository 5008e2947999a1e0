"""An upstream answer judged by the contract kit: the checks the contract suite applies to a target
that is not the mock (`contract_tests.checks`), never the mock's own code, so a mistake the mock
makes cannot excuse the same mistake upstream.

Each violation has a short kind (the name the `X-Mock-Violations` header and the summary carry) and
the kit's words (which name the field and mask any ID number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contract_tests import checks

from .calls import OCR, OCR_RESULT, RESPONSE_SCHEMA

# Every kind a violation can have, in the order the summary lists them.
KINDS = (
    "not-json", "schema", "envelope-format", "idcard-format", "idcard-check-digit",
    "birth-mismatch", "sex-mismatch", "valid-date", "side-fields", "native-place",
)


@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "detail": self.detail}


def parse(body: bytes) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _idcard_kind(problem: str) -> str:
    if "check digit" in problem:
        return "idcard-check-digit"
    if problem.startswith("birth"):
        return "birth-mismatch"
    if problem.startswith("sex"):
        return "sex-mismatch"
    return "idcard-format"


def violations(call: str, body: bytes, *, native_asked: bool = False) -> list[Violation]:
    """What is wrong with `body`, the upstream's answer to `call` (one of calls.PATHS' values)."""
    answer = parse(body)
    if not isinstance(answer, dict):
        return [Violation("not-json", f"the {call} answer is not a JSON object")]
    found: list[Violation] = []
    side = checks.answer_side(answer) if call == OCR else None
    if call == OCR and answer.get("code") == "0" and side is None:
        found.append(Violation("side-fields", "the idcardocrapp answer carries neither side's fields"))
    found += [Violation("schema", p)
              for p in checks.schema_problems(RESPONSE_SCHEMA[call], answer, side)]
    found += [Violation("envelope-format", p) for p in checks.envelope_format_problems(answer)]
    result = answer.get("result")
    if answer.get("code") != "0" or not isinstance(result, dict):
        return found
    portrait = emblem = False
    if call == OCR:
        portrait, emblem = side == "portrait", side == "emblem"
        if side is not None:
            found += [Violation("side-fields", p) for p in checks.side_problems(result, side)]
    elif call == OCR_RESULT:
        portrait, emblem = result.get("frontCode") == "0", result.get("backCode") == "0"
    if portrait and "idcard" in result:
        found += [Violation(_idcard_kind(p), p) for p in checks.idcard_problems(result)]
    if emblem and "validDate" in result:
        found += [Violation("valid-date", p) for p in checks.valid_date_problems(result)]
    if portrait and (native_asked or "nativePlace" in result) and "idcard" in result:
        found += [Violation("native-place", p) for p in checks.native_place_problems(result)]
    return found


def names(found: list[Violation]) -> list[str]:
    """The distinct kinds of `found`, in KINDS order: what the header carries."""
    present = {v.kind for v in found}
    return [k for k in KINDS if k in present]
