"""`mock_kyc`: the mock answering the vendor's hosts in this process, for the length of a `with`
block or of a test function (sync or async). Moto's `mock_aws`, for this one service."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mock_server.backend import Backend
from mock_server.controls.local import BackendControls
from mock_server.settings import Settings
from mock_server.testing.fault_watch import FaultWatch
from mock_server.testing.hosts import url_pattern
from mock_server.testing.intercept import Interception
from mock_server.testing.options import MockOptions

F = TypeVar("F", bound=Callable[..., Any])


class MockKyc(BackendControls):
    """While active, `requests` and `httpx` calls to the vendor's hosts (and to `hosts`) are
    answered by a fresh mock: the app `idcard-mock serve` runs, with its state in memory. The
    controls (`kyc.app_id`, `kyc.scenario(...)`, `kyc.requests`, ...) work on that mock."""

    def __init__(self, options: MockOptions | None = None) -> None:
        self.options = options or MockOptions()
        self._settings = self.options.settings()
        self._backend: Backend | None = None  # type: ignore[assignment]
        self._interception: Interception | None = None
        self._watch: FaultWatch | None = None

    @property
    def hosts(self) -> tuple[str, ...]:
        """The hosts whose calls the mock answers."""
        return self.options.intercepted_hosts

    @property
    def active(self) -> bool:
        return self._backend is not None

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("mock_kyc is not active: use it as `with mock_kyc() as kyc:` "
                               "or as a decorator of the test")
        return self._backend

    @property
    def settings(self) -> Settings:
        return self._settings

    def start(self) -> MockKyc:
        if self._backend is not None:
            raise RuntimeError("this mock_kyc is already active")
        from mock_server.app import create_app

        app = create_app(self._settings)
        self._watch = FaultWatch(app)
        interception = Interception(self._watch, url_pattern(self.hosts))
        interception.start()
        self._interception, self._backend = interception, app.extensions["idcard_mock"]
        return self

    def stop(self) -> None:
        """Stop answering, forget the mock's state; raise AssertionError if, in strict mode, the
        mock answered HTTP 500 (it broke its own schemas) while active."""
        if self._interception is not None:
            self._interception.stop()
        if self._backend is not None:
            self._backend.store.close()
        self._interception = self._backend = None
        errors, self._watch = (self._watch.errors if self._watch else []), None
        if errors:
            raise AssertionError("the mock answered HTTP 500: " + "; ".join(errors))

    def __enter__(self) -> MockKyc:
        return self.start()

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            self.stop()
        except AssertionError:
            if exc_type is None:  # the block's own failure says more
                raise

    async def __aenter__(self) -> MockKyc:
        return self.start()

    async def __aexit__(self, exc_type: Any, *exc: Any) -> None:
        self.__exit__(exc_type, *exc)

    def __call__(self, function: F) -> F:
        """As a decorator: active for each call of `function` (sync or async), fresh each time."""
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]


def mock_kyc(
    *,
    apps: dict[str, str] | None = None,
    fixtures: list[str] | tuple[str, ...] = (),
    default_fixtures: bool = True,
    strict: bool = True,
    hosts: list[str] | tuple[str, ...] = (),
) -> MockKyc:
    """A mock of the vendor's hosts, for `with mock_kyc() as kyc:` or `@mock_kyc()`.

    apps: appId -> secret it accepts (the development app by default; the first is kyc.app_id).
    fixtures: fixture pack folders it answers exactly. default_fixtures: also the shipped pack.
    strict: check every answer against schemas/ (an answer that breaks them fails the block).
    hosts: more hosts to answer, besides the vendor's (kyc.hosts lists them all).
    """
    given: dict[str, Any] = {"fixtures": fixtures, "default_fixtures": default_fixtures,
                             "strict": strict, "hosts": hosts}
    if apps is not None:
        given["apps"] = apps
    return MockKyc(MockOptions.of(**given))
