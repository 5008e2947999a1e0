"""The contract suite has teeth: against deliberately broken targets it fails, naming the broken
contract, and it never prints a secret, token, ticket or unmasked ID number while doing so.

Each broken target is the real mock behind a small WSGI layer that breaks one thing, served on a
free loopback port. The suite runs against it as against a live service (`--kyc-target-is-live`), so
what catches each break is the documented contract alone, not a mock-only check.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests  # noqa: F401  (see below)

import contract_tests.kit  # noqa: F401  (see below)
from contract_tests import SUITE_DIR
from mock_server.fixtures.pack import default_pack_dir, load_pack
from mock_server.pytest_plugin import ThreadedServer
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from tests.stand_in import (
    OCR,
    RESULT,
    TOKEN,
    BrokenTarget,
    Mutation,
    code_as_number,
    expire_in_as_string,
)

pytest_plugins = ["pytester"]
# The in-process runs below drop every module they imported when they end. Importing the suite's
# dependencies here keeps one copy of each across runs: a second copy of requests makes its
# cookie-jar type checks fail.

LEAKED_ID = "11010519491231002X"
_UNMASKED_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


# -- the breaks --------------------------------------------------------------------------------


def _ocr_result(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    result = body.get("result")
    return result if path in (OCR, RESULT) and isinstance(result, dict) else None


def clarity_as_number(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if path == OCR and (result := _ocr_result(path, body)):
        result["clarity"] = int(result["clarity"])


def without_ocr_id(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if path == OCR and (result := _ocr_result(path, body)):
        del result["ocrId"]


def wrong_check_digit(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if (result := _ocr_result(path, body)) and "idcard" in result:
        idcard = result["idcard"]
        result["idcard"] = idcard[:17] + ("0" if idcard[17] != "0" else "1")


def sex_flipped(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if (result := _ocr_result(path, body)) and "sex" in result:
        result["sex"] = "女" if result["sex"] == "男" else "男"


def emblem_without_valid_date(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if path == OCR and (result := _ocr_result(path, body)):
        result.pop("validDate", None)


def images_altered(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if path == RESULT and (result := _ocr_result(path, body)):
        for key in ("frontPhoto", "backPhoto"):
            if result.get(key):
                data = bytearray(base64.b64decode(result[key]))
                data[-3] ^= 0xFF
                result[key] = base64.b64encode(bytes(data)).decode("ascii")


def nonce_ticket_expire_time_garbled(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    """Breaks a field no check looks at by name: only the schema check of every answer sees it."""
    for ticket in body.get("tickets") or []:
        if ticket.get("expire_in", 0) <= 120:
            ticket["expire_time"] = "in two minutes"


def error_time_garbled(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    if body.get("code") != "0":
        body["transactionTime"] = "now"


def leaky_errors(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
    """Error answers that quote the secret, a live token and an ID number in their msg."""
    if body.get("code") != "0":
        token = next(iter(sorted(target.credentials)), "")
        body["msg"] = f"bad request {DEFAULT_SECRET} {token} {LEAKED_ID}"


# (id, target factory, failing check, what its failure must say)
BREAKS = [
    ("field-of-wrong-type", lambda: BrokenTarget(clarity_as_number),
     "test_portrait_answer_matches_schema", "result.clarity must be of type string"),
    ("missing-required-field", lambda: BrokenTarget(without_ocr_id),
     "test_portrait_answer_matches_schema", "'ocrId' is a required property"),
    ("wrong-check-digit", lambda: BrokenTarget(wrong_check_digit),
     "test_portrait_id_number_invariants", "wrong check digit"),
    ("sex-disagrees-with-number", lambda: BrokenTarget(sex_flipped),
     "test_portrait_id_number_invariants", "17th digit means"),
    ("sign-check-accepts-anything", lambda: BrokenTarget(accept_any_sign=True),
     "test_wrong_sign_is_refused_with_400101", "a wrong sign was answered ('0'"),
    ("emblem-without-validDate", lambda: BrokenTarget(emblem_without_valid_date),
     "test_emblem_image_comes_back_as_the_emblem_side", "emblem answer lacks validDate"),
    ("images-do-not-round-trip", lambda: BrokenTarget(images_altered),
     "test_images_round_trip[portrait]", "frontPhoto is not the portrait image sent, byte for byte"),
    ("code-as-number", lambda: BrokenTarget(code_as_number),
     "test_portrait_answer_matches_schema", "code must be of type string"),
    ("answer-off-schema-where-no-check-looks", lambda: BrokenTarget(nonce_ticket_expire_time_garbled),
     "test_nonce_ticket_is_fresh_per_use", "tickets.0.expire_time violates pattern"),
    # Inside a check of a mock choice, which a live target only observes, a broken schema still
    # fails: the schema is documented.
    ("off-schema-inside-a-mock-choice-check", lambda: BrokenTarget(error_time_garbled),
     "test_wrong_secret_is_400101", "transactionTime violates pattern"),
    ("errors-quote-credentials", lambda: BrokenTarget(leaky_errors),
     "test_wrong_sign_is_refused_with_400101", "<redacted>"),
]


# -- running the suite -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def card_images() -> tuple[Path, Path]:
    """The default pack's first recognised portrait and emblem images, given as a live run's
    own photos would be."""
    folder = default_pack_dir()
    assert folder is not None, "the default fixture pack is missing"
    pack = load_pack(folder)
    front, back = pack.first_recognised("portrait"), pack.first_recognised("emblem")
    assert front is not None and back is not None, "the default fixture pack is missing"
    return front.image, back.image


def run_suite(pytester: pytest.Pytester, base_url: str, images: tuple[Path, Path],
              *extra: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        str(SUITE_DIR), "--kyc-base-url", base_url, "--kyc-target-is-live",
        "--kyc-app-id", DEFAULT_APP_ID, "--kyc-secret", DEFAULT_SECRET,
        "--kyc-portrait-image", str(images[0]), "--kyc-emblem-image", str(images[1]),
        "--junit-xml", str(pytester.path / "report.xml"), *extra,
    )


def assert_nothing_leaked(output: str, report: str, target: BrokenTarget) -> None:
    for text, where in ((output, "terminal output"), (report, "JUnit report")):
        assert DEFAULT_SECRET not in text, f"the secret appears in the {where}"
        # A prefix is enough to count: a report that cuts a value short still leaks it.
        leaked = [v for v in target.credentials | {DEFAULT_SECRET} if v[:12] in text]
        assert not leaked, f"{len(leaked)} secret/token/ticket values appear in the {where}"
        assert not _UNMASKED_ID.search(text), f"an unmasked ID number appears in the {where}"


@pytest.mark.parametrize(("factory", "check", "says"), [b[1:] for b in BREAKS],
                         ids=[b[0] for b in BREAKS])
def test_suite_fails_against_a_broken_target(
    pytester: pytest.Pytester, card_images: tuple[Path, Path], factory: Callable[[], BrokenTarget],
    check: str, says: str,
) -> None:
    target = factory()
    with ThreadedServer(app=target) as server:
        result = run_suite(pytester, server.base_url, card_images)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    failed = [line for line in output.splitlines() if line.startswith("FAILED")]
    assert any(check in line for line in failed), (
        f"{check} did not fail; failures: {failed}"
    )
    assert says in output, f"the failure output does not say {says!r}"
    assert_nothing_leaked(output, (pytester.path / "report.xml").read_text(encoding="utf-8"), target)


def test_the_unbroken_mock_passes_as_a_live_target(
    pytester: pytest.Pytester, card_images: tuple[Path, Path]
) -> None:
    """The control for the cases above: the same run against the same layer breaking nothing
    passes, with every documented check asserted and within the default call budget."""
    target = BrokenTarget()
    with ThreadedServer(app=target) as server:
        result = run_suite(pytester, server.base_url, card_images)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "not the mock: only the documented contract is asserted" in output
    assert re.search(r"\b5 billable OCR calls \(cap 6\)", output)
    assert target.ocr_posts == 5
    assert_nothing_leaked(output, (pytester.path / "report.xml").read_text(encoding="utf-8"), target)


@pytest.mark.fidelity("F-KIT-3")
def test_max_calls_caps_what_the_target_receives(
    pytester: pytest.Pytester, card_images: tuple[Path, Path]
) -> None:
    target = BrokenTarget()
    with ThreadedServer(app=target) as server:
        result = run_suite(pytester, server.base_url, card_images, "--kyc-max-calls", "2")
    output = result.stdout.str()
    assert target.ocr_posts == 2
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "2 billable OCR calls (cap 2)" in output
    assert "--kyc-max-calls 2: the budget of billable OCR calls is spent" in output


@pytest.mark.fidelity("F-KIT-2")
def test_observations_against_live_are_reported_not_failed(
    pytester: pytest.Pytester, card_images: tuple[Path, Path]
) -> None:
    """A target whose bizSeqNo has another structure (the docs leave it open) passes, and the
    difference is printed as an observation."""

    def other_biz_seq_no(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
        for scope in (body, body.get("result") or {}):
            if "bizSeqNo" in scope:
                scope["bizSeqNo"] = "9" * 32

    with ThreadedServer(app=BrokenTarget(other_biz_seq_no)) as server:
        result = run_suite(pytester, server.base_url, card_images)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert "observations (the target differs from the mock's choice; never failed):" in output
    assert "test_biz_seq_no_structure[portrait]: " in output
    # Asserted against the mock, the same difference fails.
    with ThreadedServer(app=BrokenTarget(other_biz_seq_no)) as server:
        as_mock = pytester.runpytest_inprocess(str(SUITE_DIR), "--kyc-base-url", server.base_url,
                                               "--kyc-target-is-mock", "--kyc-portrait-image",
                                               str(card_images[0]), "--kyc-emblem-image",
                                               str(card_images[1]), "-k", "biz_seq_no")
    assert as_mock.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.fidelity("F-KIT-6")
def test_a_live_target_without_images_is_a_usage_error(pytester: pytest.Pytester) -> None:
    with ThreadedServer(app=BrokenTarget()) as server:
        result = pytester.runpytest_inprocess(
            str(SUITE_DIR), "--kyc-base-url", server.base_url, "--kyc-target-is-live",
            "--kyc-app-id", "IDA00001", "--kyc-secret", "s" * 64,
        )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pass --kyc-portrait-image and --kyc-emblem-image" in result.stderr.str()


@pytest.mark.fidelity("F-KIT-4")
def test_one_access_token_per_run_against_a_live_target(
    pytester: pytest.Pytester, card_images: tuple[Path, Path]
) -> None:
    """A whole run against a target that is not the mock is given one access token; the checks
    that need a second one (the 60 s overlap) are skipped as mock-only. Against the mock the same
    checks run and fetch more."""
    issued: list[str] = []

    def count_tokens(target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
        if path == TOKEN and body.get("code") == "0" and body.get("access_token"):
            issued.append(body["access_token"])

    with ThreadedServer(app=BrokenTarget(count_tokens)) as server:
        result = run_suite(pytester, server.base_url, card_images)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    assert len(issued) == 1, f"{len(issued)} access tokens were fetched in one run"
    overlap_checks = ("test_auth.py::test_previous_token_keeps_working_right_after_a_refresh",
                      "test_lifetimes.py::test_previous_token_dies_60_s_after_a_refresh")
    for check in overlap_checks:
        assert re.search(rf"mock only\s+-\s+skipped\s+{re.escape(check)}$", output, re.M), check
    issued.clear()
    with ThreadedServer(app=BrokenTarget(count_tokens)) as server:
        as_mock = pytester.runpytest_inprocess(
            str(SUITE_DIR), "--kyc-base-url", server.base_url, "--kyc-target-is-mock",
            "--kyc-may-move-clock", "-k", "previous_token_keeps or previous_token_dies",
        )
    assert as_mock.ret == pytest.ExitCode.OK, as_mock.stdout.str()[-3000:]
    for check in overlap_checks:
        assert re.search(rf"mock only\s+asserted\s+passed\s+{re.escape(check)}$",
                         as_mock.stdout.str(), re.M), check
    assert len(issued) > 1


class LaggingPhotos:
    """getOcrResult with get_file=1 answers an order without its photos until `lag` seconds after
    that order's first such query (the vendor's images may lag the OCR answer, §6); records when
    each order was queried."""

    def __init__(self, lag: float) -> None:
        self.lag = lag
        self.queries: dict[str, list[float]] = {}

    def __call__(self, target: BrokenTarget, path: str, body: dict[str, Any]) -> None:
        result = _ocr_result(path, body)
        if path != RESULT or result is None or "frontPhoto" not in result:
            return
        times = self.queries.setdefault(result["orderNo"], [])
        times.append(time.monotonic())
        if times[-1] - times[0] < self.lag:
            result.pop("frontPhoto", None)
            result.pop("backPhoto", None)


def run_images_round_trip(pytester: pytest.Pytester, images: tuple[Path, Path], lag: float,
                          *kind: str) -> tuple[pytest.RunResult, list[float]]:
    """The portrait image round trip alone, against a target whose photos lag by `lag` seconds:
    the run, and the times of the order's photo queries relative to the first."""
    lagging = LaggingPhotos(lag)
    with ThreadedServer(app=BrokenTarget(lagging)) as server:
        args = ("-k", "test_images_round_trip and portrait", *kind)
        if kind:
            result = pytester.runpytest_inprocess(
                str(SUITE_DIR), "--kyc-base-url", server.base_url, *args,
                "--kyc-portrait-image", str(images[0]), "--kyc-emblem-image", str(images[1]))
        else:
            result = run_suite(pytester, server.base_url, images, *args)
    (times,) = lagging.queries.values()
    return result, [t - times[0] for t in times]


@pytest.mark.fidelity("F-KIT-5")
def test_get_ocr_result_is_retried_for_up_to_6_s_while_the_photo_is_missing(
    pytester: pytest.Pytester, card_images: tuple[Path, Path]
) -> None:
    # A photo that comes 1.5 s late is waited for.
    result, times = run_images_round_trip(pytester, card_images, 1.5)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert len(times) >= 2 and times[-1] >= 1.5, times
    # A photo that never comes is given up on after 6 s: the check fails, naming the photo.
    result, times = run_images_round_trip(pytester, card_images, float("inf"))
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert "has no frontPhoto for the portrait order" in output
    assert 6.0 <= times[-1] < 8.0, times
    # The mock is not waited for: its photo is there at once or not at all.
    result, times = run_images_round_trip(pytester, card_images, 1.5, "--kyc-target-is-mock")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert times == [0.0]


@pytest.mark.fidelity("F-KIT-9")
@pytest.mark.parametrize(("mutate", "says"), [
    (code_as_number, "code must be of type string"),
    (expire_in_as_string, "tickets.0.expire_in must be of type integer"),
], ids=["code-as-number", "expire-in-as-string"])
def test_answers_the_client_reads_leniently_fail_the_suite(
    pytester: pytest.Pytester, card_images: tuple[Path, Path], mutate: Mutation, says: str
) -> None:
    """The answers tests/test_client.py shows the reference client reading leniently break
    schemas/, and the suite says so."""
    with ThreadedServer(app=BrokenTarget(mutate)) as server:
        result = run_suite(pytester, server.base_url, card_images)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert says in output
