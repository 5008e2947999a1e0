"""A partner client written the way public ones are (wefi-ai/eKYC-Suite's scripts/kyc_auth.py and
scripts/ekyc_api.py, MIT): the vendor's URL hard-coded in a module constant, credentials from the
environment, plain `requests` calls, its own sign. Nothing here knows about idcard-mock; the
tests run it unchanged under `mock_kyc()`."""

import base64
import hashlib
import os
import random
import string
import time

import requests

KYC_BASE_MAIN = "https://kyc1.qcloud.com"
VERSION = "1.0.0"


def credentials():
    app_id = os.environ.get("KYC_APPID", "")
    secret = os.environ.get("KYC_SECRET", "")
    if not app_id or not secret:
        raise ValueError("set KYC_APPID and KYC_SECRET")
    return app_id, secret


def _get(path, params):
    response = requests.get(f"{KYC_BASE_MAIN}{path}", params=params, timeout=10)
    response.raise_for_status()
    data = response.json()
    if str(data.get("code")) != "0":
        raise RuntimeError(f"{path} failed: code={data.get('code')} msg={data.get('msg')}")
    return data


def access_token(app_id, secret):
    return _get("/api/oauth2/access_token", {
        "app_id": app_id, "secret": secret, "grant_type": "client_credential", "version": VERSION,
    })["access_token"]


def sign_ticket(app_id, token):
    return _get("/api/oauth2/api_ticket", {
        "app_id": app_id, "access_token": token, "type": "SIGN", "version": VERSION,
    })["tickets"][0]["value"]


def nonce():
    return "".join(random.choices(string.ascii_letters + string.digits, k=32))


def order_no():
    return f"ekyc{int(time.time() * 1000)}{random.randint(1000, 9999)}"


def sign(*values):
    return hashlib.sha1("".join(sorted(values)).encode("utf-8")).hexdigest().upper()


def pick(data, *fields):
    """Each field from the top level or from `result`."""
    result = data.get("result") if isinstance(data.get("result"), dict) else {}
    return {f: data.get(f, result.get(f)) for f in fields}


def id_card_ocr(image_path, card_type="0"):
    app_id, secret = credentials()
    ticket = sign_ticket(app_id, access_token(app_id, secret))
    number, once = order_no(), nonce()
    with open(image_path, "rb") as f:
        image = base64.b64encode(f.read()).decode("ascii")
    payload = {"appId": app_id, "version": VERSION, "nonce": once, "orderNo": number,
               "sign": sign(app_id, number, once, VERSION, ticket), "cardType": card_type,
               "idcardStr": image}
    data = requests.post(f"{KYC_BASE_MAIN}/api/paas/idcardocrapp?orderNo={number}", json=payload,
                         timeout=30).json()
    fields = pick(data, "code", "msg", "name", "sex", "nation", "birth", "idcard", "address",
                  "authority", "validDate", "orderNo")
    if str(fields["code"]) != "0":
        return {"success": False, "code": fields["code"], "error": fields["msg"]}
    return {"success": True, **{k: v for k, v in fields.items() if v is not None}}
