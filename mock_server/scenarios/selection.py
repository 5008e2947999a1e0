"""A scenario chosen for a call: its parameters resolved, where it came from (header, queue,
marker), and the transport fault that pre-empts a call."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.scenarios.catalogue import HEADER, Scenario, ScenarioError, _number, lookup


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
