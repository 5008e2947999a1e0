"""The front door: `GET /` says what this server is and where everything lives, and a path under
/_mock/ that does not exist is answered by the mock, listing its own paths.

Both read the paths from the app's URL map, so they list exactly what the server serves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from mock_server import __version__
from mock_server.api.paths import ADMIN_PREFIX, DASHBOARD_PATH
from mock_server.api.respond import mock_response

blueprint = Blueprint("front", __name__, template_folder="../dashboard/templates")

SERVICE = "idcard-mock"
VENDOR_BLUEPRINT = "kyc"
DOCS = "README.md and docs/ in the idcard-mock source; `idcard-mock --help`"
_SHOWN_METHODS = ("GET", "POST", "DELETE")


def routes(prefix: str | None = None, blueprint_name: str | None = None) -> list[dict[str, str]]:
    """`{"method", "path"}` for every route under `prefix` or of `blueprint_name`, by path."""
    found = []
    for rule in current_app.url_map.iter_rules():
        in_blueprint = blueprint_name is not None and rule.endpoint.startswith(f"{blueprint_name}.")
        under = prefix is not None and (rule.rule == prefix or rule.rule.startswith(prefix + "/"))
        if not (in_blueprint or under) or rule.endpoint.endswith(".static"):
            continue
        for method in _SHOWN_METHODS:
            if method in (rule.methods or ()):
                found.append({"method": method, "path": rule.rule})
    return sorted(found, key=lambda r: (r["path"], _SHOWN_METHODS.index(r["method"])))


def description() -> dict[str, Any]:
    return {
        "service": SERVICE,
        "version": __version__,
        "summary": "Local emulator of the WeBank kyc (Tencent Cloud face verification) ID-card OCR "
                   "server API",
        "vendor_paths": routes(blueprint_name=VENDOR_BLUEPRINT),
        "dashboard": DASHBOARD_PATH,
        "health": url_for("admin.health"),
        "admin_paths": routes(prefix=ADMIN_PREFIX),
        "docs": DOCS,
    }


@blueprint.get("/")
def front_door() -> Response:
    about = description()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return mock_response(about)
    return Response(render_template("front.html", about=about), mimetype="text/html")


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    """Nothing, said plainly: a browser asks for it beside every JSON answer it shows."""
    return Response(status=204)


def admin_not_found() -> Response:
    """A path under /_mock/ that does not exist: the mock's own 404, never the vendor's envelope."""
    return mock_response({
        "error": f"{SERVICE}: no such path {request.path} under {ADMIN_PREFIX}/",
        "service": SERVICE,
        "admin_paths": routes(prefix=ADMIN_PREFIX),
    }, 404)


def admin_method_not_allowed(allowed: list[str]) -> Response:
    response = mock_response({
        "error": f"{SERVICE}: {request.method} is not allowed on {request.path}; use "
                 f"{', '.join(allowed)}",
        "service": SERVICE,
    }, 405)
    response.headers["Allow"] = ", ".join(allowed)
    return response


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
