"""Lifetimes and size limits (api-facts §2, §3, §7). Field lengths live in schemas/ only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mock_server import schemas

# Lifetimes in seconds (§2, §3).
ACCESS_TOKEN_TTL = 7200
SIGN_TICKET_TTL = 3600
NONCE_TICKET_TTL = 120
# After a refresh the previous token / SIGN ticket of the app stays valid this long (§2, §3).
REFRESH_OVERLAP = 60

# "≤ 20 MB" of Base64 text (§7), as the request schema states it.
IDCARD_STR_MAX: int = schemas.document("idcardocrapp.request.json")["properties"]["idcardStr"][
    "maxLength"
]
# The body may carry the image with a line break every 76 characters plus the other fields;
# anything larger is refused before it is read.
MAX_BODY_BYTES = IDCARD_STR_MAX * 78 // 76 + 64 * 1024

# The last second the vendor's time formats can write: yyyyMMddHHmmss has four digits of year, in
# Beijing time (§7). The virtual clock stops the longest lifetime before it, so that every
# expire_time it stamps can still be written (`POST /_mock/clock/advance` refuses to go further).
LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))).timestamp()
LATEST_CLOCK_TIME = LATEST_TIME - ACCESS_TOKEN_TTL
