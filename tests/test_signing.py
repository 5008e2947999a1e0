"""The five worked sign examples of the vendor documentation reproduce (§1, §4)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mock_server.cli import main
from mock_server.signing import request_sign, result_sign, sign, signs_equal

NONCE = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"
TICKET_A = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S"
TICKET_B = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"
TICKET_D = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe"

GOLDEN = [
    pytest.param(["appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A],
                 "993D057C652D97FD90D5D298F2E5DC4B8D893CBC", id="A-idcardocrapp"),
    pytest.param(["IDAXXXXX", "orderNo596551", NONCE, "1.0.0", TICKET_B],
                 "6CD5F0DBCFA1155E2A66754B33C2E67DD358393B", id="B-getOcrCertId"),
    pytest.param(["IDAXXXXX", "userID19959248596551", NONCE, "1.0.0", TICKET_B],
                 "D7606F1741DDCF90757DA924EDCF152A200AC7F0", id="C-sdk-nonce"),
    pytest.param(["appId001", "19959248596551", "testName", "4300000000000", "19959248596551",
                  "1.0.0", TICKET_D],
                 "11670F8BD6181CF71FB4656534253A0627D835CF", id="D-h5-seven-values"),
    pytest.param(["appId001", "test1480921551481", TICKET_D],
                 "B02CEBEB07F792B2F085E8CB1E7BA9EC19284F54", id="E-result-sign"),
]


@pytest.mark.parametrize(("values", "expected"), GOLDEN)
def test_documented_examples_reproduce(values, expected):
    assert sign(values) == expected


def test_request_and_result_recipes_match_the_documented_examples():
    assert request_sign("appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A) == (
        "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
    )
    assert result_sign("appId001", "test1480921551481", TICKET_D) == (
        "B02CEBEB07F792B2F085E8CB1E7BA9EC19284F54"
    )


def test_order_of_values_does_not_matter_and_nulls_are_dropped():
    values = ["appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A]
    assert sign(reversed(values)) == sign(values) == sign([None, *values, None])


def test_sorting_is_by_code_unit_digits_before_upper_before_lower():
    # Java's String ordering: "1.0.0" < "Fx…" < "aa…" (§1).
    assert sign(["b", "B", "1"]) == sign(["1Bb"])
    assert sign(["b", "B", "1"]) != sign(["bB1"])


def test_comparison_ignores_case():
    expected = "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
    assert signs_equal(expected, expected.lower())
    assert not signs_equal(expected, expected[:-1] + "D")


def test_cli_prints_the_sign_of_its_arguments():
    result = CliRunner().invoke(
        main, ["sign", "appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A]
    )
    assert result.exit_code == 0
    assert result.output.strip() == "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
