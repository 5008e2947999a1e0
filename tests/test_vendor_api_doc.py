"""Every `§` citation in the repository resolves to a section of docs/vendor-api.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "vendor-api.md"
CITED = re.compile(r"§(\d+[a-z]?)(?: open question (\d+))?")
SOURCES = ("mock_server", "contract_tests", "tests", "bench", "schemas", "docs", "fixtures")


def sections() -> tuple[set[str], set[str]]:
    text = DOC.read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,3} §(\d+[a-z]?)\.", text, re.M))
    questions_part = text.split("## Open questions", 1)[1]
    questions = set(re.findall(r"^(\d+)\. ", questions_part, re.M))
    return headings, questions


def citations() -> list[tuple[str, str, str | None]]:
    found = []
    paths = [p for folder in SOURCES for p in (ROOT / folder).rglob("*")
             if p.suffix in (".py", ".md", ".json") and p != DOC]
    paths += [ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
    for path in paths:
        for match in CITED.finditer(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(ROOT)), match.group(1), match.group(2)))
    return found


def test_every_citation_resolves() -> None:
    headings, questions = sections()
    cited = citations()
    assert len(cited) > 200
    missing = sorted({f"{where}: §{section}" for where, section, _ in cited if section not in headings})
    assert not missing, missing
    unknown = sorted({f"{where}: open question {q}" for where, _, q in cited
                      if q is not None and q not in questions})
    assert not unknown, unknown


def test_the_numbering_is_complete() -> None:
    headings, questions = sections()
    assert headings == {"1", "2", "3", "4", "5", "5a", "5b", "5c", "6", "7", "8", "9"}
    assert questions == {str(n) for n in range(1, 11)}
