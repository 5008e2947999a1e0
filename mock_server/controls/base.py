"""The controls a test has over a mock, and what they report (orders, calls).

Subclasses say how to reach the mock (in this process, or over HTTP); everything a test sees is
written here once: the scenario block, the journal oldest first, `assert_called` and its message,
orders looked up by number.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.clock import beijing
from mock_server.fixtures.pack import PackEntry, load_packs
from mock_server.scenarios import ENDPOINTS
from mock_server.settings import Settings


@dataclass(frozen=True)
class RecordedSide:
    """One side of an order as the mock recorded it (what getOcrResult reports)."""

    side: str
    code: str
    fields: Mapping[str, str]
    warning: str
    multi_warning: str
    clarity: str
    operate_time: str


@dataclass(frozen=True)
class RecordedOrder:
    app_id: str
    order_no: str
    sides: Mapping[str, RecordedSide] = field(default_factory=dict)

    @property
    def portrait(self) -> RecordedSide | None:
        return self.sides.get("portrait")

    @property
    def emblem(self) -> RecordedSide | None:
        return self.sides.get("emblem")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedOrder:
        """An entry of `order_listing.listing` (`GET /_mock/orders`)."""
        sides = {
            name: RecordedSide(name, s["code"], s["fields"], s["warning"], s["multiWarning"],
                               s["clarity"], s["operateTime"])
            for name, s in data["sides"].items()
        }
        return cls(data["appId"], data["orderNo"], sides)


class Controls(ABC):
    """What a test can do to and learn from a mock. Every way of running the mock gives one."""

    # -- how the mock is reached: one implementation per way -------------------------------

    @property
    @abstractmethod
    def settings(self) -> Settings:
        """The settings the mock was built with."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every token, ticket, order, journal entry and scenario; the clock is back."""

    @abstractmethod
    def queue(self, name: str, count: int = 1, endpoint: str | None = None,
              **params: float) -> None:
        """The next `count` calls that scenario `name` applies to (only calls to `endpoint`, if
        given) play it. Raises ScenarioError for an unknown name or a wrong parameter."""

    @abstractmethod
    def advance_clock(self, seconds: float) -> datetime:
        """Move the mock's clock forward (tokens, tickets, transactionTime, operateTime follow);
        returns the new time. Raises ValueError for a negative number."""

    @abstractmethod
    def _now(self) -> float: ...

    @abstractmethod
    def _begin_scenario(self, name: str, params: Mapping[str, float]) -> None: ...

    @abstractmethod
    def _end_scenario(self) -> None: ...

    @abstractmethod
    def _journal(self) -> list[dict[str, Any]]:
        """The journal as the mock keeps it, newest first."""

    @abstractmethod
    def _order_listing(self) -> list[dict[str, Any]]: ...

    # -- the same for every way ------------------------------------------------------------

    @property
    def apps(self) -> dict[str, str]:
        return dict(self.settings.apps)

    @property
    def app_id(self) -> str:
        """The first app the mock accepts (the development app unless told otherwise)."""
        return next(iter(self.settings.apps))

    @property
    def secret(self) -> str:
        return self.settings.apps[self.app_id]

    @property
    def now(self) -> datetime:
        """The mock's time, in Beijing time as the vendor stamps it."""
        return beijing(self._now())

    @contextmanager
    def scenario(self, name: str, **params: float) -> Iterator[None]:
        """Every call inside the block that the scenario applies to plays it, as if it carried
        `X-Mock-Scenario: name`; an inner block wins over an outer one."""
        self._begin_scenario(name, params)
        try:
            yield
        finally:
            self._end_scenario()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal (the last 1,000 vendor calls), oldest first: endpoint, method, path, appId,
        orderNo, code, http_status, scenario, sign (the verdict), request and answer (masked)."""
        return list(reversed(self._journal()))

    def assert_called(self, endpoint: str, times: int | None = None) -> None:
        """`endpoint` (access_token, api_ticket, idcardocrapp, getOcrResult) was called, exactly
        `times` times if given, at least once otherwise."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        calls = self.requests
        count = sum(1 for c in calls if c["endpoint"] == endpoint)
        if (count == times) if times is not None else count > 0:
            return
        wanted = f"{times} time{'s' * (times != 1)}" if times is not None else "at least once"
        raise AssertionError(
            f"expected {endpoint} to be called {wanted}, it was called {count} "
            f"time{'s' * (count != 1)}\n{describe_calls(calls)}"
        )

    @property
    def orders(self) -> list[RecordedOrder]:
        """What each order recorded, in the order they were first recorded."""
        return [RecordedOrder.from_json(o) for o in self._order_listing()]

    def order(self, order_no: str, app_id: str | None = None) -> RecordedOrder:
        """The order `order_no` (of `app_id`, needed only when two apps used the number)."""
        found = [o for o in self.orders
                 if o.order_no == order_no and app_id in (None, o.app_id)]
        if len(found) == 1:
            return found[0]
        known = ", ".join(f"{o.app_id}/{o.order_no}" for o in self.orders) or "none"
        if not found:
            raise LookupError(f"the mock recorded no order {order_no!r}; orders recorded: {known}")
        raise LookupError(f"order {order_no!r} was recorded for several apps ({known}): "
                          "pass app_id")

    @property
    def fixtures(self) -> tuple[PackEntry, ...]:
        """The entries of the fixture packs the mock answers exactly (given packs first)."""
        return tuple(e for pack in load_packs(self.settings) for e in pack.entries)

    def fixture(self, side: str) -> PackEntry:
        """The first entry of the packs for `side` that the mock recognises."""
        entry = next((e for e in self.fixtures if e.side == side and e.code == "0"), None)
        if entry is None:
            raise LookupError(f"the mock's fixture packs have no recognised {side} image")
        return entry


def describe_calls(calls: list[dict[str, Any]]) -> str:
    """The journal, oldest first, one line a call: what an assertion failure shows."""
    if not calls:
        return "the mock received no vendor call"
    lines = [f"the mock received {len(calls)} vendor call{'s' * (len(calls) != 1)}, oldest first:"]
    for i, c in enumerate(calls, 1):
        extra = "".join(
            f" {label}={c[key]}" for key, label in
            (("orderNo", "orderNo"), ("scenario", "scenario"), ("fault", "fault"))
            if c.get(key)
        )
        verdict = (c.get("sign") or {}).get("verdict")
        sign = f" sign={verdict}" if verdict else ""
        lines.append(f"  {i}. {c['method']} {c['path']} ({c['endpoint']}) -> "
                     f"HTTP {c.get('http_status')} code={c.get('code')}{sign}{extra}")
    return "\n".join(lines)
