"""docs/container.md, run as written: the image built from the Containerfile on a local base, then
every command of the page in order, each checked over HTTP and through the engine. The tests of
this module run in file order and share one engine, one checkout copy and one port (8000, as
the page publishes it).

Run by `make test-container` (`.ci/run` after `make test`); `make test` leaves it out."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import tomllib
from pathlib import Path

import pytest
import requests
import yaml

from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from tests.container.engine import ROOT, Engine, missing
from tests.support import Flow
from tests.test_readme import walkthrough

BLOCK = re.compile(r"<!-- container:([\w-]+) -->\n```(\w+)\n(.*?)```", re.S)
URL = "http://127.0.0.1:8000"
NAME = "idcard-mock"
VOLUME = "idcard-mock-data"


def blocks() -> dict[str, str]:
    return {name: body for name, _, body in BLOCK.findall(
        (ROOT / "docs" / "container.md").read_text(encoding="utf-8"))}


class Session:
    def __init__(self, engine: Engine, work: Path) -> None:
        self.engine, self.work = engine, work
        self.order = ""

    def run(self, name: str, timeout: float = 600, **env: str) -> str:
        """Run the page's block `name` from the checkout copy; its standard output."""
        done = self.engine.shell(blocks()[name], cwd=self.work, timeout=timeout, **env)
        assert done.returncode == 0, f"block {name} exited {done.returncode}:\n{done.stdout[-3000:]}\n" \
                                     f"{done.stderr[-3000:]}"
        return done.stdout


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    reason = missing()
    if reason:
        if os.environ.get("IDCARD_MOCK_REQUIRE_CONTAINER"):
            pytest.fail(f"container tests cannot run: {reason}")
        pytest.skip(f"container tests skipped: {reason}")
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", 8000))
        except OSError:
            pytest.fail("port 8000 is in use: docs/container.md publishes the mock there; stop what "
                        "holds it")
    work = tmp_path_factory.mktemp("checkout") / "idcard-mock"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"))
    engine = Engine(Path(tmp_path_factory.mktemp("engine")))
    try:
        engine.base_image()
        yield Session(engine, work)
    finally:
        engine.destroy()


def test_the_page_has_its_blocks_in_order():
    assert list(blocks()) == ["build", "run", "token", "contract", "admin-refused", "admin-token",
                              "apps-env", "apps-file", "cleanup", "compose", "github-actions"]


def test_the_image_builds_from_the_containerfile_with_the_projects_labels(session):
    session.run("build", timeout=1500)
    image = session.engine.inspect("image", NAME)
    config = image["Config"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == project["version"]
    assert labels["org.opencontainers.image.source"] == project["urls"]["Source"]
    assert labels["org.opencontainers.image.licenses"] == project["license"]
    assert config["User"] == "idcard-mock"
    # Docker keeps the health check in Config, podman beside it.
    check = config.get("Healthcheck") or image["Healthcheck"]
    assert check["Test"] == ["CMD", "idcard-mock", "health"]
    assert "/data" in config["Volumes"] and "8000/tcp" in config["ExposedPorts"]
    # No compiler, no pip in the final image (`command -v` takes one name at a time in dash).
    probe = session.engine.podman("run", "--rm", "--entrypoint", "sh", NAME, "-c",
                                  "for tool in gcc cc pip pip3 /opt/idcard-mock/bin/pip python3; do "
                                  "command -v \"$tool\" || true; done")
    assert probe.stdout.split() == ["/opt/idcard-mock/bin/python3"]  # the probe finds what is there


def test_it_runs_healthy_as_its_own_user_with_private_data(session):
    out = session.run("run", timeout=120)
    assert out.strip().endswith("ok: http://127.0.0.1:8000/_mock/health idcard-mock 0.1.0")
    engine = session.engine
    assert engine.healthy(NAME)
    assert engine.inspect("container", NAME)["State"]["Health"]["Status"] == "healthy"
    top = engine.podman("top", NAME, "user", "pid", "args").stdout.splitlines()[1:]
    assert len(top) >= 3 and all(line.split()[0] == "idcard-mock" for line in top), top  # arbiter + 2
    assert engine.podman("exec", NAME, "id", "-u").stdout.strip() == "10001"
    modes = engine.podman("exec", NAME, "stat", "-c", "%a %u %n", "/data",
                          "/data/idcard-mock.sqlite3").stdout.splitlines()
    assert modes == ["700 10001 /data", "600 10001 /data/idcard-mock.sqlite3"]


def test_the_api_answers_on_the_published_port(session):
    answer = json.loads(session.run("token"))
    assert answer["code"] == "0" and answer["expire_in"] == 7200, answer


def test_the_container_passes_the_contract_suite_it_carries(session):
    out = session.run("contract", timeout=600)
    assert re.search(r"\d+ passed", out) and "failed" not in out, out[-2000:]
    assert "fixture pack" in out


def test_the_readme_walkthrough_runs_against_the_container(session):
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{session.engine.env['PATH']}"}
    done = session.engine.shell(walkthrough(), cwd=session.work, timeout=120, **env)
    assert done.returncode == 0, done.stderr + done.stdout
    lines = done.stdout.splitlines()
    portrait = json.loads(lines[0])
    assert portrait["code"] == "0" and lines[-1] == "0"
    session.order = portrait["result"]["orderNo"]


def test_a_caller_outside_the_container_is_refused_the_admin_surface(session):
    answer = json.loads(session.run("admin-refused"))
    assert "answers loopback clients only" in answer["error"]
    assert "IDCARD_MOCK_ADMIN_TOKEN" in answer["error"]
    for path in ("/_mock/health", "/_mock/orders", "/_mock/dashboard"):
        assert requests.get(URL + path, timeout=10).status_code == 403, path


def test_with_the_token_it_is_let_in_and_the_volume_kept_the_orders(session):
    out = session.run("admin-token", timeout=120)
    listing = json.loads(out[out.index("\n{") + 1:])  # after docker's lines and the health check's
    assert session.order in {order["orderNo"] for order in listing["orders"]}, listing
    assert requests.get(URL + "/_mock/health", headers={"X-Mock-Admin-Token": "wrong"},
                        timeout=10).status_code == 403
    # The order's result and images, after the restart, by getOcrResult over HTTP.
    flow = Flow(requests.Session(), base=URL)
    _, body, _ = flow.ocr_result(session.order, get_file="1")
    assert body["code"] == "0", body
    assert body["result"]["frontCode"] == "0" and body["result"]["frontPhoto"]


def token_code(app_id: str, secret: str) -> str:
    answer = requests.get(URL + "/api/oauth2/access_token", timeout=10, params={
        "appId": app_id, "secret": secret, "grant_type": "client_credential", "version": "1.0.0"})
    return answer.json()["code"]


def test_apps_from_an_env_file_replace_the_development_app(session):
    session.run("apps-env", timeout=120)
    app = (session.work / "kyc.env").read_text(encoding="utf-8").strip().partition("=")[2]
    app_id, _, secret = app.partition(":")
    assert token_code(app_id, secret) == "0"
    assert token_code(DEFAULT_APP_ID, DEFAULT_SECRET) != "0"
    assert secret not in session.engine.podman("inspect", "--format", "{{.Config.Cmd}}", NAME).stdout


def test_apps_from_a_mounted_file(session):
    session.run("apps-file", timeout=120)
    app_id, _, secret = (session.work / "apps.txt").read_text(encoding="utf-8").strip().partition(":")
    assert token_code(app_id, secret) == "0"
    assert token_code(DEFAULT_APP_ID, DEFAULT_SECRET) != "0"


def test_an_apps_file_others_may_read_stops_the_container_with_the_reason(session):
    loose = session.work / "loose-apps.txt"
    loose.write_text("TIDA0009:secret\n", encoding="utf-8")
    loose.chmod(0o644)
    os.chown(loose, 10001, 10001)
    engine = session.engine
    engine.podman("run", "-d", "--name", "loose", "-v", f"{loose}:/run/secrets/apps:ro",
                  "-e", "IDCARD_MOCK_APPS_FILE=/run/secrets/apps", NAME)
    assert engine.podman("wait", "loose", timeout=60).stdout.strip() == "2"
    logs = engine.podman("logs", "loose").stderr
    assert "is readable by its group or by others (mode 0644)" in logs, logs
    engine.podman("rm", "--volumes", "loose")


def test_cleanup_leaves_no_container_and_no_volume(session):
    session.run("cleanup", timeout=120)
    engine = session.engine
    assert engine.podman("container", "exists", NAME, check=False).returncode == 1
    assert engine.podman("volume", "exists", VOLUME, check=False).returncode == 1
    assert not (session.work / "kyc.env").exists() and not (session.work / "apps.txt").exists()


def test_compose_runs_the_partner_against_the_mock(session):
    # No registry here: the partner runs on the local base image (PARTNER_IMAGE, as the page says).
    out = session.run("compose", timeout=600, PARTNER_IMAGE=session.engine.base_image())
    assert re.search(r"partner: order partner\d+: \S+, ID \d{6}…, image kept: True", out), out[-3000:]
    volumes = session.engine.podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
    assert not [name for name in volumes if name.endswith(VOLUME)], volumes  # down --volumes


def test_the_ci_service_definition_starts_and_serves_the_job(session):
    job = yaml.safe_load(blocks()["github-actions"])["jobs"]["test"]
    (name, service), = job["services"].items()
    engine = session.engine
    engine.podman("tag", NAME, service["image"])
    # What the runner does: the service's container with its ports, env and options; it waits
    # for the health check; then the job's steps run on the host.
    args = ["run", "-d", "--name", f"ci-{name}"]
    for port in service["ports"]:
        args += ["-p", str(port)]
    for key, value in service.get("env", {}).items():
        args += ["-e", f"{key}={value}"]
    args += [*shlex.split(service["options"]), service["image"]]
    engine.podman(*args)
    try:
        assert engine.healthy(f"ci-{name}")
        steps = [step for step in job["steps"] if "run" in step]
        assert steps
        for step in steps:
            done = engine.shell(step["run"], cwd=session.work, timeout=120, **step.get("env", {}))
            assert done.returncode == 0, done.stdout + done.stderr
            assert "image kept: True" in done.stdout
    finally:
        engine.podman("rm", "--force", "--volumes", "--time", "0", f"ci-{name}", check=False)
