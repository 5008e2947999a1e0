"""Fixtures shared by the project's own tests."""

from __future__ import annotations

import pytest

from mock_server.app import create_app
from mock_server.clock import ManualClock
from mock_server.settings import Settings
from tests.support import Flow


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
