"""Lifetimes and size limits (§2, §3, §7). Field lengths live in schemas/ only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mock_server import schemas

# Lifetimes in seconds (§2, §3).
ACCESS_TOKEN_TTL = 7200
SIGN_TICKET_TTL = 3600
NONCE_TICKET_TTL = 120
# After a refresh the previous token / SIGN ticket of the app stays valid this long (§2, §3).
REFRESH_OVERLAP = 60
# A ticket's expire_time is written this many seconds before the end of its life: the captured
# live SIGN answer has transactionTime 20240726143840, expire_in 3600 and expire_time
# 20240726153839 (§3). The token's capture has expire_time exactly 7200 s after transactionTime
# (§2), so a token's is its end.
TICKET_EXPIRE_TIME_EARLY = 1

# "≤ 20 MB" of Base64 text (§7), as the request schema states it.
IDCARD_STR_MAX: int = schemas.document("idcardocrapp.request.json")["properties"]["idcardStr"][
    "maxLength"
]
# The body may carry the image with a line break every 76 characters plus the other fields;
# anything larger is refused before it is read.
MAX_BODY_BYTES = IDCARD_STR_MAX * 78 // 76 + 64 * 1024

# How long orders and their images are kept, on the mock's clock (assumed: fidelity notes), and
# how many bytes they may hold in all before the oldest go.
ORDER_TTL = 72 * 3600
MAX_IMAGE_BYTES = 2 * 1024**3

# The largest image accepted, in pixels: 8192 x 8192. The vendor documents no limit (fidelity
# notes); this keeps the full-resolution photo of any phone camera (a 64 MP sensor writes
# 9248 x 6936) and refuses, from its header alone, an image no ID-card photo needs, such as a
# 9400 x 9400 BMP of a few hundred kilobytes that would take 88 MB to decode.
MAX_IMAGE_PIXELS = 8192 * 8192

# The last second the vendor's time formats can write: yyyyMMddHHmmss has four digits of year, in
# Beijing time (§7). The virtual clock stops the longest lifetime before it, so that every
# expire_time it stamps can still be written (`POST /_mock/clock/advance` refuses to go further).
LATEST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=8))).timestamp()
LATEST_CLOCK_TIME = LATEST_TIME - ACCESS_TOKEN_TTL
