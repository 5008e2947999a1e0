"""Orders: what was recognised under each (appId, orderNo), and the images, stored once each.

An orderNo holds one portrait and one emblem recognition, as getOcrResult's front/back fields
suggest (§6); a later call for the same side replaces that side (fidelity notes: duplicate orderNo).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mock_server.images import CardImage
from mock_server.recognizer import Recognition
from mock_server.store import Store


@dataclass(frozen=True)
class SideRecord:
    side: str
    code: str
    fields: dict[str, str]
    warning: str
    multi_warning: str
    clarity: str
    image_digest: str | None
    operate_time: float


class Orders:
    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self,
        app_id: str,
        order_no: str,
        recognition: Recognition,
        image: CardImage | None,
        now: float,
    ) -> None:
        """Persist one recognition (and its image) in one committed transaction."""
        with self._store.transaction() as conn:
            if image is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO images (digest, data) VALUES (?, ?)",
                    (image.digest, image.data),
                )
            conn.execute(
                "INSERT OR REPLACE INTO recognitions (app_id, order_no, side, code, fields, "
                "warning, multi_warning, clarity, image_digest, operate_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    app_id,
                    order_no,
                    recognition.side,
                    recognition.code,
                    json.dumps(recognition.fields, ensure_ascii=False),
                    recognition.warning,
                    recognition.multi_warning,
                    recognition.clarity,
                    image.digest if image is not None else None,
                    now,
                ),
            )

    def lookup(self, app_id: str, order_no: str) -> dict[str, SideRecord]:
        rows = self._store.query(
            "SELECT side, code, fields, warning, multi_warning, clarity, image_digest, "
            "operate_time FROM recognitions WHERE app_id = ? AND order_no = ?",
            (app_id, order_no),
        )
        return {
            r["side"]: SideRecord(
                r["side"], r["code"], json.loads(r["fields"]), r["warning"],
                r["multi_warning"], r["clarity"], r["image_digest"], r["operate_time"],
            )
            for r in rows
        }

    def image(self, digest: str) -> bytes | None:
        rows = self._store.query("SELECT data FROM images WHERE digest = ?", (digest,))
        return bytes(rows[0]["data"]) if rows else None
