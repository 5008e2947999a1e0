"""Checks for the vendor-contract schemas in schemas/ (JSON Schema 2020-12 + OpenAPI 3.1)."""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).parents[1] / "schemas"
ID_BASE = "https://idcard-mock.invalid/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_SCHEMA_KEYWORDS = {"examples", "const", "enum", "default"}

EXPECTED_FILES = {
    "common.json",
    "access_token.request.json",
    "access_token.response.json",
    "api_ticket.request.json",
    "api_ticket.response.json",
    "idcardocrapp.request.json",
    "idcardocrapp.query.json",
    "idcardocrapp.response.json",
    "getOcrResult.request.json",
    "getOcrResult.response.json",
}


def _load(name):
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


SCHEMAS = {p.name: _load(p.name) for p in sorted(SCHEMA_DIR.glob("*.json")) if p.name != "openapi.json"}
REGISTRY = Registry().with_resources(
    (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in SCHEMAS.values()
)


def validator(name, pointer=""):
    target = {"$ref": ID_BASE + name + ("#" + pointer if pointer else "")}
    return Draft202012Validator(target, registry=REGISTRY)


def is_valid(name, instance, pointer=""):
    return validator(name, pointer).is_valid(instance)


def _walk(node, pointer=""):
    """Yield (json_pointer, dict) for every dict that sits in a schema position."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key in NOT_SCHEMA_KEYWORDS:
                continue
            escaped = key.replace("~", "~0").replace("/", "~1")
            yield from _walk(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{pointer}/{i}")


def _refs(node):
    return [(p, d["$ref"]) for p, d in _walk(node) if isinstance(d.get("$ref"), str)]


# --------------------------------------------------------------------------- structure


def test_expected_files_present():
    present = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert EXPECTED_FILES | {"openapi.json"} <= present


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_2020_12(name):
    Draft202012Validator.check_schema(SCHEMAS[name])


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_metadata(name):
    schema = SCHEMAS[name]
    assert schema["$schema"] == DIALECT
    assert schema["$id"] == ID_BASE + name
    assert schema["title"]
    assert "api-facts" in schema["description"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_all_refs_resolve(name):
    schema = SCHEMAS[name]
    resolver = REGISTRY.resolver(base_uri=schema["$id"])
    refs = _refs(schema)
    for _, ref in refs:
        resolved = resolver.lookup(ref)
        assert isinstance(resolved.contents, dict), ref
    # shared pieces are referenced relatively, never by absolute URI
    assert all(not ref.startswith(("http:", "https:", "/")) for _, ref in refs)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_no_closed_objects(name):
    for pointer, node in _walk(SCHEMAS[name]):
        assert node.get("additionalProperties") is not False, f"{name}#{pointer}"
        assert node.get("unevaluatedProperties") is not False, f"{name}#{pointer}"


def test_common_defs_present():
    expected = {
        "code",
        "successCode",
        "errorCode",
        "msg",
        "transactionTime",
        "bizSeqNo",
        "ocrId",
        "orderNo",
        "nonce",
        "sign",
        "resultSign",
        "warningMask",
        "clarity",
        "birth",
        "validDate",
        "idcard",
        "sex",
        "nation",
        "operateTime",
        "base64Image",
        "errorEnvelope",
    }
    assert expected <= set(SCHEMAS["common.json"]["$defs"])
    assert len(SCHEMAS["common.json"]["$defs"]["nation"]["enum"]) == 56


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document_is_valid():
    path = (SCHEMA_DIR / "openapi.json").resolve()
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert spec["openapi"] == "3.1.0"
    assert spec["jsonSchemaDialect"] == DIALECT
    validate_openapi(spec, base_uri=path.as_uri())


def test_openapi_shape_and_refs():
    spec = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
    assert [s["url"] for s in spec["servers"]] == [
        "https://kyc1.qcloud.com",
        "https://miniprogram-kyc.tencentcloudapi.com",
        "http://127.0.0.1:8000",
    ]
    paths = spec["paths"]
    assert set(paths["/api/oauth2/access_token"]) == {"get"}
    assert set(paths["/api/oauth2/api_ticket"]) == {"get"}
    assert set(paths["/api/server/getOcrResult"]) == {"get"}
    ocr = paths["/api/paas/idcardocrapp"]
    assert "405" in ocr["get"]["responses"]
    assert ocr["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "idcardocrapp.request.json"
    }
    assert ocr["post"]["parameters"][0]["name"] == "orderNo"
    for path_item in paths.values():
        for op in path_item.values():
            for code, resp in op["responses"].items():
                if code == "200":
                    ref = resp["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith(".response.json")
            for param in op.get("parameters", []):
                assert param["description"]
    resolver = REGISTRY.resolver(base_uri=ID_BASE + "openapi.json")
    refs = _refs(spec)
    assert refs
    for _, ref in refs:
        assert not ref.startswith(("http:", "https:", "/", "#"))
        assert isinstance(resolver.lookup(ref).contents, dict), ref


# --------------------------------------------------------------------------- documented examples


def _embedded_examples():
    for name, schema in sorted(SCHEMAS.items()):
        for pointer, node in _walk(schema):
            for i, example in enumerate(node.get("examples", [])):
                yield pytest.param(name, pointer, example, id=f"{name}#{pointer}[{i}]")


@pytest.mark.parametrize("name,pointer,example", list(_embedded_examples()))
def test_embedded_examples_validate(name, pointer, example):
    errors = list(validator(name, pointer).iter_errors(example))
    assert not errors, [e.message for e in errors]


TOKEN_CAPTURE = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "24072620001184415214363812482752",
    "transactionTime": "20240726143638",
    "success": True,
    "access_token": "WAA0f-****",
    "expire_in": 7200,
    "expire_time": "20240726163638",
}
TICKET_CAPTURE = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "24072620001184433114383908047162",
    "transactionTime": "20240726143840",
    "success": True,
    "tickets": [{"value": "*****", "expire_in": 3600, "expire_time": "20240726153839"}],
}
PORTRAIT = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "21062120001184493117265207455389",
    "result": {
        "bizSeqNo": "21062120001184493117265207455389",
        "transactionTime": "20210621172652",
        "ocrId": "54805d89208da5bac41b72fd6ca1be82",
        "orderNo": "1rjh4xez2vn4706nvb9x273812n21136",
        "name": "李四",
        "sex": "男",
        "nation": "汉",
        "birth": "19881001",
        "address": "广东省饶平县黄冈镇中山路8号",
        "idcard": "440524188001010014",
        "warning": "00000000",
        "sign": "2E5A4268DB6B347DF34194D903A6927B8C454AAF",
        "clarity": "64",
        "multiWarning": "00000000",
        "retry": "1",
        "nativePlace": "广东省潮州市饶平县",
        "success": False,
    },
    "transactionTime": "20210621172652",
}
EMBLEM = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "21062120001184438417304507864378",
    "result": {
        "bizSeqNo": "21062120001184438417304507864378",
        "transactionTime": "20210621173045",
        "ocrId": "d1e4111f858413e92784ddbdd5f03f35",
        "orderNo": "h1jw98k72ffe3de249qmf1723673v31v",
        "validDate": "20190128-20390128",
        "authority": "饶平县公安局",
        "warning": "00000000",
        "sign": "1CCE440E241085898B41ECE87E01E6A9D15F74F6",
        "clarity": "72",
        "multiWarning": "00000000",
        "retry": "1",
        "success": False,
    },
    "transactionTime": "20210621173045",
}
GET_OCR_RESULT = {
    "code": "0",
    "msg": "请求成功",
    "bizSeqNo": "21062120001184493117352707455390",
    "result": {
        "frontCode": "0",
        "backCode": "0",
        "orderNo": "1rjh4xez2vn4706nvb9x273812n21136",
        "name": "李四",
        "sex": "男",
        "nation": "汉",
        "birth": "19881001",
        "address": "广东省饶平县黄冈镇中山路8号",
        "idcard": "440524188001010014",
        "validDate": "20190128-长期",
        "authority": "饶平县公安局",
        "frontPhoto": "/9j/4AAQSkZJRgABAQAAAQABAAD",
        "backPhoto": "/9j/4AAQSkZJRgABAQAAAQABAAD",
        "frontCrop": "",
        "backCrop": "",
        "headPhoto": "",
        "frontWarnCode": "00000000",
        "backWarnCode": "10010100",
        "frontMultiWarning": "00000000",
        "backMultiWarning": "10010100",
        "frontClarity": "64",
        "backClarity": "79",
        "operateTime": "2021-06-21 17:35:27",
        "success": False,
        "bizSeqNo": "21062120001184493117352707455390",
        "transactionTime": "20210621173527",
    },
    "transactionTime": "20210621173527",
}
OCR_REQUEST = {
    "appId": "appId001",
    "version": "1.0.0",
    "nonce": "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
    "sign": "993D057C652D97FD90D5D298F2E5DC4B8D893CBC",
    "orderNo": "aabc1457895464",
    "userId": "user_1-A",
    "idcardStr": "/9j/4AAQSkZJRgABAQAAAQABAAD",
    "getNative": "1",
}
GET_OCR_REQUEST = {
    "app_id": "IDAXXXXX",
    "order_no": "orderNo596551",
    "nonce": "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
    "version": "1.0.0",
    "sign": "6CD5F0DBCFA1155E2A66754B33C2E67DD358393B",
    "get_file": "1",
    "get_native": "1",
}


@pytest.mark.parametrize(
    "name,instance",
    [
        ("access_token.response.json", TOKEN_CAPTURE),
        ("api_ticket.response.json", TICKET_CAPTURE),
        ("idcardocrapp.response.json", PORTRAIT),
        ("idcardocrapp.response.json", EMBLEM),
        ("getOcrResult.response.json", GET_OCR_RESULT),
        ("getOcrResult.response.json", {"code": "66660020", "msg": "OCR 结果查询不到"}),
        ("access_token.response.json", {"code": "400101", "msg": "不合法的请求"}),
        (
            "idcardocrapp.response.json",
            {
                "code": "66661006",
                "msg": "非身份证人像面",
                "bizSeqNo": "21062120001184493117265207455389",
                "transactionTime": "20210621172652",
                "extra": {"x": 1},
            },
        ),
        ("idcardocrapp.request.json", OCR_REQUEST),
        ("idcardocrapp.query.json", {"orderNo": "aabc1457895464"}),
        ("idcardocrapp.query.json", {}),
        ("getOcrResult.request.json", GET_OCR_REQUEST),
        (
            "access_token.request.json",
            {"appId": "IDAXXXXX", "secret": "s" * 64, "grant_type": "client_credential", "version": "1.0.0"},
        ),
        (
            "access_token.request.json",
            {"app_id": "IDAXXXXX", "secret": "s", "grant_type": "client_credential", "version": "1.0.0"},
        ),
        (
            "api_ticket.request.json",
            {"appId": "IDAXXXXX", "access_token": "tok", "type": "SIGN", "version": "1.0.0"},
        ),
        (
            "api_ticket.request.json",
            {
                "app_id": "IDAXXXXX",
                "access_token": "tok",
                "type": "NONCE",
                "version": "1.0.0",
                "user_id": "u1",
            },
        ),
    ],
)
def test_valid_instances(name, instance):
    errors = list(validator(name).iter_errors(instance))
    assert not errors, [e.message for e in errors]


def test_extra_properties_allowed_on_responses():
    portrait = copy.deepcopy(PORTRAIT)
    portrait["newTopLevel"] = 1
    portrait["result"]["newResultField"] = "x"
    assert is_valid("idcardocrapp.response.json", portrait)
    token = dict(TOKEN_CAPTURE, somethingNew=[1, 2])
    assert is_valid("access_token.response.json", token)


# --------------------------------------------------------------------------- negative cases


def _with(base, path, value=None, delete=False):
    doc = copy.deepcopy(base)
    target = doc
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_code_as_number_rejected():
    assert not is_valid("idcardocrapp.response.json", _with(PORTRAIT, ["code"], 0))
    assert not is_valid("access_token.response.json", _with(TOKEN_CAPTURE, ["code"], 0))
    assert not is_valid("idcardocrapp.response.json", {"code": 400101, "msg": "不合法的请求"})


def test_portrait_missing_idcard_rejected():
    assert not is_valid("idcardocrapp.response.json", _with(PORTRAIT, ["result", "idcard"], delete=True))


def test_emblem_without_valid_date_rejected():
    assert not is_valid("idcardocrapp.response.json", _with(EMBLEM, ["result", "validDate"], delete=True))


def test_result_with_both_sides_rejected():
    assert not is_valid(
        "idcardocrapp.response.json", _with(PORTRAIT, ["result", "authority"], "饶平县公安局")
    )
    assert not is_valid("idcardocrapp.response.json", _with(EMBLEM, ["result", "address"], "广东省饶平县"))
    assert not is_valid("idcardocrapp.response.json", _with(EMBLEM, ["result", "name"], "李四"))


@pytest.mark.parametrize(
    "bad", ["44052418800101001", "4405241880010100141", "44052418800101001x", "A40524188001010014"]
)
def test_bad_idcard_rejected(bad):
    assert not is_valid("idcardocrapp.response.json", _with(PORTRAIT, ["result", "idcard"], bad))
    assert not is_valid("common.json", bad, "/$defs/idcard")


def test_idcard_with_x_accepted():
    assert is_valid("idcardocrapp.response.json", _with(PORTRAIT, ["result", "idcard"], "11010519491231002X"))


def test_request_sign_case_insensitive_result_sign_uppercase():
    lower = "993d057c652d97fd90d5d298f2e5dc4b8d893cbc"
    assert is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["sign"], lower))
    assert is_valid("getOcrResult.request.json", _with(GET_OCR_REQUEST, ["sign"], lower))
    assert not is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["sign"], lower[:39]))
    assert not is_valid(
        "idcardocrapp.response.json",
        _with(PORTRAIT, ["result", "sign"], "2e5a4268db6b347df34194d903a6927b8c454aaf"),
    )


def test_token_expire_in_string_rejected():
    assert not is_valid("access_token.response.json", _with(TOKEN_CAPTURE, ["expire_in"], "7200"))


def test_token_missing_required_rejected():
    for field in ("access_token", "expire_in", "expire_time", "transactionTime"):
        assert not is_valid("access_token.response.json", _with(TOKEN_CAPTURE, [field], delete=True)), field
    # bizSeqNo / success were only observed, not documented: optional
    trimmed = {k: v for k, v in TOKEN_CAPTURE.items() if k not in ("bizSeqNo", "success")}
    assert is_valid("access_token.response.json", trimmed)


def test_ticket_response_with_two_tickets_rejected():
    two = _with(TICKET_CAPTURE, ["tickets"], TICKET_CAPTURE["tickets"] * 2)
    assert not is_valid("api_ticket.response.json", two)
    assert not is_valid("api_ticket.response.json", _with(TICKET_CAPTURE, ["tickets"], []))
    assert not is_valid(
        "api_ticket.response.json", _with(TICKET_CAPTURE, ["tickets", 0, "expire_in"], "3600")
    )


def test_get_ocr_result_front_code_zero_requires_portrait_fields():
    assert not is_valid("getOcrResult.response.json", _with(GET_OCR_RESULT, ["result", "name"], delete=True))
    assert not is_valid(
        "getOcrResult.response.json", _with(GET_OCR_RESULT, ["result", "validDate"], delete=True)
    )
    minimal = {
        "code": "0",
        "msg": "请求成功",
        "bizSeqNo": "21062120001184493117352707455390",
        "transactionTime": "20210621173527",
        "result": {"orderNo": "abc123", "frontCode": "66661006", "backCode": "66661007"},
    }
    assert is_valid("getOcrResult.response.json", minimal)
    assert not is_valid("getOcrResult.response.json", _with(minimal, ["result", "orderNo"], delete=True))


def test_error_envelope_rules():
    assert not is_valid("idcardocrapp.response.json", {"code": "0", "msg": "请求成功"})
    assert not is_valid("access_token.response.json", {"code": "400101"})
    assert not is_valid("access_token.response.json", {"code": "400101", "msg": "x", "bizSeqNo": "123"})


@pytest.mark.parametrize(
    "path,value",
    [
        (["result", "birth"], "19881301"),
        (["result", "birth"], "17881001"),
        (["result", "birth"], "1988-10-01"),
        (["result", "sex"], "M"),
        (["result", "nation"], "汉族"),
        (["result", "warning"], "0000000"),
        (["result", "multiWarning"], "00000002"),
        (["result", "ocrId"], "54805D89208DA5BAC41B72FD6CA1BE82"),
        (["result", "clarity"], 64),
        (["result", "success"], "false"),
        (["bizSeqNo"], "2106212000118449311726520745538"),
        (["transactionTime"], "2021-06-21 17:26:52"),
        (["transactionTime"], "20211321172652"),
        (["result", "orderNo"], "order_no_1"),
    ],
)
def test_bad_field_formats_rejected(path, value):
    assert not is_valid("idcardocrapp.response.json", _with(PORTRAIT, path, value))


@pytest.mark.parametrize(
    "value,ok",
    [
        ("20190128-20390128", True),
        ("20190128-长期", True),
        ("20190128-", False),
        ("2019012820390128", False),
        ("20191328-20391328", False),
    ],
)
def test_valid_date_format(value, ok):
    assert is_valid("common.json", value, "/$defs/validDate") is ok


def test_operate_time_format():
    assert is_valid("common.json", "2021-06-21 17:35:27", "/$defs/operateTime")
    assert not is_valid("common.json", "20210621173527", "/$defs/operateTime")


def test_request_alias_rules():
    both = dict(OCR_REQUEST, webankAppId="appId001")
    assert not is_valid("idcardocrapp.request.json", both)
    legacy = {k: v for k, v in OCR_REQUEST.items() if k != "appId"}
    legacy.update(webankAppId="appId001", cardType="0")
    assert is_valid("idcardocrapp.request.json", legacy)
    assert not is_valid("idcardocrapp.request.json", {k: v for k, v in OCR_REQUEST.items() if k != "appId"})
    assert not is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["appId"], "appId0012"))
    assert not is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["getNative"], 1))
    assert not is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["userId"], "user id!"))
    assert not is_valid("idcardocrapp.request.json", _with(OCR_REQUEST, ["idcardStr"], delete=True))

    token = {"appId": "IDAXXXXX", "secret": "s", "grant_type": "client_credential", "version": "1.0.0"}
    assert not is_valid("access_token.request.json", dict(token, app_id="IDAXXXXX"))
    no_app_id = {k: v for k, v in token.items() if k != "appId"}
    assert not is_valid("access_token.request.json", dict(no_app_id, webankAppId="IDAXXXXX"))
    assert not is_valid("access_token.request.json", {k: v for k, v in token.items() if k != "appId"})
    assert not is_valid("access_token.request.json", dict(token, grant_type="CLIENT_CREDENTIAL"))
    assert not is_valid("access_token.request.json", dict(token, secret="s" * 65))

    q = dict(GET_OCR_REQUEST)
    assert not is_valid("getOcrResult.request.json", dict(q, webankAppId="IDAXXXXX"))
    alias = {k: v for k, v in q.items() if k != "app_id"}
    assert not is_valid("getOcrResult.request.json", dict(alias, appId="IDAXXXXX"))
    assert is_valid("getOcrResult.request.json", dict(alias, webankAppId="IDAXXXXX"))
    for value in ("", "0", "2", "true"):  # anything but "1" asks for nothing (§6)
        assert is_valid("getOcrResult.request.json", dict(q, get_file=value, get_native=value))


def test_nonce_ticket_requires_user_id():
    base = {"appId": "IDAXXXXX", "access_token": "tok", "type": "NONCE", "version": "1.0.0"}
    assert not is_valid("api_ticket.request.json", base)
    assert is_valid("api_ticket.request.json", dict(base, user_id="userID19959248596551"))
    assert not is_valid("api_ticket.request.json", dict(base, type="sign"))
    assert not is_valid("api_ticket.request.json", dict(base, user_id="u" * 33))


# -- the compiled validator on the request path ----------------------------------------------

_REQUEST_SCHEMAS = ("access_token.request.json", "api_ticket.request.json",
                    "getOcrResult.request.json", "idcardocrapp.request.json")
# Values a client might send in any field: each is tried in every field of every example.
_ODD_VALUES = ("", "1", "12345678\n", "TIDA0001\n", "٣٤", "\u00a0", "x" * 65, "A" * 41, "Z" * 40,
               "0" * 40 + "\n", 1, 1.5, None, True, [], {}, "长期", "\x7f", "\ud800")


def _instances(name: str):
    from mock_server import schemas

    document = schemas.document(name)
    for example in document.get("examples", []):
        yield example
        for key in list(example) + ["appId", "app_id", "webankAppId", "userId", "cardType"]:
            yield {k: v for k, v in example.items() if k != key}
            for value in _ODD_VALUES:
                yield {**example, key: value}


@pytest.mark.parametrize("name", _REQUEST_SCHEMAS)
def test_the_compiled_validator_is_never_laxer_than_the_reference(name):
    """`schemas.first_error` lets the compiled validator (jsonschema-rs) pass an instance without
    asking the reference (jsonschema): so whatever it passes, the reference must pass too."""
    from mock_server import schemas

    tried = 0
    for instance in _instances(name):
        tried += 1
        try:
            passed = schemas._compiled(name).is_valid(instance)
        except Exception:  # a value it cannot take: first_error asks the reference
            continue
        if passed:
            reference = list(schemas.validator(name).iter_errors(instance))
            assert not reference, (instance, [e.message for e in reference])
        assert (schemas.first_error(name, instance) is None) == (
            not list(schemas.validator(name).iter_errors(instance)))
    assert tried > 100
