"""Where a signed call keeps the values a client may have signed (idcardocrapp's body,
getOcrResult's query), read into the `SignedRequest` the diagnosis takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.explain.diagnosis import SignedRequest


@dataclass(frozen=True)
class FieldNames:
    """Where a signed call keeps its values (idcardocrapp's body, getOcrResult's query)."""

    order_no: str
    user_id: str | None
    extras: tuple[str, ...]

    def read(self, app_key: str, request: Mapping[str, Any]) -> SignedRequest:
        def text(key: str | None) -> str | None:
            value = request.get(key) if key else None
            return value if isinstance(value, str) else None

        return SignedRequest(
            app_id=request[app_key], order_no=request[self.order_no], nonce=request["nonce"],
            version=request["version"], sign=request["sign"], user_id=text(self.user_id),
            extras={k: v for k in self.extras if (v := text(k)) is not None},
            keys=(app_key, self.order_no, "nonce", "version"),
        )


OCR_FIELDS = FieldNames("orderNo", "userId", ("cardType", "getNative", "idcardStr"))
RESULT_FIELDS = FieldNames("order_no", None, ("get_file", "get_native"))
