"""An example partner backend: what a service beside idcard-mock does with it, on the standard
library alone. Token, SIGN ticket, a signed OCR call with a card photo, then the order's result
and images back by getOcrResult. Exit status 0 when every step answered code 0.

KYC_BASE_URL, KYC_APP_ID and KYC_SECRET say where and who; KYC_WAIT how many seconds to wait
for the service to answer at all (a container started beside it may still be starting)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

BASE = os.environ.get("KYC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
APP_ID = os.environ.get("KYC_APP_ID", "TIDA0001")
SECRET = os.environ["KYC_SECRET"]
VERSION = "1.0.0"


def call(path: str, params: dict[str, str], body: dict[str, str] | None = None) -> dict:
    url = f"{BASE}{path}?{urllib.parse.urlencode(params)}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    if answer.get("code") != "0":
        sys.exit(f"partner: {path} answered {answer.get('code')} {answer.get('msg')}")
    return answer


def sign(*values: str) -> str:
    """The vendor's sign: SHA-1 of the values sorted and concatenated."""
    return hashlib.sha1("".join(sorted(values)).encode()).hexdigest().upper()


def card_photo(width: int = 856, height: int = 540) -> bytes:
    """A plain PNG the size of a card scan (stands in for a user's upload)."""
    row = b"\x00" + bytes((200, 210, 225)) * width
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
              (b"IDAT", zlib.compress(row * height)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks)


def token() -> str:
    params = {"appId": APP_ID, "secret": SECRET, "grant_type": "client_credential", "version": VERSION}
    deadline = time.monotonic() + float(os.environ.get("KYC_WAIT", "60"))
    while True:
        try:
            return call("/api/oauth2/access_token", params)["access_token"]
        except (urllib.error.URLError, ConnectionError) as error:
            if time.monotonic() > deadline:
                sys.exit(f"partner: {BASE} does not answer: {error}")
            time.sleep(0.5)


def main() -> None:
    access_token = token()
    ticket = call("/api/oauth2/api_ticket", {"appId": APP_ID, "access_token": access_token,
                                             "type": "SIGN", "version": VERSION})["tickets"][0]["value"]
    order_no, nonce = f"partner{int(time.time())}", secrets.token_hex(16)
    signed = sign(APP_ID, order_no, nonce, VERSION, ticket)
    photo = card_photo()
    ocr = call("/api/paas/idcardocrapp", {"orderNo": order_no},
               {"appId": APP_ID, "orderNo": order_no, "nonce": nonce, "version": VERSION,
                "sign": signed, "idcardStr": base64.b64encode(photo).decode()})
    result = call("/api/server/getOcrResult", {"app_id": APP_ID, "order_no": order_no, "nonce": nonce,
                                               "version": VERSION, "sign": signed, "get_file": "1"})
    kept = base64.b64decode(result["result"]["frontPhoto"]) == photo
    print(f"partner: order {order_no}: {ocr['result']['name']}, ID {ocr['result']['idcard'][:6]}…, "
          f"image kept: {kept}")
    sys.exit(0 if kept else "partner: getOcrResult did not give back the image sent")


if __name__ == "__main__":
    main()
