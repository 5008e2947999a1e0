"""Scenarios: the unhappy answers a developer can ask the mock for, as data.

A scenario is one of three kinds:

- **ocr**: the call answers one of the vendor's OCR failure codes (api-facts §5a). The codes and
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
the `X-Mock-Scenario` request header, then the queue (`POST /_mock/scenarios/next`, shared by
all workers through the store), then the `scenario` key of the image's idcard-mock marker. A
scenario applies after authentication, so a bad sign, secret or token is answered as such.
A scenario that does not apply to a call (an OCR code on access_token) is ignored by that call
and a queued one waits for a call it applies to.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server import warning_codes
from mock_server.errors import CATALOGUE, OCR_FAILURES, ApiError
from mock_server.recognizer import Recognition
from mock_server.store import Store
from mock_server.warning_codes import MULTI_WARNING_EXAMPLE, WARNINGS

ACCESS_TOKEN = "access_token"
API_TICKET = "api_ticket"
OCR = "idcardocrapp"
OCR_RESULT = "getOcrResult"
ENDPOINTS = (ACCESS_TOKEN, API_TICKET, OCR, OCR_RESULT)

HEADER = "X-Mock-Scenario"
APPLIED_HEADER = "X-Mock-Scenario-Applied"

OCR_KIND, WARNING_KIND, FAULT_KIND = "ocr", "warning", "fault"

# Fault behaviours (what happens on the wire).
LATENCY, HTTP_ERROR, RESET, EMPTY_BODY, MALFORMED_JSON, STALL = (
    "latency", "http-error", "reset", "empty-body", "malformed-json", "stall",
)

# Below the blur threshold of 50 that Tencent's sibling OCR product uses (§5c; scale undocumented).
LOW_CLARITY = "35"


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    maximum: float
    unit: str


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str
    endpoints: frozenset[str]
    summary: str
    error: str | None = None  # catalogue entry (ocr kind)
    bits: tuple[int, ...] = ()  # warning bits (warning kind)
    clarity: str | None = None  # warning kind: clarity override
    fault: str | None = None  # fault behaviour
    status: int | None = None  # HTTP status of an http-error fault
    takes_effect: bool = True  # fault kind: the call is served before the fault happens
    params: tuple[Param, ...] = ()

    @property
    def code(self) -> str | None:
        """The vendor code the client sees: the OCR code, "0" for warnings, None for faults."""
        if self.kind == OCR_KIND:
            return CATALOGUE[self.error].code
        return "0" if self.kind == WARNING_KIND else None

    @property
    def description(self) -> str:
        calls = "any call" if self.endpoints == frozenset(ENDPOINTS) else ", ".join(
            e for e in ENDPOINTS if e in self.endpoints
        )
        text = f"{self.summary} Applies to {calls}."
        if self.params:
            given = ", ".join(f"{p.name}={_number(p.default)} {p.unit} (at most {_number(p.maximum)})"
                              for p in self.params)
            text += f" Parameter: {given}."
        return text

    def multi_warning(self) -> str:
        return warning_codes.multi_warning(self.bits)

    def warning(self) -> str:
        return warning_codes.warning(self.bits)

    def as_listing(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "code": self.code}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _ocr_scenarios() -> Iterator[Scenario]:
    for code, spec in OCR_FAILURES.items():
        # 66660020 is the OCR-result query's answer (§6); every other code answers the OCR call.
        if code == CATALOGUE["ORDER_NOT_FOUND"].code:
            yield Scenario(
                "ocr-order-not-found", OCR_KIND, frozenset({OCR_RESULT}),
                f"getOcrResult answers {code} {spec.msg} although the order exists, as while the "
                "result is not stored yet.",
                error=spec.name,
            )
            continue
        yield Scenario(
            "ocr-" + spec.name.lower().replace("_", "-"), OCR_KIND, frozenset({OCR}),
            f"idcardocrapp answers {code} {spec.msg} for any readable image; the order records the "
            f"code, which getOcrResult reports as frontCode/backCode. Real cause: {spec.description}",
            error=spec.name,
        )


def _warning_scenarios() -> Iterator[Scenario]:
    only_ocr = frozenset({OCR})
    for bit, (slug, text, meaning) in WARNINGS.items():
        yield Scenario(
            f"warning-{slug}", WARNING_KIND, only_ocr,
            f"Recognised with warning bit {bit} set ({text}: {meaning}).", bits=(bit,),
        )
    labels = "; ".join(WARNINGS[b][1] for b in MULTI_WARNING_EXAMPLE)
    yield Scenario(
        "warning-multiple", WARNING_KIND, only_ocr,
        f"Recognised with bits {', '.join(map(str, MULTI_WARNING_EXAMPLE))} set at once, the "
        f"documented multi-warning example ({labels}).",
        bits=MULTI_WARNING_EXAMPLE,
    )
    yield Scenario(
        "warning-undocumented-bits", WARNING_KIND, only_ocr,
        "Recognised with bits 7 and 8 set, whose meaning the vendor does not document: checks "
        "that a backend tolerates warning bits it does not know.",
        bits=(7, 8),
    )
    yield Scenario(
        "warning-low-clarity", WARNING_KIND, only_ocr,
        f"Recognised with no warning bit but clarity {LOW_CLARITY} (blurred image).",
        clarity=LOW_CLARITY,
    )


def _fault_scenarios() -> Iterator[Scenario]:
    every = frozenset(ENDPOINTS)
    yield Scenario(
        "latency", FAULT_KIND, every, "The real answer, sent after a delay.",
        fault=LATENCY, params=(Param("ms", 3000, 60_000, "milliseconds"),),
    )
    yield Scenario(
        "http-500", FAULT_KIND, every,
        "HTTP 500 with a Java application server's JSON error body instead of the envelope; "
        "the call is not served.",
        fault=HTTP_ERROR, status=500, takes_effect=False,
    )
    for status, reason in ((502, "Bad Gateway"), (503, "Service Temporarily Unavailable")):
        yield Scenario(
            f"http-{status}", FAULT_KIND, every,
            f"HTTP {status} with a gateway's HTML page ({reason}); the call is not served.",
            fault=HTTP_ERROR, status=status, takes_effect=False,
        )
    yield Scenario(
        "http-504", FAULT_KIND, every,
        "HTTP 504 with a gateway's HTML page (Gateway Time-out); the call was served, its answer "
        "is lost.",
        fault=HTTP_ERROR, status=504,
    )
    yield Scenario(
        "connection-reset", FAULT_KIND, every,
        "The connection is reset (TCP RST) before any byte of the answer; the call was served.",
        fault=RESET,
    )
    yield Scenario(
        "empty-body", FAULT_KIND, every,
        "HTTP 200, Content-Type JSON, zero bytes of body; the call was served.",
        fault=EMPTY_BODY,
    )
    yield Scenario(
        "malformed-json", FAULT_KIND, every,
        "HTTP 200 with the real answer cut off halfway, so it is not valid JSON; the call was "
        "served.",
        fault=MALFORMED_JSON,
    )
    yield Scenario(
        "stall", FAULT_KIND, every,
        "The answer is held back longer than the usual 30 s client timeout, then sent; the call "
        "was served.",
        fault=STALL, params=(Param("seconds", 35, 110, "seconds"),),
    )


# The catalogue: listing order is this order (OCR codes, warnings, faults).
CATALOGUE_SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in (*_ocr_scenarios(), *_warning_scenarios(), *_fault_scenarios())
}
# An OCR code alone also names its scenario: `X-Mock-Scenario: 66661003`.
_BY_CODE = {s.code: s for s in CATALOGUE_SCENARIOS.values() if s.kind == OCR_KIND}


class ScenarioError(ValueError):
    """A scenario request the mock cannot honour: unknown name, bad parameter, wrong call."""

    def as_json(self) -> dict[str, Any]:
        return {"error": str(self), "scenarios": sorted(CATALOGUE_SCENARIOS)}


def lookup(name: str) -> Scenario:
    scenario = CATALOGUE_SCENARIOS.get(name) or _BY_CODE.get(name)
    if scenario is None:
        raise ScenarioError(f"unknown scenario {name!r}; GET /_mock/scenarios lists them")
    return scenario


@dataclass(frozen=True)
class Selection:
    """A scenario with its parameters resolved, and where it was chosen."""

    scenario: Scenario
    params: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    @property
    def name(self) -> str:
        return self.scenario.name

    def param(self, name: str) -> float:
        return self.params[name]

    def header_value(self) -> str:
        given = "".join(f"; {k}={_number(v)}" for k, v in self.params.items())
        return f"{self.name}{given}; source={self.source}"


def select(name: str, params: Mapping[str, Any] | None = None, source: str = "") -> Selection:
    """Resolve a scenario name and its parameters (defaults filled in, ranges checked)."""
    scenario = lookup(name)
    given = dict(params or {})
    resolved: dict[str, float] = {}
    for p in scenario.params:
        raw = given.pop(p.name, p.default)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ScenarioError(f"{scenario.name}: {p.name} must be a number, got {raw!r}") from None
        if not (math.isfinite(value) and 0 <= value <= p.maximum):
            raise ScenarioError(f"{scenario.name}: {p.name} must be between 0 and {_number(p.maximum)}")
        resolved[p.name] = value
    if given:
        raise ScenarioError(f"{scenario.name} takes no parameter {', '.join(sorted(given))}")
    return Selection(scenario, resolved, source)


def parse_header(text: str) -> Selection:
    """`NAME` or `NAME; param=value; ...` (the X-Mock-Scenario request header)."""
    name, *parts = [p.strip() for p in text.split(";")]
    params: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"{HEADER}: expected NAME; param=value, got {text!r}")
        params[key.strip()] = value.strip()
    return select(name, params, "header")


class TransportFault(Exception):
    """A fault that pre-empts the call: the HTTP layer answers it instead of the call."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection.name)
        self.selection = selection


@dataclass
class Exchange:
    """One vendor call as it goes through the mock: what the HTTP layer knows before the call
    (endpoint, scenario header) and what the call learns on the way (app, order, sign verdict,
    the scenario it applied). The journal is written from it."""

    endpoint: str
    requested: Selection | None = None
    app_id: str | None = None
    order_no: str | None = None
    sign: dict[str, Any] | None = None
    selection: Selection | None = None
    notes: list[str] = field(default_factory=list)


class ScenarioQueue:
    """Scenarios for the next calls, for clients that cannot set a header. Kept in the store, so
    every worker takes from the same queue; taking is one transaction, so two workers never take
    the same use."""

    MAX_COUNT = 1000

    def __init__(self, store: Store) -> None:
        self._store = store

    def push(self, selection: Selection, count: int, endpoint: str | None) -> None:
        if not 1 <= count <= self.MAX_COUNT:
            raise ScenarioError(f"count must be between 1 and {self.MAX_COUNT}")
        if endpoint is not None:
            if endpoint not in ENDPOINTS:
                raise ScenarioError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
            if endpoint not in selection.scenario.endpoints:
                raise ScenarioError(f"{selection.name} does not apply to {endpoint}")
        with self._store.transaction() as conn:
            conn.execute(
                "INSERT INTO scenario_queue (name, params, endpoint, remaining) VALUES (?, ?, ?, ?)",
                (selection.name, json.dumps(dict(selection.params)), endpoint, count),
            )

    def take(self, endpoint: str) -> Selection | None:
        """The oldest queued scenario that applies to `endpoint`, one use of it consumed."""
        # The queue is nearly always empty: a plain read spares every call a write lock.
        if not self._store.query("SELECT 1 FROM scenario_queue LIMIT 1"):
            return None
        with self._store.transaction() as conn:
            rows = conn.execute(
                "SELECT id, name, params, endpoint, remaining FROM scenario_queue ORDER BY id"
            ).fetchall()
            for row in rows:
                scenario = CATALOGUE_SCENARIOS.get(row["name"])
                if scenario is None or endpoint not in scenario.endpoints:
                    continue
                if row["endpoint"] not in (None, endpoint):
                    continue
                if row["remaining"] <= 1:
                    conn.execute("DELETE FROM scenario_queue WHERE id = ?", (row["id"],))
                else:
                    conn.execute(
                        "UPDATE scenario_queue SET remaining = remaining - 1 WHERE id = ?", (row["id"],)
                    )
                return Selection(scenario, json.loads(row["params"]), "queue")
        return None

    def entries(self) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT name, params, endpoint, remaining FROM scenario_queue ORDER BY id"
        )
        return [
            {"name": r["name"], "remaining": r["remaining"], "endpoint": r["endpoint"],
             "params": json.loads(r["params"])}
            for r in rows
        ]

    def clear(self) -> None:
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM scenario_queue")


class ScenarioDesk:
    """Where the service asks, once a call has authenticated, which scenario it plays."""

    def __init__(self, store: Store) -> None:
        self.queue = ScenarioQueue(store)

    def choose(self, exchange: Exchange) -> None:
        """After authentication: the header's scenario if it applies to this call, else the
        queue's. Raises what pre-empts the call (a fault, or a code the call answers outright)."""
        requested = exchange.requested
        if requested is not None and exchange.endpoint not in requested.scenario.endpoints:
            exchange.notes.append(f"scenario {requested.name} does not apply to {exchange.endpoint}")
            requested = None
        self._apply(exchange, requested or self.queue.take(exchange.endpoint))

    def choose_from_marker(self, exchange: Exchange, marker: Mapping[str, Any] | None) -> None:
        """The image's marker names a scenario for that image, unless one was chosen already."""
        name = (marker or {}).get("scenario")
        if exchange.selection is not None or not isinstance(name, str):
            return
        try:
            selection = select(name, source="marker")
        except ScenarioError as error:
            exchange.notes.append(f"image marker: {error}")
            return
        if exchange.endpoint in selection.scenario.endpoints:
            self._apply(exchange, selection)

    def _apply(self, exchange: Exchange, selection: Selection | None) -> None:
        if selection is None:
            return
        exchange.selection = selection
        scenario = selection.scenario
        if scenario.kind == FAULT_KIND and not scenario.takes_effect:
            raise TransportFault(selection)
        if scenario.kind == OCR_KIND and exchange.endpoint != OCR:
            raise ApiError(scenario.error, f"scenario {scenario.name} ({selection.source})")

    @staticmethod
    def recognition(exchange: Exchange, recognition: Recognition) -> Recognition:
        """idcardocrapp: what the chosen scenario makes of the recognition before it is recorded."""
        selection = exchange.selection
        if selection is None:
            return recognition
        scenario = selection.scenario
        if scenario.kind == OCR_KIND:
            return Recognition(side=recognition.side, code=scenario.code)
        if scenario.kind == WARNING_KIND and recognition.code == "0":
            return Recognition(
                side=recognition.side, code="0", fields=recognition.fields,
                warning=scenario.warning(), multi_warning=scenario.multi_warning(),
                clarity=scenario.clarity or recognition.clarity,
            )
        return recognition


def markdown_table() -> str:
    """The README's scenario table, rendered from the catalogue."""
    lines = ["| name | code | what the client sees |", "| --- | --- | --- |"]
    for s in CATALOGUE_SCENARIOS.values():
        code = "—" if s.code is None else f"`{s.code}`"
        lines.append(f"| `{s.name}` | {code} | {s.description.replace('|', '/')} |")
    return "\n".join(lines) + "\n"

