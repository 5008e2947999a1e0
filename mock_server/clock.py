"""Injectable time. Domain code asks a Clock for the time and never reads the system clock itself."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

from mock_server.limits import LATEST_CLOCK_TIME
from mock_server.store import StoreUnavailable

if TYPE_CHECKING:
    from mock_server.store import Store

# The vendor stamps every time (transactionTime, expire_time, operateTime) in Beijing time (§7).
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class ClockRangeError(ValueError):
    """An advance that would take the clock where the vendor's time formats end."""


def check_advance(now: float, seconds: float) -> None:
    if seconds < 0:
        raise ClockRangeError("the clock only moves forward")
    if not math.isfinite(seconds) or now + seconds > LATEST_CLOCK_TIME:
        room = max(0.0, LATEST_CLOCK_TIME - now)
        raise ClockRangeError(
            f"seconds={seconds:g} would move the clock past {beijing(LATEST_CLOCK_TIME).isoformat()}, "
            "where the vendor's times (yyyyMMddHHmmss) of the tokens issued then would end; "
            f"advance by at most {room:.0f} seconds"
        )


def usable_offset(offset: float, base: float) -> float:
    """A stored offset outside the clock's range (written by hand, or before advances were
    checked) is ignored rather than allowed to break every call: the clock reads system time."""
    if not math.isfinite(offset) or offset < 0 or base + offset > LATEST_CLOCK_TIME:
        return 0.0
    return offset


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
            check_advance(self._now, seconds)
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
        self._last = 0.0

    def _stored(self) -> float:
        """The offset in the store; while the store cannot be reached, the last one read (the
        time an internal-fault answer carries)."""
        try:
            rows = self._store.query("SELECT value FROM meta WHERE key = ?", (self.KEY,))
        except StoreUnavailable:
            return self._last
        self._last = _number(rows[0]["value"] if rows else None)
        return self._last

    def offset(self) -> float:
        return usable_offset(self._stored(), self._base.now())

    def now(self) -> float:
        base = self._base.now()
        return base + usable_offset(self._stored(), base)

    def advance(self, seconds: float) -> None:
        base = self._base.now()
        with self._store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (self.KEY,)).fetchone()
            current = usable_offset(_number(row["value"] if row else None), base)
            check_advance(base + current, seconds)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (self.KEY, repr(current + seconds)),
            )

    def reset(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (self.KEY,))


def _number(text: str | None) -> float:
    try:
        return float(text) if text is not None else 0.0
    except ValueError:
        return float("nan")


def beijing(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, BEIJING)


def compact_time(ts: float) -> str:
    """yyyyMMddHHmmss, the vendor's transactionTime / expire_time format."""
    return beijing(ts).strftime("%Y%m%d%H%M%S")


def display_time(ts: float) -> str:
    """yyyy-MM-dd HH:mm:ss, getOcrResult's operateTime format (§6)."""
    return beijing(ts).strftime("%Y-%m-%d %H:%M:%S")
