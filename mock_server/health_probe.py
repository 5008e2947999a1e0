"""`idcard-mock health`: one GET of a running mock's /_mock/health, in words (standard library
only, so the check a container runs every few seconds starts fast)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from mock_server.api.paths import ADMIN_PREFIX

# An address a server binds to on every interface is reached here through this host's loopback.
_EVERY_INTERFACE = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
TOKEN_HEADER = "X-Mock-Admin-Token"


def health_url(host: str, port: int) -> str:
    host = _EVERY_INTERFACE.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{ADMIN_PREFIX}/health"


def probe(host: str, port: int, admin_token: str | None, timeout: float) -> tuple[bool, str]:
    """(healthy?, one line saying so): healthy means HTTP 200 with status "ok"."""
    url = health_url(host, port)
    request = urllib.request.Request(url, headers={TOKEN_HEADER: admin_token} if admin_token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return False, f"unhealthy: {url}: {reason}"
    try:
        said = json.loads(body)
    except ValueError:
        said = None
    if not isinstance(said, dict):
        said = {"error": (body.decode("utf-8", "replace").strip().splitlines() or ["no body"])[0]}
    if status == 200 and said.get("status") == "ok":
        return True, f"ok: {url} {said.get('service', '')} {said.get('version', '')}".rstrip()
    return False, f"unhealthy: {url}: HTTP {status}: {said.get('status') or said.get('error')}"
