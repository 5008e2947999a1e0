"""Injectable time. Domain code asks a Clock for the time and never reads the system clock itself."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

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


def beijing(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, BEIJING)


def compact_time(ts: float) -> str:
    """yyyyMMddHHmmss, the vendor's transactionTime / expire_time format."""
    return beijing(ts).strftime("%Y%m%d%H%M%S")


def display_time(ts: float) -> str:
    """yyyy-MM-dd HH:mm:ss, getOcrResult's operateTime format (§6)."""
    return beijing(ts).strftime("%Y-%m-%d %H:%M:%S")
