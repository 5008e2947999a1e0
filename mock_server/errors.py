"""The error catalogue (data) and the one exception type that carries an entry.

Every failure the mock can answer is an entry here: vendor code, vendor msg, HTTP status and
where the fact comes from. The HTTP layer renders any `ApiError` into the vendor envelope; docs
and "every code is reachable" tests are generated from `CATALOGUE`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    name: str
    code: str
    msg: str
    http_status: int
    source: str
    description: str


def _spec(name: str, code: str, msg: str, source: str, description: str, status: int = 200):
    return ErrorSpec(name, code, msg, status, source, description)


_ILLEGAL = "不合法的请求"

CATALOGUE: dict[str, ErrorSpec] = {
    s.name: s
    for s in (
        # 400101 is documented for a wrong sign and for missing parameters (§5b). The vendor gives
        # no finer code for the other request faults, so they share it; the mock's detail header
        # says which check failed.
        _spec("MALFORMED_REQUEST", "400101", _ILLEGAL, "documented §5b, §2",
              "A parameter or body field is missing, of the wrong type, too long or badly formed."),
        _spec("UNSUPPORTED_MEDIA_TYPE", "400101", _ILLEGAL, "assumed (§7 requires application/json)",
              "The OCR call was not sent as application/json."),
        _spec("UNKNOWN_APP", "400101", _ILLEGAL, "assumed (§5b open question 1)",
              "The appId is not configured in the mock."),
        _spec("WRONG_SECRET", "400101", _ILLEGAL, "assumed (§5b open question 1)",
              "The secret does not belong to the appId."),
        _spec("INVALID_TOKEN", "400101", _ILLEGAL, "assumed (§3, §5b open question 1)",
              "The access_token is unknown, expired, or belongs to another app."),
        _spec("INVALID_TICKET", "400101", _ILLEGAL, "assumed (§3, §5b open question 1)",
              "The sign was made with a SIGN ticket that expired, died with its token, belongs "
              "to another app, or with a NONCE ticket."),
        _spec("SIGN_MISMATCH", "400101", _ILLEGAL, "documented §5b (community Q&A)",
              "The sign does not match any valid SIGN ticket of the app."),
        _spec("METHOD_NOT_ALLOWED", "400101", _ILLEGAL, "observed §8 (HTTP 405 on GET)",
              "The path exists but not for this HTTP method.", 405),
        _spec("NOT_FOUND", "400101", _ILLEGAL, "assumed",
              "No such path.", 404),
        _spec("IMAGE_TOO_LARGE", "66660015", "视频或图片异常", "assumed (§5a, §8 open question 9)",
              "The body or idcardStr exceeds the documented 20 MB."),
        _spec("IMAGE_TOO_MANY_PIXELS", "66660015", "视频或图片异常", "assumed (§5a; limit in fidelity notes)",
              "The image's header declares more pixels than the mock accepts (limits.MAX_IMAGE_PIXELS)."),
        _spec("ORDER_NOT_FOUND", "66660020", "OCR 结果查询不到", "documented §5a, §6",
              "getOcrResult for an orderNo the app never sent."),
        _spec("NOT_ID_CARD", "66661001", "请调整角度，保持清晰", "documented §5a",
              "The image is not an ID card, or too poor to read."),
        _spec("CARD_EXPIRED", "66661003", "身份证已失效", "documented §5a",
              "The card's validity period has ended."),
        _spec("BAD_DATES", "66661004", "身份证日期不正确", "documented §5a",
              "The card's dates are inconsistent."),
        _spec("IMAGE_DECODE_FAILED", "66661005", "图像解码异常", "documented §5a",
              "idcardStr is not Base64."),
        _spec("NOT_PORTRAIT_SIDE", "66661006", "非身份证人像面", "documented §5a",
              "cardType asked for the portrait side and the image is the emblem side."),
        _spec("NOT_EMBLEM_SIDE", "66661007", "非身份证国徽面", "documented §5a",
              "cardType asked for the emblem side and the image is the portrait side."),
        _spec("NAME_OR_ID_UNREADABLE", "66661008", "姓名或身份证号未能识别", "documented §5a",
              "Name or ID number unreadable, or the number fails its check digit."),
        _spec("NOT_AN_IMAGE", "66661010", "格式有误", "documented §5a",
              "The decoded bytes are not a JPEG, PNG or BMP image."),
        _spec("AUTHORITY_UNREADABLE", "66661012", "签发机关未能识别", "documented §5a",
              "The issuing authority is unreadable."),
        _spec("PROCESSING_FAILED", "66661099", "处理失败", "documented §5a",
              "Generic failure; the mock also answers it for an internal fault, never a 500."),
        _spec("CRYPTO_FAILED", "300101", "加解密失败", "documented §5a",
              "Encryption or decryption failure."),
    )
}

# The vendor's OCR failure codes, by code, for recognizers that answer a code (fixtures, scenarios):
# the first entry of each code names it (66660015 is IMAGE_TOO_LARGE, the scenario ocr-image-too-large).
OCR_FAILURES: dict[str, ErrorSpec] = {}
for _s in CATALOGUE.values():
    if _s.code.startswith(("6666", "30")):
        OCR_FAILURES.setdefault(_s.code, _s)


class ApiError(Exception):
    """A failure with a catalogue entry and a plain-English detail for the developer."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.spec = CATALOGUE[name]
        self.detail = detail

    @property
    def name(self) -> str:
        return self.spec.name
