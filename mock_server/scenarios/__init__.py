"""Scenarios: the unhappy answers a developer can ask the mock for, as data.

A scenario is one of three kinds:

- **ocr**: the call answers one of the vendor's OCR failure codes (§5a). The codes and
  messages come from `errors.OCR_FAILURES`; nothing is repeated here. On idcardocrapp the image's
  order records the code, so a later getOcrResult reports it as frontCode/backCode. 66660020 is
  getOcrResult's own answer (§6) and applies to that call only.
- **warning**: idcardocrapp recognises the card (code "0") with warning bits and/or a low
  clarity (§5c); getOcrResult later reports them as front/back WarnCode and MultiWarning.
- **fault**: the transport misbehaves (latency, a gateway's 5xx page, a reset connection, an
  empty or truncated body, a stall). Any vendor call. Faults that a gateway or a failing server
  produces before the call is served (500, 502, 503) leave no trace; the others (504, reset,
  empty body, malformed JSON, stall) happen after the call took effect, so the token was issued
  or the order recorded although the client never saw the answer.

Selection, in order of precedence (the first that names a scenario applicable to the call wins):
the `X-Mock-Scenario` request header, then the scenario in effect (`POST /_mock/scenarios/current`,
`with kyc.scenario(NAME):`, until it is ended), then the queue (`POST /_mock/scenarios/next`, shared by
all workers through the store), then the `scenario` key of the image's idcard-mock marker. A
scenario applies after authentication, so a bad sign, secret or token is answered as such.
A scenario that does not apply to a call (an OCR code on access_token) is ignored by that call
and a queued one waits for a call it applies to.

The package, one job per module: `catalogue` (the scenarios as data), `selection` (a scenario
chosen for a call), `record` (the per-call record), `queue` (the queue in the store), `current`
(the scenario in effect), `desk` (choosing after authentication).
"""

from mock_server.scenarios.catalogue import (
    ACCESS_TOKEN,
    API_TICKET,
    APPLIED_HEADER,
    CATALOGUE_SCENARIOS,
    EMPTY_BODY,
    ENDPOINTS,
    FAULT_KIND,
    HEADER,
    HTTP_ERROR,
    LATENCY,
    LOW_CLARITY,
    MALFORMED_JSON,
    OCR,
    OCR_KIND,
    OCR_RESULT,
    RESET,
    STALL,
    WARNING_KIND,
    Param,
    Scenario,
    ScenarioError,
    lookup,
    markdown_table,
)
from mock_server.scenarios.current import CURRENT, CurrentScenario
from mock_server.scenarios.desk import ScenarioDesk
from mock_server.scenarios.queue import ScenarioQueue
from mock_server.scenarios.record import CallRecord
from mock_server.scenarios.selection import Selection, TransportFault, parse_header, select

__all__ = [
    "ACCESS_TOKEN", "API_TICKET", "APPLIED_HEADER", "CATALOGUE_SCENARIOS", "CURRENT",
    "CurrentScenario", "EMPTY_BODY",
    "ENDPOINTS", "FAULT_KIND", "HEADER", "HTTP_ERROR", "LATENCY", "LOW_CLARITY", "MALFORMED_JSON",
    "OCR", "OCR_KIND", "OCR_RESULT", "RESET", "STALL", "WARNING_KIND", "CallRecord", "Param",
    "Scenario", "ScenarioDesk", "ScenarioError", "ScenarioQueue", "Selection", "TransportFault",
    "lookup", "markdown_table", "parse_header", "select",
]
