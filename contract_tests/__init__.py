"""The idcard-mock contract suite: one set of checks that runs against any target, mock or live.

Run it with `pytest contract_tests [--base-url URL --app-id ID --secret SECRET ...]` from a
checkout, or `idcard-mock contract ...` from anywhere once the package is installed. See
docs/contract.md.
"""

from __future__ import annotations

from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent
