"""The documentation's examples run as written: the README's curl walkthrough and its three ways
of using the mock in tests, and every Python block of docs/testing.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests  # noqa: F401  (imported here so pytester's in-process runs share one copy)

from mock_server.served import ServedMock

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = re.compile(r"<!-- example:(\w+) -->\n```python\n(.*?)```", re.S)


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- walkthrough:start -->\n```bash\n(.*?)```\n<!-- walkthrough:end -->",
                      text, re.S)
    assert block, "README.md lost its walkthrough block"
    return block.group(1)


@pytest.fixture
def served(tmp_path):
    mock = ServedMock(tmp_path / "mock.sqlite3").start()
    yield mock
    mock.stop()


def test_walkthrough_runs_against_the_mock(served, tmp_path):
    env = {**os.environ, "BASE": served.base,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + run.stdout
    lines = run.stdout.splitlines()
    portrait, emblem = json.loads(lines[0]), json.loads(lines[1])
    assert portrait["code"] == emblem["code"] == "0"
    assert portrait["result"]["nativePlace"] and emblem["result"]["validDate"]
    assert lines[-1] == "0"  # getOcrResult's backCode: both sides stored under the order


def readme_examples() -> dict[str, str]:
    return dict(EXAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8")))


def test_the_readme_shows_the_three_ways():
    assert list(readme_examples()) == ["served", "fixture", "mock_kyc"]


def test_the_served_mock_example_runs(pytester: pytest.Pytester, served, monkeypatch):
    monkeypatch.setenv("IDCARD_MOCK_URL", served.base)
    pytester.makepyfile(test_example=readme_examples()["served"])
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize("name", ["fixture", "mock_kyc"])
def test_the_in_process_examples_run(pytester: pytest.Pytester, name: str):
    pytester.makepyfile(test_example=readme_examples()[name])
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_testing_guide_runs(pytester: pytest.Pytester):
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 3
    pytester.makepyfile(**{f"test_guide_{i}": block for i, block in enumerate(blocks)})
    # Two in the first block, one in the second, the third's one test on both fixtures.
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=5)
