"""pytest plugin (entry point `pytest11`, name `idcard_mock`): the mock as a fixture, and a target.

Fixtures:

- `idcard_mock`: a fresh mock (its own in-memory database, strict schema checks) served
  in-process on a free loopback port for one test. Yields an `IdcardMock` with `base_url`, a
  ready `client` (`KycClient` for the development app) and `fixtures`, the default fixture pack
  with absolute image paths. A response the mock's own schemas reject fails the test.
- `idcard_target`: the service the run points at, from the options below (session scope). With
  no `--base-url` it is a mock started in-process; otherwise the URL is probed at
  `/_mock/health` to tell the mock from the live service, unless `--target-is-mock` or
  `--target-is-live` says which.

Options (each also read from an `IDCARD_MOCK_CONTRACT_*` environment variable, which keeps a
secret off the command line): `--base-url`, `--app-id`, `--secret`, `--portrait-image`,
`--emblem-image`, `--max-calls`, `--target-is-mock` / `--target-is-live`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mock_server.fixtures import MANIFEST_NAME
from mock_server.resources import data_dir

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

    from mock_server.client import KycClient
    from mock_server.settings import Settings

# The plugin loads in every pytest run of an environment that has idcard-mock installed, so the
# mock, the client and their dependencies are imported only when a fixture needs them.

HEALTH_PATH = "/_mock/health"
# The mock's health answer names the service; anything else is "not the mock".
MOCK_MARKER = "idcard-mock"
DEFAULT_MAX_CALLS = 6
ENV_PREFIX = "IDCARD_MOCK_CONTRACT_"


# -- the default fixture pack ------------------------------------------------------------------


@dataclass(frozen=True)
class FixtureImage:
    """One entry of a fixture pack's manifest.json, with the image path made absolute."""

    id: str
    side: str
    code: str
    image: Path
    result: dict[str, Any] = field(default_factory=dict, repr=False)
    native_place: str | None = None

    def read(self) -> bytes:
        return self.image.read_bytes()


def load_fixture_pack(folder: Path | None = None) -> list[FixtureImage]:
    """Entries of `folder/manifest.json` (default: the pack shipped with the mock); [] when the
    folder or its manifest is missing."""
    try:
        folder = folder or data_dir("fixtures")
    except FileNotFoundError:
        return []
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return []
    pack = []
    for entry in json.loads(manifest.read_text(encoding="utf-8"))["entries"]:
        pack.append(FixtureImage(
            id=str(entry["id"]), side=str(entry["side"]), code=str(entry["code"]),
            image=(folder / entry["image"]).resolve(), result=dict(entry.get("result") or {}),
            native_place=entry.get("nativePlace"),
        ))
    return pack


def first_recognised(pack: list[FixtureImage], side: str) -> FixtureImage | None:
    """The first entry of `side` the mock answers with code "0"."""
    return next((e for e in pack if e.side == side and e.code == "0"), None)


# -- the mock in a thread ----------------------------------------------------------------------


class MockServer:
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

    def start(self) -> MockServer:
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

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class IdcardMock:
    """What the `idcard_mock` fixture yields."""

    base_url: str
    client: KycClient
    fixtures: list[FixtureImage]
    server: MockServer = field(repr=False)

    def fixture(self, side: str) -> FixtureImage:
        """The first entry of the default pack for `side` that the mock recognises."""
        entry = first_recognised(self.fixtures, side)
        if entry is None:
            raise LookupError(f"the default fixture pack has no recognised {side} image")
        return entry


@pytest.fixture
def idcard_mock() -> Iterator[IdcardMock]:
    """A fresh mock on a free port for this test; fails the test if the mock answered HTTP 500."""
    from mock_server.client import KycClient
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET

    with MockServer() as server:
        client = KycClient(server.base_url, DEFAULT_APP_ID, DEFAULT_SECRET)
        yield IdcardMock(server.base_url, client, load_fixture_pack(), server)
    if server.server_errors:
        pytest.fail("the mock answered HTTP 500: " + "; ".join(server.server_errors),
                    pytrace=False)


# -- the target of a run -----------------------------------------------------------------------


@dataclass
class Target:
    """The service a run points at, and what the run sends it."""

    base_url: str
    app_id: str
    secret: str = field(repr=False)
    is_mock: bool
    detected_by: str
    portrait_image: bytes = field(repr=False)
    emblem_image: bytes = field(repr=False)
    images_from: str
    fixtures: list[FixtureImage] = field(repr=False)
    max_calls: int
    uses_default_images: bool
    started_here: bool = False

    def client(self, **kwargs: Any) -> KycClient:
        from mock_server.client import KycClient

        return KycClient(self.base_url, self.app_id, self.secret, **kwargs)


_TARGET = pytest.StashKey["Target"]()


def is_mock(base_url: str, timeout: float = 5.0) -> bool:
    """True when `base_url` answers the mock's own health call: JSON naming the service, with
    200, or 403 from a mock whose admin surface refuses this (non-loopback) caller."""
    import requests

    try:
        response = requests.get(base_url.rstrip("/") + HEALTH_PATH, timeout=timeout)
    except requests.RequestException:
        return False
    if response.status_code not in (200, 403):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("service") == MOCK_MARKER


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name, default=None)


def resolve_target(config: pytest.Config) -> Target:
    """The run's target, resolved once per run (a mock started here is stopped at its end)."""
    if _TARGET in config.stash:
        return config.stash[_TARGET]
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings

    base_url = _option(config, "base_url")
    app_id = _option(config, "idcard_app_id")
    secret = _option(config, "idcard_secret")
    kind = _option(config, "idcard_target_kind")
    if (app_id is None) != (secret is None):
        raise pytest.UsageError("give --app-id and --secret together")
    if not base_url:
        if kind == "live":
            raise pytest.UsageError("--target-is-live needs --base-url")
        apps = {app_id: secret} if app_id else {DEFAULT_APP_ID: DEFAULT_SECRET}
        server = MockServer(Settings(apps=apps, db=":memory:", strict=True)).start()
        config.add_cleanup(server.stop)
        base_url, mock, how = server.base_url, True, "started in-process"
    elif kind is not None:
        mock, how = kind == "mock", f"--target-is-{kind}"
    else:
        mock = is_mock(base_url)
        how = f"{HEALTH_PATH} answered" if mock else f"no mock answer at {HEALTH_PATH}"
    if app_id is None:
        if not mock:
            raise pytest.UsageError("a target that is not the mock needs --app-id and --secret")
        app_id, secret = DEFAULT_APP_ID, DEFAULT_SECRET
    pack = load_fixture_pack()
    portrait_path = _option(config, "idcard_portrait_image")
    emblem_path = _option(config, "idcard_emblem_image")
    if portrait_path or emblem_path:
        if not (portrait_path and emblem_path):
            raise pytest.UsageError("give --portrait-image and --emblem-image together")
        portrait, emblem = Path(portrait_path).read_bytes(), Path(emblem_path).read_bytes()
        images_from, default_images = "--portrait-image / --emblem-image", False
    else:
        if not mock:
            raise pytest.UsageError(
                "the default fixture pack's cards are synthetic and known only to the mock: "
                "pass --portrait-image and --emblem-image (photos of a real card) for this target"
            )
        front, back = first_recognised(pack, "portrait"), first_recognised(pack, "emblem")
        if front is None or back is None:
            raise pytest.UsageError(
                "the default fixture pack is missing; pass --portrait-image and --emblem-image"
            )
        portrait, emblem = front.read(), back.read()
        images_from, default_images = f"default fixture pack ({front.id}, {back.id})", True
    target = Target(
        base_url=base_url.rstrip("/"), app_id=app_id, secret=secret, is_mock=mock,
        detected_by=how, portrait_image=portrait, emblem_image=emblem, images_from=images_from,
        fixtures=pack, max_calls=int(_option(config, "idcard_max_calls")),
        uses_default_images=default_images, started_here=how == "started in-process",
    )
    config.stash[_TARGET] = target
    return target


@pytest.fixture(scope="session")
def idcard_target(pytestconfig: pytest.Config) -> Target:
    """The target named by --base-url and friends (a mock started in-process without one)."""
    return resolve_target(pytestconfig)


# -- hooks -------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("idcard-mock", "idcard-mock contract target")

    def env(name: str) -> str | None:
        return os.environ.get(ENV_PREFIX + name) or None

    try:
        group.addoption("--base-url", dest="base_url", default=env("BASE_URL"), metavar="URL",
                        help="Service to test; without it a mock is started in-process.")
    except ValueError:
        # pytest-base-url owns --base-url (same dest, `base_url`): share its value.
        pass
    group.addoption("--app-id", dest="idcard_app_id", default=env("APP_ID"), metavar="ID",
                    help="App id (default: the mock's development app).")
    group.addoption("--secret", dest="idcard_secret", default=env("SECRET"), metavar="SECRET",
                    help=f"App secret; prefer the {ENV_PREFIX}SECRET environment variable.")
    group.addoption("--portrait-image", dest="idcard_portrait_image",
                    default=env("PORTRAIT_IMAGE"), metavar="FILE",
                    help="Portrait-side card photo (default: the fixture pack's).")
    group.addoption("--emblem-image", dest="idcard_emblem_image", default=env("EMBLEM_IMAGE"),
                    metavar="FILE", help="Emblem-side card photo (default: the fixture pack's).")
    group.addoption("--max-calls", dest="idcard_max_calls", type=int,
                    default=int(env("MAX_CALLS") or DEFAULT_MAX_CALLS), metavar="N",
                    help="Cap on billable OCR calls against a target that is not the mock.")
    group.addoption("--target-is-mock", dest="idcard_target_kind", action="store_const",
                    const="mock", default=None, help="Treat the target as the mock.")
    group.addoption("--target-is-live", dest="idcard_target_kind", action="store_const",
                    const="live", help="Treat the target as the live service (no probe).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_only(reason): the check asserts a choice of the mock (docs/fidelity.md); "
        "skipped against any other target.",
    )
    config.addinivalue_line(
        "markers",
        "observe(reason): asserted against the mock; against any other target a failure is "
        "reported as an observation, never failed.",
    )
