"""Two `idcard-mock serve` replicas sharing one PostgreSQL database, in the cells of
bench/bench_server.py (the same workload: idcardocrapp with a distinct 200 KiB or 4 MiB idcardStr
image per request, 1 and 16 concurrent clients), beside the default single server on SQLite
measured in the same run.

- **sqlite**: `idcard-mock serve` as bench_server.py's "mock" (2 gevent workers, SQLite file).
- **postgresql x2**: two replicas of 1 gevent worker each (the same two processes in all) on one
  PostgreSQL database; client connections alternate between them, as a round-robin load balancer
  spreads them. Each request's order, image, journal entry and nonce go to PostgreSQL.

The database is `--db-url` if given, else a throwaway server started here (tests/postgres.py:
the system's initdb and pg_ctl, fsync off as the mock's SQLite has synchronous=OFF).

    python bench/bench_replicas.py                    # full run
    python bench/bench_replicas.py --quick            # smoke run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_server import KB, MB, Requests, drive, machine, make_image, sign_ticket  # noqa: E402

from mock_server.served import ServedMock  # noqa: E402
from tests.postgres import PostgresServer, find_bin  # noqa: E402


def run(servers: list[ServedMock], load: Requests, concurrency: int, seconds: float,
        min_requests: int) -> tuple[float, float, float]:
    """req/s, p50 and p99 (ms) with `concurrency` clients spread over `servers`."""
    result = drive(servers, load, concurrency, seconds, min_requests)
    return result.rps, result.p50 * 1e3, result.p99 * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", help="a PostgreSQL database to use (default: a throwaway server)")
    parser.add_argument("--quick", action="store_true", help="one short run per cell: a smoke run")
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum length of one run")
    parser.add_argument("--min-requests", type=int, default=40, help="minimum requests in one run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell and target")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.min_requests, args.repeats = 1.0, 8, 1
    print("\n".join(machine()))
    pg = None
    url = args.db_url
    if url is None:
        bindir = find_bin()
        if bindir is None:
            print("no PostgreSQL binaries found: give --db-url, or install Debian's postgresql")
            return 2
        pg = PostgresServer(bindir).init()
        pg.start()
        url = pg.new_database()
    workdir = Path(tempfile.mkdtemp(prefix="bench-replicas-"))
    images = [make_image("200KB", 200 * KB, seed=1), make_image("4MB", 4 * MB, seed=2)]
    targets = {
        "sqlite": [ServedMock(workdir / f"mock-{uuid.uuid4().hex[:8]}.sqlite3", strict=False)],
        "postgresql x2": [ServedMock(url, workers=1, strict=False),
                          ServedMock(url, workers=1, strict=False)],
    }
    rows = []
    try:
        for servers in targets.values():
            for server in servers:
                server.name = "mock"  # type: ignore[attr-defined]  # drive checks a mock's answers
                server.start()
        # One token and SIGN ticket per target: a second token would cut the first one's life to 60 s.
        tickets = {name: sign_ticket(servers[0].port) for name, servers in targets.items()}
        loads = {name: {image.label: Requests(tickets[name], image) for image in images}
                 for name in targets}
        results: dict[tuple[str, str, int], list[tuple[float, float, float]]] = {}
        for name, servers in targets.items():  # warm-up
            for image in images:
                run(servers, loads[name][image.label], 2, 0, 8)
        for repeat in range(args.repeats):
            for image in images:
                for concurrency in (1, 16):
                    order = list(targets) if repeat % 2 == 0 else list(reversed(targets))
                    for name in order:
                        figures = run(targets[name], loads[name][image.label],
                                      concurrency, args.seconds, args.min_requests)
                        results.setdefault((image.label, name, concurrency), []).append(figures)
                        print(f"  run {repeat + 1}/{args.repeats}  {image.label} c={concurrency:<2} "
                              f"{name:<13}: {figures[0]:7.1f} req/s  p50 {figures[1]:7.2f} ms  "
                              f"p99 {figures[2]:7.2f} ms", flush=True)
        for image in images:
            for concurrency in (1, 16):
                for name in targets:
                    runs = results[(image.label, name, concurrency)]
                    rps, p50, p99 = (statistics.median(r[i] for r in runs) for i in range(3))
                    rows.append(f"| {image.label} c={concurrency} | {name} | {rps:.1f} | {p50:.1f} "
                                f"| {p99:.1f} |")
    finally:
        for servers in targets.values():
            for server in servers:
                server.stop()
        if pg is not None:
            pg.destroy()
    print(f"\n### Two replicas on PostgreSQL (medians of {args.repeats} runs)\n")
    print("| cell | target | req/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
