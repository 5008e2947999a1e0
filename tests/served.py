"""`idcard-mock serve` as a real process on a free loopback port, for tests that need the wire.

The server is started on port 0: the operating system picks a free port and gunicorn reports it,
so two test runs never race for a port chosen in advance."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServedMock:
    def __init__(self, db: str | Path, *args: str, workers: int = 2) -> None:
        self.db = str(db)
        self.args = args
        self.workers = workers
        self.port = 0
        self.base = ""
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkdtemp(prefix="idcard-mock-")) / "server.log"

    def start(self) -> ServedMock:
        command = [sys.executable, "-m", "mock_server.cli", "serve", "--port", "0",
                   "--db", self.db, "--workers", str(self.workers), "--strict", *self.args]
        # Output goes to a file: an unread pipe would block a chatty server.
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            if not self.port:
                match = _LISTENING.search(self.log.read_text(errors="replace"))
                if match is None:
                    time.sleep(0.05)
                    continue
                self.port = int(match.group(1))
                self.base = f"http://127.0.0.1:{self.port}"
            try:
                requests.get(f"{self.base}/api/oauth2/access_token", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and every worker, nothing flushed."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
