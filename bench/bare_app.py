"""The yardstick for bench_server.py: a Flask app that reads the request body and answers a fixed,
idcardocrapp-like JSON success, with none of the mock's work (parsing, signs, images, storage).

Run it with `python bench/bare_app.py --port P --workers W`: it is served through
`mock_server.server.serve`, so it gets exactly the gunicorn configuration `idcard-mock serve` uses.
"""

from __future__ import annotations

import argparse
import json

from flask import Flask, Response, request

# A portrait-side success as the vendor shapes it (api-facts §7), serialised once.
ANSWER = json.dumps(
    {
        "code": "0",
        "msg": "请求成功",
        "bizSeqNo": "26113020001184493114000012345678",
        "transactionTime": "20261130140000",
        "result": {
            "bizSeqNo": "26113020001184493114000012345678",
            "transactionTime": "20261130140000",
            "ocrId": "0f3c5d2a9b8e4f6a1c2d3e4f5a6b7c8d",
            "orderNo": "bench0000000000000000000000000",
            "name": "张晓明",
            "sex": "男",
            "nation": "汉",
            "birth": "19870314",
            "address": "浙江省杭州市西湖区文三路 123 号",
            "idcard": "330106198703143316",
            "warning": "00000000",
            "multiWarning": "00000000",
            "clarity": "72",
            "retry": "1",
            "success": False,
            "sign": "2E5A4268DB6B347DF34194D903A6927B8C454AAF",
        },
    },
    ensure_ascii=False,
    separators=(",", ":"),
).encode("utf-8")


def create_app() -> Flask:
    app = Flask("bare_app")

    @app.post("/api/paas/idcardocrapp")
    def idcardocrapp() -> Response:
        request.get_data(cache=False)  # read the whole body, as the mock must
        return Response(ANSWER, content_type="application/json;charset=UTF-8")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from mock_server import server
    from mock_server.settings import Settings

    # serve() builds its gunicorn options and loads `server.create_app(settings)` in each worker;
    # pointing that name at this app reuses the options unchanged, so both targets run under one
    # configuration even when server.py changes it.
    server.create_app = lambda settings: create_app()  # type: ignore[assignment]
    print(f"bare app on http://{args.host}:{args.port}  workers={args.workers}", flush=True)
    server.serve(Settings(db=":memory:"), args.host, args.port, args.workers)


if __name__ == "__main__":
    main()
