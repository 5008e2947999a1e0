"""The Fixture packs view: each loaded pack, each entry's side, code and the answer its manifest
gives (the `result` and `nativePlace` as written), and which entry an image request names."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mock_server.dashboard.words import code_words
from mock_server.fixtures.pack import FixturePack


def packs(loaded: Sequence[FixturePack]) -> list[dict[str, Any]]:
    """Packs by their position (`pack` in an image request), entries as the manifest lists them."""
    return [
        {
            "index": index,
            "key": pack.key,
            "directory": str(pack.directory),
            "entries": [
                {
                    "id": entry.id,
                    "side": entry.side,
                    "code": entry.code,
                    "code_words": code_words(entry.code),
                    "answer": _text({"code": entry.code, "result": dict(entry.result),
                                     **({"nativePlace": entry.native_place} if entry.native_place
                                        else {})}),
                }
                for entry in pack.entries
            ],
        }
        for index, pack in enumerate(loaded)
    ]


def image_path(loaded: Sequence[FixturePack], index: int, entry_id: str) -> Path | None:
    """The image file of entry `entry_id` of the pack at `index`; None when there is none."""
    if not 0 <= index < len(loaded):
        return None
    return next((e.image for e in loaded[index].entries if e.id == entry_id), None)


def _text(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False, indent=1)
