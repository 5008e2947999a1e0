"""pytest plugin (entry point `pytest11`, name `idcard_mock`): the mock as a fixture.

- `idcard_mock`: a mock (its own in-memory database, strict schema checks) served in-process on a
  free loopback port. Yields an `IdcardMock`: the controls of docs/testing.md over HTTP, plus
  `base_url` and a ready `client` (`KycClient` for its first app). Fresh for each test; with
  the ini option `idcard_mock_scope = session` one mock serves the whole run and is reset before
  each test. A response the mock's own schemas reject fails the test.
- `idcard_mock_kyc`: `mock_kyc()` active for one test: the vendor's hosts answered in-process,
  with the same controls.
- Both read the ini options `idcard_mock_apps`, `idcard_mock_fixtures`,
  `idcard_mock_default_fixtures`, `idcard_mock_strict`, `idcard_mock_hosts`, and the marker
  `@pytest.mark.idcard_mock(...)` (the keywords of `mock_kyc`), which wins over them.
- A run of the contract suite (`contract_tests`, whose options are its own `--kyc-*`) that names
  no target gets a mock started in-process for the whole run, with the default fixture pack and
  permission to move its clock.

The plugin adds no command-line options: it loads in every pytest run of an environment that
has idcard-mock installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from mock_server.settings import Settings
    from mock_server.testing import IdcardMock, MockKyc, MockOptions

MARKER = "idcard_mock"
_INI = {
    "apps": ("linelist", None, "apps the test mocks accept, one APPID:SECRET a line "
                               "(default: the development app)"),
    "fixtures": ("paths", None, "fixture pack folders the test mocks answer exactly"),
    "default_fixtures": ("bool", True, "the test mocks also load the shipped fixture pack"),
    "strict": ("bool", True, "the test mocks check every answer against schemas/"),
    "hosts": ("linelist", None, "hosts idcard_mock_kyc answers besides the vendor's"),
}
SCOPES = ("function", "session")

# The mock, the client and their dependencies are imported only when a fixture needs them.


# -- the mock in a thread ----------------------------------------------------------------------


class ThreadedServer:
    """A mock app served by werkzeug's threaded server on 127.0.0.1 and a free port.

    Answers of HTTP 500 (the strict-mode signal that the mock broke its own schemas) are kept in
    `server_errors`, so a fixture can fail the test that caused them; a 500 played by the
    `http-500` scenario is the test's own request and is not kept.
    """

    def __init__(self, settings: Settings | None = None, *, app: Any = None) -> None:
        from mock_server.testing.fault_watch import FaultWatch

        if app is None:
            from mock_server.app import create_app
            from mock_server.settings import Settings

            app = create_app(settings or Settings(db=":memory:", strict=True))
        self.app = app
        self._watch = FaultWatch(app)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def server_errors(self) -> list[str]:
        return self._watch.errors

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

        self._server = make_server("127.0.0.1", 0, self._watch, threaded=True,
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


# -- configuration: ini options and the marker ---------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    # ini options only: no command-line option can collide with a project's own.
    for name, (kind, default, text) in _INI.items():
        parser.addini(f"idcard_mock_{name}", text, type=kind, default=default)
    parser.addini("idcard_mock_scope", "scope of the idcard_mock fixture's server: function "
                  "(a fresh mock each test) or session (one mock, reset before each test)",
                  default="function")


def ini_options(config: pytest.Config) -> MockOptions:
    """The test mocks' configuration from the ini file (relative paths: from the ini file)."""
    from mock_server.settings import parse_app
    from mock_server.testing import MockOptions

    given: dict[str, Any] = {}
    apps = config.getini("idcard_mock_apps")
    try:
        if apps:
            given["apps"] = dict(parse_app(line) for line in apps)
        for name in ("fixtures", "hosts"):
            given[name] = config.getini(f"idcard_mock_{name}") or ()
        for name in ("default_fixtures", "strict"):
            given[name] = bool(config.getini(f"idcard_mock_{name}"))
        return MockOptions.of(**given)
    except (TypeError, ValueError) as error:
        raise pytest.UsageError(f"idcard_mock ini options: {error}") from None


def options_for_test(request: pytest.FixtureRequest) -> MockOptions:
    """This test's: the ini options, then its `@pytest.mark.idcard_mock(...)` markers (the
    closest wins; relative fixture paths from the rootdir)."""
    from mock_server.testing import MockOptions

    options = ini_options(request.config)
    for mark in reversed(list(request.node.iter_markers(MARKER))):
        if mark.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keywords only", pytrace=False)
        try:
            options = MockOptions.of(options, relative_to=request.config.rootpath, **mark.kwargs)
        except (TypeError, ValueError) as error:
            pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)
    return options


def _served_scope(fixture_name: str, config: pytest.Config) -> str:
    scope = config.getini("idcard_mock_scope") or "function"
    if scope not in SCOPES:
        raise pytest.UsageError(f"idcard_mock_scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    return scope


def _fail_on_server_errors(server: ThreadedServer) -> None:
    if server.server_errors:
        errors = "; ".join(server.server_errors)
        server.server_errors.clear()
        pytest.fail("the mock answered HTTP 500: " + errors, pytrace=False)


# -- the fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope=_served_scope)
def idcard_mock_server(pytestconfig: pytest.Config) -> Iterator[ThreadedServer]:
    """The served mock the ini options describe, for the scope `idcard_mock_scope` names."""
    with ThreadedServer(ini_options(pytestconfig).settings()) as server:
        yield server


@pytest.fixture
def idcard_mock(request: pytest.FixtureRequest) -> Iterator[IdcardMock]:
    """A served mock for this test, with clean state; fails the test if it answered HTTP 500.
    A test whose marker asks for another configuration gets a mock of its own."""
    from mock_server.testing import IdcardMock

    options = options_for_test(request)
    own = options != ini_options(request.config)
    if own:
        server = ThreadedServer(options.settings()).start()
    else:
        server = request.getfixturevalue("idcard_mock_server")
    mock = IdcardMock(server, options.settings())
    try:
        if not own:
            if _served_scope("idcard_mock_server", request.config) != "function":
                mock.reset()
            server.server_errors.clear()
        yield mock
        _fail_on_server_errors(server)
    finally:
        if own:
            server.stop()


@pytest.fixture
def idcard_mock_kyc(request: pytest.FixtureRequest) -> Iterator[MockKyc]:
    """`mock_kyc()` for this test: the vendor's hosts answered in-process, fresh state."""
    from mock_server.testing import MockKyc

    with MockKyc(options_for_test(request)) as kyc:
        yield kyc


# -- a target for the contract suite ------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; serve a mock for a contract-suite run that names no target."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(apps=, fixtures=, default_fixtures=, strict=, hosts=): configure this test's "
        "idcard_mock / idcard_mock_kyc (the keywords of mock_server.testing.mock_kyc)",
    )
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
