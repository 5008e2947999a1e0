"""Vendor codes in words, from the error catalogue: one place for every view."""

from __future__ import annotations

from mock_server.errors import CATALOGUE, OCR_FAILURES

# Codes the catalogue spells several ways (400101 is every authentication failure): the one
# message the vendor gives, with what the mock means by it left to the detail.
_BY_CODE = {spec.code: spec for spec in CATALOGUE.values()}


def code_words(code: str | None) -> str:
    if code is None:
        return "no vendor answer"
    if code == "0":
        return "success"
    spec = OCR_FAILURES.get(code) or _BY_CODE.get(code)
    if spec is None:
        return "a code the catalogue does not know"
    if code in OCR_FAILURES:
        return f"{spec.msg}: {spec.description}"
    return spec.msg


def code_description(code: str | None) -> str:
    """What an OCR failure code means (the catalogue's description); empty for other codes,
    whose vendor msg says all the vendor says."""
    spec = OCR_FAILURES.get(code or "")
    return spec.description if spec is not None else ""
