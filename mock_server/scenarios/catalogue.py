"""The scenario catalogue as data: every scenario, its kind, parameters and the calls it applies
to; looking one up by name or OCR code."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mock_server import warning_codes
from mock_server.errors import CATALOGUE, OCR_FAILURES
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


def markdown_table() -> str:
    """The README's scenario table, rendered from the catalogue."""
    lines = ["| name | code | what the client sees |", "| --- | --- | --- |"]
    for s in CATALOGUE_SCENARIOS.values():
        code = "—" if s.code is None else f"`{s.code}`"
        lines.append(f"| `{s.name}` | {code} | {s.description.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
