"""Fuzz idcard-mock from schemas/openapi.json with Schemathesis and print the figures.

    python -m tests.fuzzing.run --max-examples 8 --seed 20261204          # make test (short)
    python -m tests.fuzzing.run --max-examples 120 --seed 20261204        # make fuzz (long)

Starts `idcard-mock serve` (strict mode, two workers) on a free port and runs `st run` once per
mode (hooks.py): signed and unsigned valid data, then invalid data, each through every phase
(examples, coverage, fuzzing, and the stateful phase that follows the OpenAPI links). A run fails
on any failed check: a 5xx, a response that violates its schema, a wrong status code or content
type, an internal fault, a request accepted without valid credentials or with invalid data.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from subprocess import run

from mock_server.served import ServedMock

ROOT = Path(__file__).parents[2]
OPENAPI = ROOT / "schemas" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
APP_ID = "FUZZ0001"
SECRET = "fuzzingsecret" + "0" * 51
PHASES = "examples,coverage,fuzzing,stateful"
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "no_internal_fault", "credentials_required",
          "invalid_request_refused")
# (hooks mode, Schemathesis data generation mode)
MODES = (("signed", "positive"), ("unsigned", "positive"), ("negative", "negative"))


@dataclass
class Figures:
    mode: str
    cases: int
    failures: dict[str, int]
    errors: int
    seconds: float
    exit_code: int

    @property
    def server_errors(self) -> int:
        return self.failures.get("not_a_server_error", 0)

    @property
    def schema_violations(self) -> int:
        return self.failures.get("response_schema_conformance", 0)

    @property
    def clean(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors


def fuzz(base: str, mode: str, generation: str, max_examples: int, seed: int, phases: str,
         report: Path) -> Figures:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzzing.hooks", "IDCARD_MOCK_FUZZ_BASE": base,
           "IDCARD_MOCK_FUZZ_APP_ID": APP_ID, "IDCARD_MOCK_FUZZ_SECRET": SECRET,
           "IDCARD_MOCK_FUZZ_MODE": mode, "IDCARD_MOCK_FUZZ_TALLY": str(report.with_suffix(".codes")),
           "PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG), "run",
               str(OPENAPI), "--url", base,
               "--mode", generation, "--max-examples", str(max_examples), "--seed", str(seed),
               "--phases", phases, "--checks", ",".join(CHECKS), "--workers", "1",
               "--report", "json", "--report-json-path", str(report), "--no-color"]
    output = report.with_suffix(".txt")
    with output.open("w") as out:
        finished = run(command, env=env, cwd=ROOT, stdout=out, stderr=out, check=False)
    data = json.loads(report.read_text())
    failures: dict[str, int] = {}
    for failure in data["failures"]:
        name = failure.get("check") or failure.get("title") or "unknown"
        failures[name] = failures.get(name, 0) + 1
    if finished.returncode != 0 and not data["failures"] and not data["errors"]:
        print(output.read_text()[-4000:], file=sys.stderr)
    return Figures(mode, data["test_cases"]["generated"], failures, len(data["errors"]),
                   data["running_time"], finished.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, required=True,
                        help="Schemathesis' cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--phases", default=PHASES)
    parser.add_argument("--reports", type=Path, default=None,
                        help="folder for the JSON reports and outputs (default: a temporary one)")
    args = parser.parse_args(argv)
    reports = args.reports or Path(tempfile.mkdtemp(prefix="idcard-mock-fuzz-"))
    reports.mkdir(parents=True, exist_ok=True)
    mock = ServedMock(reports / "mock.sqlite3", "--app", f"{APP_ID}:{SECRET}").start()
    try:
        figures = [fuzz(mock.base, mode, generation, args.max_examples, args.seed, args.phases,
                        reports / f"{mode}.json") for mode, generation in MODES]
    finally:
        mock.stop()
    tracebacks = mock.log.read_text(errors="replace").count("Traceback")
    print(f"schemathesis on {OPENAPI.name}: seed {args.seed}, {args.max_examples} examples per "
          f"operation and phase, phases {args.phases}")
    print(f"{'mode':<10}{'cases':>8}{'failures':>10}{'errors':>8}{'5xx':>6}{'schema':>8}{'seconds':>9}")
    for f in figures:
        print(f"{f.mode:<10}{f.cases:>8}{sum(f.failures.values()):>10}{f.errors:>8}"
              f"{f.server_errors:>6}{f.schema_violations:>8}{f.seconds:>9.1f}")
    total = sum(f.cases for f in figures)
    print(f"{'total':<10}{total:>8}{sum(sum(f.failures.values()) for f in figures):>10}"
          f"{sum(f.errors for f in figures):>8}{sum(f.server_errors for f in figures):>6}"
          f"{sum(f.schema_violations for f in figures):>8}")
    print(f"server tracebacks logged: {tracebacks}; reports in {reports}")
    print("answers by call and code (how far the generated requests reached):")
    for f in figures:
        tally = json.loads((reports / f"{f.mode}.codes").read_text())
        print(f"  {f.mode:<9}" + ", ".join(f"{k} x{v}" for k, v in tally.items()))
    for f in figures:
        for check, count in f.failures.items():
            print(f"FAILED {f.mode}: {check} x{count} (see {reports / f.mode}.txt)")
    return 0 if all(f.clean for f in figures) and tracebacks == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
