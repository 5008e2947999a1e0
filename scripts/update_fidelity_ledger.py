"""Maintainer script: rewrite the Tests column of docs/fidelity.md's ledger from the tests.

    python scripts/update_fidelity_ledger.py docs/fidelity.md

Every behaviour row of docs/fidelity.md begins with its identifier (`F-TOK-1`: the section's
prefix and a number) and ends with the tests that prove it. A test names the rows it proves with
a marker, `@pytest.mark.fidelity("F-TOK-1", "F-TOK-3")`; the Tests column is rendered from those
markers, read from the source of `tests/` (so a partial run cannot change it).
`tests/test_fidelity_ledger.py` fails while a row has no identifier or no test, a test names a
row that does not exist, or the column differs from this rendering.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
HEADER = "| ID | Behaviour | Mark | Source | Tests |"
ROW_ID = re.compile(r"^\| (F-[A-Z]+-[1-9][0-9]*) \|")
_SEPARATOR = re.compile(r"^\|[-| :]+\|$")


def _is_fidelity_marker(node: ast.expr) -> bool:
    """`pytest.mark.fidelity(...)` (or `mark.fidelity(...)`)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "fidelity" and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "mark")


def markers(tests: Path = TESTS) -> dict[str, list[str]]:
    """Each row identifier named by a test, and the tests that name it (`file.py::test`)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(tests.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"), str(path))
        scopes = [(module.body, "")]
        while scopes:
            body, prefix = scopes.pop()
            for node in body:
                if isinstance(node, ast.ClassDef):
                    scopes.append((node.body, f"{prefix}{node.name}::"))
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                name = f"{path.relative_to(tests).as_posix()}::{prefix}{node.name}"
                for decorator in node.decorator_list:
                    if _is_fidelity_marker(decorator):
                        for arg in decorator.args:
                            found[arg.value if isinstance(arg, ast.Constant) else ast.unparse(arg)].add(name)
    return {row: sorted(names) for row, names in found.items()}


def ledger_lines(text: str) -> list[int]:
    """The indexes of the lines that are rows of a ledger table."""
    lines, rows, inside = text.split("\n"), [], False
    for i, line in enumerate(lines):
        if line == HEADER:
            inside = True
        elif inside and line.startswith("|") and not _SEPARATOR.match(line):
            rows.append(i)
        elif not line.startswith("|"):
            inside = False
    return rows


def render(text: str, found: dict[str, list[str]]) -> str:
    """`text` with the Tests cell of each ledger row rewritten from `found`."""
    lines = text.split("\n")
    for i in ledger_lines(text):
        match = ROW_ID.match(lines[i])
        if match is None:
            continue
        head = lines[i].rstrip().removesuffix("|").rsplit("|", 1)[0]
        tests = ", ".join(f"`{name}`" for name in found.get(match.group(1), []))
        lines[i] = f"{head}| {tests} |"
    return "\n".join(lines)


def problems(text: str, found: dict[str, list[str]]) -> list[str]:
    """Everything that keeps the ledger from being checked: each as one line."""
    lines, seen, out = text.split("\n"), set(), []
    for line in lines:
        if line.startswith("| ") and "| Behaviour |" in line and line != HEADER:
            out.append(f"a behaviour table whose header is not {HEADER!r}: {line}")
    for i in ledger_lines(text):
        match = ROW_ID.match(lines[i])
        if match is None:
            out.append(f"line {i + 1}: a behaviour row without an identifier: {lines[i][:80]}")
            continue
        row = match.group(1)
        if row in seen:
            out.append(f"line {i + 1}: {row} is used twice")
        seen.add(row)
        if not found.get(row):
            out.append(f"{row} has no test: mark one with @pytest.mark.fidelity({row!r})")
    for row, names in sorted(found.items()):
        if row not in seen:
            out.append(f"{', '.join(names)} names {row}, which is no row of docs/fidelity.md")
    return out


def update(path: Path, tests: Path = TESTS) -> None:
    path.write_text(render(path.read_text(encoding="utf-8"), markers(tests)), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    update(Path(sys.argv[1]))
    print(f"updated the Tests column of {sys.argv[1]}")
