"""The vendor's response envelopes (§2, §3, §7)."""

from __future__ import annotations

from typing import Any

from mock_server.clock import compact_time
from mock_server.errors import ErrorSpec
from mock_server.ids import IdSource

SUCCESS_MSG = "请求成功"


def stamp(ids: IdSource, now: float) -> dict[str, str]:
    """The per-call identifiers every answer carries."""
    return {"bizSeqNo": ids.biz_seq_no(now), "transactionTime": compact_time(now)}


def success(ids: IdSource, now: float, **fields: Any) -> dict[str, Any]:
    return {"code": "0", "msg": SUCCESS_MSG, **stamp(ids, now), **fields}


def failure(spec: ErrorSpec, ids: IdSource, now: float) -> dict[str, Any]:
    """The error envelope: no `result`, `success` false (fidelity notes: error envelope)."""
    return {"code": spec.code, "msg": spec.msg, **stamp(ids, now), "success": False}
