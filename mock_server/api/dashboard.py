"""The dashboard under /_mock/dashboard: server-rendered pages over what the admin surface
reports, with a little vanilla JS (static/dashboard.js) that polls the Requests rows and sends
the Control view's actions to the admin surface. Nested in the admin blueprint, so the same
access rule applies (api/trust.py). The views' data and words come from mock_server/dashboard/.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from mock_server import images
from mock_server.api.respond import backend, json_response, mock_response
from mock_server.clock import beijing
from mock_server.dashboard import orders_view, packs_view, requests_view
from mock_server.fixtures.pack import load_packs
from mock_server.journal import Journal
from mock_server.order_listing import listing
from mock_server.scenarios import CATALOGUE_SCENARIOS, ENDPOINTS

blueprint = Blueprint("dashboard", __name__, template_folder="../dashboard/templates",
                      static_folder="../dashboard/static", static_url_path="/static")

# How often the Requests view asks for new rows.
POLL_SECONDS = 2


def _page(template: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype="text/html")


def _image(data: bytes | None) -> Response:
    if data is None:
        return mock_response({"error": "no such image"}, 404)
    response = Response(data, mimetype=images.media_type(data))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


# -- Requests ------------------------------------------------------------------------------


def _request_rows() -> tuple[requests_view.Filters, list[dict]]:
    filters = requests_view.Filters.from_query(request.args)
    return filters, requests_view.rows(Journal(backend().store).entries(), filters)


@blueprint.get("")
def requests_page() -> Response:
    filters, rows = _request_rows()
    return _page("requests.html", view="requests", filters=filters, rows=rows,
                 calls=requests_view.CALLS, verdicts=requests_view.VERDICTS, poll=POLL_SECONDS)


@blueprint.get("/requests/rows")
def request_rows() -> Response:
    """The rows alone, for the page's polling."""
    _, rows = _request_rows()
    return _page("request_rows.html", rows=rows)


# -- Orders --------------------------------------------------------------------------------


@blueprint.get("/orders")
def orders_page() -> Response:
    b = backend()
    return _page("orders.html", view="orders",
                 orders=orders_view.cards(listing(b.service.orders, b.clock.now())))


def _order_sides():
    b = backend()
    app_id, order_no = request.args.get("app", ""), request.args.get("order", "")
    return b.service.orders.lookup(app_id, order_no, b.clock.now()), order_no


@blueprint.get("/orders/image")
def order_image() -> Response:
    sides, _ = _order_sides()
    side = sides.get(request.args.get("side", ""))
    if side is None or not side.image_file:
        return _image(None)
    return _image(backend().service.orders.image(side.image_file))


@blueprint.get("/orders/ocr-result")
def order_result() -> Response:
    """What getOcrResult answers for the order now (with `get_file=1`, `get_native=1` as the
    vendor's call takes them), without a sign: the mock's view of it."""
    sides, order_no = _order_sides()
    if not sides:
        return mock_response({"error": "no such order (never sent, or past its retention)"}, 404)
    b = backend()
    return json_response(b.service.result_answer(order_no, sides, b.clock.now(), request.args))


# -- Control -------------------------------------------------------------------------------


@blueprint.get("/control")
def control_page() -> Response:
    b = backend()
    now = b.clock.now()
    offset = getattr(b.clock, "offset", None)
    return _page(
        "control.html", view="control",
        scenarios=list(CATALOGUE_SCENARIOS.values()), endpoints=ENDPOINTS,
        queue=b.service.scenarios.queue.entries(), current=b.service.scenarios.current.stack(),
        time=beijing(now).isoformat(timespec="seconds"),
        offset=offset() if callable(offset) else None,
        movable=callable(getattr(b.clock, "advance", None)),
    )


# -- Fixture packs -------------------------------------------------------------------------


@blueprint.get("/fixtures")
def fixtures_page() -> Response:
    return _page("fixtures.html", view="fixtures", packs=packs_view.packs(load_packs(backend().settings)))


@blueprint.get("/fixtures/image")
def fixture_image() -> Response:
    try:
        index = int(request.args.get("pack", ""))
    except ValueError:
        return _image(None)
    path = packs_view.image_path(load_packs(backend().settings), index, request.args.get("entry", ""))
    try:
        return _image(path.read_bytes() if path is not None else None)
    except OSError:
        return _image(None)
