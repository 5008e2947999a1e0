"""A server as a child process on a loopback port, for tests and benchmarks that need the wire.

A server is started on port 0 unless told otherwise: the operating system picks a free port and the
server reports it ("Listening at: http://127.0.0.1:PORT", as `idcard-mock serve` and gunicorn
both print it), so two runs never race for a port chosen in advance.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServedProcess:
    def __init__(self, command: list[str], *, workers: int = 0,
                 cwd: str | os.PathLike[str] | None = None) -> None:
        self.command = command
        self.workers = workers
        self.cwd = cwd
        self.port = 0
        self.base = ""
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="idcard-mock-")) / "server.log"

    def start(self, timeout: float = 30) -> ServedProcess:
        # Output goes to a file: an unread pipe would block a chatty server.
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=self.cwd,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            if not self.base:
                match = _LISTENING.search(self.log.read_text(errors="replace"))
                if match is None:
                    time.sleep(0.05)
                    continue
                self.port = int(match.group(1))
                self.base = f"http://127.0.0.1:{self.port}"
            if self.ready():
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start within {timeout} s: {self.log.read_text(errors='replace')}")

    def ready(self) -> bool:
        """Every worker (if it says how many) is up and a connection is accepted."""
        if len(self.worker_pids) < self.workers:
            return False
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
        except OSError:
            return False
        return True

    @property
    def worker_pids(self) -> list[int]:
        assert self.process is not None
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_pid(self) -> None:
        """SIGKILL the PID this object holds, and only it (`Popen.kill()`), as a test harness does."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def kill(self) -> None:
        """SIGKILL the whole process group: the server and every worker, nothing flushed."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, as a service manager stops a server; SIGKILL if it is still there after 15 s."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class ServedMock(ServedProcess):
    """`idcard-mock serve` on `db` (port 0 unless given), with the extra command-line `args`."""

    def __init__(self, db: str | os.PathLike[str], *args: str, workers: int = 2, port: int = 0,
                 strict: bool = True) -> None:
        self.db = str(db)
        command = [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port),
                   "--db", self.db, "--workers", str(workers), *(["--strict"] if strict else []),
                   *args]
        super().__init__(command, workers=workers)
