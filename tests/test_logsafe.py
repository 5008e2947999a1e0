"""Log records are rewritten before any handler sees them: no secret, token, ticket, sign or ID
number, no raw control character."""

from __future__ import annotations

import io
import logging

import pytest

from mock_server import logsafe, masking

TOKEN = "WAA0fTq8mXn3kPzR7vBcYd2LhJ9sGe4uNwQ6aKoF1iZtEyMxV5pCbD8gHrUjSlI0"
SIGN = "993D057C652D97FD90D5D298F2E5DC4B8D893CBC"
ID_NUMBER = "340621197709022835"


@pytest.mark.parametrize(("text", "expected"), [
    (f"Error handling request GET /api/oauth2/access_token?appId=A&secret=S&access_token={TOKEN}",
     "Error handling request GET /api/oauth2/access_token?(query not logged)"),
    ("Invalid HTTP request line: 'GET /x?%73ecret=S\x01 HTTP/1.1'",
     "Invalid HTTP request line: 'GET /x?(query not logged) HTTP/1.1'"),
    (f"body {{\"sign\": \"{SIGN}\", \"secret\":\"abc\"}}",
     f"body {{\"sign\": \"{masking.secret(SIGN)}\", \"secret\":\"***(3)\"}}"),
    (f"X-Mock-Admin-Token: hunter2hunter2 on /path/{TOKEN}",
     f"X-Mock-Admin-Token: {masking.secret('hunter2hunter2')} on /path/{masking.secret(TOKEN)}"),
    (f"userId {ID_NUMBER} orderNo 202407261436381234",
     "userId 340621********2835 orderNo 202407261436381234"),
    ("line\r\nforged [ERROR] line\x1b[31m", "line\\x0d\\x0aforged [ERROR] line\\x1b[31m"),
    ("Perhaps out of memory?", "Perhaps out of memory?"),
    # A sign diagnosis' name is kept after sign=; anything else there is masked.
    ("code=400101 sign=user-id-signed 3ms", "code=400101 sign=user-id-signed 3ms"),
    ("sign=nonce-ticket+whitespace", "sign=nonce-ticket+whitespace"),
    ("sign=user-id-signed+hunter2", "sign=user…(22)"),
    ("sign=hunter2", "sign=hunt…(7)"),
])
def test_clean(text, expected):
    assert logsafe.clean(text) == expected


def test_a_record_with_arguments_and_a_traceback_is_cleaned_before_formatting():
    stream = io.StringIO()
    logger = logging.getLogger("idcard_mock.test_logsafe")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.addFilter(logsafe.SafeRecords())
    try:
        try:
            raise ValueError(f"bad chunk {TOKEN} for {ID_NUMBER}")
        except ValueError:
            logger.exception("Error handling request %s", f"/api?secret={TOKEN}")
        logger.warning("%(h)s %(u)s", {"h": "127.0.0.1", "u": f"sign={SIGN}"})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for value in (TOKEN, SIGN, ID_NUMBER):
        assert value not in text
    assert "Error handling request /api?(query not logged)" in text
    assert f"ValueError: bad chunk {masking.secret(TOKEN)} for 340621********2835" in text
    assert "Traceback (most recent call last):\n" in text
    assert f"127.0.0.1 sign={masking.secret(SIGN)}" in text


def test_the_fields_a_record_carries_are_cleaned_too():
    record = logging.LogRecord("idcard_mock.access", logging.INFO, __file__, 1, "line", (), None)
    record.order = ID_NUMBER
    record.path = f"/api/{TOKEN}\x1b"
    record.status = 200
    logsafe.SafeRecords().filter(record)
    assert (record.order, record.path) == ("340621********2835", f"/api/{masking.secret(TOKEN)}\\x1b")
    assert record.status == 200


def test_install_filters_named_loggers_and_the_last_resort_once():
    logsafe.install("idcard_mock.test_install")
    logsafe.install("idcard_mock.test_install")
    filters = logging.getLogger("idcard_mock.test_install").filters
    assert [type(f) for f in filters] == [logsafe.SafeRecords]
    assert any(isinstance(f, logsafe.SafeRecords) for f in logging.lastResort.filters)
