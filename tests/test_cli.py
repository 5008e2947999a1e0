"""`idcard-mock serve` configuration: options, environment equivalents, the start-up banner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mock_server import server
from mock_server.cli import main
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET


@pytest.fixture
def started(monkeypatch):
    """Capture what `serve` would start instead of starting it: (settings, host, port, workers),
    the host and port as asked for (the socket is bound to a port of the system's choosing)."""
    calls, asked = [], []
    real_bind = server.bind

    def bind(host, port):
        asked.append((host, port))
        return real_bind("127.0.0.1", 0)

    def serve(settings, listener, workers):
        listener.close()
        calls.append((settings, *asked[-1], workers))

    monkeypatch.setattr(server, "bind", bind)
    monkeypatch.setattr(server, "serve", serve)
    return calls


def test_defaults_bind_loopback_and_print_the_development_app(started, tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db")])
    assert result.exit_code == 0, result.output
    settings, host, port, workers = started[0]
    assert (host, port, workers) == ("127.0.0.1", 8000, 2)
    assert settings.apps == {DEFAULT_APP_ID: DEFAULT_SECRET}
    assert f"app {DEFAULT_APP_ID}  secret {DEFAULT_SECRET}" in result.output


def test_apps_options_and_environment(started, tmp_path):
    env = {"IDCARD_MOCK_PORT": "9100", "IDCARD_MOCK_APPS": "APPA0001:s1,APPB0002:s2",
           "IDCARD_MOCK_DB": str(tmp_path / "env.db"), "IDCARD_MOCK_STRICT": "1"}
    result = CliRunner().invoke(main, ["serve", "--workers", "3"], env=env)
    assert result.exit_code == 0, result.output
    settings, _, port, workers = started[0]
    assert (port, workers) == (9100, 3) and settings.strict
    assert settings.apps == {"APPA0001": "s1", "APPB0002": "s2"}
    assert settings.db == str(tmp_path / "env.db")
    assert "s1" not in result.output  # only the development secret is ever printed
    result = CliRunner().invoke(main, ["serve", "--app", "X0000001:abc", "--app", "X0000002:def",
                                       "--db", str(tmp_path / "m.db")])
    assert started[1][0].apps == {"X0000001": "abc", "X0000002": "def"}


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--app", "nosecret"], "APPID:SECRET"),
     (["--db", ":memory:", "--workers", "2"], "--workers 1")],
)
def test_bad_configuration_is_refused_clearly(started, args, message):
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2 and message in result.output and not started


def test_memory_database_with_one_worker(started):
    result = CliRunner().invoke(main, ["serve", "--db", ":memory:", "--workers", "1"])
    assert result.exit_code == 0 and started[0][0].db == ":memory:"
