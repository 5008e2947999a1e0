"""Why a sign does not verify: recompute the common client mistakes until one reproduces it.

The vendor answers every wrong sign with a bare 400101 不合法的请求 (api-facts §5b). The mock
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

`diagnose` is pure (the CLI's `sign explain` uses it as is); `SignExplainer` feeds it the app's
tickets and recent nonces from the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from mock_server import masking, schemas
from mock_server.credentials import LIVE, Credentials
from mock_server.errors import ApiError
from mock_server.signing import sign as documented_sign
from mock_server.store import Store

DIAGNOSIS_HEADER = "X-Mock-Sign-Diagnosis"

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
_HEX = re.compile(r"^[0-9A-Fa-f]+$")


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


# -- the service's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldNames:
    """Where a signed call keeps its values (idcardocrapp's body, getOcrResult's query)."""

    order_no: str
    user_id: str | None
    extras: tuple[str, ...]

    def read(self, app_key: str, request: Mapping[str, Any]) -> SignedRequest:
        def text(key: str | None) -> str | None:
            value = request.get(key) if key else None
            return value if isinstance(value, str) else None

        return SignedRequest(
            app_id=request[app_key], order_no=request[self.order_no], nonce=request["nonce"],
            version=request["version"], sign=request["sign"], user_id=text(self.user_id),
            extras={k: v for k in self.extras if (v := text(k)) is not None},
            keys=(app_key, self.order_no, "nonce", "version"),
        )


OCR_FIELDS = FieldNames("orderNo", "userId", ("cardType", "getNative", "idcardStr"))
RESULT_FIELDS = FieldNames("order_no", None, ("get_file", "get_native"))

_VERDICTS = {"SIGN_MISMATCH": "mismatch", "INVALID_TICKET": "invalid-ticket"}


def mismatch_detail(app_id: str) -> str:
    return ("sign is not SHA-1 of the sorted appId, orderNo, nonce, version and a live SIGN ticket "
            f"of app {app_id}")


class SignDiagnosisError(ApiError):
    """The vendor's answer to a bad sign, with the mock's diagnosis attached: the whole account
    (`detail`, `diagnosis.header()`) for loopback callers and admin-token holders, the name of the
    mistake only (`public_detail`, `public_header`) for anyone else."""

    def __init__(self, error: ApiError, diagnosis: Diagnosis, app_id: str) -> None:
        super().__init__(error.name, f"{error.detail}; likely mistake: {diagnosis.explanation}")
        self.diagnosis = diagnosis
        told = error.detail
        if error.name == "INVALID_TICKET" and OTHER_APP_TICKET in diagnosis.mistakes:
            told = mismatch_detail(app_id)
        self.public_detail = f"{told}; likely mistake: {diagnosis.public_label()}"
        self.public_header = masking.ascii_header(diagnosis.public_label())


class SignExplainer:
    """Diagnoses a failed sign with the app's tickets and recent nonces from the store, and keeps
    the recent nonces (a bounded few per app) to recognise a stale one."""

    RECENT_NONCES = 16

    def __init__(
        self, store: Store, credentials: Credentials,
        app_key: Callable[[Mapping[str, Any]], str | None],
    ) -> None:
        self._store = store
        self._credentials = credentials
        self._app_key = app_key

    def tickets(self, app_id: str) -> list[TicketCandidate]:
        return [TicketCandidate(value, status)
                for value, status in self._credentials.recent_tickets(app_id)]

    def previous(self, app_id: str) -> list[tuple[str, str]]:
        rows = self._store.query(
            "SELECT order_no, nonce FROM recent_nonces WHERE app_id = ? ORDER BY id DESC LIMIT ?",
            (app_id, self.RECENT_NONCES),
        )
        return [(r["order_no"], r["nonce"]) for r in rows]

    def remember(self, request: SignedRequest) -> None:
        """Keep the nonce (in the current write: the request's batch), and only the newest few."""
        app_id, order_no, nonce, keep = request.app_id, request.order_no, request.nonce, self.RECENT_NONCES

        def write(conn) -> None:
            conn.execute(
                "INSERT INTO recent_nonces (app_id, order_no, nonce) VALUES (?, ?, ?)",
                (app_id, order_no, nonce),
            )
            conn.execute(
                "DELETE FROM recent_nonces WHERE app_id = ? AND id <= (SELECT id FROM recent_nonces "
                "WHERE app_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (app_id, app_id, keep),
            )

        self._store.write(write)

    def diagnose(self, request: SignedRequest) -> Diagnosis:
        return diagnose(request, self.tickets(request.app_id), self.previous(request.app_id))

    def explained(self, error: ApiError, request: SignedRequest, verdicts: dict[str, Any]) -> ApiError:
        """`error` (a failed verify_sign) with its diagnosis; `verdicts` receives the journal's
        account of the sign."""
        verdict = _VERDICTS.get(error.name)
        if verdict is None:
            return error
        diagnosis = self.diagnose(request)
        verdicts.update(verdict=verdict, **diagnosis.as_json())
        return SignDiagnosisError(error, diagnosis, request.app_id)

    def malformed(
        self, error: ApiError, schema: str, request: Any, names: FieldNames, verdicts: dict[str, Any]
    ) -> ApiError:
        """A shape failure caused by the sign alone (a SHA-256 or MD5 hex string where 40 hex
        characters belong) is diagnosed like a mismatch; any other shape failure is left as is."""
        if not isinstance(request, Mapping):
            return error
        given = request.get("sign")
        if not (isinstance(given, str) and _HEX.match(given) and len(given) in (32, 64)):
            return error
        if schemas.first_error(schema, {**request, "sign": "0" * 40}) is not None:
            return error
        app_key = self._app_key(request)
        if app_key is None or not self._credentials.knows(request[app_key]):
            return error
        signed = names.read(app_key, request)
        diagnosis = self.diagnose(signed)
        verdicts.update(verdict="malformed", **diagnosis.as_json())
        return SignDiagnosisError(error, diagnosis, signed.app_id)


def report(request: SignedRequest, diagnosis: Diagnosis, expected_sign: str | None) -> str:
    """What `idcard-mock sign explain` prints."""
    lines = [
        f"sign given     {request.sign}",
        f"sign expected  {expected_sign or '(no live SIGN ticket)'}",
        "values hashed  " + " ".join(diagnosis.expected) + "  (sorted, concatenated, SHA-1)",
        f"diagnosis      {'+'.join(diagnosis.mistakes) or 'correct'}",
        f"               {diagnosis.explanation}",
    ]
    return "\n".join(lines)
