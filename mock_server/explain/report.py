"""The report `idcard-mock sign explain` prints."""

from __future__ import annotations

from mock_server.explain.diagnosis import Diagnosis, SignedRequest


def report(request: SignedRequest, diagnosis: Diagnosis, expected_sign: str | None) -> str:
    """What `idcard-mock sign explain` prints."""
    lines = [
        f"sign given     {request.sign}",
        f"sign expected  {expected_sign or '(no live SIGN ticket)'}",
        "values hashed  " + " ".join(diagnosis.expected) + "  (sorted, concatenated, SHA-1)",
        f"diagnosis      {'+'.join(diagnosis.mistakes) or 'correct'}",
        f"               {diagnosis.explanation}",
    ]
    return "\n".join(lines)
