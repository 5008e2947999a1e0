"""`idcard-mock serve` configuration: options, environment equivalents, the start-up banner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from mock_server import server
from mock_server.cli import main
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET


@pytest.fixture
def started(monkeypatch):
    """Capture what `serve` would start instead of starting it: (settings, host, port, workers,
    log format), the host and port as asked for (the socket is bound to a port of the system's
    choosing)."""
    calls, asked = [], []
    real_bind = server.bind

    def bind(host, port):
        asked.append((host, port))
        return real_bind("127.0.0.1", 0)

    def serve(settings, listener, workers, log_kind):
        listener.close()
        calls.append((settings, *asked[-1], workers, log_kind))

    monkeypatch.setattr(server, "bind", bind)
    monkeypatch.setattr(server, "serve", serve)
    return calls


def test_defaults_bind_loopback_and_print_the_development_app(started, tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db")])
    assert result.exit_code == 0, result.output
    settings, host, port, workers, log_kind = started[0]
    assert (host, port, workers, log_kind) == ("127.0.0.1", 8000, 2, "text")
    assert settings.apps == {DEFAULT_APP_ID: DEFAULT_SECRET}
    assert f"app {DEFAULT_APP_ID}  secret {DEFAULT_SECRET}" in result.output
    assert re.search(r"^  dashboard http://127\.0\.0\.1:\d+/_mock/dashboard$", result.output, re.M)


def test_the_json_log_format_from_the_option_or_the_environment(started, tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db"), "--log-format", "json"])
    assert result.exit_code == 0, result.output
    banner = [json.loads(line) for line in result.output.splitlines()]
    assert banner[1]["dashboard"].endswith("/_mock/dashboard")
    assert banner[2]["app"] == DEFAULT_APP_ID
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "m.db")],
                                env={"IDCARD_MOCK_LOG_FORMAT": "json"})
    assert [call[-1] for call in started] == ["json", "json"]
    result = CliRunner().invoke(main, ["serve", "--log-format", "xml"])
    assert result.exit_code == 2 and "'text', 'json'" in result.output


def test_apps_options_and_environment(started, tmp_path):
    env = {"IDCARD_MOCK_PORT": "9100", "IDCARD_MOCK_APPS": "APPA0001:s1,APPB0002:s2",
           "IDCARD_MOCK_DB": str(tmp_path / "env.db"), "IDCARD_MOCK_STRICT": "1"}
    result = CliRunner().invoke(main, ["serve", "--workers", "3"], env=env)
    assert result.exit_code == 0, result.output
    settings, _, port, workers, _ = started[0]
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


def apps_file(tmp_path, text: str, mode: int):
    path = tmp_path / "apps"
    path.write_text(text)
    path.chmod(mode)
    return str(path)


@pytest.mark.fidelity("F-SCN-19")
def test_apps_file_keeps_secrets_off_the_command_line(started, tmp_path):
    path = apps_file(tmp_path, "# the mock's apps\nAPPF0001:filesecret1\n\n  APPF0002:filesecret2  \n",
                     0o600)
    result = CliRunner().invoke(main, ["serve", "--apps-file", path, "--db", str(tmp_path / "m.db")])
    assert result.exit_code == 0, result.output
    assert started[0][0].apps == {"APPF0001": "filesecret1", "APPF0002": "filesecret2"}
    assert "filesecret" not in result.output
    result = CliRunner().invoke(main, ["serve", "--app", "APPA0001:s1", "--db", str(tmp_path / "m.db")],
                                env={"IDCARD_MOCK_APPS_FILE": path})
    assert started[1][0].apps == {"APPA0001": "s1", "APPF0001": "filesecret1",
                                  "APPF0002": "filesecret2"}


@pytest.mark.fidelity("F-SCN-19")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_an_apps_file_others_can_read_is_refused(started, tmp_path, mode):
    path = apps_file(tmp_path, "APPF0001:filesecret1\n", mode)
    result = CliRunner().invoke(main, ["serve", "--apps-file", path])
    assert result.exit_code == 2 and not started
    assert f"{path} is readable by its group or by others (mode {mode:04o})" in result.output
    assert f"chmod 600 {path}" in result.output and "filesecret1" not in result.output


@pytest.mark.parametrize(("text", "message"), [
    ("APPF0001:ok\nno-colon-filesecret\n", "line 2: expected APPID:SECRET"),
    ("APPF0001:one\n", "app APPF0001 is given twice with different secrets"),
])
def test_a_bad_apps_file_is_refused_clearly(started, tmp_path, text, message):
    path = apps_file(tmp_path, text, 0o600)
    result = CliRunner().invoke(main, ["serve", "--apps-file", path, "--app", "APPF0001:two"])
    assert result.exit_code == 2 and message in result.output and not started
    assert "filesecret" not in result.output


def test_the_database_is_created_readable_by_its_owner_only(started, tmp_path):
    import os
    import stat

    from mock_server.store import SqliteStore

    db = tmp_path / "new" / "m.db"
    assert CliRunner().invoke(main, ["serve", "--db", str(db)]).exit_code == 0
    store = SqliteStore(db)  # as a worker opens it
    with store.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    for path in (db, db.with_name("m.db-wal"), db.with_name("m.db-shm")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
