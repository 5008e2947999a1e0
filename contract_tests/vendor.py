"""The documented contract the suite judges a target by, in one place (docs/vendor-api.md).

Nothing here is read from the mock: every value below is the vendor's, with its section.
"""

from __future__ import annotations

API_VERSION = "1.0.0"

# Paths (§2, §3, §6, §7).
TOKEN_PATH = "/api/oauth2/access_token"
TICKET_PATH = "/api/oauth2/api_ticket"
OCR_PATH = "/api/paas/idcardocrapp"
OCR_RESULT_PATH = "/api/server/getOcrResult"

# Lifetimes in seconds: the access token 7200 (§2), the SIGN ticket 3600 and the NONCE ticket 120
# (§3); a new token leaves the app's previous token one more minute (§2).
TOKEN_LIFETIME = 7200
SIGN_TICKET_LIFETIME = 3600
NONCE_TICKET_LIFETIME = 120
TOKEN_OVERLAP = 60

# The fields of each side of a card (§7).
PORTRAIT_FIELDS = ("name", "sex", "nation", "birth", "address", "idcard")
EMBLEM_FIELDS = ("authority", "validDate")
# getOcrResult names a side's fields with these prefixes (§6).
RESULT_PREFIX = {"portrait": "front", "emblem": "back"}
# The legacy cardType values (§7, version history).
CARD_TYPES = {"portrait": "0", "emblem": "1"}

# A wrong sign, a NONCE ticket where a SIGN ticket belongs, missing parameters (§5b).
ILLEGAL_REQUEST = ("400101", "不合法的请求")
# getOcrResult for an order with no OCR result (§5a, §6).
ORDER_NOT_FOUND = ("66660020", "OCR 结果查询不到")
# The OCR codes and their messages (§5a).
OCR_CODES = {
    "66660015": "视频或图片异常",
    "66660020": "OCR 结果查询不到",
    "66661001": "请调整角度，保持清晰",
    "66661003": "身份证已失效",
    "66661004": "身份证日期不正确",
    "66661005": "图像解码异常",
    "66661006": "非身份证人像面",
    "66661007": "非身份证国徽面",
    "66661008": "姓名或身份证号未能识别",
    "66661010": "格式有误",
    "66661012": "签发机关未能识别",
    "66661099": "处理失败",
    "300101": "加解密失败",
}
NOT_PORTRAIT_SIDE = ("66661006", OCR_CODES["66661006"])
NOT_EMBLEM_SIDE = ("66661007", OCR_CODES["66661007"])

# The terms a card runs (§9): 5, 10 or 20 years, or 长期.
CARD_TERMS = (5, 10, 20)
