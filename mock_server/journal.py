"""The request journal: what each vendor call asked and what it got, newest first, bounded.

Kept in the store, so every worker writes to and `GET /_mock/requests` reads from one journal.
An entry is built from an allow-list of fields and masked on the way in (`masking`): a secret,
token or ticket shows its first 4 characters and its length, an ID number (in any field) its
first 6 and last 4, an image only its size. Nothing else of a request or an answer is kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mock_server import masking
from mock_server.clock import beijing
from mock_server.scenarios import CallRecord
from mock_server.store import Store

LIMIT = 1000

# Request fields worth showing, per the four calls (§2, §3, §6, §7); anything else is left out.
_REQUEST_FIELDS = (
    "appId", "app_id", "webankAppId", "secret", "grant_type", "access_token", "type", "user_id",
    "userId", "version", "nonce", "orderNo", "order_no", "sign", "cardType", "getNative",
    "get_file", "get_native", "idcardStr",
)
# Answer fields worth showing: the envelope, credentials issued, the recognition's outline.
_ANSWER_FIELDS = (
    "code", "msg", "bizSeqNo", "access_token", "expire_in", "expire_time",
    "frontCode", "backCode", "idcard", "warning", "multiWarning", "clarity",
    "frontWarnCode", "backWarnCode", "frontMultiWarning", "backMultiWarning",
    "frontClarity", "backClarity", "validDate", "operateTime",
)


def masked(mapping: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    return {k: masking.field(k, mapping[k]) for k in allowed if k in mapping}


def request_summary(params: Any) -> dict[str, Any]:
    return masked(params, _REQUEST_FIELDS) if isinstance(params, Mapping) else {}


def answer_summary(body: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if body is None:
        return None
    summary = masked(body, _ANSWER_FIELDS)
    tickets = body.get("tickets")
    if isinstance(tickets, list):
        summary["tickets"] = [masked(t, ("value", "expire_in", "expire_time"))
                              for t in tickets if isinstance(t, Mapping)]
    result = body.get("result")
    if isinstance(result, Mapping):
        summary["result"] = masked(result, _ANSWER_FIELDS)
        if "idcard" in result or "name" in result:
            summary["result"]["side"] = "portrait"
        elif "authority" in result:
            summary["result"]["side"] = "emblem"
    return summary


def build_entry(
    *,
    at: float,
    method: str,
    path: str,
    record: CallRecord,
    request: Mapping[str, Any],
    http_status: int | None,
    answer: Mapping[str, Any] | None,
    fault: str | None,
    detail: str | None,
    duration_ms: float | None = None,
) -> dict[str, Any]:
    """One journal entry. `answer` is the vendor body the call produced (before any fault);
    `http_status` what the client received (None: no answer at all); `duration_ms` how long the
    answer took (a latency or stall scenario's delay included)."""
    selection = record.selection
    # An ID number may stand in any value a client sends (a userId, an orderNo, an app id) and in
    # every detail that repeats it: mask them all, not only the fields named idcard.
    return masking.id_numbers_everywhere({
        "time": beijing(at).isoformat(timespec="milliseconds"),
        "endpoint": record.endpoint,
        "method": method,
        "path": path,
        "appId": record.app_id,
        "orderNo": record.order_no,
        "code": answer.get("code") if answer else None,
        "http_status": http_status,
        "fault": fault,
        "scenario": selection.name if selection else None,
        "scenario_source": selection.source if selection else None,
        "sign": record.sign,
        "detail": "; ".join([*([detail] if detail else []), *record.notes]) or None,
        "duration_ms": None if duration_ms is None else round(duration_ms, 1),
        "request": dict(request),
        "answer": answer_summary(answer),
    })


class Journal:
    def __init__(self, store: Store, limit: int = LIMIT) -> None:
        self._store = store
        self.limit = limit

    def record(self, entry: dict[str, Any]) -> None:
        """Add `entry` in the current write (the request's batch) and drop the oldest past the
        limit."""
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        order_no, limit = entry.get("orderNo"), self.limit

        def write(conn) -> None:
            conn.execute("INSERT INTO journal (order_no, entry) VALUES (?, ?)", (order_no, text))
            conn.execute(
                "DELETE FROM journal WHERE id <= (SELECT MAX(id) FROM journal) - ?", (limit,)
            )

        self._store.write(write)

    def entries(self, limit: int | None = None, order_no: str | None = None) -> list[dict[str, Any]]:
        """Newest first; `order_no` keeps only that order's calls. Entries keep an order number
        that looks like an ID number masked, so the filter compares masked forms."""
        sql = "SELECT id, entry FROM journal"
        params: tuple[Any, ...] = ()
        if order_no is not None:
            sql += " WHERE order_no = ?"
            params = (masking.id_numbers_in(order_no),)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = self._store.query(sql, (*params, limit if limit is not None else self.limit))
        return [{"id": r["id"], **json.loads(r["entry"])} for r in rows]

    def clear(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM journal")
