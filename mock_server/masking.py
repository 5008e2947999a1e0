"""How secrets and personal data are shown wherever the mock reports on a request (journal,
diagnosis headers, CLI): never in full, always recognisable.

- secrets, access tokens, tickets: the first 4 characters, an ellipsis and the length,
  `FxlA…(64)`, enough to tell two tickets apart and to spot a truncated or padded value;
- ID numbers: the usual Chinese display mask, the first 6 (region) and last 4 characters,
  `110105********002X`, in the fields named for them and wherever else one appears in a text;
- images: never kept, only their size.
"""

from __future__ import annotations

import re
from typing import Any

ELLIPSIS = "…"
SECRET_PREFIX = 4
ID_HEAD, ID_TAIL = 6, 4

# Request and answer fields that carry a credential (api-facts §2, §3).
SECRET_FIELDS = frozenset({"secret", "access_token", "ticket", "value"})
# Fields that carry an ID number (§6, §7).
ID_FIELDS = frozenset({"idcard"})
# Fields that carry an image (§6, §7).
IMAGE_FIELDS = frozenset(
    {"idcardStr", "frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto"}
)


def secret(value: str) -> str:
    """`FxlA…(64)`. A value of at most 4 characters is shown as stars only: its prefix would be
    the whole secret."""
    if len(value) <= SECRET_PREFIX:
        return "*" * len(value) + f"({len(value)})"
    return f"{value[:SECRET_PREFIX]}{ELLIPSIS}({len(value)})"


def id_number(value: str) -> str:
    """`110105********002X`: as many stars as hidden characters, so an 18-character number keeps
    its length. Anything too short to keep a head and a tail is starred whole."""
    if len(value) <= ID_HEAD + ID_TAIL:
        return "*" * len(value)
    return value[:ID_HEAD] + "*" * (len(value) - ID_HEAD - ID_TAIL) + value[-ID_TAIL:]


# Anything that looks like an 18-character resident ID number (GB 11643: six region digits, a
# birth date from 1800 to 2099, three sequence digits, a check character), wherever it stands in
# a text: a userId, an orderNo, a detail. The date keeps order numbers made of a timestamp, which
# also run to 18 digits, readable.
ID_NUMBER = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
)


def id_numbers_in(text: str) -> str:
    """`text` with every ID number in it masked like `id_number`."""
    return ID_NUMBER.sub(lambda m: id_number(m.group()), text)


def id_numbers_everywhere(value: Any) -> Any:
    """`value` (JSON-like) with the ID numbers in every string masked, keys left alone."""
    if isinstance(value, str):
        return id_numbers_in(value)
    if isinstance(value, dict):
        return {k: id_numbers_everywhere(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [id_numbers_everywhere(v) for v in value]
    return value


def image(value: str) -> str:
    return f"({len(value)} characters, not kept)"


# No value the four calls send in clear is longer (sign: 40; nonce, orderNo, userId: 32), while
# every token and ticket is (64): a longer value in another field is a credential sent in the
# wrong place, and is masked like one.
LONGEST_PLAIN = 40


def field(name: str, value: Any) -> Any:
    """One field as it may be shown: masked by its name, strings only; other types unchanged."""
    if not isinstance(value, str):
        return value
    if name in IMAGE_FIELDS:
        return image(value)
    if name in SECRET_FIELDS or len(value) > LONGEST_PLAIN:
        return secret(value)
    if name in ID_FIELDS:
        return id_number(value)
    return value


# Characters no HTTP server lets through in a header value: C0 controls and DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def ascii_header(text: str) -> str:
    """Any text as a header value every server sends: printable ASCII only. The ellipsis is
    spelt out, other non-ASCII becomes `\\uXXXX`, a control character `\\xNN`: a value copied from
    the request is shown, never able to break the answer."""
    text = text.replace(ELLIPSIS, "...").encode("ascii", "backslashreplace").decode("ascii")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
