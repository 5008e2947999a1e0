"""The controls over a served mock, through its `/_mock/` surface (api/admin.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests

from mock_server.clock import beijing
from mock_server.controls.base import Controls
from mock_server.journal import LIMIT
from mock_server.scenarios import ScenarioError
from mock_server.settings import Settings

TIMEOUT = 10


class HttpControls(Controls):
    """`settings` describe the served mock (its apps and fixture packs); the development app and
    the default pack unless given. `admin_token` for a mock served with `--admin-token`."""

    def __init__(self, base_url: str, settings: Settings | None = None,
                 admin_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._settings = settings or Settings()
        self._http = requests.Session()
        if admin_token:
            self._http.headers["X-Mock-Admin-Token"] = admin_token

    @property
    def settings(self) -> Settings:
        return self._settings

    def reset(self) -> None:
        self._call("POST", "/reset")

    def queue(self, name: str, count: int = 1, endpoint: str | None = None,
              **params: float) -> None:
        self._call("POST", "/scenarios/next",
                   {"name": name, "count": count, "endpoint": endpoint, "params": params})

    def advance_clock(self, seconds: float) -> datetime:
        return beijing(self._call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def _now(self) -> float:
        return self._call("GET", "/clock")["now"]

    def _begin_scenario(self, name: str, params: Mapping[str, float]) -> None:
        self._call("POST", "/scenarios/current", {"name": name, "params": dict(params)})

    def _end_scenario(self) -> None:
        self._call("DELETE", "/scenarios/current")

    def _journal(self) -> list[dict[str, Any]]:
        return self._call("GET", "/requests", params={"limit": LIMIT})["requests"]

    def _order_listing(self) -> list[dict[str, Any]]:
        return self._call("GET", "/orders")["orders"]

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None,
              params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.request(method, f"{self.base_url}/_mock{path}", json=body,
                                      params=params, timeout=TIMEOUT)
        answer = response.json()
        if response.status_code == 400 and "scenarios" in answer:
            raise ScenarioError(answer["error"])
        if response.status_code == 400:
            raise ValueError(answer["error"])
        if not response.ok:
            raise RuntimeError(f"{method} /_mock{path}: HTTP {response.status_code}: "
                               f"{answer.get('error', answer)}")
        return answer
