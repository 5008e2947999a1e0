"""Throughput, latency and memory of `idcard-mock serve` against a bare Flask app (bench/bare_app.py)
under the same gunicorn configuration, driven by the same client in the same run.

Workload: POST /api/paas/idcardocrapp with a real JPEG (noise, so it does not compress) whose
idcardStr is exactly 200 KiB or 4 MiB of Base64, a valid sign made with a live SIGN ticket, a fresh
orderNo and a distinct image per request (a 36-byte JPEG comment right after SOI carries a counter,
so the mock stores every image, as it would for a real client; the Base64 of the rest of the file is
computed once). Cells: 2 sizes x 1 and 16 concurrent connections. Each cell runs both targets,
alternating which goes first, repeated; medians of the repeats are printed. Then the peak RSS growth
of a single worker for one image whose idcardStr is exactly the 20971520-character limit.

The client is threads over http.client with pre-built bodies (no JSON encoding, no copy of the
image per request). Client and servers share the machine's cores, so the table prints the client's
CPU time per request beside the server workers', and the cores both kept busy: a cell where the
client's share is large, or the cores are not busy, shows itself.

    python bench/bench_server.py            # full run (about 3 minutes on 2 cores)
    python bench/bench_server.py --quick    # smoke run (about 15 s)
    python bench/bench_server.py --profile  # where the mock's time goes: in-process, cProfile
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import http.client
import io
import json
import math
import os
import platform
import pstats
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from mock_server.limits import IDCARD_STR_MAX
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from mock_server.signing import request_sign

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
OCR_PATH = "/api/paas/idcardocrapp"
VERSION = "1.0.0"
KB = 1024
MB = 1024 * 1024

# The targets.
MIN_THROUGHPUT_RATIO = 0.8
MAX_P99_RATIO = 1.5
MAX_PEAK_RSS_FACTOR = 3.0

# SOI (2 bytes) + a comment segment (4 + 30 bytes) = 36 bytes, a multiple of 3, so the Base64 of the
# rest of the file does not depend on the comment and is encoded once per size.
_TAG_LEN = 30
_PREFIX_LEN = 2 + 4 + _TAG_LEN
_COM_MAX_DATA = 65533
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- images -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchImage:
    """A noise JPEG whose Base64 is exactly `chars` long; `jpeg(n)` is its n-th distinct copy, whose
    Base64 is `b64_prefix(n) + b64_rest`."""

    label: str
    chars: int
    width: int
    height: int
    b64_rest: bytes

    def b64_prefix(self, n: int) -> bytes:
        return base64.b64encode(_prefix(n))

    def jpeg(self, n: int = 0) -> bytes:
        return _prefix(n) + base64.b64decode(self.b64_rest)


def _com(data: bytes) -> bytes:
    return b"\xff\xfe" + (len(data) + 2).to_bytes(2, "big") + data


def _prefix(n: int) -> bytes:
    tag = f"idcard-mock bench {n:012d}".encode("ascii")
    assert len(tag) == _TAG_LEN
    return b"\xff\xd8" + _com(tag)


def _padding(size: int) -> bytes:
    """Comment segments of exactly `size` bytes in all (size is 0 or at least 4)."""
    if size == 0:
        return b""
    count = math.ceil(size / (_COM_MAX_DATA + 4))
    sizes = [size // count] * count
    sizes[0] += size - sum(sizes)
    return b"".join(_com(b" " * (s - 4)) for s in sizes)


def make_image(label: str, chars: int, seed: int) -> BenchImage:
    """Noise at JPEG quality 90 (about 0.9 byte per pixel), card-shaped (85.6 x 54 mm); the height
    is the largest whose file, padded with comment segments, makes exactly `chars` of Base64."""
    target = chars // 4 * 3
    width = max(16, int(math.sqrt(target / 0.9 * 85.6 / 54)))
    tallest = int(target / 0.9 / width * 1.25) + 16
    rng = random.Random(seed)
    noise = Image.frombytes("RGB", (width, tallest), rng.randbytes(width * tallest * 3))

    def encode(height: int) -> bytes:
        buffer = io.BytesIO()
        noise.crop((0, 0, width, height)).save(buffer, "JPEG", quality=90)
        return buffer.getvalue()

    room = target - _PREFIX_LEN + 2 - 4  # the largest encoded file that leaves >= 4 bytes for padding
    low, high = 1, tallest
    best = encode(low)
    while low < high:
        middle = (low + high + 1) // 2
        data = encode(middle)
        if len(data) <= room:
            low, best = middle, data
        else:
            high = middle - 1
    rest = best[2:]
    padding = _padding(target - _PREFIX_LEN - len(rest))
    b64_rest = base64.b64encode(padding + rest)
    image = BenchImage(label, chars, width, low, b64_rest)
    assert len(image.b64_prefix(0)) + len(b64_rest) == chars
    with Image.open(io.BytesIO(image.jpeg(7))) as check:
        check.load()
    return image


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime


def _machine_busy_seconds() -> float:
    """CPU time all processes on the machine used so far (the first line of /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _CLK_TCK


def _status(pid: int, key: str) -> int:
    """A kB figure from /proc/<pid>/status (VmRSS, VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    workers: int
    log: Path

    @property
    def worker_pids(self) -> list[int]:
        return _children(self.process.pid)

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.worker_pids)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up; see {self.log}:\n{self.log.read_text()}")
            if len(self.worker_pids) == self.workers:
                try:
                    with socket.create_connection((HOST, self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start within {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _mock_command(port: int, db: Path, workers: int) -> list[str]:
    script = Path(sys.executable).parent / "idcard-mock"
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "mock_server.cli"]
    return [*launcher, "serve", "--host", HOST, "--port", str(port), "--db", str(db),
            "--workers", str(workers)]


def _bare_command(port: int, workers: int) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--host", HOST, "--port", str(port),
            "--workers", str(workers)]


@contextmanager
def running(name: str, workdir: Path, workers: int) -> Iterator[Server]:
    port = free_port()
    log = workdir / f"{name}-{port}.log"
    if name == "mock":
        command = _mock_command(port, workdir / f"mock-{port}.sqlite3", workers)
    else:
        command = _bare_command(port, workers)
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(name, port, process, workers, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


# -- client -------------------------------------------------------------------------------------


def _get_json(port: int, path: str, params: dict[str, str]) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", f"{path}?{urllib.parse.urlencode(params)}")
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


def sign_ticket(port: int) -> str:
    token = _get_json(port, "/api/oauth2/access_token", {
        "appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET, "grant_type": "client_credential",
        "version": VERSION,
    })
    if token.get("code") != "0":
        raise RuntimeError(f"access_token failed: {token}")
    ticket = _get_json(port, "/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": token["access_token"], "type": "SIGN",
        "version": VERSION,
    })
    if ticket.get("code") != "0":
        raise RuntimeError(f"api_ticket failed: {ticket}")
    return ticket["tickets"][0]["value"]


class Requests:
    """Signed idcardocrapp bodies, each with a fresh orderNo, nonce and image variant."""

    def __init__(self, ticket: str, image: BenchImage) -> None:
        self._ticket = ticket
        self._image = image
        self._count = 0
        self._lock = threading.Lock()
        self._run = uuid.uuid4().hex[:8]

    def next_body(self) -> tuple[list[bytes], int, str]:
        with self._lock:
            self._count += 1
            n = self._count
        order_no = f"b{self._run}{n:015d}"
        nonce = uuid.uuid4().hex
        sign = request_sign(DEFAULT_APP_ID, order_no, nonce, VERSION, self._ticket)
        head = (
            f'{{"appId":"{DEFAULT_APP_ID}","version":"{VERSION}","nonce":"{nonce}",'
            f'"orderNo":"{order_no}","sign":"{sign}","idcardStr":"'
        ).encode("ascii") + self._image.b64_prefix(n)
        parts = [head, self._image.b64_rest, b'"}']
        return parts, sum(len(p) for p in parts), order_no


def post(port: int, parts: list[bytes], length: int) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.putrequest("POST", OCR_PATH, skip_accept_encoding=True)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(length))
        conn.endheaders(message_body=parts[0])
        for part in parts[1:]:
            conn.sock.sendall(part)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_answer(target: str, status: int, data: bytes, order_no: str | None) -> None:
    answer = json.loads(data)
    if status != 200 or answer.get("code") != "0":
        raise RuntimeError(f"{target} answered HTTP {status}: {data[:300]!r}")
    if order_no is not None and answer["result"]["orderNo"] != order_no:
        raise RuntimeError(f"{target} answered for order {answer['result']['orderNo']}, not {order_no}")


@dataclass
class RunResult:
    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    server_cpu: float
    client_cpu: float
    machine_cpu: float

    @property
    def other_cores(self) -> float:
        """Cores kept busy by processes other than the client and the servers: noise."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.client_cpu) / self.seconds

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]  # nearest rank


def drive(server: Server, requests: Requests, concurrency: int, seconds: float, min_requests: int,
          check_order: bool) -> RunResult:
    """`concurrency` threads, each one request at a time on a new connection (gunicorn's sync workers
    close every connection), until both `seconds` and `min_requests` are reached."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client() -> None:
        try:
            while True:
                with lock:
                    if failures or (time.perf_counter() >= deadline and len(latencies) >= min_requests):
                        return
                parts, length, order_no = requests.next_body()
                t0 = time.perf_counter()
                status, data = post(server.port, parts, length)
                elapsed = time.perf_counter() - t0
                check_answer(server.name, status, data, order_no if check_order else None)
                with lock:
                    latencies.append(elapsed)
        except BaseException as error:  # surfaced in the main thread below
            with lock:
                failures.append(error)

    cpu0, client0, machine0 = server.cpu_seconds(), time.process_time(), _machine_busy_seconds()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    if failures:
        raise failures[0]
    return RunResult(len(latencies), finished - started, latencies, server.cpu_seconds() - cpu0,
                     time.process_time() - client0, _machine_busy_seconds() - machine0)


# -- the benchmark ------------------------------------------------------------------------------


@dataclass
class Cell:
    image: BenchImage
    concurrency: int
    runs: dict[str, list[RunResult]] = field(default_factory=lambda: {"mock": [], "bare": []})

    @property
    def name(self) -> str:
        return f"{self.image.label} c={self.concurrency}"

    def median(self, target: str, metric: Callable[[RunResult], float]) -> float:
        return statistics.median(metric(r) for r in self.runs[target])


def _fmt_bytes(n: float) -> str:
    return f"{n / MB:.1f} MB"


def throughput(args: argparse.Namespace, workdir: Path, images: list[BenchImage]) -> list[Cell]:
    cells = [Cell(image, c) for image in images for c in (1, 16)]
    with running("mock", workdir, args.workers) as mock, running("bare", workdir, args.workers) as bare:
        servers = {"mock": mock, "bare": bare}
        ticket = sign_ticket(mock.port)
        loads = {image.label: Requests(ticket, image) for image in images}
        for image in images:  # warm-up: lazy imports, first SQLite pages, the identity generator
            for name, server in servers.items():
                drive(server, loads[image.label], args.workers, 0, 4 * args.workers, name == "mock")
        for repeat in range(args.repeats):
            for index, cell in enumerate(cells):
                order = ("mock", "bare") if (repeat + index) % 2 == 0 else ("bare", "mock")
                for name in order:
                    result = drive(servers[name], loads[cell.image.label], cell.concurrency,
                                   args.seconds, args.min_requests, name == "mock")
                    cell.runs[name].append(result)
                    print(f"  run {repeat + 1}/{args.repeats}  {cell.name:<13} {name}: "
                          f"{result.requests:5d} req in {result.seconds:5.2f} s  {result.rps:7.1f} req/s  "
                          f"p50 {result.p50 * 1e3:7.1f} ms  p99 {result.p99 * 1e3:7.1f} ms  "
                          f"other load {result.other_cores:4.2f} cores", flush=True)
    return cells


def throughput_table(cells: list[Cell]) -> tuple[str, list[str]]:
    rows = [
        "| cell | target | req/s | p50 ms | p99 ms | server CPU ms/req | client CPU ms/req | cores busy "
        "| other load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for cell in cells:
        for name in ("mock", "bare"):
            rows.append(
                f"| {cell.name} | {name} | {cell.median(name, lambda r: r.rps):.1f} "
                f"| {cell.median(name, lambda r: r.p50) * 1e3:.1f} "
                f"| {cell.median(name, lambda r: r.p99) * 1e3:.1f} "
                f"| {cell.median(name, lambda r: r.server_cpu / r.requests) * 1e3:.1f} "
                f"| {cell.median(name, lambda r: r.client_cpu / r.requests) * 1e3:.2f} "
                f"| {cell.median(name, lambda r: (r.server_cpu + r.client_cpu) / r.seconds):.2f} "
                f"| {cell.median(name, lambda r: r.other_cores):.2f} |"
            )
        rps = cell.median("mock", lambda r: r.rps) / cell.median("bare", lambda r: r.rps)
        p50 = cell.median("mock", lambda r: r.p50) / cell.median("bare", lambda r: r.p50)
        p99 = cell.median("mock", lambda r: r.p99) / cell.median("bare", lambda r: r.p99)
        cpu = (cell.median("mock", lambda r: r.server_cpu / r.requests)
               / cell.median("bare", lambda r: r.server_cpu / r.requests))
        rows.append(f"| {cell.name} | **mock/bare** | **{rps:.2f}x** | {p50:.2f}x | **{p99:.2f}x** "
                    f"| {cpu:.2f}x | | | |")
        verdicts.append(
            f"{cell.name}: throughput {rps:.2f}x (target >= {MIN_THROUGHPUT_RATIO}x: "
            f"{'met' if rps >= MIN_THROUGHPUT_RATIO else 'NOT met'}), p99 {p99:.2f}x (target <= "
            f"{MAX_P99_RATIO}x: {'met' if p99 <= MAX_P99_RATIO else 'NOT met'})"
        )
    return "\n".join(rows), verdicts


@dataclass
class PeakResult:
    target: str
    baselines: list[int]
    deltas: list[int]
    retained: list[int]
    later: list[int]

    @property
    def baseline(self) -> int:
        return int(statistics.median(self.baselines))

    @property
    def delta(self) -> int:
        return int(statistics.median(self.deltas))


def _reset_hwm(pid: int) -> None:
    """Writing 5 to clear_refs sets VmHWM back to the current RSS (proc(5)), so the next peak is the
    request's own and not the warm-up's."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _send_one(server: Server, load: Requests, check_order: bool) -> None:
    parts, length, order_no = load.next_body()
    check_answer(server.name, *post(server.port, parts, length), order_no if check_order else None)


def peak_memory(args: argparse.Namespace, workdir: Path, small: BenchImage, big: BenchImage
                ) -> list[PeakResult]:
    """Per target and repeat: a fresh server with one worker, three 200 KB requests to warm it up,
    VmHWM reset, one request of the largest idcardStr: VmHWM growth, and RSS kept after it. Then two
    more such requests on the same worker: their VmHWM over the same baseline, because glibc keeps
    freed heap for reuse and a later large request starts from a fatter, fragmented heap. A fresh
    worker per repeat, so that every first figure is a first request's."""
    results = []
    for name in ("mock", "bare"):
        result = PeakResult(name, [], [], [], [])
        checked = name == "mock"
        for _ in range(args.peak_repeats):
            with running(name, workdir, 1) as server:
                ticket = sign_ticket(server.port) if name == "mock" else "0" * 64
                (pid,) = server.worker_pids
                warm, large = Requests(ticket, small), Requests(ticket, big)
                for _ in range(3):
                    _send_one(server, warm, checked)
                _reset_hwm(pid)
                baseline = _status(pid, "VmHWM")
                _send_one(server, large, checked)
                result.baselines.append(baseline)
                result.deltas.append(_status(pid, "VmHWM") - baseline)
                result.retained.append(_status(pid, "VmRSS") - baseline)
                for _ in range(2):
                    _send_one(server, large, checked)
                result.later.append(_status(pid, "VmHWM") - baseline)
        results.append(result)
        print(f"  {name}: baseline RSS {_fmt_bytes(result.baseline)}, VmHWM growth for one 20 MB request "
              f"{', '.join(_fmt_bytes(d) for d in result.deltas)}; RSS kept after it "
              f"{', '.join(_fmt_bytes(d) for d in result.retained)}; VmHWM growth after two more "
              f"{', '.join(_fmt_bytes(d) for d in result.later)}", flush=True)
    return results


def machine() -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return [
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"machine: nproc {len(os.sched_getaffinity(0))}, {platform.machine()}, {cpu}, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        f"python: {platform.python_version()} ({sys.executable})",
        f"kernel: {platform.system()} {platform.release()}",
    ]


# -- in-process profile -------------------------------------------------------------------------


def profile(args: argparse.Namespace, workdir: Path, images: list[BenchImage]) -> None:
    """The request path without HTTP: the Flask app in this process, through its test client, under
    cProfile; the same bodies as the benchmark. Prints where each size's time goes."""
    from mock_server.app import create_app
    from mock_server.settings import Settings

    app = create_app(Settings(db=str(workdir / "profile.sqlite3")))
    client = app.test_client()
    token = client.get("/api/oauth2/access_token", query_string={
        "appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET, "grant_type": "client_credential",
        "version": VERSION}).get_json()["access_token"]
    ticket = client.get("/api/oauth2/api_ticket", query_string={
        "appId": DEFAULT_APP_ID, "access_token": token, "type": "SIGN", "version": VERSION,
    }).get_json()["tickets"][0]["value"]
    for image in images:
        load = Requests(ticket, image)
        bodies = [load.next_body() for _ in range(args.profile_requests + 3)]
        joined = [(b"".join(parts), order_no) for parts, _length, order_no in bodies]
        for body, order_no in joined[:3]:  # warm-up
            check_answer("mock", 200, client.post(OCR_PATH, data=body, content_type="application/json")
                         .data, order_no)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for body, _order_no in joined[3:]:
            client.post(OCR_PATH, data=body, content_type="application/json")
        profiler.disable()
        per_request = (time.perf_counter() - started) / args.profile_requests
        print(f"\n== {image.label}: {per_request * 1e3:.1f} ms per request in-process (under cProfile), "
              f"{args.profile_requests} requests; by {args.profile_sort}, top {args.profile_top} ==")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort).print_stats(args.profile_top)
        print(out.getvalue())


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="one short repeat per cell: a smoke run")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers for both targets (idcard-mock serve's default: 2)")
    parser.add_argument("--seconds", type=float, default=6.0, help="minimum length of one run")
    parser.add_argument("--min-requests", type=int, default=40, help="minimum requests in one run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell and target")
    parser.add_argument("--peak-repeats", type=int, default=3, help="20 MB requests for the RSS figure")
    parser.add_argument("--profile", action="store_true", help="profile the mock in-process instead")
    parser.add_argument("--profile-requests", type=int, default=30)
    parser.add_argument("--profile-sort", default="tottime", help="pstats order: tottime, cumulative")
    parser.add_argument("--profile-top", type=int, default=25, help="functions listed per size")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.min_requests, args.repeats, args.peak_repeats = 1.0, 8, 1, 1
        args.profile_requests = 5

    workdir = Path(tempfile.mkdtemp(prefix="idcard-mock-bench-"))
    try:
        started = time.perf_counter()
        print("\n".join(machine()))
        print("making images ...", flush=True)
        small = make_image("200KB", 200 * KB, seed=1)
        medium = make_image("4MB", 4 * MB, seed=2)
        if args.profile:
            profile(args, workdir, [small, medium])
            return 0
        big = make_image("20MB", IDCARD_STR_MAX, seed=3)
        for image in (small, medium, big):
            print(f"  {image.label}: {image.width}x{image.height} JPEG of {len(image.jpeg()):,} bytes, "
                  f"idcardStr {image.chars:,} chars")
        print(f"throughput: {args.workers} sync workers each, {args.repeats} x >= {args.seconds} s "
              f"and >= {args.min_requests} requests per cell and target", flush=True)
        cells = throughput(args, workdir, [small, medium])
        print("peak RSS: one worker each, one request of the largest idcardStr accepted", flush=True)
        peaks = peak_memory(args, workdir, small, big)

        table, verdicts = throughput_table(cells)
        print("\n" + "\n".join(machine()))
        print(f"command: {' '.join(sys.argv)}  ({time.perf_counter() - started:.0f} s)\n")
        print(table + "\n")
        jpeg_bytes = len(big.jpeg())
        print(f"| idcardStr {big.chars:,} chars (JPEG {jpeg_bytes:,} bytes) | baseline RSS "
              f"| VmHWM growth, first request | / idcardStr | / JPEG | RSS kept after it "
              f"| VmHWM growth after 3 requests | / idcardStr |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for peak in peaks:
            later = statistics.median(peak.later)
            print(f"| {peak.target} worker | {_fmt_bytes(peak.baseline)} | {_fmt_bytes(peak.delta)} "
                  f"| {peak.delta / big.chars:.2f}x | {peak.delta / jpeg_bytes:.2f}x "
                  f"| {_fmt_bytes(statistics.median(peak.retained))} | {_fmt_bytes(later)} "
                  f"| {later / big.chars:.2f}x |")
        mock_peak = next(p for p in peaks if p.target == "mock")
        factor = mock_peak.delta / big.chars
        later = statistics.median(mock_peak.later) / big.chars
        verdicts.append(f"peak RSS growth for one 20 MB image {factor:.2f}x the idcardStr (target <= "
                        f"{MAX_PEAK_RSS_FACTOR}x: {'met' if factor <= MAX_PEAK_RSS_FACTOR else 'NOT met'}); "
                        f"{later:.2f}x once the worker has served three")
        print("\n" + "\n".join(verdicts))
        if args.json:
            args.json.write_text(json.dumps({
                "machine": machine(),
                "cells": [{
                    "cell": cell.name,
                    **{name: [{"requests": r.requests, "seconds": r.seconds, "rps": r.rps, "p50": r.p50,
                               "p99": r.p99, "server_cpu": r.server_cpu, "client_cpu": r.client_cpu,
                               "machine_cpu": r.machine_cpu}
                              for r in runs] for name, runs in cell.runs.items()},
                } for cell in cells],
                "peak": [{"target": p.target, "baselines": p.baselines, "deltas": p.deltas,
                          "retained": p.retained, "later": p.later} for p in peaks],
                "image_chars": big.chars, "image_jpeg_bytes": jpeg_bytes, "verdicts": verdicts,
            }, indent=1))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
