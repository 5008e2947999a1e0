"""The two formats of the server's log: text lines for people, JSON objects for log pipelines.

`text` writes each record's message alone. `json` writes one JSON object per line
(python-json-logger): `time`, `level`, `logger`, `message` and the fields a record carries, so
an access line's `code`, `sign`, `duration_ms`, … are keys of their own. Both formats see a
record after logsafe.py has cleaned it.
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT, JSON = "text", "json"
FORMATS = (TEXT, JSON)
ENV = "IDCARD_MOCK_LOG_FORMAT"

_JSON_FIELDS = ("asctime", "levelname", "name", "message")
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def formatter(kind: str) -> logging.Formatter:
    if kind == JSON:
        return JsonFormatter(_JSON_FIELDS, rename_fields=_RENAMED)
    if kind == TEXT:
        return logging.Formatter("%(message)s")
    raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {kind!r}")


def gunicorn_config(kind: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict` for its own lines (workers booting, requests it refused): in
    JSON format they are JSON objects too; in text format gunicorn keeps its own layout."""
    if kind == TEXT:
        return {}
    return {
        "formatters": {"generic": {"()": f"{__name__}.formatter", "kind": kind}},
        # A logging config turns gunicorn's access lines on: the app writes its own
        # (api/access_log.py), so gunicorn's stay off.
        "loggers": {"gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
                    "gunicorn.error": {"level": "INFO", "handlers": ["error_console"],
                                       "propagate": False}},
    }
