"""Fixtures shared by the project's own tests.

The service-level modules in POSTGRES_MODULES run twice: on SQLite, and with every private
database an app opens (`:memory:`) made a fresh schema of a real, throwaway PostgreSQL server
(tests/postgres.py), so the whole suite holds on both backends.
"""

from __future__ import annotations

import os

import pytest

from mock_server import backend as backend_module
from mock_server.app import create_app
from mock_server.clock import ManualClock
from mock_server.settings import Settings
from mock_server.store import open_store
from tests.postgres import PostgresServer, find_bin
from tests.support import Flow

POSTGRES_MODULES = {
    "test_admin", "test_client", "test_controls", "test_credentials", "test_errors",
    "test_explain", "test_journal", "test_mock_kyc", "test_ocr", "test_retention",
    "test_scenarios", "test_service",
}
# Set by CI (.ci/run), where PostgreSQL is installed: its absence fails instead of skipping.
REQUIRED = "IDCARD_MOCK_REQUIRE_POSTGRES"
# The container tests build an image and run docs/container.md (minutes): `make test-container`.
collect_ignore = [] if os.environ.get("IDCARD_MOCK_CONTAINER_TESTS") else ["container"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "store_backend" in metafunc.fixturenames and module in POSTGRES_MODULES:
        metafunc.parametrize("store_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (skipped, with the reason, where none is installed)."""
    bindir = find_bin()
    if bindir is None:
        message = ("PostgreSQL tests skipped: no initdb/pg_ctl found (install Debian's `postgresql` "
                   "or set IDCARD_MOCK_PG_BIN)")
        if os.environ.get(REQUIRED):
            pytest.fail(message.replace("skipped", "cannot run"))
        pytest.skip(message)
    server = PostgresServer(bindir).init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(autouse=True)
def store_backend(request: pytest.FixtureRequest):
    """Which database an app's private store is: 'sqlite' (`:memory:`), or 'postgresql'."""
    backend = getattr(request, "param", "sqlite")
    if backend != "postgresql":
        yield backend
        return
    server = request.getfixturevalue("postgres")
    opened = []

    def fresh(db):
        store = open_store(server.new_schema() if str(db) == ":memory:" else db)
        opened.append(store)
        return store

    patch = request.getfixturevalue("monkeypatch")
    patch.setattr(backend_module, "open_store", fresh)
    yield backend
    for store in opened:
        store.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fidelity(*ids): the rows of docs/fidelity.md this test proves (tests/test_fidelity_ledger.py)",
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def app(clock: ManualClock):
    return create_app(Settings(db=":memory:", strict=True), clock=clock)


@pytest.fixture
def flow(app) -> Flow:
    """The partner-backend flow against the app in-process (Flask test client)."""
    return Flow(app.test_client())
