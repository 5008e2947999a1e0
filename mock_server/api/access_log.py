"""One access line per request, in words a person reads and fields a log pipeline reads:

    POST /api/paas/idcardocrapp 200 code=400101 msg=不合法的请求 sign=user-id-signed 3ms order=o1 …

(then `client=127.0.0.1 bytes=141`).

Every vendor failure is HTTP 200, so a vendor call's line carries the vendor code; a failure
also its msg and, for a sign that did not verify, the sign diagnosis' name; a scenario or fault
that played is named. The values come from the call's journal entry (api/vendor_call.py), masked
as the journal masks them. The same fields ride on the record (`extra`), so the JSON format
(log_format.py) writes them as keys. The path is logged without its query string: GET calls
carry the secret, tokens and signs there. The dashboard's own pages and polls are logged at
DEBUG: looking at the mock is not traffic to it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, request

from mock_server import masking
from mock_server.api.paths import DASHBOARD_PATH

log = logging.getLogger("idcard_mock.access")

# A value is written bare unless a reader could not tell where it ends.
_BARE = re.compile(r"[^\s\"'=]+")
# Fields written as key=value after the status, in this order; `duration_ms` stands bare ("3ms").
# (`vendor_msg` is written `msg=`; a log record keeps the name `msg` for its own message.)
_KEYED = {"code": "code", "vendor_msg": "msg", "sign": "sign", "scenario": "scenario", "fault": "fault"}
_TRAILING = ("order", "client", "bytes")


def fields(entry: Mapping[str, Any] | None, *, client: str | None, method: str, path: str,
           status: int, size: int | None, took_ms: float) -> dict[str, Any]:
    """The line's fields; `entry` is the call's journal entry (None: not a vendor call)."""
    line: dict[str, Any] = {"method": method, "path": masking.ascii_header(path), "status": status}
    if entry is not None:
        code = entry.get("code")
        line["code"] = code
        answer = entry.get("answer") or {}
        if code not in (None, "0") and answer.get("msg"):
            line["vendor_msg"] = answer["msg"]
        sign = entry.get("sign") or {}
        if sign.get("verdict") not in (None, "ok"):
            line["sign"] = "+".join(sign.get("mistakes") or ()) or sign["verdict"]
        if entry.get("scenario"):
            line["scenario"] = entry["scenario"]
        if entry.get("fault"):
            line["fault"] = entry["fault"]
        if entry.get("orderNo"):
            line["order"] = entry["orderNo"]
    line["duration_ms"] = round(took_ms, 1)
    line["client"] = client
    line["bytes"] = size
    return {k: v for k, v in line.items() if v is not None}


def _value(value: Any) -> str:
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def text(line: Mapping[str, Any]) -> str:
    words = [line["method"], _value(line["path"]), str(line["status"])]
    words += [f"{label}={_value(line[k])}" for k, label in _KEYED.items() if k in line]
    words.append(f"{line['duration_ms']:.0f}ms")
    words += [f"{k}={_value(line[k])}" for k in _TRAILING if k in line]
    return " ".join(words)


def register(app: Flask) -> None:
    @app.before_request
    def _started() -> None:
        g.access_started = time.perf_counter()

    @app.after_request
    def _logged(response: Response) -> Response:
        quiet = request.path.startswith(DASHBOARD_PATH)
        level = logging.DEBUG if quiet else logging.INFO
        if log.isEnabledFor(level):
            started = g.get("access_started", time.perf_counter())
            line = fields(g.get("journal_entry"), client=request.remote_addr, method=request.method,
                          path=request.path, status=response.status_code,
                          size=response.content_length, took_ms=(time.perf_counter() - started) * 1000)
            log.log(level, "%s", text(line), extra=line)
        return response
