"""Image checks from headers alone: a decompression bomb is refused by its declared size, and no
accepted image has its pixels decoded."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib

import pytest
from PIL import Image

from mock_server.errors import ApiError
from mock_server.images import open_image
from mock_server.limits import MAX_IMAGE_PIXELS
from tests.support import Flow

RSS_BUDGET_KB = 20 * 1024


def rle8_bmp(width: int, height: int, *, ended: bool = True) -> bytes:
    """A run-length (RLE8) BMP of one colour, written by hand: a few hundred kilobytes that decode
    to width x height bytes."""
    runs = [255] * (width // 255) + ([width % 255] if width % 255 else [])
    row = b"".join(bytes([n, 1]) for n in runs) + b"\x00\x00"
    data = row * height + (b"\x00\x01" if ended else b"")
    palette = b"".join(bytes([i, 255 - i, 0, 0]) for i in range(256))
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(data), 2835, 2835, 256, 0)
    return struct.pack("<2sIHHI", b"BM", offset + len(data), 0, 0, offset) + info + palette + data


def png_header(width: int, height: int) -> bytes:
    """The signature and header chunk of a PNG of that size, and its end: all a check of the
    declared size needs."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def peak_rss_growth_kb(expression: str) -> tuple[int, str]:
    """Run open_image on the bytes `expression` builds in a fresh interpreter; the growth of its
    peak resident set (KB) and the answer's code."""
    script = textwrap.dedent(f"""
        import resource, sys
        from mock_server.errors import ApiError
        from mock_server.images import open_image
        from tests.test_images import rle8_bmp
        data = {expression}
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            open_image(data)
            code = "0"
        except ApiError as error:
            code = error.spec.code
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(after - before, code)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    growth, code = out.stdout.split()
    return int(growth), code


def test_the_9400_square_rle8_bomb_is_refused_without_decoding_it():
    bomb = rle8_bmp(9400, 9400)
    assert 700_000 < len(bomb) < 720_000
    with pytest.raises(ApiError) as refused:
        open_image(bomb)
    assert (refused.value.spec.code, refused.value.spec.msg) == ("66660015", "视频或图片异常")
    assert refused.value.detail == (
        "the image is 9400 x 9400 pixels (88,360,000); at most 67,108,864 are accepted")
    growth, code = peak_rss_growth_kb("rle8_bmp(9400, 9400)")
    assert code == "66660015" and growth <= RSS_BUDGET_KB, f"peak RSS grew {growth} KB"


def test_an_image_at_the_limit_is_accepted_without_decoding_it():
    growth, code = peak_rss_growth_kb("rle8_bmp(8192, 8192)")
    assert code == "0" and growth <= RSS_BUDGET_KB, f"peak RSS grew {growth} KB"
    assert open_image(rle8_bmp(8192, 8192)).width == 8192
    assert 8192 * 8192 == MAX_IMAGE_PIXELS


@pytest.mark.parametrize("size", [(8193, 8192), (100_000, 700), (1, 67_108_865)])
def test_any_shape_over_the_limit_is_refused(size):
    with pytest.raises(ApiError) as refused:
        open_image(png_header(*size))
    assert refused.value.name == "IMAGE_TOO_MANY_PIXELS"


def test_beyond_pillows_own_limit_is_refused_the_same_way():
    header = rle8_bmp(20_000, 10_000, ended=False)[:1078]  # the header alone declares 200 MP
    with pytest.raises(ApiError) as refused:
        open_image(header)
    assert refused.value.name == "IMAGE_TOO_MANY_PIXELS"


def test_a_truncated_bmp_is_still_not_an_image():
    with pytest.raises(ApiError) as refused:
        open_image(rle8_bmp(300, 200, ended=False))
    assert refused.value.detail == "the BMP is truncated: its run-length data has no end code"
    buf = io.BytesIO()
    Image.new("RGB", (64, 40), "red").save(buf, "BMP")
    with pytest.raises(ApiError) as refused:
        open_image(buf.getvalue()[:-100])
    assert refused.value.detail == "the BMP is truncated: its pixel array is incomplete"
    assert open_image(buf.getvalue()).format == "BMP"
    assert open_image(rle8_bmp(300, 200)).format == "BMP"


@pytest.mark.fidelity("F-REQ-9")
def test_the_bomb_over_http_is_answered_66660015(flow: Flow):
    _, body, response = flow.ocr(rle8_bmp(9400, 9400))
    assert (body["code"], body["msg"]) == ("66660015", "视频或图片异常")
    assert response.headers["X-Mock-Detail"].startswith("the image is 9400 x 9400 pixels")
