"""Wall time of the whole contract suite against the mock (median of N runs).

Two targets, each run as a user would run it, in a fresh process:
- `idcard-mock contract` with no --base-url: the suite starts the mock in-process itself;
- `idcard-mock contract --base-url URL` against `idcard-mock serve` (2 workers, a SQLite file),
  started once before the runs (its start-up is not counted).

The wall time includes the interpreter start and imports; pytest's own session time is printed
beside it.

    python bench/bench_contract.py            # 3 runs per target
    python bench/bench_contract.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.served import ServedMock  # noqa: E402

SESSION_TIME = re.compile(r" in ([0-9.]+)s")


def run_suite(*args: str) -> tuple[float, float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mock_server.cli", "contract", *args, "--", "-q"],
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the suite failed (exit {done.returncode}):\n{done.stdout[-3000:]}")
    tail = done.stdout.strip().splitlines()[-1]
    match = SESSION_TIME.search(tail)
    return wall, float(match.group(1)) if match else float("nan"), tail


def bench(label: str, runs: int, *args: str) -> None:
    walls, sessions, tail = [], [], ""
    for _ in range(runs):
        wall, session, tail = run_suite(*args)
        walls.append(wall)
        sessions.append(session)
    print(f"{label:<44} wall {statistics.median(walls):6.2f} s   pytest session "
          f"{statistics.median(sessions):5.2f} s   (median of {runs}; {tail.strip('= ')})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    bench("in-process mock (no --base-url)", args.runs)

    with tempfile.TemporaryDirectory() as folder:
        server = ServedMock(Path(folder) / "bench.sqlite3", strict=False).start()
        try:
            bench("idcard-mock serve, 2 workers (--base-url)", args.runs, "--base-url", server.base)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
