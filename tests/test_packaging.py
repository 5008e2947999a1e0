"""A plain (non-editable) install carries the schemas and the default fixture pack and works from
any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = r"""
import json, sys
import mock_server
from mock_server.resources import data_dir
from mock_server.app import create_app
from mock_server.settings import Settings
sys.path.insert(0, sys.argv[1])
from tests.support import Flow, card_image
app = create_app(Settings(db=":memory:", strict=True))
body = Flow(app.test_client()).ocr(card_image(1))[1]
manifest = json.loads((data_dir("fixtures") / "manifest.json").read_text(encoding="utf-8"))
first = data_dir("fixtures") / manifest["entries"][0]["image"]
fixture = Flow(app.test_client()).ocr(first.read_bytes())[1]
client = app.test_client()
dashboard = [client.get(path).status_code for path in (
    "/_mock/dashboard", "/_mock/dashboard/static/dashboard.js", "/_mock/dashboard/static/dashboard.css")]
print(json.dumps({"dashboard": dashboard, "package": mock_server.__file__,
                  "schemas": str(data_dir("schemas")),
                  "fixtures": str(data_dir("fixtures")), "code": body["code"],
                  "fixture_answer": fixture["result"]["name"],
                  "fixture_expected": manifest["entries"][0]["result"]["name"]}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(work / "dist"), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = (work / "dist").glob("idcard_mock-*.whl")
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )
    return target


def test_installed_copy_finds_its_schemas_and_answers(installed, tmp_path):
    # Run from an unrelated folder with only the installed copy first on the path.
    run = subprocess.run(
        [sys.executable, "-c", CHECK, str(ROOT)], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(installed)},
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["package"].startswith(str(installed))
    assert report["schemas"] == str(installed / "idcard_mock_data" / "schemas")
    assert report["fixtures"] == str(installed / "idcard_mock_data" / "fixtures")
    assert report["code"] == "0"
    assert report["fixture_answer"] == report["fixture_expected"]
    assert report["dashboard"] == [200, 200, 200]  # its templates and static files are in the wheel


def test_installed_contract_command_judges_a_served_mock_with_the_shipped_pack(installed, tmp_path):
    # What a container or a CI job does: the wheel's `idcard-mock contract` against a running mock,
    # its card images from the pack the wheel carries.
    from mock_server.served import ServedMock

    mock = ServedMock(tmp_path / "mock.sqlite3").start()
    try:
        run = subprocess.run(
            [sys.executable, "-c", "from mock_server.cli import main; main()", "contract",
             "--base-url", mock.base, "--", "-q", "-p", "no:cacheprovider"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONPATH": str(installed)},
        )
    finally:
        mock.stop()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "fixture pack" in run.stdout and " passed" in run.stdout
