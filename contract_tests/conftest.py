"""The contract suite's machinery: its options and target, the shared client and OCR calls, the
central schema check of every answer, observations, redaction and the closing summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from contract_tests import SUITE_DIR, checks
from contract_tests import target as targets
from contract_tests.client import Client
from contract_tests.kit import Kit, OcrCall, ocr_call, user_id
from contract_tests.target import Target

KIT = pytest.StashKey[Kit]()
RECORDS = pytest.StashKey[dict[str, "CheckRecord"]]()
OFF_SCHEMA = pytest.StashKey[bool]()

# What a check asserts: the documented contract, a choice of the mock (docs/fidelity.md) that
# is only observed elsewhere, or something only the mock can be asked.
DOCUMENTED, MOCK_CHOICE, MOCK_ONLY = "documented", "mock choice", "mock only"


@dataclass
class CheckRecord:
    kind: str
    observed: bool = False
    outcome: str = "passed"
    note: str = ""


@dataclass
class _Crash:
    """Enough of pytest's crash location for the terminal's and JUnit's one-line messages."""

    path: str
    lineno: int
    message: str


class RedactedRepr:
    """A failure report rendered to text once, with secrets removed and ID numbers masked."""

    def __init__(self, text: str, crash: _Crash | None) -> None:
        self.text = text
        self.reprcrash = crash

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


# -- session -----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    targets.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_only(reason): the check asserts a choice of the mock (docs/fidelity.md); "
        "skipped against any other target.",
    )
    config.addinivalue_line(
        "markers",
        "observe(reason): asserted against the mock; against any other target a failure is "
        "reported as an observation, never failed.",
    )
    config.addinivalue_line(
        "markers",
        "moves_clock: the check moves the mock's clock; it runs last, and only with "
        "--kyc-may-move-clock.",
    )


def kit_of(config: pytest.Config) -> Kit:
    if KIT not in config.stash:
        target = targets.resolve(config)
        config.stash[KIT] = Kit(target)
        config.stash[RECORDS] = {}
    return config.stash[KIT]


def pytest_sessionstart(session: pytest.Session) -> None:
    # Resolve the target before collection: a usage mistake (a live URL without images or
    # credentials) stops the run before anything is sent.
    kit_of(session.config)


def _record(item: pytest.Item, target: Target) -> CheckRecord:
    if item.get_closest_marker("mock_only"):
        return CheckRecord(MOCK_ONLY)
    if item.get_closest_marker("observe"):
        return CheckRecord(MOCK_CHOICE, observed=not target.is_mock)
    return CheckRecord(DOCUMENTED)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = kit_of(config).target
    # A check that moves the mock's clock ages every token, ticket and order made before it: run
    # those checks after all others.
    items.sort(key=lambda item: item.get_closest_marker("moves_clock") is not None)
    for item in items:
        if item.get_closest_marker("moves_clock") and not target.may_move_clock:
            item.add_marker(pytest.mark.skip(
                reason="moves the mock's clock: only on a mock this run owns (--kyc-may-move-clock)"
            ))
    if target.is_mock:
        return
    for item in items:
        marker = item.get_closest_marker("mock_only")
        if marker is not None and SUITE_DIR in item.path.parents:
            reason = marker.args[0] if marker.args else "a choice of the mock"
            item.add_marker(pytest.mark.skip(
                reason=f"mock only ({reason}); the target is not the mock ({target.detected_by})"
            ))


def _new_violations(kit: Kit, start: int) -> list[str]:
    found = []
    for received in kit.received[start:]:
        found += [f"{received.call}: {p}" for p in received.problems]
    return list(dict.fromkeys(found))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # Every answer received while a check runs is held to its schema, whatever the check itself
    # looks at: a check cannot pass on an answer that breaks schemas/.
    kit = kit_of(item.config)
    start = len(kit.received)
    result = yield
    violations = _new_violations(kit, start)
    if violations:
        item.stash[OFF_SCHEMA] = True
        pytest.fail(checks.explain(violations, "an answer received by this check"), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    kit = kit_of(item.config)
    records = item.config.stash[RECORDS]
    record = records.setdefault(item.nodeid, _record(item, kit.target))
    # A broken schema is a documented failure even inside a check of a mock choice.
    off_schema = item.stash.get(OFF_SCHEMA, False)
    judged = report.when == "call" and record.observed and not off_schema
    if judged and (report.failed or report.passed):
        if report.failed:
            message = str(call.excinfo.value) if call.excinfo else "failed"
            # Redact before shortening: a cut through a token would hide it from the redactor.
            record.note = kit.redact(" ".join(message.split()))[:400]
            record.outcome = "differs"
            report.outcome = "skipped"
            report.longrepr = (str(item.path), (item.location[1] or 0) + 1,
                               f"observation, not failed against this target: {record.note}")
        else:
            record.outcome = "agrees"
    elif report.failed:
        record.outcome = "failed"
    elif report.skipped and record.outcome == "passed":
        record.outcome = "skipped"
    _redact_report(report, kit)
    return report


def _redact_report(report: pytest.TestReport, kit: Kit) -> None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        path, lineno, message = longrepr
        report.longrepr = (path, lineno, kit.redact(message))
    elif longrepr is not None and not isinstance(longrepr, RedactedRepr):
        crash = getattr(longrepr, "reprcrash", None)
        safe_crash = (_Crash(str(crash.path), crash.lineno, kit.redact(crash.message))
                      if crash is not None else None)
        report.longrepr = RedactedRepr(kit.redact(str(longrepr)), safe_crash)
    report.sections = [(title, kit.redact(text)) for title, text in report.sections]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if KIT not in config.stash:
        return
    kit, records = config.stash[KIT], config.stash[RECORDS]
    target = kit.target
    tr = terminalreporter
    tr.write_sep("-", "idcard-mock contract")
    kind = "the mock" if target.is_mock else "not the mock: only the documented contract is asserted"
    tr.write_line(f"target   {target.base_url} ({kind}; {target.detected_by})")
    tr.write_line(f"app id   {target.app_id}")
    tr.write_line(f"images   {target.images_from}")
    cap = (f"cap {kit.budget.limit}" if kit.budget.limit is not None
           else "no cap: the mock bills nothing")
    violations = sum(1 for r in kit.received if r.problems)
    tr.write_line(f"calls    {kit.budget.used} billable OCR calls ({cap}); {len(kit.received)} answers "
                  f"checked against schemas/, {violations} broke them")
    kinds = Counter(r.kind for r in records.values())
    outcomes = Counter(r.outcome for r in records.values())
    tr.write_line("checks   " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + "  ->  "
                  + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))
    for nodeid, record in records.items():
        how = "observed" if record.observed else "asserted"
        if record.outcome == "skipped":
            how = "-"
        name = nodeid.split("/")[-1]
        tr.write_line(f"  {record.kind:<11} {how:<8} {record.outcome:<7} {name}")
    differing = [(n, r) for n, r in records.items() if r.outcome == "differs"]
    if differing:
        tr.write_line("observations (the target differs from the mock's choice; never failed):")
        for nodeid, record in differing:
            tr.write_line(f"  {nodeid.split('/')[-1]}: {record.note}")


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kit(pytestconfig: pytest.Config) -> Kit:
    return kit_of(pytestconfig)


@pytest.fixture(scope="session")
def target(kit: Kit) -> Target:
    return kit.target


@pytest.fixture(scope="session")
def client(kit: Kit) -> Client:
    """The suite's one client. It fetches the run's only access token and SIGN ticket here:
    against the live service every new token leaves the app's other tokens 60 s (§2), so the
    suite never asks for a second one outside mock-only checks."""
    client = kit.client()
    start = len(kit.received)
    client.sign_ticket()
    fetched = kit.received[start:]
    kit.token_answer = next((r for r in fetched if r.call == "access_token"), None)
    kit.sign_ticket_answer = next((r for r in fetched if r.call == "api_ticket"), None)
    return client


@pytest.fixture(scope="session")
def portrait_call(client: Client, target: Target) -> OcrCall:
    """The portrait image, sent with a userId (left out of the sign, §1) and getNative=1."""
    return ocr_call(client, "portrait", target.portrait_image, user=user_id(), get_native=True)


@pytest.fixture(scope="session")
def emblem_call(client: Client, target: Target) -> OcrCall:
    """The emblem image: it must come back as the emblem side."""
    return ocr_call(client, "emblem", target.emblem_image)
