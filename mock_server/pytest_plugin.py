"""pytest plugin (entry point `pytest11`, name `idcard_mock`): the mock as a fixture.

- `idcard_mock`: a fresh mock (its own in-memory database, strict schema checks) served
  in-process on a free loopback port for one test. Yields an `IdcardMock` with `base_url`, a
  ready `client` (`KycClient` for the development app) and `fixtures`, the entries of the default
  fixture pack (absolute image paths). A response the mock's own schemas reject fails the test.
- A run of the contract suite (`contract_tests`, whose options are its own `--kyc-*`) that names
  no target gets a mock started in-process for the whole run, with the default fixture pack and
  permission to move its clock.

The plugin adds no command-line options: it loads in every pytest run of an environment that
has idcard-mock installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from mock_server.client import KycClient
    from mock_server.fixtures.pack import PackEntry
    from mock_server.settings import Settings

# The mock, the client and their dependencies are imported only when a fixture needs them.


# -- the mock in a thread ----------------------------------------------------------------------


class ThreadedServer:
    """A mock app served by werkzeug's threaded server on 127.0.0.1 and a free port.

    Answers of HTTP 500 (the strict-mode signal that the mock broke its own schemas) are kept in
    `server_errors`, so a fixture can fail the test that caused them; a 500 played by the
    `http-500` scenario is the test's own request and is not kept.
    """

    def __init__(self, settings: Settings | None = None, *, app: Any = None) -> None:
        if app is None:
            from mock_server.app import create_app
            from mock_server.settings import Settings

            app = create_app(settings or Settings(db=":memory:", strict=True))
        self.app = app
        self.server_errors: list[str] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        from mock_server.scenarios import APPLIED_HEADER

        def watching_start(status: str, headers: Any, exc_info: Any = None) -> Any:
            # A 500 the test asked for (the http-500 scenario) carries the applied-scenario header.
            played = any(name.lower() == APPLIED_HEADER.lower() for name, _ in headers)
            if status.startswith("500") and not played:
                self.server_errors.append(f"{environ.get('PATH_INFO')} answered {status}")
            return start_response(status, headers, exc_info)

        return self.app(environ, watching_start)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the mock server is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> ThreadedServer:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            # The access-token URL carries the secret in its query (§2): no request lines.
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass

        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True,
                                   request_handler=QuietHandler)
        # A short poll interval: stopping waits for at most one poll.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="idcard-mock-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class IdcardMock:
    """What the `idcard_mock` fixture yields."""

    base_url: str
    client: KycClient
    fixtures: tuple[PackEntry, ...]
    server: ThreadedServer = field(repr=False)

    def fixture(self, side: str) -> PackEntry:
        """The first entry of the default pack for `side` that the mock recognises."""
        entry = next((e for e in self.fixtures if e.side == side and e.code == "0"), None)
        if entry is None:
            raise LookupError(f"the default fixture pack has no recognised {side} image")
        return entry


@pytest.fixture
def idcard_mock() -> Iterator[IdcardMock]:
    """A fresh mock on a free port for this test; fails the test if the mock answered HTTP 500."""
    from mock_server.client import KycClient
    from mock_server.fixtures.pack import default_pack_dir, load_pack
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

    folder = default_pack_dir()
    entries = load_pack(folder).entries if folder is not None else ()
    with ThreadedServer() as server:
        client = KycClient(server.base_url, DEFAULT_APP_ID, DEFAULT_SECRET)
        yield IdcardMock(server.base_url, client, entries, server)
    if server.server_errors:
        pytest.fail("the mock answered HTTP 500: " + "; ".join(server.server_errors),
                    pytrace=False)


# -- a target for the contract suite ------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Serve a mock for a contract-suite run that names no target."""
    option = config.option
    if not hasattr(option, "kyc_base_url") or option.kyc_base_url:
        return
    from mock_server.fixtures.pack import default_pack_dir
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings

    app_id, secret = option.kyc_app_id, option.kyc_secret
    apps = {app_id: secret} if app_id and secret else {DEFAULT_APP_ID: DEFAULT_SECRET}
    server = ThreadedServer(Settings(apps=apps, db=":memory:", strict=True)).start()
    config.add_cleanup(server.stop)
    option.kyc_base_url = server.base_url
    option.kyc_may_move_clock = True
    folder = default_pack_dir()
    if not option.kyc_fixtures and folder is not None:
        option.kyc_fixtures = str(folder)
