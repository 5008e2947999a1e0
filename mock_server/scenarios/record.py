"""The per-call record a vendor call carries through the mock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_server.scenarios.selection import Selection


@dataclass
class CallRecord:
    """One vendor call as it goes through the mock: what the HTTP layer knows before the call
    (endpoint, scenario header) and what the call learns on the way (app, order, sign verdict,
    the scenario it applied). The journal is written from it."""

    endpoint: str
    requested: Selection | None = None
    app_id: str | None = None
    order_no: str | None = None
    sign: dict[str, Any] | None = None
    selection: Selection | None = None
    notes: list[str] = field(default_factory=list)
