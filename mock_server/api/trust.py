"""Who is asking: a loopback caller or a holder of the admin token, or a stranger.

The admin surface (`/_mock/`) answers the first two only; the sign diagnosis gives them its
whole account and strangers only its name. A request that carries a token must carry the right
one, even from loopback; on a server started without a token every token sent is wrong.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request

TOKEN_HEADER = "X-Mock-Admin-Token"


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def given_token() -> str | None:
    token = request.headers.get(TOKEN_HEADER)
    if token is None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    return token


def refusal() -> str | None:
    """Why the current request may not use the admin surface; None when it may."""
    expected = current_app.extensions["idcard_mock"].settings.admin_token
    given = given_token()
    if given is not None:
        if expected is None:
            return "the admin token is wrong (this server has none; send no token)"
        if hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return None
        return "the admin token is wrong"
    if is_loopback(request.remote_addr):
        return None
    if expected:
        return "the admin surface answers loopback clients and requests that carry the admin token"
    return ("the admin surface answers loopback clients only; start the server with --admin-token "
            "(or IDCARD_MOCK_ADMIN_TOKEN) to reach it from elsewhere")


def trusted() -> bool:
    return refusal() is None
