"""The Orders view: each order of the listing (order_listing.py), newest first, its sides with
the code in words and every warning bit by name (warning_codes.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mock_server import warning_codes
from mock_server.dashboard.words import code_words
from mock_server.recognizer import SIDES

# The vendor's names for the sides (§6: front is the portrait, back the emblem).
SIDE_NAMES = {"portrait": "portrait (front)", "emblem": "emblem (back)"}


def side_card(side: str, recorded: Mapping[str, Any]) -> dict[str, Any]:
    mask = recorded.get("multiWarning") or warning_codes.NO_WARNING
    return {
        "side": side,
        "side_name": SIDE_NAMES.get(side, side),
        "code": recorded["code"],
        "code_words": code_words(recorded["code"]),
        "fields": list((recorded.get("fields") or {}).items()),
        "warning": recorded.get("warning") or warning_codes.NO_WARNING,
        "multi_warning": mask,
        "warnings": [{"position": p, "slug": slug, "vendor": text, "meaning": meaning}
                     for p, slug, text, meaning in warning_codes.decode(mask)],
        "clarity": recorded.get("clarity"),
        "operate_time": recorded.get("operateTime"),
    }


def cards(listing: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Newest order first; sides in the vendor's order (portrait, emblem)."""
    shown = []
    for order in listing:
        sides = order["sides"]
        shown.append({
            "app_id": order["appId"],
            "order_no": order["orderNo"],
            "sides": [side_card(s, sides[s]) for s in SIDES if s in sides],
        })
    return shown[::-1]
