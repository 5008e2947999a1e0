"""What a value looks like, without the value: the formats the drift report compares, and the
form a credential takes in a recording (`<redacted:alnum(64)>`).

Recordings keep no credential (access token, ticket value, sign, nonce, secret) and no image,
only its format, so the drift report can still say whether the mock's answers are shaped alike.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# Fields whose value is a credential or a sign (§1-§4), wherever they stand in an answer.
CREDENTIAL_FIELDS = frozenset({"access_token", "value", "sign", "ticket", "secret", "nonce"})
# Fields that carry an image (§6).
IMAGE_FIELDS = frozenset({"frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"})

IMAGE = "<image>"
_REDACTED = re.compile(r"<redacted:([^<>]{1,40})>")

_FORMATS = (
    (re.compile(r"\d{17}[\dX]"), "id-number"),
    (re.compile(r"\d{8}-\d{8}"), "date-range"),
    (re.compile(r"\d{8}-长期"), "date-long-term"),
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"), "display-time"),
    (re.compile(r"\d+"), "digits"),
    (re.compile(r"[0-9A-F]+"), "hex-upper"),
    (re.compile(r"[0-9a-f]+"), "hex-lower"),
    (re.compile(r"[A-Za-z0-9]+"), "alnum"),
    (re.compile(r"[A-Za-z0-9_\-]+"), "token"),
)


def _is_image(text: str) -> bool:
    if len(text) < 64:
        return False
    try:
        head = base64.b64decode(text[:64] + "=" * (-min(len(text), 64) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return head.startswith((b"\xff\xd8", b"\x89PNG", b"BM"))


def fmt(value: Any) -> str:
    """A short description of `value`'s type and format: `digits(32)`, `hex-upper(40)`, `text`."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    text = str(value)
    if text == "":
        return "empty"
    if text == IMAGE or _is_image(text):
        return "image"
    redacted = _REDACTED.fullmatch(text)
    if redacted:
        return redacted.group(1)
    for pattern, name in _FORMATS:
        if pattern.fullmatch(text):
            return name if name.startswith(("id-", "date-", "display-")) else f"{name}({len(text)})"
    return "text"


def redact(value: Any) -> Any:
    """A credential as a recording keeps it: its format only."""
    return f"<redacted:{fmt(value)}>" if isinstance(value, str) else value


def is_redacted(value: Any) -> bool:
    return isinstance(value, str) and _REDACTED.fullmatch(value) is not None
