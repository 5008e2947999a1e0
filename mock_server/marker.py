"""The idcard-mock marker that an image carries in its metadata.

A marker is a small JSON object (side, fixture id, scenario, …) stored as a JPEG comment or a PNG
text chunk under the key `idcard-mock` (fixture images also in the EXIF ImageDescription), so
that an image the project generated is recognised for what it is, whatever its bytes after a
metadata-preserving re-save.
"""

from __future__ import annotations

import json
from typing import Any

from PIL import Image

KEY = "idcard-mock"
_PREFIX = KEY + ":"
_EXIF_IMAGE_DESCRIPTION = 0x010E


def encode(payload: dict[str, Any]) -> str:
    return _PREFIX + json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def decode(text: str | bytes | None) -> dict[str, Any] | None:
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not text.startswith(_PREFIX):
        return None
    try:
        payload = json.loads(text[len(_PREFIX):])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def read(image: Image.Image) -> dict[str, Any] | None:
    """The marker of an opened image: JPEG COM segment, PNG tEXt/iTXt chunk, or the EXIF
    ImageDescription (fixture images carry it there too, so a conversion that keeps only EXIF,
    such as a PNG saved with the JPEG's EXIF, still carries the marker)."""
    info = image.info
    found = decode(info.get(KEY)) or decode(info.get("comment"))
    if found is None and info.get("exif"):
        try:
            found = decode(image.getexif().get(_EXIF_IMAGE_DESCRIPTION))
        except Exception:  # a damaged EXIF block is no marker, not a failure
            return None
    return found
