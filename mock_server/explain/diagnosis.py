"""Why a sign does not verify: recompute the common client mistakes until one reproduces it.

The vendor answers every wrong sign with a bare 400101 不合法的请求 (§5b). The mock
answers the same, and says why in the journal and in the `X-Mock-Sign-Diagnosis` header:
the values it expected, in the order they are hashed (ticket masked), and the mistake found by
recomputing what clients commonly get wrong around the documented recipe (§1: appId, orderNo,
nonce, version and the SIGN ticket, sorted, concatenated, SHA-1):

tickets      a NONCE ticket, an expired SIGN ticket, one whose token expired, another app's;
values       userId signed (or the SDK recipe, userId instead of orderNo), a sign of an earlier
             attempt signed, another request field signed, a value left out, another version;
order        sorted by parameter name, or not sorted;
joining      a separator between values, key=value pairs;
text         whitespace around a value, a URL-encoded value;
hash         SHA-256, MD5, an HMAC keyed with the ticket;
replay       the nonce of an earlier request, or the whole sign of an earlier request.

This module is pure (the CLI's `sign explain` uses it as is); `explainer.SignExplainer` feeds it
the app's tickets and recent nonces from the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from mock_server import masking
from mock_server.signing import sign as documented_sign

DIAGNOSIS_HEADER = "X-Mock-Sign-Diagnosis"

# What a ticket is to a server-side sign of its app: LIVE verifies, every status in
# TICKET_MISTAKES does not (`Credentials.recent_tickets` answers these statuses).
LIVE = "live"

# Why a ticket that reproduces the sign is the wrong one.
TICKET_MISTAKES = {
    "nonce-ticket": "the sign was made with a NONCE ticket; idcardocrapp and getOcrResult take a "
                    "SIGN ticket (api_ticket with type=SIGN)",
    "expired-nonce-ticket": "the sign was made with a NONCE ticket, expired as well (120 s); these "
                            "calls take a SIGN ticket (api_ticket with type=SIGN)",
    "expired-ticket": "the sign was made with a SIGN ticket that has expired (3600 s, or 60 s after "
                      "a newer one was fetched); fetch a new SIGN ticket",
    "ticket-of-expired-token": "the sign was made with a SIGN ticket whose access_token has expired; "
                               "a ticket dies with its token, fetch a new token and ticket",
    "other-app-ticket": "the sign was made with a SIGN ticket of another app",
}
NO_LIVE_TICKET = "no-live-ticket"
UNKNOWN = "unknown"
OTHER_APP_TICKET = "other-app-ticket"

_SEPARATORS = (",", "&", "|", ";", " ", "\n", ":", "-", "_")
_WHITESPACE = ("\n", "\r\n", " ", "\t")
_OTHER_VERSIONS = ("1.0.0", "1.0", "1", "1.0.1", "2.0.0", "v1.0.0", "V1.0.0")
# A field longer than this (an image) is only tried with the app's live tickets: hashing it is
# the one costly recomputation.
_LONG_FIELD = 4096


@dataclass(frozen=True)
class SignedRequest:
    """The values a request carries that a client may have signed, and how it spells them."""

    app_id: str
    order_no: str
    nonce: str
    version: str
    sign: str
    user_id: str | None = None
    extras: Mapping[str, str] = field(default_factory=dict)
    keys: tuple[str, str, str, str] = ("appId", "orderNo", "nonce", "version")

    @property
    def values(self) -> list[str]:
        return [self.app_id, self.order_no, self.nonce, self.version]


@dataclass(frozen=True)
class TicketCandidate:
    value: str
    status: str = LIVE  # LIVE or a key of TICKET_MISTAKES


@dataclass(frozen=True)
class Diagnosis:
    mistakes: tuple[str, ...]
    explanation: str
    expected: tuple[str, ...]  # the values the mock hashes, in order, ticket masked

    @property
    def correct(self) -> bool:
        return not self.mistakes

    def header(self) -> str:
        """`MISTAKE[+MISTAKE]; expected=["v1","v2",...]`: ASCII, the list as JSON."""
        label = "+".join(self.mistakes) or "none"
        return masking.ascii_header(
            f"{label}; expected={json.dumps(list(self.expected), ensure_ascii=False, separators=(',', ':'))}"
        )

    def public_label(self) -> str:
        """What a stranger (neither loopback nor an admin-token holder) is told: the mistake's
        name only, and nothing about other apps: a sign made with another app's ticket is, to
        them, a sign no common mistake reproduces."""
        if OTHER_APP_TICKET in self.mistakes:
            return UNKNOWN
        return "+".join(self.mistakes) or "none"

    def as_json(self) -> dict[str, Any]:
        return {"mistakes": list(self.mistakes), "explanation": self.explanation,
                "expected": list(self.expected)}


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest().upper()


_sorted_sign = documented_sign


def _what(request: SignedRequest, value: str, ticket: str) -> str:
    names = dict(zip(request.values, request.keys, strict=True))
    return "the ticket" if value == ticket and value not in names else names.get(value, "a value")


def _attempts(
    request: SignedRequest, ticket: str, previous: Sequence[tuple[str, str]], *, live: bool
) -> Iterator[tuple[str, str, str]]:
    """(mistake, explanation, uppercase hex digest) for one ticket, commonest mistakes first."""
    base = request.values
    signed = base + [ticket]
    joined = "".join(sorted(signed))
    # Hash
    yield "sha256", "the values were hashed with SHA-256; the sign is SHA-1 (40 hex characters)", \
        hashlib.sha256(joined.encode()).hexdigest().upper()
    yield "md5", "the values were hashed with MD5; the sign is SHA-1 (40 hex characters)", \
        hashlib.md5(joined.encode()).hexdigest().upper()
    unkeyed = "".join(sorted(base)).encode()
    for digest in (hashlib.sha1, hashlib.sha256):
        yield "hmac", "the sign is an HMAC keyed with the ticket; the ticket is one of the sorted " \
            "values and the sign a plain SHA-1", \
            hmac.new(ticket.encode(), unkeyed, digest).hexdigest().upper()
    # Values
    if request.user_id:
        yield "user-id-signed", "userId was signed; the signed values are appId, orderNo, nonce, " \
            "version and the SIGN ticket only", _sorted_sign(signed + [request.user_id])
        yield "sdk-recipe", "this is the SDK recipe (appId, userId, nonce, version); the server " \
            "calls sign orderNo, not userId", _sorted_sign(
                [request.app_id, request.user_id, request.nonce, request.version, ticket])
    right = _sorted_sign(signed)
    for earlier in (right, right.lower()):
        yield "sign-signed", "a sign was among the signed values (a parameter map that still held " \
            "the sign of an earlier attempt); leave sign out", _sorted_sign(signed + [earlier])
    for key, value in request.extras.items():
        if live or len(value) <= _LONG_FIELD:
            yield "extra-field-signed", f"{key} was signed; the signed values are appId, orderNo, " \
                "nonce, version and the SIGN ticket only", _sorted_sign(signed + [value])
    # Order
    by_key = [v for _, v in sorted(zip(request.keys, base, strict=True))]
    documented = [(base, "parameter order"),
                  ([request.app_id, request.order_no, request.version, request.nonce], "parameter order")]
    for order, mistake, text in [(by_key, "sorted-by-key", "the values were ordered by parameter name; "
                                  "sort the values themselves")] + [
            (o, "not-sorted", f"the values were concatenated unsorted ({how}); sort them")
            for o, how in documented]:
        for position in range(len(order) + 1):
            values = order[:position] + [ticket] + order[position:]
            if "".join(values) != joined:
                yield mistake, text, _sha1("".join(values))
    # Joining
    for separator in _SEPARATORS:
        yield "separator", f"the values were joined with {separator!r}; concatenate them with no " \
            "separator", _sha1(separator.join(sorted(signed)))
    pairs = sorted(zip(request.keys, base, strict=True))
    kv = "&".join(f"{k}={v}" for k, v in sorted([*pairs, ("ticket", ticket)]))
    yield "key-value-pairs", "the values were signed as key=value pairs joined with '&'; sign the " \
        "bare values", _sha1(kv)
    kv = "&".join(f"{k}={v}" for k, v in pairs) + f"&key={ticket}"
    yield "key-value-pairs", "the values were signed as key=value pairs joined with '&' and " \
        "'&key=' plus the ticket; sign the bare values", _sha1(kv)
    # A value left out, another version
    for index, value in enumerate(signed):
        yield "missing-value", f"{_what(request, value, ticket)} was left out of the signed values", \
            _sorted_sign(signed[:index] + signed[index + 1:])
    for version in _OTHER_VERSIONS:
        if version != request.version:
            yield "wrong-version", f"version {version!r} was signed but {request.version!r} was " \
                "sent; sign the version the request sends", _sorted_sign(base[:3] + [version, ticket])
    # Text
    for index, value in enumerate(signed):
        what = _what(request, value, ticket)
        others = signed[:index] + signed[index + 1:]
        # The explanations name the whitespace, never the value: it may be the ticket.
        variants = [(value + w, f"with {w!r} after it") for w in _WHITESPACE]
        variants.append((" " + value, "with a ' ' before it"))
        if value.strip() != value:
            variants.append((value.strip(), "without the whitespace around the value sent"))
        for variant, how in variants:
            yield "whitespace", f"{what} was signed {how}; sign the exact value sent", \
                _sorted_sign(others + [variant])
        for variant in {quote(value, safe=""), quote_plus(value)} - {value}:
            yield "url-encoded", f"{what} was URL-encoded when signed; sign the plain value", \
                _sorted_sign(others + [variant])
    # Replay
    for order_no, nonce in previous:
        if nonce == request.nonce:
            continue
        yield "stale-nonce", f"the sign was made with the nonce of an earlier request ({nonce}); sign " \
            "with the nonce this request sends", _sorted_sign(
                [request.app_id, request.order_no, nonce, request.version, ticket])
        if order_no != request.order_no:
            yield "reused-sign", f"this is the sign of an earlier request (orderNo {order_no}, nonce " \
                f"{nonce}); compute a new sign for every request", _sorted_sign(
                    [request.app_id, order_no, nonce, request.version, ticket])


def expected_values(request: SignedRequest, ticket: str | None) -> tuple[str, ...]:
    if ticket is None:
        return (*sorted(request.values), "(no live SIGN ticket)")
    return tuple(masking.secret(v) if v == ticket else v for v in sorted([*request.values, ticket]))


def diagnose(
    request: SignedRequest,
    tickets: Sequence[TicketCandidate],
    previous: Sequence[tuple[str, str]] = (),
) -> Diagnosis:
    """The likeliest mistake behind `request.sign`, tried ticket by ticket (live tickets first):
    the documented recipe with each ticket, then every single mistake with each ticket."""
    tickets = sorted(tickets, key=lambda t: t.status != LIVE)
    live = [t.value for t in tickets if t.status == LIVE]
    expected = expected_values(request, live[0] if live else None)
    given = request.sign.strip().upper()
    for ticket in tickets:
        if documented_sign([*request.values, ticket.value]) == given:
            if ticket.status == LIVE:
                return Diagnosis((), "the sign is correct", expected)
            return Diagnosis((ticket.status,), TICKET_MISTAKES[ticket.status], expected)
    for ticket in tickets:
        for mistake, text, digest in _attempts(request, ticket.value, previous,
                                               live=ticket.status == LIVE):
            if digest == given:
                if ticket.status == LIVE:
                    return Diagnosis((mistake,), text, expected)
                return Diagnosis((ticket.status, mistake),
                                 f"{TICKET_MISTAKES[ticket.status]}; and {text}", expected)
    if not live:
        return Diagnosis((NO_LIVE_TICKET,), "the app has no live SIGN ticket: fetch one (api_ticket "
                         "with type=SIGN) with a live access_token and sign with it", expected)
    return Diagnosis((UNKNOWN,), "no common mistake reproduces this sign; check that the ticket is "
                     "this app's current SIGN ticket from this mock and that the signed appId, "
                     "orderNo, nonce and version are the values sent", expected)


def _every_name() -> frozenset[str]:
    """Every name a diagnosis can give, read off the attempts themselves (on a sample request
    that reaches each of them), so that the list is never written twice."""
    sample = SignedRequest("app", "order 1", "nonce", "1.0.0", "0" * 40, user_id="user",
                           extras={"userId": "user"})
    attempts = _attempts(sample, "ticket", [("order 0", "nonce 0")], live=True)
    return frozenset({m for m, _, _ in attempts} | TICKET_MISTAKES.keys() | {NO_LIVE_TICKET, UNKNOWN})


# The names of the mistakes (`Diagnosis.mistakes`): a closed vocabulary of lowercase words, so
# that a log line may carry one after `sign=` where a sign value never stands (logsafe.py).
MISTAKE_NAMES = _every_name()
