"""Everything one mock instance owns: settings, clock, ids, store and the service over them."""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.clock import Clock, StoreClock
from mock_server.ids import IdSource
from mock_server.service import KycService
from mock_server.settings import Settings
from mock_server.store import Store, open_store


@dataclass
class Backend:
    settings: Settings
    clock: Clock
    ids: IdSource
    store: Store
    service: KycService

    @classmethod
    def build(
        cls, settings: Settings, clock: Clock | None = None, ids: IdSource | None = None
    ) -> Backend:
        ids = ids or IdSource()
        store = open_store(settings.db)
        # By default system time plus the offset `POST /_mock/clock/advance` keeps in the store.
        clock = clock or StoreClock(store)
        return cls(settings, clock, ids, store, KycService(settings, store, clock, ids))

    def reset(self) -> None:
        """Every token, ticket, order, image, journal entry and scenario (queued or in effect)
        goes; the apps stay and a movable clock is back at its start."""
        self.store.reset_state()
        self.service.scenarios.current.clear()
        clock_reset = getattr(self.clock, "reset", None)
        if callable(clock_reset):
            clock_reset()
