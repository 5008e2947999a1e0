"""The proxy's record of what it judged: one JSON line per upstream answer (the call, the HTTP
status, the violation kinds and the kit's words, ID numbers masked), in a private folder that every
proxy worker appends to and that `GET /_mock/violations` and the CLI's summary on exit both read.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from mock_server import masking

from .validate import KINDS, Violation, names

FILE_NAME = "violations.jsonl"
_RECENT = 50


class ViolationLog:
    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        self._lock = threading.Lock()

    def add(self, *, call: str, status: int | None, found: list[Violation]) -> None:
        line = json.dumps({
            "call": call,
            "status": status,
            "kinds": names(found),
            "details": [masking.id_numbers_in(f"{v.kind}: {v.detail}") for v in found],
        }, ensure_ascii=False)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as file:
                file.write(line + "\n")

    def lines(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def summary(self) -> dict[str, Any]:
        return summarize(self.lines())


def summarize(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers judged, answers with violations, and per kind: how many answers, of which calls."""
    by_kind: dict[str, Counter[str]] = {}
    for line in lines:
        for kind in line["kinds"]:
            by_kind.setdefault(kind, Counter())[line["call"]] += 1
    ordered = [k for k in KINDS if k in by_kind]
    return {
        "answers": len(lines),
        "with_violations": sum(1 for line in lines if line["kinds"]),
        "unanswered": sum(1 for line in lines if line["status"] is None),
        "kinds": {k: {"answers": sum(by_kind[k].values()), "calls": dict(by_kind[k])}
                  for k in ordered},
        "recent": [d for line in lines[-_RECENT:] for d in line["details"]][-_RECENT:],
    }


def format_summary(summary: dict[str, Any]) -> str:
    head = (f"proxy: {summary['answers']} calls forwarded, {summary['with_violations']} answers "
            f"broke the contract, {summary['unanswered']} unanswered (502)")
    rows = [f"  {kind:<20} {info['answers']:>5}  "
            + ", ".join(f"{call} {n}" for call, n in sorted(info["calls"].items()))
            for kind, info in summary["kinds"].items()]
    return "\n".join([head, *rows])
