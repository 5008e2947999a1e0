"""idcardStr → image bytes → a checked card image (api-facts §7, fidelity notes on Base64)."""

from __future__ import annotations

import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import pybase64
from PIL import Image

from mock_server import marker
from mock_server.errors import ApiError
from mock_server.limits import MAX_IMAGE_PIXELS

ACCEPTED_FORMATS = ("JPEG", "PNG", "BMP")
# How each accepted format begins, and its media type (for serving a stored image back).
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"BM", "image/bmp"))
_WHITESPACE = re.compile(r"[\r\n\t ]")
_DATA_URL = re.compile(r"^data:[\w/+.-]*;base64,")
_JPEG_EOI = b"\xff\xd9"
# Some encoders and phones append data after EOI; look for it near the end only.
_JPEG_TAIL = 64 * 1024


@dataclass(frozen=True)
class CardImage:
    data: bytes
    format: str
    width: int
    height: int
    digest: str
    marker: dict[str, Any] | None = field(default=None)


def decode_base64(text: str, *, accept_data_url: bool = False) -> bytes:
    """The standard alphabet, padding optional; whitespace (space, tab, CR, LF) anywhere is left
    out, as Java's MIME decoder and commons-codec do, so text wrapped every 76 (MIME) or 64 (PEM)
    characters decodes (fidelity notes). Any other character is not Base64. A `data:` URL prefix
    is refused unless configured: the vendor asks for "the Base64 of the image", which such a
    prefix is not."""
    if text.startswith("data:"):
        match = _DATA_URL.match(text)
        if not (accept_data_url and match):
            raise ApiError(
                "IMAGE_DECODE_FAILED",
                "idcardStr starts with a data: URL prefix; send the bare Base64 of the image",
            )
        text = text[match.end():]
    try:
        return _b64(text)
    except (binascii.Error, ValueError):
        pass
    try:
        return _b64(_WHITESPACE.sub("", text))
    except (binascii.Error, ValueError):
        raise ApiError("IMAGE_DECODE_FAILED", "idcardStr is not valid Base64") from None


def _b64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    # pybase64: the standard alphabet checked strictly, decoded with SIMD (a tenth of binascii's
    # time for a 4 MB image).
    data = pybase64.b64decode(padded, validate=True)
    if not data:
        raise ValueError("empty")
    return data


def open_image(data: bytes) -> CardImage:
    """Prove the bytes are a sound JPEG, PNG or BMP of at most MAX_IMAGE_PIXELS; anything else is
    66661010, a larger image 66660015.

    Pillow parses the headers of every format (dimensions, markers, the idcard-mock marker); no
    pixel is ever decoded, which would cost a JPEG of a few megabytes more than the rest of the
    call and a small run-length BMP hundreds of megabytes. The size is checked from the header
    first. The rest of the proof is per format: a JPEG must end with its EOI marker (a truncated
    upload is the common corruption), a PNG's chunks must pass their CRCs (checked without
    inflating them), a BMP must hold the pixel array its header declares (uncompressed) or end its
    run-length data with the end-of-bitmap code. Damage inside a JPEG's entropy-coded data or a
    BMP's pixel values goes undetected (fidelity notes).
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns of a large image; the limit below is the mock's, and lower.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.format not in ACCEPTED_FORMATS:
                    raise ApiError(
                        "NOT_AN_IMAGE", f"{im.format} images are not accepted; send JPEG, PNG or BMP"
                    )
                width, height = im.size
                _check_pixels(width, height)
                found = marker.read(im)
                if im.format == "JPEG":
                    if data.rfind(_JPEG_EOI, -_JPEG_TAIL) < 0:
                        raise ApiError("NOT_AN_IMAGE", "the JPEG is truncated: it has no end marker")
                elif im.format == "PNG":
                    im.verify()
                else:
                    _check_bmp(im, data)
                image_format = im.format
    except ApiError:
        raise
    except Image.DecompressionBombError:  # beyond even Pillow's own limit: no size to report
        raise ApiError("IMAGE_TOO_MANY_PIXELS", f"the image has more than {MAX_IMAGE_PIXELS:,} "
                       "pixels") from None
    except Exception:  # Pillow raises many types for bytes that are not an image
        raise ApiError("NOT_AN_IMAGE", "the decoded idcardStr is not a readable image") from None
    return CardImage(data, image_format, width, height, hashlib.sha256(data).hexdigest(), found)


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ApiError(
            "IMAGE_TOO_MANY_PIXELS",
            f"the image is {width} x {height} pixels ({width * height:,}); at most "
            f"{MAX_IMAGE_PIXELS:,} are accepted",
        )


_BMP_END_OF_BITMAP = b"\x00\x01"


def _check_bmp(im: Image.Image, data: bytes) -> None:
    """The BMP's pixel data is all there, judged from its header and its last bytes."""
    decoder, box, offset, args = im.tile[0][:4]
    if decoder == "raw":
        stride, rows = args[1], box[3] - box[1]
        if len(data) < offset + stride * rows:
            raise ApiError("NOT_AN_IMAGE", "the BMP is truncated: its pixel array is incomplete")
    elif not data[offset:].rstrip(b"\x00").endswith(_BMP_END_OF_BITMAP):
        raise ApiError("NOT_AN_IMAGE", "the BMP is truncated: its run-length data has no end code")


def media_type(data: bytes) -> str:
    """The media type of an accepted image's bytes; application/octet-stream for anything else."""
    return next((kind for head, kind in _SIGNATURES if data.startswith(head)), "application/octet-stream")
