"""This machine's container engine for the container tests and benchmark: podman, set up through
its configuration files, so that docs/container.md's commands run as written.

- `docker` is a small script on PATH that hands every command to podman (`docker compose` to
  podman-compose); only `build` gains this machine's flags: host networking and the TLS proxy's
  CA for pip, and the locally built base image. None of that is in the Containerfile.
- containers.conf and storage.conf (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF) carry what podman
  needs here: the vfs storage driver in a folder of its own, cgroupfs, runc, and ulimits.
- The base image is Debian bookworm with python3 and venv, made by mmdebstrap (no registry is
  reachable) and imported; the root file system is cached in build/container/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "container"
BASE_IMAGE = "localhost/bookworm-python"
TOOLS = ("podman", "runc", "mmdebstrap")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
"""

STORAGE_CONF = """\
[storage]
driver = "vfs"
graphroot = "{home}/storage"
runroot = "{home}/run"
"""

DOCKER = """\
#!/bin/sh
# docker → podman on this machine (tests/container/engine.py)
if [ "$1" = compose ]; then shift; exec podman-compose "$@"; fi
if [ "$1" = build ]; then
    shift
    exec podman build --network host --volume /etc/ssl/certs:/etc/ssl/certs:ro \\
        --env PIP_CERT={ca} --build-arg BASE={base} "$@"
fi
exec podman "$@"
"""


def missing() -> str | None:
    """Why the container tests cannot run here; None when they can."""
    if os.geteuid() != 0:
        return "the container tests need root (rootful podman; docs/container.md chowns a file)"
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        return f"no {', '.join(absent)} (Debian packages: podman runc mmdebstrap uidmap)"
    if shutil.which("podman-compose", path=str(Path(sys.executable).parent)) is None:
        return "no podman-compose beside this Python (pip install -e '.[test]')"
    return None


class Engine:
    """Podman with a storage of its own under `home`; `destroy()` leaves nothing behind."""

    def __init__(self, home: Path) -> None:
        self.home = home
        conf, bin_dir = home / "conf", home / "bin"
        conf.mkdir(parents=True)
        bin_dir.mkdir()
        (conf / "containers.conf").write_text(CONTAINERS_CONF, encoding="utf-8")
        (conf / "storage.conf").write_text(STORAGE_CONF.format(home=home), encoding="utf-8")
        docker = bin_dir / "docker"
        docker.write_text(DOCKER.format(ca=CA_BUNDLE, base=BASE_IMAGE), encoding="utf-8")
        docker.chmod(0o755)
        self.env = {
            **os.environ,
            "CONTAINERS_CONF": str(conf / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(conf / "storage.conf"),
            # podman keeps HEALTHCHECK only in Docker's image format (docs/container.md).
            "BUILDAH_FORMAT": "docker",
            "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
        }

    def podman(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        run = subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        if check and run.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited {run.returncode}:\n{run.stderr[-3000:]}")
        return run

    def shell(self, script: str, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess:
        """Run `script` with bash -euo pipefail, `docker` being podman."""
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd,
                              env={**self.env, **env}, capture_output=True, text=True, timeout=timeout)

    def base_image(self) -> str:
        """The local base image: a Debian bookworm root file system with python3 and venv."""
        if self.podman("image", "exists", BASE_IMAGE, check=False).returncode != 0:
            rootfs = CACHE / "bookworm-python.tar"
            if not rootfs.is_file():
                CACHE.mkdir(parents=True, exist_ok=True)
                # mmdebstrap picks its output format by the name: this one must end in .tar.
                partial = CACHE / "bookworm-python.partial.tar"
                subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase",
                                "--include=python3,python3-venv", "bookworm", str(partial)],
                               check=True, capture_output=True, timeout=900)
                partial.rename(rootfs)
            self.podman("import", "--quiet", str(rootfs), f"{BASE_IMAGE}:latest")
        return BASE_IMAGE

    def inspect(self, what: str, name: str) -> dict:
        return json.loads(self.podman(what, "inspect", name).stdout)[0]

    def healthy(self, name: str, timeout: float = 60) -> bool:
        """Run the container's health check until it passes (what Docker's daemon does on a timer;
        podman's timers need systemd, which this machine lacks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.podman("healthcheck", "run", name, check=False).returncode == 0:
                return True
            time.sleep(0.5)
        return False

    def destroy(self) -> None:
        self.podman("rm", "--all", "--force", "--time", "0", check=False)
        self.podman("volume", "prune", "--force", check=False)
        self.podman("rmi", "--all", "--force", check=False, timeout=600)
        shutil.rmtree(self.home, ignore_errors=True)
