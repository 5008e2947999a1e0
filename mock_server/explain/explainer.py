"""The service's sign explainer: the diagnosis fed with the app's tickets and recent nonces from
the store, attached to the vendor's bare 400101 (§5b); and the recent nonces themselves."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mock_server import masking, schemas
from mock_server.errors import ApiError
from mock_server.explain.diagnosis import (
    OTHER_APP_TICKET,
    Diagnosis,
    SignedRequest,
    TicketCandidate,
    diagnose,
)
from mock_server.explain.fields import FieldNames

if TYPE_CHECKING:
    from mock_server.credentials import Credentials
    from mock_server.store import Store

_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_VERDICTS = {"SIGN_MISMATCH": "mismatch", "INVALID_TICKET": "invalid-ticket"}
# What each verdict the journal records (`sign.verdict`) means, in plain words.
VERDICT_WORDS = {
    "ok": "verified",
    "mismatch": "does not verify",
    "invalid-ticket": "made with a ticket that is not a live SIGN ticket of the app",
    "malformed": "not a SHA-1 hex string (40 characters)",
}


def mismatch_detail(app_id: str) -> str:
    return ("sign is not SHA-1 of the sorted appId, orderNo, nonce, version and a live SIGN ticket "
            f"of app {app_id}")


class SignDiagnosisError(ApiError):
    """The vendor's answer to a bad sign, with the mock's diagnosis attached: the whole account
    (`detail`, `diagnosis.header()`) for loopback callers and admin-token holders, the name of the
    mistake only (`public_detail`, `public_header`) for anyone else."""

    def __init__(self, error: ApiError, diagnosis: Diagnosis, app_id: str) -> None:
        super().__init__(error.name, f"{error.detail}; likely mistake: {diagnosis.explanation}")
        self.diagnosis = diagnosis
        told = error.detail
        if error.name == "INVALID_TICKET" and OTHER_APP_TICKET in diagnosis.mistakes:
            told = mismatch_detail(app_id)
        self.public_detail = f"{told}; likely mistake: {diagnosis.public_label()}"
        self.public_header = masking.ascii_header(diagnosis.public_label())


class SignExplainer:
    """Diagnoses a failed sign with the app's tickets and recent nonces from the store, and keeps
    the recent nonces (a bounded few per app) to recognise a stale one."""

    RECENT_NONCES = 16

    def __init__(self, store: Store, credentials: Credentials) -> None:
        self._store = store
        self._credentials = credentials

    def tickets(self, app_id: str) -> list[TicketCandidate]:
        return [TicketCandidate(value, status)
                for value, status in self._credentials.recent_tickets(app_id)]

    def previous(self, app_id: str) -> list[tuple[str, str]]:
        rows = self._store.query(
            "SELECT order_no, nonce FROM recent_nonces WHERE app_id = ? ORDER BY id DESC LIMIT ?",
            (app_id, self.RECENT_NONCES),
        )
        return [(r["order_no"], r["nonce"]) for r in rows]

    def remember(self, request: SignedRequest) -> None:
        """Keep the nonce (in the current write: the request's batch), and only the newest few."""
        app_id, order_no, nonce, keep = request.app_id, request.order_no, request.nonce, self.RECENT_NONCES

        def write(conn) -> None:
            conn.execute(
                "INSERT INTO recent_nonces (app_id, order_no, nonce) VALUES (?, ?, ?)",
                (app_id, order_no, nonce),
            )
            conn.execute(
                "DELETE FROM recent_nonces WHERE app_id = ? AND id <= (SELECT id FROM recent_nonces "
                "WHERE app_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (app_id, app_id, keep),
            )

        self._store.write(write)

    def diagnose(self, request: SignedRequest) -> Diagnosis:
        return diagnose(request, self.tickets(request.app_id), self.previous(request.app_id))

    def explained(self, error: ApiError, request: SignedRequest, verdicts: dict[str, Any]) -> ApiError:
        """`error` (a failed verify_sign) with its diagnosis; `verdicts` receives the journal's
        account of the sign."""
        verdict = _VERDICTS.get(error.name)
        if verdict is None:
            return error
        diagnosis = self.diagnose(request)
        verdicts.update(verdict=verdict, **diagnosis.as_json())
        return SignDiagnosisError(error, diagnosis, request.app_id)

    def malformed(
        self, error: ApiError, schema: str, request: Any, names: FieldNames, verdicts: dict[str, Any]
    ) -> ApiError:
        """A shape failure caused by the sign alone (a SHA-256 or MD5 hex string where 40 hex
        characters belong) is diagnosed like a mismatch; any other shape failure is left as is."""
        if not isinstance(request, Mapping):
            return error
        given = request.get("sign")
        if not (isinstance(given, str) and _HEX.match(given) and len(given) in (32, 64)):
            return error
        if schemas.first_error(schema, {**request, "sign": "0" * 40}) is not None:
            return error
        app_key = schemas.app_id_key(schema, request)
        if app_key is None or not self._credentials.knows(request[app_key]):
            return error
        signed = names.read(app_key, request)
        diagnosis = self.diagnose(signed)
        verdicts.update(verdict="malformed", **diagnosis.as_json())
        return SignDiagnosisError(error, diagnosis, signed.app_id)
