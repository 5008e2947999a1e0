"""POST /api/paas/idcardocrapp and GET /api/server/getOcrResult in-process (§6, §7)."""

from __future__ import annotations

import base64
import re

import pytest
from stdnum.cn import ric

from mock_server.app import create_app
from mock_server.settings import DEFAULT_APP_ID, Settings
from mock_server.signing import request_sign, result_sign
from tests.support import NONCE, VERSION, Flow, b64, card_image, new_order_no

ILLEGAL = ("400101", "不合法的请求")
OCR_PATH = "/api/paas/idcardocrapp"


def code_msg(body):
    return body["code"], body["msg"]


@pytest.mark.fidelity("F-ANS-8", "F-ANS-10", "F-PPL-2", "F-SIGN-5")
def test_portrait_answer_is_a_consistent_person(flow: Flow):
    order_no = new_order_no()
    status, body, _ = flow.ocr(card_image(1), order_no)
    assert status == 200 and body["code"] == "0" and body["msg"] == "请求成功"
    result = body["result"]
    assert set(result) >= {"name", "sex", "nation", "birth", "address", "idcard", "bizSeqNo",
                           "transactionTime", "ocrId", "orderNo", "warning", "multiWarning",
                           "clarity", "retry", "success", "sign"}
    assert not {"authority", "validDate", "nativePlace"} & set(result)
    assert result["orderNo"] == order_no and body["bizSeqNo"] == result["bizSeqNo"]
    idcard = ric.validate(result["idcard"])
    assert ric.get_birth_date(idcard).strftime("%Y%m%d") == result["birth"]
    assert result["sex"] == ("男" if int(idcard[16]) % 2 else "女")
    place = ric.get_birth_place(idcard)
    assert result["address"].startswith(place["province"]) and place["county"] in result["address"]
    assert re.fullmatch(r"[0-9a-f]{32}", result["ocrId"])
    assert result["warning"] == result["multiWarning"] == "00000000"
    assert result["sign"] == result_sign(DEFAULT_APP_ID, order_no, flow.ticket)


@pytest.mark.fidelity("F-ANS-9", "F-ANS-11", "F-ORD-6")
@pytest.mark.parametrize("seed", range(5))
def test_bizseqno_clarity_and_crops(flow: Flow, seed):
    order_no = new_order_no()
    _, body, _ = flow.ocr(card_image(40 + seed), order_no)
    number, time = body["bizSeqNo"], body["transactionTime"]
    assert re.fullmatch(r"\d{32}", number)
    assert (number[:6], number[6:14], number[18:24]) == (time[2:8], "20001184", time[8:14])
    assert 60 <= int(body["result"]["clarity"]) <= 95
    result = flow.ocr_result(order_no, get_file="1")[1]["result"]
    assert result["frontCrop"] == result["headPhoto"] == "" and result["frontPhoto"]


@pytest.mark.fidelity("F-HOST-6")
@pytest.mark.parametrize("version", ["1.0.0", "2.0", "v" * 20])
def test_version_is_any_string_of_at_most_20(flow: Flow, version):
    order_no = new_order_no()
    ticket = flow.get_ticket()
    body = flow.ocr_body(card_image(14), order_no, version=version,
                         sign=request_sign(DEFAULT_APP_ID, order_no, NONCE, version, ticket))
    assert flow.post(OCR_PATH, body)[1]["code"] == "0"


@pytest.mark.fidelity("F-PPL-1")
def test_same_image_same_person_and_another_image_another(flow: Flow):
    first = flow.ocr(card_image(2))[1]["result"]
    again = flow.ocr(card_image(2))[1]["result"]
    other = flow.ocr(card_image(3))[1]["result"]
    assert first["idcard"] == again["idcard"] and first["name"] == again["name"]
    assert first["ocrId"] != again["ocrId"]
    assert other["idcard"] != first["idcard"]


@pytest.mark.fidelity("F-HOST-5")
def test_emblem_side_by_card_type(flow: Flow):
    _, body, _ = flow.ocr(card_image(4), cardType="1")
    result = body["result"]
    assert body["code"] == "0"
    assert re.fullmatch(r"\d{8}-(\d{8}|长期)", result["validDate"])
    assert result["authority"].endswith(("公安局", "分局"))
    assert not {"name", "sex", "nation", "birth", "address", "idcard"} & set(result)


def test_default_side_is_configurable(clock):
    app = create_app(Settings(db=":memory:", strict=True, default_side="emblem"), clock=clock)
    body = Flow(app.test_client()).ocr(card_image(5))[1]
    assert "validDate" in body["result"]


@pytest.mark.fidelity("F-ANS-12")
def test_get_native_adds_the_native_place_of_the_number(flow: Flow):
    result = flow.ocr(card_image(6), getNative="1")[1]["result"]
    place = ric.get_birth_place(result["idcard"])
    assert result["nativePlace"].startswith(place["province"])
    assert result["nativePlace"].endswith(place["county"])
    assert result["address"].startswith(result["nativePlace"])


@pytest.mark.fidelity("F-HOST-5")
@pytest.mark.parametrize(
    ("card_type", "marked_side", "code", "msg"),
    [("0", "emblem", "66661006", "非身份证人像面"), ("1", "portrait", "66661007", "非身份证国徽面")],
)
def test_wrong_side_for_card_type(flow: Flow, card_type, marked_side, code, msg):
    _, body, _ = flow.ocr(card_image(7, side=marked_side), cardType=card_type)
    assert code_msg(body) == (code, msg) and "result" not in body


def test_marked_side_wins_over_the_default(flow: Flow):
    assert "validDate" in flow.ocr(card_image(8, fmt="PNG", side="emblem"))[1]["result"]


@pytest.mark.fidelity("F-REQ-7")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP"])
def test_every_accepted_format(flow: Flow, fmt):
    assert flow.ocr(card_image(9, fmt=fmt))[1]["code"] == "0"


def _one_over(text: str) -> str:
    """Base64 text one character longer than a whole number of 4-character groups."""
    return text + "A" * ((1 - len(text)) % 4)


def _broken(text: str, every: int, separator: str) -> str:
    return separator.join(text[i:i + every] for i in range(0, len(text), every))


@pytest.mark.fidelity("F-REQ-5")
@pytest.mark.parametrize(
    "encode",
    [lambda t: t, lambda t: t.rstrip("="), lambda t: _broken(t, 76, "\r\n"),
     lambda t: _broken(t, 76, "\n") + "\n", lambda t: _broken(t, 64, "\n"),
     lambda t: _broken(t, 64, " "), lambda t: _broken(t, 10, "\t"),
     lambda t: " " + _broken(t.rstrip("="), 1, " \r\n ") + " "],
    ids=["plain", "unpadded", "mime-76-crlf", "76-lf", "pem-64-lf", "spaces-64", "tabs-10",
         "whitespace-between-every-character"],
)
def test_base64_as_real_clients_write_it(flow: Flow, encode):
    """The standard alphabet; whitespace (space, tab, CR, LF) anywhere is left out, padding is
    optional."""
    data = card_image(10)
    text = b64(data)
    assert set("+/=") & set(text)  # the image uses the characters the next test replaces
    status, body, _ = flow.ocr(encode(text))
    assert body["code"] == "0"
    order_no = body["result"]["orderNo"]
    assert base64.b64decode(flow.ocr_result(order_no, get_file="1")[1]["result"]["frontPhoto"]) == data


@pytest.mark.fidelity("F-REQ-5")
@pytest.mark.parametrize(
    "encode",
    [lambda t: t.replace("+", "-").replace("/", "_"), lambda t: t[:100] + "*" + t[100:],
     lambda t: t[:100] + "=" + t[100:], lambda t: t[:100] + "\v" + t[100:],
     lambda t: t[:100] + "\u3000" + t[100:], lambda t: _one_over(t.rstrip("="))],
    ids=["url-safe-alphabet", "asterisk", "padding-inside", "vertical-tab", "ideographic-space",
         "length-of-a-lone-character"],
)
def test_base64_with_anything_else_is_66661005(flow: Flow, encode):
    text = b64(card_image(10))
    assert "-" not in text and "_" not in text and ("+" in text or "/" in text)
    _, body, response = flow.ocr(encode(text))
    assert code_msg(body) == ("66661005", "图像解码异常")
    assert response.headers["X-Mock-Detail"] == "idcardStr is not valid Base64"


@pytest.mark.fidelity("F-REQ-6")
def test_data_url_prefix_is_refused_unless_configured(flow: Flow, clock):
    text = "data:image/jpeg;base64," + b64(card_image(11))
    _, body, response = flow.ocr(text)
    assert code_msg(body) == ("66661005", "图像解码异常")
    assert "data: URL" in response.headers["X-Mock-Detail"]
    lenient = create_app(Settings(db=":memory:", accept_data_url=True), clock=clock)
    assert Flow(lenient.test_client()).ocr(text)[1]["code"] == "0"


@pytest.mark.fidelity("F-SIGN-1", "F-SIGN-2", "F-REQ-4")
def test_user_id_is_not_signed_and_sign_case_is_ignored(flow: Flow):
    body = flow.ocr_body(card_image(12), userId="user_0001")
    assert flow.post(OCR_PATH, body)[1]["code"] == "0"
    body = flow.ocr_body(card_image(12))
    body["sign"] = body["sign"].lower()
    assert flow.post(OCR_PATH, body)[1]["code"] == "0"


@pytest.mark.fidelity("F-HOST-3")
def test_query_order_no_is_only_for_tracing(flow: Flow):
    body = flow.ocr_body(card_image(13))
    _, answer, _ = flow.post(f"{OCR_PATH}?orderNo=somethingElse", body)
    assert answer["result"]["orderNo"] == body["orderNo"]


@pytest.mark.fidelity("F-TOK-6")
def test_nonce_ticket_never_verifies(flow: Flow):
    nonce_ticket = flow.get_ticket("NONCE", user_id="user0001")
    flow.get_ticket()
    body = flow.ocr_body(card_image(14), ticket=nonce_ticket)
    _, answer, response = flow.post(OCR_PATH, body)
    assert code_msg(answer) == ILLEGAL
    assert "NONCE ticket" in response.headers["X-Mock-Detail"]


def test_ticket_of_another_app_is_refused(clock):
    apps = {DEFAULT_APP_ID: "a" * 64, "TIDA0002": "b" * 64}
    app = create_app(Settings(db=":memory:", apps=apps), clock=clock)
    mine = Flow(app.test_client(), secret="a" * 64)
    theirs = Flow(app.test_client(), app_id="TIDA0002", secret="b" * 64)
    mine.get_ticket()
    body = mine.ocr_body(card_image(15), ticket=theirs.get_ticket())
    _, answer, response = mine.post(OCR_PATH, body)
    assert code_msg(answer) == ILLEGAL and "another app" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-SIGN-1")
def test_signed_fields_must_match_the_body(flow: Flow):
    body = flow.ocr_body(card_image(16))
    body["nonce"] = "X" * 32
    _, answer, response = flow.post(OCR_PATH, body)
    assert code_msg(answer) == ILLEGAL and "sign" in response.headers["X-Mock-Detail"]


# -- shape errors, in precedence order ---------------------------------------------------------


@pytest.mark.fidelity("F-ANS-2")
def test_get_on_the_ocr_path_is_405(flow: Flow):
    response = flow.http.get(OCR_PATH)
    assert response.status_code == 405 and code_msg(response.get_json()) == ILLEGAL
    assert response.headers["Allow"] == "OPTIONS, POST"


@pytest.mark.fidelity("F-ANS-2")
def test_unknown_path_is_404_in_the_envelope(flow: Flow):
    response = flow.http.get("/api/paas/nosuch")
    assert response.status_code == 404 and code_msg(response.get_json()) == ILLEGAL


@pytest.mark.fidelity("F-REQ-1")
@pytest.mark.parametrize(
    ("kwargs", "detail"),
    [
        ({"data": "{}", "content_type": "text/plain"}, "Content-Type"),
        ({"data": "{not json", "content_type": "application/json"}, "not valid UTF-8 JSON"),
        ({"data": b"\xff\xfe", "content_type": "application/json"}, "not valid UTF-8 JSON"),
        ({"data": "[1, 2]", "content_type": "application/json"}, "type object"),
        ({"data": '"text"', "content_type": "application/json"}, "type object"),
        ({"data": "", "content_type": "application/json"}, "not valid UTF-8 JSON"),
    ],
    ids=["content-type", "not-json", "not-utf8", "array", "string", "empty"],
)
def test_bodies_that_are_not_a_json_object(flow: Flow, kwargs, detail):
    response = flow.http.post(OCR_PATH, **kwargs)
    assert response.status_code == 200 and code_msg(response.get_json()) == ILLEGAL
    assert detail in response.headers["X-Mock-Detail"]


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"sign": None}, "'sign' is a required property"),
        ({"idcardStr": None}, "'idcardStr' is a required property"),
        ({"nonce": 12345}, "nonce must be of type"),
        ({"orderNo": "x" * 33}, "orderNo"),
        ({"nonce": "n" * 33}, "nonce"),
        ({"appId": "TOOLONGAPP"}, "appId"),
        ({"userId": "u" * 33}, "userId"),
        ({"version": "v" * 21}, "version"),
        ({"getNative": 1}, "getNative must be of type"),
        ({"cardType": "2"}, "cardType"),
        ({"sign": "Z" * 40}, "sign"),
    ],
    ids=["no-sign", "no-image", "nonce-number", "order-too-long", "nonce-too-long",
         "app-too-long", "user-too-long", "version-too-long", "get-native", "card-type",
         "sign-not-hex"],
)
@pytest.mark.fidelity("F-REQ-2", "F-REQ-3", "F-REQ-4")
def test_malformed_fields(flow: Flow, change, detail):
    body = flow.ocr_body(card_image(17))
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    _, answer, response = flow.post(OCR_PATH, body)
    assert code_msg(answer) == ILLEGAL
    assert detail in response.headers["X-Mock-Detail"]


def test_unknown_app(flow: Flow):
    body = flow.ocr_body(card_image(18))
    body["appId"] = "NOSUCHAP"
    _, answer, response = flow.post(OCR_PATH, body)
    assert code_msg(answer) == ILLEGAL and "not configured" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-REQ-11")
def test_shape_is_checked_before_the_sign(flow: Flow):
    body = flow.ocr_body(card_image(19))
    body["sign"] = "0" * 40
    body["orderNo"] = "bad order!"
    assert "orderNo" in flow.post(OCR_PATH, body)[2].headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-REQ-11")
def test_sign_is_checked_before_the_image(flow: Flow):
    body = flow.ocr_body("not base64 at all!!")
    body["sign"] = "0" * 40
    assert code_msg(flow.post(OCR_PATH, body)[1]) == ILLEGAL


def test_not_base64_is_66661005(flow: Flow):
    _, body, _ = flow.ocr("not base64 at all!!")
    assert code_msg(body) == ("66661005", "图像解码异常")


@pytest.mark.fidelity("F-REQ-8")
@pytest.mark.parametrize(
    "payload", [b"plain text, not an image", b"GIF89a" + b"\0" * 40, b"\xff\xd8\xff" + b"\0" * 50],
    ids=["text", "gif-header", "broken-jpeg"],
)
def test_bytes_that_are_not_an_image_are_66661010(flow: Flow, payload):
    _, body, _ = flow.ocr(payload)
    assert code_msg(body) == ("66661010", "格式有误")


@pytest.mark.fidelity("F-REQ-7")
def test_gif_is_not_an_accepted_format(flow: Flow):
    _, body, response = flow.ocr(card_image(20, fmt="GIF"))
    assert code_msg(body) == ("66661010", "格式有误") and "GIF" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-REQ-10")
def test_image_over_the_limit_is_refused_from_its_length(flow: Flow):
    from mock_server.limits import MAX_BODY_BYTES

    flow.get_ticket()
    response = flow.http.post(
        OCR_PATH, data=b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}", content_type="application/json"
    )
    assert code_msg(response.get_json()) == ("66660015", "视频或图片异常")


@pytest.mark.fidelity("F-REQ-10")
def test_idcard_str_over_20971520_characters(flow: Flow):
    text = "A" * 20_971_524
    _, body, response = flow.ocr(text)
    assert code_msg(body) == ILLEGAL and "idcardStr" in response.headers["X-Mock-Detail"]


# -- getOcrResult ------------------------------------------------------------------------------


@pytest.mark.fidelity("F-ORD-1", "F-ORD-5", "F-ORD-7")
def test_get_ocr_result_returns_both_sides_and_the_images(flow: Flow):
    order_no = new_order_no()
    front, back = card_image(21), card_image(22, side="emblem")
    portrait = flow.ocr(front, order_no)[1]["result"]
    emblem = flow.ocr(back, order_no)[1]["result"]
    status, body, _ = flow.ocr_result(order_no, get_file="1", get_native="1")
    assert status == 200 and body["code"] == "0"
    result = body["result"]
    assert result["frontCode"] == result["backCode"] == "0"
    for key in ("name", "sex", "nation", "birth", "address", "idcard"):
        assert result[key] == portrait[key]
    assert result["validDate"] == emblem["validDate"] and result["authority"] == emblem["authority"]
    assert base64.b64decode(result["frontPhoto"]) == front
    assert base64.b64decode(result["backPhoto"]) == back
    assert result["frontWarnCode"] == "00000000" and result["backClarity"] == emblem["clarity"]
    assert result["operateTime"] == "2026-01-01 08:00:00"
    assert result["nativePlace"] == flow.ocr(front, getNative="1")[1]["result"]["nativePlace"]


@pytest.mark.fidelity("F-ORD-4", "F-ORD-5")
def test_get_ocr_result_without_files_has_no_images(flow: Flow):
    order_no = new_order_no()
    flow.ocr(card_image(23), order_no)
    result = flow.ocr_result(order_no)[1]["result"]
    assert not {"frontPhoto", "backPhoto", "headPhoto", "nativePlace", "backCode"} & set(result)


@pytest.mark.fidelity("F-ORD-5", "F-ANS-12")
@pytest.mark.parametrize("value", ["", "0", "2", "true", "yes", "11", "１"])
def test_get_file_and_get_native_other_than_1_ask_for_nothing(flow: Flow, value):
    """"1" asks for the images and the native place; any other value for neither (§6: 值为1则返回
    文件；其他则不返回), and is no malformed request."""
    order_no = new_order_no()
    flow.ocr(card_image(23), order_no)
    flow.ocr(card_image(26, side="emblem"), order_no)
    _, body, _ = flow.ocr_result(order_no, get_file=value, get_native=value)
    assert body["code"] == "0" and body["result"]["frontCode"] == body["result"]["backCode"] == "0"
    assert not {"frontPhoto", "backPhoto", "frontCrop", "backCrop", "headPhoto",
                "nativePlace"} & set(body["result"])


@pytest.mark.fidelity("F-ANS-12")
@pytest.mark.parametrize("value", ["", "0", "2", "true", "yes", "11"])
def test_get_native_other_than_1_asks_for_no_native_place(flow: Flow, value):
    """The OCR body's getNative: "1" returns the native place, any other value not (§7: 值为1则
    返回映射信息)."""
    _, body, _ = flow.ocr(card_image(6), getNative=value)
    assert body["code"] == "0" and "idcard" in body["result"]
    assert "nativePlace" not in body["result"]


@pytest.mark.fidelity("F-ORD-3", "F-ORD-4")
def test_failed_recognitions_are_recorded_with_their_code(flow: Flow):
    order_no = new_order_no()
    flow.ocr(card_image(24, side="emblem"), order_no, cardType="0")
    result = flow.ocr_result(order_no, get_file="1")[1]["result"]
    assert result["backCode"] == "66661006" and "authority" not in result
    assert base64.b64decode(result["backPhoto"]) == card_image(24, side="emblem")


def test_unknown_order_is_66660020(flow: Flow):
    _, body, _ = flow.ocr_result("neverSeen")
    assert code_msg(body) == ("66660020", "OCR 结果查询不到")


@pytest.mark.fidelity("F-ORD-2")
def test_orders_are_private_to_their_app(clock):
    apps = {DEFAULT_APP_ID: "a" * 64, "TIDA0002": "b" * 64}
    app = create_app(Settings(db=":memory:", apps=apps), clock=clock)
    mine = Flow(app.test_client(), secret="a" * 64)
    theirs = Flow(app.test_client(), app_id="TIDA0002", secret="b" * 64)
    order_no = new_order_no()
    mine.ocr(card_image(25), order_no)
    assert theirs.ocr_result(order_no)[1]["code"] == "66660020"


def test_get_ocr_result_checks_its_sign(flow: Flow):
    order_no = new_order_no()
    flow.ocr(card_image(26), order_no)
    params = flow.result_params(order_no)
    params["sign"] = request_sign(DEFAULT_APP_ID, order_no, NONCE, VERSION, "wrongticket")
    _, body, _ = flow.get("/api/server/getOcrResult", params)
    assert code_msg(body) == ILLEGAL


@pytest.mark.fidelity("F-REQ-8")
def test_a_truncated_jpeg_is_66661010(flow: Flow):
    whole = card_image(27)
    _, body, response = flow.ocr(whole[: len(whole) * 2 // 3])
    assert code_msg(body) == ("66661010", "格式有误")
    assert "truncated" in response.headers["X-Mock-Detail"]


@pytest.mark.fidelity("F-REQ-8")
def test_a_png_with_a_damaged_chunk_is_66661010(flow: Flow):
    data = bytearray(card_image(28, fmt="PNG"))
    data[len(data) // 2] ^= 0xFF
    _, body, _ = flow.ocr(bytes(data))
    assert code_msg(body) == ("66661010", "格式有误")
