"""The contract suite catches the mock's own mistakes: the mock is built with one deliberate fault
at a time, served in-process, and the suite (which shares no code with it) must fail, naming the
contract the fault breaks. The control run without a fault passes."""

from __future__ import annotations

import hmac
from collections.abc import Callable

import pytest
import requests  # noqa: F401  (imported here so pytester's in-process runs share one copy)
from faker import Faker

import contract_tests.kit  # noqa: F401  (likewise)
from contract_tests import SUITE_DIR
from mock_server import credentials, limits, service, signing
from mock_server.explain import FieldNames
from mock_server.pytest_plugin import ThreadedServer

pytest_plugins = ["pytester"]

Fault = Callable[[pytest.MonkeyPatch], None]


def sign_sort_reversed(monkeypatch: pytest.MonkeyPatch) -> None:
    def reversed_sign(values):  # type: ignore[no-untyped-def]
        joined = "".join(sorted((v for v in values if v is not None), reverse=True))
        return signing.hashlib.sha1(joined.encode("utf-8")).hexdigest().upper()

    monkeypatch.setattr(signing, "sign", reversed_sign)


def sign_compared_case_sensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "signs_equal",
                        lambda expected, given: hmac.compare_digest(expected, given))


def native_place_from_the_wrong_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Faker's zh_CN address table instead of the GB/T 2260 division of the number."""

    def from_faker(idcard: str) -> str:
        fake = Faker("zh_CN")
        fake.seed_instance(idcard)
        return fake.province() + fake.city() + fake.district() + "区"

    monkeypatch.setattr(service, "native_place", from_faker)


def token_lifetime_3600(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "ACCESS_TOKEN_TTL", 3600)


def sign_ticket_accepted_after_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    def live_sign_tickets(self, app_id):  # type: ignore[no-untyped-def]
        now = self._clock.now()
        rows = self._store.query(
            "SELECT t.value FROM tickets t JOIN tokens k ON k.value = t.token "
            "WHERE t.app_id = ? AND t.kind = ? AND k.expires_at > ?",
            (app_id, credentials.SIGN, now),
        )
        return [r["value"] for r in rows]

    monkeypatch.setattr(credentials.Credentials, "live_sign_tickets", live_sign_tickets)


def ocr_result_signed_over_the_wrong_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """getOcrResult's sign checked over the nonce in the place of order_no."""
    monkeypatch.setattr(service, "RESULT_FIELDS", FieldNames("nonce", None, ("get_file", "get_native")))


# (id, fault, the check that must fail, what its failure must say)
FAULTS = [
    ("sign-sort-reversed", sign_sort_reversed, "test_auth.py::test_signed_call_is_accepted",
     "the target's sign recipe is not SHA-1 over the sorted appId, orderNo, nonce, version and SIGN "
     "ticket (§1)"),
    ("sign-compared-case-sensitively", sign_compared_case_sensitively,
     "test_auth.py::test_sign_is_case_insensitive", "the sign is case-insensitive (§1)"),
    ("nativePlace-from-the-wrong-table", native_place_from_the_wrong_table,
     "test_ocr.py::test_native_place_names_the_region_of_the_number",
     "is not the division of idcard"),
    ("token-lifetime-3600", token_lifetime_3600, "test_auth.py::test_access_token_answer",
     "access_token expire_in 3600: a new token lives 7200 s (§2)"),
    ("sign-ticket-accepted-after-expiry", sign_ticket_accepted_after_expiry,
     "test_lifetimes.py::test_sign_ticket_is_refused_after_3600_s",
     "expected 0 then 400101 (§3: a SIGN ticket lives 3600 s)"),
    ("getOcrResult-signed-over-the-wrong-fields", ocr_result_signed_over_the_wrong_fields,
     "test_ocr_result.py::test_signed_query_is_accepted", "(§6: those five values make its sign)"),
]


def run_suite_against_the_mock(pytester: pytest.Pytester) -> pytest.RunResult:
    with ThreadedServer() as server:
        return pytester.runpytest_inprocess(str(SUITE_DIR), "--kyc-base-url", server.base_url,
                                            "--kyc-may-move-clock")


@pytest.mark.parametrize(("fault", "check", "says"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_the_suite_fails_against_a_faulty_mock(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                               fault: Fault, check: str, says: str) -> None:
    fault(monkeypatch)
    result = run_suite_against_the_mock(pytester)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    failed = [line for line in output.splitlines() if line.startswith("FAILED")]
    assert any(check in line for line in failed), f"{check} did not fail; failures: {failed}"
    assert says in output, f"the failure output does not say {says!r}"


def test_the_suite_passes_against_the_mock_without_a_fault(pytester: pytest.Pytester) -> None:
    result = run_suite_against_the_mock(pytester)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.OK, output[-3000:]
    outcomes = result.parseoutcomes()
    assert "skipped" not in outcomes and outcomes["passed"] >= 55, outcomes
