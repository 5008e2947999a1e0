"""Why a sign does not verify, one job per module: `diagnosis` (pure: recompute the common client
mistakes until one reproduces the sign), `fields` (where a signed call keeps its values),
`explainer` (the service's side: tickets and recent nonces from the store), `report` (what
`idcard-mock sign explain` prints)."""

from mock_server.explain.diagnosis import (
    DIAGNOSIS_HEADER,
    NO_LIVE_TICKET,
    TICKET_MISTAKES,
    UNKNOWN,
    Diagnosis,
    SignedRequest,
    TicketCandidate,
    diagnose,
    expected_values,
)
from mock_server.explain.explainer import (
    VERDICT_WORDS,
    SignDiagnosisError,
    SignExplainer,
    mismatch_detail,
)
from mock_server.explain.fields import OCR_FIELDS, RESULT_FIELDS, FieldNames
from mock_server.explain.report import report

__all__ = [
    "DIAGNOSIS_HEADER", "NO_LIVE_TICKET", "OCR_FIELDS", "RESULT_FIELDS", "TICKET_MISTAKES", "UNKNOWN",
    "Diagnosis", "FieldNames", "SignDiagnosisError", "SignExplainer", "SignedRequest",
    "TicketCandidate", "VERDICT_WORDS", "diagnose", "expected_values", "mismatch_detail", "report",
]
