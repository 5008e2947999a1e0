"""`idcard-mock drift`: a recorded pack replayed against a mock, and where the mock's answers
differ from the live ones the pack recorded.

Each exchange of `exchanges.json` is sent again in its order, re-signed with the target's own
credentials: the same call, the same parameter names and flags, a fresh orderNo for each recorded
order, the pack's synthetic card for each OCR call. A call the live service refused with a platform
code (400101, …) is replayed with a wrong credential, the likeliest cause the recording cannot
tell. Then the two answers are compared field by field: HTTP status, code, message, fields present
or absent, JSON types, warning masks, clarity and the other values a pack preserves exactly, and
the format of everything else (people are synthetic, credentials and images recorded by format).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from contract_tests.vendor import OCR_CODES
from mock_server import signing
from mock_server.fixtures import MANIFEST_NAME

from . import ledger, shapes
from .calls import METHOD_OF, OCR, OCR_RESULT, PATH_OF, TICKET, TOKEN
from .recorder import EXCHANGES_NAME

# Fields whose values a replay against the pack must give exactly.
EXACT = frozenset({
    "code", "msg", "warning", "multiWarning", "frontWarnCode", "backWarnCode",
    "frontMultiWarning", "backMultiWarning", "clarity", "frontClarity", "backClarity", "retry",
    "success", "frontCode", "backCode", "expire_in",
})
_MASKS = frozenset({"warning", "multiWarning", "frontWarnCode", "backWarnCode",
                    "frontMultiWarning", "backMultiWarning"})
_APP_ID_NAMES = ("appId", "app_id", "webankAppId")

# (method, path, query, json body) -> (HTTP status, body bytes)
Send = Callable[[str, str, dict[str, str], dict[str, Any] | None], tuple[int, bytes]]


@dataclass(frozen=True)
class Difference:
    seq: int
    call: str
    field: str
    kind: str
    live: str
    mock: str
    ledger: str | None = None

    @property
    def key(self) -> str:
        return f"{self.call}:{self.field}:{self.kind}"


@dataclass
class Report:
    replayed: int
    differences: list[Difference]
    allowed: list[Difference]

    @property
    def drifted(self) -> bool:
        return bool(self.differences)

    def as_json(self) -> str:
        return json.dumps({
            "replayed": self.replayed,
            "drift": [asdict(d) for d in self.differences],
            "allowed": [asdict(d) for d in self.allowed],
        }, ensure_ascii=False, indent=2)

    def rows(self) -> list[tuple[str, ...]]:
        return [(str(d.seq), d.call, d.field, d.kind, d.live, d.mock, d.ledger or "")
                for d in self.differences]

    def table(self) -> str:
        head = ("#", "call", "field", "kind", "live", "mock", "fidelity.md row")
        lines = [f"drift: {self.replayed} exchanges replayed, {len(self.differences)} differences"
                 + (f", {len(self.allowed)} allowed" if self.allowed else "")]
        if self.differences:
            rows = [head, *self.rows()]
            widths = [min(48, max(len(r[i]) for r in rows)) for i in range(len(head))]
            for row in rows:
                lines.append("  ".join(c[:48].ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"**drift**: {self.replayed} exchanges replayed, {len(self.differences)} "
                 f"differences" + (f", {len(self.allowed)} allowed" if self.allowed else ""), ""]
        if self.differences:
            lines += ["| # | call | field | kind | live | mock | fidelity.md row |",
                      "|---|---|---|---|---|---|---|"]
            for row in self.rows():
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        return "\n".join(lines) + "\n"


# -- comparing ------------------------------------------------------------------------------------
def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def _show(value: Any) -> str:
    """A value as the report prints it: short strings as they are, long ones by their format."""
    if isinstance(value, str):
        return value if len(value) <= 24 else shapes.fmt(value)
    return json.dumps(value, ensure_ascii=False)


def compare(seq: int, call: str, live_status: int, live: Any, mock_status: int,
            mock: Any) -> list[Difference]:
    found: list[Difference] = []
    live_code = live.get("code") if isinstance(live, dict) else None

    def add(field: str, kind: str, a: str, b: str) -> None:
        found.append(Difference(seq, call, field, kind, a, b,
                                ledger.row_for(call, field, kind, live_code)))

    if live_status != mock_status:
        add("(http status)", "status", str(live_status), str(mock_status))
    if not isinstance(live, dict) or not isinstance(mock, dict):
        if _type(live) != _type(mock) or (live is None) != (mock is None):
            add("(body)", "type", "JSON object" if isinstance(live, dict) else "not JSON",
                "JSON object" if isinstance(mock, dict) else "not JSON")
        return found

    def walk(a: dict[str, Any], b: dict[str, Any], prefix: str) -> None:
        for key in sorted(set(a) | set(b)):
            field = prefix + key
            if key not in b:
                add(field, "absent", _show(a[key]), "(absent)")
            elif key not in a:
                add(field, "extra", "(absent)", _show(b[key]))
            elif _type(a[key]) != _type(b[key]):
                add(field, "type", _type(a[key]), _type(b[key]))
            elif isinstance(a[key], dict):
                walk(a[key], b[key], field + ".")
            elif isinstance(a[key], list):
                if len(a[key]) != len(b[key]):
                    add(field, "length", str(len(a[key])), str(len(b[key])))
                elif a[key] and isinstance(a[key][0], dict) and isinstance(b[key][0], dict):
                    walk(a[key][0], b[key][0], field + ".0.")
            elif key in EXACT:
                if a[key] != b[key]:
                    kind = ("code" if key in ("code", "frontCode", "backCode") else
                            "message" if key == "msg" else
                            "warning-mask" if key in _MASKS else "value")
                    add(field, kind, str(a[key]), str(b[key]))
            elif shapes.fmt(a[key]) != shapes.fmt(b[key]):
                add(field, "format", shapes.fmt(a[key]), shapes.fmt(b[key]))

    walk(live, mock, "")
    return found


# -- replaying ------------------------------------------------------------------------------------
def _random(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _refused(exchange: dict[str, Any]) -> bool:
    """The live service refused the call with a platform code (not an OCR outcome)."""
    answer = exchange.get("answer")
    code = answer.get("code") if isinstance(answer, dict) else None
    return isinstance(code, str) and code != "0" and code not in OCR_CODES


class Replayer:
    def __init__(self, pack: Path, send: Send, app_id: str, secret: str) -> None:
        self.pack = pack
        self.send = send
        self.app_id = app_id
        self.secret = secret
        self._token: str | None = None
        self._ticket: str | None = None
        self._orders: dict[str, str] = {}

    def _answer(self, call: str, query: dict[str, str], body: dict[str, Any] | None) -> tuple[int, Any]:
        status, data = self.send(METHOD_OF[call], PATH_OF[call], query, body)
        try:
            return status, json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return status, None

    def token(self) -> str:
        if self._token is None:
            _, answer = self._answer(TOKEN, {"appId": self.app_id, "secret": self.secret,
                                             "grant_type": "client_credential", "version": "1.0.0"}, None)
            self._token = str(answer.get("access_token", "")) if isinstance(answer, dict) else ""
        return self._token

    def ticket(self) -> str:
        if self._ticket is None:
            _, answer = self._answer(TICKET, {"appId": self.app_id, "access_token": self.token(),
                                              "type": "SIGN", "version": "1.0.0"}, None)
            tickets = answer.get("tickets") if isinstance(answer, dict) else None
            self._ticket = str(tickets[0].get("value", "")) if tickets else ""
        return self._ticket

    def order(self, label: str | None) -> str:
        if label is None:
            return "drift" + _random(16)
        if label not in self._orders:
            self._orders[label] = "drift" + _random(12) + label
        return self._orders[label]

    def _values(self, names: Iterable[str], exchange: dict[str, Any]) -> dict[str, Any]:
        """The parameters `names` as the replay sends them."""
        kept = exchange["request"].get("values", {})
        refused = _refused(exchange)
        call = exchange["call"]
        out: dict[str, Any] = {}
        for name in names:
            if name in _APP_ID_NAMES:
                out[name] = self.app_id
            elif name == "secret":
                out[name] = self.secret + ("-wrong" if refused else "")
            elif name == "access_token":
                out[name] = ("0" * 64) if refused else self.token()
            elif name in ("orderNo", "order_no"):
                out[name] = self.order(exchange.get("order"))
            elif name == "nonce":
                out[name] = _random()
            elif name in ("user_id", "userId"):
                out[name] = "user" + _random(12)
            elif name == "idcardStr":
                image = exchange["request"].get("image")
                data = (self.pack / image).read_bytes() if image else b""
                out[name] = base64.b64encode(data).decode("ascii")
            elif name in kept:
                out[name] = kept[name]
            elif name == "version":
                out[name] = "1.0.0"
        if "sign" in names and call in (OCR, OCR_RESULT):
            app = next((out[n] for n in _APP_ID_NAMES if n in out), self.app_id)
            order = out.get("orderNo", out.get("order_no", ""))
            sign = signing.request_sign(app, order, out.get("nonce", ""), out.get("version", ""),
                                        self.ticket())
            out["sign"] = ("0" * 40) if refused else sign
        elif "sign" in names:
            out["sign"] = "0" * 40
        return out

    def replay(self, exchange: dict[str, Any]) -> tuple[int, Any]:
        request = exchange["request"]
        call = exchange["call"]
        if call in (OCR, OCR_RESULT) and not _refused(exchange):
            self.ticket()  # fetched before the call, outside it
        query = {k: str(v) for k, v in self._values(request.get("query", []), exchange).items()}
        body = self._values(request["body"], exchange) if "body" in request else None
        status, answer = self._answer(call, query, body)
        if call == TOKEN and isinstance(answer, dict) and answer.get("code") == "0":
            self._token, self._ticket = str(answer.get("access_token")), None
        return status, answer


def _echoed_as_recorded(answer: Any, label: str | None, replayer: Replayer) -> Any:
    """The mock's answer with the orderNo it echoes written as the recording's label, when it
    echoes the orderNo the replay sent: the live answer echoed its own, recorded as the label."""
    if label is None or not isinstance(answer, dict) or not isinstance(answer.get("result"), dict):
        return answer
    result = answer["result"]
    if result.get("orderNo") == replayer.order(label):
        answer = {**answer, "result": {**result, "orderNo": label}}
    return answer


def load_exchanges(pack: Path) -> list[dict[str, Any]]:
    manifest = json.loads((pack / MANIFEST_NAME).read_text(encoding="utf-8"))
    name = (manifest.get("recording") or {}).get("exchanges", EXCHANGES_NAME)
    return json.loads((pack / name).read_text(encoding="utf-8"))


def drift(pack: str | Path, send: Send, *, app_id: str, secret: str,
          allow: Iterable[str] = ()) -> Report:
    folder = Path(pack)
    allow = tuple(allow)
    replayer = Replayer(folder, send, app_id, secret)
    exchanges = load_exchanges(folder)
    found: list[Difference] = []
    for exchange in exchanges:
        status, answer = replayer.replay(exchange)
        answer = _echoed_as_recorded(answer, exchange.get("order"), replayer)
        found += compare(exchange["seq"], exchange["call"], exchange["status"],
                         exchange.get("answer"), status, answer)
    kept = [d for d in found if not any(d.key.startswith(a) for a in allow)]
    return Report(len(exchanges), kept, [d for d in found if d not in kept])


# -- targets --------------------------------------------------------------------------------------
def http_sender(base_url: str, timeout: float = 30.0) -> Send:
    import requests

    session = requests.Session()
    session.trust_env = False
    base = base_url.rstrip("/")

    def send(method: str, path: str, query: dict[str, str], body: dict[str, Any] | None):
        url = base + path + (f"?{urlencode(query)}" if query else "")
        response = session.request(method, url, json=body, timeout=timeout)
        return response.status_code, response.content

    return send


def in_process_sender(pack: Path) -> tuple[Send, str, str]:
    """A mock built in this process that serves `pack` (and the default pack), with its
    development app's credentials."""
    from mock_server.app import create_app
    from mock_server.settings import DEFAULT_APP_ID, DEFAULT_SECRET, Settings

    app = create_app(Settings(db=":memory:", fixture_dirs=(str(pack),)))
    client = app.test_client()

    def send(method: str, path: str, query: dict[str, str], body: dict[str, Any] | None):
        url = path + (f"?{urlencode(query)}" if query else "")
        response = client.open(url, method=method, json=body)
        return response.status_code, response.get_data()

    return send, DEFAULT_APP_ID, DEFAULT_SECRET
