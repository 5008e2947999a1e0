"""`idcard-mock contract`: from any folder, with pytest's exit status, and from the built wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.fixtures.pack import default_pack_dir, load_pack
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings

ROOT = Path(__file__).resolve().parent.parent


def contract(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "contract", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


def junit_counts(path: Path) -> dict[str, int]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert suite is not None
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def test_runs_from_any_folder_against_a_mock_it_starts(tmp_path: Path) -> None:
    report = tmp_path / "contract.xml"
    done = contract("--junit-xml", str(report), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "(the mock; /_mock/health answered)" in done.stdout
    counts = junit_counts(report)
    assert counts["tests"] >= 45 and counts["failures"] == counts["errors"] == 0
    # Nothing was written beside the suite or into the working folder but the report.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contract.xml"]


def sex_flipped(environ: dict[str, Any], start_response: Any, app: Any) -> list[bytes]:
    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=headers)
        return lambda data: None

    body = json.loads(b"".join(app(environ, capture)))
    result = body.get("result") if isinstance(body, dict) else None
    if isinstance(result, dict) and "sex" in result:
        result["sex"] = "女" if result["sex"] == "男" else "男"
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
    start_response(captured["status"], headers + [("Content-Length", str(len(data)))])
    return [data]


def test_exit_status_is_non_zero_on_a_failure(tmp_path: Path) -> None:
    """The secret travels in the environment; the broken target fails the documented checks."""
    app = create_app(Settings(db=":memory:"))
    folder = default_pack_dir()
    assert folder is not None
    pack = load_pack(folder)
    front, back = pack.first_recognised("portrait"), pack.first_recognised("emblem")
    assert front is not None and back is not None
    env = {**os.environ, "IDCARD_MOCK_CONTRACT_SECRET": DEFAULT_SECRET}
    with ThreadedServer(app=lambda environ, start: sex_flipped(environ, start, app)) as server:
        done = contract("--base-url", server.base_url, "--target-is-live", "--app-id",
                        DEFAULT_APP_ID, "--portrait-image", str(front.image), "--emblem-image",
                        str(back.image), cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    assert any("test_ocr.py::test_portrait_id_number_invariants" in line for line in failed)
    assert "(not the mock: only the documented contract is asserted;" in done.stdout
    assert DEFAULT_SECRET not in done.stdout + done.stderr


def test_usage_errors_are_reported_together(tmp_path: Path) -> None:
    with ThreadedServer() as server:
        done = contract("--base-url", server.base_url, "--target-is-live", cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: a target that is not the mock needs --kyc-app-id and --kyc-secret\n" in done.stderr
    assert ("a target that is not the mock knows no fixture pack: pass --kyc-portrait-image and "
            "--kyc-emblem-image") in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:1", "http://idcard-mock-target.invalid"],
                         ids=["refused", "unresolvable"])
def test_an_unreachable_target_stops_the_run_in_one_line(tmp_path: Path, base_url: str) -> None:
    done = contract("--base-url", base_url, cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert done.stderr == (f"ERROR: the target {base_url} cannot be reached (no HTTP answer at "
                           f"{base_url}/_mock/health)\n\n")
    assert done.stdout == ""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("idcard_mock-*.whl"))


def test_the_wheel_ships_the_suite_and_the_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    suite = {p.relative_to(ROOT).as_posix() for p in (ROOT / "contract_tests").iterdir()
             if p.suffix in (".py", ".ini")}
    assert suite <= names, sorted(suite - names)
    assert "idcard_mock_data/fixtures/manifest.json" in names
    assert "mock_server/pytest_plugin.py" in names
    assert "[pytest11]\nidcard_mock = mock_server.pytest_plugin" in entry_points


def test_the_wheels_copy_runs_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    """The suite, its schemas and the fixture pack as installed from the wheel, not the checkout."""
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    done = contract(cwd=work, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"rootdir: {unpacked / 'contract_tests'}" in done.stdout
    assert "fixture pack (" in done.stdout
