"""The suite's own sign function against the documentation's worked examples (vendor-api §1, §4).

These are golden vectors: the values, tickets and signs as the vendor's pages print them. If this
module fails, every other check of the suite that signs a request is suspect.
"""

from __future__ import annotations

import pytest

from contract_tests.signing import request_sign, result_sign, sign

NONCE = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"
TICKET_A = "FxlAe3HFtEy73Um0pJNzIUriwtfnS3KRcPXiesd5ulS4XRAIcT0FbfaP52dwZf5S"
TICKET_BC = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS"
TICKET_DE = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe"

# (example, values, documented sign)
EXAMPLES = [
    ("A", ["appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A],
     "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"),
    ("B", ["IDAXXXXX", "orderNo596551", NONCE, "1.0.0", TICKET_BC],
     "6CD5F0DBCFA1155E2A66754B33C2E67DD358393B"),
    ("C", ["IDAXXXXX", "userID19959248596551", NONCE, "1.0.0", TICKET_BC],
     "D7606F1741DDCF90757DA924EDCF152A200AC7F0"),
    ("D", ["appId001", "19959248596551", "testName", "4300000000000", "19959248596551", "1.0.0",
           TICKET_DE],
     "11670F8BD6181CF71FB4656534253A0627D835CF"),
    ("E", ["appId001", "test1480921551481", TICKET_DE], "B02CEBEB07F792B2F085E8CB1E7BA9EC19284F54"),
]


@pytest.mark.parametrize(("values", "documented"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_documented_examples(values: list[str], documented: str) -> None:
    assert sign(values) == documented, (
        f"the suite's sign recipe gives {sign(values)} where the vendor's example gives {documented} "
        "(§1: sort, concatenate, SHA-1, uppercase hex)"
    )


def test_request_sign_is_example_a() -> None:
    """The five values of an idcardocrapp request, in the order the suite passes them (§1)."""
    assert request_sign("appId001", "aabc1457895464", NONCE, "1.0.0", TICKET_A) == EXAMPLES[0][2]


def test_result_sign_is_example_e() -> None:
    """The three values of an OCR result sign (§4)."""
    assert result_sign("appId001", "test1480921551481", TICKET_DE) == EXAMPLES[4][2]


def test_the_order_of_the_values_does_not_matter() -> None:
    values = EXAMPLES[0][1]
    assert sign(reversed(values)) == sign(values)
