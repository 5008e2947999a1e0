"""Orders: what was recognised under each (appId, orderNo), with its image, for a bounded time
and a bounded size.

An orderNo holds one portrait and one emblem recognition, as getOcrResult's front/back fields
suggest (§6); a later call for the same side replaces that side (fidelity notes: duplicate orderNo).

Retention (fidelity notes: order retention):
- a recognition is kept `order_ttl` seconds on the mock's clock; older ones answer as unknown
  (66660020) at once, and are deleted, image file and all, by the next sweep;
- what orders keep is capped at `max_image_bytes`: each recognition counts its image's size plus
  RECORD_BYTES for its row; past the cap the oldest orders go first, whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mock_server.images import CardImage
from mock_server.recognizer import Recognition
from mock_server.store import Store

# What one recognition's row costs in the database, counted against the cap with its image.
RECORD_BYTES = 1024
# At most this many expired recognitions are deleted by one sweep: a sweep stays short whatever
# piled up; the next ones take the rest.
SWEEP_BATCH = 256
_STORED = "stored_bytes"


@dataclass(frozen=True)
class SideRecord:
    side: str
    code: str
    fields: dict[str, str]
    warning: str
    multi_warning: str
    clarity: str
    image_file: str | None
    operate_time: float


class Orders:
    def __init__(self, store: Store, order_ttl: float, max_bytes: int) -> None:
        self._store = store
        self.order_ttl = order_ttl
        self.max_bytes = max_bytes

    def record(
        self,
        app_id: str,
        order_no: str,
        recognition: Recognition,
        image: CardImage | None,
        now: float,
    ) -> None:
        """Persist one recognition and its image, in the current write (the request's batch):
        the image file first, then its record, then the oldest orders past the cap."""
        name = self._store.images.put(image.data) if image is not None else None
        stored = (len(image.data) if image is not None else 0) + RECORD_BYTES
        row = (
            app_id, order_no, recognition.side, recognition.code,
            json.dumps(recognition.fields, ensure_ascii=False), recognition.warning,
            recognition.multi_warning, recognition.clarity, name, stored, now,
        )

        def write(conn) -> None:
            self._remove(conn, "app_id = ? AND order_no = ? AND side = ?",
                         (app_id, order_no, recognition.side))
            conn.execute(
                "INSERT INTO recognitions (app_id, order_no, side, code, fields, warning, "
                "multi_warning, clarity, image_file, stored_bytes, operate_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            _add_stored(conn, stored)
            self._enforce_cap(conn)

        self._store.write(write)

    def lookup(self, app_id: str, order_no: str, now: float) -> dict[str, SideRecord]:
        """The order's recognitions still within their retention at `now`."""
        rows = self._store.query(
            "SELECT side, code, fields, warning, multi_warning, clarity, image_file, operate_time "
            "FROM recognitions WHERE app_id = ? AND order_no = ? AND operate_time > ?",
            (app_id, order_no, now - self.order_ttl),
        )
        return {
            r["side"]: SideRecord(
                r["side"], r["code"], json.loads(r["fields"]), r["warning"],
                r["multi_warning"], r["clarity"], r["image_file"], r["operate_time"],
            )
            for r in rows
        }

    def recorded(self, now: float) -> list[tuple[str, str, SideRecord]]:
        """Every (app_id, order_no, recognition) still within its retention at `now`, oldest
        first."""
        rows = self._store.query(
            "SELECT app_id, order_no, side, code, fields, warning, multi_warning, clarity, "
            "image_file, operate_time FROM recognitions WHERE operate_time > ? ORDER BY id",
            (now - self.order_ttl,),
        )
        return [
            (r["app_id"], r["order_no"], SideRecord(
                r["side"], r["code"], json.loads(r["fields"]), r["warning"],
                r["multi_warning"], r["clarity"], r["image_file"], r["operate_time"],
            ))
            for r in rows
        ]

    def image(self, name: str) -> bytes | None:
        return self._store.images.get(name)

    def sweep(self, now: float) -> None:
        """Delete a batch of recognitions past their retention (in the current write)."""

        def write(conn) -> None:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM recognitions WHERE operate_time <= ? ORDER BY operate_time LIMIT ?",
                (now - self.order_ttl, SWEEP_BATCH),
            )]
            if ids:
                self._remove(conn, f"id IN ({','.join('?' * len(ids))})", tuple(ids))

        self._store.write(write)

    def stored_bytes(self) -> int:
        rows = self._store.query("SELECT value FROM meta WHERE key = ?", (_STORED,))
        return int(rows[0]["value"]) if rows else 0

    def count(self) -> int:
        return self._store.query("SELECT COUNT(*) FROM recognitions")[0][0]

    def sweep_orphan_files(self) -> int:
        """Image files no recognition names (a server killed between the two writes)."""

        def referenced(name: str) -> bool:
            return bool(self._store.query(
                "SELECT 1 FROM recognitions WHERE image_file = ? LIMIT 1", (name,)))

        return self._store.images.sweep_orphans(referenced)

    def _enforce_cap(self, conn) -> None:
        """Past the cap, remove the oldest orders, every side of each, until back within it."""
        while _stored(conn) > self.max_bytes:
            oldest = conn.execute(
                "SELECT app_id, order_no FROM recognitions ORDER BY operate_time, id LIMIT 1"
            ).fetchone()
            if oldest is None:
                return
            self._remove(conn, "app_id = ? AND order_no = ?", (oldest[0], oldest[1]))

    def _remove(self, conn, where: str, params: tuple) -> None:
        rows = conn.execute(
            f"SELECT image_file, stored_bytes FROM recognitions WHERE {where}", params
        ).fetchall()
        if not rows:
            return
        conn.execute(f"DELETE FROM recognitions WHERE {where}", params)
        _add_stored(conn, -sum(r[1] for r in rows))
        self._store.unlink_after_commit([r[0] for r in rows if r[0] is not None])


def _stored(conn) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_STORED,)).fetchone()
    return int(row[0]) if row else 0


def _add_stored(conn, delta: int) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(meta.value AS BIGINT) + ?",
        (_STORED, str(delta), delta),
    )
