"""The controls over a mock in this process: straight to its Backend, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mock_server.backend import Backend
from mock_server.clock import beijing
from mock_server.controls.base import Controls
from mock_server.journal import Journal
from mock_server.order_listing import listing
from mock_server.scenarios import CURRENT, select
from mock_server.settings import Settings


class BackendControls(Controls):
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    @property
    def backend(self) -> Backend:
        return self._backend

    @property
    def settings(self) -> Settings:
        return self.backend.settings

    def reset(self) -> None:
        self.backend.reset()

    def queue(self, name: str, count: int = 1, endpoint: str | None = None,
              **params: float) -> None:
        self.backend.service.scenarios.queue.push(select(name, params, "queue"), count, endpoint)

    def advance_clock(self, seconds: float) -> datetime:
        advance = getattr(self.backend.clock, "advance", None)
        if not callable(advance):
            raise TypeError("this mock's clock cannot be moved")
        if seconds < 0:
            raise ValueError("seconds must not be negative: the clock only moves forward")
        advance(seconds)
        return beijing(self._now())

    def _now(self) -> float:
        return self.backend.clock.now()

    def _begin_scenario(self, name: str, params: Mapping[str, float]) -> None:
        self.backend.service.scenarios.current.push(select(name, params, CURRENT))

    def _end_scenario(self) -> None:
        self.backend.service.scenarios.current.pop()

    def _journal(self) -> list[dict[str, Any]]:
        return Journal(self.backend.store).entries()

    def _order_listing(self) -> list[dict[str, Any]]:
        return listing(self.backend.service.orders, self._now())
