"""The queue of scenarios for the next calls, kept in the store (`POST /_mock/scenarios/next`)."""

from __future__ import annotations

import json
from typing import Any

from mock_server.scenarios.catalogue import CATALOGUE_SCENARIOS, ENDPOINTS, ScenarioError
from mock_server.scenarios.selection import Selection
from mock_server.store import Store


class ScenarioQueue:
    """Scenarios for the next calls, for clients that cannot set a header. Kept in the store, so
    every worker takes from the same queue; taking is one transaction, so two workers never take
    the same use."""

    MAX_COUNT = 1000

    def __init__(self, store: Store) -> None:
        self._store = store

    def push(self, selection: Selection, count: int, endpoint: str | None) -> None:
        if not 1 <= count <= self.MAX_COUNT:
            raise ScenarioError(f"count must be between 1 and {self.MAX_COUNT}")
        if endpoint is not None:
            if endpoint not in ENDPOINTS:
                raise ScenarioError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
            if endpoint not in selection.scenario.endpoints:
                raise ScenarioError(f"{selection.name} does not apply to {endpoint}")
        with self._store.transaction() as conn:
            conn.execute(
                "INSERT INTO scenario_queue (name, params, endpoint, remaining) VALUES (?, ?, ?, ?)",
                (selection.name, json.dumps(dict(selection.params)), endpoint, count),
            )

    def take(self, endpoint: str) -> Selection | None:
        """The oldest queued scenario that applies to `endpoint`, one use of it consumed."""
        # The queue is nearly always empty: a plain read spares every call a write lock.
        if not self._store.query("SELECT 1 FROM scenario_queue LIMIT 1"):
            return None
        with self._store.transaction() as conn:
            rows = conn.execute(
                "SELECT id, name, params, endpoint, remaining FROM scenario_queue ORDER BY id"
            ).fetchall()
            for row in rows:
                scenario = CATALOGUE_SCENARIOS.get(row["name"])
                if scenario is None or endpoint not in scenario.endpoints:
                    continue
                if row["endpoint"] not in (None, endpoint):
                    continue
                if row["remaining"] <= 1:
                    conn.execute("DELETE FROM scenario_queue WHERE id = ?", (row["id"],))
                else:
                    conn.execute(
                        "UPDATE scenario_queue SET remaining = remaining - 1 WHERE id = ?", (row["id"],)
                    )
                return Selection(scenario, json.loads(row["params"]), "queue")
        return None

    def entries(self) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT id, name, params, endpoint, remaining FROM scenario_queue ORDER BY id"
        )
        return [
            {"id": r["id"], "name": r["name"], "remaining": r["remaining"], "endpoint": r["endpoint"],
             "params": json.loads(r["params"])}
            for r in rows
        ]

    def remove(self, entry_id: int) -> bool:
        """Drop one queued scenario (its `id` in `entries`); False when it is gone already."""
        with self._store.transaction() as conn:
            return conn.execute("DELETE FROM scenario_queue WHERE id = ?", (entry_id,)).rowcount > 0

    def clear(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM scenario_queue")
