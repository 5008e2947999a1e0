"""The project fuzzes itself: a short, seeded Schemathesis run over schemas/openapi.json against
`idcard-mock serve` (`make fuzz` is the long one; figures in docs/fuzzing.md)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from schemathesis.core.parameters import ParameterLocation

from tests.fuzzing import hooks, run

SHORT_EXAMPLES = 8
SEED = 20261204


def test_a_short_seeded_run_finds_nothing(tmp_path, capsys):
    assert run.main(["--max-examples", str(SHORT_EXAMPLES), "--seed", str(SEED),
                     "--reports", str(tmp_path)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    assert int(total[1]) >= 300 and total[2:] == ["0", "0", "0", "0"], out
    signed = json.loads((tmp_path / "signed.codes").read_text())
    unsigned = json.loads((tmp_path / "unsigned.codes").read_text())
    # Signed requests get past authentication: recognised cards, image and order answers.
    assert signed.get("idcardOcr 0", 0) > 0 and signed.get("getOcrResult 66660020", 0) > 0
    assert any(key.startswith("idcardOcr 6666") for key in signed)
    # Unsigned ones never do.
    assert set(unsigned) == {k for k in unsigned if k.endswith(" 400101")}


def response(code: str, detail: str = "") -> SimpleNamespace:
    return SimpleNamespace(json=lambda: {"code": code}, headers={"x-mock-detail": [detail]})


OPERATIONS = {op["operationId"]: op for item in json.loads(run.OPENAPI.read_text())["paths"].values()
              for op in item.values()}


def case(operation_id: str, negative: tuple[str, ...] = (), query=None, body=None) -> SimpleNamespace:
    components = {ParameterLocation(where): SimpleNamespace(mode=SimpleNamespace(is_negative=True))
                  for where in negative}
    return SimpleNamespace(operation=SimpleNamespace(definition=SimpleNamespace(
        raw=OPERATIONS[operation_id])), meta=SimpleNamespace(components=components),
        query=query, body=body)


def test_the_checks_fail_what_they_name(monkeypatch):
    with pytest.raises(AssertionError, match="internal fault"):
        hooks.no_internal_fault(None, response("66661099", "internal fault: KeyError"), case("idcardOcr"))
    hooks.no_internal_fault(None, response("66661099", "the fixture says so"), case("idcardOcr"))
    monkeypatch.setattr(hooks, "MODE", "unsigned")
    with pytest.raises(AssertionError, match="without valid credentials"):
        hooks.credentials_required(None, response("0"), case("getOcrResult"))
    hooks.credentials_required(None, response("400101"), case("getOcrResult"))
    with pytest.raises(AssertionError, match="body violates"):
        hooks.invalid_request_refused(None, response("0"), case("idcardOcr", ("body",), body={}))
    hooks.invalid_request_refused(None, response("400101"), case("idcardOcr", ("body",), body={}))
    hooks.invalid_request_refused(None, response("0"), case("idcardOcr", ("query",), query={"x": 1}))
    valid = {"app_id": "FUZZ0001", "order_no": "o1", "nonce": "n1", "version": "1.0.0",
             "sign": "A" * 40}
    with pytest.raises(AssertionError, match="query violates"):
        hooks.invalid_request_refused(None, response("0"), case(
            "getOcrResult", ("query",), query={**valid, "sign": "short"}))
    # An extra parameter is invalid to OpenAPI, not to the vendor's calls; the first value counts.
    hooks.invalid_request_refused(None, response("0"), case(
        "getOcrResult", ("query",), query={**valid, "extra": [1, 2], "nonce": ["n1", "%"]}))
