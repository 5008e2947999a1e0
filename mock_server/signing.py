"""The one signing function, shared by the mock, the reference client and the CLI (§1).

Recipe: drop null values, sort the rest lexicographically, concatenate with no separator,
SHA-1 over UTF-8, hex. The reference Java uppercases the hex; the vendor compares
case-insensitively. Python's str ordering is by code point, which equals Java's
`Collections.sort` (UTF-16 code units) for every value this API signs (ASCII).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def sign(values: Iterable[str | None]) -> str:
    """Uppercase 40-hex SHA-1 of the sorted, concatenated values."""
    joined = "".join(sorted(v for v in values if v is not None))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest().upper()


def signs_equal(expected: str, given: str) -> bool:
    """Case-insensitive comparison in constant time (the vendor treats the hex case-insensitively)."""
    return hmac.compare_digest(expected.upper().encode("utf-8"), given.upper().encode("utf-8"))


def request_sign(app_id: str, order_no: str, nonce: str, version: str, ticket: str) -> str:
    """Sign of an idcardocrapp or getOcrResult request: five values, SIGN ticket (§1, §6).

    userId is deliberately not among them (§1).
    """
    return sign([app_id, order_no, nonce, version, ticket])


def result_sign(app_id: str, order_no: str, ticket: str) -> str:
    """`result.sign` of an idcardocrapp answer: the documented OCR-result recipe, three values (§4)."""
    return sign([app_id, order_no, ticket])
