"""docs/fidelity.md as a checked ledger: every behaviour row has an identifier and a test that
names it (`@pytest.mark.fidelity`), every test names rows that exist, and the rows' Tests column
is what scripts/update_fidelity_ledger.py renders from those markers."""

from __future__ import annotations

from pathlib import Path

from scripts.update_fidelity_ledger import HEADER, markers, problems, render, update

DOC = Path(__file__).parents[1] / "docs" / "fidelity.md"


def test_every_row_has_a_test_and_every_test_names_a_row():
    assert problems(DOC.read_text(encoding="utf-8"), markers()) == []


def test_the_tests_column_names_the_tests_that_prove_each_row():
    text = DOC.read_text(encoding="utf-8")
    assert text == render(text, markers()), (
        "docs/fidelity.md's Tests column is stale: run "
        "`python scripts/update_fidelity_ledger.py docs/fidelity.md`"
    )


LEDGER = f"""# notes

{HEADER}
|---|---|---|---|---|
| F-X-1 | proven | assumed | — | stale |
| F-X-2 | not proven | assumed | — |  |
| a row without an identifier | assumed | — |  |

| Behaviour | Mark | Source |
|---|---|---|
| a table of the old shape | assumed | — |
"""


def _marked(tmp_path: Path, *decorators: str) -> Path:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text("import pytest\n\n\n" + "".join(
        f"{decorator}\ndef test_{i}():\n    pass\n\n\n" for i, decorator in enumerate(decorators)))
    return tests


def test_the_check_names_each_kind_of_fault(tmp_path: Path):
    tests = _marked(tmp_path, '@pytest.mark.fidelity("F-X-1")', '@pytest.mark.fidelity("F-X-1", "F-Y-9")')
    found = markers(tests)
    assert found == {"F-X-1": ["test_x.py::test_0", "test_x.py::test_1"], "F-Y-9": ["test_x.py::test_1"]}
    assert problems(LEDGER, found) == [
        f"a behaviour table whose header is not {HEADER!r}: | Behaviour | Mark | Source |",
        "F-X-2 has no test: mark one with @pytest.mark.fidelity('F-X-2')",
        "line 7: a behaviour row without an identifier: | a row without an identifier | assumed | — |  |",
        "test_x.py::test_1 names F-Y-9, which is no row of docs/fidelity.md",
    ]


def test_the_maintainer_script_rewrites_the_tests_column(tmp_path: Path):
    tests = _marked(tmp_path, '@pytest.mark.fidelity("F-X-1")')
    doc = tmp_path / "fidelity.md"
    doc.write_text(LEDGER, encoding="utf-8")
    update(doc, tests)
    rewritten = doc.read_text(encoding="utf-8")
    assert "| F-X-1 | proven | assumed | — | `test_x.py::test_0` |" in rewritten
    assert "| F-X-2 | not proven | assumed | — |  |" in rewritten
    assert rewritten.replace("`test_x.py::test_0`", "stale") == LEDGER
