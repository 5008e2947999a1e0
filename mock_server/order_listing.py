"""What each order recorded, as plain JSON: `GET /_mock/orders` and `kyc.orders` both read it.

The recognised fields are shown as recorded (getOcrResult gives them back to the app the same
way); images are not listed.
"""

from __future__ import annotations

from typing import Any

from mock_server.clock import display_time
from mock_server.orders import Orders


def listing(orders: Orders, now: float) -> list[dict[str, Any]]:
    """Orders within their retention at `now`, in the order they were first recorded."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for app_id, order_no, side in orders.recorded(now):
        order = grouped.setdefault(
            (app_id, order_no), {"appId": app_id, "orderNo": order_no, "sides": {}})
        order["sides"][side.side] = {
            "code": side.code,
            "fields": side.fields,
            "warning": side.warning,
            "multiWarning": side.multi_warning,
            "clarity": side.clarity,
            "operateTime": display_time(side.operate_time),
        }
    return list(grouped.values())
