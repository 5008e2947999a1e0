"""The Requests view: journal entries (already masked by the journal) as rows in words, and the
filters by call, code, order and sign verdict."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.dashboard.words import code_description
from mock_server.explain import VERDICT_WORDS
from mock_server.scenarios import ENDPOINTS

CALLS = ENDPOINTS
# The verdict filter: each verdict the journal records, and calls whose sign was not checked.
NOT_CHECKED = "not-checked"
VERDICTS = (*VERDICT_WORDS, NOT_CHECKED)
_SIGN_MARKS = {"ok": "✓", NOT_CHECKED: "–"}


@dataclass(frozen=True)
class Filters:
    call: str = ""
    code: str = ""
    order: str = ""
    verdict: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Filters:
        """Unknown calls and verdicts are dropped, not refused: a filter is a view, not a call."""
        call = query.get("call", "")
        verdict = query.get("verdict", "")
        return cls(call if call in CALLS else "", query.get("code", "").strip(),
                   query.get("order", "").strip(), verdict if verdict in VERDICTS else "")

    def keeps(self, entry: Mapping[str, Any]) -> bool:
        if self.call and entry.get("endpoint") != self.call:
            return False
        if self.code and (entry.get("code") or "") != self.code:
            return False
        if self.order and self.order not in (entry.get("orderNo") or ""):
            return False
        return not self.verdict or verdict_of(entry) == self.verdict

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def verdict_of(entry: Mapping[str, Any]) -> str:
    sign = entry.get("sign") or {}
    return sign.get("verdict") or NOT_CHECKED


def row(entry: Mapping[str, Any]) -> dict[str, Any]:
    answer = entry.get("answer") or {}
    sign = entry.get("sign") or {}
    verdict = verdict_of(entry)
    status = entry.get("http_status")
    return {
        "id": entry.get("id"),
        "time": entry.get("time", ""),
        "call": entry.get("endpoint", ""),
        "method": entry.get("method", ""),
        "order": entry.get("orderNo") or "",
        "http_status": "no answer (connection reset)" if status is None else str(status),
        "code": entry.get("code") or "",
        "code_words": code_description(entry.get("code")),
        "msg": answer.get("msg", ""),
        "detail": entry.get("detail") or "",
        "failed": entry.get("code") not in (None, "0") or status not in (200, None),
        "verdict": verdict,
        "verdict_mark": _SIGN_MARKS.get(verdict, "✗"),
        "verdict_words": VERDICT_WORDS.get(verdict, "not checked (this call is not signed, or "
                                                    "failed before its sign)"),
        "mistakes": "+".join(sign.get("mistakes") or ()),
        "diagnosis": sign.get("explanation", "") if verdict != "ok" else "",
        "scenario": entry.get("scenario") or "",
        "fault": entry.get("fault") or "",
        "duration_ms": entry.get("duration_ms"),
    }


def rows(entries: Iterable[Mapping[str, Any]], filters: Filters) -> list[dict[str, Any]]:
    """Newest first, as the journal gives them."""
    return [row(e) for e in entries if filters.keeps(e)]
