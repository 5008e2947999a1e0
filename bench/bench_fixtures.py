"""Fixture packs: how fast they are written, and how fast the server loads them.

1. Generation: `write_pack` of COUNT entries with images (identities, card drawing, JPEG
   encoding, files), with the default number of processes (one per core) and with one; entries
   per second, median of RUNS.
2. Loading: `create_app` with a PACK-entry pack (default 1,000, generated once into a temporary
   folder), the parsed-manifest cache cleared before each run, so every run reads, schema-checks
   and indexes the manifest afresh; median of RUNS. Then the one-off cost of the first request
   whose image carries no marker (the pack's image files are hashed once), and the time to
   answer a pack image in-process.

    python bench/bench_fixtures.py             # about a minute on 2 cores
    python bench/bench_fixtures.py --quick     # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.app import create_app  # noqa: E402
from mock_server.fixtures import pack as pack_module  # noqa: E402
from mock_server.fixtures.generate import PackGenerator, write_pack  # noqa: E402
from mock_server.fixtures.render import cjk_font_path  # noqa: E402
from mock_server.settings import Settings  # noqa: E402
from tests.support import Flow, card_image  # noqa: E402


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def generation(work: Path, count: int, runs: int) -> dict[str, list[float]]:
    """Entries per second with one process per core ("all") and with one ("one"), the two
    alternating which goes first so that a busy spell of the machine hits both alike."""
    rates: dict[str, list[float]] = {"all": [], "one": []}
    for run in range(runs):
        order = (("all", None), ("one", 1)) if run % 2 == 0 else (("one", 1), ("all", None))
        for name, workers in order:
            out = work / f"gen-{name}-{run}"
            started = time.perf_counter()
            write_pack(out, count, PackGenerator(1000 + run, invalid_share=0.3), workers=workers)
            rates[name].append(count / (time.perf_counter() - started))
            shutil.rmtree(out)
    return rates


def loading(folder: Path, runs: int) -> dict[str, float]:
    settings = Settings(db=":memory:", fixture_dirs=(str(folder),), default_fixtures=False)
    loads = []
    for _ in range(runs):
        pack_module._load.cache_clear()
        started = time.perf_counter()
        app = create_app(settings)
        loads.append(time.perf_counter() - started)
    flow = Flow(app.test_client())
    flow.get_ticket()
    started = time.perf_counter()
    flow.ocr(card_image(1))  # no marker: builds the digest index
    first_unmarked = time.perf_counter() - started
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    images = [(folder / e["image"]).read_bytes() for e in manifest["entries"][:50]]
    started = time.perf_counter()
    for data in images:
        flow.ocr(data)
    per_request = (time.perf_counter() - started) / len(images)
    return {"load_s": statistics.median(loads), "load_max_s": max(loads),
            "first_unmarked_request_s": first_unmarked, "pack_image_request_ms": per_request * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=300, help="entries per generation run")
    parser.add_argument("--pack", type=int, default=1000, help="entries in the pack the server loads")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="count 60, pack 200, 2 runs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.count, args.pack, args.runs = 60, 200, 2

    work = Path(tempfile.mkdtemp(prefix="idcard-mock-bench-fixtures-"))
    try:
        rates = generation(work, args.count, args.runs)
        folder = work / "pack"
        started = time.perf_counter()
        write_pack(folder, args.pack, PackGenerator(7, date(2026, 1, 1), 0.3))
        pack_written = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (folder / "images").iterdir())
        loaded = loading(folder, max(args.runs, 5))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    figures = {
        "machine": {"nproc": _cores(), "arch": platform.machine(), "python": platform.python_version(),
                    "cjk_font": cjk_font_path() is not None},
        "generation_entries_per_s": statistics.median(rates["all"]),
        "generation_entries_per_s_one_process": statistics.median(rates["one"]),
        "pack_entries": args.pack,
        "pack_written_s": pack_written,
        "mean_image_kb": size / args.pack / 1024,
        **loaded,
    }
    m = figures["machine"]
    print(f"machine: nproc={m['nproc']} {m['arch']} Python {m['python']}  CJK font: {m['cjk_font']}")
    print(f"generation ({args.count} entries with images, median of {args.runs}):")
    print(f"  {figures['generation_entries_per_s']:7.1f} entries/s  ({_cores()} processes)")
    print(f"  {figures['generation_entries_per_s_one_process']:7.1f} entries/s  (1 process)")
    print(f"  mean image {figures['mean_image_kb']:.0f} KB")
    print(f"loading a {args.pack}-entry pack into create_app (median of {max(args.runs, 5)}):")
    print(f"  {figures['load_s'] * 1000:7.0f} ms  (max {figures['load_max_s'] * 1000:.0f} ms)")
    print(f"  first request without a marker (hashes the pack's images once): "
          f"{figures['first_unmarked_request_s'] * 1000:.0f} ms")
    print(f"  a pack image, in-process request: {figures['pack_image_request_ms']:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
