"""Live exchanges written as a fixture pack (docs/live.md).

While the proxy runs, `Recorder.record` masks each exchange in memory (pii.py, shapes.py) and only
then writes it to a hidden staging folder beside the pack: the answer with synthetic people in it
and credentials reduced to their format, the request reduced to the parameter names it sent and
its non-secret flags, and for an OCR call a synthetic card image (the fixture renderer, with the
idcard-mock marker) drawn from the masked fields with the live answer's code, warnings and
clarity. The real image is never written, unless `raw_dir` asks for it (0600 files, in a folder
outside the pack).

`finish` (run when the proxy stops) turns the staging folder into the pack: `manifest.json` (the
fixture-manifest format: one entry per OCR answer the mock can give from a manifest, and a
`recording` member with the keyed digests of the synthetic ID numbers, the medians of the
latencies and the bizSeqNo shapes), `exchanges.json` (every exchange, for `idcard-mock drift`)
and `images/`. It runs the lint first and leaves no pack that fails it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import statistics
import threading
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contract_tests import checks
from mock_server import masking
from mock_server.errors import OCR_FAILURES
from mock_server.fixtures import MANIFEST_NAME
from mock_server.fixtures.generate import MANIFEST_VERSION, Fixture, PackError, dump_manifest
from mock_server.fixtures.variants import Variant
from mock_server.identity import Identity
from mock_server.recognizer import EMBLEM, PORTRAIT

from . import shapes
from .calls import OCR
from .pii import Masker

EXCHANGES_NAME = "exchanges.json"
RECORDING_FORMAT = 1
# The request parameters whose values a recording keeps: flags, never credentials or people.
_KEPT_VALUES = frozenset({"grant_type", "type", "version", "get_file", "get_native", "getNative",
                          "cardType"})
_ORDER_FIELDS = frozenset({"orderNo", "order_no"})
# Per-call members of an idcardocrapp result: never part of a manifest's `result`.
_PER_CALL = frozenset({"bizSeqNo", "transactionTime", "ocrId", "orderNo", "sign", "nativePlace"})


def digest_of(salt: str, number: str) -> str:
    """The keyed digest a manifest keeps of each synthetic ID number (lint.py checks against it)."""
    return hmac.new(f"idcard-mock:{salt}".encode(), number.encode(), hashlib.sha256).hexdigest()


def staging_for(target: Path) -> Path:
    return target.parent / f".{target.name}.recording"


class Recorder:
    """Masks and writes exchanges into `staging` (one proxy worker; calls from its greenlets)."""

    def __init__(self, staging: Path, *, as_of: date, keep_demographics: bool = False,
                 raw_dir: Path | None = None, key: bytes | None = None) -> None:
        self.staging = staging
        self.masker = Masker(key or secrets.token_bytes(32), as_of=as_of,
                             keep_demographics=keep_demographics)
        self.as_of = as_of
        self.raw_dir = raw_dir
        self.pack_key = json.loads((staging / "meta.json").read_text())["pack"]
        self._lock = threading.Lock()
        self._count = 0
        self._entries = 0
        self._images: dict[int, str] = {}

    @staticmethod
    def prepare(target: Path, *, upstream: str, keep_demographics: bool) -> Path:
        """The staging folder for a pack at `target` (which must be missing or empty)."""
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise PackError(f"{target} is not an empty folder; choose a new one for the recording")
        staging = staging_for(target)
        if staging.exists():
            shutil.rmtree(staging)
        (staging / "exchanges").mkdir(parents=True)
        (staging / "images").mkdir()
        meta = {"pack": secrets.token_hex(8), "upstream": upstream,
                "keep_demographics": keep_demographics,
                "started": datetime.now().astimezone().isoformat(timespec="seconds")}
        (staging / "meta.json").write_text(json.dumps(meta))
        return staging

    # -- one exchange ------------------------------------------------------------------------
    def record(self, *, call: str, method: str, query: dict[str, str], body: Any, status: int,
               content_type: str | None, answer: bytes, latency_s: float) -> None:
        with self._lock:  # one exchange at a time: the masker's memory and the numbering
            self._count += 1
            number = self._count
            request = {**query, **(body if isinstance(body, dict) else {})}
            real_order = next((str(request[k]) for k in _ORDER_FIELDS if k in request), None)
            label = self.masker.order(real_order) if real_order else None
            parsed = _json(answer)
            masked = self._answer(parsed, label) if parsed is not None else None
            exchange: dict[str, Any] = {
                "seq": number,
                "call": call,
                "method": method,
                "order": label,
                "request": self._request(query, body),
                "status": status,
                "content_type": content_type,
                "answer": masked,
                "latency_ms": round(latency_s * 1000, 1),
            }
            if parsed is None:
                exchange["answer_bytes"] = len(answer)
            if call == OCR and isinstance(body, dict):
                exchange["request"]["entry"] = self._image(number, body, masked, label)
                exchange["request"]["image"] = self._images.pop(number)
            _write_json(self.staging / "exchanges" / f"{number:06d}.json", exchange)
            save_synthetic_numbers(self)

    def _request(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"query": sorted(query)}
        if isinstance(body, dict):
            out["body"] = sorted(body)
        values = {k: v for k, v in {**query, **(body if isinstance(body, dict) else {})}.items()
                  if k in _KEPT_VALUES and isinstance(v, str) and len(v) <= 20}
        out["values"] = values
        return out

    def _answer(self, answer: Any, label: str | None) -> Any:
        if isinstance(answer, dict):
            answer = dict(answer)
            if isinstance(answer.get("result"), dict):
                answer["result"] = self.masker.result(answer["result"], label)
        return self._scrub(answer, label)

    def _scrub(self, value: Any, label: str | None, key: str = "") -> Any:
        """Credentials to their format, images to `<image>`, order numbers to their label, and
        any ID number left in a text to its synthetic one."""
        if isinstance(value, dict):
            return {k: self._scrub(v, label, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v, label, key) for v in value]
        if not isinstance(value, str):
            return value
        if key in shapes.CREDENTIAL_FIELDS:
            return shapes.redact(value)
        if key in shapes.IMAGE_FIELDS:
            return shapes.IMAGE if value else ""
        if key in _ORDER_FIELDS:
            return self.masker.order(value)
        if key == "idcard":
            return value  # already replaced by the masker
        return masking.ID_NUMBER.sub(lambda m: self.masker.person(m.group()).idcard, value)

    # -- the card image ----------------------------------------------------------------------
    def _image(self, number: int, body: dict[str, Any], masked: Any, label: str | None) -> str:
        from mock_server.fixtures.render import render

        answer = masked if isinstance(masked, dict) else {}
        code = str(answer.get("code", ""))
        result = answer.get("result") if isinstance(answer.get("result"), dict) else {}
        side = checks.answer_side(answer) if code == "0" else None
        if side is None:
            side = EMBLEM if str(body.get("cardType")) == "1" else PORTRAIT
        self._entries += 1
        index = self._entries
        person = self.masker.person_of_order(label) if label else self.masker.person_of_order(
            f"image{number}")
        card = _card(person, result, side)
        mask = str(result.get("multiWarning") or "")
        warnings = tuple(i + 1 for i, c in enumerate(mask) if c == "1") if re.fullmatch(
            r"[01]{8}", mask) else ()
        fixture = Fixture(
            index=index, side=side, variant=Variant("recorded", (side,), code or "-", warnings),
            person=int(label[5:]) if label else 0, card=card,
            clarity=str(result.get("clarity", "")), art_seed=number, as_of=self.as_of,
        )
        (self.staging / fixture.image).write_bytes(render(fixture, self.pack_key))
        entry = {"id": fixture.id, "image": fixture.image, "side": side}
        self._images[number] = fixture.image
        _write_json(self.staging / "exchanges" / f"{number:06d}.entry.json", entry)
        if self.raw_dir is not None:
            self._keep_raw(fixture.id, body.get("idcardStr"))
        return fixture.id

    def _keep_raw(self, entry_id: str, text: Any) -> None:
        if not isinstance(text, str):
            return
        try:
            data = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return
        assert self.raw_dir is not None
        self.raw_dir.mkdir(mode=0o700, exist_ok=True)
        path = self.raw_dir / f"{entry_id}.bin"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)


def _card(person: Identity, result: dict[str, Any], side: str) -> Identity:
    """The synthetic person as the masked answer prints them (fields the answer gave win)."""
    changes: dict[str, Any] = {}
    for key in ("name", "sex", "nation", "address", "idcard", "authority"):
        if isinstance(result.get(key), str) and result[key]:
            changes[key] = result[key]
    birth = result.get("birth")
    if isinstance(birth, str) and re.fullmatch(r"\d{8}", birth):
        try:
            changes["birth"] = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        except ValueError:
            pass
    valid = result.get("validDate")
    match = re.fullmatch(r"(\d{8})-(\d{8}|长期)", valid) if isinstance(valid, str) else None
    if match:
        try:
            changes["valid_from"] = datetime.strptime(match.group(1), "%Y%m%d").date()
            changes["valid_to"] = (None if match.group(2) == "长期"
                                   else datetime.strptime(match.group(2), "%Y%m%d").date())
        except ValueError:
            pass
    return replace(person, **changes)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def synthetic_numbers_file(staging: Path) -> Path:
    return staging / "synthetic-numbers.json"


def save_synthetic_numbers(recorder: Recorder) -> None:
    """The digests of the synthetic numbers, kept beside the staged exchanges (never the numbers'
    real originals: the masker keeps those as keyed hashes only)."""
    salt = json.loads((recorder.staging / "meta.json").read_text())["pack"]
    digests = sorted(digest_of(salt, n) for n in recorder.masker.synthetic_numbers)
    _write_json(synthetic_numbers_file(recorder.staging), digests)


# -- the finished pack ---------------------------------------------------------------------------
def _manifest_entry(exchange: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest entry of an OCR exchange, when the mock can give its answer from a manifest:
    code "0" with a result of that side, or one of the vendor's OCR failure codes."""
    answer = exchange.get("answer")
    if not isinstance(answer, dict):
        return None
    code = answer.get("code")
    out: dict[str, Any] = {**entry, "code": code, "msg": answer.get("msg"),
                           "person": int(exchange["order"][5:]) if exchange.get("order") else 0}
    if code == "0" and isinstance(answer.get("result"), dict):
        result = answer["result"]
        out["result"] = {k: v for k, v in result.items() if k not in _PER_CALL}
        if entry["side"] == PORTRAIT and isinstance(result.get("nativePlace"), str):
            out["nativePlace"] = result["nativePlace"]
        return out
    if isinstance(code, str) and code in OCR_FAILURES:
        out["result"] = None
        return out
    return None


def _biz_shape(answer: dict[str, Any]) -> str | None:
    value = answer.get("bizSeqNo")
    if not isinstance(value, str):
        return None if value is None else shapes.fmt(value)
    shape = shapes.fmt(value)
    time = answer.get("transactionTime")
    if isinstance(time, str) and len(time) == 14 and len(value) >= 6:
        shape += ", starts yyMMdd" if value[:6] == time[2:8] else ", no date prefix"
    return shape


def _calls(exchanges: list[dict[str, Any]]) -> dict[str, Any]:
    calls: dict[str, Any] = {}
    for call in sorted({e["call"] for e in exchanges}):
        mine = [e for e in exchanges if e["call"] == call]
        answers = [e["answer"] for e in mine if isinstance(e.get("answer"), dict)]
        calls[call] = {
            "count": len(mine),
            "median_latency_ms": round(statistics.median(e["latency_ms"] for e in mine), 1),
            "codes": dict(Counter(str(a.get("code")) for a in answers)),
            "http_status": dict(Counter(str(e["status"]) for e in mine)),
            "bizSeqNo_shapes": sorted({s for a in answers if (s := _biz_shape(a))}),
        }
    return calls


def finish(staging: Path, target: Path, *, as_of: date) -> dict[str, Any]:
    """Assemble the pack from `staging`, lint it, and move it to `target`. A failing lint removes
    the staging folder and raises PackError naming each finding: no failing pack is left."""
    from .lint import lint

    meta = json.loads((staging / "meta.json").read_text())
    exchanges, entries = [], []
    for path in sorted((staging / "exchanges").glob("*.json")):
        if path.name.endswith(".entry.json"):
            continue
        exchange = json.loads(path.read_text(encoding="utf-8"))
        exchanges.append(exchange)
        entry_path = path.with_name(path.name.replace(".json", ".entry.json"))
        if exchange["call"] == OCR and entry_path.is_file():
            made = _manifest_entry(exchange, json.loads(entry_path.read_text(encoding="utf-8")))
            if made is not None:
                entries.append(made)
    numbers_file = synthetic_numbers_file(staging)
    digests = json.loads(numbers_file.read_text()) if numbers_file.is_file() else []
    manifest = {
        "version": MANIFEST_VERSION,
        "as_of": as_of.isoformat(),
        "pack": meta["pack"],
        "recording": {
            "format": RECORDING_FORMAT,
            "upstream": meta["upstream"],
            "started": meta["started"],
            "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
            "keep_demographics": meta["keep_demographics"],
            "digest_salt": meta["pack"],
            "synthetic_numbers": digests,
            "exchanges": EXCHANGES_NAME,
            "calls": _calls(exchanges),
        },
        "entries": entries,
    }
    shutil.rmtree(staging / "exchanges")
    for name in ("meta.json", numbers_file.name):
        (staging / name).unlink(missing_ok=True)
    (staging / EXCHANGES_NAME).write_text(json.dumps(exchanges, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    (staging / MANIFEST_NAME).write_text(dump_manifest(manifest), encoding="utf-8")
    findings = lint(staging)
    if findings:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackError("the recording failed the lint and was removed:\n  "
                        + "\n  ".join(str(f) for f in findings))
    if target.is_dir():
        target.rmdir()
    staging.rename(target)
    return manifest


def upstream_label(url: str) -> str:
    """The upstream as a recording names it: scheme and host, never a path or query."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "upstream"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
