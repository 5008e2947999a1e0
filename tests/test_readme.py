"""The README's curl walkthrough runs, as written, against `idcard-mock serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mock_server.served import ServedMock

ROOT = Path(__file__).resolve().parents[1]


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
