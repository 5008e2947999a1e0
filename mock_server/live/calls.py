"""The four vendor calls the proxy forwards and the recorder and drift report name (§2, §3, §6, §7)."""

from __future__ import annotations

TOKEN, TICKET, OCR, OCR_RESULT = "access_token", "api_ticket", "idcardocrapp", "getOcrResult"

PATHS = {
    "/api/oauth2/access_token": TOKEN,
    "/api/oauth2/api_ticket": TICKET,
    "/api/paas/idcardocrapp": OCR,
    "/api/server/getOcrResult": OCR_RESULT,
}
PATH_OF = {call: path for path, call in PATHS.items()}
METHOD_OF = {TOKEN: "GET", TICKET: "GET", OCR: "POST", OCR_RESULT: "GET"}

# The response schema of each call in schemas/.
RESPONSE_SCHEMA = {
    TOKEN: "access_token.response.json",
    TICKET: "api_ticket.response.json",
    OCR: "idcardocrapp.response.json",
    OCR_RESULT: "getOcrResult.response.json",
}
