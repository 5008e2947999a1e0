"""The error precedence: each call runs its checks in the order of `service.PRECEDENCE`, a
request that fails several checks is answered by the first, and docs/fidelity.md's tables are
that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.errors import ApiError
from mock_server.scenarios import OCR
from mock_server.service import (
    PRECEDENCE,
    base64_image,
    known_app,
    readable_image,
    requested_side,
    valid_sign,
)
from scripts.update_precedence_tables import END, START, block, update
from tests.support import Flow, b64, card_image

# One fault per check of idcardocrapp, each breaking that check alone.
OCR_FAULTS = {
    PRECEDENCE[OCR][0]: {"nonce": 12345},
    known_app: {"appId": "TIDA9999"},
    valid_sign: {"sign": "0" * 40},
    base64_image: {"idcardStr": "not Base64 at all!"},
    readable_image: {"idcardStr": b64(b"GIF89a, not a card")},
    requested_side: {"cardType": "1"},
}


def test_every_fault_here_breaks_a_check_of_idcardocrapp():
    assert set(OCR_FAULTS) <= set(PRECEDENCE[OCR])


@pytest.mark.parametrize("first", range(len(OCR_FAULTS)))
def test_a_request_failing_several_checks_is_answered_by_the_first(app, flow: Flow, first: int):
    """The faults of the checks from `first` on, together: the earliest check in PRECEDENCE
    answers, with one of the answers its row in the docs gives."""
    checks = [c for c in PRECEDENCE[OCR] if c in OCR_FAULTS]
    body = flow.ocr_body(card_image(7, side="portrait"))
    for check in reversed(checks[first:]):
        body.update(OCR_FAULTS[check])
    service = app.extensions["idcard_mock"].service
    with pytest.raises(ApiError) as raised:
        service.ocr(body)
    assert raised.value.name in checks[first].answers


def test_the_maintainer_script_rewrites_a_stale_block(tmp_path: Path):
    doc = tmp_path / "fidelity.md"
    doc.write_text(f"before\n{START}\n| stale |\n{END}\nafter\n", encoding="utf-8")
    update(doc)
    assert doc.read_text(encoding="utf-8") == f"before\n{block()}\nafter\n"


def test_fidelity_notes_show_the_precedence_the_service_runs():
    doc = (Path(__file__).parents[1] / "docs" / "fidelity.md").read_text(encoding="utf-8")
    assert block() in doc, (
        "docs/fidelity.md's precedence tables are stale: run "
        "`python scripts/update_precedence_tables.py docs/fidelity.md`"
    )
