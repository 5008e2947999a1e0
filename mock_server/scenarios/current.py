"""The scenario in effect for every call until it is ended (`with kyc.scenario(NAME):`,
`POST /_mock/scenarios/current`), kept in the store so every worker plays it.

In effect is a stack: an inner block's scenario wins until it ends, then the outer one is back.
A call plays it exactly as if it carried `X-Mock-Scenario: NAME` (a header the call carries
itself still wins): after authentication, and only on the calls it applies to.
"""

from __future__ import annotations

import json
from typing import Any

from mock_server.scenarios.selection import Selection, select
from mock_server.store import Store

CURRENT = "current"


class CurrentScenario:
    KEY = "scenario_current"

    def __init__(self, store: Store) -> None:
        self._store = store

    def stack(self) -> list[dict[str, Any]]:
        """Outermost first: `{"name": ..., "params": {...}}` each."""
        rows = self._store.query("SELECT value FROM meta WHERE key = ?", (self.KEY,))
        return json.loads(rows[0]["value"]) if rows else []

    def get(self) -> Selection | None:
        """The innermost scenario in effect, if any."""
        stack = self.stack()
        if not stack:
            return None
        top = stack[-1]
        return select(top["name"], top["params"], CURRENT)

    def push(self, selection: Selection) -> None:
        self._update(lambda stack: [*stack, {"name": selection.name,
                                             "params": dict(selection.params)}])

    def pop(self) -> None:
        """End the innermost scenario in effect (nothing in effect: nothing to do)."""
        self._update(lambda stack: stack[:-1])

    def clear(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (self.KEY,))

    def _update(self, change) -> None:
        with self._store.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (self.KEY,)).fetchone()
            stack = change(json.loads(row["value"]) if row else [])
            if stack:
                conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (self.KEY, json.dumps(stack)))
            else:
                conn.execute("DELETE FROM meta WHERE key = ?", (self.KEY,))
