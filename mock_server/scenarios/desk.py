"""Choosing the scenario a call plays once it has authenticated, and what it does to a
recognition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mock_server.errors import ApiError
from mock_server.recognizer import Recognition
from mock_server.scenarios.catalogue import FAULT_KIND, OCR, OCR_KIND, WARNING_KIND, ScenarioError
from mock_server.scenarios.current import CurrentScenario
from mock_server.scenarios.queue import ScenarioQueue
from mock_server.scenarios.record import CallRecord
from mock_server.scenarios.selection import Selection, TransportFault, select
from mock_server.store import Store


class ScenarioDesk:
    """Where the service asks, once a call has authenticated, which scenario it plays."""

    def __init__(self, store: Store) -> None:
        self.queue = ScenarioQueue(store)
        self.current = CurrentScenario(store)

    def choose(self, record: CallRecord) -> None:
        """After authentication: the header's scenario (or else the one in effect) if it applies
        to this call, else the queue's. Raises what pre-empts the call (a fault, or a code the call
        answers outright)."""
        requested = record.requested or self.current.get()
        if requested is not None and record.endpoint not in requested.scenario.endpoints:
            record.notes.append(f"scenario {requested.name} does not apply to {record.endpoint}")
            requested = None
        self._apply(record, requested or self.queue.take(record.endpoint))

    def choose_from_marker(self, record: CallRecord, marker: Mapping[str, Any] | None) -> None:
        """The image's marker names a scenario for that image, unless one was chosen already."""
        name = (marker or {}).get("scenario")
        if record.selection is not None or not isinstance(name, str):
            return
        try:
            selection = select(name, source="marker")
        except ScenarioError as error:
            record.notes.append(f"image marker: {error}")
            return
        if record.endpoint in selection.scenario.endpoints:
            self._apply(record, selection)

    def _apply(self, record: CallRecord, selection: Selection | None) -> None:
        if selection is None:
            return
        record.selection = selection
        scenario = selection.scenario
        if scenario.kind == FAULT_KIND and not scenario.takes_effect:
            raise TransportFault(selection)
        if scenario.kind == OCR_KIND and record.endpoint != OCR:
            raise ApiError(scenario.error, f"scenario {scenario.name} ({selection.source})")

    @staticmethod
    def recognition(record: CallRecord, recognition: Recognition) -> Recognition:
        """idcardocrapp: what the chosen scenario makes of the recognition before it is recorded."""
        selection = record.selection
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
