"""Injectable time. Domain code asks a Clock for the time and never reads the system clock itself."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mock_server.store import Store

# The vendor stamps every time (transactionTime, expire_time, operateTime) in Beijing time (§7).
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to: tests expire tokens without sleeping."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01 08:00 Beijing
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class StoreClock:
    """System time plus an offset kept in the store's `meta` table.

    `POST /_mock/clock/advance` moves the offset, so every server worker (each a process with its
    own connection to the same SQLite file) sees the same virtual time on its next read.
    Time only moves forward: expiry is the point of moving it.
    """

    KEY = "clock_offset"

    def __init__(self, store: Store, base: Clock | None = None) -> None:
        self._store = store
        self._base = base or SystemClock()

    def offset(self) -> float:
        rows = self._store.query("SELECT value FROM meta WHERE key = ?", (self.KEY,))
        return float(rows[0]["value"]) if rows else 0.0

    def now(self) -> float:
        return self._base.now() + self.offset()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (self.KEY,)).fetchone()
            current = float(row["value"]) if row else 0.0
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (self.KEY, repr(current + seconds)),
            )

    def reset(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (self.KEY,))


def beijing(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, BEIJING)


def compact_time(ts: float) -> str:
    """yyyyMMddHHmmss, the vendor's transactionTime / expire_time format."""
    return beijing(ts).strftime("%Y%m%d%H%M%S")


def display_time(ts: float) -> str:
    """yyyy-MM-dd HH:mm:ss, getOcrResult's operateTime format (§6)."""
    return beijing(ts).strftime("%Y-%m-%d %H:%M:%S")
