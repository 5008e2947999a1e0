"""The sign recipe, written from the vendor's documentation (vendor-api §1, §4, §6).

Drop empty values, sort the rest by code unit (Java's `Collections.sort` on strings), join them
with no separator, SHA-1 over UTF-8, hexadecimal. The vendor's reference code uppercases the hex
and the vendor compares signs without regard to case. `test_sign_recipe.py` holds this function
to the documentation's worked examples A-E.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def sign(values: Iterable[str | None]) -> str:
    """Uppercase 40-hex SHA-1 of the sorted, concatenated values."""
    joined = "".join(sorted(v for v in values if v is not None))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest().upper()


def request_sign(app_id: str, order_no: str, nonce: str, version: str, ticket: str) -> str:
    """The sign of an idcardocrapp body or a getOcrResult query: five values and the SIGN ticket
    (§1, §6). userId is never among them (§1)."""
    return sign([app_id, order_no, nonce, version, ticket])


def result_sign(app_id: str, order_no: str, ticket: str) -> str:
    """The documented sign of an OCR result: appId, orderNo and the SIGN ticket (§4)."""
    return sign([app_id, order_no, ticket])
