"""Log lines that never carry a secret, token, ticket, sign or ID number, whatever the request
looked like.

A server logs what it could not handle as it came: a request line it refused (query string
included), the URI of a request that failed, an exception's message. A filter on the loggers
rewrites every record before any handler formats it:

- a query string is dropped whole (`?(query not logged)`): the GET calls carry the secret, the
  access token and the sign there, and a percent-encoded name (`%73ecret=`) would slip past any
  rule that reads names;
- a value after a credential's name (`secret=`, `access_token:`, `"ticket": "…"`, `sign=`, a
  token header) and any run of more than 40 letters and digits (every token and ticket is 64)
  is masked as the journal masks a secret (`FxlA…(64)`);
- an ID number is masked to `110105********002X`;
- the one value kept after `sign=` is a sign diagnosis' name (`sign=user-id-signed`, the
  explainer's closed vocabulary), which no sign, secret or token can be;
- control characters are escaped (`\\x01`), so a request cannot forge or hide log lines; a
  traceback keeps its line breaks;
- the fields a record carries besides its message (the access line's `code`, `order`, … that the
  JSON format writes as keys) get the same treatment.
"""

from __future__ import annotations

import logging
import re

from mock_server import masking
from mock_server.explain.diagnosis import MISTAKE_NAMES

_QUERY = re.compile(r"\?[^\s'\"]+")
_KEYED = re.compile(
    r"(?i)\b(secret|access_token|token|ticket|tickets|sign|value|idcardStr)"
    r"(\s*[\"']?\s*[=:]\s*[\"']?)([^\s&\"',;)}\]]+)"
)
_LONG = re.compile(r"[A-Za-z0-9]{41,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


# Every attribute of a plain record: anything else on a record was given to it (`extra=`).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _keyed(match: re.Match[str]) -> str:
    name, value = match.group(1), match.group(3)
    if name.lower() == "sign" and all(part in MISTAKE_NAMES for part in value.split("+")):
        return match.group()
    return name + match.group(2) + masking.secret(value)


def clean(text: str, *, keep_newlines: bool = False) -> str:
    text = _QUERY.sub("?(query not logged)", text)
    text = _KEYED.sub(_keyed, text)
    text = _LONG.sub(lambda m: masking.secret(m.group()), text)
    text = masking.id_numbers_in(text)
    control = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return control.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class SafeRecords(logging.Filter):
    """Rewrites a record's message, traceback and stack in place, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = clean(record.getMessage())
        record.args = ()
        if record.exc_info or record.exc_text:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = clean(text, keep_newlines=True)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = clean(record.stack_info, keep_newlines=True)
        for name, value in vars(record).items():
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, clean(value))
        return True


def install(*names: str) -> None:
    """Filter the named loggers and the handler of last resort (the one that prints records of
    loggers without handlers of their own). Installing twice changes nothing."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in names]
    if logging.lastResort is not None:
        targets.append(logging.lastResort)
    for target in targets:
        if not any(isinstance(f, SafeRecords) for f in target.filters):
            target.addFilter(SafeRecords())
