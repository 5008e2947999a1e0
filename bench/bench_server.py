"""Throughput, latency, memory and history-independence of `idcard-mock serve`, against a fixed
yardstick measured in the same run.

- **bare** (the yardstick): a Flask app that reads the body and answers a fixed success
  (bench/bare_app.py), under gunicorn with 2 sync workers.
- **floor**: the bare app plus the work no mock of this call can skip: find idcardStr, Base64-decode
  it, hash the image once, write it to a file; same server.
- **mock**: `idcard-mock serve` in its default configuration (2 gevent workers, SQLite file).

Workload: POST /api/paas/idcardocrapp with a real JPEG (noise, so it does not compress) whose
idcardStr is exactly 200 KiB or 4 MiB of Base64, a valid sign made with a live SIGN ticket, a fresh
orderNo and a distinct image per request (a 36-byte JPEG comment right after SOI carries a counter).
Cells: 2 sizes x 1 and 16 concurrent clients; each cell runs the three targets, rotating which goes
first, repeated; medians of the repeats. Clients are threads over http.client, each keeping its
connection alive as long as the server does (gunicorn's sync workers close every one).

Then: peak RSS growth of a single worker for one image whose idcardStr is the 20,971,520-character
limit, and after ten such images in a row; and the history cell: the cost of a token call, a
right and a wrong sign on idcardocrapp and on getOcrResult, after 10 and after 10,000 tickets and
orders (in-process, on a database file, the mock's clock moving a second per call).

    python bench/bench_server.py            # full run (about 4 minutes on 2 cores)
    python bench/bench_server.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import math
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.app import create_app  # noqa: E402
from mock_server.clock import ManualClock  # noqa: E402
from mock_server.limits import IDCARD_STR_MAX  # noqa: E402
from mock_server.served import ServedMock, ServedProcess  # noqa: E402
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings  # noqa: E402
from mock_server.signing import request_sign  # noqa: E402

HOST = "127.0.0.1"
OCR_PATH = "/api/paas/idcardocrapp"
RESULT_PATH = "/api/server/getOcrResult"
VERSION = "1.0.0"
KB = 1024
MB = 1024 * 1024
TARGETS = ("mock", "floor", "bare")

# The targets of the serving issue, against the bare app.
MIN_THROUGHPUT_RATIO = 0.5
MAX_P99_RATIO = 2.5
MAX_PEAK_RSS_FACTOR = 3.0
MAX_HISTORY_DRIFT = 0.20
MAX_WRONG_OVER_RIGHT = 3.0

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




# -- processes ----------------------------------------------------------------------------------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime


def _machine_busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _CLK_TCK


def _status(pid: int, key: str) -> int:
    """A kB figure from /proc/<pid>/status (VmRSS, VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def start(name: str, workdir: Path, workers: int = 2) -> ServedProcess:
    if name == "mock":
        db = workdir / f"mock-{uuid.uuid4().hex[:8]}.sqlite3"
        args = () if workers == 2 else ("--workers", str(workers))  # 2: serve's default
        server = ServedMock(db, *args, workers=workers, strict=False)
        if workers == 2:
            server.command = [c for c in server.command if c not in ("--workers", "2")]
    else:
        folder = workdir / f"{name}-images-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
        server = ServedProcess([sys.executable, str(ROOT / "bench" / "bare_app.py"), name,
                                "--workers", str(workers), "--folder", str(folder)], workers=workers)
    server.name = name  # type: ignore[attr-defined]
    return server.start()


def server_cpu(server: ServedProcess) -> float:
    assert server.process is not None
    return sum(_cpu_seconds(pid) for pid in [server.process.pid, *server.worker_pids])


# -- client -------------------------------------------------------------------------------------


def _get_json(port: int, path: str, params: dict[str, str]) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", f"{path}?{urllib.parse.urlencode(params)}")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def sign_ticket(port: int) -> str:
    token = _get_json(port, "/api/oauth2/access_token", {
        "appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET, "grant_type": "client_credential",
        "version": VERSION})
    ticket = _get_json(port, "/api/oauth2/api_ticket", {
        "appId": DEFAULT_APP_ID, "access_token": token["access_token"], "type": "SIGN",
        "version": VERSION})
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


class Client:
    """One HTTP/1.1 connection, kept alive as long as the server keeps it (a new one when the
    server answers `Connection: close` or has closed it), as a pooled client does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, parts: list[bytes], length: int) -> tuple[int, bytes]:
        for attempt in (1, 2):
            fresh = self.conn is None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=300)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.conn.putrequest("POST", OCR_PATH, skip_accept_encoding=True)
                self.conn.putheader("Content-Type", "application/json")
                self.conn.putheader("Content-Length", str(length))
                self.conn.endheaders(message_body=parts[0])
                for part in parts[1:]:
                    self.conn.sock.sendall(part)
                response = self.conn.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                self.close()
                if fresh or attempt == 2:
                    raise
                continue  # the server closed a kept-alive connection: once more, on a new one
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


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


def drive(server: ServedProcess | list[ServedProcess], load: Requests, concurrency: int,
          seconds: float, min_requests: int) -> RunResult:
    """`concurrency` client threads, one request at a time each, until both `seconds` and
    `min_requests` are reached; with several servers (replicas of one mock), client i talks to
    server i modulo their number, as a round-robin load balancer spreads connections. The mock's
    answers are checked to be code 0 for their order."""
    servers = server if isinstance(server, list) else [server]
    name = servers[0].name  # type: ignore[attr-defined]
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client(i: int) -> None:
        http = Client(servers[i % len(servers)].port)
        try:
            while True:
                with lock:
                    if failures or (time.perf_counter() >= deadline and len(latencies) >= min_requests):
                        return
                parts, length, order_no = load.next_body()
                t0 = time.perf_counter()
                status, data = http.post(parts, length)
                elapsed = time.perf_counter() - t0
                check_answer(name, status, data, order_no if name == "mock" else None)
                with lock:
                    latencies.append(elapsed)
        except BaseException as error:  # surfaced in the main thread below
            with lock:
                failures.append(error)
        finally:
            http.close()

    def cpu() -> float:
        return sum(server_cpu(s) for s in servers)

    cpu0, client0, machine0 = cpu(), time.process_time(), _machine_busy_seconds()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = time.perf_counter()
    if failures:
        raise failures[0]
    return RunResult(len(latencies), finished - started, latencies, cpu() - cpu0,
                     time.process_time() - client0, _machine_busy_seconds() - machine0)


# -- throughput ---------------------------------------------------------------------------------


@dataclass
class Cell:
    image: BenchImage
    concurrency: int
    runs: dict[str, list[RunResult]] = field(default_factory=lambda: {t: [] for t in TARGETS})

    @property
    def name(self) -> str:
        return f"{self.image.label} c={self.concurrency}"

    def median(self, target: str, metric: Callable[[RunResult], float]) -> float:
        return statistics.median(metric(r) for r in self.runs[target])


def throughput(args: argparse.Namespace, workdir: Path, images: list[BenchImage]) -> list[Cell]:
    cells = [Cell(image, c) for image in images for c in (1, 16)]
    servers = {name: start(name, workdir) for name in TARGETS}
    try:
        ticket = sign_ticket(servers["mock"].port)
        loads = {image.label: Requests(ticket, image) for image in images}
        for image in images:  # warm-up: lazy imports, first SQLite pages, the identity generator
            for server in servers.values():
                drive(server, loads[image.label], 2, 0, 8)
        for repeat in range(args.repeats):
            for index, cell in enumerate(cells):
                shift = (repeat + index) % len(TARGETS)
                for name in TARGETS[shift:] + TARGETS[:shift]:
                    result = drive(servers[name], loads[cell.image.label], cell.concurrency,
                                   args.seconds, args.min_requests)
                    cell.runs[name].append(result)
                    print(f"  run {repeat + 1}/{args.repeats}  {cell.name:<13} {name:<5}: "
                          f"{result.requests:5d} req in {result.seconds:5.2f} s  {result.rps:7.1f} req/s  "
                          f"p50 {result.p50 * 1e3:7.2f} ms  p99 {result.p99 * 1e3:7.2f} ms  "
                          f"other load {result.other_cores:4.2f} cores", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return cells


def throughput_table(cells: list[Cell]) -> tuple[str, list[str]]:
    rows = [
        "| cell | target | req/s | p50 ms | p99 ms | server CPU ms/req | client CPU ms/req | other load |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for cell in cells:
        for name in TARGETS:
            rows.append(
                f"| {cell.name} | {name} | {cell.median(name, lambda r: r.rps):.1f} "
                f"| {cell.median(name, lambda r: r.p50) * 1e3:.2f} "
                f"| {cell.median(name, lambda r: r.p99) * 1e3:.2f} "
                f"| {cell.median(name, lambda r: r.server_cpu / r.requests) * 1e3:.2f} "
                f"| {cell.median(name, lambda r: r.client_cpu / r.requests) * 1e3:.2f} "
                f"| {cell.median(name, lambda r: r.other_cores):.2f} |"
            )

        def ratio(a: str, b: str, metric: Callable[[RunResult], float], cell: Cell = cell) -> float:
            return cell.median(a, metric) / cell.median(b, metric)

        rps, p99 = ratio("mock", "bare", lambda r: r.rps), ratio("mock", "bare", lambda r: r.p99)
        rows.append(f"| {cell.name} | **mock/bare** | **{rps:.2f}x** "
                    f"| {ratio('mock', 'bare', lambda r: r.p50):.2f}x | **{p99:.2f}x** | | | |")
        rows.append(f"| {cell.name} | floor/bare | {ratio('floor', 'bare', lambda r: r.rps):.2f}x "
                    f"| {ratio('floor', 'bare', lambda r: r.p50):.2f}x "
                    f"| {ratio('floor', 'bare', lambda r: r.p99):.2f}x | | | |")
        rows.append(f"| {cell.name} | mock/floor | {ratio('mock', 'floor', lambda r: r.rps):.2f}x "
                    f"| {ratio('mock', 'floor', lambda r: r.p50):.2f}x "
                    f"| {ratio('mock', 'floor', lambda r: r.p99):.2f}x | | | |")
        verdicts.append(
            f"{cell.name}: throughput {rps:.2f}x the bare app (target >= {MIN_THROUGHPUT_RATIO}x: "
            f"{'met' if rps >= MIN_THROUGHPUT_RATIO else 'NOT met'}), p99 {p99:.2f}x (target <= "
            f"{MAX_P99_RATIO}x: {'met' if p99 <= MAX_P99_RATIO else 'NOT met'}); the floor is "
            f"{ratio('floor', 'bare', lambda r: r.rps):.2f}x, the mock "
            f"{ratio('mock', 'floor', lambda r: r.rps):.2f}x the floor"
        )
    return "\n".join(rows), verdicts


# -- memory -------------------------------------------------------------------------------------


@dataclass
class PeakResult:
    target: str
    baselines: list[int] = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)
    tenths: list[int] = field(default_factory=list)


def peak_memory(args: argparse.Namespace, workdir: Path, small: BenchImage, big: BenchImage
                ) -> list[PeakResult]:
    """Per target and repeat: a fresh server with one worker, three 200 KB requests to warm it up,
    VmHWM reset (`echo 5 > clear_refs`), one request of the largest idcardStr: the worker's VmHWM
    growth; then nine more such requests (distinct images) on the same worker, and the VmHWM growth
    over the same baseline after the tenth."""
    results = []
    for name in ("mock", "bare"):
        result = PeakResult(name)
        for _ in range(args.peak_repeats):
            server = start(name, workdir, workers=1)
            try:
                ticket = sign_ticket(server.port) if name == "mock" else "0" * 64
                (pid,) = server.worker_pids
                warm, large = Requests(ticket, small), Requests(ticket, big)
                http = Client(server.port)
                for _ in range(3):
                    parts, length, order_no = warm.next_body()
                    check_answer(name, *http.post(parts, length), order_no if name == "mock" else None)
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                baseline = _status(pid, "VmHWM")
                for n in range(10):
                    parts, length, order_no = large.next_body()
                    check_answer(name, *http.post(parts, length), order_no if name == "mock" else None)
                    if n == 0:
                        result.firsts.append(_status(pid, "VmHWM") - baseline)
                result.tenths.append(_status(pid, "VmHWM") - baseline)
                result.baselines.append(baseline)
                http.close()
            finally:
                server.stop()
        results.append(result)
        print(f"  {name}: VmHWM growth for one 20 MB request "
              f"{', '.join(_fmt_bytes(d) for d in result.firsts)}; after ten "
              f"{', '.join(_fmt_bytes(d) for d in result.tenths)}", flush=True)
    return results


def _fmt_bytes(n: float) -> str:
    return f"{n / MB:.1f} MB"


# -- history ------------------------------------------------------------------------------------


class InProcess:
    """The mock in-process on a database file, its clock moving a second per call (a client that
    refreshes its SIGN ticket every few seconds keeps a few tens of tickets live, as a real one
    could)."""

    def __init__(self, workdir: Path) -> None:
        self.clock = ManualClock()
        self.app = create_app(Settings(db=str(workdir / f"history-{uuid.uuid4().hex[:8]}.sqlite3")),
                              clock=self.clock)
        self.http = self.app.test_client()
        self.token = ""
        self.ticket = ""
        self.orders: list[str] = []
        self.count = 0

    def get(self, path: str, params: dict[str, str]) -> dict:
        self.clock.advance(1)
        return self.http.get(path, query_string=params).get_json()

    def token_call(self) -> dict:
        answer = self.get("/api/oauth2/access_token", {
            "appId": DEFAULT_APP_ID, "secret": DEFAULT_SECRET, "grant_type": "client_credential",
            "version": VERSION})
        self.token = answer["access_token"]
        return answer

    def ticket_call(self, kind: str) -> dict:
        params = {"appId": DEFAULT_APP_ID, "access_token": self.token, "type": kind, "version": VERSION}
        if kind == "NONCE":
            params["user_id"] = "user42"
        answer = self.get("/api/oauth2/api_ticket", params)
        if kind == "SIGN":
            self.ticket = answer["tickets"][0]["value"]
        return answer

    def ocr(self, idcard_str: str, right: bool = True) -> dict:
        self.clock.advance(1)
        self.count += 1
        order_no = f"h{self.count:020d}"
        nonce = uuid.uuid4().hex
        sign = request_sign(DEFAULT_APP_ID, order_no, nonce, VERSION, self.ticket)
        body = {"appId": DEFAULT_APP_ID, "orderNo": order_no, "nonce": nonce, "version": VERSION,
                "sign": sign if right else sign[::-1], "idcardStr": idcard_str}
        answer = self.http.post(OCR_PATH, json=body).get_json()
        if right:
            self.orders.append(order_no)
        return answer

    def result(self, right: bool = True) -> dict:
        order_no = random.choice(self.orders)
        nonce = uuid.uuid4().hex
        sign = request_sign(DEFAULT_APP_ID, order_no, nonce, VERSION, self.ticket)
        return self.get(RESULT_PATH, {"app_id": DEFAULT_APP_ID, "order_no": order_no, "nonce": nonce,
                                      "version": VERSION, "sign": sign if right else sign[::-1]})

    def grow(self, calls: int, small_image: str) -> None:
        """`calls` tickets (SIGN and NONCE in turn, a token refresh every 20) and `calls` orders."""
        for n in range(calls):
            if n % 20 == 0:
                self.token_call()
            self.ticket_call("SIGN" if n % 2 == 0 else "NONCE")
            self.ticket_call("SIGN")  # the last ticket issued is a SIGN ticket, for the signs below
            self.ocr(small_image)


def _samples_ms(fn: Callable[[], dict], expect: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        answer = fn()
        times.append((time.perf_counter() - t0) * 1e3)
        if answer["code"] != expect:
            raise RuntimeError(f"expected {expect}, got {answer}")
    return times


ROUNDS = 10


def history(args: argparse.Namespace, workdir: Path, image: BenchImage) -> list[tuple[str, float, float]]:
    """Both histories are built first; then each kind of call is timed on one and the other in
    turn, ROUNDS times, so that the machine's changing load falls on both alike; medians of all
    the samples."""
    small = _small_card()
    wrong_image = (image.b64_prefix(10_000_000) + image.b64_rest).decode()
    warm = InProcess(workdir)  # imports, the identity tables, first pages: not any history's cost
    warm.token_call()
    warm.grow(50, small)
    _costs(warm, image, wrong_image, 20)
    mocks = {}
    for calls in (10, args.history):
        mock = mocks[calls] = InProcess(workdir)
        mock.token_call()
        started = time.perf_counter()
        mock.grow(calls, small)
        store = mock.app.extensions["idcard_mock"].store
        counts = (store.query("SELECT COUNT(*) FROM tickets")[0][0],
                  store.query("SELECT COUNT(*) FROM recognitions")[0][0])
        print(f"  history {calls}: {counts[0]} tickets and {counts[1]} orders kept "
              f"({time.perf_counter() - started:.0f} s to build)", flush=True)
    samples: dict[int, dict[str, list[float]]] = {calls: {} for calls in mocks}
    per_round = max(1, args.history_samples // ROUNDS)
    for round_ in range(ROUNDS):
        for calls, mock in sorted(mocks.items(), reverse=round_ % 2 == 1):
            for call, times in _costs(mock, image, wrong_image, per_round).items():
                samples[calls].setdefault(call, []).extend(times)
    low, high = samples[10], samples[args.history]
    return [(call, statistics.median(low[call]), statistics.median(high[call])) for call in low]


def _costs(mock: InProcess, image: BenchImage, wrong_image: str, n: int) -> dict[str, list[float]]:
    rotate = iter(range(10**9))
    token = _samples_ms(mock.token_call, "0", n)
    mock.ticket_call("SIGN")  # a SIGN ticket of the newest token: the older ones are capped
    return {
        "token call": token,
        "idcardocrapp, right sign (200KB)": _samples_ms(
            lambda: mock.ocr((image.b64_prefix(mock.count + next(rotate)) + image.b64_rest).decode()),
            "0", n),
        "idcardocrapp, wrong sign (200KB)": _samples_ms(lambda: mock.ocr(wrong_image, right=False),
                                                        "400101", n),
        "getOcrResult, right sign": _samples_ms(mock.result, "0", n),
        "getOcrResult, wrong sign": _samples_ms(lambda: mock.result(right=False), "400101", n),
    }


def _small_card() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 180, 160)).save(buffer, "JPEG", quality=80)
    return base64.b64encode(buffer.getvalue()).decode()


def history_table(rows: list[tuple[str, float, float]], history_calls: int) -> tuple[str, list[str]]:
    lines = [f"| call | after 10 | after {history_calls:,} | change |", "|---|---:|---:|---:|"]
    verdicts = []
    worst = 0.0
    for call, before, after in rows:
        change = after / before - 1
        worst = max(worst, abs(change))
        lines.append(f"| {call} | {before:.3f} ms | {after:.3f} ms | {change:+.0%} |")
    by_call = {call: after for call, _, after in rows}
    wrong_ocr = by_call["idcardocrapp, wrong sign (200KB)"] / by_call["idcardocrapp, right sign (200KB)"]
    wrong_result = by_call["getOcrResult, wrong sign"] / by_call["getOcrResult, right sign"]
    verdicts.append(f"history: largest change {worst:.0%} (target within {MAX_HISTORY_DRIFT:.0%}: "
                    f"{'met' if worst <= MAX_HISTORY_DRIFT else 'NOT met'})")
    verdicts.append(f"wrong sign / right sign: idcardocrapp {wrong_ocr:.2f}x, getOcrResult "
                    f"{wrong_result:.2f}x (target <= {MAX_WRONG_OVER_RIGHT}x: idcardocrapp "
                    f"{'met' if wrong_ocr <= MAX_WRONG_OVER_RIGHT else 'NOT met'}, getOcrResult "
                    f"{'met' if wrong_result <= MAX_WRONG_OVER_RIGHT else 'NOT met'})")
    return "\n".join(lines), verdicts


# -- main ---------------------------------------------------------------------------------------


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one short repeat per cell: a smoke run")
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum length of one run")
    parser.add_argument("--min-requests", type=int, default=40, help="minimum requests in one run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell and target")
    parser.add_argument("--peak-repeats", type=int, default=3, help="fresh workers for the RSS figure")
    parser.add_argument("--history", type=int, default=10_000, help="tickets and orders for the history cell")
    parser.add_argument("--history-samples", type=int, default=200, help="calls timed per kind")
    parser.add_argument("--only", choices=("throughput", "memory", "history"), action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.min_requests, args.repeats, args.peak_repeats = 1.0, 8, 1, 1
        args.history, args.history_samples = 300, 40
    parts = set(args.only or ("throughput", "memory", "history"))

    workdir = Path(tempfile.mkdtemp(prefix="idcard-mock-bench-"))
    report: dict = {"machine": machine(), "command": " ".join(sys.argv)}
    verdicts: list[str] = []
    try:
        started = time.perf_counter()
        print("\n".join(machine()))
        print("making images ...", flush=True)
        small = make_image("200KB", 200 * KB, seed=1)
        medium = make_image("4MB", 4 * MB, seed=2)
        tables = []
        if "throughput" in parts:
            print(f"throughput: {args.repeats} x >= {args.seconds} s and >= {args.min_requests} requests "
                  "per cell and target", flush=True)
            cells = throughput(args, workdir, [small, medium])
            table, found = throughput_table(cells)
            tables.append(table)
            verdicts += found
            report["cells"] = [{"cell": c.name, **{t: [{"requests": r.requests, "seconds": r.seconds,
                                                       "rps": r.rps, "p50": r.p50, "p99": r.p99,
                                                       "server_cpu": r.server_cpu} for r in c.runs[t]]
                                                   for t in TARGETS}} for c in cells]
        if "memory" in parts:
            big = make_image("20MB", IDCARD_STR_MAX, seed=3)
            print("peak RSS: one worker each, the largest idcardStr accepted, once and ten times", flush=True)
            peaks = peak_memory(args, workdir, small, big)
            lines = [f"| idcardStr {big.chars:,} chars (JPEG {len(big.jpeg()):,} bytes) | baseline RSS "
                     "| VmHWM growth, first | / idcardStr | VmHWM growth after ten | / idcardStr |",
                     "|---|---:|---:|---:|---:|---:|"]
            for peak in peaks:
                first, tenth = statistics.median(peak.firsts), statistics.median(peak.tenths)
                lines.append(f"| {peak.target} worker | {_fmt_bytes(statistics.median(peak.baselines))} "
                             f"| {_fmt_bytes(first)} | {first / big.chars:.2f}x | {_fmt_bytes(tenth)} "
                             f"| {tenth / big.chars:.2f}x |")
                if peak.target == "mock":
                    verdicts.append(
                        f"peak RSS for one 20 MB image {first / big.chars:.2f}x its size, after ten "
                        f"{tenth / big.chars:.2f}x (target <= {MAX_PEAK_RSS_FACTOR}x: "
                        f"{'met' if max(first, tenth) / big.chars <= MAX_PEAK_RSS_FACTOR else 'NOT met'})")
            tables.append("\n".join(lines))
            report["peak"] = [vars(p) for p in peaks]
        if "history" in parts:
            print(f"history: in-process, after 10 and after {args.history:,} tickets and orders", flush=True)
            rows = history(args, workdir, small)
            table, found = history_table(rows, args.history)
            tables.append(table)
            verdicts += found
            report["history"] = rows
        print("\n" + "\n".join(machine()))
        print(f"command: {' '.join(sys.argv)}  ({time.perf_counter() - started:.0f} s)\n")
        for table in tables:
            print(table + "\n")
        print("\n".join(verdicts))
        report["verdicts"] = verdicts
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=str))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
