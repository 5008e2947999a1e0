"""Helpers shared by the project's own tests: images, and the token → ticket → sign flow."""

from __future__ import annotations

import base64
import io
import itertools
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from PIL import Image

from mock_server import marker
from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET
from mock_server.signing import request_sign

VERSION = "1.0.0"
NONCE = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T"


def card_image(seed: int = 0, fmt: str = "JPEG", size=(640, 400), side: str | None = None) -> bytes:
    """A small readable image whose bytes depend on `seed`; `side` stamps an idcard-mock marker."""
    rng = random.Random(seed)
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    for _ in range(20):
        x, y = rng.randrange(size[0] - 20), rng.randrange(size[1] - 20)
        im.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 20, y + 20))
    buf = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if side is not None:
        text = marker.encode({"side": side})
        if fmt == "JPEG":
            kwargs["comment"] = text.encode()
        elif fmt == "PNG":
            from PIL.PngImagePlugin import PngInfo

            info = PngInfo()
            info.add_text(marker.KEY, text)
            kwargs["pnginfo"] = info
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_orders = itertools.count(1)


def new_order_no() -> str:
    return f"order{next(_orders):08d}"


@dataclass
class Flow:
    """Drives a target (a Flask test client or a requests.Session on a base URL) the way a partner
    backend does: token, SIGN ticket, signed calls."""

    http: Any
    base: str = ""
    app_id: str = DEFAULT_APP_ID
    secret: str = DEFAULT_SECRET
    token: str = ""
    ticket: str = ""
    calls: list = field(default_factory=list)

    def get(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any], Any]:
        response = self.http.get(f"{self.base}{path}?{urlencode(params)}")
        return response.status_code, _json(response), response

    def post(self, path: str, body: Any, **kwargs) -> tuple[int, dict[str, Any], Any]:
        response = self.http.post(f"{self.base}{path}", json=body, **kwargs)
        return response.status_code, _json(response), response

    def get_token(self) -> str:
        _, body, _ = self.get(
            "/api/oauth2/access_token",
            {"appId": self.app_id, "secret": self.secret, "grant_type": "client_credential",
             "version": VERSION},
        )
        assert body["code"] == "0", body
        self.token = body["access_token"]
        return self.token

    def get_ticket(self, kind: str = "SIGN", user_id: str | None = None) -> str:
        params = {"appId": self.app_id, "access_token": self.token or self.get_token(),
                  "type": kind, "version": VERSION}
        if user_id:
            params["user_id"] = user_id
        _, body, _ = self.get("/api/oauth2/api_ticket", params)
        assert body["code"] == "0", body
        value = body["tickets"][0]["value"]
        if kind == "SIGN":
            self.ticket = value
        return value

    def ocr_body(self, image: bytes | str, order_no: str | None = None, ticket: str | None = None,
                 **extra: str) -> dict[str, str]:
        order_no = order_no or new_order_no()
        ticket = ticket or self.ticket or self.get_ticket()
        body = {
            "appId": self.app_id, "orderNo": order_no, "nonce": NONCE, "version": VERSION,
            "sign": request_sign(self.app_id, order_no, NONCE, VERSION, ticket),
            "idcardStr": image if isinstance(image, str) else b64(image),
        }
        body.update(extra)
        return body

    def ocr(self, image: bytes | str, order_no: str | None = None, **extra: str):
        body = self.ocr_body(image, order_no, **extra)
        return self.post(f"/api/paas/idcardocrapp?orderNo={body['orderNo']}", body)

    def result_params(self, order_no: str, ticket: str | None = None, **extra: str) -> dict[str, str]:
        ticket = ticket or self.ticket or self.get_ticket()
        params = {"app_id": self.app_id, "order_no": order_no, "nonce": NONCE, "version": VERSION,
                  "sign": request_sign(self.app_id, order_no, NONCE, VERSION, ticket)}
        params.update(extra)
        return params

    def ocr_result(self, order_no: str, **extra: str):
        return self.get("/api/server/getOcrResult", self.result_params(order_no, **extra))


def _json(response: Any) -> dict[str, Any]:
    getter = getattr(response, "get_json", None)
    if getter is not None:
        return getter(silent=True) or {}
    try:
        return response.json()
    except ValueError:
        return {}
