"""Random identifiers in the vendor's formats, from an injectable random source (§2, §3, §7)."""

from __future__ import annotations

import random
import string

from mock_server.clock import beijing

_ALNUM = string.ascii_letters + string.digits


class IdSource:
    """Tokens, tickets, bizSeqNo and ocrId. Seed it (tests) or leave it on the system's entropy."""

    def __init__(self, rng: random.Random | None = None, node: str = "4931") -> None:
        self._rng = rng or random.SystemRandom()
        self._node = node

    def secret_value(self, length: int = 64) -> str:
        """Access tokens and ticket values: 64 alphanumerics like the documented ticket examples."""
        return "".join(self._rng.choice(_ALNUM) for _ in range(length))

    def biz_seq_no(self, ts: float) -> str:
        """32 digits: yyMMdd + 20001184 + node + HHmmss + 8 digits, the structure of every real
        and documented sample (§7)."""
        t = beijing(ts)
        tail = "".join(self._rng.choice(string.digits) for _ in range(8))
        return f"{t:%y%m%d}20001184{self._node}{t:%H%M%S}{tail}"

    def ocr_id(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"
