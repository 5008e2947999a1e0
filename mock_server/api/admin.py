"""The mock's own surface under /_mock/: scenarios, the virtual clock, the journal, reset, health.

Its answers are plain JSON, never the vendor's envelope. It answers loopback clients only, unless
the server was given an admin token (`--admin-token`) and the request carries it
(`X-Mock-Admin-Token: TOKEN` or `Authorization: Bearer TOKEN`). A request that carries a wrong
token is refused even from loopback, and on a server without a token every token is wrong
(api/trust.py). Behind a reverse proxy on the same host every caller looks
local: give such a server an admin token.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, request

from mock_server import __version__
from mock_server.api import dashboard, trust
from mock_server.api.paths import ADMIN_PREFIX
from mock_server.api.respond import backend, mock_response
from mock_server.clock import ClockRangeError, beijing
from mock_server.journal import LIMIT, Journal
from mock_server.order_listing import listing
from mock_server.scenarios import CATALOGUE_SCENARIOS, CURRENT, ScenarioError, select

blueprint = Blueprint("admin", __name__, url_prefix=ADMIN_PREFIX)
# The dashboard's pages sit under /_mock/dashboard, behind the same guard.
blueprint.register_blueprint(dashboard.blueprint, url_prefix="/dashboard")

SERVICE = "idcard-mock"


@blueprint.before_request
def _guard() -> Response | None:
    reason = trust.refusal()
    if reason is None:
        return None
    return mock_response({"error": f"{SERVICE} admin surface: {reason}", "service": SERVICE}, 403)


def _error(error: str, status: int = 400, **extra: Any) -> Response:
    return mock_response({"error": error, **extra}, status)


def _arguments() -> dict[str, Any]:
    """Query parameters and a JSON object body, merged (the body wins)."""
    merged: dict[str, Any] = dict(request.args.items())
    try:
        body = request.get_json(silent=True) if request.content_length else None
    except RecursionError:
        raise ScenarioError("the JSON body is nested too deeply") from None
    if isinstance(body, dict):
        merged.update(body)
    return merged


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ScenarioError(f"{name} must be finite")
    return number


# -- health and reset ----------------------------------------------------------------------


@blueprint.get("/health")
def health() -> Response:
    b = backend()
    storage = b.store.health()
    return mock_response({
        "status": "ok" if storage["reachable"] else "database unreachable",
        "service": SERVICE, "version": __version__,
        "time": beijing(b.clock.now()).isoformat(timespec="milliseconds"),
        "apps": sorted(b.settings.apps),
        "storage": storage,
    }, 200 if storage["reachable"] else 503)


@blueprint.post("/reset")
def reset() -> Response:
    """Every token, ticket, order, image, journal entry and scenario (queued or in effect) goes;
    the apps stay and the virtual clock is back at system time."""
    b = backend()
    b.reset()
    return mock_response({"reset": True, "apps": sorted(b.settings.apps)})


# -- scenarios -----------------------------------------------------------------------------


@blueprint.get("/scenarios")
def scenarios() -> Response:
    return mock_response({"scenarios": [s.as_listing() for s in CATALOGUE_SCENARIOS.values()]})


def _queue_answer(status: int = 200, **extra: Any) -> Response:
    return mock_response({**extra, "queue": backend().service.scenarios.queue.entries()}, status)


@blueprint.get("/scenarios/next")
def queued() -> Response:
    return _queue_answer()


@blueprint.post("/scenarios/next")
def queue_next() -> Response:
    """`{"name": NAME, "count": N, "params": {...}, "endpoint": CALL}`: the next N calls that the
    scenario applies to (only calls to CALL, if given) play it, after authentication."""
    try:
        args = _arguments()
    except ScenarioError as error:
        return mock_response(error.as_json(), 400)
    name = args.get("name")
    if not isinstance(name, str) or not name:
        return _error("name is required", scenarios=sorted(CATALOGUE_SCENARIOS))
    params = args.get("params") or {}
    if not isinstance(params, dict):
        return _error("params must be an object")
    try:
        count = _number(args.get("count", 1), "count")
        if not count.is_integer():
            raise ScenarioError("count must be a whole number")
        selection = select(name, params, "queue")
        endpoint = args.get("endpoint") or None
        backend().service.scenarios.queue.push(selection, int(count), endpoint)
    except ScenarioError as error:
        return mock_response(error.as_json(), 400)
    queued = {"name": selection.name, "count": int(count), "endpoint": endpoint,
              "params": dict(selection.params)}
    return _queue_answer(201, queued=queued)


@blueprint.delete("/scenarios/next")
def clear_queue() -> Response:
    backend().service.scenarios.queue.clear()
    return _queue_answer()


@blueprint.delete("/scenarios/next/<int:entry_id>")
def remove_queued(entry_id: int) -> Response:
    """One queued scenario removed, by the `id` the queue lists it with."""
    if not backend().service.scenarios.queue.remove(entry_id):
        return _queue_answer(404, error=f"no queued scenario has id {entry_id}")
    return _queue_answer()


def _current_answer(status: int = 200) -> Response:
    return mock_response({"current": backend().service.scenarios.current.stack()}, status)


@blueprint.get("/scenarios/current")
def current() -> Response:
    """The scenarios in effect, outermost first; the last one plays."""
    return _current_answer()


@blueprint.post("/scenarios/current")
def push_current() -> Response:
    """`{"name": NAME, "params": {...}}`: every call it applies to plays it until it is ended, as
    if the call carried the X-Mock-Scenario header."""
    args = _arguments()
    name, params = args.get("name"), args.get("params") or {}
    if not isinstance(name, str) or not name:
        return _error("name is required", scenarios=sorted(CATALOGUE_SCENARIOS))
    if not isinstance(params, dict):
        return _error("params must be an object")
    try:
        backend().service.scenarios.current.push(select(name, params, CURRENT))
    except ScenarioError as error:
        return mock_response(error.as_json(), 400)
    return _current_answer(201)


@blueprint.delete("/scenarios/current")
def pop_current() -> Response:
    """End the innermost scenario in effect."""
    backend().service.scenarios.current.pop()
    return _current_answer()


# -- the virtual clock ---------------------------------------------------------------------


def _clock_answer() -> Response:
    clock = backend().clock
    now = clock.now()
    offset = getattr(clock, "offset", None)
    return mock_response({
        "now": now,
        "time": beijing(now).isoformat(timespec="milliseconds"),
        "offset": offset() if callable(offset) else None,
    })


@blueprint.get("/clock")
def clock() -> Response:
    return _clock_answer()


@blueprint.post("/clock/advance")
def advance_clock() -> Response:
    """Moves the time of tokens, tickets, transactionTime and operateTime forward by `seconds`."""
    advance = getattr(backend().clock, "advance", None)
    if not callable(advance):
        return _error("this server's clock cannot be moved", 409)
    try:
        seconds = _number(_arguments().get("seconds"), "seconds")
    except ScenarioError as error:
        return _error(str(error))
    if seconds < 0:
        return _error("seconds must not be negative: the clock only moves forward")
    try:
        advance(seconds)
    except ClockRangeError as error:
        return _error(str(error))
    return _clock_answer()


# -- the journal ---------------------------------------------------------------------------


@blueprint.get("/requests")
def requests_journal() -> Response:
    """Newest first; `?limit=N` (at most the journal's size), `?orderNo=` one order's calls."""
    raw = request.args.get("limit", str(LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT:
        return _error(f"limit must be a whole number from 1 to {LIMIT}")
    entries = Journal(backend().store).entries(int(raw), request.args.get("orderNo"))
    return mock_response({"requests": entries})


@blueprint.delete("/requests")
def clear_journal() -> Response:
    Journal(backend().store).clear()
    return mock_response({"requests": []})


# -- orders --------------------------------------------------------------------------------


@blueprint.get("/orders")
def orders() -> Response:
    """What each order still kept recorded, per side (`order_listing.py`)."""
    b = backend()
    return mock_response({"orders": listing(b.service.orders, b.clock.now())})
