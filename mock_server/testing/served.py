"""What the `idcard_mock` fixture yields: the controls of a mock served on a loopback port."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_server.controls.remote import HttpControls

if TYPE_CHECKING:
    from mock_server.pytest_plugin import ThreadedServer
    from mock_server.settings import Settings


class IdcardMock(HttpControls):
    """The controls of a served mock over its `/_mock/` surface (docs/testing.md), its
    `base_url`, a ready `client` (`KycClient`) for its first app, and the `server` itself."""

    def __init__(self, server: ThreadedServer, settings: Settings) -> None:
        from mock_server.client import KycClient

        super().__init__(server.base_url, settings)
        self.server = server
        self.client = KycClient(server.base_url, self.app_id, self.secret)
