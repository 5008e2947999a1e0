"""The yardstick and the floor for bench_server.py, both served by gunicorn with sync workers.

- `bare`: a Flask app that reads the request body and answers a fixed, idcardocrapp-like JSON
  success, with none of the mock's work.
- `floor`: the bare app plus the work no mock of this call can skip: parse the body to find
  idcardStr, Base64-decode it, hash the image once (SHA-256) and write it to a file. The same
  libraries the mock uses (orjson, pybase64, hashlib), so the distance from the floor to the mock is
  the mock's own work (signs, tokens, recognition, records, journal) and its server.

Run it with `python bench/bare_app.py {bare|floor} --workers W`: gunicorn on 127.0.0.1, port 0
(it prints the port it bound), 2 sync workers by default, as the yardstick is defined;
`--worker-class` and `--threads` serve it with another gunicorn worker model
(bench/bench_serving_models.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import tempfile

import orjson
import pybase64
from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication

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


def create_bare_app() -> Flask:
    app = Flask("bare_app")

    @app.post("/api/paas/idcardocrapp")
    def idcardocrapp() -> Response:
        request.get_data(cache=False)  # read the whole body, as the mock must
        return Response(ANSWER, content_type="application/json;charset=UTF-8")

    return app


def create_floor_app(folder: str) -> Flask:
    app = Flask("floor_app")

    @app.post("/api/paas/idcardocrapp")
    def idcardocrapp() -> Response:
        body = orjson.loads(request.get_data(cache=False))
        image = pybase64.b64decode(body.pop("idcardStr"), validate=True)
        hashlib.sha256(image).hexdigest()
        fd = os.open(os.path.join(folder, secrets.token_hex(16)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as handle:
            handle.write(image)
        return Response(ANSWER, content_type="application/json;charset=UTF-8")

    return app


class GunicornServer(BaseApplication):
    def __init__(self, app: Flask, workers: int, worker_class: str = "sync", threads: int = 1) -> None:
        self._app = app
        self._workers = workers
        self._worker_class = worker_class
        self._threads = threads
        super().__init__()

    def load_config(self) -> None:
        self.cfg.set("bind", "127.0.0.1:0")
        self.cfg.set("workers", self._workers)
        self.cfg.set("worker_class", self._worker_class)
        self.cfg.set("threads", self._threads)
        self.cfg.set("timeout", 120)

    def load(self) -> Flask:
        return self._app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", choices=("bare", "floor"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", help="where the floor app writes images (default: a new temp dir)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (the yardstick: sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    args = parser.parse_args()
    app = create_bare_app() if args.app == "bare" else create_floor_app(
        args.folder or tempfile.mkdtemp(prefix="idcard-mock-floor-"))
    GunicornServer(app, args.workers, args.worker_class, args.threads).run()


if __name__ == "__main__":
    main()
