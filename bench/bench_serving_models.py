"""Why `idcard-mock serve` runs gunicorn's gevent workers: the same bare app (bench/bare_app.py)
under gunicorn's sync, gthread and gevent workers, 2 workers each, measured in the same run.

For each model:
- **stall probe**: 64 idle TCP connections and 4 clients trickling a body at a byte a second are
  opened and held; then a normal request on a new connection: how long it takes to answer (a
  model that gives a worker or a thread to each connection answers only when one is freed; the
  probe gives up after `--stall-timeout` seconds);
- **cost**: 200 KB POSTs on 1 and 16 kept-alive connections for `--seconds`: requests a second,
  p50, p99, and the server processes' CPU time per request (user + system, from /proc), which
  the machine's other load hardly moves.

    python bench/bench_serving_models.py            # about a minute
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.served import ServedProcess  # noqa: E402

MODELS = {
    "sync (2 workers)": ["--worker-class", "sync"],
    "gthread (2 workers x 16 threads)": ["--worker-class", "gthread", "--threads", "16"],
    "gevent (2 workers)": ["--worker-class", "gevent"],
}
PATH = "/api/paas/idcardocrapp"
_CLK_TCK = __import__("os").sysconf("SC_CLK_TCK")


def _cpu(server: ServedProcess) -> float:
    assert server.process is not None
    total = 0.0
    for pid in [server.process.pid, *server.worker_pids]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return total


def _post(conn: http.client.HTTPConnection, body: bytes) -> None:
    conn.request("POST", PATH, body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.will_close:
        conn.close()


def stall_probe(port: int, timeout: float) -> float | None:
    stop = threading.Event()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Content-Length: 1000\r\n\r\n".encode())
            while not stop.wait(1.0):
                try:
                    conn.send(b"x")
                except OSError:
                    return

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        started = time.perf_counter()
        _post(conn, b'{"probe":1}')
        return time.perf_counter() - started
    except (TimeoutError, OSError):
        return None
    finally:
        stop.set()
        for sock in idle:
            sock.close()


def load(server: ServedProcess, concurrency: int, seconds: float, body: bytes
         ) -> tuple[float, float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            _post(conn, body)
            with lock:
                latencies.append(time.perf_counter() - started)
        conn.close()

    cpu0, started = _cpu(server), time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, _cpu(server) - cpu0
    latencies.sort()
    return (len(latencies) / elapsed, statistics.median(latencies) * 1e3,
            latencies[int(len(latencies) * 0.99) - 1] * 1e3, cpu / len(latencies) * 1e3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--stall-timeout", type=float, default=10.0)
    args = parser.parse_args()
    body = b'{"idcardStr":"' + b"A" * 204_800 + b'"}'
    rows = ["| model | request beside 64 idle + 4 trickling | c=1 req/s | c=1 p50 ms | c=16 req/s "
            "| c=16 p99 ms | CPU ms/req (c=16) |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, options in MODELS.items():
        server = ServedProcess([sys.executable, str(ROOT / "bench" / "bare_app.py"), "bare",
                                "--workers", "2", *options], workers=2).start()
        try:
            stalled = stall_probe(server.port, args.stall_timeout)
            time.sleep(1)
            one = load(server, 1, args.seconds, body)
            many = load(server, 16, args.seconds, body)
        finally:
            server.stop()
        probe = f"{stalled * 1e3:.1f} ms" if stalled is not None else f"> {args.stall_timeout:.0f} s"
        rows.append(f"| {name} | {probe} | {one[0]:.0f} | {one[1]:.2f} | {many[0]:.0f} | {many[2]:.1f} "
                    f"| {many[3]:.3f} |")
        print(rows[-1], flush=True)
    print("\n" + "\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
