"""The container image: its size, and its start-up time until /_mock/health answers, beside the
same server started on the host in the same run.

- **size**: the image built from the Containerfile (`docker build`, podman here, as
  tests/container does it) and its base image, as the engine reports them; the difference is what
  idcard-mock adds (the virtual environment with the wheel and its dependencies).
- **start-up**: from the start of `docker run -d -p PORT:8000 -e IDCARD_MOCK_ADMIN_TOKEN idcard-mock`
  (a fresh container and volume each time) until GET /_mock/health with the token answers 200,
  polled every 20 ms from the host; the baseline is `idcard-mock serve` started on the host
  (the venv's command, a fresh database each time) until the same request answers.

Needs what `make test-container` needs (root, podman, runc, mmdebstrap).

    python bench/bench_container.py                # 7 starts of each
    python bench/bench_container.py --quick        # 2 starts of each: a smoke run
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_server import machine  # noqa: E402

from tests.container.engine import Engine, missing  # noqa: E402

TOKEN = "bench-admin-token"
IMAGE = "idcard-mock"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until_healthy(port: int, started: float, timeout: float = 120) -> float:
    """Seconds from `started` until /_mock/health answers 200."""
    url = f"http://127.0.0.1:{port}/_mock/health"
    while time.perf_counter() - started < timeout:
        try:
            if requests.get(url, headers={"X-Mock-Admin-Token": TOKEN}, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except requests.ConnectionError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"no health answer on port {port} within {timeout} s")


def container_start(engine: Engine) -> tuple[float, float]:
    """Seconds to create the container (its storage: vfs copies the image's files) and from its
    start until health answers; `docker run -d` is the two in a row."""
    port = free_port()
    began = time.perf_counter()
    engine.podman("create", "--name", "bench", "-p", f"{port}:8000",
                  "-e", f"IDCARD_MOCK_ADMIN_TOKEN={TOKEN}", IMAGE)
    created = time.perf_counter()
    try:
        engine.podman("start", "bench")
        return created - began, until_healthy(port, created)
    finally:
        engine.podman("rm", "--force", "--volumes", "--time", "0", "bench")


def host_start(folder: Path, run: int) -> float:
    port = free_port()
    command = [str(Path(sys.executable).parent / "idcard-mock"), "serve", "--port", str(port),
               "--db", str(folder / f"host-{run}.sqlite3"), "--admin-token", TOKEN]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return until_healthy(port, started)
    finally:
        process.terminate()
        process.wait(timeout=30)


def size_mb(engine: Engine, image: str) -> float:
    return int(engine.podman("image", "inspect", "--format", "{{.Size}}", image).stdout) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=7, help="starts of each, alternating")
    parser.add_argument("--quick", action="store_true", help="two starts of each: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.starts = 2
    reason = missing()
    if reason:
        raise SystemExit(f"bench_container: {reason}")
    print("\n".join(machine()))
    with tempfile.TemporaryDirectory(prefix="idcard-mock-bench-") as tmp:
        engine = Engine(Path(tmp) / "engine")
        try:
            base = engine.base_image()
            began = time.perf_counter()
            built = engine.shell(f"docker build --quiet -t {IMAGE} .", cwd=ROOT, timeout=1500)
            if built.returncode != 0:
                raise SystemExit(built.stderr)
            print(f"build (no cache, podman vfs): {time.perf_counter() - began:.0f} s")
            image, base_size = size_mb(engine, IMAGE), size_mb(engine, base)
            print(f"size: image {image:.0f} MB, base {base_size:.0f} MB ({base}), "
                  f"idcard-mock adds {image - base_size:.0f} MB")
            heaviest = engine.podman("run", "--rm", "--entrypoint", "sh", IMAGE, "-c",
                                     "cd /opt/idcard-mock/lib/python3*/site-packages && "
                                     "du -sm -- * | sort -rn | head -8").stdout.split("\n")
            print("largest in site-packages (MB): " + ", ".join(
                "{1} {0}".format(*line.split()) for line in heaviest if line.strip()))
            create, start, host = [], [], []
            for run in range(args.starts):  # alternating, so both see the same machine
                made, up = container_start(engine)
                create.append(made)
                start.append(up)
                host.append(host_start(Path(tmp), run))
            total = [made + up for made, up in zip(create, start, strict=True)]
            h = statistics.median(host)
            print(f"median of {args.starts} starts (min-max), until health answers:")
            for name, values in (("docker run (create + start)", total), ("  create", create),
                                 ("  start until health", start), ("host idcard-mock serve", host)):
                m = statistics.median(values)
                print(f"  {name:<30} {m:6.2f} s  ({min(values):.2f}-{max(values):.2f})  "
                      f"{m / h:5.2f}x host")
        finally:
            engine.destroy()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
